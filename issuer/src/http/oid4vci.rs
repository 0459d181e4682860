//! OpenID for Verifiable Credential Issuance 1.0: issuer metadata (section 12.2), OAuth
//! authorization server metadata (RFC 8414), the token endpoint for the pre-authorized code
//! grant (section 6), the nonce endpoint (section 7) and the credential endpoint with `jwt`
//! proofs of possession (section 8, Appendix F.1).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use credentials::PublicKey;
use credentials::jose::{Algorithm, CompactJws};
use did_methods::{DidJwk, DidKey, DidUrl};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::admin::{PRE_AUTHORIZED_GRANT, configuration};
use super::{FormBody, JsonBody, no_store, secs};
use crate::AppState;
use crate::auth::{bearer, client_ip, token_hash};
use crate::credential_type::FormatSpec;
use crate::error::{AppError, ErrorCode};
use crate::issuance::{Holder, IssueRequest, new_credential_id};
use crate::store::{AuditDraft, CredentialState, GrantRefusal, IssuedCredential, StatusListKind};

/// The `typ` of a proof JWT (Appendix F.1).
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";
/// How old a proof's `iat` may be.
const PROOF_MAX_AGE_SECS: i64 = 300;
/// How far in the future a proof's `iat` may be (clock skew).
const PROOF_MAX_SKEW_SECS: i64 = 60;

/// `GET /.well-known/openid-credential-issuer`.
pub async fn issuer_metadata(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let url = state.config().issuer_url();
    let types = state.blocking(|s| s.credential_types()).await?;
    let mut configurations = Map::new();
    for t in &types {
        for f in &t.formats {
            let display = json!([{ "name": t.name, "locale": "en" }]);
            let metadata = json!({ "display": display, "claims": t.claims_metadata(f) });
            let proof_types =
                json!({ "jwt": { "proof_signing_alg_values_supported": ["EdDSA", "ES256"] } });
            let c = match f {
                FormatSpec::SdJwt => json!({
                    "format": "dc+sd-jwt",
                    "scope": t.configuration_id(f),
                    "vct": t.vct(&url),
                    "cryptographic_binding_methods_supported": ["jwk"],
                    "credential_signing_alg_values_supported": ["EdDSA"],
                    "proof_types_supported": proof_types,
                    "credential_metadata": metadata,
                }),
                FormatSpec::LdpVc { cryptosuite, .. } => json!({
                    "format": "ldp_vc",
                    "scope": t.configuration_id(f),
                    "credential_definition": {
                        "@context": crate::issuance::credential_context(),
                        "type": ["VerifiableCredential", t.vc_type],
                    },
                    "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
                    "credential_signing_alg_values_supported": [cryptosuite.as_str()],
                    "proof_types_supported": proof_types,
                    "credential_metadata": metadata,
                }),
            };
            configurations.insert(t.configuration_id(f), c);
        }
    }
    Ok(Json(json!({
        "credential_issuer": url,
        "credential_endpoint": format!("{url}/credential"),
        "nonce_endpoint": format!("{url}/nonce"),
        "display": [{ "name": state.config().name, "locale": "en" }],
        "credential_configurations_supported": configurations,
    })))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414; the issuer is its own
/// authorization server for the pre-authorized code grant).
pub async fn authorization_server_metadata(State(state): State<AppState>) -> Json<Value> {
    let url = state.config().issuer_url();
    Json(json!({
        "issuer": url,
        "token_endpoint": format!("{url}/token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": true,
    }))
}

fn rate_limit(state: &AppState, parts: &Parts) -> Result<(), AppError> {
    match state.token_limiter().hit(client_ip(parts)) {
        Some(retry) => Err(AppError::rate_limited(retry)),
        None => Ok(()),
    }
}

/// Per-client rate limit of the token and nonce endpoints.
#[derive(Debug)]
pub struct TokenRateLimited;

impl axum::extract::FromRequestParts<AppState> for TokenRateLimited {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        rate_limit(state, parts)?;
        Ok(TokenRateLimited)
    }
}

fn random_secret() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    credentials::base64url::encode(b)
}

/// `POST /token`: exchanges a pre-authorized code (and `tx_code`) for an access token.
pub async fn token(
    _limited: TokenRateLimited,
    State(state): State<AppState>,
    FormBody(form): FormBody<HashMap<String, String>>,
) -> Result<Response, AppError> {
    if form.get("grant_type").map(String::as_str) != Some(PRE_AUTHORIZED_GRANT) {
        return Err(AppError::new(
            ErrorCode::UnsupportedGrantType,
            "only the pre-authorized code grant is supported",
        ));
    }
    let code = form
        .get("pre-authorized_code")
        .filter(|c| !c.is_empty() && c.len() <= 256)
        .ok_or(AppError::new(
            ErrorCode::InvalidRequest,
            "pre-authorized_code is required",
        ))?;
    let tx_code = form.get("tx_code").cloned();
    if tx_code.as_ref().is_some_and(|t| t.len() > 64) {
        return Err(AppError::new(ErrorCode::InvalidRequest, "tx_code too long"));
    }
    let code_hash: [u8; 32] = Sha256::digest(code.as_bytes()).into();
    let access_token = random_secret();
    let token_sha = token_hash(&access_token);
    let now = state.now();
    let ttl = secs(state.config().access_token_ttl);
    let outcome = state
        .blocking(move |s| {
            s.redeem_pre_authorized_code(code_hash, tx_code.as_deref(), token_sha, now + ttl, now)
        })
        .await?;
    match outcome {
        Ok(_offer) => Ok(no_store(
            Json(json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": ttl,
            }))
            .into_response(),
        )),
        Err(refusal) => {
            let message = match refusal {
                GrantRefusal::Unknown => "unknown pre-authorized code",
                GrantRefusal::Expired => "the pre-authorized code has expired",
                GrantRefusal::AlreadyUsed => "the pre-authorized code was already used",
                GrantRefusal::TxCodeRequired => "tx_code is required",
                GrantRefusal::TxCodeMismatch => "wrong tx_code",
            };
            Err(AppError::new(ErrorCode::InvalidGrant, message))
        }
    }
}

/// `POST /nonce`: a fresh single-use `c_nonce`.
pub async fn nonce(
    _limited: TokenRateLimited,
    State(state): State<AppState>,
) -> Result<Response, AppError> {
    let nonce = random_secret();
    let hash: [u8; 32] = Sha256::digest(nonce.as_bytes()).into();
    let now = state.now();
    let expires = now + secs(state.config().nonce_ttl);
    state
        .blocking(move |s| s.put_nonce(hash, expires, now))
        .await?;
    Ok(no_store(Json(json!({ "c_nonce": nonce })).into_response()))
}

fn invalid_proof(message: &str) -> AppError {
    AppError::new(ErrorCode::InvalidProof, message)
}

/// A checked proof of possession: the holder and the nonce it carries.
#[derive(Debug)]
pub struct CheckedProof {
    /// The holder key and DID.
    pub holder: Holder,
    /// The `nonce` claim (to be consumed).
    pub nonce: String,
}

/// Checks a `jwt` proof (Appendix F.1, F.4): `typ`, a key in exactly one of `jwk` / `kid`
/// (did:key or did:jwk DID URL), the signature, `aud` = the credential issuer identifier,
/// `iat` within the window, a `nonce`.
pub fn check_proof(jwt: &str, issuer: &str, now: i64) -> Result<CheckedProof, AppError> {
    let jws = CompactJws::parse(jwt).map_err(|_| invalid_proof("proof is not a valid JWS"))?;
    if jws.typ() != Some(PROOF_TYP) {
        return Err(invalid_proof("proof typ must be openid4vci-proof+jwt"));
    }
    let header = jws.header();
    if header.contains_key("x5c") || header.contains_key("key_attestation") {
        return Err(invalid_proof(
            "only jwk or kid key references are supported",
        ));
    }
    let holder = match (header.get("jwk"), header.get("kid").and_then(Value::as_str)) {
        (Some(jwk), None) => {
            let key = PublicKey::from_jwk(jwk).map_err(|_| invalid_proof("invalid jwk"))?;
            let did = DidJwk::from_public_key(&key).did().as_str().to_owned();
            Holder { key, did }
        }
        (None, Some(kid)) => holder_from_kid(kid)?,
        _ => return Err(invalid_proof("exactly one of jwk and kid is required")),
    };
    jws.verify(&holder.key, &[Algorithm::EdDSA, Algorithm::ES256])
        .map_err(|_| invalid_proof("proof signature does not verify"))?;
    let claims = jws.payload();
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == issuer,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(issuer)),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid_proof("proof aud is not this credential issuer"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(invalid_proof("proof iat missing or not an integer"))?;
    if iat < now - PROOF_MAX_AGE_SECS || iat > now + PROOF_MAX_SKEW_SECS {
        return Err(invalid_proof("proof iat outside the accepted window"));
    }
    let nonce = claims
        .get("nonce")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty() && n.len() <= 256)
        .ok_or(AppError::new(
            ErrorCode::InvalidNonce,
            "proof nonce missing",
        ))?
        .to_owned();
    Ok(CheckedProof { holder, nonce })
}

fn holder_from_kid(kid: &str) -> Result<Holder, AppError> {
    let url = DidUrl::parse(kid).map_err(|_| invalid_proof("kid is not a DID URL"))?;
    let did = url.did().as_str().to_owned();
    let key = match url.did().method() {
        "key" => {
            let k = DidKey::parse(&did).map_err(|_| invalid_proof("invalid did:key"))?;
            if url.fragment() != Some(k.did().method_specific_id()) {
                return Err(invalid_proof(
                    "kid is not the did:key's verification method",
                ));
            }
            k.public_key().clone()
        }
        "jwk" => {
            let k = DidJwk::parse(&did).map_err(|_| invalid_proof("invalid did:jwk"))?;
            if url.fragment() != Some("0") {
                return Err(invalid_proof(
                    "kid is not the did:jwk's verification method",
                ));
            }
            k.public_key()
                .map_err(|_| invalid_proof("invalid did:jwk key"))?
        }
        _ => return Err(invalid_proof("kid must be a did:key or did:jwk DID URL")),
    };
    Ok(Holder { key, did })
}

/// `POST /credential`.
pub async fn credential(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let invalid_token =
        || AppError::new(ErrorCode::InvalidToken, "invalid or expired access token");
    let token = bearer(&parts).ok_or_else(invalid_token)?;
    let token_sha = token_hash(token);
    let now = state.now();
    let grant = state
        .blocking(move |s| s.access_grant(token_sha))
        .await?
        .filter(|g| !g.used && now < g.expires_at)
        .ok_or_else(invalid_token)?;

    let body = body.as_object().ok_or(AppError::new(
        ErrorCode::InvalidCredentialRequest,
        "body must be a JSON object",
    ))?;
    if body.contains_key("proof") {
        return Err(AppError::new(
            ErrorCode::InvalidCredentialRequest,
            "use `proofs` (OpenID4VCI 1.0), not `proof`",
        ));
    }
    if body.contains_key("credential_response_encryption") {
        return Err(AppError::new(
            ErrorCode::InvalidCredentialRequest,
            "credential response encryption is not supported",
        ));
    }
    let configuration_id = body
        .get("credential_configuration_id")
        .and_then(Value::as_str)
        .ok_or(AppError::new(
            ErrorCode::InvalidCredentialRequest,
            "credential_configuration_id is required",
        ))?;
    if configuration_id != grant.configuration_id {
        return Err(AppError::new(
            ErrorCode::UnknownCredentialConfiguration,
            "the access token does not cover this credential configuration",
        ));
    }
    let proofs = body
        .get("proofs")
        .and_then(Value::as_object)
        .ok_or(invalid_proof("proofs is required"))?;
    let jwts = match (proofs.len(), proofs.get("jwt").and_then(Value::as_array)) {
        (1, Some(list)) if list.len() == 1 => list,
        _ => return Err(invalid_proof("exactly one jwt proof is required")),
    };
    let jwt = jwts[0]
        .as_str()
        .ok_or(invalid_proof("proof must be a string"))?;
    let issuer = state.config().issuer_url();
    let proof = check_proof(jwt, &issuer, now)?;

    // Single-use nonce (section 7.2): consumed before anything is issued.
    let nonce_hash: [u8; 32] = Sha256::digest(proof.nonce.as_bytes()).into();
    if !state
        .blocking(move |s| s.consume_nonce(nonce_hash, now))
        .await?
    {
        return Err(AppError::new(
            ErrorCode::InvalidNonce,
            "unknown, expired or used nonce",
        ));
    }

    let (credential_type, format) = configuration(&state, configuration_id).await?;
    let offer_id = grant.offer_id.clone();
    let offer = state
        .blocking(move |s| s.offer(&offer_id))
        .await?
        .ok_or_else(|| AppError::internal(&"grant without offer"))?;
    let claims = offer.claims.clone().ok_or_else(invalid_token)?;
    let kind = match format {
        FormatSpec::SdJwt => StatusListKind::Token,
        FormatSpec::LdpVc { .. } => StatusListKind::Bitstring,
    };
    let size = state.config().status_list_size;
    // One snapshot of key and identity for both the status list and the signature.
    let (key, identity) = state.signer();
    let kid = identity
        .active_kid()
        .ok_or_else(|| AppError::internal(&"active key without method"))?
        .to_owned();
    let status = state
        .blocking(move |s| s.allocate_status(kind, size, &kid, &mut rand::rngs::OsRng, now))
        .await?;

    let id = new_credential_id();
    let sign_state = state.clone();
    let sign_id = id.clone();
    let sign_format = format.clone();
    let holder = proof.holder.clone();
    let issued = tokio::task::spawn_blocking(move || {
        let request = IssueRequest {
            credential_type: &credential_type,
            claims: &claims,
            id: &sign_id,
            now: DateTime::from_timestamp(now, 0).unwrap_or_default(),
            status: Some(status),
            public_url: &sign_state.config().issuer_url(),
            identity: &identity,
            key: &key,
        };
        let valid_until = request.valid_until().timestamp();
        request
            .sign(&sign_format, &holder)
            .map(|c| (c, valid_until))
    })
    .await
    .map_err(|e| AppError::internal(&e))?
    .map_err(|e| AppError::internal(&e))?;
    let (issued, valid_until) = issued;

    let record = IssuedCredential {
        id: id.clone(),
        configuration_id: configuration_id.to_owned(),
        format: format.format().to_owned(),
        offer_id: Some(grant.offer_id.clone()),
        holder: Some(proof.holder.record(&format)),
        status: Some(status),
        state: CredentialState::Active,
        issued_at: now,
        valid_until: Some(valid_until),
    };
    let audit = AuditDraft::new("wallet", "credential.issue", Some(id.clone())).details(json!({
        "credential_configuration_id": configuration_id,
        "offer_id": grant.offer_id,
    }));
    match state
        .blocking(move |s| s.record_issuance(&record, Some(token_sha), audit, now))
        .await
    {
        Ok(()) => {}
        Err(e) if e.code() == ErrorCode::Conflict || e.code() == ErrorCode::NotFound => {
            return Err(invalid_token());
        }
        Err(e) => return Err(e),
    }
    tracing::info!(credential = %id, format = format.format(), "credential issued");
    Ok(no_store(
        Json(json!({ "credentials": [{ "credential": issued.into_json() }] })).into_response(),
    ))
}
