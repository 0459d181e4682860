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

/// Arbitrary JSON biased towards DID document member names and values.
fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9#:._%-]{0,16}".prop_map(Value::String),
        Just(json!("did:example:a")),
        Just(json!("did:example:a#k")),
        Just(json!("#k")),
        Just(json!("Multikey")),
        Just(json!("JsonWebKey2020")),
        Just(json!("z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")),
    ];
    let key = prop_oneof![
        Just("id"),
        Just("type"),
        Just("controller"),
        Just("verificationMethod"),
        Just("assertionMethod"),
        Just("authentication"),
        Just("keyAgreement"),
        Just("publicKeyMultibase"),
        Just("publicKeyJwk"),
        Just("publicKeyBase58"),
        Just("@context"),
        Just("service"),
        Just("alsoKnownAs"),
        Just("other"),
    ]
    .prop_map(String::from);
    leaf.prop_recursive(4, 96, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Harness: untrusted DID documents never panic the parser, and whatever is accepted
    /// serializes to a document that parses to the same serialization.
    #[test]
    fn document_parsing_is_total_and_stable(value in arb_json()) {
        if let Ok(doc) = DidDocument::from_json(&value) {
            let out = doc.to_json();
            let again = DidDocument::from_json(&out).unwrap();
            prop_assert_eq!(again.to_json(), out);
            for vm in doc.verification_methods() {
                let _ = doc.resolve_key(&vm.id().to_string(), Relationship::AssertionMethod);
            }
        }
    }

    /// Harness: any did:web maps to an https URL on a domain name (never an IP address),
    /// ending in /did.json, or is refused.
    #[test]
    fn did_web_mapping_only_yields_https_domain_urls(msid in "[a-zA-Z0-9.%:_-]{1,40}") {
        let Ok(did) = did_methods::Did::parse(&format!("did:web:{msid}")) else {
            return Ok(());
        };
        if let Ok(url) = did_methods::did_web_url(&did) {
            prop_assert_eq!(url.scheme(), "https");
            prop_assert!(matches!(url.host(), Some(url::Host::Domain(_))), "{}", url);
            prop_assert!(url.path().ends_with("/did.json"));
            prop_assert!(!url.path().contains("/../") && !url.path().contains("/./"));
        }
    }

    /// Harness: did:jwk parsing of arbitrary base64url never panics.
    #[test]
    fn did_jwk_parsing_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let did = format!("did:jwk:{}", credentials::base64url::encode(&bytes));
        let _ = DidJwk::parse(&did);
    }
}
