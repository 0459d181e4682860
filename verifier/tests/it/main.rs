//! Integration tests of the verifier: the library pipeline (one negative test per rule),
//! the service through the router and on a real socket, and the relying-party page in a
//! headless browser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod fixture;
mod holder;
mod pipeline;
mod process;
mod service;
mod status;
