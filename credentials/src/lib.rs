//! The credential model and proof formats shared by every part of Disclose.
//!
//! This crate does no IO and never reads the clock: times are passed in, keys are passed in,
//! randomness is passed in. Verification functions return
//! `Result<VerificationReport, Error>`: the outer error means "could not be checked" (which
//! callers must treat as *not verified*), the report lists every check carried out with a
//! stable code for each failure.
//!
//! Modules:
//! - [`base64url`]: strict unpadded base64url (RFC 7515 section 2).
//! - [`keys`]: Ed25519 signing keys (zeroized), public keys (Ed25519, P-256), Multikey.
//! - [`jose`]: JWK and compact JWS with an algorithm allow-list.
//! - [`report`]: verification reports and their stable check codes.

#![forbid(unsafe_code)]

pub mod base64url;
pub mod jose;
pub mod keys;
pub mod report;

pub use keys::{Ed25519SigningKey, KeyError, PublicKey, Signer};
pub use report::{Check, CheckResult, FailureCode, VerificationReport};
