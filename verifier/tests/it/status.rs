//! Status freshness: every verification revalidates the status list with its server (a
//! conditional GET; the cached list is used only on `304 Not Modified`), so a revocation is
//! seen by the very next verification, never "after the ttl"; a failed revalidation means
//! `status_unavailable`, never the stale copy; and a list (re-)signed while the verification
//! runs is compared with the time read after the fetch, with the bounded clock skew.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::TimeDelta;
use credentials::FailureCode;
use did_methods::{ReqwestHttpClient, UniversalResolver};
use verifier::{
    Clock as _, HttpStatusFetcher, ManualClock, NonceStore, Outcome, StatusCache, Verifier,
};

use crate::fixture::*;

async fn run(
    w: &World,
    req: &verifier::PresentationRequest,
    p: credentials::oid4vp::Presentation,
) -> Outcome {
    w.verifier
        .verify_response(req, &token("age", p))
        .await
        .unwrap()
}

fn rejected_with(outcome: Outcome, code: FailureCode) {
    match outcome {
        Ok(v) => panic!("verified, expected {code}: {v:?}"),
        Err(r) => assert!(r.has(code), "expected {code}, got {:?}", r.failed_checks),
    }
}

/// A fresh request and the holder's SD-JWT VC presentation for it.
async fn present_sd_jwt(w: &World, vc: &str) -> Outcome {
    let req = w.request(over_21_query());
    let p = w.present(vc, &["age_over_21"], &req.nonce, AUDIENCE);
    run(w, &req, compact(p)).await
}

/// A fresh request and the holder's Data Integrity presentation for it.
async fn present_di(w: &World) -> Outcome {
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    run(w, &req, json_vp(vp)).await
}

#[tokio::test]
async fn revocation_is_seen_by_the_very_next_sd_jwt_verification() {
    let w = World::new();
    let vc = w.default_sd_jwt_vc();
    present_sd_jwt(&w, &vc).await.unwrap();
    // The issuer suspends, lifts the suspension, then revokes; the clock does not move (no
    // ttl passes): each change is seen by the very next verification.
    w.publish_token_list(2);
    rejected_with(present_sd_jwt(&w, &vc).await, FailureCode::Suspended);
    w.publish_token_list(0);
    present_sd_jwt(&w, &vc).await.unwrap();
    w.publish_token_list(1);
    rejected_with(present_sd_jwt(&w, &vc).await, FailureCode::Revoked);
}

#[tokio::test]
async fn revocation_is_seen_by_the_very_next_data_integrity_verification() {
    let w = World::new();
    present_di(&w).await.unwrap();
    w.publish_bitstring_list(1, &w.issuer);
    rejected_with(present_di(&w).await, FailureCode::Revoked);
}

#[tokio::test]
async fn an_unchanged_list_is_revalidated_and_the_cached_copy_reused_on_304() {
    let w = World::new();
    let vc = w.default_sd_jwt_vc();
    present_sd_jwt(&w, &vc).await.unwrap();
    assert_eq!(
        w.status.answers(),
        (1, 0),
        "the first lookup fetches the list"
    );
    present_sd_jwt(&w, &vc).await.unwrap();
    present_sd_jwt(&w, &vc).await.unwrap();
    assert_eq!(
        w.status.answers(),
        (1, 2),
        "each later lookup asks the server, which answers 304: the cached list is used"
    );
}

#[tokio::test]
async fn a_failed_revalidation_means_status_unavailable_never_the_cached_list() {
    let w = World::new();
    let vc = w.default_sd_jwt_vc();
    present_sd_jwt(&w, &vc).await.unwrap();
    w.unserve(TOKEN_LIST_URI);
    rejected_with(
        present_sd_jwt(&w, &vc).await,
        FailureCode::StatusUnavailable,
    );
    let w = World::new();
    present_di(&w).await.unwrap();
    w.unserve(BITSTRING_LIST_URL);
    rejected_with(present_di(&w).await, FailureCode::StatusUnavailable);
}

/// The fetch takes 2 seconds (the clock moves while the list is fetched) and the issuer
/// signs the list on that request, after the verification read its clock.
fn slow_fetch(w: &World) {
    let clock = w.clock.clone();
    *w.status.on_request.lock().unwrap() = Some(Box::new(move || {
        clock.advance(TimeDelta::seconds(2));
    }));
}

#[tokio::test]
async fn a_token_list_signed_after_the_verification_began_is_accepted() {
    let w = World::new();
    let vc = w.default_sd_jwt_vc();
    slow_fetch(&w);
    let begin = w.clock_now().timestamp();
    // Signed a second after the verification began (before the fetch returned).
    w.serve(
        TOKEN_LIST_URI,
        w.token_list_jwt_at(TOKEN_LIST_URI, 0, begin + 1)
            .into_bytes(),
    );
    present_sd_jwt(&w, &vc).await.unwrap();
    // By an issuer whose clock is 30 s ahead of ours: within the skew.
    let now = w.clock_now().timestamp();
    w.serve(
        TOKEN_LIST_URI,
        w.token_list_jwt_at(TOKEN_LIST_URI, 1, now + 30)
            .into_bytes(),
    );
    rejected_with(present_sd_jwt(&w, &vc).await, FailureCode::Revoked);
    // Dated an hour ahead: not a list to rely on.
    let now = w.clock_now().timestamp();
    w.serve(
        TOKEN_LIST_URI,
        w.token_list_jwt_at(TOKEN_LIST_URI, 0, now + 3600)
            .into_bytes(),
    );
    rejected_with(
        present_sd_jwt(&w, &vc).await,
        FailureCode::StatusUnavailable,
    );
}

#[tokio::test]
async fn a_bitstring_list_signed_after_the_verification_began_is_accepted() {
    let w = World::new();
    slow_fetch(&w);
    let signed = w.clock_now() + TimeDelta::seconds(1);
    w.publish_bitstring_list_at(0, &w.issuer, signed, signed);
    present_di(&w).await.unwrap();
    // Valid from an hour ahead: refused.
    let ahead = w.clock_now() + TimeDelta::hours(1);
    w.publish_bitstring_list_at(0, &w.issuer, ahead, w.clock_now());
    rejected_with(present_di(&w).await, FailureCode::StatusUnavailable);
}

/// What the test status server knows and saw.
#[derive(Default)]
struct Published {
    list: Mutex<Option<(String, String)>>,
    full: AtomicUsize,
    not_modified: AtomicUsize,
    conditions: Mutex<Vec<String>>,
}

/// Answers like the issuer's status endpoints: `ETag`, `Cache-Control: no-cache`, 304 when
/// `If-None-Match` names the current tag; 503 when nothing is published.
async fn status_list(State(published): State<Arc<Published>>, headers: HeaderMap) -> Response {
    let condition = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(c) = &condition {
        published.conditions.lock().unwrap().push(c.clone());
    }
    let Some((etag, body)) = published.list.lock().unwrap().clone() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let headers = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "public, no-cache".to_owned()),
    ];
    if condition.as_deref() == Some(etag.as_str()) {
        published.not_modified.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    published.full.fetch_add(1, Ordering::SeqCst);
    (headers, body).into_response()
}

#[tokio::test]
async fn over_http_the_verifier_sends_if_none_match_and_sees_a_revocation_at_once() {
    let w = World::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status/token/1", listener.local_addr().unwrap());
    let published = Arc::new(Published::default());
    let app = Router::new()
        .route("/status/token/1", get(status_list))
        .with_state(published.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let publish = |value: u8, etag: &str| {
        *published.list.lock().unwrap() = Some((etag.to_owned(), w.token_list_jwt(&url, value)));
    };
    publish(0, "\"1-1\"");

    // The production fetcher (guarded client; loopback allowed for this test only).
    let http = ReqwestHttpClient::builder()
        .timeout(std::time::Duration::from_secs(10))
        .dangerous()
        .allow_loopback()
        .build()
        .unwrap();
    let clock = Arc::new(ManualClock::new(w.clock_now()));
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(redb::Database::create(dir.path().join("verifier.redb")).unwrap());
    let verifier = Verifier::new(
        clock.clone(),
        Arc::new(UniversalResolver::offline()),
        Arc::new(StatusCache::new(
            Arc::new(HttpStatusFetcher::new(http)),
            16,
            TimeDelta::minutes(5),
        )),
        NonceStore::new(db).unwrap(),
    );
    let vc = w.sd_jwt_vc_now(&url);
    let verify = || async {
        let nonce = verifier
            .nonces()
            .issue(clock.now(), TimeDelta::minutes(5))
            .unwrap();
        let req = verifier::PresentationRequest {
            dcql_query: over_21_query(),
            nonce,
            audience: AUDIENCE.into(),
            policy: w.policy(),
        };
        let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
        verifier
            .verify_response(&req, &token("age", compact(p)))
            .await
            .unwrap()
    };

    verify().await.unwrap();
    verify().await.unwrap();
    assert_eq!(published.full.load(Ordering::SeqCst), 1);
    assert_eq!(published.not_modified.load(Ordering::SeqCst), 1);
    assert_eq!(*published.conditions.lock().unwrap(), ["\"1-1\""]);

    // Revoked: a new revision, a new tag. The very next verification sees it.
    publish(1, "\"1-2\"");
    rejected_with(verify().await, FailureCode::Revoked);
    assert_eq!(published.full.load(Ordering::SeqCst), 2);
    assert_eq!(
        *published.conditions.lock().unwrap(),
        ["\"1-1\"", "\"1-1\""]
    );

    // The server stops answering with the list: the status is unavailable, although a copy
    // of the list is cached.
    *published.list.lock().unwrap() = None;
    rejected_with(verify().await, FailureCode::StatusUnavailable);
    server.abort();
}
