//! CLI tests (below).
