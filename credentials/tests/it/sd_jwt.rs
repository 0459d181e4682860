//! Integration tests: sd_jwt (being built).
