//! Integration tests: data_integrity (being built).
