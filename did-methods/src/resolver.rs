//! The resolver trait, the dispatcher over did:key / did:jwk / did:web, and the
//! [`KeyResolver`] implementations the synchronous verifiers in `credentials` use.

use std::collections::HashMap;

use credentials::keys::PublicKey;
use credentials::{KeyResolutionError, KeyResolver, Relationship};

use crate::did::{Did, DidUrl};
use crate::did_jwk::DidJwk;
use crate::did_key::{DidKey, DidKeyOptions};
use crate::document::DidDocument;
use crate::error::ResolutionError;

/// `application/did+json` (DID Core section 6.2).
pub const MEDIA_TYPE_DID_JSON: &str = "application/did+json";
/// `application/did+ld+json` (DID Core section 6.3).
pub const MEDIA_TYPE_DID_LD_JSON: &str = "application/did+ld+json";

/// Resolves a DID to its document (DID Resolution, "resolve").
#[async_trait::async_trait]
pub trait DidResolver: Send + Sync {
    /// The document of `did`, or a DID Resolution error ([`ResolutionError::code`]).
    async fn resolve(&self, did: &str) -> Result<DidDocument, ResolutionError>;
}

#[async_trait::async_trait]
impl<T: DidResolver + ?Sized> DidResolver for std::sync::Arc<T> {
    async fn resolve(&self, did: &str) -> Result<DidDocument, ResolutionError> {
        (**self).resolve(did).await
    }
}

/// Resolves `did` and serializes the document in the representation `accept` asks for
/// (DID Resolution "resolveRepresentation"). Only `application/did+ld+json` and
/// `application/did+json` are produced; anything else is `representationNotSupported`,
/// reported before any retrieval.
pub async fn resolve_representation(
    resolver: &(dyn DidResolver + '_),
    did: &str,
    accept: &str,
) -> Result<(&'static str, Vec<u8>), ResolutionError> {
    let media_type = match accept.trim() {
        MEDIA_TYPE_DID_LD_JSON => MEDIA_TYPE_DID_LD_JSON,
        MEDIA_TYPE_DID_JSON => MEDIA_TYPE_DID_JSON,
        _ => return Err(ResolutionError::RepresentationNotSupported),
    };
    let doc = resolver.resolve(did).await?;
    let bytes = serde_json::to_vec(&doc.to_json())
        .map_err(|_| ResolutionError::RepresentationNotSupported)?;
    Ok((media_type, bytes))
}

/// Resolves did:key and did:jwk by computation alone (no IO): usable both as an async
/// [`DidResolver`] and as a synchronous [`KeyResolver`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineResolver {
    did_key_options: DidKeyOptions,
}

impl OfflineResolver {
    /// A resolver producing did:key documents with the given options.
    pub fn new(did_key_options: DidKeyOptions) -> Self {
        OfflineResolver { did_key_options }
    }

    /// The document of a did:key or did:jwk; `methodNotSupported` for other methods.
    pub fn resolve_now(&self, did: &str) -> Result<DidDocument, ResolutionError> {
        let parsed = Did::parse(did)?;
        match parsed.method() {
            "key" => Ok(DidKey::parse(did)?.document(self.did_key_options)),
            "jwk" => Ok(DidJwk::parse(did)?.document()),
            _ => Err(ResolutionError::MethodNotSupported),
        }
    }

    /// True if this resolver handles the DID's method.
    pub fn handles(did: &Did) -> bool {
        matches!(did.method(), "key" | "jwk")
    }
}

#[async_trait::async_trait]
impl DidResolver for OfflineResolver {
    async fn resolve(&self, did: &str) -> Result<DidDocument, ResolutionError> {
        self.resolve_now(did)
    }
}

impl KeyResolver for OfflineResolver {
    fn resolve_key(
        &self,
        verification_method: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        let url = DidUrl::parse(verification_method).map_err(|_| KeyResolutionError::InvalidId)?;
        let doc = self
            .resolve_now(url.did().as_str())
            .map_err(|e| e.to_key_resolution_error())?;
        doc.resolve_key(verification_method, relationship)
    }
}

/// Dispatches to did:key, did:jwk (computed) and did:web (retrieved); every other method is
/// `methodNotSupported`.
pub struct UniversalResolver {
    offline: OfflineResolver,
    web: Option<Box<dyn DidResolver>>,
}

impl std::fmt::Debug for UniversalResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniversalResolver")
            .field("offline", &self.offline)
            .field("web", &self.web.is_some())
            .finish()
    }
}

impl UniversalResolver {
    /// did:key, did:jwk and did:web through `web` (a [`crate::DidWebResolver`]).
    pub fn new(web: impl DidResolver + 'static) -> Self {
        UniversalResolver {
            offline: OfflineResolver::default(),
            web: Some(Box::new(web)),
        }
    }

    /// did:key and did:jwk only; did:web is `methodNotSupported`.
    pub fn offline() -> Self {
        UniversalResolver {
            offline: OfflineResolver::default(),
            web: None,
        }
    }

    /// Sets the did:key document options.
    pub fn with_did_key_options(mut self, options: DidKeyOptions) -> Self {
        self.offline = OfflineResolver::new(options);
        self
    }
}

#[async_trait::async_trait]
impl DidResolver for UniversalResolver {
    async fn resolve(&self, did: &str) -> Result<DidDocument, ResolutionError> {
        let parsed = Did::parse(did)?;
        match (parsed.method(), &self.web) {
            ("key" | "jwk", _) => self.offline.resolve_now(did),
            ("web", Some(web)) => web.resolve(did).await,
            _ => Err(ResolutionError::MethodNotSupported),
        }
    }
}

/// DID documents resolved ahead of a synchronous verification.
///
/// Fill it by awaiting [`ResolvedDocuments::resolve_all`] for the DIDs a proof names, then
/// hand it to `credentials` as the [`KeyResolver`]. A lookup answers from the stored
/// document (`NotAuthorized` when the method is not under the relationship), reports the
/// stored failure of a DID that could not be resolved, and computes did:key / did:jwk
/// documents on the fly. A DID that was never resolved is `ResolutionFailed` (could not
/// verify), never a silent pass.
#[derive(Debug, Clone, Default)]
pub struct ResolvedDocuments {
    entries: HashMap<String, Result<DidDocument, ResolutionError>>,
    offline: OfflineResolver,
}

impl ResolvedDocuments {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolves each distinct DID among `ids` (DIDs or DID URLs such as verification method
    /// ids), recording failures too.
    pub async fn resolve_all<'a>(
        resolver: &(dyn DidResolver + '_),
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut set = Self::new();
        for id in ids {
            let did = match DidUrl::parse(id) {
                Ok(url) => url.did().as_str().to_owned(),
                Err(e) => {
                    set.entries.insert(id.to_owned(), Err(e.into()));
                    continue;
                }
            };
            if set.entries.contains_key(&did) {
                continue;
            }
            let result = resolver.resolve(&did).await;
            set.entries.insert(did, result);
        }
        set
    }

    /// Adds a resolved document.
    pub fn insert(&mut self, document: DidDocument) {
        self.entries
            .insert(document.id().as_str().to_owned(), Ok(document));
    }

    /// The stored document of `did`.
    pub fn document(&self, did: &str) -> Option<&DidDocument> {
        self.entries.get(did).and_then(|r| r.as_ref().ok())
    }

    /// The stored resolution failure of `did`.
    pub fn failure(&self, did: &str) -> Option<&ResolutionError> {
        self.entries.get(did).and_then(|r| r.as_ref().err())
    }
}

impl KeyResolver for ResolvedDocuments {
    fn resolve_key(
        &self,
        verification_method: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        let url = DidUrl::parse(verification_method).map_err(|_| KeyResolutionError::InvalidId)?;
        match self.entries.get(url.did().as_str()) {
            Some(Ok(doc)) => doc.resolve_key(verification_method, relationship),
            Some(Err(e)) => Err(e.to_key_resolution_error()),
            None if OfflineResolver::handles(url.did()) => {
                self.offline.resolve_key(verification_method, relationship)
            }
            None => Err(KeyResolutionError::ResolutionFailed),
        }
    }
}
