//! End-to-end: the real `issuer`, `verifier`, `wallet` (and `privacy`) binaries as separate
//! processes, like a deployment. `flow`: the proof-of-age scenario in both credential
//! formats. `quick_start`: `scripts/start` brings the services up, prints an offer, and stops
//! cleanly on Ctrl-C.
//!
//! The service binaries are found next to this test's executable (`target/<profile>/`) and
//! built first with the `cargo` running the test when missing or older than their sources.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow;
mod quick_start;
mod support;
