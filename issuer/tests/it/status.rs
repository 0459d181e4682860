//! Status publication: signed lists at stable URLs, revocation visible on the next fetch,
//! caching headers, and no torn reads under concurrent revocations.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use credentials::status_list::bitstring::{BitstringStatusListEntry, check_status};
use credentials::status_list::token::{
    IssuerKey, TokenStatus, TokenValidation, verify_status_list_token,
};
use serde_json::json;

use crate::common::*;

async fn fetch_token_status(issuer: &TestIssuer, uri: &str, idx: u64) -> TokenStatus {
    let path = uri.strip_prefix(PUBLIC_URL).unwrap();
    let r = issuer.get(path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/statuslist+jwt");
    let resolver = resolver();
    let did = issuer.did();
    let verified = verify_status_list_token(
        &r.text(),
        uri,
        IssuerKey::Resolver {
            resolver: &resolver,
            issuer: &did,
        },
        Utc::now().timestamp(),
        &TokenValidation::default(),
    )
    .unwrap();
    assert!(verified.list.len() >= 131_072);
    verified.status(idx as usize).unwrap()
}

#[tokio::test]
async fn token_status_list_reflects_revocation_and_suspension_on_the_next_fetch() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(20);
    let (credential, offer) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let sd = credentials::sd_jwt::SdJwt::parse(credential.as_str().unwrap()).unwrap();
    let status = &sd.unverified_payload()["status"]["status_list"];
    let uri = status["uri"].as_str().unwrap().to_owned();
    let idx = status["idx"].as_u64().unwrap();
    assert_eq!(
        fetch_token_status(&issuer, &uri, idx).await,
        TokenStatus::Valid
    );
    let id = credential_id_of_offer(&issuer, offer["id"].as_str().unwrap()).await;
    issuer
        .admin_post(&format!("/admin/credentials/{id}/suspend"), json!({}))
        .await;
    assert_eq!(
        fetch_token_status(&issuer, &uri, idx).await,
        TokenStatus::Suspended
    );
    issuer
        .admin_post(&format!("/admin/credentials/{id}/revoke"), json!({}))
        .await;
    assert_eq!(
        fetch_token_status(&issuer, &uri, idx).await,
        TokenStatus::Invalid
    );
}

#[tokio::test]
async fn bitstring_lists_reflect_revocation_and_suspension() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(21);
    let (vc, offer) = issue_via_oid4vci(&issuer, "proof_of_age_ldp_vc", &wallet).await;
    let entries: Vec<BitstringStatusListEntry> = vc["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| BitstringStatusListEntry::from_json(e).unwrap())
        .collect();
    let fetch = |entry: BitstringStatusListEntry| {
        let issuer = &issuer;
        async move {
            let path = entry
                .status_list_credential
                .strip_prefix(PUBLIC_URL)
                .unwrap()
                .to_owned();
            let r = issuer.get(&path, None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let list = r.json();
            let report = credentials::data_integrity::verify_credential(
                &list,
                &resolver(),
                &credentials::data_integrity::VerifyOptions::new(Utc::now()),
            )
            .unwrap();
            assert!(report.is_verified(), "{report:?}");
            check_status(&entry, &list, Utc::now()).unwrap().value
        }
    };
    assert_eq!(fetch(entries[0].clone()).await, 0);
    assert_eq!(fetch(entries[1].clone()).await, 0);
    let id = credential_id_of_offer(&issuer, offer["id"].as_str().unwrap()).await;
    issuer
        .admin_post(&format!("/admin/credentials/{id}/suspend"), json!({}))
        .await;
    assert_eq!(fetch(entries[0].clone()).await, 0, "revocation list");
    assert_eq!(fetch(entries[1].clone()).await, 1, "suspension list");
    issuer
        .admin_post(&format!("/admin/credentials/{id}/revoke"), json!({}))
        .await;
    assert_eq!(fetch(entries[0].clone()).await, 1);
    assert_eq!(fetch(entries[1].clone()).await, 0);
}

#[tokio::test]
async fn status_lists_have_etags_and_revalidation_headers() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(22);
    let (_, offer) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let r = issuer.get("/status/token/1", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["cache-control"], "public, no-cache");
    let etag = r.headers["etag"].to_str().unwrap().to_owned();
    let again = issuer
        .call(
            axum::http::Request::builder()
                .uri("/status/token/1")
                .header("if-none-match", &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let id = credential_id_of_offer(&issuer, offer["id"].as_str().unwrap()).await;
    issuer
        .admin_post(&format!("/admin/credentials/{id}/revoke"), json!({}))
        .await;
    let changed = issuer
        .call(
            axum::http::Request::builder()
                .uri("/status/token/1")
                .header("if-none-match", &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::OK,
        "a revocation must change the ETag"
    );
    for bad in [
        "/status/token/0",
        "/status/token/99",
        "/status/token/x",
        "/status/token/01",
        "/status/bitstring/1/revocation",
        "/status/bitstring/1/other",
    ] {
        issuer
            .get(bad, None)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn indices_are_unpredictable_and_lists_are_large() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(23);
    let mut indices = Vec::new();
    for _ in 0..6 {
        let (c, _) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
        let sd = credentials::sd_jwt::SdJwt::parse(c.as_str().unwrap()).unwrap();
        indices.push(
            sd.unverified_payload()["status"]["status_list"]["idx"]
                .as_u64()
                .unwrap(),
        );
    }
    let sequential = indices.windows(2).all(|w| w[1] == w[0] + 1);
    assert!(!sequential, "{indices:?}");
    let mut dedup = indices.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(dedup.len(), indices.len());
    let lists = issuer.admin_get("/admin/status-lists").await.json();
    assert_eq!(lists["status_lists"][0]["size"], 131_072);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_readers_see_the_old_or_new_state_never_a_torn_list() {
    let issuer = Arc::new(TestIssuer::new());
    let wallet = Wallet::new(24);
    // Several credentials in one list.
    let mut creds = Vec::new();
    for _ in 0..6 {
        let (c, offer) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
        let sd = credentials::sd_jwt::SdJwt::parse(c.as_str().unwrap()).unwrap();
        let idx = sd.unverified_payload()["status"]["status_list"]["idx"]
            .as_u64()
            .unwrap();
        let id = credential_id_of_offer(&issuer, offer["id"].as_str().unwrap()).await;
        creds.push((id, idx as usize));
    }
    let uri = format!("{PUBLIC_URL}/status/token/1");
    let did = issuer.did();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..8 {
        let issuer = Arc::clone(&issuer);
        let done = Arc::clone(&done);
        let creds: Vec<usize> = creds.iter().map(|c| c.1).collect();
        let uri = uri.clone();
        let did = did.clone();
        readers.push(tokio::spawn(async move {
            let resolver = resolver();
            let mut fetched = 0u32;
            let mut last_revoked = 0usize;
            // Bounded: stop after the writer finished, or after 400 fetches.
            while fetched < 400 && !(done.load(std::sync::atomic::Ordering::SeqCst) && fetched > 0)
            {
                let r = issuer.get("/status/token/1", None).await;
                assert_eq!(r.status, StatusCode::OK);
                let list = verify_status_list_token(
                    &r.text(),
                    &uri,
                    IssuerKey::Resolver {
                        resolver: &resolver,
                        issuer: &did,
                    },
                    Utc::now().timestamp(),
                    &TokenValidation::default(),
                )
                .expect("every fetched list decodes and verifies");
                // Revocations happen in order: the revoked ones are always a prefix, and a
                // reader never goes back to an older state.
                let states: Vec<TokenStatus> =
                    creds.iter().map(|i| list.status(*i).unwrap()).collect();
                let revoked = states
                    .iter()
                    .take_while(|s| **s == TokenStatus::Invalid)
                    .count();
                assert!(
                    states[revoked..].iter().all(|s| *s == TokenStatus::Valid),
                    "torn list: {states:?}"
                );
                assert!(revoked >= last_revoked, "went back in time");
                last_revoked = revoked;
                fetched += 1;
            }
            fetched
        }));
    }
    for (id, _) in &creds {
        let r = issuer
            .admin_post(&format!("/admin/credentials/{id}/revoke"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    for r in readers {
        assert!(r.await.unwrap() > 0);
    }
    // After the writer: everything revoked.
    let r = issuer
        .call(request(Method::GET, "/status/token/1", None, None))
        .await;
    let resolver = resolver();
    let list = verify_status_list_token(
        &r.text(),
        &uri,
        IssuerKey::Resolver {
            resolver: &resolver,
            issuer: &did,
        },
        Utc::now().timestamp(),
        &TokenValidation::default(),
    )
    .unwrap();
    for (_, idx) in &creds {
        assert_eq!(list.status(*idx).unwrap(), TokenStatus::Invalid);
    }
}

#[tokio::test]
async fn lists_stay_signed_by_their_credentials_issuer_across_key_rotation() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(25);
    let (before, offer) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let old_did = issuer.did();
    let r = issuer.admin_post("/admin/keys/rotate", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    let new_did = issuer.did();
    assert_ne!(old_did, new_did);
    let (after, _) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let reference = |c: &serde_json::Value| {
        let sd = credentials::sd_jwt::SdJwt::parse(c.as_str().unwrap()).unwrap();
        let s = &sd.unverified_payload()["status"]["status_list"];
        (
            s["uri"].as_str().unwrap().to_owned(),
            s["idx"].as_u64().unwrap() as usize,
        )
    };
    let (uri_before, idx_before) = reference(&before);
    let (uri_after, idx_after) = reference(&after);
    assert_ne!(uri_before, uri_after, "a new key opens a new list");
    let fetch = |uri: String, did: String, idx: usize| {
        let issuer = &issuer;
        async move {
            let r = issuer
                .get(uri.strip_prefix(PUBLIC_URL).unwrap(), None)
                .await;
            let resolver = resolver();
            verify_status_list_token(
                &r.text(),
                &uri,
                IssuerKey::Resolver {
                    resolver: &resolver,
                    issuer: &did,
                },
                Utc::now().timestamp(),
                &TokenValidation::default(),
            )
            .expect("the list verifies against its credentials' issuer")
            .status(idx)
            .unwrap()
        }
    };
    // The earlier credential's list is still signed by the earlier DID, and revocation shows.
    let id = credential_id_of_offer(&issuer, offer["id"].as_str().unwrap()).await;
    issuer
        .admin_post(&format!("/admin/credentials/{id}/revoke"), json!({}))
        .await;
    assert_eq!(
        fetch(uri_before, old_did, idx_before).await,
        TokenStatus::Invalid
    );
    assert_eq!(
        fetch(uri_after, new_did, idx_after).await,
        TokenStatus::Valid
    );
}
