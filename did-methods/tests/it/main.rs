//! Integration tests of `did-methods`: vectors, method rules, retrieval protections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod didjwk;
mod didkey_vectors;
mod didweb;
mod loopback;
mod properties;
mod resolvers;
