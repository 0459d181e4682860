//! How proof verification finds a public key.
//!
//! Verification in this crate is synchronous and does no IO, so it asks a [`KeyResolver`] for
//! the key of a verification method *under a given verification relationship*. Implementations
//! (in `did-methods`) resolve DID documents ahead of time, or compute them (did:key,
//! did:jwk), and must answer `NotAuthorized` when the method exists but is not listed under
//! the relationship (DID Core section 5.3): a key authorized for `authentication` must not
//! verify an `assertionMethod` proof.

use crate::keys::PublicKey;

/// A DID Core verification relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// `assertionMethod`: issuing credentials.
    AssertionMethod,
    /// `authentication`: proving control, e.g. presentations.
    Authentication,
    /// `keyAgreement`.
    KeyAgreement,
    /// `capabilityInvocation`.
    CapabilityInvocation,
    /// `capabilityDelegation`.
    CapabilityDelegation,
}

impl Relationship {
    /// The DID document property name.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::AssertionMethod => "assertionMethod",
            Relationship::Authentication => "authentication",
            Relationship::KeyAgreement => "keyAgreement",
            Relationship::CapabilityInvocation => "capabilityInvocation",
            Relationship::CapabilityDelegation => "capabilityDelegation",
        }
    }

    /// Parses a DID document property name / proof purpose.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "assertionMethod" => Relationship::AssertionMethod,
            "authentication" => Relationship::Authentication,
            "keyAgreement" => Relationship::KeyAgreement,
            "capabilityInvocation" => Relationship::CapabilityInvocation,
            "capabilityDelegation" => Relationship::CapabilityDelegation,
            _ => return None,
        })
    }
}

/// Why a key could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyResolutionError {
    /// The verification method id is not a valid DID URL.
    #[error("invalid verification method identifier")]
    InvalidId,
    /// The DID or the verification method does not exist.
    #[error("verification method not found")]
    NotFound,
    /// The method exists but is not listed under the requested relationship.
    #[error("verification method not authorized for this relationship")]
    NotAuthorized,
    /// The key type is not supported.
    #[error("unsupported key type")]
    UnsupportedKey,
    /// The DID could not be resolved now (network, method not supported, ...). Callers
    /// treat this as "could not verify", never as "invalid" or "valid".
    #[error("DID resolution failed")]
    ResolutionFailed,
}

/// Finds the public key of a verification method under a relationship.
pub trait KeyResolver {
    /// `verification_method` is an absolute DID URL (`did:example:123#key-1`).
    fn resolve_key(
        &self,
        verification_method: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError>;
}

impl<T: KeyResolver + ?Sized> KeyResolver for &T {
    fn resolve_key(
        &self,
        verification_method: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        (**self).resolve_key(verification_method, relationship)
    }
}
