//! DID resolution errors and their DID Resolution error codes.

use credentials::KeyResolutionError;

use crate::did::DidSyntaxError;
use crate::http::HttpError;

/// Why a DID could not be resolved. [`ResolutionError::code`] gives the DID Resolution error
/// code (`invalidDid`, `notFound`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolutionError {
    /// The DID is not valid DID syntax, or not valid for its method.
    #[error("invalid DID: {0}")]
    InvalidDid(InvalidDidReason),
    /// A DID URL is not valid.
    #[error("invalid DID URL")]
    InvalidDidUrl,
    /// The method is not one this resolver supports.
    #[error("DID method not supported")]
    MethodNotSupported,
    /// The DID does not exist (did:web: HTTP 404 / 410).
    #[error("DID not found")]
    NotFound,
    /// The requested representation (media type) is not supported.
    #[error("representation not supported")]
    RepresentationNotSupported,
    /// The public key bytes do not encode a valid key (or a weak one).
    #[error("invalid public key")]
    InvalidPublicKey,
    /// The public key has the wrong length for its type.
    #[error("invalid public key length")]
    InvalidPublicKeyLength,
    /// The key type (multicodec, JWK kty/crv) is not supported.
    #[error("unsupported public key type")]
    UnsupportedPublicKeyType,
    /// The retrieved document is not a valid DID document for this DID.
    #[error("invalid DID document: {0}")]
    InvalidDidDocument(DocumentError),
    /// Fetching the document failed (did:web).
    #[error("retrieval failed: {0}")]
    Http(#[from] HttpError),
}

impl ResolutionError {
    /// The DID Resolution error code (DID Resolution, "Errors"; did:key method spec).
    pub fn code(&self) -> &'static str {
        match self {
            ResolutionError::InvalidDid(_) => "invalidDid",
            ResolutionError::InvalidDidUrl => "invalidDidUrl",
            ResolutionError::MethodNotSupported => "methodNotSupported",
            ResolutionError::NotFound => "notFound",
            ResolutionError::RepresentationNotSupported => "representationNotSupported",
            ResolutionError::InvalidPublicKey => "invalidPublicKey",
            ResolutionError::InvalidPublicKeyLength => "invalidPublicKeyLength",
            ResolutionError::UnsupportedPublicKeyType => "unsupportedPublicKeyType",
            ResolutionError::InvalidDidDocument(_) => "invalidDidDocument",
            ResolutionError::Http(_) => "internalError",
        }
    }

    /// The [`KeyResolutionError`] a synchronous key lookup reports for this failure.
    pub fn to_key_resolution_error(&self) -> KeyResolutionError {
        match self {
            ResolutionError::InvalidDid(_) | ResolutionError::InvalidDidUrl => {
                KeyResolutionError::InvalidId
            }
            ResolutionError::NotFound => KeyResolutionError::NotFound,
            ResolutionError::InvalidPublicKey
            | ResolutionError::InvalidPublicKeyLength
            | ResolutionError::UnsupportedPublicKeyType => KeyResolutionError::UnsupportedKey,
            ResolutionError::MethodNotSupported
            | ResolutionError::RepresentationNotSupported
            | ResolutionError::InvalidDidDocument(_)
            | ResolutionError::Http(_) => KeyResolutionError::ResolutionFailed,
        }
    }
}

/// Why a DID is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidDidReason {
    /// Generic DID syntax (DID Core section 3.1).
    #[error("{0}")]
    Syntax(DidSyntaxError),
    /// The DID is not of the method the resolver handles.
    #[error("wrong method")]
    WrongMethod,
    /// did:key: the multibase value does not start with `z` (base58btc).
    #[error("not base58btc multibase")]
    NotBase58Btc,
    /// did:key: characters outside the base58btc alphabet.
    #[error("invalid base58btc")]
    InvalidBase58,
    /// did:key: a version segment (`did:key:1:z...`) is not supported.
    #[error("unsupported did:key form")]
    UnsupportedForm,
    /// did:jwk: not base64url of a JSON object.
    #[error("not base64url-encoded JSON")]
    InvalidEncoding,
    /// did:jwk: the JWK holds private key material (`d`).
    #[error("JWK contains private key material")]
    PrivateKeyMaterial,
    /// did:web: the host is an IP address, not a domain name.
    #[error("did:web host is an IP address")]
    IpAddressHost,
    /// did:web: the host is not a valid domain name.
    #[error("invalid did:web host")]
    InvalidHost,
    /// did:web: invalid port.
    #[error("invalid did:web port")]
    InvalidPort,
    /// did:web: an empty, `.` or `..` path segment.
    #[error("invalid did:web path segment")]
    InvalidPath,
}

impl From<DidSyntaxError> for ResolutionError {
    fn from(e: DidSyntaxError) -> Self {
        ResolutionError::InvalidDid(InvalidDidReason::Syntax(e))
    }
}

/// Why a DID document is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Not JSON, not an object, or a property of the wrong type.
    #[error("malformed document")]
    Malformed,
    /// The document `id` is not the DID that was resolved (did:web spec, DID Core 7.1).
    #[error("document id does not match the DID")]
    IdMismatch,
    /// A verification method or reference is not a valid (relative) DID URL.
    #[error("invalid verification method id")]
    InvalidMethodId,
    /// Two verification methods share an id (DID Core section 5.2).
    #[error("duplicate verification method id")]
    DuplicateMethodId,
    /// A verification method has no key material, or more than one form of it (DID Core
    /// section 5.2.1).
    #[error("verification material missing or ambiguous")]
    VerificationMaterial,
    /// A `controller` value is not a DID.
    #[error("invalid controller")]
    InvalidController,
    /// The document exceeds a structural limit (number of verification methods).
    #[error("document too large")]
    TooLarge,
}
