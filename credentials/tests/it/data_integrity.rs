//! Data Integrity (VC DI 1.0, VC DI EdDSA Cryptosuites 1.0) and the VC 2.0 model: the W3C
//! vectors byte for byte, one negative test per security rule, and mutation properties.

mod common;
mod presentations;
mod properties;
mod security;
mod vectors;
