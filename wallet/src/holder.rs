//! Holder keys and their DIDs.
//!
//! Keys are Ed25519, generated inside the wallet and stored only inside the encrypted vault.
//! Nothing public returns their secret bytes: callers get a [`HolderKey`] (public key, DID,
//! verification method) and sign through a [`HolderSigner`], which implements
//! [`credentials::Signer`] and borrows the wallet.
//!
//! By default every credential gets a fresh key (and so a fresh DID), so that two verifiers
//! who see presentations of two different credentials cannot link them by the holder key.

use chrono::{DateTime, Utc};
use credentials::jose::Algorithm;
use credentials::{Ed25519SigningKey, PublicKey, Signer, base64url};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::contents::CredentialId;

/// A holder key's identifier inside the wallet (not a DID).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(pub(crate) String);

impl KeyId {
    /// An id as given by a caller.
    pub fn new(id: String) -> Self {
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a holder key is named to the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DidMethod {
    /// `did:key:z6Mk...` (the multibase Multikey of the public key).
    #[default]
    Key,
    /// `did:jwk:...` (the base64url public JWK).
    Jwk,
}

impl DidMethod {
    /// The DID of `key` under this method.
    pub fn did(self, key: &PublicKey) -> String {
        match self {
            DidMethod::Key => format!("did:key:{}", key.to_multikey()),
            // `to_jwk` yields exactly the required members in lexicographic order with no
            // whitespace, i.e. the JCS (RFC 8785) form the did:jwk specification recommends.
            DidMethod::Jwk => format!("did:jwk:{}", base64url::encode(key.to_jwk().to_string())),
        }
    }

    /// The DID URL of the key's verification method: `did:key:X#X` (did:key section 3.1.2)
    /// or `did:jwk:X#0` (did:jwk section 2.2).
    pub fn verification_method(self, key: &PublicKey) -> String {
        match self {
            DidMethod::Key => format!("{}#{}", self.did(key), key.to_multikey()),
            DidMethod::Jwk => format!("{}#0", self.did(key)),
        }
    }
}

/// A stored key. The seed is zeroized on drop and never printed.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct KeyRecord {
    pub(crate) id: KeyId,
    #[serde(with = "seed_serde")]
    pub(crate) seed: Zeroizing<[u8; 32]>,
    pub(crate) did_method: DidMethod,
    pub(crate) created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) credential: Option<CredentialId>,
}

impl std::fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRecord")
            .field("id", &self.id)
            .field("did_method", &self.did_method)
            .finish_non_exhaustive()
    }
}

impl KeyRecord {
    pub(crate) fn generate<R: rand_core::CryptoRng + rand_core::RngCore>(
        id: KeyId,
        did_method: DidMethod,
        rng: &mut R,
        now: DateTime<Utc>,
    ) -> Self {
        let key = Ed25519SigningKey::generate(rng);
        Self {
            id,
            seed: key.to_seed(),
            did_method,
            created_at: now,
            credential: None,
        }
    }

    fn signing_key(&self) -> Ed25519SigningKey {
        Ed25519SigningKey::from_seed(&self.seed)
    }

    pub(crate) fn public_key(&self) -> PublicKey {
        self.signing_key().public_key()
    }

    pub(crate) fn info(&self) -> HolderKey {
        let public_key = self.public_key();
        HolderKey {
            id: self.id.clone(),
            did: self.did_method.did(&public_key),
            verification_method: self.did_method.verification_method(&public_key),
            did_method: self.did_method,
            public_key,
            created_at: self.created_at,
            credential: self.credential.clone(),
        }
    }

    pub(crate) fn signer(&self) -> HolderSigner<'_> {
        HolderSigner {
            key: self.signing_key(),
            record: self,
        }
    }
}

/// The public face of a holder key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderKey {
    /// The wallet-internal id.
    pub id: KeyId,
    /// The holder DID.
    pub did: String,
    /// The DID URL of the verification method (a JWS `kid`, a Data Integrity
    /// `verificationMethod`).
    pub verification_method: String,
    /// The DID method.
    pub did_method: DidMethod,
    /// The public key.
    pub public_key: PublicKey,
    /// When the key was generated.
    pub created_at: DateTime<Utc>,
    /// The credential the key is bound to, once one is.
    pub credential: Option<CredentialId>,
}

/// Signs with a holder key on the holder's behalf. It borrows the wallet and never exposes
/// the key bytes; dropping it zeroizes its copy of the key.
pub struct HolderSigner<'a> {
    key: Ed25519SigningKey,
    record: &'a KeyRecord,
}

impl HolderSigner<'_> {
    /// The key's wallet id.
    pub fn key_id(&self) -> &KeyId {
        &self.record.id
    }

    /// The DID URL to put in a JWS `kid` or a proof's `verificationMethod`.
    pub fn verification_method(&self) -> String {
        self.record
            .did_method
            .verification_method(&self.key.public_key())
    }

    /// The holder DID.
    pub fn did(&self) -> String {
        self.record.did_method.did(&self.key.public_key())
    }

    /// The key itself, for proof libraries that take it by type (Data Integrity). Never
    /// leaves the crate.
    pub(crate) fn ed25519(&self) -> &Ed25519SigningKey {
        &self.key
    }
}

impl std::fmt::Debug for HolderSigner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HolderSigner")
            .field("key_id", &self.record.id)
            .finish_non_exhaustive()
    }
}

impl Signer for HolderSigner<'_> {
    fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }
    fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message)
    }
}

/// The seed as a JSON array of 32 numbers: serde_json writes it straight into the (zeroizing)
/// output buffer and reads it straight into zeroizing memory, with no intermediate string.
mod seed_serde {
    use serde::de::{Error as _, SeqAccess, Visitor};
    use serde::ser::SerializeTuple as _;
    use serde::{Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub(super) fn serialize<S: Serializer>(
        seed: &Zeroizing<[u8; 32]>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut tuple = s.serialize_tuple(32)?;
        for byte in seed.iter() {
            tuple.serialize_element(byte)?;
        }
        tuple.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Zeroizing<[u8; 32]>, D::Error> {
        struct SeedVisitor;
        impl<'de> Visitor<'de> for SeedVisitor {
            type Value = Zeroizing<[u8; 32]>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("32 bytes")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut seed = Zeroizing::new([0u8; 32]);
                for (i, slot) in seed.iter_mut().enumerate() {
                    *slot = seq
                        .next_element()?
                        .ok_or_else(|| A::Error::invalid_length(i, &self))?;
                }
                if seq.next_element::<u8>()?.is_some() {
                    return Err(A::Error::invalid_length(33, &self));
                }
                Ok(seed)
            }
        }
        d.deserialize_tuple(32, SeedVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::jose::{CompactJws, sign_compact};
    use serde_json::{Map, json};

    fn record(seed: u8, method: DidMethod) -> KeyRecord {
        KeyRecord {
            id: KeyId("k1".into()),
            seed: Zeroizing::new([seed; 32]),
            did_method: method,
            created_at: DateTime::UNIX_EPOCH,
            credential: None,
        }
    }

    #[test]
    fn did_key_of_the_rfc8032_test_key() {
        // RFC 8032 section 7.1 TEST 1 public key d75a98...511a as a did:key: the value the
        // did:key test suites give for this key.
        let seed: [u8; 32] =
            credentials::base64url::decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
                .unwrap()
                .try_into()
                .unwrap();
        let public = Ed25519SigningKey::from_seed(&seed).public_key();
        let did = DidMethod::Key.did(&public);
        assert_eq!(
            did,
            "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw"
        );
        assert_eq!(
            DidMethod::Key.verification_method(&public),
            format!("{did}#z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw")
        );
    }

    #[test]
    fn did_jwk_encodes_the_public_jwk_only() {
        let r = record(3, DidMethod::Jwk);
        let info = r.info();
        let encoded = info.did.strip_prefix("did:jwk:").unwrap();
        let jwk: serde_json::Value =
            serde_json::from_slice(&credentials::base64url::decode(encoded).unwrap()).unwrap();
        assert_eq!(jwk, json!({"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}));
        assert!(jwk.get("d").is_none());
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), info.public_key);
        assert_eq!(info.verification_method, format!("{}#0", info.did));
    }

    #[test]
    fn signer_signs_with_the_holder_key() {
        let r = record(4, DidMethod::Key);
        let signer = r.signer();
        let jws = sign_compact(Map::new(), &Map::new(), &signer);
        CompactJws::parse(&jws)
            .unwrap()
            .verify(&r.info().public_key, &[Algorithm::EdDSA])
            .unwrap();
        assert_eq!(signer.did(), r.info().did);
    }

    #[test]
    fn debug_output_never_shows_the_seed() {
        let r = record(0xab, DidMethod::Key);
        let seed_hex = "ab".repeat(32);
        for shown in [
            format!("{r:?}"),
            format!("{:?}", r.signer()),
            format!("{:?}", r.info()),
        ] {
            assert!(!shown.to_lowercase().contains(&seed_hex), "{shown}");
            assert!(!shown.contains("171, 171"), "{shown}");
        }
    }

    #[test]
    fn seed_round_trips_and_wrong_lengths_are_refused() {
        let r = record(9, DidMethod::Key);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["seed"].as_array().unwrap().len(), 32);
        let back: KeyRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.info(), r.info());
        let mut short = json.clone();
        short["seed"].as_array_mut().unwrap().pop();
        assert!(serde_json::from_value::<KeyRecord>(short).is_err());
        let mut long = json;
        long["seed"].as_array_mut().unwrap().push(json!(1));
        assert!(serde_json::from_value::<KeyRecord>(long).is_err());
    }
}
