//! Integration tests of the issuer service: through the router (tower oneshot) and on real
//! sockets, plus crash and concurrency tests against the real binary and store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod common;
mod crash;
mod hardening;
mod oid4vci;
mod socket;
mod status;
mod vcapi;
