//! Errors: [`StoreError`] for storage, [`AppError`] for every HTTP answer.
//!
//! Every error response is `{"code": ..., "message": ...}` with a stable snake_case `code`.
//! OAuth endpoints (token, credential, nonce) additionally carry `error` and
//! `error_description` as RFC 6749 section 5.2 and OpenID4VCI section 8.3.1 require (decision
//! 0701). Internal details are logged (without personal data) and never returned.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file could not be opened: damaged, locked by another process, or I/O.
    #[error("database cannot be opened: {0}")]
    Open(#[source] redb::DatabaseError),
    /// The file was written by another version of this service's data format.
    #[error("database format version {found} is not the supported version {supported}")]
    FormatVersion {
        /// The version in the file.
        found: u64,
        /// The version this build reads.
        supported: u64,
    },
    /// A redb-level failure (I/O, corruption detected while reading, commit failure).
    #[error("storage failure: {0}")]
    Redb(#[from] redb::Error),
    /// A stored record does not decode: the file was altered outside the service.
    #[error("stored record is corrupt: {0}")]
    Corrupt(&'static str),
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// The record exists already.
    #[error("already exists")]
    Conflict,
    /// The requested state change is not allowed from the current state.
    #[error("invalid state transition")]
    InvalidTransition,
    /// No free status-list index could be found (should not happen: lists are opened before
    /// they fill).
    #[error("status list exhausted")]
    StatusListExhausted,
}

macro_rules! redb_into_store_error {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Redb(redb::Error::from(e))
            }
        }
    )*};
}
redb_into_store_error!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A stable error code exposed by the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The body is not acceptable JSON/form (syntax, UTF-8, depth, numbers, shape).
    InvalidRequest,
    /// The body exceeds the size limit.
    PayloadTooLarge,
    /// A required media type is missing.
    UnsupportedMediaType,
    /// No or a wrong bearer token.
    Unauthorized,
    /// The token is valid but its role may not do this.
    Forbidden,
    /// Too many failed attempts or requests.
    RateLimited,
    /// No such resource.
    NotFound,
    /// The resource exists already or the state does not allow the change.
    Conflict,
    /// Claims do not fit the credential type.
    InvalidClaims,
    /// A credential given to VC-API names another issuer.
    IssuerMismatch,
    /// A credential given to VC-API is not a valid VC 2.0 credential.
    InvalidCredential,
    /// OAuth: the grant (pre-authorized code, tx_code) is invalid, expired or used.
    InvalidGrant,
    /// OAuth: the grant type is not supported.
    UnsupportedGrantType,
    /// OAuth / OpenID4VCI: the access token is invalid or expired.
    InvalidToken,
    /// OpenID4VCI: the proof of possession is invalid.
    InvalidProof,
    /// OpenID4VCI: the proof's nonce is unknown, expired or used.
    InvalidNonce,
    /// OpenID4VCI: the credential configuration is unknown or not covered by the token.
    UnknownCredentialConfiguration,
    /// OpenID4VCI: the credential request is malformed.
    InvalidCredentialRequest,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The request took too long.
    Timeout,
    /// The server is overloaded.
    Unavailable,
    /// An internal failure (details only in the log).
    Internal,
}

impl ErrorCode {
    /// The stable code string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InvalidClaims => "invalid_claims",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
            ErrorCode::InvalidCredential => "invalid_credential",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidProof => "invalid_proof",
            ErrorCode::InvalidNonce => "invalid_nonce",
            ErrorCode::UnknownCredentialConfiguration => "unknown_credential_configuration",
            ErrorCode::InvalidCredentialRequest => "invalid_credential_request",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidRequest
            | ErrorCode::InvalidClaims
            | ErrorCode::IssuerMismatch
            | ErrorCode::InvalidCredential
            | ErrorCode::InvalidGrant
            | ErrorCode::UnsupportedGrantType
            | ErrorCode::InvalidProof
            | ErrorCode::InvalidNonce
            | ErrorCode::UnknownCredentialConfiguration
            | ErrorCode::InvalidCredentialRequest => StatusCode::BAD_REQUEST,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Unauthorized | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Timeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// OAuth-style endpoints also answer with `error` (RFC 6749 5.2, OpenID4VCI 8.3.1).
    fn is_oauth(self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidGrant
                | ErrorCode::UnsupportedGrantType
                | ErrorCode::InvalidToken
                | ErrorCode::InvalidProof
                | ErrorCode::InvalidNonce
                | ErrorCode::UnknownCredentialConfiguration
                | ErrorCode::InvalidCredentialRequest
        )
    }
}

/// The one error type of every handler. The message is fixed text chosen by the code that
/// raises it: never claim values, tokens or keys.
#[derive(Debug)]
pub struct AppError {
    code: ErrorCode,
    message: String,
    retry_after: Option<u64>,
}

impl AppError {
    /// An error with a code and a client-safe message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// `429` with a `Retry-After` header.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            code: ErrorCode::RateLimited,
            message: "too many requests; retry later".into(),
            retry_after: Some(retry_after_secs.max(1)),
        }
    }

    /// An internal failure: logs `detail` and answers with a generic message.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::new(ErrorCode::NotFound, "not found"),
            StoreError::Conflict => AppError::new(ErrorCode::Conflict, "already exists"),
            StoreError::InvalidTransition => AppError::new(
                ErrorCode::Conflict,
                "the current state does not allow this change",
            ),
            other => AppError::internal(&other),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        match r {
            R::MissingJsonContentType(_) => AppError::new(
                ErrorCode::UnsupportedMediaType,
                "expected Content-Type: application/json",
            ),
            R::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::new(ErrorCode::PayloadTooLarge, "request body too large")
            }
            // serde's message names the offending field and position, never the value.
            R::JsonDataError(e) => AppError::new(ErrorCode::InvalidRequest, e.body_text()),
            R::JsonSyntaxError(_) => AppError::new(ErrorCode::InvalidRequest, "malformed JSON"),
            _ => AppError::new(ErrorCode::InvalidRequest, "unreadable request body"),
        }
    }
}

impl From<axum::extract::rejection::FormRejection> for AppError {
    fn from(r: axum::extract::rejection::FormRejection) -> Self {
        use axum::extract::rejection::FormRejection as R;
        match r {
            R::InvalidFormContentType(_) => AppError::new(
                ErrorCode::UnsupportedMediaType,
                "expected Content-Type: application/x-www-form-urlencoded",
            ),
            R::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::new(ErrorCode::PayloadTooLarge, "request body too large")
            }
            _ => AppError::new(ErrorCode::InvalidRequest, "malformed form body"),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        AppError::new(ErrorCode::InvalidRequest, "malformed path parameter")
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(_: axum::extract::rejection::QueryRejection) -> Self {
        AppError::new(ErrorCode::InvalidRequest, "malformed query string")
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let code = self.code.as_str();
        let body = if self.code.is_oauth() {
            json!({
                "code": code, "message": self.message,
                "error": code, "error_description": self.message,
            })
        } else {
            json!({ "code": code, "message": self.message })
        };
        let mut response = (self.code.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == ErrorCode::InvalidToken || self.code == ErrorCode::Unauthorized {
            // RFC 6750 section 3.
            let challenge = if self.code == ErrorCode::InvalidToken {
                "Bearer error=\"invalid_token\""
            } else {
                "Bearer"
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}
