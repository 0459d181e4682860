//! Public endpoints: health, OpenAPI, the did:web document, status lists, fallbacks.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::status::{CacheKey, publication};

/// The OpenAPI document of this service (also `specs/issuer-openapi.json`).
pub const OPENAPI: &str = include_str!("../../../specs/issuer-openapi.json");

/// `GET /health`.
pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    // A read transaction proves the store answers.
    state.blocking(|s| s.status_lists().map(|_| ())).await?;
    Ok(Json(json!({ "status": "ok" })))
}

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /.well-known/did.json` (did:web only).
pub async fn did_document(State(state): State<AppState>) -> Response {
    let doc = state.identity().document.clone();
    let mut response = Json(doc).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn parse_list(id: &str) -> Result<u64, AppError> {
    id.parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && id.len() <= 20 && !id.starts_with('0'))
        .ok_or(AppError::new(ErrorCode::NotFound, "no such status list"))
}

async fn serve_list(
    state: &AppState,
    key: CacheKey,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let published = publication(state, key).await?;
    let etag = HeaderValue::from_str(&published.etag).map_err(|e| AppError::internal(&e))?;
    let cache = HeaderValue::from_static("public, no-cache");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == published.etag));
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(published.content_type),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        published.body.clone(),
    )
        .into_response())
}

/// `GET /status/token/{list}`: the signed Status List Token.
pub async fn token_status_list(
    State(state): State<AppState>,
    Path(list): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve_list(&state, CacheKey::Token(parse_list(&list)?), &headers).await
}

/// `GET /status/bitstring/{list}/{purpose}`: the signed Bitstring Status List credential.
pub async fn bitstring_status_list(
    State(state): State<AppState>,
    Path((list, purpose)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_list(&list)?;
    let key = match purpose.as_str() {
        "revocation" => CacheKey::Revocation(id),
        "suspension" => CacheKey::Suspension(id),
        _ => return Err(AppError::new(ErrorCode::NotFound, "no such status list")),
    };
    serve_list(&state, key, &headers).await
}

/// `GET /vct/{id}`: SD-JWT VC Type Metadata of a credential type issued as `dc+sd-jwt` with
/// the default `vct`.
pub async fn type_metadata(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let types = state.blocking(|s| s.credential_types()).await?;
    let t = types
        .iter()
        .find(|t| {
            t.id == id
                && t.vct.is_empty()
                && t.formats
                    .contains(&crate::credential_type::FormatSpec::SdJwt)
        })
        .ok_or(AppError::new(
            ErrorCode::NotFound,
            "no such credential type",
        ))?;
    let mut response = Json(t.type_metadata(&state.config().issuer_url())).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

/// Unknown route.
pub async fn not_found() -> AppError {
    AppError::new(ErrorCode::NotFound, "no such endpoint")
}

/// Known route, wrong method.
pub async fn method_not_allowed() -> AppError {
    AppError::new(ErrorCode::MethodNotAllowed, "method not allowed")
}
