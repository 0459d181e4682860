//! Integration tests of the credentials crate: official vectors and cross-module flows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod data_integrity;
mod sd_jwt;
mod status_list;
