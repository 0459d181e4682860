//! Routes, middleware and shared extractors.
//!
//! Layers, outermost first: request logging (method, route, status: no bodies, no query
//! strings, no tokens), error-body normalisation (every error answer is
//! `{"code","message"}`), a per-request timeout (`408`), one concurrency limit shared by all
//! routes, and a body-size limit (`413`). Malformed JSON, invalid UTF-8, deep nesting and out-of-range numbers are `400
//! invalid_request` through [`JsonBody`].

pub mod admin;
pub mod oid4vci;
pub mod public;
pub mod vcapi;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::AppState;
use crate::error::{AppError, ErrorCode};

/// A JSON body whose rejections are [`AppError`]s.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct JsonBody<T>(pub T);

/// A form body whose rejections are [`AppError`]s.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct FormBody<T>(pub T);

/// A query string whose rejections are [`AppError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct QueryParams<T>(pub T);

/// The router over `state`.
pub fn app(state: AppState) -> Router {
    let limits = state.config().limits.clone();
    // A public URL with a path (`https://host/tenant`) is served under that path; its
    // metadata lives at the host's well-known locations with the path appended
    // (OpenID4VCI section 12.2.2, RFC 8414 section 3).
    let prefix = state
        .config()
        .public_url
        .path()
        .trim_end_matches('/')
        .to_owned();
    let mut api = Router::new()
        // Public
        .route("/health", get(public::health))
        .route("/openapi.json", get(public::openapi))
        .route("/vct/{id}", get(public::type_metadata))
        .route("/status/token/{list}", get(public::token_status_list))
        .route(
            "/status/bitstring/{list}/{purpose}",
            get(public::bitstring_status_list),
        )
        // OpenID4VCI
        .route("/token", post(oid4vci::token))
        .route("/nonce", post(oid4vci::nonce))
        .route("/credential", post(oid4vci::credential))
        // VC-API
        .route("/credentials/issue", post(vcapi::issue))
        .route("/credentials/issue/{suite}", post(vcapi::issue_with_suite))
        // Admin
        .route("/admin/identity", get(admin::identity))
        .route("/admin/keys/rotate", post(admin::rotate_key))
        .route(
            "/admin/tokens",
            get(admin::list_tokens).post(admin::create_token),
        )
        .route("/admin/tokens/{id}", delete(admin::delete_token))
        .route(
            "/admin/credential-types",
            get(admin::list_types).post(admin::create_type),
        )
        .route(
            "/admin/credential-types/{id}",
            get(admin::get_type).put(admin::replace_type),
        )
        .route(
            "/admin/offers",
            get(admin::list_offers).post(admin::create_offer),
        )
        .route(
            "/admin/offers/{id}",
            get(admin::get_offer).delete(admin::cancel_offer),
        )
        .route("/admin/offers/{id}/qr.png", get(admin::offer_qr_png))
        .route("/admin/offers/{id}/qr.svg", get(admin::offer_qr_svg))
        .route("/admin/credentials", get(admin::list_credentials))
        .route("/admin/credentials/{id}", get(admin::get_credential))
        .route("/admin/credentials/{id}/revoke", post(admin::revoke))
        .route("/admin/credentials/{id}/suspend", post(admin::suspend))
        .route("/admin/credentials/{id}/unsuspend", post(admin::unsuspend))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/status-lists", get(admin::status_lists));
    if state.did_mode().did_json_path().is_some() {
        // did:web: `/.well-known/did.json` for an origin, `<path>/did.json` under a path.
        let relative = if prefix.is_empty() {
            "/.well-known/did.json"
        } else {
            "/did.json"
        };
        api = api.route(relative, get(public::did_document));
    }
    let well_known = Router::new()
        .route(
            &format!("/.well-known/openid-credential-issuer{prefix}"),
            get(oid4vci::issuer_metadata),
        )
        .route(
            &format!("/.well-known/oauth-authorization-server{prefix}"),
            get(oid4vci::authorization_server_metadata),
        );
    let router = if prefix.is_empty() {
        api.merge(well_known)
    } else {
        well_known.nest(&prefix, api)
    };
    router
        .fallback(public::not_found)
        .method_not_allowed_fallback(public::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        // One semaphore shared by every route (`Router::layer` applies a layer per route).
        .layer(GlobalConcurrencyLimitLayer::new(limits.concurrency))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(log_requests))
        .with_state(state)
}

/// Replaces bodiless error responses produced by layers (timeout, body limit) with the stable
/// JSON error format.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let code = match status {
            StatusCode::REQUEST_TIMEOUT => ErrorCode::Timeout,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            s if s.is_server_error() => ErrorCode::Internal,
            _ => ErrorCode::InvalidRequest,
        };
        let mut fixed =
            AppError::new(code, status.canonical_reason().unwrap_or("error")).into_response();
        *fixed.status_mut() = status;
        return fixed;
    }
    response
}

/// Logs method, route template and status: never bodies, query strings or headers.
async fn log_requests(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".into());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// `Cache-Control: no-store` for responses carrying secrets (tokens, nonces, offers).
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A duration in whole seconds.
pub fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
