//! Holder keys and DIDs through the wallet API.

use credentials::jose::{Algorithm, CompactJws, sign_compact};
use credentials::{PublicKey, Signer as _};
use serde_json::Map;
use wallet::{DidMethod, KeyId, Wallet, WalletError};

use crate::support::*;

#[test]
fn every_credential_gets_a_fresh_unlinkable_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let mut rng = rng(7);
    let a = w
        .generate_holder_key(DidMethod::Key, &mut rng, now())
        .unwrap();
    let b = w
        .generate_holder_key(DidMethod::Key, &mut rng, now())
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_ne!(a.public_key, b.public_key);
    assert_ne!(a.did, b.did);
    assert!(a.did.starts_with("did:key:z6Mk"));
    assert_eq!(
        a.verification_method,
        format!("{}#{}", a.did, a.did.trim_start_matches("did:key:"))
    );
}

#[test]
fn keys_persist_and_sign_for_their_did() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let mut w = new_wallet(&path);
    let k = w
        .generate_holder_key(DidMethod::Jwk, &mut rng(8), now())
        .unwrap();
    assert!(k.did.starts_with("did:jwk:"));
    drop(w);
    let w = Wallet::open(&path, &pass(PASS), &TEST_CONFIG).unwrap();
    let signer = w.signer(&k.id).unwrap();
    assert_eq!(signer.verification_method(), k.verification_method);
    let mut header = Map::new();
    header.insert("kid".into(), signer.verification_method().into());
    let jws = sign_compact(header, &Map::new(), &signer);
    let parsed = CompactJws::parse(&jws).unwrap();
    // The verifier's view: the key from the DID itself, not from the wallet.
    let encoded = k.did.strip_prefix("did:jwk:").unwrap();
    let jwk: serde_json::Value =
        serde_json::from_slice(&credentials::base64url::decode(encoded).unwrap()).unwrap();
    parsed
        .verify(&PublicKey::from_jwk(&jwk).unwrap(), &[Algorithm::EdDSA])
        .unwrap();
}

#[test]
fn keys_are_found_by_public_key_and_did() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let k = w
        .generate_holder_key(DidMethod::Key, &mut rng(9), now())
        .unwrap();
    assert_eq!(w.holder_key_for_public_key(&k.public_key).unwrap().id, k.id);
    assert_eq!(w.holder_key_for_did(&k.did).unwrap().id, k.id);
    assert_eq!(
        w.holder_key_for_did(&k.verification_method).unwrap().id,
        k.id
    );
    let stranger = credentials::Ed25519SigningKey::from_seed(&[1; 32]).public_key();
    assert!(w.holder_key_for_public_key(&stranger).is_none());
    assert!(matches!(
        w.signer(&KeyId::new("nope".into())),
        Err(WalletError::UnknownKey(_))
    ));
    assert!(matches!(
        {
            let mut c = sd_jwt_credential("x");
            c.holder_key = Some(KeyId::new("nope".into()));
            w.store_credential(c, &mut rng(1), now())
        },
        Err(WalletError::UnknownKey(_))
    ));
    // The signer's public key is the key's.
    assert_eq!(w.signer(&k.id).unwrap().public_key(), k.public_key);
}

proptest::proptest! {
    /// The holder DIDs and verification methods the wallet hands out are exactly those the
    /// issuer and verifier derive and resolve (the `did-methods` crate).
    #[test]
    fn holder_dids_agree_with_did_methods(seed in proptest::prelude::any::<[u8; 32]>()) {
        let key = credentials::Ed25519SigningKey::from_seed(&seed).public_key();
        let did_key = did_methods::DidKey::from_public_key(&key);
        proptest::prop_assert_eq!(DidMethod::Key.did(&key), did_key.did().as_str());
        proptest::prop_assert_eq!(DidMethod::Key.verification_method(&key), did_key.verification_method_id().to_string());
        let did_jwk = did_methods::DidJwk::from_public_key(&key);
        proptest::prop_assert_eq!(DidMethod::Jwk.did(&key), did_jwk.did().as_str());
        proptest::prop_assert_eq!(DidMethod::Jwk.verification_method(&key), did_jwk.verification_method_id().to_string());
        // And they resolve back to the key.
        let parsed = did_methods::DidJwk::parse(&DidMethod::Jwk.did(&key)).unwrap();
        proptest::prop_assert_eq!(parsed.public_key().unwrap(), key);
    }
}
