//! The verification pipeline: one entry point for a presentation request and its response, for
//! SD-JWT VC (with KB-JWT) and VC 2.0 Data Integrity presentations.
//!
//! Every check is mandatory and fails closed. The order for a response:
//! 1. the request's nonce is consumed (single use, expiry, persisted): a replay is refused;
//! 2. the response answers the DCQL query (only requested ids, formats, counts, credential
//!    sets);
//! 3. per presentation: the proof format's own verification (`credentials::sd_jwt::verify` /
//!    `credentials::data_integrity::verify_presentation`) with this request's nonce and
//!    audience, with issuer and holder keys resolved through the injected DID resolver;
//! 4. policy: trusted issuer, holder binding, maximum credential age, status (fetched through
//!    the bounded cache, which revalidates with the server on every use; unreachable, unsigned
//!    or malformed means `status_unavailable`; the list's times are compared with the clock
//!    read after the fetch, with 60 s of clock skew), required claims and values, and the
//!    DCQL claim constraints.
//!
//! The result is [`Verified`] (constructible only here) or [`Rejected`] with every failed
//! check and its stable code.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use credentials::data_integrity::{self, verify_credential, verify_presentation};
use credentials::oid4vp::{
    CandidateCredential, DcqlQuery, MismatchReason, PathElement, Presentation,
};
use credentials::report::{Check, FailureCode, VerificationReport};
use credentials::sd_jwt::{self, IssuerKey, KeyBindingPolicy, SdJwt};
use credentials::status_list::{self, bitstring, token};
use did_methods::{DidResolver, ResolvedDocuments};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::error::StoreError;
use crate::nonce::{NonceError, NonceStore};
use crate::policy::{Format, Policy};
use crate::status::StatusCache;

/// SD-JWT VC claims that describe the credential rather than its subject; they are not
/// reported among the disclosed claims.
const REGISTERED_CLAIMS: [&str; 8] = [
    "iss",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
];

/// What a relying party asked for, of whom, with which nonce and audience.
#[derive(Debug, Clone)]
pub struct PresentationRequest {
    /// What is asked.
    pub dcql_query: DcqlQuery,
    /// The nonce issued for this request (from [`NonceStore::issue`]); bound into the KB-JWT
    /// `nonce` / the presentation proof's `challenge`.
    pub nonce: String,
    /// The verifier's identifier (OpenID4VP `client_id`); the KB-JWT `aud` / the
    /// presentation proof's `domain`.
    pub audience: String,
    /// The acceptance rules.
    pub policy: Policy,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedCheck {
    /// The credential query id (or `None` for checks on the response as a whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// What was checked.
    pub check: Check,
    /// The stable code.
    pub code: FailureCode,
    /// A short explanation; never a claim value or key material.
    pub detail: String,
}

/// A verified credential: who issued it, and exactly what was disclosed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedCredential {
    /// The DCQL credential query it answers.
    pub query_id: String,
    /// Its format.
    pub format: Format,
    /// The issuer DID (on the policy's trusted list).
    pub issuer: String,
    /// The disclosed claims (SD-JWT VC: the processed payload without registered claims;
    /// Data Integrity: the credential subject).
    pub claims: Map<String, Value>,
    /// Top-level claims that were disclosed although nobody asked for them.
    pub unrequested_claims: Vec<String>,
}

/// A verified response. Only the pipeline constructs one: its fields are private, so code
/// outside this crate cannot make one up.
///
/// ```compile_fail
/// let forged = verifier::Verified { credentials: Vec::new() };
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verified {
    credentials: Vec<VerifiedCredential>,
}

impl Verified {
    /// The verified credentials, one per presentation.
    pub fn credentials(&self) -> &[VerifiedCredential] {
        &self.credentials
    }
}

/// A rejected response: every failed check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The failed checks, in the order they ran (never empty).
    pub failed_checks: Vec<FailedCheck>,
}

impl Rejected {
    /// True if some check failed with `code`.
    pub fn has(&self, code: FailureCode) -> bool {
        self.failed_checks.iter().any(|c| c.code == code)
    }

    /// The failure codes, in order.
    pub fn codes(&self) -> Vec<FailureCode> {
        self.failed_checks.iter().map(|c| c.code).collect()
    }
}

/// The result of verifying a response.
pub type Outcome = Result<Verified, Rejected>;

/// Why verification could not be carried out at all (treat as "not verified").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The nonce store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The policy is not usable.
    #[error("invalid policy: {0}")]
    Policy(#[from] crate::policy::PolicyError),
}

/// The verifier: an injected clock, DID resolver, status cache and nonce store.
#[derive(Clone)]
pub struct Verifier {
    clock: Arc<dyn Clock>,
    resolver: Arc<dyn DidResolver>,
    status: Arc<StatusCache>,
    nonces: NonceStore,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Collected failures of one verification.
#[derive(Default)]
struct Failures(Vec<FailedCheck>);

impl Failures {
    fn add(
        &mut self,
        credential: Option<&str>,
        check: Check,
        code: FailureCode,
        detail: impl Into<String>,
    ) {
        self.0.push(FailedCheck {
            credential: credential.map(str::to_owned),
            check,
            code,
            detail: detail.into(),
        });
    }

    fn report(&mut self, credential: Option<&str>, report: &VerificationReport) {
        for c in report.failures() {
            if let Some(code) = c.failure {
                self.add(
                    credential,
                    c.check,
                    code,
                    c.detail.clone().unwrap_or_default(),
                );
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a single presentation needs to be checked against.
struct Context<'a> {
    query_id: &'a str,
    nonce: &'a str,
    audience: &'a str,
    policy: &'a Policy,
    dcql: &'a credentials::oid4vp::CredentialQuery,
    now: DateTime<Utc>,
}

impl Verifier {
    /// A verifier with the given parts.
    pub fn new(
        clock: Arc<dyn Clock>,
        resolver: Arc<dyn DidResolver>,
        status: Arc<StatusCache>,
        nonces: NonceStore,
    ) -> Self {
        Self {
            clock,
            resolver,
            status,
            nonces,
        }
    }

    /// The nonce store (to issue nonces for new requests).
    pub fn nonces(&self) -> &NonceStore {
        &self.nonces
    }

    /// The injected clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Verifies the `vp_token` of an OpenID4VP response to `request`. The request's nonce is
    /// consumed whatever the outcome, so the same response can never be accepted twice.
    pub async fn verify_response(
        &self,
        request: &PresentationRequest,
        vp_token: &BTreeMap<String, Vec<Presentation>>,
    ) -> Result<Outcome, VerifyError> {
        request.policy.validate()?;
        let now = self.clock.now();
        let mut failures = Failures::default();
        if let Err(e) = self.nonces.consume(&request.nonce, now)? {
            let detail = match e {
                NonceError::Replayed => "nonce already used: replayed presentation",
                NonceError::Expired => "nonce expired",
                NonceError::Unknown => "nonce not issued by this verifier",
            };
            failures.add(None, Check::Nonce, FailureCode::NonceMismatch, detail);
            return Ok(Err(Rejected {
                failed_checks: failures.0,
            }));
        }

        // The response must answer the query: known ids, counts, credential sets.
        let answered: BTreeSet<String> = vp_token.keys().cloned().collect();
        for (id, presentations) in vp_token {
            match request.dcql_query.credential(id) {
                None => failures.add(
                    Some(id),
                    Check::Structure,
                    FailureCode::Malformed,
                    "vp_token key is not a credential query id",
                ),
                Some(q) if !q.multiple && presentations.len() != 1 => failures.add(
                    Some(id),
                    Check::Structure,
                    FailureCode::Malformed,
                    "exactly one presentation expected for this credential query",
                ),
                Some(_) => {}
            }
        }
        if !request.dcql_query.is_satisfied_by(&answered) {
            failures.add(
                None,
                Check::RequiredClaims,
                FailureCode::RequiredClaimMissing,
                "the response does not answer every required credential query",
            );
        }
        if !failures.is_empty() {
            return Ok(Err(Rejected {
                failed_checks: failures.0,
            }));
        }

        let mut verified = Vec::new();
        for (id, presentations) in vp_token {
            let Some(dcql) = request.dcql_query.credential(id) else {
                continue;
            };
            let ctx = Context {
                query_id: id,
                nonce: &request.nonce,
                audience: &request.audience,
                policy: &request.policy,
                dcql,
                now,
            };
            for presentation in presentations {
                let result = self.verify_one(&ctx, presentation).await;
                match result {
                    Ok(mut creds) => verified.append(&mut creds),
                    Err(mut f) => {
                        // Fail closed even if a verification reported nothing at all.
                        if f.is_empty() {
                            f.add(
                                Some(id),
                                Check::Structure,
                                FailureCode::Malformed,
                                "not verified",
                            );
                        }
                        failures.0.append(&mut f.0)
                    }
                }
            }
        }
        if failures.is_empty() && !verified.is_empty() {
            Ok(Ok(Verified {
                credentials: verified,
            }))
        } else {
            if failures.is_empty() {
                failures.add(
                    None,
                    Check::Structure,
                    FailureCode::Malformed,
                    "nothing was presented",
                );
            }
            Ok(Err(Rejected {
                failed_checks: failures.0,
            }))
        }
    }

    async fn verify_one(
        &self,
        ctx: &Context<'_>,
        presentation: &Presentation,
    ) -> Result<Vec<VerifiedCredential>, Failures> {
        let mut f = Failures::default();
        let format = match presentation {
            Presentation::Compact(_) => Format::SdJwtVc,
            Presentation::Json(_) => Format::LdpVc,
        };
        if !ctx.policy.formats.contains(&format) || ctx.dcql.format != format.as_str() {
            f.add(
                Some(ctx.query_id),
                Check::Structure,
                FailureCode::FormatNotAccepted,
                format!("{} not accepted for this credential query", format.as_str()),
            );
            return Err(f);
        }
        match presentation {
            Presentation::Compact(s) => self.verify_sd_jwt(ctx, s).await.map(|c| vec![c]),
            Presentation::Json(vp) => self.verify_di(ctx, &Value::Object(vp.clone())).await,
        }
    }

    /// SD-JWT VC + KB-JWT.
    async fn verify_sd_jwt(
        &self,
        ctx: &Context<'_>,
        presentation: &str,
    ) -> Result<VerifiedCredential, Failures> {
        let id = Some(ctx.query_id);
        let mut f = Failures::default();
        let algorithms = ctx.policy.jws_algorithms().unwrap_or_default();
        // Resolve the issuer's DID before the synchronous verification (decision 0003).
        // The issuer's DID is `iss`, or the DID of an absolute `kid`.
        let mut dids = Vec::new();
        if let Ok(sd) = SdJwt::parse(presentation) {
            if let Some(iss) = sd.unverified_payload().get("iss").and_then(Value::as_str) {
                dids.push(iss.to_owned());
            }
            if let Some(kid) = sd.header().get("kid").and_then(Value::as_str)
                && kid.starts_with("did:")
            {
                dids.push(kid.to_owned());
            }
        }
        let docs =
            ResolvedDocuments::resolve_all(self.resolver.as_ref(), dids.iter().map(String::as_str))
                .await;
        let holder_binding =
            ctx.policy.holder_binding_required || ctx.dcql.require_cryptographic_holder_binding;
        let key_binding = if holder_binding {
            KeyBindingPolicy::Required {
                audience: ctx.audience.to_owned(),
                nonce: ctx.nonce.to_owned(),
            }
        } else {
            KeyBindingPolicy::NotRequired
        };
        let mut options = sd_jwt::VerifyOptions::sd_jwt_vc(ctx.now, key_binding);
        options.algorithms = algorithms;
        options.key_binding_max_age =
            TimeDelta::seconds(i64::try_from(ctx.policy.key_binding_max_age_secs).unwrap_or(300));
        let verification = match sd_jwt::verify(presentation, IssuerKey::Resolver(&docs), &options)
        {
            Ok(v) => v,
            Err(e) => {
                f.add(
                    id,
                    Check::VerificationMethod,
                    FailureCode::VerificationMethodInvalid,
                    format!("could not verify: {e}"),
                );
                return Err(f);
            }
        };
        f.report(id, verification.report());
        if !verification.is_verified() {
            return Err(f);
        }
        let key_bound = verification.is_key_bound();
        let status_ref = verification.status_list().cloned();
        // The verified issuer: the DID whose key signed (equal to `iss` when present).
        let signer_did = verification
            .verification_method()
            .map(|vm| did_of(vm).to_owned());
        let Some(claims) = verification.into_claims() else {
            return Err(f);
        };
        let issuer = claims
            .get("iss")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(signer_did)
            .unwrap_or_default();
        self.check_trust(ctx, &issuer, &mut f);
        if holder_binding && !key_bound {
            f.add(
                id,
                Check::HolderBinding,
                FailureCode::KeyBindingMissing,
                "holder binding required",
            );
        }
        if let Some(max) = ctx.policy.max_credential_age() {
            match claims.get("iat").and_then(Value::as_i64) {
                None => f.add(
                    id,
                    Check::ValidityPeriod,
                    FailureCode::InvalidTimeClaim,
                    "iat required to check the credential's age",
                ),
                Some(iat) if ctx.now.timestamp() - iat > max.num_seconds() => f.add(
                    id,
                    Check::ValidityPeriod,
                    FailureCode::CredentialTooOld,
                    "credential older than the policy allows",
                ),
                Some(_) => {}
            }
        }
        if let Some(reference) = status_ref {
            let mut report = VerificationReport::new();
            let outcome = match self.status.get(&reference.uri, ctx.now).await {
                Err(e) => Err(status_list::StatusListError::InvalidProperty(
                    static_fetch_error(&e),
                )),
                Ok(body) => match std::str::from_utf8(&body) {
                    Err(_) => Err(status_list::StatusListError::InvalidProperty(
                        "status list token",
                    )),
                    Ok(jwt) => {
                        let token_ref = token::StatusListReference {
                            idx: reference.idx,
                            uri: reference.uri.clone(),
                        };
                        // The list may have been (re-)signed after this verification began:
                        // its times are compared with the clock read now, after the fetch,
                        // with the default bounded leeway (60 s).
                        token::check_status_with(
                            jwt.trim(),
                            &token_ref,
                            token::IssuerKey::Resolver {
                                resolver: &docs,
                                issuer: &issuer,
                            },
                            self.clock.now().timestamp(),
                            &token::TokenValidation {
                                algorithms: ctx.policy.jws_algorithms().unwrap_or_default(),
                                ..token::TokenValidation::default()
                            },
                        )
                    }
                },
            };
            status_list::record_status(&mut report, &outcome);
            f.report(id, &report);
        }
        let claims_value = Value::Object(claims);
        let vct = claims_value.get("vct").and_then(Value::as_str);
        let candidate = CandidateCredential {
            format: Format::SdJwtVc.as_str(),
            vct,
            types: &[],
            claims: &claims_value,
            holder_bound: key_bound,
        };
        let requested = self.check_claims(ctx, &candidate, &claims_value, &mut f);
        if !f.is_empty() {
            return Err(f);
        }
        let mut disclosed = match claims_value {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        disclosed.retain(|k, _| !REGISTERED_CLAIMS.contains(&k.as_str()));
        Ok(finish(ctx, Format::SdJwtVc, issuer, disclosed, &requested))
    }

    /// A VC 2.0 presentation secured with Data Integrity.
    async fn verify_di(
        &self,
        ctx: &Context<'_>,
        vp: &Value,
    ) -> Result<Vec<VerifiedCredential>, Failures> {
        let id = Some(ctx.query_id);
        let mut f = Failures::default();
        let mut vms = proof_methods(vp);
        for vc in embedded(vp) {
            vms.extend(proof_methods(vc));
        }
        let docs =
            ResolvedDocuments::resolve_all(self.resolver.as_ref(), vms.iter().map(String::as_str))
                .await;
        let mut options = data_integrity::VerifyOptions::new(ctx.now);
        options.allowed_suites = ctx.policy.suites().unwrap_or_default();
        let verification = match verify_presentation(vp, &docs, ctx.nonce, ctx.audience, &options) {
            Ok(v) => v,
            Err(e) => {
                f.add(
                    id,
                    Check::Signature,
                    FailureCode::VerificationMethodInvalid,
                    format!("could not verify: {e}"),
                );
                return Err(f);
            }
        };
        f.report(id, &verification.presentation);
        for report in &verification.credentials {
            f.report(id, report);
        }
        if !verification.is_verified() {
            return Err(f);
        }
        let credentials = embedded(vp);
        if credentials.is_empty() {
            f.add(
                id,
                Check::Structure,
                FailureCode::Malformed,
                "the presentation holds no credential",
            );
            return Err(f);
        }
        if !ctx.dcql.multiple && credentials.len() != 1 {
            f.add(
                id,
                Check::Structure,
                FailureCode::Malformed,
                "exactly one credential expected for this credential query",
            );
            return Err(f);
        }
        // The presenter: the DID whose key signed the presentation proof.
        let presenter: BTreeSet<String> = proof_methods(vp)
            .iter()
            .map(|vm| did_of(vm).to_owned())
            .collect();
        let holder_binding =
            ctx.policy.holder_binding_required || ctx.dcql.require_cryptographic_holder_binding;
        let mut out = Vec::new();
        for vc in credentials {
            let issuer = match vc.get("issuer") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Object(o)) => o
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                _ => String::new(),
            };
            self.check_trust(ctx, &issuer, &mut f);
            let subjects: Vec<&Map<String, Value>> = match vc.get("credentialSubject") {
                Some(Value::Object(o)) => vec![o],
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
                _ => Vec::new(),
            };
            // Holder binding: the presentation is signed by the credential subject.
            let bound = subjects.iter().any(|s| {
                s.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|sid| presenter.contains(sid))
            });
            if holder_binding && !bound {
                f.add(
                    id,
                    Check::HolderBinding,
                    FailureCode::HolderMismatch,
                    "the presentation is not signed by the credential's subject",
                );
            }
            if let Some(max) = ctx.policy.max_credential_age() {
                let from = vc
                    .get("validFrom")
                    .and_then(Value::as_str)
                    .and_then(credentials::vc::parse_date_time_stamp);
                match from {
                    None => f.add(
                        id,
                        Check::ValidityPeriod,
                        FailureCode::InvalidTimeClaim,
                        "validFrom required to check the credential's age",
                    ),
                    Some(from) if ctx.now - from > max => f.add(
                        id,
                        Check::ValidityPeriod,
                        FailureCode::CredentialTooOld,
                        "credential older than the policy allows",
                    ),
                    Some(_) => {}
                }
            }
            self.check_bitstring_status(ctx, vc, &issuer, &options, &mut f)
                .await;
            let types: Vec<String> = match vc.get("type") {
                Some(Value::String(t)) => vec![t.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            let candidate = CandidateCredential {
                format: Format::LdpVc.as_str(),
                vct: None,
                types: &types,
                claims: vc,
                holder_bound: bound,
            };
            let subject = subjects
                .first()
                .map(|s| Value::Object((*s).clone()))
                .unwrap_or(Value::Null);
            let requested = self.check_claims(ctx, &candidate, &subject, &mut f);
            let mut disclosed = subjects.first().map(|s| (*s).clone()).unwrap_or_default();
            disclosed.remove("id");
            out.push(finish(ctx, Format::LdpVc, issuer, disclosed, &requested));
        }
        if f.is_empty() { Ok(out) } else { Err(f) }
    }

    async fn check_bitstring_status(
        &self,
        ctx: &Context<'_>,
        vc: &Value,
        issuer: &str,
        options: &data_integrity::VerifyOptions,
        f: &mut Failures,
    ) {
        let entries: Vec<&Value> = match vc.get("credentialStatus") {
            None => return,
            Some(Value::Array(a)) => a.iter().collect(),
            Some(one) => vec![one],
        };
        for entry in entries {
            let outcome = self.bitstring_status(ctx, entry, issuer, options).await;
            let mut report = VerificationReport::new();
            status_list::record_status(&mut report, &outcome);
            f.report(Some(ctx.query_id), &report);
        }
    }

    async fn bitstring_status(
        &self,
        ctx: &Context<'_>,
        entry: &Value,
        issuer: &str,
        options: &data_integrity::VerifyOptions,
    ) -> Result<bitstring::BitstringStatus, status_list::StatusListError> {
        use status_list::StatusListError as E;
        let entry = bitstring::BitstringStatusListEntry::from_json(entry)?;
        let body = self
            .status
            .get(&entry.status_list_credential, ctx.now)
            .await
            .map_err(|e| E::InvalidProperty(static_fetch_error(&e)))?;
        let list_vc: Value =
            serde_json::from_slice(&body).map_err(|_| E::NotAStatusListCredential)?;
        // The list may have been (re-)signed after this verification began: its proof and
        // validity period are compared with the clock read now, after the fetch, with the
        // default bounded clock skew (60 s).
        let now = self.clock.now();
        let mut options = options.clone();
        options.now = now;
        // The list must be signed by the credential's issuer (security.md: an unsigned or
        // wrongly signed list means the status is unavailable).
        let list_issuer = match list_vc.get("issuer") {
            Some(Value::String(s)) => s.as_str(),
            Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).unwrap_or_default(),
            _ => "",
        };
        if list_issuer != issuer {
            return Err(E::InvalidProperty("status list issuer"));
        }
        let docs = ResolvedDocuments::resolve_all(
            self.resolver.as_ref(),
            proof_methods(&list_vc).iter().map(String::as_str),
        )
        .await;
        let report = verify_credential(&list_vc, &docs, &options)
            .map_err(|_| E::InvalidProperty("status list proof"))?;
        if !report.is_verified()
            || proof_methods(&list_vc)
                .iter()
                .any(|vm| did_of(vm) != issuer)
        {
            return Err(E::InvalidProperty("status list proof"));
        }
        bitstring::BitstringStatusListCredential::from_json(&list_vc)?.check_with(
            &entry,
            now,
            &bitstring::BitstringValidation::default(),
        )
    }

    fn check_trust(&self, ctx: &Context<'_>, issuer: &str, f: &mut Failures) {
        if !ctx.policy.trusts(issuer) {
            f.add(
                Some(ctx.query_id),
                Check::TrustedIssuer,
                FailureCode::UntrustedIssuer,
                "the issuer is not on the trusted list",
            );
        }
    }

    /// Policy's required claims (on `subject_claims`) and the DCQL constraints (on the
    /// candidate). Returns the requested top-level claim names.
    fn check_claims(
        &self,
        ctx: &Context<'_>,
        candidate: &CandidateCredential<'_>,
        subject_claims: &Value,
        f: &mut Failures,
    ) -> BTreeSet<String> {
        let id = Some(ctx.query_id);
        let mut requested = BTreeSet::new();
        for required in &ctx.policy.required_claims {
            if let Some(PathElement::Key(k)) = required.path.0.first() {
                requested.insert(k.clone());
            }
            let selected = required.path.select(subject_claims);
            let ok = match &required.equals {
                None => !selected.is_empty(),
                Some(v) => !selected.is_empty() && selected.iter().all(|s| *s == v),
            };
            if !ok {
                f.add(
                    id,
                    Check::RequiredClaims,
                    FailureCode::RequiredClaimMissing,
                    format!(
                        "required claim {} missing or not the required value",
                        required.path.display()
                    ),
                );
            }
        }
        match ctx.dcql.matches(candidate) {
            Ok(m) => {
                for path in m.paths {
                    // For ldp_vc, paths start at the credential: skip `credentialSubject`.
                    let mut keys = path.0.iter().filter_map(|e| match e {
                        PathElement::Key(k) => Some(k.clone()),
                        _ => None,
                    });
                    let first = keys.next();
                    let name = if first.as_deref() == Some("credentialSubject") {
                        keys.next()
                    } else {
                        first
                    };
                    requested.extend(name);
                }
            }
            Err(MismatchReason::CredentialType) => f.add(
                id,
                Check::Type,
                FailureCode::TypeInvalid,
                "credential type not requested",
            ),
            Err(MismatchReason::Format) => f.add(
                id,
                Check::Structure,
                FailureCode::FormatNotAccepted,
                "format not requested",
            ),
            Err(MismatchReason::HolderBinding) => f.add(
                id,
                Check::HolderBinding,
                FailureCode::KeyBindingMissing,
                "holder binding requested",
            ),
            Err(MismatchReason::Claim(path)) => f.add(
                id,
                Check::RequiredClaims,
                FailureCode::RequiredClaimMissing,
                format!("requested claim {path} missing or not an accepted value"),
            ),
            Err(_) => f.add(
                id,
                Check::RequiredClaims,
                FailureCode::RequiredClaimMissing,
                "query not matched",
            ),
        }
        requested
    }
}

fn finish(
    ctx: &Context<'_>,
    format: Format,
    issuer: String,
    claims: Map<String, Value>,
    requested: &BTreeSet<String>,
) -> VerifiedCredential {
    let unrequested_claims = claims
        .keys()
        .filter(|k| !requested.contains(*k))
        .cloned()
        .collect();
    VerifiedCredential {
        query_id: ctx.query_id.to_owned(),
        format,
        issuer,
        claims,
        unrequested_claims,
    }
}

fn static_fetch_error(e: &crate::status::StatusFetchError) -> &'static str {
    match e {
        crate::status::StatusFetchError::InvalidUrl => "status list URL",
        crate::status::StatusFetchError::Http(_) => "status list unreachable",
        crate::status::StatusFetchError::Status(_) => "status list server error",
    }
}

/// The credentials embedded in a presentation.
fn embedded(vp: &Value) -> Vec<&Value> {
    match vp.get("verifiableCredential") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    }
}

/// The verification methods named by a document's proofs.
fn proof_methods(doc: &Value) -> Vec<String> {
    let proofs: Vec<&Value> = match doc.get("proof") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    proofs
        .iter()
        .filter_map(|p| p.get("verificationMethod").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

fn did_of(vm: &str) -> &str {
    vm.split('#').next().unwrap_or(vm)
}

/// Verifies one credential on its own (no presentation, no nonce): VC-API
/// `/credentials/verify`. Data Integrity credentials and SD-JWT VCs (without key binding).
pub async fn verify_credential_alone(
    verifier: &Verifier,
    credential: &Value,
    policy: &Policy,
) -> Result<Outcome, VerifyError> {
    policy.validate()?;
    let now = verifier.clock.now();
    let mut policy = policy.clone();
    policy.holder_binding_required = false;
    let (format, query) = match credential {
        Value::String(_) => (Format::SdJwtVc, "credential"),
        _ => (Format::LdpVc, "credential"),
    };
    let dcql = credentials::oid4vp::CredentialQuery {
        id: query.into(),
        format: format.as_str().into(),
        multiple: false,
        meta: Map::new(),
        trusted_authorities: None,
        require_cryptographic_holder_binding: false,
        claims: None,
        claim_sets: None,
    };
    let ctx = Context {
        query_id: query,
        nonce: "",
        audience: "",
        policy: &policy,
        dcql: &dcql,
        now,
    };
    let result = match credential {
        Value::String(s) => verifier.verify_sd_jwt(&ctx, s).await.map(|c| vec![c]),
        Value::Object(_) => verifier
            .verify_di_credential(&ctx, credential)
            .await
            .map(|c| vec![c]),
        _ => {
            let mut f = Failures::default();
            f.add(
                None,
                Check::Structure,
                FailureCode::Malformed,
                "credential must be a JSON object or an SD-JWT",
            );
            Err(f)
        }
    };
    Ok(match result {
        Ok(credentials) => Ok(Verified { credentials }),
        Err(f) => Err(Rejected { failed_checks: f.0 }),
    })
}

impl Verifier {
    async fn verify_di_credential(
        &self,
        ctx: &Context<'_>,
        vc: &Value,
    ) -> Result<VerifiedCredential, Failures> {
        let id = Some(ctx.query_id);
        let mut f = Failures::default();
        let docs = ResolvedDocuments::resolve_all(
            self.resolver.as_ref(),
            proof_methods(vc).iter().map(String::as_str),
        )
        .await;
        let mut options = data_integrity::VerifyOptions::new(ctx.now);
        options.allowed_suites = ctx.policy.suites().unwrap_or_default();
        match verify_credential(vc, &docs, &options) {
            Ok(report) => f.report(id, &report),
            Err(e) => f.add(
                id,
                Check::Signature,
                FailureCode::VerificationMethodInvalid,
                format!("could not verify: {e}"),
            ),
        }
        if !f.is_empty() {
            return Err(f);
        }
        let issuer = match vc.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => o
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        };
        self.check_trust(ctx, &issuer, &mut f);
        self.check_bitstring_status(ctx, vc, &issuer, &options, &mut f)
            .await;
        if !f.is_empty() {
            return Err(f);
        }
        let mut claims = match vc.get("credentialSubject") {
            Some(Value::Object(o)) => o.clone(),
            _ => Map::new(),
        };
        claims.remove("id");
        Ok(finish(ctx, Format::LdpVc, issuer, claims, &BTreeSet::new()))
    }
}

/// Verifies one presentation on its own (VC-API `/presentations/verify`): a Data Integrity
/// presentation, or an SD-JWT VC with KB-JWT. `challenge` must be a nonce this verifier issued
/// (`POST /challenges`) and is consumed; `domain` is the expected audience.
pub async fn verify_presentation_alone(
    verifier: &Verifier,
    presentation: Presentation,
    challenge: &str,
    domain: &str,
    policy: &Policy,
) -> Result<Outcome, VerifyError> {
    let format = match presentation {
        Presentation::Compact(_) => Format::SdJwtVc,
        Presentation::Json(_) => Format::LdpVc,
    };
    let query = DcqlQuery {
        credentials: vec![credentials::oid4vp::CredentialQuery {
            id: "presentation".into(),
            format: format.as_str().into(),
            multiple: true,
            meta: Map::new(),
            trusted_authorities: None,
            require_cryptographic_holder_binding: policy.holder_binding_required,
            claims: None,
            claim_sets: None,
        }],
        credential_sets: None,
    };
    let request = PresentationRequest {
        dcql_query: query,
        nonce: challenge.to_owned(),
        audience: domain.to_owned(),
        policy: policy.clone(),
    };
    let mut vp_token = BTreeMap::new();
    vp_token.insert("presentation".to_owned(), vec![presentation]);
    verifier.verify_response(&request, &vp_token).await
}
