//! Property tests: create -> resolve round trips for random keys, multibase round trips.

use credentials::keys::PublicKey;
use credentials::{Ed25519SigningKey, KeyResolver, P256SigningKey, Relationship, Signer as _};
use did_methods::{DidDocument, DidJwk, DidKey, DidKeyOptions, OfflineResolver};
use proptest::prelude::*;

fn p256(seed: [u8; 32]) -> Option<PublicKey> {
    P256SigningKey::from_bytes(&seed)
        .ok()
        .map(|k| k.public_key())
}

fn check_round_trips(key: &PublicKey) -> Result<(), TestCaseError> {
    let offline = OfflineResolver::default();
    // did:key
    let did_key = DidKey::from_public_key(key);
    let parsed = DidKey::parse(did_key.did().as_str()).unwrap();
    prop_assert_eq!(parsed.public_key(), key);
    let vm = did_key.verification_method_id().to_string();
    prop_assert_eq!(
        &offline
            .resolve_key(&vm, Relationship::AssertionMethod)
            .unwrap(),
        key
    );
    let doc = parsed.document(DidKeyOptions {
        enable_encryption_key_derivation: true,
    });
    prop_assert_eq!(DidDocument::from_json(&doc.to_json()).unwrap(), doc);
    // did:jwk
    let did_jwk = DidJwk::from_public_key(key);
    let parsed = DidJwk::parse(did_jwk.did().as_str()).unwrap();
    prop_assert_eq!(&parsed.public_key().unwrap(), key);
    let vm = did_jwk.verification_method_id().to_string();
    prop_assert_eq!(
        &offline
            .resolve_key(&vm, Relationship::Authentication)
            .unwrap(),
        key
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ed25519_did_key_and_did_jwk_round_trip(seed in any::<[u8; 32]>()) {
        check_round_trips(&Ed25519SigningKey::from_seed(&seed).public_key())?;
    }

    #[test]
    fn p256_did_key_and_did_jwk_round_trip(seed in any::<[u8; 32]>()) {
        // Almost every 32-byte string is a valid scalar; the rest are skipped.
        if let Some(key) = p256(seed) {
            check_round_trips(&key)?;
        }
    }

    #[test]
    fn multibase_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        // base58btc multibase: "z" + base58; decoding gives back exactly the bytes, and the
        // encoding of those bytes is the only accepted string for them.
        let mb = format!("z{}", bs58::encode(&bytes).into_string());
        let decoded = bs58::decode(&mb[1..]).into_vec().unwrap();
        prop_assert_eq!(&decoded, &bytes);
        prop_assert_eq!(format!("z{}", bs58::encode(&decoded).into_string()), mb);
    }

    #[test]
    fn any_mutation_of_a_did_key_changes_or_loses_the_key(
        seed in any::<[u8; 32]>(), idx in 9usize..56, replacement in "[1-9A-HJ-NP-Za-km-z]",
    ) {
        let key = Ed25519SigningKey::from_seed(&seed).public_key();
        let did = DidKey::from_public_key(&key).did().as_str().to_owned();
        let mut mutated = did.clone();
        mutated.replace_range(idx..idx + 1, &replacement);
        prop_assume!(mutated != did);
        if let Ok(other) = DidKey::parse(&mutated) {
            prop_assert_ne!(other.public_key(), &key);
        }
    }

    #[test]
    fn did_key_parsing_never_panics(text in "did:key:z[1-9A-HJ-NP-Za-km-z]{0,120}") {
        let _ = DidKey::parse(&text);
    }
}

#[test]
fn generated_did_key_signs_and_resolves() {
    let (signing, did) = DidKey::generate(&mut rand::rngs::OsRng);
    assert!(did.did().as_str().starts_with("did:key:z6Mk"));
    assert_eq!(did.public_key(), &signing.public_key());
}
