//! Verifier library and service: not built yet (issue #4). Nothing here claims to work.
