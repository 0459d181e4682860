//! did:key (W3C CCG did:key Method v0.7): a DID that is a public key.
//!
//! `did:key:<mb-value>` where `mb-value` is `z` + base58btc(multicodec varint || raw key):
//! Ed25519 (`0xed01` + 32 bytes, `z6Mk...`) and P-256 (`0x8024` + 33-byte compressed point,
//! `zDn...`). The document has one `Multikey` verification method whose fragment is the
//! `mb-value`, referenced from authentication, assertionMethod, capabilityDelegation and
//! capabilityInvocation. With [`DidKeyOptions::enable_encryption_key_derivation`] an Ed25519
//! document also carries the X25519 key-agreement key derived from it (spec section
//! "Encryption Method Creation Algorithm"), under `keyAgreement`.

use credentials::keys::{MULTICODEC_ED25519_PUB, MULTICODEC_P256_PUB, PublicKey};
use credentials::{Ed25519SigningKey, KeyError, Relationship, Signer as _};

use crate::did::{Did, DidUrl};
use crate::document::{DID_V1_CONTEXT, DidDocument, MULTIKEY_V1_CONTEXT, VerificationMethod};
use crate::error::{InvalidDidReason, ResolutionError};

/// Options of the did:key document creation algorithm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DidKeyOptions {
    /// Add the X25519 key-agreement method derived from an Ed25519 key (spec option
    /// `enableEncryptionKeyDerivation`). Off by default, as in the Multikey documents of the
    /// reference implementation (and the vectors).
    pub enable_encryption_key_derivation: bool,
}

/// A parsed did:key: the DID and the key it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidKey {
    did: Did,
    key: PublicKey,
}

impl DidKey {
    /// The did:key of a public key.
    pub fn from_public_key(key: &PublicKey) -> Self {
        let text = format!("did:key:{}", key.to_multikey());
        // A Multikey value is `z` + base58 characters, all of them `idchar`s.
        let did = Did::parse(&text).unwrap_or_else(|_| unreachable!("multikey is always idchar"));
        DidKey {
            did,
            key: key.clone(),
        }
    }

    /// A fresh Ed25519 key and its did:key.
    pub fn generate<R: rand_core::CryptoRng + rand_core::RngCore>(
        rng: &mut R,
    ) -> (Ed25519SigningKey, DidKey) {
        let signing = Ed25519SigningKey::generate(rng);
        let did = DidKey::from_public_key(&signing.public_key());
        (signing, did)
    }

    /// Parses and checks a did:key (spec section "Decode Public Key Algorithm").
    pub fn parse(did: &str) -> Result<Self, ResolutionError> {
        let parsed = Did::parse(did)?;
        if parsed.method() != "key" {
            return Err(ResolutionError::InvalidDid(InvalidDidReason::WrongMethod));
        }
        let mb = parsed.method_specific_id();
        // The optional version segment (`did:key:1:z...`) is not supported: one canonical
        // form per key.
        if mb.contains(':') {
            return Err(ResolutionError::InvalidDid(
                InvalidDidReason::UnsupportedForm,
            ));
        }
        // "The multibaseValue MUST be a string and begin with the letter z" -> invalidDid.
        let encoded = mb
            .strip_prefix('z')
            .ok_or(ResolutionError::InvalidDid(InvalidDidReason::NotBase58Btc))?;
        let bytes = bs58::decode(encoded)
            .into_vec()
            .map_err(|_| ResolutionError::InvalidDid(InvalidDidReason::InvalidBase58))?;
        let key = decode_multicodec_key(&bytes)?;
        Ok(DidKey { did: parsed, key })
    }

    /// The DID.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The id of the signature verification method: `did:key:<mb>#<mb>`.
    pub fn verification_method_id(&self) -> DidUrl {
        self.did
            .with_fragment(self.did.method_specific_id())
            .unwrap_or_else(|_| unreachable!("the multibase value is a valid fragment"))
    }

    /// The DID document (spec section "Document Creation Algorithm", Multikey format).
    pub fn document(&self, options: DidKeyOptions) -> DidDocument {
        let mut doc = DidDocument::new(self.did.clone());
        doc.set_context(vec![DID_V1_CONTEXT.into(), MULTIKEY_V1_CONTEXT.into()]);
        let vm = VerificationMethod::multikey(
            self.verification_method_id(),
            self.did.clone(),
            &self.key,
        );
        doc.add_verification_method(
            vm,
            &[
                Relationship::Authentication,
                Relationship::AssertionMethod,
                Relationship::CapabilityDelegation,
                Relationship::CapabilityInvocation,
            ],
        );
        if options.enable_encryption_key_derivation
            && let Some(x25519) = self.key.x25519_multikey()
            && let Ok(id) = self.did.with_fragment(&x25519)
        {
            let vm = VerificationMethod::with_material(
                id,
                "Multikey",
                self.did.clone(),
                crate::document::KeyMaterial::Multibase(x25519),
            );
            doc.add_verification_method(vm, &[Relationship::KeyAgreement]);
        }
        doc
    }
}

/// Splits the multicodec header and checks the exact key length (spec: invalidPublicKeyLength,
/// invalidPublicKey, unsupportedPublicKeyType).
fn decode_multicodec_key(bytes: &[u8]) -> Result<PublicKey, ResolutionError> {
    let expected_len = if bytes.starts_with(&MULTICODEC_ED25519_PUB) {
        32
    } else if bytes.starts_with(&MULTICODEC_P256_PUB) {
        33
    } else {
        return Err(ResolutionError::UnsupportedPublicKeyType);
    };
    if bytes.len() != 2 + expected_len {
        return Err(ResolutionError::InvalidPublicKeyLength);
    }
    let key = PublicKey::from_multicodec(bytes).map_err(|e| match e {
        KeyError::InvalidLength => ResolutionError::InvalidPublicKeyLength,
        KeyError::UnsupportedKeyType => ResolutionError::UnsupportedPublicKeyType,
        _ => ResolutionError::InvalidPublicKey,
    })?;
    // A small-order Ed25519 point is not a usable public key.
    if let PublicKey::Ed25519(k) = &key
        && k.is_weak()
    {
        return Err(ResolutionError::InvalidPublicKey);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::P256SigningKey;

    #[test]
    fn p256_did_key_round_trip_and_prefix() {
        let key = P256SigningKey::from_bytes(&[3; 32]).unwrap().public_key();
        let did = DidKey::from_public_key(&key);
        assert!(did.did().as_str().starts_with("did:key:zDn"));
        let parsed = DidKey::parse(did.did().as_str()).unwrap();
        assert_eq!(parsed.public_key(), &key);
        let doc = parsed.document(DidKeyOptions {
            enable_encryption_key_derivation: true,
        });
        // No key agreement key is derived from a P-256 key.
        assert!(doc.relationship(Relationship::KeyAgreement).is_empty());
    }

    #[test]
    fn wrong_method_and_versioned_form_are_invalid() {
        let did = DidKey::from_public_key(&Ed25519SigningKey::from_seed(&[1; 32]).public_key());
        let mb = did.did().method_specific_id();
        assert_eq!(
            DidKey::parse(&format!("did:example:{mb}"))
                .unwrap_err()
                .code(),
            "invalidDid"
        );
        assert_eq!(
            DidKey::parse(&format!("did:key:1:{mb}"))
                .unwrap_err()
                .code(),
            "invalidDid"
        );
        assert_eq!(
            DidKey::parse(&format!("key:{mb}")).unwrap_err().code(),
            "invalidDid"
        );
    }

    #[test]
    fn exact_multicodec_prefix_and_length() {
        let enc = |bytes: &[u8]| format!("did:key:z{}", bs58::encode(bytes).into_string());
        let mut ed = vec![0xed, 0x01];
        ed.extend(
            Ed25519SigningKey::from_seed(&[2; 32])
                .verifying_key()
                .as_bytes(),
        );
        assert!(DidKey::parse(&enc(&ed)).is_ok());
        let mut long = ed.clone();
        long.push(0);
        assert_eq!(
            DidKey::parse(&enc(&long)),
            Err(ResolutionError::InvalidPublicKeyLength)
        );
        assert_eq!(
            DidKey::parse(&enc(&ed[..33])),
            Err(ResolutionError::InvalidPublicKeyLength)
        );
        // secp256k1-pub (0xe7): not supported.
        let mut k1 = vec![0xe7, 0x01];
        k1.extend([2u8; 33]);
        assert_eq!(
            DidKey::parse(&enc(&k1)),
            Err(ResolutionError::UnsupportedPublicKeyType)
        );
        // P-256 uncompressed (65 bytes) is not the compressed form the method requires.
        let p = P256SigningKey::from_bytes(&[5; 32]).unwrap().public_key();
        let jwk = p.to_jwk();
        let x = credentials::base64url::decode(jwk["x"].as_str().unwrap()).unwrap();
        let y = credentials::base64url::decode(jwk["y"].as_str().unwrap()).unwrap();
        let mut unc = vec![0x80, 0x24, 0x04];
        unc.extend(x);
        unc.extend(y);
        assert_eq!(
            DidKey::parse(&enc(&unc)),
            Err(ResolutionError::InvalidPublicKeyLength)
        );
        // A compressed-point prefix byte that is not 02/03: not a point.
        let mut bad_point = vec![0x80, 0x24, 0x05];
        bad_point.extend([1u8; 32]);
        assert_eq!(
            DidKey::parse(&enc(&bad_point)),
            Err(ResolutionError::InvalidPublicKey)
        );
        // The Ed25519 identity point (small order).
        let mut weak = vec![0xed, 0x01, 1];
        weak.extend([0u8; 31]);
        assert_eq!(
            DidKey::parse(&enc(&weak)),
            Err(ResolutionError::InvalidPublicKey)
        );
    }

    #[test]
    fn base58btc_z_only() {
        let did = DidKey::from_public_key(&Ed25519SigningKey::from_seed(&[4; 32]).public_key());
        let mb = did.did().method_specific_id();
        // base58flickr ('Z') and base64url ('u') multibase prefixes are refused.
        for prefix in ["Z", "u", "f"] {
            let other = format!("did:key:{prefix}{}", &mb[1..]);
            assert_eq!(
                DidKey::parse(&other),
                Err(ResolutionError::InvalidDid(InvalidDidReason::NotBase58Btc))
            );
        }
        // '0', 'O', 'I', 'l' are outside the base58btc alphabet.
        let bad = format!("did:key:z0{}", &mb[2..]);
        assert_eq!(
            DidKey::parse(&bad),
            Err(ResolutionError::InvalidDid(InvalidDidReason::InvalidBase58))
        );
    }
}
