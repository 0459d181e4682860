//! The service through the router (tower oneshot) and on a real socket: the full OpenID4VP
//! flow driven by the test holder, events, VC-API, hardening.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use credentials::oid4vp::{AuthorizationResponse, Presentation};
use did_methods::UniversalResolver;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use verifier::{AppState, Scenario, ServiceConfig, ServiceParts, app};

use crate::fixture::*;
use crate::holder;

pub const TOKEN: &str = "test-admin-token-0123456789";

pub fn state_for(w: &World, dir: &std::path::Path, public_url: &str, rate_limit: u32) -> AppState {
    let mut scenario = Scenario::liquor_store(vec![w.issuer.did.clone()]);
    scenario
        .issuer_names
        .insert(w.issuer.did.clone(), "Example DMV".into());
    let mut config = ServiceConfig::new(
        dir.to_path_buf(),
        url::Url::parse(public_url).unwrap(),
        TOKEN.into(),
        scenario,
    );
    config.rate_limit_per_minute = rate_limit;
    let parts = ServiceParts {
        clock: w.clock.clone(),
        resolver: Arc::new(UniversalResolver::offline()),
        status_fetcher: w.status.clone(),
    };
    AppState::open(config, parts).unwrap()
}

/// A service on a real socket; returns its base URL and the shutdown trigger.
pub async fn spawn(w: &World, dir: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = state_for(w, dir, &base, 10_000);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(verifier::serve(state, listener, async move {
        let _ = rx.await;
    }));
    (base, tx)
}

async fn body_json(resp: axum::response::Response) -> Value {
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn create_body(w: &World) -> Value {
    json!({
        "dcql_query": {"credentials": [{"id": "age", "format": "dc+sd-jwt",
            "claims": [{"path": ["age_over_21"], "values": [true]}]}]},
        "trusted_issuers": [w.issuer.did],
        "required_claims": [{"path": ["age_over_21"], "equals": true}]
    })
}

fn post_json(uri: &str, body: &Value, token: Option<&str>) -> Request<Body> {
    let mut b = Request::post(uri).header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_string())).unwrap()
}

#[test]
fn service_refuses_to_start_without_an_admin_token() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let config = ServiceConfig::new(
        dir.path().into(),
        url::Url::parse("http://127.0.0.1:1").unwrap(),
        "  ".into(),
        Scenario::liquor_store(vec![w.issuer.did.clone()]),
    );
    let parts = ServiceParts {
        clock: w.clock.clone(),
        resolver: Arc::new(UniversalResolver::offline()),
        status_fetcher: w.status.clone(),
    };
    assert!(matches!(
        AppState::open(config.clone(), parts.clone()),
        Err(verifier::ServiceError::NoAdminToken)
    ));
    let mut weak = config;
    weak.admin_token = "short".into();
    assert!(matches!(
        AppState::open(weak, parts),
        Err(verifier::ServiceError::Config(_))
    ));
}

#[tokio::test]
async fn router_health_auth_validation_and_single_fetch() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let router = app(state_for(
        &w,
        dir.path(),
        "https://verifier.example",
        10_000,
    ));

    let resp = router
        .clone()
        .oneshot(Request::get("/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body_json(resp).await, json!({"status": "ok"}));

    let resp = router
        .clone()
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(body_json(resp).await["openapi"], "3.1.0");

    // Management needs the token.
    for token in [None, Some("wrong")] {
        let resp = router
            .clone()
            .oneshot(post_json("/presentation-requests", &create_body(&w), token))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(body_json(resp).await["code"], "unauthorized");
    }
    // Malformed JSON, an invalid DCQL query, a policy trusting nobody: 400 with stable codes.
    let bad = Request::post("/presentation-requests")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::from("{\"dcql_query\": [1,2"))
        .unwrap();
    let resp = router.clone().oneshot(bad).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(resp).await["code"], "malformed_json");
    let mut body = create_body(&w);
    body["dcql_query"] = json!({"credentials": []});
    let resp = router
        .clone()
        .oneshot(post_json("/presentation-requests", &body, Some(TOKEN)))
        .await
        .unwrap();
    assert_eq!(body_json(resp).await["code"], "invalid_dcql_query");
    let mut body = create_body(&w);
    body["trusted_issuers"] = json!([]);
    let resp = router
        .clone()
        .oneshot(post_json("/presentation-requests", &body, Some(TOKEN)))
        .await
        .unwrap();
    assert_eq!(body_json(resp).await["code"], "invalid_policy");
    let mut body = create_body(&w);
    body["formats"] = json!(["ldp_vc"]);
    let resp = router
        .clone()
        .oneshot(post_json("/presentation-requests", &body, Some(TOKEN)))
        .await
        .unwrap();
    assert_eq!(body_json(resp).await["code"], "invalid_policy");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let resp = router
        .clone()
        .oneshot(
            Request::post("/credentials/verify")
                .body(Body::from(deep))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let resp = router
        .clone()
        .oneshot(post_json(
            "/presentation-requests",
            &create_body(&w),
            Some(TOKEN),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created = body_json(resp).await;
    let link =
        credentials::oid4vp::RequestLink::parse(created["request_uri"].as_str().unwrap()).unwrap();
    assert!(
        created["request_uri"]
            .as_str()
            .unwrap()
            .starts_with("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3A")
    );
    let path = link
        .request_uri
        .strip_prefix("https://verifier.example")
        .unwrap()
        .to_owned();
    let resp = router
        .clone()
        .oneshot(Request::get(&path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = router
        .clone()
        .oneshot(Request::get(&path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert_eq!(body_json(resp).await["code"], "request_already_fetched");

    let status = format!("/presentation-requests/{}", created["id"].as_str().unwrap());
    let resp = router
        .clone()
        .oneshot(Request::get(&status).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let view = body_json(resp).await;
    assert_eq!(view["state"], "pending");
    // Expiry is computed from the injected clock.
    w.clock.advance(chrono::TimeDelta::minutes(6));
    let resp = router
        .clone()
        .oneshot(Request::get(&status).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(body_json(resp).await["state"], "expired");

    let resp = router
        .clone()
        .oneshot(
            Request::get("/presentation-requests/nope")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = router
        .clone()
        .oneshot(Request::get("/nothing-here").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(body_json(resp).await["code"], "not_found");
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_clients_are_rate_limited() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let router = app(state_for(&w, dir.path(), "https://verifier.example", 20));
    let big = json!({"verifiableCredential": "x".repeat(verifier::service::MAX_JSON_BODY + 10)});
    let resp = router
        .clone()
        .oneshot(post_json("/credentials/verify", &big, None))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let mut limited = 0;
    for _ in 0..40 {
        let resp = router
            .clone()
            .oneshot(Request::post("/challenges").body(Body::empty()).unwrap())
            .await
            .unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body_json(resp).await["code"], "rate_limited");
            limited += 1;
        }
    }
    assert!(limited > 0);
}

/// Reads SSE `state` events until one is final; bounded by a chunk count.
async fn read_until_final(mut resp: reqwest::Response) -> Vec<Value> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    for _ in 0..200 {
        let Some(chunk) = resp.chunk().await.unwrap() else {
            break;
        };
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                let v: Value = serde_json::from_str(data).unwrap();
                let done = v["state"] != "pending";
                events.push(v);
                if done {
                    return events;
                }
            }
        }
    }
    events
}

#[tokio::test]
async fn full_openid4vp_flow_on_a_real_socket_with_events() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = spawn(&w, dir.path()).await;
    let http = reqwest::Client::new();

    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&create_body(&w))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let events = http
        .get(format!("{base}/presentation-requests/{id}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let events = tokio::spawn(read_until_final(events));

    let request = holder::fetch_request(&http, created["request_uri"].as_str().unwrap()).await;
    assert_eq!(request.response_mode, "direct_post");
    let credential = w.default_sd_jwt_vc();
    let answer = holder::answer_sd_jwt(&w, &request, &credential, &w.holder.key);
    let resp = holder::post(&http, &request, &answer).await;
    assert_eq!(resp.status(), 200);

    let events = events.await.unwrap();
    assert_eq!(events.first().unwrap()["state"], "pending");
    let last = events.last().unwrap();
    assert_eq!(last["state"], "verified");
    assert_eq!(
        last["message"],
        format!("Over 21: yes. Issued by Example DMV. Nothing else was shared.")
    );

    let view: Value = http
        .get(format!("{base}/presentation-requests/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "verified");
    assert_eq!(
        view["credentials"],
        json!([{"issuer": w.issuer.did, "format": "dc+sd-jwt",
        "claims": {"age_over_21": true}, "unrequested_claims": []}])
    );
    assert_eq!(view["failed_checks"], json!([]));

    // The outcome page without script says the same.
    let page = http
        .get(format!("{base}/outcome/{id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Over 21: yes. Issued by Example DMV. Nothing else was shared."));
    assert!(page.contains("data-state=\"verified\""));

    // The same response again: refused, and the outcome does not change.
    let resp = holder::post(&http, &request, &answer).await;
    assert_eq!(resp.status(), 400);
    let view: Value = http
        .get(format!("{base}/presentation-requests/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "verified");
    let _ = stop.send(());
}

#[tokio::test]
async fn rejected_flow_names_the_failed_checks() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = spawn(&w, dir.path()).await;
    let http = reqwest::Client::new();
    w.publish_token_list(1);
    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&create_body(&w))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let request = holder::fetch_request(&http, created["request_uri"].as_str().unwrap()).await;
    let answer = holder::answer_sd_jwt(&w, &request, &w.default_sd_jwt_vc(), &w.holder.key);
    let resp = holder::post(&http, &request, &answer).await;
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"], "invalid_request");
    let view: Value = http
        .get(format!("{base}/presentation-requests/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "rejected");
    assert_eq!(view["failed_checks"][0]["code"], "revoked");
    assert_eq!(view["credentials"], json!([]));
    assert!(view["message"].as_str().unwrap().contains("revoked"));

    // A wallet that declines.
    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&create_body(&w))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = holder::fetch_request(&http, created["request_uri"].as_str().unwrap()).await;
    let decline = AuthorizationResponse::Error {
        error: "access_denied".into(),
        error_description: None,
        state: Some(request.state.clone()),
    };
    holder::post(&http, &request, &decline).await;
    let view: Value = http
        .get(format!(
            "{base}/presentation-requests/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["failed_checks"][0]["code"], "wallet_declined");
    // A response with the wrong `state` is refused without touching the request.
    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&create_body(&w))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = holder::fetch_request(&http, created["request_uri"].as_str().unwrap()).await;
    let mut answer = holder::answer_sd_jwt(&w, &request, &w.default_sd_jwt_vc(), &w.holder.key);
    if let AuthorizationResponse::VpToken { state, .. } = &mut answer {
        *state = Some("forged".into());
    }
    assert_eq!(holder::post(&http, &request, &answer).await.status(), 400);
    let view: Value = http
        .get(format!(
            "{base}/presentation-requests/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "pending");
    let _ = stop.send(());
}

async fn vcapi(router: &axum::Router, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = router
        .clone()
        .oneshot(post_json(path, &body, None))
        .await
        .unwrap();
    let status = resp.status();
    (status, body_json(resp).await)
}

fn first_code(v: &Value) -> String {
    v["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn vcapi_verifies_every_format_the_shared_crate_issues_and_names_tampering() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let state = state_for(&w, dir.path(), "https://verifier.example", 10_000);
    let client_id = state.client_id().to_owned();
    let router = app(state);

    // Data Integrity credential.
    let vc = w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z");
    let (status, v) = vcapi(
        &router,
        "/credentials/verify",
        json!({"verifiableCredential": vc}),
    )
    .await;
    assert_eq!(
        (status, v["verified"].clone()),
        (StatusCode::OK, json!(true)),
        "{v}"
    );
    assert!(v["checks"].as_array().unwrap().contains(&json!("status")));
    let mut tampered = vc.clone();
    tampered["credentialSubject"]["age_over_21"] = json!(false);
    let (status, v) = vcapi(
        &router,
        "/credentials/verify",
        json!({"verifiableCredential": tampered}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["verified"], false);
    assert_eq!(first_code(&v), "signature_invalid");

    // SD-JWT VC (issuer-signed, no key binding needed for a credential).
    let sd = w.default_sd_jwt_vc();
    let (status, v) = vcapi(
        &router,
        "/credentials/verify",
        json!({"verifiableCredential": sd}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (jwt, rest) = sd.split_once('~').unwrap();
    let mut jwt = jwt.to_owned();
    let last = jwt.pop().unwrap();
    jwt.push(if last == 'A' { 'Q' } else { 'A' });
    let (status, v) = vcapi(
        &router,
        "/credentials/verify",
        json!({"verifiableCredential": format!("{jwt}~{rest}")}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        ["signature_invalid", "malformed"].contains(&first_code(&v).as_str()),
        "{v}"
    );

    // Data Integrity presentation with a challenge from /challenges; replay refused.
    let (_, c) = vcapi(&router, "/challenges", json!({})).await;
    let challenge = c["challenge"].as_str().unwrap().to_owned();
    let vp = w.di_vp(vc.clone(), &w.holder, &challenge, &client_id);
    let body = json!({"verifiablePresentation": vp, "options": {"challenge": challenge}});
    let (status, v) = vcapi(&router, "/presentations/verify", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = vcapi(&router, "/presentations/verify", body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(first_code(&v), "nonce_mismatch");
    let (_, c) = vcapi(&router, "/challenges", json!({})).await;
    let challenge = c["challenge"].as_str().unwrap().to_owned();
    let mut vp = w.di_vp(vc, &w.holder, &challenge, &client_id);
    vp["holder"] = json!(w.other_holder.did);
    let (status, v) = vcapi(
        &router,
        "/presentations/verify",
        json!({"verifiablePresentation": vp, "options": {"challenge": challenge}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!v["errors"].as_array().unwrap().is_empty());

    // SD-JWT VC with KB-JWT as a presentation.
    let (_, c) = vcapi(&router, "/challenges", json!({})).await;
    let challenge = c["challenge"].as_str().unwrap().to_owned();
    let p = w.present(&sd, &["age_over_21"], &challenge, &client_id);
    let (status, v) = vcapi(
        &router,
        "/presentations/verify",
        json!({"verifiablePresentation": p, "options": {"challenge": challenge}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, c) = vcapi(&router, "/challenges", json!({})).await;
    let challenge = c["challenge"].as_str().unwrap().to_owned();
    let p = w.present(&sd, &["age_over_21"], &challenge, &client_id);
    let stripped = format!("{}~", p.rsplit_once('~').unwrap().0);
    let (status, v) = vcapi(
        &router,
        "/presentations/verify",
        json!({"verifiablePresentation": stripped, "options": {"challenge": challenge}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(first_code(&v), "key_binding_missing");

    // eddsa-rdfc-2022 credentials, and SD-JWT VCs signed with ES256 (P-256 did:key).
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "AgeCredential"],
        "issuer": w.issuer.did,
        "validFrom": "2026-06-01T00:00:00Z",
        "credentialSubject": {"id": w.holder.did, "age_over_21": true}
    });
    let rdfc = credentials::data_integrity::sign(
        &unsigned,
        credentials::data_integrity::Cryptosuite::EddsaRdfc2022,
        &credentials::data_integrity::ProofOptions::assertion(
            w.issuer.vm.clone(),
            t0() - chrono::TimeDelta::days(1),
        ),
        &w.issuer.key,
    )
    .unwrap();
    let (status, v) = vcapi(
        &router,
        "/credentials/verify",
        json!({"verifiableCredential": rdfc}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mut tampered = rdfc.clone();
    tampered["credentialSubject"]["age_over_21"] = json!(false);
    let (status, v) = vcapi(
        &router,
        "/credentials/verify",
        json!({"verifiableCredential": tampered}),
    )
    .await;
    assert_eq!(
        (status, first_code(&v).as_str()),
        (StatusCode::BAD_REQUEST, "signature_invalid")
    );

    let p256 = credentials::P256SigningKey::from_bytes(&[7; 32]).unwrap();
    let p256_did = did_methods::DidKey::from_public_key(&credentials::Signer::public_key(&p256));
    let p256_dir = tempfile::tempdir().unwrap();
    let p256_state = {
        let mut scenario = Scenario::liquor_store(vec![p256_did.did().to_string()]);
        scenario.policy.trusted_issuers.push(w.issuer.did.clone());
        let config = ServiceConfig::new(
            p256_dir.path().to_path_buf(),
            url::Url::parse("https://v.example").unwrap(),
            TOKEN.into(),
            scenario,
        );
        AppState::open(
            config,
            ServiceParts {
                clock: w.clock.clone(),
                resolver: Arc::new(UniversalResolver::offline()),
                status_fetcher: w.status.clone(),
            },
        )
        .unwrap()
    };
    let mut options = credentials::sd_jwt::SdJwtVcOptions::new(VCT);
    options.iss = Some(p256_did.did().to_string());
    options.kid = Some(p256_did.verification_method_id().to_string());
    options.iat = Some(t0() - chrono::TimeDelta::days(1));
    options.cnf = Some(credentials::Signer::public_key(&w.holder.key));
    let es256 = credentials::sd_jwt::issue_sd_jwt_vc(
        json!({"age_over_21": true}).as_object().unwrap().clone(),
        &[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])],
        &options,
        &p256,
        &mut rand::rngs::OsRng,
    )
    .unwrap()
    .into_string();
    let p256_router = app(p256_state);
    let (status, v) = vcapi(
        &p256_router,
        "/credentials/verify",
        json!({"verifiableCredential": es256}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // The same credential against the first service, which does not trust that issuer.
    let (status, v) = vcapi(
        &router,
        "/credentials/verify",
        json!({"verifiableCredential": es256}),
    )
    .await;
    assert_eq!(
        (status, first_code(&v).as_str()),
        (StatusCode::BAD_REQUEST, "untrusted_issuer")
    );

    // A challenge is required.
    let (status, v) = vcapi(
        &router,
        "/presentations/verify",
        json!({"verifiablePresentation": "x", "options": {}}),
    )
    .await;
    assert_eq!(
        (status, v["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("challenge_required"))
    );
    let _ = Presentation::Compact(String::new());
}

#[derive(Clone, Default)]
struct SharedLog(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_disclosed_claim_values() {
    let log = SharedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = spawn(&w, dir.path()).await;
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&create_body(&w))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = holder::fetch_request(&http, created["request_uri"].as_str().unwrap()).await;
    // The holder over-shares its name: it is reported to the relying party, never logged.
    let presentation = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21", "given_name"],
        &request.nonce,
        &request.client_id,
    );
    let mut vp_token = std::collections::BTreeMap::new();
    vp_token.insert(
        "age".to_owned(),
        vec![Presentation::Compact(presentation.clone())],
    );
    let answer = AuthorizationResponse::VpToken {
        vp_token,
        state: Some(request.state.clone()),
    };
    assert_eq!(holder::post(&http, &request, &answer).await.status(), 200);
    let view: Value = http
        .get(format!(
            "{base}/presentation-requests/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["credentials"][0]["claims"]["given_name"], "Alice");
    assert_eq!(
        view["credentials"][0]["unrequested_claims"],
        json!(["given_name"])
    );
    assert!(
        view["message"]
            .as_str()
            .unwrap()
            .contains("Also shared, though not asked for: given_name")
    );
    let _ = stop.send(());

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("presentation response processed"), "{text}");
    assert!(!text.contains("Alice"));
    for disclosure in presentation.split('~').skip(1) {
        if !disclosure.is_empty() {
            assert!(!text.contains(disclosure));
        }
    }
    assert!(!text.contains(TOKEN));
    // Request ids and wallet keys are capabilities: only hashes of them are logged.
    let key = request.response_uri.rsplit('/').next().unwrap().to_owned();
    assert!(!text.contains(created["id"].as_str().unwrap()));
    assert!(!text.contains(&key));
    assert!(text.contains(&verifier::service::log_ref(created["id"].as_str().unwrap())));
}

#[tokio::test]
async fn launcher_entry_point_serves_the_demo_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = Party::new(1);
    let config = ServiceConfig::new(
        dir.path().join("data"),
        url::Url::parse(&base).unwrap(),
        TOKEN.into(),
        Scenario::liquor_store(vec![issuer.did.clone()]),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(verifier::run(config, listener, async move {
        let _ = rx.await;
    }));
    let http = reqwest::Client::new();
    let health: Value = http
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok"}));
    let page = http.get(format!("{base}/")).send().await.unwrap();
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Prove you are over 21") && html.contains("openid4vp://"));
    assert!(
        html.len() < 64 * 1024,
        "the page stays small: {} bytes",
        html.len()
    );
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    // The key and the database persist for the next start.
    assert!(dir.path().join("data/verifier-key").exists());
    assert!(dir.path().join("data/verifier.redb").exists());
}

#[test]
fn shipped_scenario_file_is_valid() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/liquor-store.json"
    ))
    .unwrap();
    let scenario: Scenario = serde_json::from_str(&text).unwrap();
    scenario.validate().unwrap();
    assert_eq!(
        scenario.policy.trusted_issuers,
        vec!["did:web:dmv.example".to_owned()]
    );
    assert!(serde_json::from_str::<Scenario>(&text.replace("\"prompt\"", "\"promt\"")).is_err());
}

#[tokio::test]
async fn event_stream_reports_expiry() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = spawn(&w, dir.path()).await;
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&create_body(&w))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = http
        .get(format!(
            "{base}/presentation-requests/{}/events",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    let reader = tokio::spawn(read_until_final(events));
    w.clock.advance(chrono::TimeDelta::minutes(10));
    let events = reader.await.unwrap();
    assert_eq!(events.last().unwrap()["state"], "expired");
    assert!(
        events.last().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    let _ = stop.send(());
}

#[tokio::test]
async fn full_openid4vp_flow_with_a_data_integrity_presentation() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = spawn(&w, dir.path()).await;
    let http = reqwest::Client::new();
    let body = json!({
        "dcql_query": {"credentials": [{"id": "age", "format": "ldp_vc",
            "meta": {"type_values": [["VerifiableCredential", "AgeCredential"]]},
            "claims": [{"path": ["credentialSubject", "age_over_21"], "values": [true]}]}]},
        "trusted_issuers": [w.issuer.did],
        "formats": ["ldp_vc"],
        "required_claims": [{"path": ["age_over_21"], "equals": true}]
    });
    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = holder::fetch_request(&http, created["request_uri"].as_str().unwrap()).await;
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &request.nonce,
        &request.client_id,
    );
    let mut vp_token = std::collections::BTreeMap::new();
    vp_token.insert("age".to_owned(), vec![json_vp(vp)]);
    let answer = AuthorizationResponse::VpToken {
        vp_token,
        state: Some(request.state.clone()),
    };
    let resp = holder::post(&http, &request, &answer).await;
    assert_eq!(resp.status(), 200);
    let view: Value = http
        .get(format!(
            "{base}/presentation-requests/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "verified", "{view}");
    assert_eq!(view["credentials"][0]["format"], "ldp_vc");
    assert_eq!(
        view["credentials"][0]["claims"],
        json!({"age_over_21": true})
    );
    let _ = stop.send(());
}

#[test]
fn damaged_database_or_key_file_is_refused_not_reinitialised() {
    let w = World::new();
    let parts = || ServiceParts {
        clock: w.clock.clone(),
        resolver: Arc::new(UniversalResolver::offline()),
        status_fetcher: w.status.clone(),
    };
    let config = |dir: &std::path::Path| {
        ServiceConfig::new(
            dir.to_path_buf(),
            url::Url::parse("https://v.example").unwrap(),
            TOKEN.into(),
            Scenario::liquor_store(vec![w.issuer.did.clone()]),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("verifier.redb"),
        b"not a redb file, not even close to one",
    )
    .unwrap();
    assert!(matches!(
        AppState::open(config(dir.path()), parts()),
        Err(verifier::ServiceError::Store(_))
    ));
    assert_eq!(
        std::fs::read(dir.path().join("verifier.redb")).unwrap(),
        b"not a redb file, not even close to one"
    );

    let dir = tempfile::tempdir().unwrap();
    let client_id = AppState::open(config(dir.path()), parts())
        .unwrap()
        .client_id()
        .to_owned();
    // The same key after a restart: the client id is stable.
    assert_eq!(
        AppState::open(config(dir.path()), parts())
            .unwrap()
            .client_id(),
        client_id
    );
    std::fs::write(dir.path().join("verifier-key"), b"short").unwrap();
    assert!(matches!(
        AppState::open(config(dir.path()), parts()),
        Err(verifier::ServiceError::Config(_))
    ));
}

#[tokio::test]
async fn every_path_of_the_openapi_document_is_routed() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let router = app(state_for(
        &w,
        dir.path(),
        "https://verifier.example",
        10_000,
    ));
    let doc: Value = serde_json::from_str(verifier::service::OPENAPI).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 12);
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let uri = path.replace("{id}", "unknown").replace("{key}", "unknown");
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::from("{}"))
                .unwrap();
            let resp = router.clone().oneshot(request).await.unwrap();
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            let routed = !String::from_utf8_lossy(&bytes).contains("no such route");
            assert!(
                routed && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {status}"
            );
        }
    }
}

#[tokio::test]
async fn concurrent_duplicate_responses_cannot_overwrite_the_outcome() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = spawn(&w, dir.path()).await;
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{base}/presentation-requests"))
        .bearer_auth(TOKEN)
        .json(&create_body(&w))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = holder::fetch_request(&http, created["request_uri"].as_str().unwrap()).await;
    let answer = holder::answer_sd_jwt(&w, &request, &w.default_sd_jwt_vc(), &w.holder.key);
    let posts: Vec<_> = (0..4)
        .map(|_| {
            let (http, request, answer) = (http.clone(), request.clone(), answer.clone());
            tokio::spawn(async move {
                holder::post(&http, &request, &answer)
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for p in posts {
        statuses.push(p.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 400, 400, 400]);
    let view: Value = http
        .get(format!(
            "{base}/presentation-requests/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "verified");
    let _ = stop.send(());
}
