//! did:jwk (did:jwk Method Specification): `did:jwk:` + base64url(UTF-8 JSON of a public JWK).
//!
//! The document has one `JsonWebKey2020` verification method `#0` carrying the JWK as given;
//! it is referenced from all five relationships, except that `use: "sig"` leaves out
//! `keyAgreement` and `use: "enc"` keeps only `keyAgreement` (spec, "To create the DID
//! Document").

use credentials::keys::PublicKey;
use credentials::{KeyError, Relationship, base64url};
use serde_json::Value;

use crate::did::{Did, DidUrl};
use crate::document::{
    DID_V1_CONTEXT, DidDocument, JWS_2020_CONTEXT, KeyMaterial, VerificationMethod,
};
use crate::error::{InvalidDidReason, ResolutionError};

/// Largest decoded JWK accepted (a bound on untrusted input).
pub const MAX_JWK_LEN: usize = 4096;

/// A parsed did:jwk: the DID and the JWK it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidJwk {
    did: Did,
    jwk: Value,
}

impl DidJwk {
    /// The did:jwk of a public key: its JWK with members in lexicographic order and no
    /// whitespace (the RFC 7638 member order; the spec recommends, but does not require, a
    /// canonical form).
    pub fn from_public_key(key: &PublicKey) -> Self {
        Self::from_jwk_unchecked(key.to_jwk())
    }

    /// The did:jwk of a signing-only public key: its JWK with `"use": "sig"`, so the
    /// document does not list it for key agreement.
    pub fn from_public_key_for_signing(key: &PublicKey) -> Self {
        let mut jwk = key.to_jwk();
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("use".into(), Value::String("sig".into()));
            obj.sort_keys();
        }
        Self::from_jwk_unchecked(jwk)
    }

    fn from_jwk_unchecked(jwk: Value) -> Self {
        let text = format!("did:jwk:{}", base64url::encode(jwk.to_string()));
        // base64url characters are all `idchar`s.
        let did = Did::parse(&text).unwrap_or_else(|_| unreachable!("base64url is idchar"));
        DidJwk { did, jwk }
    }

    /// Parses and checks a did:jwk (spec, "Read"): strict base64url, a JSON object, a public
    /// key only (a private JWK must be rejected), a supported key type.
    pub fn parse(did: &str) -> Result<Self, ResolutionError> {
        let parsed = Did::parse(did)?;
        if parsed.method() != "jwk" {
            return Err(ResolutionError::InvalidDid(InvalidDidReason::WrongMethod));
        }
        let encoded = parsed.method_specific_id();
        let invalid = ResolutionError::InvalidDid(InvalidDidReason::InvalidEncoding);
        if encoded.len() > MAX_JWK_LEN * 4 / 3 + 4 {
            return Err(invalid);
        }
        let bytes = base64url::decode(encoded).map_err(|_| invalid.clone())?;
        let jwk: Value = serde_json::from_slice(&bytes).map_err(|_| invalid.clone())?;
        let obj = jwk.as_object().ok_or(invalid)?;
        // Spec, Security: "a JWK for a private key ... must be rejected".
        if obj.contains_key("d") {
            return Err(ResolutionError::InvalidDid(
                InvalidDidReason::PrivateKeyMaterial,
            ));
        }
        check_jwk(&jwk)?;
        Ok(DidJwk { did: parsed, jwk })
    }

    /// The DID.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The JWK as encoded in the DID.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// The verification key, for the key types `credentials` verifies with (Ed25519, P-256).
    pub fn public_key(&self) -> Result<PublicKey, ResolutionError> {
        PublicKey::from_jwk(&self.jwk).map_err(key_error)
    }

    /// The verification method id `did:jwk:...#0` (the only valid fragment).
    pub fn verification_method_id(&self) -> DidUrl {
        self.did
            .with_fragment("0")
            .unwrap_or_else(|_| unreachable!("0 is a valid fragment"))
    }

    /// The DID document (spec, "To create the DID Document").
    pub fn document(&self) -> DidDocument {
        let mut doc = DidDocument::new(self.did.clone());
        doc.set_context(vec![DID_V1_CONTEXT.into(), JWS_2020_CONTEXT.into()]);
        let vm = VerificationMethod::with_material(
            self.verification_method_id(),
            "JsonWebKey2020",
            self.did.clone(),
            KeyMaterial::Jwk(self.jwk.clone()),
        );
        let relationships: &[Relationship] = match self.jwk.get("use").and_then(Value::as_str) {
            Some("sig") => &[
                Relationship::AssertionMethod,
                Relationship::Authentication,
                Relationship::CapabilityInvocation,
                Relationship::CapabilityDelegation,
            ],
            Some("enc") => &[Relationship::KeyAgreement],
            _ => &[
                Relationship::AssertionMethod,
                Relationship::Authentication,
                Relationship::CapabilityInvocation,
                Relationship::CapabilityDelegation,
                Relationship::KeyAgreement,
            ],
        };
        doc.add_verification_method(vm, relationships);
        doc
    }
}

fn key_error(e: KeyError) -> ResolutionError {
    match e {
        KeyError::InvalidLength => ResolutionError::InvalidPublicKeyLength,
        KeyError::InvalidKey => ResolutionError::InvalidPublicKey,
        _ => ResolutionError::UnsupportedPublicKeyType,
    }
}

/// Validates the JWK's key: Ed25519 and P-256 through `credentials`, X25519 (`use: enc`
/// keys) by its length; anything else is unsupported.
fn check_jwk(jwk: &Value) -> Result<(), ResolutionError> {
    let kty = jwk.get("kty").and_then(Value::as_str);
    let crv = jwk.get("crv").and_then(Value::as_str);
    match (kty, crv) {
        (Some("OKP"), Some("X25519")) => {
            let x = jwk
                .get("x")
                .and_then(Value::as_str)
                .ok_or(ResolutionError::InvalidPublicKey)?;
            let bytes = base64url::decode(x).map_err(|_| ResolutionError::InvalidPublicKey)?;
            if bytes.len() != 32 {
                return Err(ResolutionError::InvalidPublicKeyLength);
            }
            Ok(())
        }
        _ => {
            let key = PublicKey::from_jwk(jwk).map_err(key_error)?;
            if let PublicKey::Ed25519(k) = &key
                && k.is_weak()
            {
                return Err(ResolutionError::InvalidPublicKey);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::{Ed25519SigningKey, Signer as _};
    use serde_json::json;

    fn did_of(jwk: &Value) -> String {
        format!("did:jwk:{}", base64url::encode(jwk.to_string()))
    }

    #[test]
    fn private_jwk_is_rejected() {
        let mut jwk = Ed25519SigningKey::from_seed(&[1; 32]).public_key().to_jwk();
        jwk["d"] = json!(base64url::encode([1u8; 32]));
        assert_eq!(
            DidJwk::parse(&did_of(&jwk)),
            Err(ResolutionError::InvalidDid(
                InvalidDidReason::PrivateKeyMaterial
            ))
        );
    }

    #[test]
    fn encoding_rules() {
        let invalid = Err(ResolutionError::InvalidDid(
            InvalidDidReason::InvalidEncoding,
        ));
        // Padding is not base64url as the spec's grammar `[A-Za-z0-9_-]+` allows; '=' is not
        // even DID syntax.
        assert_eq!(
            DidJwk::parse("did:jwk:e30").map(|_| ()),
            Err(ResolutionError::UnsupportedPublicKeyType)
        );
        assert_eq!(DidJwk::parse("did:jwk:W10"), invalid, "[] is not an object");
        assert_eq!(DidJwk::parse("did:jwk:bm90IGpzb24"), invalid, "not json");
        assert!(DidJwk::parse("did:jwk:e30=").unwrap_err().code() == "invalidDid");
    }

    #[test]
    fn unsupported_and_invalid_keys() {
        let rsa = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
        assert_eq!(
            DidJwk::parse(&did_of(&rsa)),
            Err(ResolutionError::UnsupportedPublicKeyType)
        );
        let short = json!({"kty": "OKP", "crv": "Ed25519", "x": base64url::encode([9u8; 31])});
        assert_eq!(
            DidJwk::parse(&did_of(&short)),
            Err(ResolutionError::InvalidPublicKeyLength)
        );
        let x_short = json!({"kty": "OKP", "crv": "X25519", "use": "enc",
            "x": base64url::encode([9u8; 31])});
        assert_eq!(
            DidJwk::parse(&did_of(&x_short)),
            Err(ResolutionError::InvalidPublicKeyLength)
        );
        // P-256 point not on the curve.
        let off = json!({"kty": "EC", "crv": "P-256", "x": base64url::encode([1u8; 32]),
            "y": base64url::encode([1u8; 32])});
        assert_eq!(
            DidJwk::parse(&did_of(&off)),
            Err(ResolutionError::InvalidPublicKey)
        );
    }

    #[test]
    fn use_sig_leaves_out_key_agreement() {
        let key = Ed25519SigningKey::from_seed(&[2; 32]).public_key();
        let did = DidJwk::from_public_key_for_signing(&key);
        let doc = DidJwk::parse(did.did().as_str()).unwrap().document();
        assert!(doc.relationship(Relationship::KeyAgreement).is_empty());
        assert_eq!(doc.relationship(Relationship::AssertionMethod).len(), 1);
        let plain = DidJwk::from_public_key(&key).document();
        assert_eq!(plain.relationship(Relationship::KeyAgreement).len(), 1);
    }
}
