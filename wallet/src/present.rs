//! Presenting credentials (OpenID4VP 1.0 with DCQL, `direct_post`).
//!
//! Three steps, so that nothing leaves the wallet before the holder says yes:
//! 1. [`fetch_request`]: from an `openid4vp://` link, fetch the signed request object from
//!    `request_uri`, verify its signature with a key of the verifier's DID (the
//!    `decentralized_identifier` client identifier prefix, section 5.9.3), check that the
//!    link's `client_id` is the request's, that it has not expired, and that `response_uri`
//!    is an allowed URL. The verifier identity is what the signature proves, not what the
//!    link claims.
//! 2. [`plan`]: find, for every credential query the request needs, a credential that
//!    satisfies it, and choose the minimal disclosure: only the claims asked for (the first
//!    satisfiable `claim_sets` option, the first satisfiable option of each required
//!    `credential_sets` entry, optional sets left out). The [`ConsentSummary`] says who asks,
//!    what each credential would share, what it would not, what is revealed anyway, and
//!    warns when the request asks for more than needed.
//! 3. Only after approval, [`submit`]: SD-JWT presentations with a KB-JWT bound to the
//!    request's `nonce` and to its `client_id` as `aud`, or a Data Integrity presentation
//!    with `challenge` = nonce and `domain` = client_id; posted to `response_uri` with
//!    `direct_post`. [`decline`] sends nothing. Both record the outcome in the history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use credentials::data_integrity::{self, Cryptosuite, ProofOptions};
use credentials::oid4vp::messages::{
    OPENID4VP_SCHEME, REQUEST_OBJECT_TYP, STATIC_DISCOVERY_AUDIENCE,
};
use credentials::oid4vp::{
    AuthorizationRequest, AuthorizationResponse, CandidateCredential, ClaimsMatch, CredentialQuery,
    MessageError, Presentation, RequestLink,
};
use credentials::sd_jwt::{self, SdJwt, SdJwtError};
use credentials::vc::{CREDENTIALS_V2_CONTEXT, VERIFIABLE_PRESENTATION};
use credentials::{KeyResolver as _, PublicKey, Relationship};
use did_methods::{DidResolver, ResolvedDocuments};
use serde::Serialize;
use serde_json::{Value, json};
use url::Url;

use crate::contents::{
    CredentialFormat, CredentialId, CredentialRecord, PresentationOutcome, PresentationRecord,
    SharedCredential,
};
use crate::display::{printable, printable_list};
use crate::error::WalletError;
use crate::net::{NetError, NetworkPolicy, WalletHttp, check_url};
use crate::wallet::Wallet;

/// How the verifier's identity was established (the client identifier prefix).
pub const PROVEN_BY_DID: &str = "decentralized_identifier";

/// Why a presentation request could not be handled. Nothing is sent in any of these cases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresentError {
    /// Not an `openid4vp://` link with `client_id` and `request_uri`.
    #[error("not an openid4vp:// request link")]
    NotARequestLink,
    /// A URL in the request is not allowed.
    #[error("{what} refused: {source}")]
    UrlRefused {
        /// Which URL (`request_uri`, `response_uri`).
        what: &'static str,
        /// Why.
        #[source]
        source: NetError,
    },
    /// A network operation failed.
    #[error("{what} failed: {source}")]
    Network {
        /// What was being done.
        what: &'static str,
        /// Why.
        #[source]
        source: NetError,
    },
    /// The server answered with an error status.
    #[error("{what} answered HTTP {status}")]
    HttpStatus {
        /// What was being done.
        what: &'static str,
        /// The status.
        status: u16,
    },
    /// The request object is malformed, wrongly typed, or its signature does not verify.
    #[error("invalid request object: {0}")]
    RequestObject(MessageError),
    /// The verifier uses a client identifier prefix this wallet does not accept.
    #[error("unsupported client identifier (only decentralized_identifier: DIDs are accepted)")]
    UnsupportedClientId,
    /// The link's `client_id` differs from the signed request's.
    #[error("the link's client_id differs from the signed request's")]
    ClientIdMismatch,
    /// The verifier's key could not be found in its DID document.
    #[error("cannot find the verifier's key {0}")]
    VerifierKey(String),
    /// The request object has expired or names another audience.
    #[error("the request has expired")]
    Expired,
    /// The request object's `aud` is not the static-discovery audience.
    #[error("the request is addressed to another wallet")]
    WrongAudience,
    /// The wallet holds no credentials that satisfy the request.
    #[error("no credentials satisfy the request (credential queries: {})", .0.join(", "))]
    Unsatisfiable(Vec<String>),
    /// A stored credential could not be used.
    #[error("credential {credential} cannot be presented: {reason}")]
    Credential {
        /// The credential.
        credential: CredentialId,
        /// Why.
        reason: String,
    },
    /// The vault failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
}

/// The verifier as proven by the signed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifierIdentity {
    /// The client identifier (`decentralized_identifier:did:...`): the KB-JWT `aud`.
    pub client_id: String,
    /// The verifier's DID.
    pub did: String,
    /// How it was proven (`decentralized_identifier`: the request object is signed by a key
    /// of that DID).
    pub proven_by: String,
    /// The key that signed the request.
    pub key_id: String,
}

/// A verified presentation request.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    request: AuthorizationRequest,
    verifier: VerifierIdentity,
    response_uri: Url,
    fetched_at: DateTime<Utc>,
    /// The policy the request's URLs were checked under (also for the `redirect_uri`).
    policy: NetworkPolicy,
}

impl VerifiedRequest {
    /// The verifier.
    pub fn verifier(&self) -> &VerifierIdentity {
        &self.verifier
    }

    /// The request as signed.
    pub fn request(&self) -> &AuthorizationRequest {
        &self.request
    }

    /// Where the response would go.
    pub fn response_uri(&self) -> &Url {
        &self.response_uri
    }
}

fn net(what: &'static str) -> impl FnOnce(NetError) -> PresentError {
    move |source| PresentError::Network { what, source }
}

/// Step 1: fetch and verify the request behind an `openid4vp://` link.
pub async fn fetch_request(
    link: &str,
    http: &dyn WalletHttp,
    resolver: &dyn DidResolver,
    policy: NetworkPolicy,
    now: DateTime<Utc>,
) -> Result<VerifiedRequest, PresentError> {
    if !link.starts_with(&format!("{OPENID4VP_SCHEME}://")) {
        return Err(PresentError::NotARequestLink);
    }
    let link = RequestLink::parse(link).map_err(|_| PresentError::NotARequestLink)?;
    let request_uri =
        check_url(&link.request_uri, policy).map_err(|source| PresentError::UrlRefused {
            what: "request_uri",
            source,
        })?;
    let response = http
        .get(&request_uri, &format!("application/{REQUEST_OBJECT_TYP}"))
        .await
        .map_err(net("fetching the request"))?;
    if !response.is_success() {
        return Err(PresentError::HttpStatus {
            what: "request_uri",
            status: response.status,
        });
    }
    let jws = String::from_utf8(response.body)
        .map_err(|_| PresentError::RequestObject(MessageError::Encoding))?;
    let signed =
        AuthorizationRequest::parse_signed(jws.trim()).map_err(PresentError::RequestObject)?;

    // The key must come from the verifier's own DID document. Which DID is checked twice:
    // here (the kid's DID is the one resolved) and in `verify` (the kid's DID is the
    // client_id's).
    let kid = signed.kid().to_owned();
    let did = kid.split('#').next().unwrap_or_default().to_owned();
    if !did.starts_with("did:") {
        return Err(PresentError::VerifierKey(kid));
    }
    let key = verifier_key(resolver, &did, &kid).await?;
    let request = signed.verify(&key).map_err(|e| match e {
        MessageError::Unsupported("client_id") => PresentError::UnsupportedClientId,
        other => PresentError::RequestObject(other),
    })?;
    // OpenID4VP section 5.10: the client_id outside the request object must equal the one
    // inside; otherwise the link claims an identity the signature does not prove.
    if link.client_id != request.client_id {
        return Err(PresentError::ClientIdMismatch);
    }
    if request.exp.is_some_and(|exp| exp <= now.timestamp()) {
        return Err(PresentError::Expired);
    }
    if request
        .aud
        .as_deref()
        .is_some_and(|aud| aud != STATIC_DISCOVERY_AUDIENCE)
    {
        return Err(PresentError::WrongAudience);
    }
    let response_uri =
        check_url(&request.response_uri, policy).map_err(|source| PresentError::UrlRefused {
            what: "response_uri",
            source,
        })?;
    let client_did = request.client_did().unwrap_or_default().to_owned();
    Ok(VerifiedRequest {
        verifier: VerifierIdentity {
            client_id: request.client_id.clone(),
            did: client_did,
            proven_by: PROVEN_BY_DID.to_owned(),
            key_id: kid,
        },
        request,
        response_uri,
        fetched_at: now,
        policy,
    })
}

/// The verifier's request-signing key: a verification method of its DID listed under
/// `authentication` or `assertionMethod` (OpenID4VP names no relationship; a key the DID
/// controller authorized for neither is refused).
async fn verifier_key(
    resolver: &dyn DidResolver,
    did: &str,
    kid: &str,
) -> Result<PublicKey, PresentError> {
    let document = resolver
        .resolve(did)
        .await
        .map_err(|_| PresentError::VerifierKey(kid.to_owned()))?;
    let mut documents = ResolvedDocuments::new();
    documents.insert(document);
    documents
        .resolve_key(kid, Relationship::Authentication)
        .or_else(|_| documents.resolve_key(kid, Relationship::AssertionMethod))
        .map_err(|_| PresentError::VerifierKey(kid.to_owned()))
}

/// What one credential would share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedCredential {
    /// The DCQL credential query it answers.
    pub query_id: String,
    /// The credential.
    pub credential_id: CredentialId,
    /// Its format.
    pub format: CredentialFormat,
    /// Its types.
    pub types: Vec<String>,
    /// Its issuer.
    pub issuer: String,
    /// The claims the request asks for and that would be shared.
    pub shared: Vec<String>,
    /// Selectively disclosable claims that would not be shared.
    pub not_shared: Vec<String>,
    /// Claims revealed whatever is chosen (not selectively disclosable in this credential).
    pub revealed_anyway: Vec<String>,
    #[serde(skip)]
    selection: Vec<sd_jwt::ClaimPath>,
}

/// What the holder is asked to approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentSummary {
    /// Who asks, as proven.
    pub verifier: VerifierIdentity,
    /// Where the answer goes.
    pub response_uri: String,
    /// What each credential would share.
    pub credentials: Vec<PlannedCredential>,
    /// Credential queries the request marks optional, left out.
    pub optional_not_shared: Vec<String>,
    /// Ways the request asks for more than it needs.
    pub warnings: Vec<String>,
}

impl std::fmt::Display for ConsentSummary {
    /// The summary for a terminal or a plain-text UI. Every string that came from the
    /// verifier or an issuer is passed through [`printable`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Presentation request from {}",
            printable(&self.verifier.did)
        )?;
        writeln!(
            f,
            "  identity proven by: a request signed with {} ({})",
            printable(&self.verifier.key_id),
            self.verifier.proven_by
        )?;
        writeln!(f, "  answer goes to: {}", printable(&self.response_uri))?;
        for c in &self.credentials {
            writeln!(
                f,
                "Credential {} ({}, issued by {}):",
                c.credential_id,
                printable_list(&c.types),
                printable(&c.issuer)
            )?;
            writeln!(f, "  will share:      {}", list_or_none(&c.shared))?;
            writeln!(f, "  will not share:  {}", list_or_none(&c.not_shared))?;
            if !c.revealed_anyway.is_empty() {
                writeln!(
                    f,
                    "  also visible:    {}",
                    printable_list(&c.revealed_anyway)
                )?;
            }
        }
        if !self.optional_not_shared.is_empty() {
            writeln!(
                f,
                "Optional, not shared: {}",
                printable_list(&self.optional_not_shared)
            )?;
        }
        for w in &self.warnings {
            writeln!(f, "WARNING: {}", printable(w))?;
        }
        Ok(())
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(nothing)".to_owned()
    } else {
        printable_list(items)
    }
}

/// A request with the credentials chosen to answer it, waiting for the holder's decision.
#[derive(Debug, Clone)]
pub struct PendingPresentation {
    request: VerifiedRequest,
    summary: ConsentSummary,
}

impl PendingPresentation {
    /// What the holder is asked to approve.
    pub fn summary(&self) -> &ConsentSummary {
        &self.summary
    }

    /// The verified request.
    pub fn request(&self) -> &VerifiedRequest {
        &self.request
    }
}

/// Claims of an SD-JWT VC payload that describe the credential rather than the holder
/// (shown as the credential's issuer and type). `sub` is not among them: a plain subject
/// identifier is revealed with every presentation and is listed as such.
const REGISTERED_CLAIMS: [&str; 10] = [
    "iss",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "_sd",
    "_sd_alg",
];

/// Members of a VC that the summary already shows (issuer, types) or that say nothing about
/// the holder (contexts, validity, the proof); everything else in an `ldp_vc` is listed.
const DESCRIBES_LDP_CREDENTIAL: [&str; 7] = [
    "@context",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "proof",
    "credentialSubject",
];

fn candidate<'a>(record: &'a CredentialRecord) -> CandidateCredential<'a> {
    match record.format {
        CredentialFormat::DcSdJwt => CandidateCredential {
            format: record.format.as_str(),
            vct: record.types.first().map(String::as_str),
            types: &record.types,
            claims: &record.claims,
            holder_bound: record.holder_key.is_some(),
        },
        CredentialFormat::LdpVc => CandidateCredential {
            format: record.format.as_str(),
            vct: None,
            types: &record.types,
            // For ldp_vc, DCQL paths start at the credential (`credentialSubject`, ...).
            claims: &record.credential,
            holder_bound: record.holder_key.is_some(),
        },
    }
}

/// True if the credential's validity period has ended at `now` (`exp` of an SD-JWT VC,
/// `validUntil` of a VC): presenting it would only be refused.
fn expired(record: &CredentialRecord, now: DateTime<Utc>) -> bool {
    match record.format {
        CredentialFormat::DcSdJwt => record
            .claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_some_and(|exp| exp <= now.timestamp()),
        CredentialFormat::LdpVc => record
            .credential
            .get("validUntil")
            .and_then(Value::as_str)
            .and_then(credentials::vc::parse_date_time_stamp)
            .is_some_and(|until| until <= now),
    }
}

/// The newest unexpired credential that matches `query`.
fn best_match<'a>(
    wallet: &'a Wallet,
    query: &CredentialQuery,
    now: DateTime<Utc>,
) -> Option<(&'a CredentialRecord, ClaimsMatch)> {
    wallet
        .credentials()
        .iter()
        .rev()
        .filter(|record| !expired(record, now))
        .find_map(|record| query.matches(&candidate(record)).ok().map(|m| (record, m)))
}

/// Step 2: choose credentials and claims, and build the consent summary. Sends nothing.
/// Credentials expired when the request was fetched are not considered.
pub fn plan(
    wallet: &Wallet,
    request: VerifiedRequest,
) -> Result<PendingPresentation, PresentError> {
    let query = &request.request.dcql_query;
    let available: BTreeMap<&str, (&CredentialRecord, ClaimsMatch)> = query
        .credentials
        .iter()
        .filter_map(|q| best_match(wallet, q, request.fetched_at).map(|m| (q.id.as_str(), m)))
        .collect();

    // Which credential queries to answer: all of them without credential_sets; otherwise
    // the first satisfiable option of every required set (DCQL section 6.4.2), and no
    // optional set (minimal disclosure).
    let mut chosen: Vec<&str> = Vec::new();
    let mut optional_not_shared = Vec::new();
    match &query.credential_sets {
        None => {
            let missing: Vec<String> = query
                .credentials
                .iter()
                .filter(|q| !available.contains_key(q.id.as_str()))
                .map(|q| q.id.clone())
                .collect();
            if !missing.is_empty() {
                return Err(PresentError::Unsatisfiable(missing));
            }
            chosen.extend(query.credentials.iter().map(|q| q.id.as_str()));
        }
        Some(sets) => {
            for set in sets {
                if !set.required {
                    optional_not_shared.extend(set.options.iter().flatten().cloned());
                    continue;
                }
                let option = set
                    .options
                    .iter()
                    .find(|option| option.iter().all(|id| available.contains_key(id.as_str())))
                    .ok_or_else(|| {
                        PresentError::Unsatisfiable(set.options.iter().flatten().cloned().collect())
                    })?;
                for id in option {
                    if !chosen.contains(&id.as_str()) {
                        chosen.push(id.as_str());
                    }
                }
            }
            optional_not_shared.retain(|id| !chosen.contains(&id.as_str()));
            optional_not_shared.sort();
            optional_not_shared.dedup();
        }
    }

    let mut credentials = Vec::new();
    let mut warnings = Vec::new();
    for id in chosen {
        let Some((record, matched)) = available.get(id) else {
            continue;
        };
        let planned = plan_credential(id, record, matched)?;
        warnings.extend(over_asking(&planned, record));
        credentials.push(planned);
    }

    let summary = ConsentSummary {
        verifier: request.verifier.clone(),
        response_uri: request.response_uri.to_string(),
        credentials,
        optional_not_shared,
        warnings,
    };
    Ok(PendingPresentation { request, summary })
}

fn credential_error(record: &CredentialRecord, reason: impl std::fmt::Display) -> PresentError {
    PresentError::Credential {
        credential: record.id.clone(),
        reason: reason.to_string(),
    }
}

fn plan_credential(
    query_id: &str,
    record: &CredentialRecord,
    matched: &ClaimsMatch,
) -> Result<PlannedCredential, PresentError> {
    let requested: Vec<sd_jwt::ClaimPath> = matched
        .paths
        .iter()
        .map(|p| {
            serde_json::to_value(p)
                .map_err(|e| credential_error(record, e))
                .and_then(|v| {
                    sd_jwt::ClaimPath::from_json(&v).map_err(|e| credential_error(record, e))
                })
        })
        .collect::<Result<_, _>>()?;
    let shared: Vec<String> = matched.paths.iter().map(|p| p.display()).collect();
    let (not_shared, revealed_anyway) = match record.format {
        CredentialFormat::DcSdJwt => {
            let sd = stored_sd_jwt(record)?;
            let disclosable = sd
                .disclosable_paths()
                .map_err(|e| credential_error(record, e))?;
            let not_shared = disclosable
                .iter()
                .filter(|p| !requested.iter().any(|s| s.covers(p) || s.passes_through(p)))
                .map(display_path)
                .collect();
            // Plain (always visible) claims about the holder.
            let mut revealed: Vec<String> = sd
                .unverified_payload()
                .keys()
                .filter(|k| !REGISTERED_CLAIMS.contains(&k.as_str()))
                .filter(|k| {
                    !requested
                        .iter()
                        .any(|s| s.covers(&sd_jwt::ClaimPath::keys([k.as_str()])))
                })
                .cloned()
                .collect();
            // A disclosure opened to reach a requested claim shows its plain members too
            // (RFC 9901 section 7.2: the whole disclosed value): list every claim the
            // verifier would see that was not asked for.
            let presented = sd
                .present(&requested)
                .and_then(|text| SdJwt::parse(&text))
                .map_err(|e| credential_error(record, e))?;
            let mut leaves = Vec::new();
            disclosed_leaves(
                &disclosed_view(&presented),
                &sd_jwt::ClaimPath::root(),
                &mut leaves,
            );
            for leaf in leaves {
                let Some(sd_jwt::PathElement::Key(top)) = leaf.elements().first() else {
                    continue;
                };
                let listed = revealed.contains(top) || REGISTERED_CLAIMS.contains(&top.as_str());
                if !listed && !requested.iter().any(|s| s.covers(&leaf)) {
                    revealed.push(display_path(&leaf));
                }
            }
            (not_shared, revealed)
        }
        CredentialFormat::LdpVc => {
            // A Data Integrity credential is shown whole: every claim not asked for is
            // revealed anyway.
            let mut leaves = Vec::new();
            if let Some(subject) = record.credential.get("credentialSubject") {
                leaf_paths(subject, "credentialSubject", &mut leaves);
            }
            // And every other member that is not shown as the credential's issuer, type or
            // validity: `id` (a correlation handle), `evidence`, `credentialStatus`, ...
            for (name, member) in record.credential.as_object().into_iter().flatten() {
                if !DESCRIBES_LDP_CREDENTIAL.contains(&name.as_str()) {
                    leaf_paths(member, name, &mut leaves);
                }
            }
            let revealed = leaves
                .into_iter()
                .filter(|leaf| {
                    !shared
                        .iter()
                        .any(|s| leaf == s || leaf.starts_with(&format!("{s}.")))
                })
                .collect();
            (Vec::new(), revealed)
        }
    };
    Ok(PlannedCredential {
        query_id: query_id.to_owned(),
        credential_id: record.id.clone(),
        format: record.format,
        types: record.types.clone(),
        issuer: record.issuer.clone(),
        shared,
        not_shared,
        revealed_anyway,
        selection: requested,
    })
}

/// An SD-JWT claim path in the plain form used for people (`address.locality`).
fn display_path(path: &sd_jwt::ClaimPath) -> String {
    serde_json::from_value::<credentials::oid4vp::ClaimPath>(path.to_json())
        .map(|p| p.display())
        .unwrap_or_else(|_| path.to_string())
}

/// The claims a verifier sees in a presentation: the payload with the presented disclosures
/// put in place of their digests (RFC 9901 section 7.1 steps 3-4), undisclosed ones left out.
fn disclosed_view(presentation: &SdJwt) -> Value {
    let alg = presentation.hash_alg();
    let by_digest: BTreeMap<String, &sd_jwt::Disclosure> = presentation
        .disclosures()
        .iter()
        .map(|d| (d.digest(alg), d))
        .collect();
    fn resolve(value: &Value, by_digest: &BTreeMap<String, &sd_jwt::Disclosure>) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (name, member) in map {
                    if name != "_sd" && name != "_sd_alg" {
                        out.insert(name.clone(), resolve(member, by_digest));
                    }
                }
                let digests = map.get("_sd").and_then(Value::as_array);
                for digest in digests.into_iter().flatten().filter_map(Value::as_str) {
                    if let Some(d) = by_digest.get(digest)
                        && let Some(name) = d.claim_name()
                    {
                        out.insert(name.to_owned(), resolve(d.value(), by_digest));
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .filter_map(|item| {
                        let digest = item
                            .as_object()
                            .filter(|m| m.len() == 1)
                            .and_then(|m| m.get("..."))
                            .and_then(Value::as_str);
                        match digest {
                            Some(digest) => {
                                by_digest.get(digest).map(|d| resolve(d.value(), by_digest))
                            }
                            None => Some(resolve(item, by_digest)),
                        }
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    resolve(
        &Value::Object(presentation.unverified_payload().clone()),
        &by_digest,
    )
}

/// The paths of the leaves (scalars, empty objects and arrays) of a disclosed view.
fn disclosed_leaves(value: &Value, path: &sd_jwt::ClaimPath, out: &mut Vec<sd_jwt::ClaimPath>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (name, member) in map {
                disclosed_leaves(member, &path.clone().key(name.clone()), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (index, item) in items.iter().enumerate() {
                disclosed_leaves(item, &path.clone().index(index), out);
            }
        }
        _ => out.push(path.clone()),
    }
}

fn leaf_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaf_paths(v, &format!("{prefix}.{k}"), out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// Warnings for requests that ask for more than they need.
fn over_asking(planned: &PlannedCredential, record: &CredentialRecord) -> Vec<String> {
    let mut warnings = Vec::new();
    let last = |path: &str| path.rsplit('.').next().unwrap_or(path).to_owned();
    let asks_birth_date = planned.shared.iter().find(|p| {
        matches!(
            last(p).as_str(),
            "birthdate" | "birth_date" | "date_of_birth" | "birthDate"
        )
    });
    let age_claims: Vec<String> = planned
        .not_shared
        .iter()
        .chain(planned.revealed_anyway.iter())
        .chain(record.claims.as_object().into_iter().flat_map(|m| m.keys()))
        .filter(|p| last(p).starts_with("age_over_"))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if let Some(birth) = asks_birth_date
        && !age_claims.is_empty()
    {
        warnings.push(format!(
            "asks for the full {birth} although this credential can prove age alone ({})",
            age_claims.join(", ")
        ));
    }
    if !planned.revealed_anyway.is_empty() && planned.format == CredentialFormat::LdpVc {
        warnings.push(format!(
            "credential {} cannot hide claims: {} claims not asked for will be visible too",
            planned.credential_id,
            planned.revealed_anyway.len()
        ));
    }
    warnings
}

fn stored_sd_jwt(record: &CredentialRecord) -> Result<SdJwt, PresentError> {
    let text = record
        .credential
        .as_str()
        .ok_or_else(|| credential_error(record, "stored SD-JWT is not a string"))?;
    SdJwt::parse(text).map_err(|e| credential_error(record, e))
}

/// The response that would be posted, built after approval.
fn build_response(
    wallet: &Wallet,
    pending: &PendingPresentation,
    now: DateTime<Utc>,
) -> Result<AuthorizationResponse, PresentError> {
    let request = &pending.request.request;
    let mut vp_token: BTreeMap<String, Vec<Presentation>> = BTreeMap::new();
    for planned in &pending.summary.credentials {
        let record = wallet.credential(planned.credential_id.as_str())?;
        let key_id = record
            .holder_key
            .clone()
            .ok_or_else(|| credential_error(record, "not bound to a holder key"))?;
        let signer = wallet.signer(&key_id)?;
        let presentation = match record.format {
            CredentialFormat::DcSdJwt => {
                let sd = stored_sd_jwt(record)?;
                let text = sd
                    .present_with_key_binding(
                        &planned.selection,
                        &signer,
                        &request.client_id,
                        &request.nonce,
                        now,
                    )
                    .map_err(|e: SdJwtError| credential_error(record, e))?;
                Presentation::Compact(text)
            }
            CredentialFormat::LdpVc => {
                let vp = json!({
                    "@context": [CREDENTIALS_V2_CONTEXT],
                    "type": [VERIFIABLE_PRESENTATION],
                    "holder": signer.did(),
                    "verifiableCredential": [record.credential],
                });
                let options = ProofOptions::authentication(
                    signer.verification_method(),
                    now,
                    request.nonce.clone(),
                    request.client_id.clone(),
                );
                let signed = data_integrity::sign(
                    &vp,
                    Cryptosuite::EddsaRdfc2022,
                    &options,
                    signer.ed25519(),
                )
                .map_err(|e| credential_error(record, e))?;
                match signed {
                    Value::Object(map) => Presentation::Json(map),
                    _ => {
                        return Err(credential_error(
                            record,
                            "signed presentation is not an object",
                        ));
                    }
                }
            }
        };
        vp_token
            .entry(planned.query_id.clone())
            .or_default()
            .push(presentation);
    }
    Ok(AuthorizationResponse::VpToken {
        vp_token,
        state: Some(request.state.clone()),
    })
}

fn history_record(
    pending: &PendingPresentation,
    outcome: PresentationOutcome,
    now: DateTime<Utc>,
) -> PresentationRecord {
    PresentationRecord {
        at: now,
        verifier: pending.summary.verifier.client_id.clone(),
        verifier_proven_by: pending.summary.verifier.proven_by.clone(),
        response_uri: pending.summary.response_uri.clone(),
        shared: pending
            .summary
            .credentials
            .iter()
            .map(|c| SharedCredential {
                credential: c.credential_id.clone(),
                disclosed: if outcome == PresentationOutcome::Declined {
                    Vec::new()
                } else {
                    c.shared.clone()
                },
                withheld: c.not_shared.clone(),
            })
            .collect(),
        outcome,
    }
}

/// The verifier's answer to a submitted presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// A `redirect_uri` the verifier returned (section 8.2), if any.
    pub redirect_uri: Option<String>,
}

/// Step 3, after the holder approved: builds the presentations (KB-JWT bound to the request's
/// nonce and client_id), posts them to `response_uri`, and records the outcome.
pub async fn submit(
    wallet: &mut Wallet,
    pending: PendingPresentation,
    http: &dyn WalletHttp,
    now: DateTime<Utc>,
) -> Result<Submitted, PresentError> {
    let response = build_response(wallet, &pending, now)?;
    let posted = http
        .post_form(&pending.request.response_uri, &response.to_form())
        .await;
    let outcome = match &posted {
        Ok(r) if r.is_success() => PresentationOutcome::Sent,
        _ => PresentationOutcome::Failed,
    };
    wallet.record_presentation(history_record(&pending, outcome, now))?;
    let posted = posted.map_err(net("posting the presentation"))?;
    if !posted.is_success() {
        return Err(PresentError::HttpStatus {
            what: "response_uri",
            status: posted.status,
        });
    }
    // Section 8.2: the user-agent goes on to `redirect_uri`. It is the verifier's unsigned
    // answer, so only an allowed web URL is passed on, in its normalized form (control
    // characters percent-encoded); anything else is dropped.
    let redirect_uri = serde_json::from_slice::<Value>(&posted.body)
        .ok()
        .and_then(|v| {
            v.get("redirect_uri")
                .and_then(Value::as_str)
                .and_then(|uri| check_url(uri, pending.request.policy).ok())
                .map(String::from)
        });
    Ok(Submitted { redirect_uri })
}

/// The holder declined: nothing is sent; the refusal is recorded in the history.
pub fn decline(
    wallet: &mut Wallet,
    pending: PendingPresentation,
    now: DateTime<Utc>,
) -> Result<(), PresentError> {
    wallet.record_presentation(history_record(&pending, PresentationOutcome::Declined, now))?;
    Ok(())
}
