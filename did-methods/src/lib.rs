//! DID parsing and resolution for Disclose: did:key, did:jwk and did:web behind one async
//! resolver trait, plus the synchronous [`credentials::KeyResolver`] implementations the
//! verifiers use.
//!
//! - [`did`]: DID and DID URL syntax (DID Core section 3).
//! - [`document`]: DID documents, verification methods, lookup by verification relationship
//!   with controller checks, JSON-LD serialization.
//! - [`did_key`], [`did_jwk`], [`did_web`]: the three methods.
//! - [`http`]: the injected HTTP trait for did:web and its guarded reqwest implementation;
//!   [`address`]: which IP addresses may be connected to.
//! - [`resolver`]: [`DidResolver`], [`UniversalResolver`], [`OfflineResolver`] (did:key and
//!   did:jwk, no IO) and [`ResolvedDocuments`] (pre-resolved documents for synchronous key
//!   lookup).
//!
//! Errors carry DID Resolution error codes ([`ResolutionError::code`]): `invalidDid`,
//! `notFound`, `methodNotSupported`, `representationNotSupported`, `invalidPublicKey`,
//! `invalidPublicKeyLength`, `unsupportedPublicKeyType`, `invalidDidDocument`,
//! `internalError`.

#![forbid(unsafe_code)]

pub mod address;
pub mod did;
pub mod did_jwk;
pub mod did_key;
pub mod did_web;
pub mod document;
mod error;
pub mod http;
pub mod resolver;

pub use did::{Did, DidSyntaxError, DidUrl};
pub use did_jwk::DidJwk;
pub use did_key::{DidKey, DidKeyOptions};
pub use did_web::{DidWebResolver, did_web_from_url, did_web_url};
pub use document::{DidDocument, KeyMaterial, RelationshipEntry, VerificationMethod};
pub use error::{DocumentError, InvalidDidReason, ResolutionError};
pub use http::{ConditionalResponse, HttpClient, HttpError, HttpResponse, ReqwestHttpClient};
pub use resolver::{
    DidResolver, OfflineResolver, ResolvedDocuments, UniversalResolver, resolve_representation,
};
