//! Integration tests: status_list (being built).
