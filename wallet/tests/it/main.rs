#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests of the wallet library and the `wallet` binary.

mod cli;
mod keys;
mod kill;
mod present;
mod receive;
mod support;
mod vault;
