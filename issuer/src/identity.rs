//! The issuer's DID: did:key of the active key by default, did:web when the public URL is an
//! https origin (or https base URL with a path).
//!
//! did:web: one DID for the service's lifetime; every key ever created is a verification
//! method (`#key-1`, `#key-2`, ...) listed under `assertionMethod`, so credentials signed
//! before a rotation keep verifying; only the active key is listed under `authentication`.
//! did:key: the DID *is* the key, so a rotation changes the issuer DID (decision 0703); the
//! old did:keys stay self-resolving.

use credentials::{PublicKey, Relationship};
use did_methods::{Did, DidDocument, DidKey, DidKeyOptions, VerificationMethod, did_web_from_url};
use serde_json::{Value, json};
use url::Url;

use crate::keyring::KeyInfo;

/// How the DID is formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DidMode {
    /// did:key of the active key.
    Key,
    /// did:web for an https public URL.
    Web(Did),
}

impl DidMode {
    /// did:web for an https public URL, did:key otherwise.
    pub fn for_public_url(public_url: &Url) -> Result<Self, did_methods::ResolutionError> {
        if public_url.scheme() == "https" {
            Ok(DidMode::Web(did_web_from_url(public_url)?))
        } else {
            Ok(DidMode::Key)
        }
    }

    /// The path the did:web document is served at (`/.well-known/did.json` for an origin).
    pub fn did_json_path(&self) -> Option<String> {
        match self {
            DidMode::Key => None,
            DidMode::Web(did) => did_methods::did_web_url(did)
                .ok()
                .map(|u| u.path().to_owned()),
        }
    }
}

/// A snapshot of the issuer identity at one moment (replaced on rotation).
#[derive(Debug, Clone)]
pub struct Identity {
    /// The DID.
    pub did: String,
    /// The verification method of the active key.
    pub verification_method: String,
    /// The active public key.
    pub public_key: PublicKey,
    /// The DID document (did:web) or the active did:key's document.
    pub document: Value,
    /// Every key with its verification method id.
    pub methods: Vec<(String, KeyInfo)>,
}

fn did_key_method(key: &PublicKey) -> (String, String) {
    let did_key = DidKey::from_public_key(key);
    (
        did_key.did().as_str().to_owned(),
        did_key.verification_method_id().to_string(),
    )
}

impl Identity {
    /// Builds the identity from the keyring's keys (oldest first) and the active key id.
    pub fn new(mode: &DidMode, keys: &[KeyInfo], active_kid: &str) -> Option<Self> {
        let active = keys.iter().find(|k| k.kid == active_kid)?;
        match mode {
            DidMode::Key => {
                let (did, vm) = did_key_method(&active.public_key);
                let document = DidKey::from_public_key(&active.public_key)
                    .document(DidKeyOptions::default())
                    .to_json();
                let methods = keys
                    .iter()
                    .map(|k| (did_key_method(&k.public_key).1, k.clone()))
                    .collect();
                Some(Self {
                    did,
                    verification_method: vm,
                    public_key: active.public_key.clone(),
                    document,
                    methods,
                })
            }
            DidMode::Web(did) => {
                let mut doc = DidDocument::new(did.clone());
                let mut methods = Vec::new();
                let mut active_vm = None;
                for k in keys {
                    let id = did.with_fragment(&k.kid).ok()?;
                    let vm = VerificationMethod::multikey(id.clone(), did.clone(), &k.public_key);
                    let relationships: &[Relationship] = if k.kid == active_kid {
                        active_vm = Some(id.to_string());
                        &[Relationship::AssertionMethod, Relationship::Authentication]
                    } else {
                        &[Relationship::AssertionMethod]
                    };
                    doc.add_verification_method(vm, relationships);
                    methods.push((id.to_string(), k.clone()));
                }
                Some(Self {
                    did: did.as_str().to_owned(),
                    verification_method: active_vm?,
                    public_key: active.public_key.clone(),
                    document: doc.to_json(),
                    methods,
                })
            }
        }
    }

    /// The key id of the active key.
    pub fn active_kid(&self) -> Option<&str> {
        self.methods
            .iter()
            .find(|(vm, _)| *vm == self.verification_method)
            .map(|(_, k)| k.kid.as_str())
    }

    /// The DID and verification method of key `kid` (for did:key, the did:key of that key).
    pub fn method_of(&self, kid: &str) -> Option<(String, String)> {
        let (vm, _) = self.methods.iter().find(|(_, k)| k.kid == kid)?;
        let did = vm.split_once('#').map(|(d, _)| d.to_owned())?;
        Some((did, vm.clone()))
    }

    /// The `GET /admin/identity` body.
    pub fn to_json(&self) -> Value {
        let methods: Vec<Value> = self
            .methods
            .iter()
            .map(|(id, k)| {
                json!({
                    "id": id,
                    "type": "Multikey",
                    "publicKeyMultibase": k.public_key.to_multikey(),
                    "publicKeyJwk": k.public_key.to_jwk(),
                    "kid": k.kid,
                    "created_at": k.created_at,
                    "retired_at": k.retired_at,
                    "active": k.retired_at.is_none(),
                })
            })
            .collect();
        json!({
            "did": self.did,
            "verification_method": self.verification_method,
            "verification_methods": methods,
            "did_document": self.document,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::{Ed25519SigningKey, Signer as _};

    fn info(kid: &str, seed: u8, retired: Option<i64>) -> KeyInfo {
        KeyInfo {
            kid: kid.into(),
            public_key: Ed25519SigningKey::from_seed(&[seed; 32]).public_key(),
            created_at: 0,
            retired_at: retired,
        }
    }

    #[test]
    fn http_url_gives_did_key_and_https_gives_did_web() {
        let url = Url::parse("http://127.0.0.1:8081").unwrap();
        assert_eq!(DidMode::for_public_url(&url).unwrap(), DidMode::Key);
        let web = DidMode::for_public_url(&Url::parse("https://id.example:8443").unwrap()).unwrap();
        let DidMode::Web(did) = &web else { panic!() };
        assert_eq!(did.as_str(), "did:web:id.example%3A8443");
        assert_eq!(web.did_json_path().unwrap(), "/.well-known/did.json");
        let path =
            DidMode::for_public_url(&Url::parse("https://id.example/issuers/a").unwrap()).unwrap();
        assert_eq!(path.did_json_path().unwrap(), "/issuers/a/did.json");
    }

    #[test]
    fn did_web_keeps_retired_keys_as_assertion_methods() {
        let mode = DidMode::for_public_url(&Url::parse("https://id.example").unwrap()).unwrap();
        let keys = [info("key-1", 1, Some(5)), info("key-2", 2, None)];
        let id = Identity::new(&mode, &keys, "key-2").unwrap();
        assert_eq!(id.verification_method, "did:web:id.example#key-2");
        let doc = DidDocument::from_json(&id.document).unwrap();
        for k in &keys {
            let vm = format!("did:web:id.example#{}", k.kid);
            let resolved = doc.resolve_key(&vm, Relationship::AssertionMethod).unwrap();
            assert_eq!(resolved, k.public_key);
        }
        assert!(
            doc.resolve_key("did:web:id.example#key-1", Relationship::Authentication)
                .is_err()
        );
    }

    #[test]
    fn did_key_follows_the_active_key() {
        let keys = [info("key-1", 1, Some(5)), info("key-2", 2, None)];
        let id = Identity::new(&DidMode::Key, &keys, "key-2").unwrap();
        assert_eq!(
            id.did,
            format!("did:key:{}", keys[1].public_key.to_multikey())
        );
        assert_eq!(id.methods.len(), 2);
    }
}
