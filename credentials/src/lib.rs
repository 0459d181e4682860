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
//! - [`resolver`]: how verification finds keys (verification relationships).
//! - [`report`]: verification reports and their stable check codes.
//! - [`vc`]: the W3C VC Data Model 2.0 (credentials, presentations, validation).
//! - [`data_integrity`]: Data Integrity proofs, `eddsa-rdfc-2022` and `eddsa-jcs-2022`.
//! - [`sd_jwt`]: SD-JWT (RFC 9901), SD-JWT VC and key binding.
//! - [`age`]: `age_over_NN` attributes from a birth date.
//! - [`status_list`]: Bitstring Status List and Token Status List.
//! - [`oid4vp`]: OpenID4VP 1.0 protocol messages and DCQL queries (no IO).

#![forbid(unsafe_code)]

pub mod age;
pub mod base64url;
pub mod data_integrity;
pub mod jose;
pub mod keys;
pub mod oid4vp;
pub mod report;
pub mod resolver;
pub mod sd_jwt;
pub mod status_list;
pub mod vc;

pub use keys::{Ed25519SigningKey, KeyError, P256SigningKey, PublicKey, Signer};
pub use report::{Check, CheckResult, FailureCode, VerificationReport};
pub use resolver::{KeyResolutionError, KeyResolver, Relationship};
