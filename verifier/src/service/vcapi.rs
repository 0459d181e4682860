//! VC-API (W3C VCALM) verification endpoints, as the W3C conformance suites call them:
//! `POST /challenges`, `POST /credentials/verify`, `POST /presentations/verify`.
//!
//! Answers: `200 {"verified": true, "checks": [...], "warnings": [], "errors": []}` for a
//! verified input; `400` with `"verified": false` and one `errors` entry per failed check
//! (`{"type", "title", "detail", "code", "check"}`, the `code` being the stable failure code)
//! otherwise. The scenario's policy applies (trusted issuers included): an issuer that is not
//! trusted is a failed check here too.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use credentials::oid4vp::Presentation;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::AppState;
use super::http::{AppError, parse_json};
use crate::pipeline::{Outcome, verify_credential_alone, verify_presentation_alone};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCredentialBody {
    verifiable_credential: Value,
    #[serde(default)]
    #[allow(dead_code)]
    options: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPresentationBody {
    verifiable_presentation: Value,
    #[serde(default)]
    options: Map<String, Value>,
}

/// `POST /challenges`: a single-use challenge for `/presentations/verify`.
pub async fn challenges(State(state): State<AppState>) -> Result<Response, AppError> {
    let inner = &state.inner;
    let challenge = inner
        .verifier
        .nonces()
        .issue(inner.clock.now(), inner.config.request_ttl)?;
    Ok((StatusCode::OK, Json(json!({"challenge": challenge}))).into_response())
}

/// `POST /credentials/verify`.
pub async fn verify_credential(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, AppError> {
    let body: VerifyCredentialBody = parse_json(&body)?;
    let policy = vcapi_policy(&state);
    let has_status = match &body.verifiable_credential {
        Value::Object(o) => o.contains_key("credentialStatus"),
        Value::String(_) => true,
        _ => false,
    };
    let outcome =
        verify_credential_alone(&state.inner.verifier, &body.verifiable_credential, &policy)
            .await
            .map_err(AppError::internal)?;
    Ok(answer(outcome, has_status))
}

/// `POST /presentations/verify`: `options.challenge` must come from `POST /challenges`;
/// `options.domain` defaults to this verifier's client id.
pub async fn verify_presentation(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, AppError> {
    let body: VerifyPresentationBody = parse_json(&body)?;
    let challenge = body
        .options
        .get("challenge")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            AppError::bad_request("challenge_required", "options.challenge is required")
        })?;
    let domain = body
        .options
        .get("domain")
        .and_then(Value::as_str)
        .unwrap_or(state.inner.client_id.as_str());
    let presentation = match body.verifiable_presentation {
        Value::String(s) => Presentation::Compact(s),
        Value::Object(o) => Presentation::Json(o),
        _ => {
            return Err(AppError::bad_request(
                "invalid_request",
                "verifiablePresentation must be an object or an SD-JWT",
            ));
        }
    };
    let mut policy = vcapi_policy(&state);
    policy.holder_binding_required = true;
    let outcome = verify_presentation_alone(
        &state.inner.verifier,
        presentation,
        challenge,
        domain,
        &policy,
    )
    .await
    .map_err(AppError::internal)?;
    Ok(answer(outcome, false))
}

/// The scenario's policy without its claim requirements (the VC-API verifies, it does not
/// ask for claims).
fn vcapi_policy(state: &AppState) -> crate::policy::Policy {
    let mut policy = state.inner.config.scenario.policy.clone();
    policy.required_claims.clear();
    policy
}

fn answer(outcome: Outcome, has_status: bool) -> Response {
    match outcome {
        Ok(_) => {
            let mut checks = vec!["proof", "validity", "issuer"];
            if has_status {
                checks.push("status");
            }
            (
                StatusCode::OK,
                Json(json!({"verified": true, "checks": checks, "warnings": [], "errors": []})),
            )
                .into_response()
        }
        Err(rejected) => {
            let errors: Vec<Value> = rejected
                .failed_checks
                .iter()
                .map(|c| {
                    json!({
                        "type": format!("urn:disclose:verifier:{}", c.code.as_str()),
                        "title": c.code.as_str(),
                        "detail": c.detail,
                        "code": c.code.as_str(),
                        "check": c.check,
                    })
                })
                .collect();
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"verified": false, "checks": [], "warnings": [], "errors": errors})),
            )
                .into_response()
        }
    }
}
