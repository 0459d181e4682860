//! The admin API: authentication, roles, rate limits, identity, types, offers, QR codes,
//! credentials and their status, the audit log.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn admin_endpoints_need_a_valid_bearer_token() {
    let issuer = TestIssuer::with(|c| c.limits.auth_failures_per_minute = 100);
    for (method, uri) in [
        (Method::GET, "/admin/identity"),
        (Method::GET, "/admin/credentials"),
        (Method::GET, "/admin/audit"),
        (Method::GET, "/admin/credential-types"),
        (Method::POST, "/admin/offers"),
        (Method::POST, "/admin/keys/rotate"),
        (Method::POST, "/credentials/issue"),
    ] {
        let r = issuer
            .call(request(method.clone(), uri, None, Some(json!({}))))
            .await;
        r.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        let r = issuer
            .call(request(
                method.clone(),
                uri,
                Some("wrong-token"),
                Some(json!({})),
            ))
            .await;
        r.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // Lowercase scheme is accepted; a near-miss of the token is not.
    let r = issuer
        .call(
            axum::http::Request::builder()
                .uri("/admin/identity")
                .header("authorization", format!("bearer {ADMIN}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let near = format!("{}x", &ADMIN[..ADMIN.len() - 1]);
    issuer
        .get("/admin/identity", Some(&near))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn failed_authentications_are_rate_limited_even_for_the_right_token_afterwards() {
    let issuer = TestIssuer::with(|c| c.limits.auth_failures_per_minute = 3);
    for _ in 0..3 {
        issuer
            .get("/admin/identity", Some("nope"))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let r = issuer.get("/admin/identity", Some("nope")).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(r.headers.get("retry-after").is_some());
    // The guesser is locked out: the right token is not even evaluated.
    issuer
        .admin_get("/admin/identity")
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn operators_issue_but_cannot_administer() {
    let issuer = TestIssuer::new();
    let r = issuer
        .admin_post(
            "/admin/tokens",
            json!({"role": "operator", "label": "desk 1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.headers["cache-control"], "no-store");
    let op = r.json()["token"].as_str().unwrap().to_owned();
    assert!(op.starts_with("isr_"));
    // Allowed: offers, listing, revocation.
    let offer = issuer
        .post(
            "/admin/offers",
            Some(&op),
            json!({"credential_configuration_id": "proof_of_age_sd_jwt",
                   "claims": {"given_name": "A", "family_name": "B", "birth_date": "2000-01-01"}}),
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.text());
    assert_eq!(
        issuer.get("/admin/credentials", Some(&op)).await.status,
        StatusCode::OK
    );
    // Refused: types, tokens, key rotation.
    issuer
        .post("/admin/keys/rotate", Some(&op), json!({}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    issuer
        .post("/admin/tokens", Some(&op), json!({"role": "admin"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let mut t =
        serde_json::to_value(issuer::credential_type::CredentialType::proof_of_age()).unwrap();
    t["id"] = json!("other");
    issuer
        .post("/admin/credential-types", Some(&op), t)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    // The audit log names the operator token, never the token itself.
    let audit = issuer.admin_get("/admin/audit").await;
    assert!(!audit.text().contains(&op));
    assert!(!audit.text().contains(ADMIN));
    let entries = audit.json()["entries"].as_array().unwrap().clone();
    let create = entries
        .iter()
        .find(|e| e["action"] == "offer.create")
        .unwrap();
    assert!(create["actor"].as_str().unwrap().starts_with("tok_"));
}

#[tokio::test]
async fn identity_lists_verification_methods_and_never_private_keys() {
    let issuer = TestIssuer::new();
    let r = issuer.admin_get("/admin/identity").await;
    assert_eq!(r.status, StatusCode::OK);
    let id = r.json();
    let did = id["did"].as_str().unwrap();
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    assert_eq!(id["verification_methods"].as_array().unwrap().len(), 1);
    let seed = issuer.state.signer().0.to_seed();
    for secret in [
        hex::encode(seed.as_slice()),
        credentials::base64url::encode(seed.as_slice()),
    ] {
        assert!(!r.text().contains(&secret));
    }
    assert!(!r.text().contains("\"d\""));
}

#[tokio::test]
async fn rotation_keeps_earlier_credentials_verifiable() {
    use credentials::data_integrity::{VerifyOptions, verify_credential};
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(3);
    let (before, _) = issue_via_oid4vci(&issuer, "proof_of_age_ldp_vc", &wallet).await;
    let old_did = issuer.did();
    let r = issuer.admin_post("/admin/keys/rotate", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let id = r.json();
    assert_ne!(id["did"], old_did, "did:key follows the active key");
    let methods = id["verification_methods"].as_array().unwrap();
    assert_eq!(methods.len(), 2);
    assert_eq!(methods[0]["active"], false);
    assert_eq!(methods[1]["active"], true);
    let (after, _) = issue_via_oid4vci(&issuer, "proof_of_age_ldp_vc", &wallet).await;
    assert_eq!(after["issuer"], id["did"]);
    for vc in [&before, &after] {
        let report =
            verify_credential(vc, &resolver(), &VerifyOptions::new(chrono::Utc::now())).unwrap();
        assert!(report.is_verified(), "{report:?}");
    }
    let audit = issuer.admin_get("/admin/audit").await.json();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "key.rotate")
    );
}

#[tokio::test]
async fn did_web_identity_serves_its_document_with_every_key() {
    let issuer =
        TestIssuer::with(|c| c.public_url = url::Url::parse("https://issuer.example").unwrap());
    assert_eq!(issuer.did(), "did:web:issuer.example");
    issuer.admin_post("/admin/keys/rotate", json!({})).await;
    let doc = issuer.get("/.well-known/did.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = did_methods::DidDocument::from_json(&doc.json()).unwrap();
    for kid in ["key-1", "key-2"] {
        doc.resolve_key(
            &format!("did:web:issuer.example#{kid}"),
            credentials::Relationship::AssertionMethod,
        )
        .unwrap();
    }
    // did:key issuers do not serve a did.json.
    let plain = TestIssuer::new();
    plain
        .get("/.well-known/did.json", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn credential_types_can_be_created_listed_and_replaced() {
    let issuer = TestIssuer::new();
    let diploma = json!({
        "id": "diploma",
        "name": "University diploma",
        "vc_type": "DiplomaCredential",
        "claims": [
            {"name": "given_name", "kind": "string", "required": true},
            {"name": "degree", "kind": "string", "required": true, "selectively_disclosable": false},
            {"name": "graduation_date", "kind": "date"}
        ],
        "validity_days": 3650,
        "formats": [{"format": "dc+sd-jwt"}, {"format": "ldp_vc", "cryptosuite": "eddsa-jcs-2022"}]
    });
    let r = issuer
        .admin_post("/admin/credential-types", diploma.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        r.json()["credential_configuration_ids"],
        json!(["diploma_sd_jwt", "diploma_ldp_vc"])
    );
    issuer
        .admin_post("/admin/credential-types", diploma.clone())
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    let list = issuer.admin_get("/admin/credential-types").await.json();
    assert_eq!(list["credential_types"].as_array().unwrap().len(), 2);
    let m = issuer
        .get("/.well-known/openid-credential-issuer", None)
        .await
        .json();
    assert_eq!(
        m["credential_configurations_supported"]["diploma_ldp_vc"]["credential_signing_alg_values_supported"]
            [0],
        "eddsa-jcs-2022"
    );
    // Issue a diploma over both formats; degree is not selectively disclosable.
    let wallet = Wallet::new(4);
    let offer = issuer
        .admin_post(
            "/admin/offers",
            json!({"credential_configuration_id": "diploma_sd_jwt", "claims": {"given_name": "Ada", "degree": "MSc"}}),
        )
        .await
        .json();
    let access = token(&issuer, &pre_authorized_code(&offer), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let n = nonce(&issuer).await;
    let r = credential_request(
        &issuer,
        &access,
        "diploma_sd_jwt",
        &wallet.proof_jwk(PUBLIC_URL, &n),
    )
    .await;
    let sd = credentials::sd_jwt::SdJwt::parse(
        r.json()["credentials"][0]["credential"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(sd.unverified_payload()["degree"], "MSc");
    let (vc, _) = {
        let offer = issuer
            .admin_post(
                "/admin/offers",
                json!({"credential_configuration_id": "diploma_ldp_vc", "claims": {"given_name": "Ada", "degree": "MSc"}}),
            )
            .await
            .json();
        let access = token(&issuer, &pre_authorized_code(&offer), None)
            .await
            .json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let n = nonce(&issuer).await;
        let r = credential_request(
            &issuer,
            &access,
            "diploma_ldp_vc",
            &wallet.proof_kid(PUBLIC_URL, &n),
        )
        .await;
        (r.json()["credentials"][0]["credential"].clone(), offer)
    };
    assert_eq!(vc["proof"]["cryptosuite"], "eddsa-jcs-2022");
    let report = credentials::data_integrity::verify_credential(
        &vc,
        &resolver(),
        &credentials::data_integrity::VerifyOptions::new(chrono::Utc::now()),
    )
    .unwrap();
    assert!(report.is_verified(), "{report:?}");
    // Replace: path and body ids must agree; invalid definitions are refused.
    let mut changed = diploma.clone();
    changed["validity_days"] = json!(10);
    let r = issuer
        .call(request(
            Method::PUT,
            "/admin/credential-types/diploma",
            Some(ADMIN),
            Some(changed.clone()),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = issuer
        .call(request(
            Method::PUT,
            "/admin/credential-types/other",
            Some(ADMIN),
            Some(changed),
        ))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let mut bad = diploma;
    bad["id"] = json!("bad");
    bad["claims"][0]["name"] = json!("iss");
    issuer
        .admin_post("/admin/credential-types", bad)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    issuer
        .admin_get("/admin/credential-types/nope")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn offers_validate_claims_and_render_qr_codes() {
    let issuer = TestIssuer::new();
    let offer = issuer.offer("proof_of_age_sd_jwt", None).await;
    let uri = offer["offer_uri"].as_str().unwrap();
    assert!(uri.starts_with("openid-credential-offer://?credential_offer="));
    let encoded = uri.split_once("credential_offer=").unwrap().1;
    let decoded: serde_json::Value = serde_json::from_str(
        &percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded, offer["credential_offer"]);
    assert_eq!(decoded["credential_issuer"], PUBLIC_URL);
    assert_eq!(
        decoded["credential_configuration_ids"],
        json!(["proof_of_age_sd_jwt"])
    );
    let id = offer["id"].as_str().unwrap();

    let png = issuer
        .admin_get(&format!("/admin/offers/{id}/qr.png"))
        .await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(png.headers["content-type"], "image/png");
    assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n");
    let svg = issuer
        .admin_get(&format!("/admin/offers/{id}/qr.svg"))
        .await;
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert!(svg.text().contains("<svg"));
    issuer
        .get(&format!("/admin/offers/{id}/qr.png"), None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // After redemption the QR code is gone (the code is single use).
    token(&issuer, &pre_authorized_code(&offer), None).await;
    issuer
        .admin_get(&format!("/admin/offers/{id}/qr.svg"))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    issuer
        .admin_get("/admin/offers/off_nope/qr.png")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    // Bad offers.
    for (body, code, status) in [
        (
            json!({"credential_configuration_id": "nope", "claims": {}}),
            "not_found",
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"credential_configuration_id": "proof_of_age_sd_jwt", "claims": {"given_name": "A"}}),
            "invalid_claims",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"credential_configuration_id": "proof_of_age_sd_jwt",
                   "claims": {"given_name": "A", "family_name": "B", "birth_date": "2000-13-01"}}),
            "invalid_claims",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"credential_configuration_id": "proof_of_age_sd_jwt", "claims": {}, "extra": 1}),
            "invalid_request",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"credential_configuration_id": "proof_of_age_sd_jwt",
                   "claims": {"given_name": "A", "family_name": "B", "birth_date": "2000-01-01"}, "tx_code": "12"}),
            "invalid_request",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        issuer
            .admin_post("/admin/offers", body)
            .await
            .assert_error(status, code);
    }
}

#[tokio::test]
async fn revoke_suspend_unsuspend_follow_the_lifecycle() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(5);
    let (_, offer) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let id = credential_id_of_offer(&issuer, offer["id"].as_str().unwrap()).await;
    let path = |action: &str| format!("/admin/credentials/{id}/{action}");
    issuer
        .admin_post(&path("unsuspend"), json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    let r = issuer.admin_post(&path("suspend"), json!({})).await;
    assert_eq!(r.json()["status"], "suspended");
    let r = issuer.admin_post(&path("unsuspend"), json!({})).await;
    assert_eq!(r.json()["status"], "active");
    let r = issuer.admin_post(&path("revoke"), json!({})).await;
    assert_eq!(r.json()["status"], "revoked");
    issuer
        .admin_post(&path("suspend"), json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    issuer
        .admin_post(&path("unsuspend"), json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    issuer
        .admin_post("/admin/credentials/urn:uuid:nope/revoke", json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let one = issuer
        .admin_get(&format!("/admin/credentials/{id}"))
        .await
        .json();
    assert_eq!(one["status"], "revoked");
}

#[tokio::test]
async fn audit_log_is_hash_chained_and_records_admin_actions_and_issuance() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(6);
    let (_, offer) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let id = credential_id_of_offer(&issuer, offer["id"].as_str().unwrap()).await;
    issuer
        .admin_post(&format!("/admin/credentials/{id}/revoke"), json!({}))
        .await;
    let audit = issuer.admin_get("/admin/audit").await.json();
    assert_eq!(audit["chain_valid"], true);
    let entries = audit["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "key.create",
        "credential_type.create",
        "offer.create",
        "offer.redeem",
        "credential.issue",
        "credential.revoke",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    for pair in entries.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }
    // No personal data in the log.
    let text = serde_json::to_string(&audit).unwrap();
    assert!(!text.contains("Lovelace") && !text.contains("1990-12-10"));
    // Paging.
    let page = issuer
        .admin_get("/admin/audit?after=2&limit=2")
        .await
        .json();
    let seqs: Vec<u64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [3, 4]);
    issuer
        .admin_get("/admin/audit?limit=x")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

/// Tampering with the stored audit log (outside the service) is reported by the API.
#[tokio::test]
async fn a_changed_or_deleted_audit_entry_is_reported_through_the_api() {
    use redb::{ReadableDatabase as _, TableDefinition};
    const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
    for deletion in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), PUBLIC_URL);
        {
            let state = issuer::AppState::open(c.clone(), issuer::system_clock()).unwrap();
            let router = issuer::app(state);
            for _ in 0..3 {
                let r = call(
                    &router,
                    request(
                        Method::POST,
                        "/admin/tokens",
                        Some(ADMIN),
                        Some(json!({"role": "operator"})),
                    ),
                )
                .await;
                assert_eq!(r.status, StatusCode::CREATED);
            }
        }
        {
            let db = redb::Database::open(issuer::store::RedbStore::path(&c.data_dir)).unwrap();
            let entry: serde_json::Value = {
                let r = db.begin_read().unwrap();
                let t = r.open_table(AUDIT).unwrap();
                serde_json::from_slice(t.get(3).unwrap().unwrap().value()).unwrap()
            };
            let w = db.begin_write().unwrap();
            {
                let mut t = w.open_table(AUDIT).unwrap();
                if deletion {
                    t.remove(3).unwrap();
                } else {
                    let mut changed = entry.clone();
                    changed["actor"] = json!("someone-else");
                    t.insert(3, serde_json::to_vec(&changed).unwrap().as_slice())
                        .unwrap();
                }
            }
            w.commit().unwrap();
        }
        let state = issuer::AppState::open(c, issuer::system_clock()).unwrap();
        let audit = call(
            &issuer::app(state),
            request(Method::GET, "/admin/audit", Some(ADMIN), None),
        )
        .await
        .json();
        assert_eq!(audit["chain_valid"], false, "deletion={deletion}");
        let error = audit["chain_error"].as_str().unwrap();
        assert!(error.contains('3'), "{error}");
    }
}

#[tokio::test]
async fn stored_tokens_can_be_listed_and_revoked() {
    let issuer = TestIssuer::new();
    let created = issuer
        .admin_post(
            "/admin/tokens",
            json!({"role": "operator", "label": "desk"}),
        )
        .await
        .json();
    let token = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        issuer.get("/admin/credentials", Some(&token)).await.status,
        StatusCode::OK
    );
    let list = issuer.admin_get("/admin/tokens").await;
    assert_eq!(list.json()["tokens"][0]["id"], id.as_str());
    assert!(!list.text().contains(&token));
    // Operators cannot list or revoke tokens.
    issuer
        .get("/admin/tokens", Some(&token))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = issuer
        .call(request(
            Method::DELETE,
            &format!("/admin/tokens/{id}"),
            Some(&token),
            None,
        ))
        .await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = issuer
        .call(request(
            Method::DELETE,
            &format!("/admin/tokens/{id}"),
            Some(ADMIN),
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    issuer
        .get("/admin/credentials", Some(&token))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = issuer
        .call(request(
            Method::DELETE,
            &format!("/admin/tokens/{id}"),
            Some(ADMIN),
            None,
        ))
        .await;
    r.assert_error(StatusCode::NOT_FOUND, "not_found");
    let audit = issuer.admin_get("/admin/audit").await.json();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "token.delete")
    );
}

#[tokio::test]
async fn offers_can_be_listed_and_pending_ones_cancelled() {
    let issuer = TestIssuer::new();
    let a = issuer.offer("proof_of_age_sd_jwt", None).await;
    let b = issuer.offer("proof_of_age_ldp_vc", None).await;
    let list = issuer.admin_get("/admin/offers").await;
    assert_eq!(list.json()["offers"].as_array().unwrap().len(), 2);
    assert!(
        !list.text().contains("Lovelace"),
        "no claim values in the list"
    );
    assert!(
        !list.text().contains(&pre_authorized_code(&a)),
        "no codes in the list"
    );
    let id = a["id"].as_str().unwrap();
    let r = issuer
        .call(request(
            Method::DELETE,
            &format!("/admin/offers/{id}"),
            Some(ADMIN),
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "cancelled");
    // The code no longer works, the QR code is gone, a second cancel conflicts.
    token(&issuer, &pre_authorized_code(&a), None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    issuer
        .admin_get(&format!("/admin/offers/{id}/qr.png"))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    let r = issuer
        .call(request(
            Method::DELETE,
            &format!("/admin/offers/{id}"),
            Some(ADMIN),
            None,
        ))
        .await;
    r.assert_error(StatusCode::CONFLICT, "conflict");
    // A redeemed offer cannot be cancelled.
    token(&issuer, &pre_authorized_code(&b), None).await;
    let r = issuer
        .call(request(
            Method::DELETE,
            &format!("/admin/offers/{}", b["id"].as_str().unwrap()),
            Some(ADMIN),
            None,
        ))
        .await;
    r.assert_error(StatusCode::CONFLICT, "conflict");
    let audit = issuer.admin_get("/admin/audit").await.json();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "offer.cancel")
    );
}
