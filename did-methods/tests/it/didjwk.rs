//! did:jwk: the method specification's examples and rules.

use credentials::{KeyResolutionError, KeyResolver, P256SigningKey, Relationship, Signer as _};
use did_methods::{DidJwk, InvalidDidReason, OfflineResolver, ResolutionError};
use serde_json::json;

// did:jwk spec (github.com/quartzjer/did-jwk spec.md), section "Examples", "P-256".
const P256_DID: &str = "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9";
// Same section, "X25519".
const X25519_DID: &str = "did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1EUThoYmVHZE5yZngtRkctSUswOCJ9";

#[test]
fn did_jwk_spec_example_p256_document() {
    let vm = format!("{P256_DID}#0");
    // The spec's document (its `authentication` entry has a stray "$" typo, corrected here).
    let expected = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": P256_DID,
        "verificationMethod": [{
            "id": vm,
            "type": "JsonWebKey2020",
            "controller": P256_DID,
            "publicKeyJwk": {
                "crv": "P-256",
                "kty": "EC",
                "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
                "y": "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE"
            }
        }],
        "assertionMethod": [vm],
        "authentication": [vm],
        "capabilityInvocation": [vm],
        "capabilityDelegation": [vm],
        "keyAgreement": [vm]
    });
    let parsed = DidJwk::parse(P256_DID).unwrap();
    assert_eq!(parsed.document().to_json(), expected);
    // Creating from the key gives the same DID: the example's JWK is in lexicographic order.
    let key = parsed.public_key().unwrap();
    assert_eq!(DidJwk::from_public_key(&key).did().as_str(), P256_DID);
    assert_eq!(
        OfflineResolver::default()
            .resolve_key(&vm, Relationship::AssertionMethod)
            .unwrap(),
        key
    );
}

#[test]
fn did_jwk_spec_example_x25519_document_use_enc() {
    let vm = format!("{X25519_DID}#0");
    let expected = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": X25519_DID,
        "verificationMethod": [{
            "id": vm,
            "type": "JsonWebKey2020",
            "controller": X25519_DID,
            "publicKeyJwk": {"kty": "OKP", "crv": "X25519", "use": "enc",
                "x": "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}
        }],
        "keyAgreement": [vm]
    });
    assert_eq!(
        DidJwk::parse(X25519_DID).unwrap().document().to_json(),
        expected
    );
    // `use: enc`: only keyAgreement, so it cannot verify an assertion.
    let offline = OfflineResolver::default();
    assert_eq!(
        offline.resolve_key(&vm, Relationship::AssertionMethod),
        Err(KeyResolutionError::NotAuthorized)
    );
    // X25519 is not a signature key: listed for key agreement, but not a verification key.
    assert_eq!(
        offline.resolve_key(&vm, Relationship::KeyAgreement),
        Err(KeyResolutionError::UnsupportedKey)
    );
}

#[test]
fn did_jwk_fragment_is_always_0() {
    // Spec, "To create the DID URL": `#0` is the only valid value, even with a `kid`.
    let key = P256SigningKey::from_bytes(&[8; 32]).unwrap().public_key();
    let mut jwk = key.to_jwk();
    jwk["kid"] = json!("my-key");
    let did = format!(
        "did:jwk:{}",
        credentials::base64url::encode(jwk.to_string())
    );
    let offline = OfflineResolver::default();
    assert!(
        offline
            .resolve_key(&format!("{did}#0"), Relationship::AssertionMethod)
            .is_ok()
    );
    assert_eq!(
        offline.resolve_key(&format!("{did}#my-key"), Relationship::AssertionMethod),
        Err(KeyResolutionError::NotFound)
    );
}

#[test]
fn did_jwk_private_key_must_be_rejected() {
    // Spec, "Security": a JWK for a private key must be rejected.
    let jwk = json!({"kty": "EC", "crv": "P-256",
        "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
        "y": "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE",
        "d": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAU"});
    let did = format!(
        "did:jwk:{}",
        credentials::base64url::encode(jwk.to_string())
    );
    let err = DidJwk::parse(&did).unwrap_err();
    assert_eq!(
        err,
        ResolutionError::InvalidDid(InvalidDidReason::PrivateKeyMaterial)
    );
    assert_eq!(err.code(), "invalidDid");
}

#[test]
fn did_jwk_strict_base64url() {
    // Standard-alphabet characters and padding ('+', '/', '=') are not even DID syntax.
    for bad in ["did:jwk:e30+", "did:jwk:e3/0", "did:jwk:e30="] {
        assert_eq!(
            DidJwk::parse(bad).unwrap_err().code(),
            "invalidDid",
            "{bad}"
        );
    }
    // "e30" is base64url("{}"); "e31" has non-zero trailing bits, which lenient decoders
    // also read as "{}": refused, so each JWK has one encoding.
    assert_eq!(
        DidJwk::parse("did:jwk:e31"),
        Err(ResolutionError::InvalidDid(
            InvalidDidReason::InvalidEncoding
        ))
    );
    assert_eq!(
        DidJwk::parse("did:jwk:e30x"),
        Err(ResolutionError::InvalidDid(
            InvalidDidReason::InvalidEncoding
        ))
    );
}

#[test]
fn did_jwk_signing_key_with_use_sig() {
    let signing = P256SigningKey::from_bytes(&[6; 32]).unwrap();
    let did = DidJwk::from_public_key_for_signing(&signing.public_key());
    let vm = did.verification_method_id().to_string();
    let offline = OfflineResolver::default();
    assert_eq!(
        offline
            .resolve_key(&vm, Relationship::Authentication)
            .unwrap(),
        signing.public_key()
    );
    assert_eq!(
        offline.resolve_key(&vm, Relationship::KeyAgreement),
        Err(KeyResolutionError::NotAuthorized)
    );
}
