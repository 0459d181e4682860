//! Issuer service: not built yet (issue #3). Nothing here claims to work.
