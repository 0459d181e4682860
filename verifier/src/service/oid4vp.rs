//! OpenID4VP 1.0: creating presentation requests, the request object fetched once from
//! `request_uri`, the `direct_post` response endpoint, and the relying party's view of a
//! request (JSON and server-sent events).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use credentials::oid4vp::messages::{
    RESPONSE_MODE_DIRECT_POST, RESPONSE_TYPE_VP_TOKEN, STATIC_DISCOVERY_AUDIENCE,
};
use credentials::oid4vp::{AuthorizationRequest, AuthorizationResponse, DcqlQuery, RequestLink};
use rand::RngCore as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{AppError, parse_json, require_admin};
use super::store::{CheckView, CredentialView, RequestRecord, RequestState, Transition};
use super::{AppState, page};
use crate::pipeline::PresentationRequest;
use crate::policy::Policy;

/// The body of `POST /presentation-requests`: a DCQL query and the policy fields.
#[derive(Debug, Deserialize)]
pub struct CreateRequest {
    dcql_query: Value,
    #[serde(flatten)]
    policy: Policy,
}

/// A correlation handle for logs: the ids are bearer capabilities (the id reads the outcome,
/// the key answers the request), so logs carry a short hash instead.
pub fn log_ref(id: &str) -> String {
    use sha2::Digest as _;
    hex_prefix(&sha2::Sha256::digest(id.as_bytes()))
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    credentials::base64url::encode(bytes)
}

/// Creates and stores a request; returns it with its `openid4vp://` link.
pub fn create_request(
    state: &AppState,
    dcql_query: DcqlQuery,
    policy: Policy,
) -> Result<(RequestRecord, String), AppError> {
    let inner = &state.inner;
    let now = inner.clock.now();
    let nonce = inner
        .verifier
        .nonces()
        .issue(now, inner.config.request_ttl)?;
    let record = RequestRecord {
        id: random_id(),
        key: random_id(),
        state: RequestState::Pending,
        created_at: now.timestamp(),
        expires_at: (now + inner.config.request_ttl).timestamp(),
        nonce,
        oauth_state: random_id(),
        dcql_query: serde_json::to_value(&dcql_query).unwrap_or(Value::Null),
        policy,
        fetched: false,
        credentials: Vec::new(),
        failed_checks: Vec::new(),
    };
    inner.store.insert(&record)?;
    let link = RequestLink {
        client_id: inner.client_id.clone(),
        request_uri: state.url(&format!("/oid4vp/request/{}", record.key)),
    }
    .to_uri();
    tracing::info!(request = %log_ref(&record.id), "presentation request created");
    Ok((record, link))
}

/// `POST /presentation-requests` (admin).
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    require_admin(&state, &headers)?;
    let body: CreateRequest = parse_json(&body)?;
    let query = DcqlQuery::from_json(&body.dcql_query)
        .map_err(|e| AppError::bad_request("invalid_dcql_query", e.to_string()))?;
    body.policy
        .validate()
        .map_err(|e| AppError::bad_request("invalid_policy", e.to_string()))?;
    super::check_formats(&query, &body.policy)
        .map_err(|e| AppError::bad_request("invalid_policy", e))?;
    let (record, link) = create_request(&state, query, body.policy)?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/presentation-requests/{}", record.id),
        )],
        Json(json!({"id": record.id, "request_uri": link, "expires_at": record.expires_at})),
    )
        .into_response())
}

/// The relying party's view of a request.
pub fn view(state: &AppState, record: &RequestRecord) -> Value {
    let now = state.inner.clock.now().timestamp();
    let current = record.effective_state(now);
    json!({
        "id": record.id,
        "state": current,
        "credentials": record.credentials,
        "failed_checks": record.failed_checks,
        "message": page::describe(&state.inner.config.scenario, record, current),
    })
}

/// `GET /presentation-requests/{id}`.
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = state
        .inner
        .store
        .get(&id)?
        .ok_or_else(AppError::not_found)?;
    // Disclosed claims: never cached by intermediaries.
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(view(&state, &record)),
    )
        .into_response())
}

/// `GET /presentation-requests/{id}/events`: a `state` event now and on every change; the
/// stream ends once the request is final (verified, rejected or expired).
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let first = state
        .inner
        .store
        .get(&id)?
        .ok_or_else(AppError::not_found)?;
    // Streams are bounded: each holds a permit until it ends (final state or client gone).
    let permit = state
        .inner
        .streams
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_streams",
                "too many open event streams; poll the state instead",
            )
        })?;
    // Subscribe before the first read, so that no change can fall between the two.
    let updates = state.inner.events.subscribe();
    let stream = async_stream_events(state.clone(), id, first, updates, permit);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// The event stream: the current state, then one event per change, until final.
fn async_stream_events(
    state: AppState,
    id: String,
    first: RequestRecord,
    rx: tokio::sync::broadcast::Receiver<String>,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> impl futures_util::Stream<Item = Result<Event, Infallible>> {
    struct S {
        state: AppState,
        id: String,
        rx: tokio::sync::broadcast::Receiver<String>,
        first: Option<RequestRecord>,
        last_state: Option<RequestState>,
        _permit: tokio::sync::OwnedSemaphorePermit,
    }
    futures_util::stream::unfold(
        S {
            state,
            id,
            rx,
            first: Some(first),
            last_state: None,
            _permit: permit,
        },
        |mut s| async move {
            if s.last_state.is_some_and(RequestState::is_final) {
                return None;
            }
            let record = if let Some(first) = s.first.take() {
                // Re-read: the request may have changed between the lookup and subscribing.
                s.state
                    .inner
                    .store
                    .get(&s.id)
                    .ok()
                    .flatten()
                    .unwrap_or(first)
            } else {
                loop {
                    // Wake on a change of this request, or every few seconds to notice expiry
                    // (measured on the injected clock).
                    tokio::select! {
                        r = s.rx.recv() => match r {
                            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => return None,
                        },
                        () = tokio::time::sleep(EXPIRY_POLL) => {}
                    }
                    let record = s.state.inner.store.get(&s.id).ok().flatten()?;
                    let now = s.state.inner.clock.now().timestamp();
                    if Some(record.effective_state(now)) != s.last_state {
                        break record;
                    }
                }
            };
            let now = s.state.inner.clock.now().timestamp();
            s.last_state = Some(record.effective_state(now));
            let data = view(&s.state, &record).to_string();
            Some((Ok(Event::default().event("state").data(data)), s))
        },
    )
}

/// How often an event stream re-reads its request to notice expiry.
const EXPIRY_POLL: Duration = Duration::from_secs(2);

/// `GET /oid4vp/request/{key}`: the signed request object, once.
pub async fn request_object(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let inner = &state.inner;
    let id = inner
        .store
        .id_for_key(&key)?
        .ok_or_else(AppError::not_found)?;
    let now = inner.clock.now();
    let mut fetched: Option<RequestRecord> = None;
    let outcome = inner.store.update(
        &id,
        |r| !r.fetched && r.effective_state(now.timestamp()) == RequestState::Pending,
        |r| {
            r.fetched = true;
            fetched = Some(r.clone());
        },
    )?;
    let record = match (outcome, fetched) {
        (Transition::Done, Some(r)) => r,
        (Transition::NotFound, _) => return Err(AppError::not_found()),
        _ => {
            return Err(AppError::new(
                StatusCode::GONE,
                "request_already_fetched",
                "the request object can be fetched once, while the request is pending",
            ));
        }
    };
    let dcql_query: DcqlQuery =
        serde_json::from_value(record.dcql_query.clone()).map_err(AppError::internal)?;
    let request = AuthorizationRequest {
        response_type: RESPONSE_TYPE_VP_TOKEN.into(),
        client_id: inner.client_id.clone(),
        response_mode: RESPONSE_MODE_DIRECT_POST.into(),
        response_uri: state.url(&format!("/oid4vp/response/{}", record.key)),
        nonce: record.nonce.clone(),
        state: record.oauth_state.clone(),
        dcql_query,
        client_metadata: Some(client_metadata(&record.policy)),
        iss: inner
            .client_id
            .strip_prefix("decentralized_identifier:")
            .map(str::to_owned),
        aud: Some(STATIC_DISCOVERY_AUDIENCE.into()),
        iat: Some(now.timestamp()),
        exp: Some(record.expires_at),
    };
    let jws = request.sign(&inner.kid, &inner.signing_key);
    tracing::info!(request = %log_ref(&record.id), "request object fetched");
    Ok((
        [(header::CONTENT_TYPE, "application/oauth-authz-req+jwt")],
        jws,
    )
        .into_response())
}

/// Verifier metadata (OpenID4VP section 11.1): the formats and algorithms accepted.
fn client_metadata(policy: &Policy) -> Value {
    let mut formats = serde_json::Map::new();
    for format in &policy.formats {
        match format {
            crate::policy::Format::SdJwtVc => {
                formats.insert(
                    format.as_str().into(),
                    json!({"sd-jwt_alg_values": policy.algorithms, "kb-jwt_alg_values": policy.algorithms}),
                );
            }
            crate::policy::Format::LdpVc => {
                formats.insert(
                    format.as_str().into(),
                    json!({"proof_type_values": ["DataIntegrityProof"], "cryptosuite_values": policy.cryptosuites}),
                );
            }
        }
    }
    json!({ "vp_formats_supported": formats })
}

/// `POST /oid4vp/response/{key}`: the wallet's `direct_post`.
pub async fn response(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let inner = &state.inner;
    let id = inner
        .store
        .id_for_key(&key)?
        .ok_or_else(AppError::not_found)?;
    let record = inner.store.get(&id)?.ok_or_else(AppError::not_found)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| oauth_error("invalid_request", "body is not UTF-8"))?;
    let response = AuthorizationResponse::from_form(text)
        .map_err(|e| oauth_error("invalid_request", &e.to_string()))?;
    if response.state() != Some(record.oauth_state.as_str()) {
        return Err(oauth_error(
            "invalid_request",
            "state does not match the request",
        ));
    }
    let now = inner.clock.now().timestamp();
    if record.effective_state(now) != RequestState::Pending {
        return Err(oauth_error(
            "invalid_request",
            "the request is no longer pending",
        ));
    }
    let (credentials, failed_checks) = match &response {
        AuthorizationResponse::Error { error, .. } => {
            let code = match error.as_str() {
                "access_denied" => "wallet_declined",
                _ => "wallet_error",
            };
            (
                Vec::new(),
                vec![CheckView {
                    credential: None,
                    check: "wallet".into(),
                    code: code.into(),
                    detail: "the wallet returned an error response".into(),
                }],
            )
        }
        AuthorizationResponse::VpToken { vp_token, .. } => {
            let dcql_query: DcqlQuery =
                serde_json::from_value(record.dcql_query.clone()).map_err(AppError::internal)?;
            let request = PresentationRequest {
                dcql_query,
                nonce: record.nonce.clone(),
                audience: inner.client_id.clone(),
                policy: record.policy.clone(),
            };
            match inner.verifier.verify_response(&request, vp_token).await {
                Ok(Ok(verified)) => (
                    verified
                        .credentials()
                        .iter()
                        .map(|c| CredentialView {
                            issuer: c.issuer.clone(),
                            format: c.format.as_str().into(),
                            claims: c.claims.clone(),
                            unrequested_claims: c.unrequested_claims.clone(),
                        })
                        .collect(),
                    Vec::new(),
                ),
                Ok(Err(rejected)) if is_spent_nonce(&rejected) => {
                    // Another response to this request got here first (or it expired): this
                    // one must not overwrite that outcome.
                    return Err(oauth_error(
                        "invalid_request",
                        "the request was already answered or has expired",
                    ));
                }
                Ok(Err(rejected)) => (
                    Vec::new(),
                    rejected.failed_checks.iter().map(check_view).collect(),
                ),
                Err(e) => {
                    tracing::error!(request = %log_ref(&record.id), error = %e, "verification could not be carried out");
                    (
                        Vec::new(),
                        vec![CheckView {
                            credential: None,
                            check: "verifier".into(),
                            code: "verification_unavailable".into(),
                            detail: "verification could not be carried out".into(),
                        }],
                    )
                }
            }
        }
    };
    let verified = failed_checks.is_empty() && !credentials.is_empty();
    let codes: Vec<&str> = failed_checks.iter().map(|c| c.code.as_str()).collect();
    // Codes only: never claim values.
    tracing::info!(request = %log_ref(&record.id), verified, codes = ?codes, "presentation response processed");
    let codes_text = codes.join(" ");
    let transition = inner.store.update(
        &id,
        |r| r.state == RequestState::Pending,
        |r| {
            r.state = if verified {
                RequestState::Verified
            } else {
                RequestState::Rejected
            };
            r.credentials = credentials;
            r.failed_checks = failed_checks;
        },
    )?;
    if transition != Transition::Done {
        return Err(oauth_error(
            "invalid_request",
            "the request is no longer pending",
        ));
    }
    let _ = inner.events.send(id);
    if verified {
        Ok(Json(json!({})).into_response())
    } else {
        Err(oauth_error(
            "invalid_request",
            &format!("presentation rejected: {codes_text}"),
        ))
    }
}

/// The response was refused only because the request's nonce is no longer available.
fn is_spent_nonce(rejected: &crate::pipeline::Rejected) -> bool {
    matches!(
        rejected.failed_checks.as_slice(),
        [only] if only.credential.is_none()
            && only.check == credentials::Check::Nonce
            && only.code == credentials::FailureCode::NonceMismatch
    )
}

fn check_view(c: &crate::pipeline::FailedCheck) -> CheckView {
    CheckView {
        credential: c.credential.clone(),
        check: serde_json::to_value(c.check)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        code: c.code.as_str().into(),
        detail: c.detail.clone(),
    }
}

/// An OAuth error answer (RFC 6749 section 5.2 shape) with status 400.
fn oauth_error(error: &'static str, description: &str) -> AppError {
    let mut e = AppError::new(StatusCode::BAD_REQUEST, error, description.to_owned());
    e.oauth = true;
    e
}
