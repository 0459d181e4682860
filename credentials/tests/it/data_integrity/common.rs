//! Shared fixtures: the W3C vector files, the vector key pair, and a small key resolver.

use credentials::data_integrity::{Cryptosuite, ProofOptions, VerifyOptions};
use credentials::{Ed25519SigningKey, KeyResolutionError, KeyResolver, PublicKey, Relationship};
use serde_json::Value;

pub fn vector_path(relative: &str) -> String {
    format!(
        "{}/../specs/vectors/vc-di-eddsa/{relative}",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub fn text(relative: &str) -> String {
    std::fs::read_to_string(vector_path(relative)).unwrap()
}

pub fn json(relative: &str) -> Value {
    serde_json::from_str(&text(relative)).unwrap()
}

/// `keyPair.json`: the public Multikey and the Ed25519 seed behind `privateKeyMultibase`
/// (multicodec `ed25519-priv`, 0x1300, varint `0x80 0x26`).
pub fn vector_key() -> Ed25519SigningKey {
    let pair = json("keyPair.json");
    let private = pair["privateKeyMultibase"].as_str().unwrap();
    let bytes = bs58::decode(&private[1..]).into_vec().unwrap();
    assert_eq!(&bytes[..2], &[0x80, 0x26]);
    let seed: [u8; 32] = bytes[2..].try_into().unwrap();
    Ed25519SigningKey::from_seed(&seed)
}

pub const VECTOR_DID: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
pub const VECTOR_VM: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

/// A resolver over a fixed table: verification method id, key, relationships it is
/// listed under. Unknown ids are `NotFound`, other relationships `NotAuthorized`.
#[derive(Default)]
pub struct TableResolver {
    entries: Vec<(String, PublicKey, Vec<Relationship>)>,
    unavailable: bool,
}

impl TableResolver {
    pub fn with(mut self, vm: &str, key: PublicKey, relationships: &[Relationship]) -> Self {
        self.entries
            .push((vm.to_owned(), key, relationships.to_vec()));
        self
    }

    /// Every lookup fails with `ResolutionFailed` (a network outage, say).
    pub fn unavailable() -> Self {
        Self {
            entries: Vec::new(),
            unavailable: true,
        }
    }
}

impl KeyResolver for TableResolver {
    fn resolve_key(
        &self,
        verification_method: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        if self.unavailable {
            return Err(KeyResolutionError::ResolutionFailed);
        }
        let (_, key, relationships) = self
            .entries
            .iter()
            .find(|(vm, _, _)| vm == verification_method)
            .ok_or(KeyResolutionError::NotFound)?;
        if relationships.contains(&relationship) {
            Ok(key.clone())
        } else {
            Err(KeyResolutionError::NotAuthorized)
        }
    }
}

/// did:key lists its single key under every relationship; the key comes from the Multikey
/// in `keyPair.json` via `PublicKey::from_multikey`.
pub fn did_key_resolver() -> TableResolver {
    let multikey = json("keyPair.json")["publicKeyMultibase"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = PublicKey::from_multikey(&multikey).unwrap();
    TableResolver::default().with(
        VECTOR_VM,
        key,
        &[Relationship::AssertionMethod, Relationship::Authentication],
    )
}

pub fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    credentials::vc::parse_date_time_stamp(text).unwrap()
}

/// Verification at 2024-06-01, after the vectors' `created` and `validFrom`. The vectors'
/// issuer (`https://vc.example/issuers/5678`) is not the DID of their `did:key` proof, so
/// the issuer-key binding is left to the caller here (`issuer_binding` tests it).
pub fn options() -> VerifyOptions {
    VerifyOptions {
        check_issuer_controls_key: false,
        ..VerifyOptions::new(at("2024-06-01T00:00:00Z"))
    }
}

/// The vectors' proof options (`proofConfig*.json`).
pub fn vector_proof_options() -> ProofOptions {
    ProofOptions::assertion(VECTOR_VM, at("2023-02-24T23:36:38Z"))
}

pub const SUITES: [Cryptosuite; 2] = [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022];

/// The vector credential signed with `suite` by the vector key.
pub fn signed(suite: Cryptosuite) -> Value {
    credentials::data_integrity::sign(
        &json("unsigned.json"),
        suite,
        &vector_proof_options(),
        &vector_key(),
    )
    .unwrap()
}
