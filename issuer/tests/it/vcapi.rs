//! VC-API issuance with both eddsa suites.

use axum::http::StatusCode;
use chrono::Utc;
use credentials::data_integrity::{VerifyOptions, verify_credential};
use serde_json::{Value, json};

use crate::common::*;

fn credential(issuer: Option<Value>) -> Value {
    let mut c = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
    });
    if let Some(i) = issuer {
        c["issuer"] = i;
    }
    c
}

fn verified(vc: &Value) {
    let report = verify_credential(vc, &resolver(), &VerifyOptions::new(Utc::now())).unwrap();
    assert!(report.is_verified(), "{report:?}");
}

#[tokio::test]
async fn issues_with_each_suite_by_option_and_by_path() {
    let issuer = TestIssuer::new();
    for (path, body, suite) in [
        (
            "/credentials/issue",
            json!({"credential": credential(None)}),
            "eddsa-rdfc-2022",
        ),
        (
            "/credentials/issue",
            json!({"credential": credential(None), "options": {"cryptosuite": "eddsa-jcs-2022"}}),
            "eddsa-jcs-2022",
        ),
        (
            "/credentials/issue/eddsa-rdfc-2022",
            json!({"credential": credential(None)}),
            "eddsa-rdfc-2022",
        ),
        (
            "/credentials/issue/eddsa-jcs-2022",
            json!({"credential": credential(None)}),
            "eddsa-jcs-2022",
        ),
    ] {
        let mut body = body;
        // Each issuance needs its own credential id.
        body["credential"]["id"] = json!(format!("urn:uuid:{}", uuidish(suite, path)));
        let r = issuer.admin_post(path, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text());
        let vc = r.json()["verifiableCredential"].clone();
        assert_eq!(
            vc["issuer"],
            issuer.did(),
            "an absent issuer becomes the service DID"
        );
        assert_eq!(vc["proof"]["cryptosuite"], suite);
        assert_eq!(vc["proof"]["proofPurpose"], "assertionMethod");
        verified(&vc);
    }
    let listed = issuer.admin_get("/admin/credentials").await.json();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 4);
    assert_eq!(listed["credentials"][0]["holder"], "did:example:abcdefgh");
    assert_eq!(
        listed["credentials"][0]["credential_configuration_id"],
        "vc-api"
    );
}

fn uuidish(a: &str, b: &str) -> String {
    use sha2::Digest as _;
    let h = hex::encode(sha2::Sha256::digest(format!("{a}{b}")));
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[tokio::test]
async fn own_issuer_is_accepted_and_another_is_refused() {
    let issuer = TestIssuer::new();
    let did = issuer.did();
    let r = issuer
        .admin_post(
            "/credentials/issue",
            json!({"credential": credential(Some(json!(did)))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mut c = credential(Some(json!({"id": did, "name": "Example"})));
    c["id"] = json!("urn:uuid:00000000-0000-4000-8000-000000000001");
    let r = issuer
        .admin_post("/credentials/issue", json!({ "credential": c }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    for other in [
        json!("did:example:someone-else"),
        json!({"id": "did:example:else"}),
        json!(42),
    ] {
        issuer
            .admin_post(
                "/credentials/issue",
                json!({"credential": credential(Some(other))}),
            )
            .await
            .assert_error(StatusCode::BAD_REQUEST, "issuer_mismatch");
    }
}

#[tokio::test]
async fn invalid_credentials_and_options_are_refused() {
    let issuer = TestIssuer::new();
    let mut no_v2 = credential(None);
    no_v2["@context"] = json!(["https://www.w3.org/2018/credentials/v1"]);
    let mut remote_context = credential(None);
    remote_context["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://evil.example/ctx"
    ]);
    let mut no_subject = credential(None);
    no_subject
        .as_object_mut()
        .unwrap()
        .remove("credentialSubject");
    let mut with_proof = credential(None);
    with_proof["proof"] = json!({"type": "DataIntegrityProof"});
    for bad in [no_v2, remote_context, no_subject, with_proof] {
        issuer
            .admin_post("/credentials/issue", json!({ "credential": bad }))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_credential");
    }
    issuer
        .admin_post("/credentials/issue", json!({}))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    issuer
        .admin_post(
            "/credentials/issue",
            json!({"credential": credential(None), "options": {"cryptosuite": "ecdsa-rdfc-2019"}}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    issuer
        .admin_post(
            "/credentials/issue/eddsa-jcs-2022",
            json!({"credential": credential(None), "options": {"cryptosuite": "eddsa-rdfc-2022"}}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    issuer
        .admin_post(
            "/credentials/issue/bbs-2023",
            json!({"credential": credential(None)}),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    issuer
        .post(
            "/credentials/issue",
            None,
            json!({"credential": credential(None)}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn vc_api_credentials_can_carry_a_revocable_status() {
    let issuer = TestIssuer::new();
    let r = issuer
        .admin_post(
            "/credentials/issue",
            json!({"credential": credential(None), "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let vc = r.json()["verifiableCredential"].clone();
    verified(&vc);
    let entry = credentials::status_list::bitstring::BitstringStatusListEntry::from_json(
        &vc["credentialStatus"][0],
    )
    .unwrap();
    issuer
        .admin_post(
            "/admin/credentials/urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33/revoke",
            json!({}),
        )
        .await;
    let path = entry
        .status_list_credential
        .strip_prefix(PUBLIC_URL)
        .unwrap()
        .to_owned();
    let list = issuer.get(&path, None).await.json();
    let status =
        credentials::status_list::bitstring::check_status(&entry, &list, Utc::now()).unwrap();
    assert_eq!(status.value, 1);
    // The same credential id cannot be issued twice.
    issuer
        .admin_post(
            "/credentials/issue",
            json!({"credential": credential(None)}),
        )
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
}
