//! VC-API (W3C VCALM) issuance: `POST /credentials/issue` signs a credential with
//! `eddsa-rdfc-2022` (default) or `eddsa-jcs-2022`, chosen by `options.cryptosuite` or by the
//! path `/credentials/issue/{suite}`, so a conformance-suite configuration can target each
//! suite. Bearer-authenticated with an admin or operator token.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use credentials::data_integrity::{self, DataIntegrityError, ProofOptions};
use serde_json::{Value, json};

use super::JsonBody;
use crate::AppState;
use crate::auth::AdminAuth;
use crate::credential_type::Cryptosuite;
use crate::error::{AppError, ErrorCode};
use crate::issuance::{bitstring_entries, new_credential_id, suite};
use crate::store::{AuditDraft, CredentialState, IssuedCredential, StatusListKind};

/// `POST /credentials/issue`.
pub async fn issue(
    auth: AdminAuth,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let named = body
        .get("options")
        .and_then(|o| o.get("cryptosuite"))
        .map(|v| {
            v.as_str()
                .and_then(Cryptosuite::from_name)
                .ok_or(AppError::new(
                    ErrorCode::InvalidRequest,
                    "unsupported cryptosuite",
                ))
        })
        .transpose()?;
    issue_inner(
        auth,
        state,
        body,
        named.unwrap_or(Cryptosuite::EddsaRdfc2022),
    )
    .await
}

/// `POST /credentials/issue/{suite}`.
pub async fn issue_with_suite(
    auth: AdminAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let path_suite = Cryptosuite::from_name(&name).ok_or(AppError::new(
        ErrorCode::NotFound,
        "unsupported cryptosuite",
    ))?;
    if let Some(named) = body.get("options").and_then(|o| o.get("cryptosuite"))
        && named.as_str() != Some(path_suite.as_str())
    {
        {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "options.cryptosuite differs from the endpoint's suite",
            ));
        }
    }
    issue_inner(auth, state, body, path_suite).await
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidCredential, message)
}

async fn issue_inner(
    auth: AdminAuth,
    state: AppState,
    body: Value,
    cryptosuite: Cryptosuite,
) -> Result<Response, AppError> {
    let mut credential = body
        .get("credential")
        .and_then(Value::as_object)
        .cloned()
        .ok_or(AppError::new(
            ErrorCode::InvalidRequest,
            "credential object is required",
        ))?;
    if credential.contains_key("proof") {
        return Err(invalid("the credential already has a proof"));
    }
    // One snapshot of key and identity for the issuer check, the status list and the proof.
    let (key, identity) = state.signer();
    // An absent issuer becomes the service's DID; another issuer is refused.
    match credential.get("issuer") {
        None => {
            credential.insert("issuer".into(), Value::String(identity.did.clone()));
        }
        Some(Value::String(s)) if *s == identity.did => {}
        Some(Value::Object(o))
            if o.get("id").and_then(Value::as_str) == Some(identity.did.as_str()) => {}
        Some(_) => {
            return Err(AppError::new(
                ErrorCode::IssuerMismatch,
                "the credential names another issuer than this service's DID",
            ));
        }
    }
    let wants_status = match body.get("options").and_then(|o| o.get("credentialStatus")) {
        None => false,
        Some(s) if s.get("type").and_then(Value::as_str) == Some("BitstringStatusListEntry") => {
            true
        }
        Some(_) => {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "unsupported credentialStatus type",
            ));
        }
    };
    if wants_status && credential.contains_key("credentialStatus") {
        return Err(invalid("the credential already has a credentialStatus"));
    }
    let parsed = credentials::vc::Credential::from_json(Value::Object(credential.clone()))
        .map_err(|e| invalid(e.to_string()))?;
    let now = state.now();
    let status = if wants_status {
        let size = state.config().status_list_size;
        let kid = identity
            .active_kid()
            .ok_or_else(|| AppError::internal(&"active key without method"))?
            .to_owned();
        let s = state
            .blocking(move |st| {
                st.allocate_status(
                    StatusListKind::Bitstring,
                    size,
                    &kid,
                    &mut rand::rngs::OsRng,
                    now,
                )
            })
            .await?;
        credential.insert(
            "credentialStatus".into(),
            bitstring_entries(&state.config().issuer_url(), s),
        );
        Some(s)
    } else {
        None
    };
    let record_id = parsed
        .id()
        .map(str::to_owned)
        .unwrap_or_else(new_credential_id);
    let valid_until = parsed.valid_until().map(|t| t.timestamp());
    let document = Value::Object(credential);
    let signed = tokio::task::spawn_blocking(move || {
        let options = ProofOptions::assertion(
            identity.verification_method.clone(),
            DateTime::from_timestamp(now, 0).unwrap_or_default(),
        );
        data_integrity::sign(&document, suite(cryptosuite), &options, &key)
    })
    .await
    .map_err(|e| AppError::internal(&e))?
    .map_err(|e| match e {
        DataIntegrityError::ContextNotAllowed(_) => invalid("a @context is not on the allow-list"),
        DataIntegrityError::JsonLd(_) => invalid("the credential is not valid JSON-LD"),
        DataIntegrityError::Canonicalization(_) => {
            invalid("the credential is too complex to canonicalize")
        }
        other => AppError::internal(&other),
    })?;
    let record = IssuedCredential {
        id: record_id.clone(),
        configuration_id: "vc-api".into(),
        format: "ldp_vc".into(),
        offer_id: None,
        holder: parsed
            .subjects()
            .first()
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        status,
        state: CredentialState::Active,
        issued_at: now,
        valid_until,
    };
    let audit = AuditDraft::new(auth.actor, "credential.issue", Some(record_id))
        .details(json!({ "api": "vc-api", "cryptosuite": cryptosuite.as_str() }));
    state
        .blocking(move |s| s.record_issuance(&record, None, audit, now))
        .await
        .map_err(|e| {
            if e.code() == ErrorCode::Conflict {
                AppError::new(
                    ErrorCode::Conflict,
                    "a credential with this id was already issued",
                )
            } else {
                e
            }
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "verifiableCredential": signed })),
    )
        .into_response())
}
