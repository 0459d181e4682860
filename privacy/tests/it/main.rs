//! Integration tests of the privacy service (one binary; see each module).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod common;
mod http;
mod ledger;
mod refusals;
mod robustness;
mod stats;
