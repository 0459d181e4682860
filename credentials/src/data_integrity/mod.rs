//! Data Integrity proofs (W3C VC Data Integrity 1.0) with the EdDSA cryptosuites of
//! W3C VC Data Integrity EdDSA Cryptosuites 1.0: `eddsa-rdfc-2022` (section 3.2, RDF
//! Dataset Canonicalization) and `eddsa-jcs-2022` (section 3.3, RFC 8785 JCS).
//!
//! Both suites hash the canonical proof configuration and the canonical document with
//! SHA-256 and sign `proofConfigHash || documentHash` with Ed25519; `proofValue` is the
//! base58btc multibase (`z...`) of the 64-byte signature. The intermediate values are public
//! ([`proof_configuration`], [`transform`], [`TransformedData`]) so the W3C vectors can be
//! compared byte for byte.
//!
//! Verification ([`verify_credential`], [`verify_presentation`]) returns
//! `Result<VerificationReport, DataIntegrityError>`: the error means *could not check*
//! (canonicalization refused by a work limit, key resolution unavailable), the report lists
//! every check with a stable failure code. JSON-LD contexts come only from a pinned
//! allow-list ([`contexts`]); RDF canonicalization runs under [`CanonicalizationLimits`].

pub mod contexts;
pub mod rdfc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::jose::Algorithm;
use crate::keys::{Ed25519SigningKey, PublicKey, Signer as _};
use crate::report::{Check, FailureCode, VerificationReport};
use crate::resolver::{KeyResolutionError, KeyResolver, Relationship};
use crate::vc;

pub use rdfc::{CanonicalizationError, CanonicalizationLimits, JsonLdError};

/// How deeply arrays and objects may nest in a document signed or verified here. Credentials
/// are shallow; the recursive JSON-LD and canonicalization code must not meet deep input.
pub const MAX_DEPTH: usize = 64;

/// Most proofs in one proof set (VC Data Integrity 1.0 section 2.1.2). Each proof
/// canonicalizes the whole document again, so without this bound a large document with
/// many copies of a proof would multiply the canonicalization limits.
pub const MAX_PROOFS: usize = 8;

/// True if `value` nests deeper than [`MAX_DEPTH`].
fn exceeds_depth(value: &Value) -> bool {
    rdfc::nesting_depth(value, MAX_DEPTH) > MAX_DEPTH
}

/// The proof `type` of every Data Integrity proof produced or accepted here.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// A supported cryptosuite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cryptosuite {
    /// `eddsa-rdfc-2022`: RDFC-1.0 canonical N-Quads (EdDSA cryptosuites section 3.2).
    EddsaRdfc2022,
    /// `eddsa-jcs-2022`: RFC 8785 canonical JSON (EdDSA cryptosuites section 3.3).
    EddsaJcs2022,
}

impl Cryptosuite {
    /// The `cryptosuite` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Cryptosuite::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Cryptosuite::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }

    /// Parses a `cryptosuite` value (exact match).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "eddsa-rdfc-2022" => Some(Cryptosuite::EddsaRdfc2022),
            "eddsa-jcs-2022" => Some(Cryptosuite::EddsaJcs2022),
            _ => None,
        }
    }
}

/// The purpose of a proof (VC Data Integrity 1.0 section 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofPurpose {
    /// `assertionMethod`: an issuer's claims (credentials).
    AssertionMethod,
    /// `authentication`: a holder proving control (presentations, with challenge/domain).
    Authentication,
}

impl ProofPurpose {
    /// The `proofPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ProofPurpose::AssertionMethod => "assertionMethod",
            ProofPurpose::Authentication => "authentication",
        }
    }

    /// The verification relationship the key must be listed under.
    pub fn relationship(self) -> Relationship {
        match self {
            ProofPurpose::AssertionMethod => Relationship::AssertionMethod,
            ProofPurpose::Authentication => Relationship::Authentication,
        }
    }
}

/// The options of a new proof (VC Data Integrity 1.0 section 2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// The verification method (an absolute DID URL).
    pub verification_method: String,
    /// The proof purpose.
    pub proof_purpose: ProofPurpose,
    /// `created`, if any.
    pub created: Option<DateTime<Utc>>,
    /// `expires`, if any.
    pub expires: Option<DateTime<Utc>>,
    /// `challenge` (presentations).
    pub challenge: Option<String>,
    /// `domain` (presentations).
    pub domain: Option<String>,
}

impl ProofOptions {
    /// Options for an issuer's proof on a credential.
    pub fn assertion(verification_method: impl Into<String>, created: DateTime<Utc>) -> Self {
        Self {
            verification_method: verification_method.into(),
            proof_purpose: ProofPurpose::AssertionMethod,
            created: Some(created),
            expires: None,
            challenge: None,
            domain: None,
        }
    }

    /// Options for a holder's proof on a presentation, bound to the verifier's challenge and
    /// domain.
    pub fn authentication(
        verification_method: impl Into<String>,
        created: DateTime<Utc>,
        challenge: impl Into<String>,
        domain: impl Into<String>,
    ) -> Self {
        Self {
            verification_method: verification_method.into(),
            proof_purpose: ProofPurpose::Authentication,
            created: Some(created),
            expires: None,
            challenge: Some(challenge.into()),
            domain: Some(domain.into()),
        }
    }
}

/// Why a proof could not be created, or a document could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataIntegrityError {
    /// The document is not a JSON object.
    #[error("document is not a JSON object")]
    NotAnObject,
    /// The proof options' verification method is not an absolute URL (VC Data Integrity 1.0
    /// section 2.1: `verificationMethod` is a URL).
    #[error("verification method must be an absolute URL")]
    InvalidVerificationMethod,
    /// The document uses a context outside the allow-list (signing).
    #[error("context not on the allow-list: {0}")]
    ContextNotAllowed(String),
    /// The document is not valid JSON-LD under the pinned contexts (signing).
    #[error("JSON-LD processing failed: {0}")]
    JsonLd(JsonLdError),
    /// RDF canonicalization was refused by a work limit: the proof cannot be checked.
    #[error("canonicalization refused: {0}")]
    Canonicalization(#[from] CanonicalizationError),
    /// The document nests arrays and objects more than [`MAX_DEPTH`] levels deep.
    #[error("document nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
    /// The RDF canonicalization worker thread could not run (resource exhaustion).
    #[error("canonicalization worker unavailable")]
    WorkerUnavailable,
    /// RFC 8785 canonicalization failed.
    #[error("JCS canonicalization failed")]
    Jcs,
    /// The verification method's key could not be resolved now (not: "does not exist").
    #[error("key resolution failed: {0}")]
    KeyResolution(KeyResolutionError),
}

impl From<rdfc::RdfcError> for DataIntegrityError {
    fn from(error: rdfc::RdfcError) -> Self {
        match error {
            rdfc::RdfcError::JsonLd(e) => DataIntegrityError::JsonLd(e),
            rdfc::RdfcError::Limit(e) => DataIntegrityError::Canonicalization(e),
            rdfc::RdfcError::WorkerUnavailable => DataIntegrityError::WorkerUnavailable,
        }
    }
}

/// The canonical forms a proof signs (EdDSA cryptosuites sections 3.2.3-3.2.5 and
/// 3.3.3-3.3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformedData {
    /// The canonical document (N-Quads or JCS).
    pub canonical_document: String,
    /// The canonical proof configuration (N-Quads or JCS).
    pub canonical_proof_config: String,
}

impl TransformedData {
    /// SHA-256 of the canonical document (`transformedDocumentHash`).
    pub fn document_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_document.as_bytes()).into()
    }

    /// SHA-256 of the canonical proof configuration (`proofConfigHash`).
    pub fn proof_config_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_proof_config.as_bytes()).into()
    }

    /// `proofConfigHash || transformedDocumentHash`, the signed bytes (sections 3.2.4,
    /// 3.3.4).
    pub fn hash_data(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.proof_config_hash());
        out[32..].copy_from_slice(&self.document_hash());
        out
    }
}

fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The proof as it is attached to the document, before `proofValue`. For `eddsa-jcs-2022`
/// it carries the document's `@context` (as the W3C vector does, so that verification can
/// apply the proof `@context` rule); for `eddsa-rdfc-2022` it does not.
pub fn proof_object(
    suite: Cryptosuite,
    options: &ProofOptions,
    document: &Value,
) -> Map<String, Value> {
    let mut proof = Map::new();
    proof.insert("type".into(), DATA_INTEGRITY_PROOF.into());
    proof.insert("cryptosuite".into(), suite.as_str().into());
    if let Some(created) = options.created {
        proof.insert("created".into(), format_time(created).into());
    }
    if let Some(expires) = options.expires {
        proof.insert("expires".into(), format_time(expires).into());
    }
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.clone().into(),
    );
    proof.insert("proofPurpose".into(), options.proof_purpose.as_str().into());
    if let Some(challenge) = &options.challenge {
        proof.insert("challenge".into(), challenge.clone().into());
    }
    if let Some(domain) = &options.domain {
        proof.insert("domain".into(), domain.clone().into());
    }
    if suite == Cryptosuite::EddsaJcs2022
        && let Some(context) = document.get("@context")
    {
        proof.insert("@context".into(), context.clone());
    }
    proof
}

/// The proof configuration (sections 3.2.5 / 3.3.5): the proof options with the unsecured
/// document's `@context`. This is the vectors' `proofConfig*.json`.
pub fn proof_configuration(
    suite: Cryptosuite,
    options: &ProofOptions,
    unsecured_document: &Value,
) -> Value {
    config_from_options(
        proof_object(suite, options, unsecured_document),
        unsecured_document,
    )
}

fn config_from_options(mut proof_options: Map<String, Value>, unsecured: &Value) -> Value {
    proof_options.remove("proofValue");
    if let Some(context) = unsecured.get("@context") {
        proof_options.insert("@context".into(), context.clone());
    }
    Value::Object(proof_options)
}

/// Canonicalizes the unsecured document and the proof configuration (sections 3.2.3 and
/// 3.3.3, and the canonicalization steps of 3.2.5 / 3.3.5).
pub fn transform(
    suite: Cryptosuite,
    unsecured_document: &Value,
    proof_config: &Value,
    limits: &CanonicalizationLimits,
) -> Result<TransformedData, DataIntegrityError> {
    let (canonical_document, canonical_proof_config) = match suite {
        Cryptosuite::EddsaRdfc2022 => (
            rdfc::canonical_nquads(unsecured_document, limits)?,
            rdfc::canonical_nquads(proof_config, limits)?,
        ),
        Cryptosuite::EddsaJcs2022 => (jcs(unsecured_document)?, jcs(proof_config)?),
    };
    Ok(TransformedData {
        canonical_document,
        canonical_proof_config,
    })
}

/// RFC 8785 canonical JSON (keys sorted by UTF-16 code units, ECMAScript number form).
///
/// The input must be I-JSON (RFC 8785 section 3.1, RFC 7493 section 2.2): an integer
/// beyond +-(2^53 - 1) is refused, because JCS writes every number as an IEEE 754 double
/// (section 3.2.2.3), so neighbouring large integers, which JSON consumers read exactly,
/// would share one canonical form and one signature.
pub fn jcs(value: &Value) -> Result<String, DataIntegrityError> {
    if has_inexact_integer(value) {
        return Err(DataIntegrityError::Jcs);
    }
    serde_json_canonicalizer::to_string(value).map_err(|_| DataIntegrityError::Jcs)
}

/// The largest integer every JSON number reader holds exactly (RFC 7493 section 2.2).
const MAX_EXACT_INTEGER: u64 = (1 << 53) - 1;

/// True if `value` contains an integer outside +-[`MAX_EXACT_INTEGER`] (iterative).
fn has_inexact_integer(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Number(n) => {
                let magnitude = n.as_u64().or_else(|| n.as_i64().map(i64::unsigned_abs));
                if magnitude.is_some_and(|m| m > MAX_EXACT_INTEGER) {
                    return true;
                }
            }
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    false
}

/// The multibase `proofValue` of a signature: `z` + base58btc (sections 3.2.1 / 3.3.1).
pub fn encode_proof_value(signature: &[u8]) -> String {
    format!("z{}", bs58::encode(signature).into_string())
}

/// The longest base58 encoding of 64 bytes: ceil(64 * log(256) / log(58)) = 88.
const MAX_BASE58_SIGNATURE_CHARS: usize = 88;

/// Decodes a `proofValue`: base58btc multibase (`z`) of exactly 64 bytes, else `None`.
pub fn decode_proof_value(proof_value: &str) -> Option<[u8; 64]> {
    let encoded = proof_value.strip_prefix('z')?;
    // 64 bytes are at most 88 base58 characters; base58 decoding is quadratic in the input
    // length, so longer input is refused before decoding.
    if encoded.len() > MAX_BASE58_SIGNATURE_CHARS {
        return None;
    }
    bs58::decode(encoded).into_vec().ok()?.try_into().ok()
}

/// Adds a proof to `document` (VC Data Integrity 1.0 section 4.2, with the cryptosuite's
/// create-proof algorithm, sections 3.2.1 / 3.3.1). An existing `proof` becomes a proof set:
/// each proof signs the document without the `proof` property.
pub fn sign(
    document: &Value,
    suite: Cryptosuite,
    options: &ProofOptions,
    key: &Ed25519SigningKey,
) -> Result<Value, DataIntegrityError> {
    sign_with_limits(
        document,
        suite,
        options,
        key,
        &CanonicalizationLimits::default(),
    )
}

/// [`sign`] with explicit canonicalization limits.
pub fn sign_with_limits(
    document: &Value,
    suite: Cryptosuite,
    options: &ProofOptions,
    key: &Ed25519SigningKey,
    limits: &CanonicalizationLimits,
) -> Result<Value, DataIntegrityError> {
    let object = document
        .as_object()
        .ok_or(DataIntegrityError::NotAnObject)?;
    if !vc::is_url(&options.verification_method) {
        return Err(DataIntegrityError::InvalidVerificationMethod);
    }
    if exceeds_depth(document) {
        return Err(DataIntegrityError::TooDeep);
    }
    contexts::check_contexts(document).map_err(|violation| match violation {
        contexts::ContextViolation::NotAllowed(iri) => DataIntegrityError::ContextNotAllowed(iri),
        contexts::ContextViolation::Malformed => DataIntegrityError::JsonLd(JsonLdError::Expansion),
    })?;
    let mut unsecured = object.clone();
    let existing = unsecured.remove("proof");
    let unsecured = Value::Object(unsecured);

    let mut proof = proof_object(suite, options, &unsecured);
    let config = config_from_options(proof.clone(), &unsecured);
    let transformed = transform(suite, &unsecured, &config, limits)?;
    let signature = key.sign(&transformed.hash_data());
    proof.insert("proofValue".into(), encode_proof_value(&signature).into());

    let mut secured = object.clone();
    let proof = Value::Object(proof);
    let proof_value = match existing {
        None => proof,
        Some(Value::Array(mut set)) => {
            set.push(proof);
            Value::Array(set)
        }
        Some(single) => Value::Array(vec![single, proof]),
    };
    secured.insert("proof".into(), proof_value);
    Ok(Value::Object(secured))
}

/// How verification is carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The current time (injected: this crate never reads the clock).
    pub now: DateTime<Utc>,
    /// The cryptosuites accepted.
    pub allowed_suites: Vec<Cryptosuite>,
    /// Tolerance for clock differences when comparing `created`, `expires`, `validFrom`
    /// and `validUntil` with `now`.
    pub clock_skew: chrono::Duration,
    /// Bounds on RDF canonicalization.
    pub limits: CanonicalizationLimits,
    /// Require that a credential proof's verification method belongs to the issuer: its DID
    /// URL without the fragment equals the issuer's id (VC Data Model 2.0 section 4.7: the
    /// issuer is the entity that secures the credential). On by default; turning it off
    /// leaves binding the key to the issuer to the caller (e.g. an issuer registry mapping
    /// an `https` issuer to its keys) and is needed for the W3C vectors, whose `https`
    /// issuer signs with a `did:key`.
    pub check_issuer_controls_key: bool,
}

impl VerifyOptions {
    /// Both EdDSA suites, 60 seconds of clock skew, default limits.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            allowed_suites: vec![Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022],
            clock_skew: chrono::Duration::seconds(60),
            limits: CanonicalizationLimits::default(),
            check_issuer_controls_key: true,
        }
    }
}

/// What the verifier expects of a proof.
struct Expected<'a> {
    purpose: ProofPurpose,
    challenge: Option<&'a str>,
    domain: Option<&'a str>,
    /// Who must control the proof's verification method (issuer or holder).
    controller: Option<Controller<'a>>,
}

/// The entity whose DID must be the verification method's DID.
struct Controller<'a> {
    id: &'a str,
    check: Check,
    code: FailureCode,
    detail: &'static str,
}

/// Verifies a credential secured with Data Integrity: the VC Data Model rules, the context
/// allow-list, every proof (purpose `assertionMethod`), and the validity period at
/// `options.now`.
pub fn verify_credential(
    document: &Value,
    resolver: &dyn KeyResolver,
    options: &VerifyOptions,
) -> Result<VerificationReport, DataIntegrityError> {
    let mut report = VerificationReport::new();
    if exceeds_depth(document) {
        report.fail(
            Check::Structure,
            FailureCode::Malformed,
            "nested too deeply",
        );
        return Ok(report);
    }
    let Some(object) = document.as_object() else {
        report.fail(
            Check::Structure,
            FailureCode::Malformed,
            "not a JSON object",
        );
        return Ok(report);
    };
    let mut unsecured = object.clone();
    unsecured.remove("proof");
    let unsecured = Value::Object(unsecured);
    record_model(&mut report, vc::credential_checks(&unsecured));
    let contexts_ok = record_contexts(&mut report, document);
    let issuer = match unsecured.get("issuer") {
        Some(Value::String(id)) => id.as_str(),
        Some(Value::Object(issuer)) => issuer.get("id").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    let expected = Expected {
        purpose: ProofPurpose::AssertionMethod,
        challenge: None,
        domain: None,
        controller: options.check_issuer_controls_key.then_some(Controller {
            id: issuer,
            check: Check::Issuer,
            code: FailureCode::IssuerMismatch,
            detail: "proof key is not controlled by the issuer",
        }),
    };
    verify_proofs(
        object,
        resolver,
        &expected,
        options,
        contexts_ok,
        &mut report,
    )?;
    // VC Data Model 2.0 section 4.9: validFrom / validUntil against now.
    let (valid_from, valid_until) = vc::validity_period(&unsecured);
    match vc::check_validity_at(valid_from, valid_until, options.now, options.clock_skew) {
        Ok(()) => report.pass(Check::ValidityPeriod),
        Err(vc::ValidityError::NotYetValid) => report.fail(
            Check::ValidityPeriod,
            FailureCode::NotYetValid,
            "validFrom lies in the future",
        ),
        Err(vc::ValidityError::Expired) => report.fail(
            Check::ValidityPeriod,
            FailureCode::Expired,
            "validUntil has passed",
        ),
    }
    Ok(report)
}

/// The outcome of verifying a presentation: its own checks, and each embedded credential's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationVerification {
    /// The presentation's model, contexts, proof (with challenge and domain) and holder.
    pub presentation: VerificationReport,
    /// One report per embedded credential, in order.
    pub credentials: Vec<VerificationReport>,
}

impl PresentationVerification {
    /// True if the presentation and every embedded credential verified.
    pub fn is_verified(&self) -> bool {
        self.presentation.is_verified() && self.credentials.iter().all(|c| c.is_verified())
    }
}

/// Verifies a presentation secured with Data Integrity: the model rules, the context
/// allow-list, the proof (purpose `authentication`, `challenge` and `domain` equal to the
/// values this verifier issued, verification method controlled by the `holder` if one is
/// named), and each embedded credential with [`verify_credential`].
pub fn verify_presentation(
    presentation: &Value,
    resolver: &dyn KeyResolver,
    challenge: &str,
    domain: &str,
    options: &VerifyOptions,
) -> Result<PresentationVerification, DataIntegrityError> {
    let mut report = VerificationReport::new();
    if exceeds_depth(presentation) {
        report.fail(
            Check::Structure,
            FailureCode::Malformed,
            "nested too deeply",
        );
        return Ok(PresentationVerification {
            presentation: report,
            credentials: Vec::new(),
        });
    }
    let Some(object) = presentation.as_object() else {
        report.fail(
            Check::Structure,
            FailureCode::Malformed,
            "not a JSON object",
        );
        return Ok(PresentationVerification {
            presentation: report,
            credentials: Vec::new(),
        });
    };
    let mut unsecured = object.clone();
    unsecured.remove("proof");
    let unsecured = Value::Object(unsecured);
    record_model(&mut report, vc::presentation_checks(&unsecured));
    let contexts_ok = record_contexts(&mut report, presentation);
    let expected = Expected {
        purpose: ProofPurpose::Authentication,
        challenge: Some(challenge),
        domain: Some(domain),
        // VC Data Model 2.0 section 4.13: the holder generates the presentation, so the
        // proof's key must belong to the holder's DID when a holder is named.
        controller: vc::holder_of(object).map(|holder| Controller {
            id: holder,
            check: Check::HolderBinding,
            code: FailureCode::HolderMismatch,
            detail: "proof key is not controlled by the holder",
        }),
    };
    verify_proofs(
        object,
        resolver,
        &expected,
        options,
        contexts_ok,
        &mut report,
    )?;

    let mut credentials = Vec::new();
    let embedded = match object.get("verifiableCredential") {
        None => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(single) => std::slice::from_ref(single),
    };
    for credential in embedded {
        let enveloped = credential
            .get("type")
            .is_some_and(|t| t == vc::ENVELOPED_VERIFIABLE_CREDENTIAL);
        if enveloped {
            // Fail closed: an enveloped credential is verified by its own securing
            // mechanism (VC-JOSE-COSE, SD-JWT), not here.
            let mut r = VerificationReport::new();
            r.fail(
                Check::Structure,
                FailureCode::Malformed,
                "enveloped credentials are not verified by Data Integrity",
            );
            credentials.push(r);
        } else {
            credentials.push(verify_credential(credential, resolver, options)?);
        }
    }
    Ok(PresentationVerification {
        presentation: report,
        credentials,
    })
}

fn record_model(report: &mut VerificationReport, checks: Vec<(Check, Result<(), vc::ModelError>)>) {
    for (check, result) in checks {
        match result {
            Ok(()) => report.pass(check),
            Err(e) => report.fail(e.check(), e.code(), e.to_string()),
        }
    }
}

fn record_contexts(report: &mut VerificationReport, document: &Value) -> bool {
    // VC Data Integrity 1.0 section 4.5 (contexts): only known, pinned contexts.
    match contexts::check_contexts(document) {
        Ok(()) => {
            report.pass(Check::Context);
            true
        }
        Err(violation) => {
            report.fail(
                Check::Context,
                FailureCode::ContextInvalid,
                violation.to_string(),
            );
            false
        }
    }
}

fn verify_proofs(
    document: &Map<String, Value>,
    resolver: &dyn KeyResolver,
    expected: &Expected<'_>,
    options: &VerifyOptions,
    contexts_ok: bool,
    report: &mut VerificationReport,
) -> Result<(), DataIntegrityError> {
    let proofs: Vec<&Map<String, Value>> = match document.get("proof") {
        Some(Value::Object(proof)) => vec![proof],
        Some(Value::Array(set)) if set.len() > MAX_PROOFS => {
            report.fail(
                Check::Structure,
                FailureCode::Malformed,
                format!("more than {MAX_PROOFS} proofs"),
            );
            return Ok(());
        }
        Some(Value::Array(set)) if !set.is_empty() && set.iter().all(Value::is_object) => {
            set.iter().filter_map(Value::as_object).collect()
        }
        None => {
            report.fail(Check::Structure, FailureCode::Malformed, "no proof");
            return Ok(());
        }
        Some(_) => {
            report.fail(
                Check::Structure,
                FailureCode::Malformed,
                "proof must be an object or a non-empty array of objects",
            );
            return Ok(());
        }
    };
    let mut unsecured = document.clone();
    unsecured.remove("proof");
    for proof in proofs {
        verify_proof(
            &unsecured,
            proof,
            resolver,
            expected,
            options,
            contexts_ok,
            report,
        )?;
    }
    Ok(())
}

fn time_member(proof: &Map<String, Value>, name: &str) -> Result<Option<DateTime<Utc>>, ()> {
    match proof.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(vc::parse_date_time_stamp)
            .map(Some)
            .ok_or(()),
    }
}

/// Why the JSON of an `eddsa-rdfc-2022` document is not the one plain way of writing the
/// RDF its proof signs.
///
/// `eddsa-rdfc-2022` signs the RDF dataset, not the JSON. Many JSON documents have the same
/// RDF: a claim renamed together with an appended term definition mapping the new name to
/// the old IRI, a property written as its IRI or moved under `@nest`/`@included`, an added
/// claim whose value is `null` or `[]` (no RDF at all). Every consumer of a verified
/// credential here (verifier policy, DCQL, status and validity checks, the wallet) reads
/// the JSON, so each of these would let a holder or anyone in between change what a
/// verified credential says (w3c/vc-data-integrity#272; VC Data Integrity 1.0 section 2.4.1
/// asks verifiers to validate contexts before trusting the JSON). Verification therefore
/// accepts only JSON in which terms mean what the pinned contexts and one `@vocab` say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum JsonViewViolation {
    /// An inline context defines terms (or anything but `@vocab`, `@version`, `@protected`).
    #[error(
        "inline contexts may only set @vocab: term definitions are not signed by eddsa-rdfc-2022"
    )]
    TermDefinition,
    /// A key is a JSON-LD keyword other than `@context`, `@id`, `@type`, `@value`,
    /// `@language`, `@direction`.
    #[error("JSON-LD keyword not accepted in a credential")]
    Keyword,
    /// A key is an IRI or compact IRI instead of a term.
    #[error("property written as an IRI instead of a term")]
    IriKey,
    /// A `null` or empty-array value: it has no RDF, so no signature covers it.
    #[error("null or empty value is not signed by eddsa-rdfc-2022")]
    Unsigned,
}

impl JsonViewViolation {
    fn check(self) -> Check {
        match self {
            JsonViewViolation::TermDefinition => Check::Context,
            _ => Check::Structure,
        }
    }

    fn code(self) -> FailureCode {
        match self {
            JsonViewViolation::TermDefinition => FailureCode::ContextInvalid,
            _ => FailureCode::Malformed,
        }
    }
}

/// Keywords that do not move or hide properties: node identifiers and types, value objects.
const VIEW_KEYWORDS: [&str; 5] = ["@id", "@type", "@value", "@language", "@direction"];
/// What an inline context may set: the vocabulary for undefined terms, and flags.
const INLINE_CONTEXT_MEMBERS: [&str; 3] = ["@vocab", "@version", "@protected"];

/// The first reason `value` is not in the plain JSON form (see [`JsonViewViolation`]).
/// Callers have bounded the depth ([`MAX_DEPTH`]).
fn json_view_violation(value: &Value) -> Option<JsonViewViolation> {
    fn context(value: &Value) -> Option<JsonViewViolation> {
        match value {
            Value::String(_) => None,
            Value::Array(items) => items.iter().find_map(context),
            Value::Object(map) => map
                .keys()
                .any(|k| !INLINE_CONTEXT_MEMBERS.contains(&k.as_str()))
                .then_some(JsonViewViolation::TermDefinition),
            // `null` resets the active context; anything else is malformed.
            _ => Some(JsonViewViolation::TermDefinition),
        }
    }
    match value {
        Value::Null => Some(JsonViewViolation::Unsigned),
        Value::Array(items) if items.is_empty() => Some(JsonViewViolation::Unsigned),
        Value::Array(items) => items.iter().find_map(json_view_violation),
        Value::Object(map) => map.iter().find_map(|(key, member)| {
            if key == "@context" {
                context(member)
            } else if key.starts_with('@') && !VIEW_KEYWORDS.contains(&key.as_str()) {
                Some(JsonViewViolation::Keyword)
            } else if key.contains(':') {
                Some(JsonViewViolation::IriKey)
            } else {
                json_view_violation(member)
            }
        }),
        _ => None,
    }
}

/// One proof: VC Data Integrity 1.0 section 4.3 (verify proof) with the cryptosuite's
/// verify-proof algorithm (EdDSA cryptosuites sections 3.2.2 / 3.3.2).
fn verify_proof(
    unsecured: &Map<String, Value>,
    proof: &Map<String, Value>,
    resolver: &dyn KeyResolver,
    expected: &Expected<'_>,
    options: &VerifyOptions,
    contexts_ok: bool,
    report: &mut VerificationReport,
) -> Result<(), DataIntegrityError> {
    let text = |name: &str| proof.get(name).and_then(Value::as_str);

    // Type and cryptosuite, exactly (sections 3.2.3 / 3.3.3 step 1).
    let suite = match (
        text("type"),
        text("cryptosuite").and_then(Cryptosuite::from_name),
    ) {
        (Some(DATA_INTEGRITY_PROOF), Some(suite)) if options.allowed_suites.contains(&suite) => {
            report.pass(Check::Algorithm);
            Some(suite)
        }
        (Some(DATA_INTEGRITY_PROOF), _) => {
            report.fail(
                Check::Algorithm,
                FailureCode::AlgorithmNotAllowed,
                "cryptosuite not accepted",
            );
            None
        }
        _ => {
            report.fail(
                Check::Algorithm,
                FailureCode::AlgorithmNotAllowed,
                "proof type must be DataIntegrityProof",
            );
            None
        }
    };

    // proofValue: base58btc multibase of exactly 64 bytes (sections 3.2.2 / 3.3.2 step 3).
    let signature = text("proofValue").and_then(decode_proof_value);
    if signature.is_none() {
        report.fail(
            Check::Signature,
            FailureCode::Malformed,
            "proofValue must be base58btc multibase (z) of a 64-byte signature",
        );
    }

    // proofPurpose matches the use (Data Integrity 1.0 section 4.3, step: expected proof
    // purpose).
    if text("proofPurpose") == Some(expected.purpose.as_str()) {
        report.pass(Check::ProofPurpose);
    } else {
        report.fail(
            Check::ProofPurpose,
            FailureCode::ProofPurposeMismatch,
            format!("proofPurpose must be {}", expected.purpose.as_str()),
        );
    }

    // created not in the future, expires not passed (Data Integrity 1.0 section 2.1).
    let now = options.now;
    match (time_member(proof, "created"), time_member(proof, "expires")) {
        (Err(()), _) | (_, Err(())) => report.fail(
            Check::ValidityPeriod,
            FailureCode::InvalidTimeClaim,
            "created/expires must be XML Schema dateTimeStamps",
        ),
        (Ok(Some(created)), _) if created > now + options.clock_skew => report.fail(
            Check::ValidityPeriod,
            FailureCode::IssuedInFuture,
            "proof created in the future",
        ),
        (_, Ok(Some(expires))) if expires < now - options.clock_skew => {
            report.fail(Check::ValidityPeriod, FailureCode::Expired, "proof expired")
        }
        _ => report.pass(Check::ValidityPeriod),
    }

    // Proof @context rule (sections 3.2.2 / 3.3.2 step 4): the document's @context must
    // start with the proof's, in order; the unsecured document then takes the proof's.
    let mut unsecured = unsecured.clone();
    let mut context_rule_ok = true;
    if let Some(proof_context) = proof.get("@context") {
        let as_list = |v: &Value| match v {
            Value::Array(items) => items.clone(),
            single => vec![single.clone()],
        };
        let proof_items = as_list(proof_context);
        let document_items = unsecured.get("@context").map(as_list).unwrap_or_default();
        if document_items.starts_with(&proof_items) {
            report.pass(Check::Context);
            unsecured.insert("@context".into(), proof_context.clone());
        } else {
            context_rule_ok = false;
            report.fail(
                Check::Context,
                FailureCode::ContextInvalid,
                "document @context does not start with the proof @context",
            );
        }
    }

    // challenge and domain equal what this verifier issued (Data Integrity 1.0 section 4.3).
    if let Some(challenge) = expected.challenge {
        if text("challenge") == Some(challenge) {
            report.pass(Check::Nonce);
        } else {
            report.fail(
                Check::Nonce,
                FailureCode::NonceMismatch,
                "challenge missing or different",
            );
        }
    }
    if let Some(domain) = expected.domain {
        let matches = match proof.get("domain") {
            Some(Value::String(d)) => d == domain,
            Some(Value::Array(ds)) => ds.iter().any(|d| d.as_str() == Some(domain)),
            _ => false,
        };
        if matches {
            report.pass(Check::Audience);
        } else {
            report.fail(
                Check::Audience,
                FailureCode::AudienceMismatch,
                "domain missing or different",
            );
        }
    }

    // The verification method, resolved under the relationship of the expected purpose
    // (Data Integrity 1.0 section 4.3; DID Core section 5.3): an Ed25519 key.
    let key = match text("verificationMethod") {
        None => {
            report.fail(
                Check::VerificationMethod,
                FailureCode::VerificationMethodInvalid,
                "verificationMethod missing",
            );
            None
        }
        Some(vm) => {
            let relationship = expected.purpose.relationship();
            match resolver.resolve_key(vm, relationship) {
                Ok(PublicKey::Ed25519(key)) => {
                    report.pass(Check::VerificationMethod);
                    Some(PublicKey::Ed25519(key))
                }
                Ok(_) => {
                    report.fail(
                        Check::VerificationMethod,
                        FailureCode::VerificationMethodInvalid,
                        "verification method is not an Ed25519 key",
                    );
                    None
                }
                Err(KeyResolutionError::ResolutionFailed) => {
                    return Err(DataIntegrityError::KeyResolution(
                        KeyResolutionError::ResolutionFailed,
                    ));
                }
                Err(error) => {
                    report.fail(
                        Check::VerificationMethod,
                        FailureCode::VerificationMethodInvalid,
                        format!("{error} ({})", relationship.as_str()),
                    );
                    None
                }
            }
        }
    };
    if let Some(controller) = &expected.controller {
        let vm_did = text("verificationMethod").map(|vm| vm.split('#').next().unwrap_or(vm));
        if vm_did.is_some_and(|did| !did.is_empty() && did == controller.id) {
            report.pass(controller.check);
        } else {
            report.fail(controller.check, controller.code, controller.detail);
        }
    }

    // The signature over proofConfigHash || documentHash.
    let (Some(suite), Some(signature), Some(key)) = (suite, signature, key) else {
        return Ok(());
    };
    if !contexts_ok || !context_rule_ok {
        return Ok(());
    }
    let unsecured = Value::Object(unsecured);
    if suite == Cryptosuite::EddsaRdfc2022 {
        let mut proof_options = proof.clone();
        proof_options.remove("proofValue");
        let violation = json_view_violation(&unsecured)
            .or_else(|| json_view_violation(&Value::Object(proof_options)));
        if let Some(violation) = violation {
            report.fail(violation.check(), violation.code(), violation.to_string());
            return Ok(());
        }
    }
    let config = config_from_options(proof.clone(), &unsecured);
    let transformed = match transform(suite, &unsecured, &config, &options.limits) {
        Ok(t) => t,
        Err(DataIntegrityError::JsonLd(JsonLdError::ContextNotAllowed)) => {
            report.fail(
                Check::Context,
                FailureCode::ContextInvalid,
                "context not on the allow-list",
            );
            return Ok(());
        }
        Err(DataIntegrityError::JsonLd(error)) => {
            report.fail(Check::Structure, FailureCode::Malformed, error.to_string());
            return Ok(());
        }
        Err(DataIntegrityError::Jcs) => {
            report.fail(
                Check::Structure,
                FailureCode::Malformed,
                "not I-JSON: an integer beyond 2^53 - 1 cannot be canonicalized exactly",
            );
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    match key.verify(Algorithm::EdDSA, &transformed.hash_data(), &signature) {
        Ok(()) => report.pass(Check::Signature),
        Err(_) => report.fail(
            Check::Signature,
            FailureCode::SignatureInvalid,
            "signature does not verify",
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_value_is_exactly_64_bytes_of_base58btc() {
        for signature in [[0xffu8; 64], [0u8; 64], [0x5a; 64]] {
            let encoded = encode_proof_value(&signature);
            assert!(encoded.len() <= MAX_BASE58_SIGNATURE_CHARS + 1);
            assert_eq!(decode_proof_value(&encoded), Some(signature));
        }
        assert_eq!(encode_proof_value(&[0xffu8; 64]).len(), 89);
        assert_eq!(decode_proof_value(&encode_proof_value(&[1u8; 63])), None);
        assert_eq!(decode_proof_value(&encode_proof_value(&[1u8; 65])), None);
        let padded = format!("z1{}", &encode_proof_value(&[0xffu8; 64])[1..]);
        assert_eq!(decode_proof_value(&padded), None);
        // Refused by length before the quadratic decoder runs.
        assert_eq!(
            decode_proof_value(&format!("z{}", "2".repeat(1 << 20))),
            None
        );
        assert_eq!(decode_proof_value("u8AAA"), None);
    }

    #[test]
    fn hash_data_is_proof_config_hash_then_document_hash() {
        let t = TransformedData {
            canonical_document: "doc".into(),
            canonical_proof_config: "config".into(),
        };
        let hash = t.hash_data();
        assert_eq!(hash[..32], Sha256::digest(b"config")[..]);
        assert_eq!(hash[32..], Sha256::digest(b"doc")[..]);
    }
}
