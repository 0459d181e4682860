//! A stored credential's status, checked on demand.
//!
//! [`check_status`] reads a credential the wallet holds and asks its issuer's status list
//! whether it is still valid, with the same verification as at receive time (the status list
//! must be signed by the credential's issuer, fetched only from URLs the
//! [`NetworkPolicy`] allows, and checked against the injected [`Clock`] after the fetch):
//!
//! - `dc+sd-jwt`: the Token Status List referenced by `status.status_list {idx, uri}`;
//! - `ldp_vc`: every Bitstring Status List entry of `credentialStatus`.
//!
//! Fail closed: a list that cannot be fetched or verified gives
//! [`CredentialStatus::Unknown`], never [`CredentialStatus::Valid`]. The dates the credential
//! states (`nbf`/`exp`, `validFrom`/`validUntil`) are checked too. No key material is used:
//! only the stored credential and the issuer's public key.

use chrono::{DateTime, TimeDelta, Utc};
use credentials::KeyResolver;
use credentials::data_integrity;
use credentials::status_list::bitstring::{
    BitstringStatusListCredential, BitstringStatusListEntry, BitstringValidation,
};
use credentials::status_list::token::{
    self, TokenStatus, TokenValidation, verify_status_list_token,
};
use did_methods::{DidResolver, ResolvedDocuments};
use serde::Serialize;
use serde_json::Value;

use crate::clock::{CLOCK_SKEW_SECONDS, Clock};
use crate::contents::{CredentialFormat, CredentialRecord};
use crate::net::{NetworkPolicy, WalletHttp, check_url};

/// A credential's status, as checked just now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialStatus {
    /// Within its dates, and its status list (if it has one) says valid.
    Valid,
    /// The issuer revoked it.
    Revoked,
    /// The issuer suspended it.
    Suspended,
    /// Its validity period has ended.
    Expired,
    /// Its validity period has not begun.
    NotYetValid,
    /// Its status could not be determined (unreachable or unverifiable status list, a URL
    /// the policy refuses, an unreadable credential): not valid.
    Unknown(String),
}

/// Why a status list did not say "valid". Shared by [`check_status`] and the receive flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StatusFailure {
    /// The status list URL is not allowed by the network policy.
    Refused(crate::net::NetError),
    /// Revoked.
    Revoked,
    /// Suspended.
    Suspended,
    /// The status cannot be determined.
    Unavailable(String),
}

/// Where status lists and issuer keys come from.
pub(crate) struct StatusSources<'a> {
    pub http: &'a dyn WalletHttp,
    pub resolver: &'a dyn DidResolver,
    pub policy: NetworkPolicy,
    pub clock: &'a dyn Clock,
}

/// Resolves `issuer` (a DID) to its documents.
pub(crate) async fn resolve_issuer(
    resolver: &dyn DidResolver,
    issuer: &str,
) -> Result<ResolvedDocuments, String> {
    if !issuer.starts_with("did:") {
        return Err(format!("issuer {issuer} is not a DID"));
    }
    let document = resolver.resolve(issuer).await.map_err(|e| e.to_string())?;
    let mut documents = ResolvedDocuments::new();
    documents.insert(document);
    Ok(documents)
}

/// Token Status List (`dc+sd-jwt`): fetches and verifies the list `reference` points to,
/// signed by `issuer` (a key of `documents`), and reads the credential's entry.
pub(crate) async fn token_status(
    reference: &token::StatusListReference,
    issuer: &str,
    documents: &ResolvedDocuments,
    src: &StatusSources<'_>,
) -> Result<(), StatusFailure> {
    let url = check_url(&reference.uri, src.policy).map_err(StatusFailure::Refused)?;
    let response = src
        .http
        .get(&url, "application/statuslist+jwt")
        .await
        .map_err(|e| StatusFailure::Unavailable(e.to_string()))?;
    if !response.is_success() {
        return Err(StatusFailure::Unavailable(format!(
            "HTTP {}",
            response.status
        )));
    }
    let token_text = String::from_utf8(response.body)
        .map_err(|_| StatusFailure::Unavailable("not text".into()))?;
    let list = verify_status_list_token(
        token_text.trim(),
        &reference.uri,
        token::IssuerKey::Resolver {
            resolver: documents as &dyn KeyResolver,
            issuer,
        },
        // After the fetch: the issuer may have (re-)signed the list just now.
        src.clock.now().timestamp(),
        &TokenValidation {
            leeway_seconds: CLOCK_SKEW_SECONDS,
            ..TokenValidation::default()
        },
    )
    .map_err(|e| StatusFailure::Unavailable(e.to_string()))?;
    match list.status(reference.idx) {
        Ok(TokenStatus::Valid) => Ok(()),
        Ok(TokenStatus::Invalid) => Err(StatusFailure::Revoked),
        Ok(TokenStatus::Suspended) => Err(StatusFailure::Suspended),
        Ok(TokenStatus::Other(v)) => Err(StatusFailure::Unavailable(format!("status value {v}"))),
        Err(e) => Err(StatusFailure::Unavailable(e.to_string())),
    }
}

/// Bitstring Status List (`ldp_vc`): fetches and verifies the list one `credentialStatus`
/// entry points to, which must be signed by `issuer`, and reads the credential's entry.
pub(crate) async fn bitstring_status(
    entry: &Value,
    issuer: &str,
    src: &StatusSources<'_>,
) -> Result<(), StatusFailure> {
    let entry = BitstringStatusListEntry::from_json(entry)
        .map_err(|e| StatusFailure::Unavailable(e.to_string()))?;
    let url =
        check_url(&entry.status_list_credential, src.policy).map_err(StatusFailure::Refused)?;
    let response = src
        .http
        .get(&url, "application/vc+ld+json, application/json")
        .await
        .map_err(|e| StatusFailure::Unavailable(e.to_string()))?;
    if !response.is_success() {
        return Err(StatusFailure::Unavailable(format!(
            "HTTP {}",
            response.status
        )));
    }
    let list: Value = serde_json::from_slice(&response.body)
        .map_err(|_| StatusFailure::Unavailable("not JSON".into()))?;
    // The list must be signed by the credential's issuer.
    let list_issuer = match list.get("issuer") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).unwrap_or_default(),
        _ => "",
    };
    if list_issuer != issuer {
        return Err(StatusFailure::Unavailable(
            "status list from another issuer".into(),
        ));
    }
    let documents = resolve_issuer(src.resolver, issuer)
        .await
        .map_err(StatusFailure::Unavailable)?;
    // After the fetch: the issuer may have (re-)signed the list just now.
    let now = src.clock.now();
    let mut options = data_integrity::VerifyOptions::new(now);
    options.clock_skew = TimeDelta::seconds(CLOCK_SKEW_SECONDS);
    let report = data_integrity::verify_credential(&list, &documents, &options)
        .map_err(|e| StatusFailure::Unavailable(e.to_string()))?;
    if !report.is_verified() {
        return Err(StatusFailure::Unavailable("status list signature".into()));
    }
    let validation = BitstringValidation {
        clock_skew: TimeDelta::seconds(CLOCK_SKEW_SECONDS),
        ..BitstringValidation::default()
    };
    let status = BitstringStatusListCredential::from_json(&list)
        .and_then(|list| list.check_with(&entry, now, &validation))
        .map_err(|e| StatusFailure::Unavailable(e.to_string()))?;
    if status.is_valid() {
        return Ok(());
    }
    Err(match status.purpose.as_str() {
        "suspension" => StatusFailure::Suspended,
        _ => StatusFailure::Revoked,
    })
}

/// The `credentialStatus` entries of a Data Integrity credential.
pub(crate) fn status_entries(credential: &Value) -> Vec<Value> {
    match credential.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
    }
}

fn timestamp(value: Option<&Value>) -> Option<DateTime<Utc>> {
    match value? {
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// What the credential and its status list say, in this order: revoked or suspended (the
/// issuer's word), then its dates, then an undeterminable status.
fn combine(
    status: Result<(), StatusFailure>,
    not_before: Option<DateTime<Utc>>,
    not_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CredentialStatus {
    let failure = match status {
        Ok(()) => None,
        Err(StatusFailure::Revoked) => return CredentialStatus::Revoked,
        Err(StatusFailure::Suspended) => return CredentialStatus::Suspended,
        Err(StatusFailure::Refused(e)) => Some(format!("status list URL refused: {e}")),
        Err(StatusFailure::Unavailable(reason)) => Some(reason),
    };
    if not_after.is_some_and(|t| now > t) {
        return CredentialStatus::Expired;
    }
    if not_before.is_some_and(|t| now < t) {
        return CredentialStatus::NotYetValid;
    }
    failure.map_or(CredentialStatus::Valid, CredentialStatus::Unknown)
}

/// Checks a stored credential's status now: its status list (fetched from the issuer with
/// `http` under `policy`, verified with the issuer's key from `resolver`) and its dates, both
/// against `clock` after the fetch.
///
/// Never [`CredentialStatus::Valid`] unless the status list (when the credential has one)
/// was fetched, verified and says valid.
pub async fn check_status(
    record: &CredentialRecord,
    http: &dyn WalletHttp,
    resolver: &dyn DidResolver,
    policy: NetworkPolicy,
    clock: impl Clock,
) -> CredentialStatus {
    let src = StatusSources {
        http,
        resolver,
        policy,
        clock: &clock,
    };
    match record.format {
        CredentialFormat::DcSdJwt => {
            let Some(text) = record.credential.as_str() else {
                return CredentialStatus::Unknown("unreadable credential".into());
            };
            // Verified when it was received; what it says about its status and dates is read
            // from the issuer-signed payload.
            let Ok(parsed) = credentials::sd_jwt::SdJwt::parse(text) else {
                return CredentialStatus::Unknown("unreadable credential".into());
            };
            let payload = parsed.unverified_payload();
            let status = match payload.get("status") {
                None => Ok(()),
                Some(claim) => match token::StatusListReference::from_status_claim(claim) {
                    Err(e) => Err(StatusFailure::Unavailable(e.to_string())),
                    Ok(reference) => match resolve_issuer(resolver, &record.issuer).await {
                        Err(e) => Err(StatusFailure::Unavailable(e)),
                        Ok(documents) => {
                            token_status(&reference, &record.issuer, &documents, &src).await
                        }
                    },
                },
            };
            combine(
                status,
                timestamp(payload.get("nbf")),
                timestamp(payload.get("exp")),
                clock.now(),
            )
        }
        CredentialFormat::LdpVc => {
            let credential = &record.credential;
            let mut status = Ok(());
            for entry in status_entries(credential) {
                match bitstring_status(&entry, &record.issuer, &src).await {
                    Ok(()) => {}
                    Err(e @ (StatusFailure::Revoked | StatusFailure::Suspended)) => {
                        status = Err(e);
                        break;
                    }
                    Err(e) => {
                        if status.is_ok() {
                            status = Err(e);
                        }
                    }
                }
            }
            let not_after = timestamp(credential.get("validUntil"))
                .or_else(|| timestamp(credential.get("expirationDate")));
            let not_before = timestamp(credential.get("validFrom"));
            combine(status, not_before, not_after, clock.now())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default()
    }

    #[test]
    fn the_issuers_word_comes_first_then_dates_then_an_unknown_status() {
        let now = at(0);
        let unreachable = || Err(StatusFailure::Unavailable("connection failed".into()));
        assert_eq!(
            combine(Err(StatusFailure::Revoked), None, Some(at(-1)), now),
            CredentialStatus::Revoked
        );
        assert_eq!(
            combine(Err(StatusFailure::Suspended), None, None, now),
            CredentialStatus::Suspended
        );
        assert_eq!(
            combine(unreachable(), None, Some(at(-1)), now),
            CredentialStatus::Expired
        );
        assert_eq!(
            combine(Ok(()), Some(at(1)), None, now),
            CredentialStatus::NotYetValid
        );
        assert_eq!(
            combine(unreachable(), None, None, now),
            CredentialStatus::Unknown("connection failed".into())
        );
        assert_eq!(
            combine(Ok(()), Some(at(-1)), Some(at(1)), now),
            CredentialStatus::Valid
        );
    }
}
