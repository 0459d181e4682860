//! The verifier pipeline in process: what `/presentations/verify` and the OpenID4VP response
//! endpoint do per request, without HTTP. The HTTP figures (`benches/http.rs`) are compared
//! with these.
//!
//! Groups (read by `scripts/bench`):
//! - `pipeline/presentation_sd_jwt_kb`: `verify_presentation_alone` of one SD-JWT VC + KB-JWT
//!   from a `did:key` issuer: DID resolution, both signatures, disclosures, policy, and the
//!   durable single-use consumption of the challenge (a redb write transaction).
//! - `pipeline/response_sd_jwt_kb`: `Verifier::verify_response` (OpenID4VP `vp_token` against a
//!   DCQL query), same credential.
//! - `pipeline_parts/nonce_issue`: issuing one nonce (one durable redb write), the cost every
//!   request pays once more when it is consumed.
//!
//! Each presentation is prepared outside the timed section (a fresh nonce each: they are
//! single-use).

// Benchmarks build fixtures that are known to be valid: a failure is a broken fixture and
// should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use credentials::oid4vp::{DcqlQuery, Presentation};
use credentials::sd_jwt::{self, ClaimPath, SdJwt, SdJwtVcOptions};
use credentials::{Ed25519SigningKey, Signer as _};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use did_methods::{DidKey, UniversalResolver};
use verifier::{
    NonceStore, Policy, PresentationRequest, RequiredClaim, StatusCache, StatusFetchError,
    StatusFetcher, SystemClock, Verifier, verify_presentation_alone,
};

struct NoStatusLists;

#[async_trait::async_trait]
impl StatusFetcher for NoStatusLists {
    async fn fetch(&self, _: &str) -> Result<Vec<u8>, StatusFetchError> {
        Err(StatusFetchError::InvalidUrl)
    }
}

const AUDIENCE: &str = "https://verifier.bench.example";

fn pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = Ed25519SigningKey::from_seed(&[1; 32]);
    let issuer_did = DidKey::from_public_key(&issuer.public_key());
    let holder = Ed25519SigningKey::from_seed(&[2; 32]);
    let mut options = SdJwtVcOptions::new("https://example.org/age");
    options.iss = Some(issuer_did.did().to_string());
    options.kid = Some(issuer_did.verification_method_id().to_string());
    options.iat = Some(Utc::now());
    options.cnf = Some(holder.public_key());
    let claims = serde_json::json!({"age_over_21": true, "given_name": "Alice"});
    let credential = sd_jwt::issue_sd_jwt_vc(
        claims.as_object().cloned().unwrap(),
        &[
            ClaimPath::keys(["age_over_21"]),
            ClaimPath::keys(["given_name"]),
        ],
        &options,
        &issuer,
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let credential = SdJwt::parse(credential.as_str()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(redb::Database::create(dir.path().join("verifier.redb")).unwrap());
    let verifier = Verifier::new(
        Arc::new(SystemClock),
        Arc::new(UniversalResolver::offline()),
        Arc::new(StatusCache::new(
            Arc::new(NoStatusLists),
            64,
            TimeDelta::minutes(5),
        )),
        NonceStore::new(db).unwrap(),
    );
    let mut policy = Policy::trusting(vec![issuer_did.did().to_string()]);
    policy.required_claims = vec![RequiredClaim {
        path: credentials::oid4vp::ClaimPath::keys(["age_over_21"]),
        equals: Some(serde_json::json!(true)),
    }];
    let dcql_query = DcqlQuery::from_json(&serde_json::json!({"credentials": [{
        "id": "age", "format": "dc+sd-jwt",
        "claims": [{"path": ["age_over_21"], "values": [true]}]}]}))
    .unwrap();

    // A fresh nonce and a presentation bound to it.
    let prepare = || {
        let nonce = verifier
            .nonces()
            .issue(Utc::now(), TimeDelta::minutes(5))
            .unwrap();
        let presentation = credential
            .present_with_key_binding(
                &[ClaimPath::keys(["age_over_21"])],
                &holder,
                AUDIENCE,
                &nonce,
                Utc::now(),
            )
            .unwrap();
        (nonce, presentation)
    };
    let (nonce, presentation) = prepare();
    let outcome = rt
        .block_on(verify_presentation_alone(
            &verifier,
            Presentation::Compact(presentation),
            &nonce,
            AUDIENCE,
            &policy,
        ))
        .unwrap();
    assert!(outcome.is_ok(), "fixture must verify");

    let mut g = c.benchmark_group("pipeline");
    g.bench_function("presentation_sd_jwt_kb", |b| {
        b.iter_batched(
            prepare,
            |(nonce, presentation)| {
                let outcome = rt
                    .block_on(verify_presentation_alone(
                        &verifier,
                        Presentation::Compact(presentation),
                        &nonce,
                        AUDIENCE,
                        &policy,
                    ))
                    .unwrap();
                assert!(outcome.is_ok());
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("response_sd_jwt_kb", |b| {
        b.iter_batched(
            || {
                let (nonce, presentation) = prepare();
                let request = PresentationRequest {
                    dcql_query: dcql_query.clone(),
                    nonce,
                    audience: AUDIENCE.into(),
                    policy: policy.clone(),
                };
                let vp_token = [("age".to_owned(), vec![Presentation::Compact(presentation)])]
                    .into_iter()
                    .collect();
                (request, vp_token)
            },
            |(request, vp_token)| {
                let outcome = rt
                    .block_on(verifier.verify_response(&request, &vp_token))
                    .unwrap();
                assert!(outcome.is_ok());
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("pipeline_parts");
    g.bench_function("nonce_issue", |b| {
        b.iter(|| {
            verifier
                .nonces()
                .issue(Utc::now(), TimeDelta::minutes(5))
                .unwrap()
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = pipeline
}
criterion_main!(benches);
