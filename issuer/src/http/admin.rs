//! The admin API (bearer tokens; `admin` for types, tokens and keys, `operator` or `admin`
//! for offers, credentials and the audit log). Every change is audited in the same
//! transaction as the change itself.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{JsonBody, QueryParams, no_store, secs};
use crate::AppState;
use crate::auth::{AdminAuth, generate_token, token_hash};
use crate::credential_type::{CredentialType, FormatSpec, PROOF_OF_AGE, TypeError};
use crate::error::{AppError, ErrorCode};
use crate::store::{
    AuditDraft, IssuedCredential, OfferRecord, OfferState, Role, StatusChange, TokenRecord,
    TxCodeRecord, verify_audit_chain,
};

/// The pre-authorized code grant type (RFC 6749 extension registered by OpenID4VCI).
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// `GET /admin/identity`.
pub async fn identity(_auth: AdminAuth, State(state): State<AppState>) -> Json<Value> {
    Json(state.identity().to_json())
}

/// `POST /admin/keys/rotate` (admin).
pub async fn rotate_key(
    auth: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    auth.require_admin()?;
    let identity = state.rotate_key(auth.actor).await?;
    tracing::info!(did = %identity.did, "signing key rotated");
    Ok(Json(identity.to_json()))
}

/// `POST /admin/tokens` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The role of the new token.
    pub role: Role,
    /// A label.
    #[serde(default)]
    pub label: Option<String>,
}

/// `POST /admin/tokens` (admin): a new token, shown once.
pub async fn create_token(
    auth: AdminAuth,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<TokenRequest>,
) -> Result<Response, AppError> {
    auth.require_admin()?;
    let label = req.label.unwrap_or_default();
    if label.chars().count() > 64 {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            "label longer than 64 characters",
        ));
    }
    let token = generate_token();
    let hash = token_hash(&token);
    let id = format!("tok_{}", &hex::encode(hash)[..12]);
    let now = state.now();
    let record = TokenRecord {
        id: id.clone(),
        role: req.role,
        label,
        created_at: now,
    };
    let audit = AuditDraft::new(auth.actor, "token.create", Some(id.clone()))
        .details(json!({ "role": req.role.as_str() }));
    state
        .blocking(move |s| s.add_admin_token(hash, &record, audit, now))
        .await?;
    let body = json!({ "id": id, "role": req.role, "token": token.as_str() });
    Ok(no_store((StatusCode::CREATED, Json(body)).into_response()))
}

/// `GET /admin/tokens` (admin): ids, roles, labels; never the tokens or their hashes.
pub async fn list_tokens(
    auth: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    auth.require_admin()?;
    let tokens = state.blocking(|s| s.admin_tokens()).await?;
    let list: Vec<Value> = tokens
        .into_iter()
        .map(|(_, r)| json!({ "id": r.id, "role": r.role, "label": r.label, "created_at": r.created_at }))
        .collect();
    Ok(Json(json!({ "tokens": list })))
}

/// `DELETE /admin/tokens/{id}` (admin): revokes a stored token at once.
pub async fn delete_token(
    auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    auth.require_admin()?;
    let now = state.now();
    let audit = AuditDraft::new(auth.actor, "token.delete", Some(id.clone()));
    state
        .blocking(move |s| s.delete_admin_token(&id, audit, now))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn type_json(t: &CredentialType) -> Value {
    let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
    let ids: Vec<String> = t.formats.iter().map(|f| t.configuration_id(f)).collect();
    v["credential_configuration_ids"] = json!(ids);
    v
}

/// `GET /admin/credential-types`.
pub async fn list_types(
    _auth: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    let types = state.blocking(|s| s.credential_types()).await?;
    Ok(Json(
        json!({ "credential_types": types.iter().map(type_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /admin/credential-types/{id}`.
pub async fn get_type(
    _auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let types = state.blocking(|s| s.credential_types()).await?;
    let t = types.iter().find(|t| t.id == id).ok_or(AppError::new(
        ErrorCode::NotFound,
        "no such credential type",
    ))?;
    Ok(Json(type_json(t)))
}

fn type_error(e: TypeError) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, e.to_string())
}

/// `POST /admin/credential-types` (admin).
pub async fn create_type(
    auth: AdminAuth,
    State(state): State<AppState>,
    JsonBody(t): JsonBody<CredentialType>,
) -> Result<Response, AppError> {
    auth.require_admin()?;
    t.validate().map_err(type_error)?;
    let now = state.now();
    let audit = AuditDraft::new(auth.actor, "credential_type.create", Some(t.id.clone()));
    let stored = t.clone();
    state
        .blocking(move |s| s.put_credential_type(&stored, false, audit, now))
        .await?;
    Ok((StatusCode::CREATED, Json(type_json(&t))).into_response())
}

/// `PUT /admin/credential-types/{id}` (admin).
pub async fn replace_type(
    auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(t): JsonBody<CredentialType>,
) -> Result<Json<Value>, AppError> {
    auth.require_admin()?;
    if t.id != id {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            "body id differs from path id",
        ));
    }
    t.validate().map_err(type_error)?;
    let now = state.now();
    let audit = AuditDraft::new(auth.actor, "credential_type.replace", Some(t.id.clone()));
    let stored = t.clone();
    state
        .blocking(move |s| s.put_credential_type(&stored, true, audit, now))
        .await?;
    Ok(Json(type_json(&t)))
}

/// The type and format of a credential configuration id.
pub async fn configuration(
    state: &AppState,
    configuration_id: &str,
) -> Result<(CredentialType, FormatSpec), AppError> {
    let types = state.blocking(|s| s.credential_types()).await?;
    types
        .into_iter()
        .find_map(|t| {
            let f = t.format_of(configuration_id)?.clone();
            Some((t, f))
        })
        .ok_or(AppError::new(
            ErrorCode::UnknownCredentialConfiguration,
            "unknown credential configuration",
        ))
}

/// The `tx_code` of an offer request: a given code, or a request to generate one.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TxCodeRequest {
    /// The code itself (4-12 characters; digits only means `numeric`).
    Value(String),
    /// Generate a numeric code.
    Generate {
        /// Digits (4-12, default 6).
        #[serde(default)]
        length: Option<u32>,
        /// Guidance shown by the wallet.
        #[serde(default)]
        description: Option<String>,
    },
}

/// `POST /admin/offers` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    /// The credential configuration.
    pub credential_configuration_id: String,
    /// The claims.
    pub claims: Map<String, Value>,
    /// Optional transaction code.
    #[serde(default)]
    pub tx_code: Option<TxCodeRequest>,
}

fn random_code() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    credentials::base64url::encode(b)
}

fn random_offer_id() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("off_{}", hex::encode(b))
}

fn credential_offer(state: &AppState, offer: &OfferRecord, code: &str) -> Value {
    let mut grant = json!({ "pre-authorized_code": code });
    if let Some(tx) = &offer.tx_code {
        let mut t = json!({ "input_mode": tx.input_mode, "length": tx.length });
        if let Some(d) = &tx.description {
            t["description"] = json!(d);
        }
        grant["tx_code"] = t;
    }
    json!({
        "credential_issuer": state.config().issuer_url(),
        "credential_configuration_ids": [offer.configuration_id],
        "grants": { PRE_AUTHORIZED_GRANT: grant },
    })
}

/// `openid-credential-offer://?credential_offer=...` (OpenID4VCI section 4.1.3, by value).
fn offer_uri(offer: &Value) -> String {
    format!(
        "openid-credential-offer://?credential_offer={}",
        utf8_percent_encode(&offer.to_string(), NON_ALPHANUMERIC)
    )
}

/// Creates an offer; returns the `201` body. Shared by the API and the demo seed.
pub async fn create_offer_for(
    state: &AppState,
    actor: String,
    req: OfferRequest,
) -> Result<Value, AppError> {
    let (t, _format) = configuration(state, &req.credential_configuration_id)
        .await
        .map_err(|_| AppError::new(ErrorCode::NotFound, "unknown credential_configuration_id"))?;
    t.check_claims(&req.claims)
        .map_err(|e| AppError::new(ErrorCode::InvalidClaims, e.to_string()))?;
    let (tx_code, tx_value) = match req.tx_code {
        None => (None, None),
        Some(TxCodeRequest::Value(v)) => {
            let len = v.chars().count();
            if !(4..=12).contains(&len) || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(AppError::new(
                    ErrorCode::InvalidRequest,
                    "tx_code must be 4-12 letters or digits",
                ));
            }
            let mode = if v.chars().all(|c| c.is_ascii_digit()) {
                "numeric"
            } else {
                "text"
            };
            (Some((v.clone(), mode, None)), None)
        }
        Some(TxCodeRequest::Generate {
            length,
            description,
        }) => {
            let length = length.unwrap_or(6);
            if !(4..=12).contains(&length) {
                return Err(AppError::new(
                    ErrorCode::InvalidRequest,
                    "tx_code length must be 4-12",
                ));
            }
            if description
                .as_ref()
                .is_some_and(|d| d.chars().count() > 300)
            {
                return Err(AppError::new(
                    ErrorCode::InvalidRequest,
                    "tx_code description too long",
                ));
            }
            let mut rng = rand::rngs::OsRng;
            let v: String = (0..length)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect();
            (Some((v.clone(), "numeric", description)), Some(v))
        }
    };
    let now = state.now();
    let code = random_code();
    let offer = OfferRecord {
        id: random_offer_id(),
        configuration_id: req.credential_configuration_id.clone(),
        claims: Some(req.claims),
        tx_code: tx_code.map(|(v, mode, description)| TxCodeRecord {
            sha256: hex::encode(Sha256::digest(v.as_bytes())),
            length: v.chars().count() as u32,
            input_mode: mode.into(),
            description,
        }),
        created_at: now,
        expires_at: now + secs(state.config().offer_ttl),
        state: OfferState::Pending,
        tx_code_failures: 0,
        credential_id: None,
        pre_authorized_code: Some(code.clone()),
        grant_sha256: None,
        created_by: actor.clone(),
    };
    let credential_offer = credential_offer(state, &offer, &code);
    let audit = AuditDraft::new(actor, "offer.create", Some(offer.id.clone())).details(json!({
        "credential_configuration_id": offer.configuration_id,
        "tx_code": offer.tx_code.is_some(),
    }));
    let stored = offer.clone();
    let code_hash: [u8; 32] = Sha256::digest(code.as_bytes()).into();
    state
        .blocking(move |s| s.create_offer(&stored, code_hash, audit, now))
        .await?;
    let mut body = json!({
        "id": offer.id,
        "offer_uri": offer_uri(&credential_offer),
        "credential_offer": credential_offer,
        "expires_at": offer.expires_at,
        "qr_png": format!("/admin/offers/{}/qr.png", offer.id),
        "qr_svg": format!("/admin/offers/{}/qr.svg", offer.id),
    });
    if let Some(v) = tx_value {
        body["tx_code"] = json!(v);
    }
    Ok(body)
}

/// `POST /admin/offers` -> `201 {"id", "offer_uri", ...}`.
pub async fn create_offer(
    auth: AdminAuth,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<OfferRequest>,
) -> Result<Response, AppError> {
    let body = create_offer_for(&state, auth.actor, req).await?;
    Ok(no_store((StatusCode::CREATED, Json(body)).into_response()))
}

/// The demo issuer's fresh offer: the proof-of-age type as `dc+sd-jwt` for a sample person.
pub async fn seed_demo_offer(state: &AppState) -> Result<Value, AppError> {
    let claims = json!({
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birth_date": "1984-01-26",
    });
    let req = OfferRequest {
        credential_configuration_id: format!("{PROOF_OF_AGE}_sd_jwt"),
        claims: claims.as_object().cloned().unwrap_or_default(),
        tx_code: None,
    };
    create_offer_for(state, "demo".into(), req).await
}

async fn load_offer(state: &AppState, id: String) -> Result<OfferRecord, AppError> {
    state
        .blocking(move |s| s.offer(&id))
        .await?
        .ok_or(AppError::new(ErrorCode::NotFound, "no such offer"))
}

fn offer_json(offer: &OfferRecord) -> Value {
    json!({
        "id": offer.id,
        "credential_configuration_id": offer.configuration_id,
        "state": offer.state,
        "created_at": offer.created_at,
        "expires_at": offer.expires_at,
        "tx_code_required": offer.tx_code.is_some(),
        "credential_id": offer.credential_id,
        "created_by": offer.created_by,
    })
}

/// `GET /admin/offers`: every offer's state (no claim values, no codes).
pub async fn list_offers(
    _auth: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    let offers = state.blocking(|s| s.offers()).await?;
    Ok(Json(
        json!({ "offers": offers.iter().map(offer_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /admin/offers/{id}`: the offer's state (no claim values).
pub async fn get_offer(
    _auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let offer = load_offer(&state, id).await?;
    Ok(Json(offer_json(&offer)))
}

/// `DELETE /admin/offers/{id}`: cancels a pending offer (claims and code deleted).
pub async fn cancel_offer(
    auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let now = state.now();
    let audit = AuditDraft::new(auth.actor, "offer.cancel", Some(id.clone()));
    let offer = state
        .blocking(move |s| s.cancel_offer(&id, audit, now))
        .await?;
    Ok(Json(offer_json(&offer)))
}

async fn offer_uri_of(state: &AppState, id: String) -> Result<String, AppError> {
    let offer = load_offer(state, id).await?;
    let code = match (&offer.state, &offer.pre_authorized_code) {
        (OfferState::Pending, Some(code)) if state.now() < offer.expires_at => code.clone(),
        _ => {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "the offer was used, locked or has expired",
            ));
        }
    };
    Ok(offer_uri(&credential_offer(state, &offer, &code)))
}

/// `GET /admin/offers/{id}/qr.png`.
pub async fn offer_qr_png(
    _auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let uri = offer_uri_of(&state, id).await?;
    let png = crate::qr::png(&uri).map_err(|e| AppError::internal(&e))?;
    Ok(no_store(
        ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
    ))
}

/// `GET /admin/offers/{id}/qr.svg`.
pub async fn offer_qr_svg(
    _auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let uri = offer_uri_of(&state, id).await?;
    let svg = crate::qr::svg(&uri).map_err(|e| AppError::internal(&e))?;
    Ok(no_store(
        ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response(),
    ))
}

fn credential_json(c: &IssuedCredential) -> Value {
    json!({
        "id": c.id,
        "credential_configuration_id": c.configuration_id,
        "format": c.format,
        "offer_id": c.offer_id,
        "holder": c.holder,
        "status": c.state,
        "status_entry": c.status,
        "issued_at": c.issued_at,
        "valid_until": c.valid_until,
    })
}

/// `GET /admin/credentials`: id, type, offer, holder, status; no claim values.
pub async fn list_credentials(
    _auth: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    let creds = state.blocking(|s| s.credentials()).await?;
    Ok(Json(
        json!({ "credentials": creds.iter().map(credential_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /admin/credentials/{id}`.
pub async fn get_credential(
    _auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let c = state
        .blocking(move |s| s.credential(&id))
        .await?
        .ok_or(AppError::new(ErrorCode::NotFound, "no such credential"))?;
    Ok(Json(credential_json(&c)))
}

async fn change(
    auth: AdminAuth,
    state: AppState,
    id: String,
    change: StatusChange,
) -> Result<Json<Value>, AppError> {
    let action = match change {
        StatusChange::Revoke => "credential.revoke",
        StatusChange::Suspend => "credential.suspend",
        StatusChange::Unsuspend => "credential.unsuspend",
    };
    let now = state.now();
    let audit = AuditDraft::new(auth.actor, action, Some(id.clone()));
    let c = state
        .blocking(move |s| s.change_status(&id, change, audit, now))
        .await?;
    Ok(Json(credential_json(&c)))
}

/// `POST /admin/credentials/{id}/revoke`.
pub async fn revoke(
    auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    change(auth, state, id, StatusChange::Revoke).await
}

/// `POST /admin/credentials/{id}/suspend`.
pub async fn suspend(
    auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    change(auth, state, id, StatusChange::Suspend).await
}

/// `POST /admin/credentials/{id}/unsuspend`.
pub async fn unsuspend(
    auth: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    change(auth, state, id, StatusChange::Unsuspend).await
}

/// `GET /admin/audit` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries after this sequence number.
    #[serde(default)]
    pub after: u64,
    /// Page size (1-1000, default 100).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `GET /admin/audit?after=N&limit=M`: a page of entries and whether the whole chain
/// verifies.
pub async fn audit(
    _auth: AdminAuth,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let all = state.blocking(|s| s.audit_entries(0, usize::MAX)).await?;
    let chain = verify_audit_chain(&all);
    let head = all.last().map(|e| e.hash.clone());
    let page: Vec<_> = all
        .into_iter()
        .filter(|e| e.seq > q.after)
        .take(limit)
        .collect();
    Ok(Json(json!({
        "entries": page,
        "head": head,
        "chain_valid": chain.is_ok(),
        "chain_error": chain.err().map(|e| e.to_string()),
    })))
}

/// `GET /admin/status-lists`.
pub async fn status_lists(
    _auth: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    let lists = state.blocking(|s| s.status_lists()).await?;
    Ok(Json(json!({ "status_lists": lists })))
}
