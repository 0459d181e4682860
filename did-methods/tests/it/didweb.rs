//! did:web resolution through an injected HTTP client: the mapping, the protections, and
//! the checks on the retrieved document.

use std::time::Duration;

use credentials::{Ed25519SigningKey, KeyResolver, Relationship, Signer as _};
use did_methods::{
    Did, DidDocument, DidWebResolver, DocumentError, HttpError, InvalidDidReason, ResolutionError,
    ResolvedDocuments, VerificationMethod,
};
use serde_json::{Value, json};

use crate::common::{FakeHttp, Reply};

const DID: &str = "did:web:issuer.example.com:tenants:acme";
const URL: &str = "https://issuer.example.com/tenants/acme/did.json";

fn issuer_document(did: &str) -> Value {
    let did = Did::parse(did).unwrap();
    let key = Ed25519SigningKey::from_seed(&[42; 32]).public_key();
    let mut doc = DidDocument::new(did.clone());
    doc.add_verification_method(
        VerificationMethod::multikey(did.with_fragment("key-1").unwrap(), did.clone(), &key),
        &[Relationship::AssertionMethod],
    );
    doc.to_json()
}

#[tokio::test]
async fn resolves_the_document_at_the_mapped_url() {
    let http = FakeHttp::new();
    http.json(URL, &issuer_document(DID));
    let resolver = DidWebResolver::new(http.clone());
    let doc = resolver.resolve_web(DID).await.unwrap();
    assert_eq!(doc.id().as_str(), DID);
    assert_eq!(http.calls(), vec![URL.to_owned()]);
    // Bare domain -> /.well-known/did.json.
    let http = FakeHttp::new();
    http.json(
        "https://example.com/.well-known/did.json",
        &issuer_document("did:web:example.com"),
    );
    DidWebResolver::new(http.clone())
        .resolve_web("did:web:example.com")
        .await
        .unwrap();
    // Port percent-encoded as %3A.
    let http = FakeHttp::new();
    let did = "did:web:example.com%3A8443";
    http.json(
        "https://example.com:8443/.well-known/did.json",
        &issuer_document(did),
    );
    DidWebResolver::new(http.clone())
        .resolve_web(did)
        .await
        .unwrap();
}

#[tokio::test]
async fn document_id_must_equal_the_did() {
    let http = FakeHttp::new();
    // A server answering with another DID's document (e.g. a shared host).
    http.json(
        URL,
        &issuer_document("did:web:issuer.example.com:tenants:evil"),
    );
    let err = DidWebResolver::new(http)
        .resolve_web(DID)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ResolutionError::InvalidDidDocument(DocumentError::IdMismatch)
    );
    assert_eq!(err.code(), "invalidDidDocument");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    for status in [301u16, 302, 303, 307, 308] {
        let http = FakeHttp::new();
        http.route(URL, Reply::Respond(status, Vec::new()));
        http.json("https://attacker.example/did.json", &issuer_document(DID));
        let err = DidWebResolver::new(http.clone())
            .resolve_web(DID)
            .await
            .unwrap_err();
        assert_eq!(err, ResolutionError::Http(HttpError::Redirect), "{status}");
        assert_eq!(http.count(), 1, "nothing else is fetched");
    }
}

#[tokio::test]
async fn oversized_documents_are_refused() {
    let mut big = issuer_document(DID);
    big["padding"] = json!("x".repeat(4096));
    let http = FakeHttp::new();
    http.json(URL, &big);
    let resolver = DidWebResolver::new(http).with_max_document_bytes(1024);
    assert_eq!(
        resolver.resolve_web(DID).await.unwrap_err(),
        ResolutionError::Http(HttpError::BodyTooLarge)
    );
    // Even if a client implementation ignores the cap, the resolver refuses the body.
    let http = FakeHttp::new();
    http.route(
        URL,
        Reply::RespondIgnoringCap(200, big.to_string().into_bytes()),
    );
    let resolver = DidWebResolver::new(http).with_max_document_bytes(1024);
    assert_eq!(
        resolver.resolve_web(DID).await.unwrap_err(),
        ResolutionError::Http(HttpError::BodyTooLarge)
    );
}

#[tokio::test(start_paused = true)]
async fn slow_servers_time_out() {
    let http = FakeHttp::new();
    http.route(URL, Reply::Hang);
    let resolver = DidWebResolver::new(http).with_timeout(Duration::from_secs(5));
    let err = resolver.resolve_web(DID).await.unwrap_err();
    assert_eq!(err, ResolutionError::Http(HttpError::Timeout));
    assert_eq!(err.code(), "internalError");
}

#[tokio::test]
async fn status_codes_map_to_resolution_errors() {
    for (status, expected) in [
        (404u16, ResolutionError::NotFound),
        (410, ResolutionError::NotFound),
        (500, ResolutionError::Http(HttpError::Status(500))),
        (403, ResolutionError::Http(HttpError::Status(403))),
    ] {
        let http = FakeHttp::new();
        http.route(URL, Reply::Respond(status, b"{}".to_vec()));
        assert_eq!(
            DidWebResolver::new(http)
                .resolve_web(DID)
                .await
                .unwrap_err(),
            expected
        );
    }
    let http = FakeHttp::new();
    http.route(URL, Reply::Respond(200, b"<html>".to_vec()));
    assert_eq!(
        DidWebResolver::new(http)
            .resolve_web(DID)
            .await
            .unwrap_err(),
        ResolutionError::InvalidDidDocument(DocumentError::Malformed)
    );
}

#[tokio::test]
async fn internal_targets_are_refused_before_any_request() {
    // did:web hosts that are IP addresses in any spelling, and loopback names: none reaches
    // the HTTP client.
    let http = FakeHttp::new();
    let resolver = DidWebResolver::new(http.clone());
    for did in [
        "did:web:127.0.0.1",
        "did:web:2130706433",
        "did:web:0x7f.1",
        "did:web:0177.0.0.1",
        "did:web:127.1%3A8080",
        "did:web:169.254.169.254:latest:meta-data",
        "did:web:10.0.0.1",
    ] {
        let err = resolver.resolve_web(did).await.unwrap_err();
        assert_eq!(
            err,
            ResolutionError::InvalidDid(InvalidDidReason::IpAddressHost),
            "{did}"
        );
    }
    assert_eq!(http.count(), 0);
}

#[tokio::test]
async fn plain_http_override_is_off_by_default_and_only_for_localhost() {
    let did = "did:web:localhost%3A8080";
    let http = FakeHttp::new();
    http.json(
        "http://localhost:8080/.well-known/did.json",
        &issuer_document(did),
    );
    http.json(
        "https://localhost:8080/.well-known/did.json",
        &issuer_document(did),
    );
    // Default: https is requested (and a real client refuses the loopback address).
    DidWebResolver::new(http.clone())
        .resolve_web(did)
        .await
        .unwrap();
    assert_eq!(
        http.calls(),
        vec!["https://localhost:8080/.well-known/did.json".to_owned()]
    );
    // Override: plain http, for localhost only.
    let http = FakeHttp::new();
    http.json(
        "http://localhost:8080/.well-known/did.json",
        &issuer_document(did),
    );
    http.json(URL, &issuer_document(DID));
    let resolver = DidWebResolver::new(http.clone())
        .dangerous()
        .plain_http_for_localhost();
    resolver.resolve_web(did).await.unwrap();
    resolver.resolve_web(DID).await.unwrap();
    assert_eq!(
        http.calls(),
        vec![
            "http://localhost:8080/.well-known/did.json".to_owned(),
            URL.to_owned()
        ]
    );
}

#[tokio::test]
async fn resolved_did_web_documents_answer_key_lookups_by_relationship() {
    let http = FakeHttp::new();
    http.json(URL, &issuer_document(DID));
    let resolver = DidWebResolver::new(http);
    let vm = format!("{DID}#key-1");
    let set = ResolvedDocuments::resolve_all(&resolver, [vm.as_str()]).await;
    let key = set.resolve_key(&vm, Relationship::AssertionMethod).unwrap();
    let signing = Ed25519SigningKey::from_seed(&[42; 32]);
    assert_eq!(key, signing.public_key());
    let sig = signing.sign(b"vc");
    key.verify(credentials::jose::Algorithm::EdDSA, b"vc", &sig)
        .unwrap();
    assert_eq!(
        set.resolve_key(&vm, Relationship::Authentication),
        Err(credentials::KeyResolutionError::NotAuthorized)
    );
}
