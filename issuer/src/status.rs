//! Status list publication.
//!
//! The store keeps one 2-bit array per list (Token Status List layout: 0 valid, 1 revoked,
//! 2 suspended). It is published as
//! - a signed Status List Token (`application/statuslist+jwt`, `bits` 2) at
//!   `/status/token/{list}` for SD-JWT VCs, and
//! - two `BitstringStatusListCredential`s (purposes `revocation` and `suspension`, one bit
//!   each), signed with `eddsa-rdfc-2022`, at `/status/bitstring/{list}/{purpose}` for
//!   `ldp_vc`.
//!
//! **A publication is rendered from one read snapshot**, so a reader never sees a half-applied
//! change, and it is cached per (list, revision, key): a revocation bumps the revision in the
//! same transaction that flips the entry, so the next fetch renders the new state. Responses
//! carry an `ETag` and `Cache-Control: no-cache` (caches must revalidate, so a revocation is
//! visible on the next fetch) and answer `If-None-Match` with `304`.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use credentials::data_integrity::{self, ProofOptions};
use credentials::status_list::bitstring::{
    BitstringStatusList, StatusListCredentialParams, StatusPurpose,
};
use credentials::status_list::token::{Bits, StatusListTokenClaims, TokenStatusList};

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::issuance::{bitstring_status_url, token_status_url};
use crate::store::{StatusListKind, entry};

/// `ttl` of the published lists (seconds): how long a verifier may reuse a fetched list.
pub const TTL_SECS: u64 = 300;
/// A cached publication is re-signed after this long even without changes (fresh `iat`).
const RESIGN_AFTER_SECS: i64 = 3600;
/// Validity of a publication.
const VALIDITY_SECS: i64 = 24 * 3600;

/// What is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// Token Status List of a list.
    Token(u64),
    /// Bitstring revocation view.
    Revocation(u64),
    /// Bitstring suspension view.
    Suspension(u64),
}

/// A signed publication.
#[derive(Debug)]
pub struct Published {
    /// The list revision it shows.
    pub revision: u64,
    /// The signing key id.
    pub kid: String,
    /// Signing time.
    pub signed_at: i64,
    /// The body.
    pub body: String,
    /// Media type.
    pub content_type: &'static str,
    /// Strong ETag.
    pub etag: String,
}

fn render(state: &AppState, key: CacheKey) -> Result<Arc<Published>, AppError> {
    let list_id = match key {
        CacheKey::Token(id) | CacheKey::Revocation(id) | CacheKey::Suspension(id) => id,
    };
    let (meta, bits) = state
        .store()
        .status_list(list_id)?
        .ok_or(AppError::new(ErrorCode::NotFound, "no such status list"))?;
    let wanted_kind = match key {
        CacheKey::Token(_) => StatusListKind::Token,
        _ => StatusListKind::Bitstring,
    };
    if meta.kind != wanted_kind {
        return Err(AppError::new(ErrorCode::NotFound, "no such status list"));
    }
    let now = state.now();
    if let Some(cached) = state.status_cache().get(&key)
        && cached.revision == meta.revision
        && now - cached.signed_at < RESIGN_AFTER_SECS
    {
        return Ok(Arc::clone(cached));
    }
    // The list is signed by the key that was active when it was opened: its credentials'
    // issuer (for did:key, a rotation changes the DID; the list must keep the old one).
    let (signer, did, kid) = state.signer_for(&meta.kid)?;
    let public_url = state.config().issuer_url();
    let (body, content_type) = match key {
        CacheKey::Token(id) => {
            let list =
                TokenStatusList::from_bytes(Bits::Two, bits).map_err(|e| AppError::internal(&e))?;
            let claims = StatusListTokenClaims {
                sub: token_status_url(&public_url, id),
                iss: Some(did.clone()),
                iat: now,
                exp: Some(now + VALIDITY_SECS),
                ttl: Some(TTL_SECS),
                aggregation_uri: None,
            };
            (
                claims.sign(&list, signer.as_ref(), Some(&kid)),
                "application/statuslist+jwt",
            )
        }
        CacheKey::Revocation(id) | CacheKey::Suspension(id) => {
            let (purpose, value) = match key {
                CacheKey::Revocation(_) => (StatusPurpose::Revocation, 1),
                _ => (StatusPurpose::Suspension, 2),
            };
            let size = usize::try_from(meta.size).map_err(|e| AppError::internal(&e))?;
            let mut list = BitstringStatusList::new(size, 1).map_err(|e| AppError::internal(&e))?;
            for i in 0..size {
                if entry(&bits, i as u64) == value {
                    list.set(i, 1).map_err(|e| AppError::internal(&e))?;
                }
            }
            let issued: DateTime<Utc> = DateTime::from_timestamp(now, 0).unwrap_or_default();
            let params = StatusListCredentialParams {
                id: bitstring_status_url(&public_url, id, purpose.as_str()),
                issuer: did.clone(),
                purposes: vec![purpose],
                valid_from: issued,
                valid_until: Some(issued + TimeDelta::seconds(VALIDITY_SECS)),
                ttl_ms: Some(TTL_SECS * 1000),
            };
            let unsigned = params.unsigned_credential(&list);
            let signed = data_integrity::sign(
                &unsigned,
                data_integrity::Cryptosuite::EddsaRdfc2022,
                &ProofOptions::assertion(kid.clone(), issued),
                signer.as_ref(),
            )
            .map_err(|e| AppError::internal(&e))?;
            (signed.to_string(), "application/vc+ld+json")
        }
    };
    let published = Arc::new(Published {
        revision: meta.revision,
        etag: format!(
            "\"{list_id}-{}-{}\"",
            meta.revision,
            hex::encode(sha2_short(&kid, now))
        ),
        kid,
        signed_at: now,
        body,
        content_type,
    });
    let mut cache = state.status_cache();
    let keep_newer = cache
        .get(&key)
        .is_some_and(|c| c.revision > published.revision);
    if !keep_newer {
        cache.insert(key, Arc::clone(&published));
    }
    Ok(published)
}

fn sha2_short(kid: &str, signed_at: i64) -> [u8; 6] {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(format!("{kid}|{signed_at}").as_bytes());
    let mut out = [0u8; 6];
    out.copy_from_slice(&d[..6]);
    out
}

/// Renders (or takes from the cache) a publication, on the blocking pool.
pub async fn publication(state: &AppState, key: CacheKey) -> Result<Arc<Published>, AppError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || render(&state, key))
        .await
        .map_err(|e| AppError::internal(&e))?
}
