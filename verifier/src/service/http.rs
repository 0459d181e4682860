//! Cross-cutting HTTP pieces: the error type with stable codes, bearer authentication,
//! per-client rate limiting, strict JSON parsing, health and the OpenAPI document.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::AppState;

/// The OpenAPI description, also in `specs/`.
pub const OPENAPI: &str = include_str!("../../../specs/verifier-openapi.json");

/// An error answer: a status and a stable machine-readable code. Internals are logged, never
/// returned.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Also answer in the OAuth shape (`error`, `error_description`) for wallets.
    pub oauth: bool,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            oauth: false,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error",
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = if self.oauth {
            json!({"code": self.code, "message": self.message,
                "error": self.code, "error_description": self.message})
        } else {
            json!({"code": self.code, "message": self.message})
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<crate::error::StoreError> for AppError {
    fn from(e: crate::error::StoreError) -> Self {
        AppError::internal(e)
    }
}

/// Parses a JSON body strictly: malformed JSON, deep nesting (serde_json's recursion limit)
/// and shapes that do not fit are a 400 `malformed_json` / `invalid_request`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| AppError::bad_request("malformed_json", "the body is not valid JSON"))?;
    serde_json::from_value(value)
        .map_err(|e| AppError::bad_request("invalid_request", format!("unexpected body: {e}")))
}

/// Checks `Authorization: Bearer <VERIFIER_ADMIN_TOKEN>` in constant time (hash compare).
pub fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    if presented.is_empty() || !bool::from(hash.ct_eq(&state.inner.admin_token_hash)) {
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required",
        ));
    }
    Ok(())
}

/// A token bucket per client IP: `per_minute` requests a minute, bursts up to a quarter of
/// that. The map is bounded: when full, idle buckets are dropped.
pub struct RateLimiter {
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<Option<IpAddr>, (f64, Instant)>>,
}

const MAX_BUCKETS: usize = 10_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        Self {
            per_minute,
            burst: (per_minute / 4.0).max(5.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn allow(&self, ip: Option<IpAddr>) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            let burst = self.burst;
            let rate = self.per_minute / 60.0;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_minute / 60.0)
            .min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Middleware: 429 `rate_limited` when the client's bucket is empty.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if !state.inner.limiter.allow(ip) {
        return AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests, slow down",
        )
        .into_response();
    }
    next.run(request).await
}

/// `GET /health`.
pub async fn health() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// `GET /openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// Unknown routes.
pub async fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, "not_found", NO_SUCH_ROUTE)
}

/// The message of the fallback 404 (distinct from "no such resource" of a routed handler).
pub const NO_SUCH_ROUTE: &str = "no such route";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limiter_refuses_after_the_burst() {
        let limiter = RateLimiter::new(60);
        let ip = Some(IpAddr::from([127, 0, 0, 1]));
        let allowed = (0..100).filter(|_| limiter.allow(ip)).count();
        assert!((5..=16).contains(&allowed), "{allowed}");
        // Another client has its own bucket.
        assert!(limiter.allow(Some(IpAddr::from([127, 0, 0, 2]))));
    }

    #[test]
    fn openapi_document_is_json_and_names_every_route() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        for path in [
            "/presentation-requests",
            "/presentation-requests/{id}",
            "/presentation-requests/{id}/events",
            "/oid4vp/request/{key}",
            "/oid4vp/response/{key}",
            "/credentials/verify",
            "/presentations/verify",
            "/challenges",
            "/health",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
    }
}
