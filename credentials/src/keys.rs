//! Keys: Ed25519 signing keys held in zeroizing memory, public keys (Ed25519 and P-256),
//! and their Multikey and JWK encodings.
//!
//! Ed25519 signatures are verified with `verify_strict` (no small-order keys, canonical `S`,
//! no malleability). A signing key is never printed: its `Debug` is redacted.

use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::base64url;
use crate::jose::Algorithm;

/// Multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed, as an unsigned varint).
pub const MULTICODEC_ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix of a P-256 public key (`p256-pub`, 0x1200, as an unsigned varint).
pub const MULTICODEC_P256_PUB: [u8; 2] = [0x80, 0x24];
/// Multicodec prefix of an X25519 public key (`x25519-pub`, 0xec, as an unsigned varint).
pub const MULTICODEC_X25519_PUB: [u8; 2] = [0xec, 0x01];

/// Why a key could not be decoded or a signature not checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not a base58btc (`z`) multibase string.
    #[error("not a base58btc multibase value")]
    NotBase58Btc,
    /// The multicodec prefix is not one this crate accepts.
    #[error("unsupported multicodec key type")]
    UnsupportedKeyType,
    /// The key bytes have the wrong length for their type.
    #[error("wrong key length")]
    InvalidLength,
    /// The key bytes do not encode a valid point.
    #[error("invalid public key")]
    InvalidKey,
    /// A JWK was malformed, of an unsupported type, or carried private key material.
    #[error("invalid or unsupported JWK")]
    InvalidJwk,
    /// The algorithm does not fit the key (e.g. ES256 with an Ed25519 key).
    #[error("algorithm does not match key type")]
    AlgorithmMismatch,
    /// The signature did not verify.
    #[error("signature verification failed")]
    BadSignature,
}

/// A public verification key.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 key (RFC 8032).
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A NIST P-256 key.
    P256(p256::PublicKey),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PublicKey")
            .field(&self.to_multikey())
            .finish()
    }
}

impl PublicKey {
    /// The JWS algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::EdDSA,
            PublicKey::P256(_) => Algorithm::ES256,
        }
    }

    /// Multicodec-prefixed key bytes (Ed25519: 0xed01 + 32 bytes; P-256: 0x8024 + 33-byte
    /// compressed point).
    pub fn to_multicodec(&self) -> Vec<u8> {
        match self {
            PublicKey::Ed25519(k) => [&MULTICODEC_ED25519_PUB[..], k.as_bytes()].concat(),
            PublicKey::P256(k) => {
                let point = k.to_encoded_point(true);
                [&MULTICODEC_P256_PUB[..], point.as_bytes()].concat()
            }
        }
    }

    /// The Multikey `publicKeyMultibase` value: `z` + base58btc(multicodec bytes).
    pub fn to_multikey(&self) -> String {
        format!("z{}", bs58::encode(self.to_multicodec()).into_string())
    }

    /// Parses multicodec-prefixed key bytes, with an exact prefix and key length.
    pub fn from_multicodec(bytes: &[u8]) -> Result<Self, KeyError> {
        if let Some(raw) = bytes.strip_prefix(&MULTICODEC_ED25519_PUB[..]) {
            let raw: [u8; 32] = raw.try_into().map_err(|_| KeyError::InvalidLength)?;
            let key =
                ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|_| KeyError::InvalidKey)?;
            Ok(PublicKey::Ed25519(key))
        } else if let Some(raw) = bytes.strip_prefix(&MULTICODEC_P256_PUB[..]) {
            if raw.len() != 33 {
                return Err(KeyError::InvalidLength);
            }
            let key = p256::PublicKey::from_sec1_bytes(raw).map_err(|_| KeyError::InvalidKey)?;
            Ok(PublicKey::P256(key))
        } else {
            Err(KeyError::UnsupportedKeyType)
        }
    }

    /// Parses a Multikey `publicKeyMultibase` value (base58btc `z` only).
    pub fn from_multikey(multibase: &str) -> Result<Self, KeyError> {
        let encoded = multibase.strip_prefix('z').ok_or(KeyError::NotBase58Btc)?;
        let bytes = bs58::decode(encoded)
            .into_vec()
            .map_err(|_| KeyError::NotBase58Btc)?;
        Self::from_multicodec(&bytes)
    }

    /// The public JWK (RFC 7517 / RFC 8037), members in lexicographic order.
    pub fn to_jwk(&self) -> Value {
        match self {
            PublicKey::Ed25519(k) => json!({
                "crv": "Ed25519",
                "kty": "OKP",
                "x": base64url::encode(k.as_bytes()),
            }),
            PublicKey::P256(k) => {
                let point = k.to_encoded_point(false);
                // An uncompressed point always has both coordinates.
                let x = point.x().map(base64url::encode).unwrap_or_default();
                let y = point.y().map(base64url::encode).unwrap_or_default();
                json!({ "crv": "P-256", "kty": "EC", "x": x, "y": y })
            }
        }
    }

    /// Parses a public JWK. Refuses private key material (`d`), unknown key types and curves,
    /// and coordinates of the wrong length.
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let obj = jwk.as_object().ok_or(KeyError::InvalidJwk)?;
        if obj.contains_key("d") {
            return Err(KeyError::InvalidJwk);
        }
        let field = |name: &str| obj.get(name).and_then(Value::as_str);
        let coordinate = |name: &str| -> Result<Vec<u8>, KeyError> {
            base64url::decode(field(name).ok_or(KeyError::InvalidJwk)?)
                .map_err(|_| KeyError::InvalidJwk)
        };
        match (field("kty"), field("crv")) {
            (Some("OKP"), Some("Ed25519")) => {
                let raw: [u8; 32] = coordinate("x")?
                    .try_into()
                    .map_err(|_| KeyError::InvalidLength)?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&raw)
                    .map_err(|_| KeyError::InvalidKey)?;
                Ok(PublicKey::Ed25519(key))
            }
            (Some("EC"), Some("P-256")) => {
                let x = coordinate("x")?;
                let y = coordinate("y")?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(KeyError::InvalidLength);
                }
                let sec1 = [&[0x04u8][..], &x, &y].concat();
                let key =
                    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| KeyError::InvalidKey)?;
                Ok(PublicKey::P256(key))
            }
            _ => Err(KeyError::InvalidJwk),
        }
    }

    /// The RFC 7638 JWK thumbprint (SHA-256), base64url-encoded.
    pub fn jwk_thumbprint(&self) -> String {
        // `to_jwk` holds exactly the required members in lexicographic order, and serde_json
        // writes them without whitespace, which is the RFC 7638 input.
        let canonical = self.to_jwk().to_string();
        base64url::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Verifies `signature` over `message` with algorithm `alg`.
    ///
    /// Ed25519 uses `verify_strict`; ES256 takes the 64-byte `r || s` form of RFC 7518
    /// section 3.4.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        match (self, alg) {
            (PublicKey::Ed25519(key), Algorithm::EdDSA) => {
                let signature = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| KeyError::BadSignature)?;
                key.verify_strict(message, &signature)
                    .map_err(|_| KeyError::BadSignature)
            }
            (PublicKey::P256(key), Algorithm::ES256) => {
                let signature = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| KeyError::BadSignature)?;
                p256::ecdsa::VerifyingKey::from(key)
                    .verify(message, &signature)
                    .map_err(|_| KeyError::BadSignature)
            }
            _ => Err(KeyError::AlgorithmMismatch),
        }
    }

    /// The X25519 key-agreement key birationally equivalent to an Ed25519 key (RFC 7748),
    /// as Multikey (`z6LS...`). `None` for other key types.
    pub fn x25519_multikey(&self) -> Option<String> {
        match self {
            PublicKey::Ed25519(k) => {
                let montgomery = k.to_montgomery();
                let bytes = [&MULTICODEC_X25519_PUB[..], montgomery.as_bytes()].concat();
                Some(format!("z{}", bs58::encode(bytes).into_string()))
            }
            PublicKey::P256(_) => None,
        }
    }
}

/// Something that signs on behalf of a key it never hands out.
pub trait Signer {
    /// The JWS algorithm of the signatures produced.
    fn algorithm(&self) -> Algorithm;
    /// The public key that verifies the signatures.
    fn public_key(&self) -> PublicKey;
    /// Signs `message` (JWS form: 64 bytes for both EdDSA and ES256).
    fn sign(&self, message: &[u8]) -> Vec<u8>;
}

/// An Ed25519 signing key. Zeroized on drop; `Debug` shows only the public key.
#[derive(Clone)]
pub struct Ed25519SigningKey(ed25519_dalek::SigningKey);

impl Ed25519SigningKey {
    /// A fresh key from a cryptographically secure RNG.
    pub fn generate<R: rand_core::CryptoRng + rand_core::RngCore>(rng: &mut R) -> Self {
        Self(ed25519_dalek::SigningKey::generate(rng))
    }

    /// A key from its 32-byte secret seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The 32-byte secret seed, for encrypted storage only.
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The raw 32-byte public key.
    pub fn verifying_key(&self) -> ed25519_dalek::VerifyingKey {
        self.0.verifying_key()
    }
}

impl std::fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519SigningKey")
            .field("public", &self.public_key().to_multikey())
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519SigningKey {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
    fn public_key(&self) -> PublicKey {
        PublicKey::Ed25519(self.0.verifying_key())
    }
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).to_bytes().to_vec()
    }
}

/// A P-256 signing key (ES256). This project signs with Ed25519; P-256 signing exists for
/// interoperability tests and holder keys of other wallets.
#[derive(Clone)]
pub struct P256SigningKey(p256::ecdsa::SigningKey);

impl P256SigningKey {
    /// A fresh key from a cryptographically secure RNG.
    pub fn generate<R: rand_core::CryptoRng + rand_core::RngCore>(rng: &mut R) -> Self {
        Self(p256::ecdsa::SigningKey::random(rng))
    }

    /// A key from its 32-byte big-endian scalar.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        p256::ecdsa::SigningKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| KeyError::InvalidKey)
    }
}

impl std::fmt::Debug for P256SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P256SigningKey")
            .field("public", &self.public_key().to_multikey())
            .finish_non_exhaustive()
    }
}

impl Signer for P256SigningKey {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
    fn public_key(&self) -> PublicKey {
        PublicKey::P256(p256::PublicKey::from(self.0.verifying_key()))
    }
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: p256::ecdsa::Signature =
            p256::ecdsa::signature::Signer::sign(&self.0, message);
        signature.to_bytes().to_vec()
    }
}

/// Reads `{"kty", "crv", "x", ...}` members of a JWK object, for callers holding a map.
pub fn public_key_from_jwk_map(map: &Map<String, Value>) -> Result<PublicKey, KeyError> {
    PublicKey::from_jwk(&Value::Object(map.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ed_key(seed: u8) -> Ed25519SigningKey {
        Ed25519SigningKey::from_seed(&[seed; 32])
    }

    #[test]
    fn rfc8032_test_1_public_key_and_signature() {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = Ed25519SigningKey::from_seed(&seed);
        assert_eq!(
            hex::encode(key.verifying_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = key.sign(b"");
        assert_eq!(
            hex::encode(&sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        key.public_key()
            .verify(Algorithm::EdDSA, b"", &sig)
            .unwrap();
    }

    #[test]
    fn multikey_prefixes_match_the_did_key_spec() {
        assert!(ed_key(1).public_key().to_multikey().starts_with("z6Mk"));
        let p = P256SigningKey::from_bytes(&[7; 32]).unwrap();
        assert!(p.public_key().to_multikey().starts_with("zDn"));
        assert!(
            ed_key(1)
                .public_key()
                .x25519_multikey()
                .unwrap()
                .starts_with("z6LS")
        );
    }

    #[test]
    fn multikey_rejects_wrong_base_prefix_and_length() {
        let good = ed_key(2).public_key().to_multikey();
        assert_eq!(
            PublicKey::from_multikey(&good.replacen('z', "u", 1)),
            Err(KeyError::NotBase58Btc)
        );
        let mut bytes = ed_key(2).public_key().to_multicodec();
        bytes.push(0);
        assert_eq!(
            PublicKey::from_multicodec(&bytes),
            Err(KeyError::InvalidLength)
        );
        bytes.truncate(33);
        assert_eq!(
            PublicKey::from_multicodec(&bytes),
            Err(KeyError::InvalidLength)
        );
        assert_eq!(
            PublicKey::from_multicodec(&[0xe7, 0x01, 1, 2, 3]),
            Err(KeyError::UnsupportedKeyType)
        );
    }

    #[test]
    fn jwk_with_private_member_is_refused() {
        let mut jwk = ed_key(3).public_key().to_jwk();
        jwk["d"] = Value::String(base64url::encode([0u8; 32]));
        assert_eq!(PublicKey::from_jwk(&jwk), Err(KeyError::InvalidJwk));
    }

    #[test]
    fn rfc8037_appendix_a_thumbprint() {
        // RFC 8037 Appendix A.3: thumbprint of the A.2 public key.
        let jwk = json!({"kty":"OKP","crv":"Ed25519",
            "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let key = PublicKey::from_jwk(&jwk).unwrap();
        assert_eq!(
            key.jwk_thumbprint(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn algorithm_confusion_is_refused() {
        let key = ed_key(4);
        let sig = key.sign(b"m");
        assert_eq!(
            key.public_key().verify(Algorithm::ES256, b"m", &sig),
            Err(KeyError::AlgorithmMismatch)
        );
    }

    #[test]
    fn es256_sign_verify() {
        let key = P256SigningKey::from_bytes(&[9; 32]).unwrap();
        let sig = key.sign(b"hello");
        assert_eq!(sig.len(), 64);
        key.public_key()
            .verify(Algorithm::ES256, b"hello", &sig)
            .unwrap();
        let jwk = key.public_key().to_jwk();
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), key.public_key());
    }

    #[test]
    fn signing_key_debug_is_redacted() {
        let key = ed_key(5);
        let shown = format!("{key:?}");
        assert!(!shown.contains(&hex::encode(key.to_seed().as_slice())));
        assert!(shown.contains("z6Mk"));
    }

    proptest! {
        #[test]
        fn multikey_and_jwk_round_trip(seed in any::<[u8; 32]>()) {
            let key = Ed25519SigningKey::from_seed(&seed).public_key();
            prop_assert_eq!(PublicKey::from_multikey(&key.to_multikey()).unwrap(), key.clone());
            prop_assert_eq!(PublicKey::from_jwk(&key.to_jwk()).unwrap(), key);
        }

        #[test]
        fn any_single_byte_change_to_a_signature_is_rejected(
            seed in any::<[u8; 32]>(), idx in 0usize..64, flip in 1u8..=255,
        ) {
            let key = Ed25519SigningKey::from_seed(&seed);
            let mut sig = key.sign(b"message");
            sig[idx] ^= flip;
            prop_assert!(key.public_key().verify(Algorithm::EdDSA, b"message", &sig).is_err());
        }
    }
}
