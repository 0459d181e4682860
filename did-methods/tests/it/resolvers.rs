//! The dispatcher, representations, and pre-resolved documents as a `KeyResolver`.

use credentials::{Ed25519SigningKey, KeyResolutionError, KeyResolver, Relationship, Signer as _};
use did_methods::resolver::{MEDIA_TYPE_DID_JSON, MEDIA_TYPE_DID_LD_JSON};
use did_methods::{
    Did, DidDocument, DidJwk, DidKey, DidResolver, DidWebResolver, ResolutionError,
    ResolvedDocuments, UniversalResolver, VerificationMethod, resolve_representation,
};
use serde_json::{Value, json};

use crate::common::{FakeHttp, Reply};

fn key_did(seed: u8) -> DidKey {
    DidKey::from_public_key(&Ed25519SigningKey::from_seed(&[seed; 32]).public_key())
}

#[tokio::test]
async fn universal_resolver_dispatches_by_method() {
    let http = FakeHttp::new();
    let web_did = "did:web:example.com";
    http.json(
        "https://example.com/.well-known/did.json",
        &DidDocument::new(Did::parse(web_did).unwrap()).to_json(),
    );
    let resolver = UniversalResolver::new(DidWebResolver::new(http.clone()));
    let k = key_did(1);
    assert_eq!(
        resolver.resolve(k.did().as_str()).await.unwrap().id(),
        k.did()
    );
    let j = DidJwk::from_public_key(&Ed25519SigningKey::from_seed(&[2; 32]).public_key());
    assert_eq!(
        resolver.resolve(j.did().as_str()).await.unwrap().id(),
        j.did()
    );
    assert_eq!(
        resolver.resolve(web_did).await.unwrap().id().as_str(),
        web_did
    );

    let err = resolver.resolve("did:example:123").await.unwrap_err();
    assert_eq!(err, ResolutionError::MethodNotSupported);
    assert_eq!(err.code(), "methodNotSupported");
    assert_eq!(
        resolver.resolve("did:ion:abc").await.unwrap_err().code(),
        "methodNotSupported"
    );
    assert_eq!(
        resolver.resolve("not-a-did").await.unwrap_err().code(),
        "invalidDid"
    );
    assert_eq!(
        resolver.resolve("did:key:abc").await.unwrap_err().code(),
        "invalidDid"
    );
    assert_eq!(
        resolver.resolve("did:key:zzz").await.unwrap_err().code(),
        "unsupportedPublicKeyType"
    );

    // Without a did:web resolver, did:web is not supported.
    let offline = UniversalResolver::offline();
    assert_eq!(
        offline.resolve(web_did).await.unwrap_err().code(),
        "methodNotSupported"
    );
}

#[tokio::test]
async fn did_web_not_found_is_not_found() {
    let http = FakeHttp::new();
    http.route(
        "https://gone.example/.well-known/did.json",
        Reply::Respond(404, Vec::new()),
    );
    let resolver = UniversalResolver::new(DidWebResolver::new(http));
    assert_eq!(
        resolver
            .resolve("did:web:gone.example")
            .await
            .unwrap_err()
            .code(),
        "notFound"
    );
}

#[tokio::test]
async fn representations() {
    let resolver = UniversalResolver::offline();
    let did = key_did(3);
    let (media, bytes) =
        resolve_representation(&resolver, did.did().as_str(), MEDIA_TYPE_DID_LD_JSON)
            .await
            .unwrap();
    assert_eq!(media, "application/did+ld+json");
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        value.as_object().unwrap().keys().next().unwrap(),
        "@context"
    );
    assert_eq!(value["@context"][0], "https://www.w3.org/ns/did/v1");
    let (media, _) = resolve_representation(&resolver, did.did().as_str(), MEDIA_TYPE_DID_JSON)
        .await
        .unwrap();
    assert_eq!(media, "application/did+json");
    // Unsupported media types are refused before resolution is attempted.
    let http = FakeHttp::new();
    let web = UniversalResolver::new(DidWebResolver::new(http.clone()));
    for accept in ["application/did+cbor", "text/html", "*/*"] {
        let err = resolve_representation(&web, "did:web:example.com", accept)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "representationNotSupported");
    }
    assert_eq!(http.count(), 0);
}

/// Two did:web documents where alice's lists a reference to bob's key under
/// assertionMethod, but bob authorizes that key for authentication only.
fn alice_and_bob() -> (FakeHttp, Ed25519SigningKey, Ed25519SigningKey) {
    let alice_key = Ed25519SigningKey::from_seed(&[10; 32]);
    let bob_key = Ed25519SigningKey::from_seed(&[11; 32]);
    let alice = Did::parse("did:web:alice.example").unwrap();
    let bob = Did::parse("did:web:bob.example").unwrap();
    let mut alice_doc = DidDocument::new(alice.clone());
    alice_doc.add_verification_method(
        VerificationMethod::multikey(
            alice.with_fragment("k").unwrap(),
            alice.clone(),
            &alice_key.public_key(),
        ),
        &[Relationship::AssertionMethod],
    );
    alice_doc.add_reference(
        Relationship::AssertionMethod,
        bob.with_fragment("k").unwrap(),
    );
    let mut bob_doc = DidDocument::new(bob.clone());
    bob_doc.add_verification_method(
        VerificationMethod::multikey(
            bob.with_fragment("k").unwrap(),
            bob.clone(),
            &bob_key.public_key(),
        ),
        &[Relationship::Authentication],
    );
    let http = FakeHttp::new();
    http.json(
        "https://alice.example/.well-known/did.json",
        &alice_doc.to_json(),
    );
    http.json(
        "https://bob.example/.well-known/did.json",
        &bob_doc.to_json(),
    );
    (http, alice_key, bob_key)
}

#[tokio::test]
async fn resolved_documents_answer_by_relationship_and_fail_closed() {
    let (http, alice_key, bob_key) = alice_and_bob();
    http.route(
        "https://gone.example/.well-known/did.json",
        Reply::Respond(404, Vec::new()),
    );
    http.route(
        "https://broken.example/.well-known/did.json",
        Reply::Respond(500, Vec::new()),
    );
    let resolver = UniversalResolver::new(DidWebResolver::new(http.clone()));
    let set = ResolvedDocuments::resolve_all(
        &resolver,
        [
            "did:web:alice.example#k",
            "did:web:alice.example#other",
            "did:web:bob.example#k",
            "did:web:gone.example#k",
            "did:web:broken.example#k",
        ],
    )
    .await;
    // Each DID is fetched once.
    assert_eq!(http.count(), 4);
    let am = Relationship::AssertionMethod;
    assert_eq!(
        set.resolve_key("did:web:alice.example#k", am).unwrap(),
        alice_key.public_key()
    );
    // Alice's document references bob's key under assertionMethod, but a method of another
    // DID is judged by that DID's own document, where it is authentication only.
    assert_eq!(
        set.resolve_key("did:web:bob.example#k", am),
        Err(KeyResolutionError::NotAuthorized)
    );
    assert_eq!(
        set.resolve_key("did:web:bob.example#k", Relationship::Authentication)
            .unwrap(),
        bob_key.public_key()
    );
    assert_eq!(
        set.resolve_key("did:web:alice.example#other", am),
        Err(KeyResolutionError::NotFound)
    );
    assert_eq!(
        set.resolve_key("did:web:gone.example#k", am),
        Err(KeyResolutionError::NotFound)
    );
    assert_eq!(
        set.resolve_key("did:web:broken.example#k", am),
        Err(KeyResolutionError::ResolutionFailed)
    );
    assert_eq!(
        set.failure("did:web:broken.example").unwrap().code(),
        "internalError"
    );
    // Never resolved: could not verify, not "valid".
    assert_eq!(
        set.resolve_key("did:web:carol.example#k", am),
        Err(KeyResolutionError::ResolutionFailed)
    );
    assert_eq!(
        set.resolve_key("#k", am),
        Err(KeyResolutionError::InvalidId)
    );
    // did:key / did:jwk need no pre-resolution.
    let k = key_did(12);
    assert!(
        set.resolve_key(&k.verification_method_id().to_string(), am)
            .is_ok()
    );
}

#[tokio::test]
async fn a_document_cannot_authorize_a_method_controlled_by_someone_else() {
    let did = Did::parse("did:web:victim.example").unwrap();
    let attacker = Ed25519SigningKey::from_seed(&[66; 32]);
    let doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did.as_str(),
        "verificationMethod": [{
            "id": "#k", "type": "Multikey", "controller": "did:web:attacker.example",
            "publicKeyMultibase": attacker.public_key().to_multikey()
        }],
        "assertionMethod": ["#k"]
    });
    let mut set = ResolvedDocuments::new();
    set.insert(DidDocument::from_json(&doc).unwrap());
    let sig_key = set.resolve_key("did:web:victim.example#k", Relationship::AssertionMethod);
    assert_eq!(sig_key, Err(KeyResolutionError::NotAuthorized));
    let _ = attacker.sign(b"unused");
}
