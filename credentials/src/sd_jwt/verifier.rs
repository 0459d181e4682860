//! Verification (RFC 9901 sections 7.1 and 7.3, SD-JWT VC verification rules).
//!
//! Every rule is a check in the [`VerificationReport`]; the disclosed claims, the holder key
//! and the status reference are only handed out by a verification whose every check passed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

use super::disclosure::{Disclosure, HashAlg, RESERVED_CLAIM_NAMES};
use super::holder::{Parts, array_element_digest, split};
use super::{
    KB_JWT_TYP, MAX_NESTING_DEPTH, NEVER_DISCLOSABLE, SD_ALG_CLAIM, SD_CLAIM, SD_JWT_VC_TYP,
    SdJwtError, StatusListReference,
};
use crate::jose::{Algorithm, CompactJws, JwsError};
use crate::keys::PublicKey;
use crate::report::{Check, FailureCode, VerificationReport};
use crate::resolver::{KeyResolutionError, KeyResolver, Relationship};

/// Where the issuer's key comes from. Never from the token itself: header `jwk`, `jku`,
/// `x5u` and `x5c` are ignored.
#[derive(Clone, Copy)]
pub enum IssuerKey<'a> {
    /// A key the caller already trusts for this issuer.
    Pinned(&'a PublicKey),
    /// A DID resolver, asked under `assertionMethod` for the verification method named by the
    /// header `kid` (an absolute DID URL of the `iss` DID, or a `#fragment` of it) or, without
    /// `kid`, the one key of a `did:key` / `did:jwk` `iss` (SD-JWT VC, "Issuer-signed JWT
    /// Verification Key Validation", DID case).
    Resolver(&'a dyn KeyResolver),
}

impl std::fmt::Debug for IssuerKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssuerKey::Pinned(key) => f.debug_tuple("Pinned").field(key).finish(),
            IssuerKey::Resolver(_) => f.write_str("Resolver"),
        }
    }
}

/// What the issuer-signed JWT must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    /// An SD-JWT VC: `typ` `dc+sd-jwt`, `vct` required, `iss`/`nbf`/`exp`/`cnf`/`vct`/
    /// `vct#integrity`/`status` never selectively disclosed, `status` a Token Status List
    /// reference if present.
    SdJwtVc,
    /// A plain SD-JWT (RFC 9901). With `Some(typ)` the header `typ` must be that media type.
    Plain {
        /// The required `typ`, if any.
        typ: Option<String>,
    },
}

/// Whether a Key Binding JWT is required, and what it must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyBindingPolicy {
    /// A KB-JWT must be present, signed by the `cnf` key, with exactly this `aud` and `nonce`
    /// (RFC 9901 section 7.3). Making the nonce single-use is the caller's job.
    Required {
        /// The verifier's own identifier.
        audience: String,
        /// The nonce this verifier issued for this presentation.
        nonce: String,
    },
    /// No KB-JWT required. One that is present is still checked (signature, `typ`, `iat`,
    /// `sd_hash`); its `aud` and `nonce` must be strings but are not compared, so it never
    /// counts as holder binding ([`SdJwtVerification::is_key_bound`] is false).
    NotRequired,
}

/// Options of [`verify`].
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The current time (the clock is a parameter).
    pub now: DateTime<Utc>,
    /// SD-JWT VC or plain SD-JWT rules.
    pub profile: Profile,
    /// Key binding requirements.
    pub key_binding: KeyBindingPolicy,
    /// Signature algorithms accepted for the issuer JWT and the KB-JWT.
    pub algorithms: Vec<Algorithm>,
    /// `_sd_alg` values accepted.
    pub hash_algorithms: Vec<HashAlg>,
    /// How old a KB-JWT's `iat` may be.
    pub key_binding_max_age: TimeDelta,
    /// Tolerance for clocks: applied to `exp`, `nbf`, `iat` and the KB-JWT `iat`.
    pub clock_skew: TimeDelta,
    /// Top-level claims that must be present in the processed payload: the
    /// validity-controlling claims this verifier needs (RFC 9901 section 7.1 step 6). An issuer
    /// may have made `exp` or `nbf` selectively disclosable, and a holder can then withhold
    /// them (section 9.7); absent from this list, a missing claim is simply not checked.
    pub required_claims: Vec<String>,
}

impl VerifyOptions {
    /// SD-JWT VC rules: EdDSA and ES256, `sha-256`, KB-JWT at most 5 minutes old, no skew.
    pub fn sd_jwt_vc(now: DateTime<Utc>, key_binding: KeyBindingPolicy) -> Self {
        Self {
            now,
            profile: Profile::SdJwtVc,
            key_binding,
            algorithms: vec![Algorithm::EdDSA, Algorithm::ES256],
            hash_algorithms: vec![HashAlg::Sha256],
            key_binding_max_age: TimeDelta::minutes(5),
            clock_skew: TimeDelta::zero(),
            required_claims: Vec::new(),
        }
    }

    /// Plain SD-JWT rules, otherwise as [`VerifyOptions::sd_jwt_vc`].
    pub fn plain(now: DateTime<Utc>, typ: Option<&str>, key_binding: KeyBindingPolicy) -> Self {
        Self {
            profile: Profile::Plain {
                typ: typ.map(str::to_owned),
            },
            ..Self::sd_jwt_vc(now, key_binding)
        }
    }
}

/// The outcome of [`verify`]: the report of every check, and what the token disclosed,
/// obtainable only if every check passed.
#[derive(Clone)]
pub struct SdJwtVerification {
    report: VerificationReport,
    claims: Map<String, Value>,
    holder_key: Option<PublicKey>,
    status: Option<StatusListReference>,
    key_bound: bool,
    verification_method: Option<String>,
}

/// The report and the claim names; claim values stay out of logs.
impl std::fmt::Debug for SdJwtVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdJwtVerification")
            .field("report", &self.report)
            .field("claim_names", &self.claims.keys().collect::<Vec<_>>())
            .field("key_bound", &self.key_bound)
            .finish_non_exhaustive()
    }
}

impl SdJwtVerification {
    /// Every check carried out.
    pub fn report(&self) -> &VerificationReport {
        &self.report
    }

    /// True if at least one check ran and none failed.
    pub fn is_verified(&self) -> bool {
        self.report.is_verified()
    }

    /// The processed payload (RFC 9901 section 7.1 step 3): the plain claims and the
    /// disclosed ones, without `_sd`, `_sd_alg` and digests. `None` unless verified.
    pub fn claims(&self) -> Option<&Map<String, Value>> {
        self.is_verified().then_some(&self.claims)
    }

    /// The processed payload, owned. `None` unless verified.
    pub fn into_claims(self) -> Option<Map<String, Value>> {
        if self.is_verified() {
            Some(self.claims)
        } else {
            None
        }
    }

    /// The holder key from `cnf.jwk`. `None` unless verified (or if there is none).
    pub fn holder_key(&self) -> Option<&PublicKey> {
        self.holder_key.as_ref().filter(|_| self.is_verified())
    }

    /// The Token Status List reference from `status.status_list`, to be checked by the
    /// caller. `None` unless verified (or if there is none).
    pub fn status_list(&self) -> Option<&StatusListReference> {
        self.status.as_ref().filter(|_| self.is_verified())
    }

    /// The DID URL of the issuer key, when it was found with a [`IssuerKey::Resolver`] (the
    /// issuer's identity when `iss` is absent). `None` unless verified.
    pub fn verification_method(&self) -> Option<&str> {
        self.verification_method
            .as_deref()
            .filter(|_| self.is_verified())
    }

    /// True if verified under [`KeyBindingPolicy::Required`] and a Key Binding JWT for this
    /// verifier's `aud` and `nonce` proved possession of the holder key. Always false under
    /// [`KeyBindingPolicy::NotRequired`], where `aud` and `nonce` are not compared.
    pub fn is_key_bound(&self) -> bool {
        self.key_bound && self.is_verified()
    }
}

type Failure = (FailureCode, String);

fn fail(code: FailureCode, detail: &str) -> Failure {
    (code, detail.to_owned())
}

/// Verifies an SD-JWT or SD-JWT+KB presentation (compact serialization).
///
/// `Err` only when the check could not be carried out (the DID resolver could not resolve
/// now, or the options allow no algorithm): callers treat it as "not verified". Every other
/// problem is a failed check in the report.
pub fn verify(
    presentation: &str,
    issuer_key: IssuerKey<'_>,
    options: &VerifyOptions,
) -> Result<SdJwtVerification, SdJwtError> {
    if options.algorithms.is_empty() || options.hash_algorithms.is_empty() {
        return Err(SdJwtError::InvalidOptions);
    }
    // RFC 9901 section 7.1 step 1: separate the parts.
    match split(presentation) {
        Ok(parts) => verify_parts(&parts, issuer_key, options),
        Err(_) => Ok(SdJwtVerification::malformed(
            "not <JWT>~<disclosures>~[<KB-JWT>]",
        )),
    }
}

impl SdJwtVerification {
    fn empty() -> Self {
        Self {
            report: VerificationReport::new(),
            claims: Map::new(),
            holder_key: None,
            status: None,
            key_bound: false,
            verification_method: None,
        }
    }

    pub(crate) fn malformed(detail: &str) -> Self {
        let mut out = Self::empty();
        out.report
            .fail(Check::Structure, FailureCode::Malformed, detail);
        out
    }
}

/// Verification of the separated parts; shared by the compact and the JSON serialization.
pub(crate) fn verify_parts(
    parts: &Parts<'_>,
    issuer_key: IssuerKey<'_>,
    options: &VerifyOptions,
) -> Result<SdJwtVerification, SdJwtError> {
    if options.algorithms.is_empty() || options.hash_algorithms.is_empty() {
        return Err(SdJwtError::InvalidOptions);
    }
    let mut out = SdJwtVerification::empty();
    let report = &mut out.report;

    let jws = match CompactJws::parse(parts.issuer_jwt) {
        Ok(jws) => jws,
        Err(JwsError::AlgorithmNotAllowed) => {
            // Section 7.1 step 2.1: `none` (and anything not allow-listed) is rejected.
            report.fail(
                Check::Algorithm,
                FailureCode::AlgorithmNotAllowed,
                "issuer JWT alg is not allowed",
            );
            return Ok(out);
        }
        Err(_) => {
            report.fail(
                Check::Structure,
                FailureCode::Malformed,
                "issuer JWT is not a compact JWS with a JSON object payload",
            );
            return Ok(out);
        }
    };
    report.pass(Check::Structure);

    // Explicit typing (RFC 9901 section 9.11; SD-JWT VC: `typ` `dc+sd-jwt`).
    let expected_typ = match &options.profile {
        Profile::SdJwtVc => Some(SD_JWT_VC_TYP),
        Profile::Plain { typ } => typ.as_deref(),
    };
    if let Some(expected) = expected_typ {
        report.record(
            Check::MediaType,
            if jws.typ().is_some_and(|typ| media_type_eq(typ, expected)) {
                Ok(())
            } else {
                Err(fail(
                    FailureCode::TypMismatch,
                    "issuer JWT typ is not the expected one",
                ))
            },
        );
    }

    let alg_allowed = options.algorithms.contains(&jws.algorithm());
    report.record(
        Check::Algorithm,
        if alg_allowed {
            Ok(())
        } else {
            Err(fail(
                FailureCode::AlgorithmNotAllowed,
                "issuer JWT alg is not allowed",
            ))
        },
    );

    // Section 7.1 step 2.2: the signature, with a key never taken from the token.
    let key = match issuer_key {
        IssuerKey::Pinned(key) => Some(key.clone()),
        IssuerKey::Resolver(resolver) => {
            match verification_method(&jws).and_then(|vm| {
                resolver
                    .resolve_key(&vm, Relationship::AssertionMethod)
                    .map(|key| (vm, key))
            }) {
                Ok((vm, key)) => {
                    report.pass(Check::VerificationMethod);
                    out.verification_method = Some(vm);
                    Some(key)
                }
                Err(KeyResolutionError::ResolutionFailed) => {
                    return Err(SdJwtError::KeyResolution(
                        KeyResolutionError::ResolutionFailed,
                    ));
                }
                Err(e) => {
                    report.fail(
                        Check::VerificationMethod,
                        FailureCode::VerificationMethodInvalid,
                        e.to_string(),
                    );
                    None
                }
            }
        }
    };
    if let Some(key) = &key
        && alg_allowed
    {
        report.record(
            Check::Signature,
            jws.verify(key, &options.algorithms).map_err(|_| {
                fail(
                    FailureCode::SignatureInvalid,
                    "issuer JWT signature does not verify",
                )
            }),
        );
    }

    // Section 7.1 step 2.4: `_sd_alg` on the allow-list.
    let hash_alg = match super::holder::payload_hash_alg(jws.payload()) {
        Some(alg) if options.hash_algorithms.contains(&alg) => alg,
        _ => {
            report.fail(
                Check::Disclosures,
                FailureCode::SdAlgUnsupported,
                "_sd_alg is not an allowed hash algorithm",
            );
            return Ok(out);
        }
    };

    // Section 7.1 step 3: disclosures and embedded digests.
    let never_disclosable: &[&str] = match options.profile {
        Profile::SdJwtVc => &NEVER_DISCLOSABLE,
        Profile::Plain { .. } => &[],
    };
    let processed = process(
        &parts.disclosures,
        jws.payload(),
        hash_alg,
        never_disclosable,
    );
    let claims = match processed {
        Ok(claims) => {
            report.pass(Check::Disclosures);
            claims
        }
        Err((code, detail)) => {
            report.fail(Check::Disclosures, code, detail);
            return Ok(out);
        }
    };

    // Section 7.1 step 6 (RFC 7519 section 4.1): validity from the processed payload.
    report.record(Check::ValidityPeriod, validity(&claims, options));
    // Section 7.1 step 6: "If a required validity-controlling claim is missing, the SD-JWT
    // MUST be rejected" (withheld disclosures leave no trace, so presence is the only test).
    if !options.required_claims.is_empty() {
        report.record(
            Check::RequiredClaims,
            if options
                .required_claims
                .iter()
                .all(|name| claims.contains_key(name))
            {
                Ok(())
            } else {
                Err(fail(
                    FailureCode::RequiredClaimMissing,
                    "a required claim is missing from the processed payload",
                ))
            },
        );
    }

    if options.profile == Profile::SdJwtVc {
        // SD-JWT VC: `vct` is REQUIRED, a string.
        report.record(
            Check::Type,
            match claims.get("vct") {
                Some(Value::String(vct)) if !vct.is_empty() => Ok(()),
                _ => Err(fail(
                    FailureCode::TypeInvalid,
                    "vct is missing or not a string",
                )),
            },
        );
        if let Some(iss) = claims.get("iss") {
            report.record(
                Check::Issuer,
                if iss.is_string() {
                    Ok(())
                } else {
                    Err(fail(FailureCode::IssuerInvalid, "iss is not a string"))
                },
            );
        }
    }
    if let Some(status) = claims.get("status") {
        match StatusListReference::from_status_claim(status) {
            Ok(reference) => {
                report.pass(Check::Status);
                out.status = Some(reference);
            }
            Err(_) => report.fail(
                Check::Status,
                FailureCode::StatusUnavailable,
                "status is not a Token Status List reference",
            ),
        }
    }

    // RFC 7800 section 3.2: the holder key is `cnf.jwk`.
    let holder_key = match claims.get("cnf") {
        None => Ok(None),
        Some(cnf) => match cnf.get("jwk") {
            Some(jwk) => PublicKey::from_jwk(jwk).map(Some).map_err(|_| ()),
            None if cnf.is_object() => Ok(None),
            None => Err(()),
        },
    };
    let holder_key = match holder_key {
        Ok(key) => key,
        Err(()) => {
            report.fail(
                Check::HolderBinding,
                FailureCode::HolderKeyInvalid,
                "cnf is not a usable confirmation key",
            );
            None
        }
    };

    // Section 7.3 steps 1, 2 and 5: key binding.
    match (parts.key_binding_jwt, &options.key_binding) {
        (None, KeyBindingPolicy::Required { .. }) => report.fail(
            Check::KeyBinding,
            FailureCode::KeyBindingMissing,
            "a Key Binding JWT is required",
        ),
        (None, KeyBindingPolicy::NotRequired) => {}
        (Some(kb), policy) => {
            let bound = key_binding(
                report,
                kb,
                parts.without_key_binding,
                holder_key.as_ref(),
                hash_alg,
                policy,
                options,
            );
            // Section 7.3 step 1: holder binding is established only under the verifier's
            // `Required` policy, where `aud` and `nonce` were compared; a KB-JWT checked under
            // `NotRequired` may be one replayed from another verifier.
            out.key_bound = bound && matches!(policy, KeyBindingPolicy::Required { .. });
        }
    }

    out.claims = claims;
    out.holder_key = holder_key;
    Ok(out)
}

/// Media types compare case-insensitively and `application/` may be left out
/// (RFC 7515 section 4.1.9).
fn media_type_eq(typ: &str, expected: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    bare.eq_ignore_ascii_case(expected)
}

/// The verification method of a DID issuer (SD-JWT VC, "Issuer-signed JWT Verification Key
/// Validation", DID case; DID Core section 3.2):
/// - `kid` an absolute DID URL: used as is; if `iss` is present it must be that same DID
///   (a key of another DID would let anyone with a DID issue in this issuer's name, and an
///   `https` issuer cannot be tied to a DID key here);
/// - `kid` a `#fragment`: relative to the DID in `iss`;
/// - no `kid`, `iss` a `did:key` or `did:jwk`: their one key, `#<multibase>` / `#0`.
///
/// Anything else names no key and fails.
fn verification_method(jws: &CompactJws) -> Result<String, KeyResolutionError> {
    let is_did = |s: &str| s.starts_with("did:") && !s.contains(['#', '?', '/']);
    let iss = match jws.payload().get("iss") {
        None => None,
        Some(Value::String(iss)) => Some(iss.as_str()),
        Some(_) => return Err(KeyResolutionError::InvalidId),
    };
    let vm = match (jws.header().get("kid"), iss) {
        (Some(Value::String(kid)), Some(iss)) if kid.starts_with('#') && is_did(iss) => {
            format!("{iss}{kid}")
        }
        (Some(Value::String(kid)), _) if kid.starts_with("did:") => kid.clone(),
        (None, Some(iss)) if is_did(iss) => {
            if let Some(key) = iss.strip_prefix("did:key:") {
                format!("{iss}#{key}")
            } else if iss.starts_with("did:jwk:") {
                format!("{iss}#0")
            } else {
                return Err(KeyResolutionError::InvalidId);
            }
        }
        _ => return Err(KeyResolutionError::InvalidId),
    };
    match vm.split_once('#') {
        Some((did, fragment))
            if is_did(did) && !fragment.is_empty() && iss.is_none_or(|iss| iss == did) =>
        {
            Ok(vm)
        }
        _ => Err(KeyResolutionError::InvalidId),
    }
}

/// A NumericDate claim (RFC 7519 section 2): absent, or a JSON number.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, Failure> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| fail(FailureCode::InvalidTimeClaim, "time claim is not a number")),
        Some(_) => Err(fail(
            FailureCode::InvalidTimeClaim,
            "time claim is not a NumericDate",
        )),
    }
}

/// `now` in seconds, with its fraction: NumericDate values may be fractional (RFC 7519
/// section 2), and whole seconds would keep an `exp` of `t + 0.5` valid until `t + 1`.
fn seconds(now: DateTime<Utc>) -> f64 {
    now.timestamp() as f64 + f64::from(now.timestamp_subsec_nanos()) / 1e9
}

/// `exp`, `nbf` and `iat` (RFC 7519 sections 4.1.4-4.1.6).
fn validity(claims: &Map<String, Value>, options: &VerifyOptions) -> Result<(), Failure> {
    let now = seconds(options.now);
    let skew = options.clock_skew.num_seconds() as f64;
    let exp = numeric_date(claims, "exp")?;
    let nbf = numeric_date(claims, "nbf")?;
    let iat = numeric_date(claims, "iat")?;
    if exp.is_some_and(|exp| now >= exp + skew) {
        return Err(fail(FailureCode::Expired, "exp has passed"));
    }
    if nbf.is_some_and(|nbf| now + skew < nbf) {
        return Err(fail(FailureCode::NotYetValid, "nbf is in the future"));
    }
    if iat.is_some_and(|iat| iat > now + skew) {
        return Err(fail(FailureCode::IssuedInFuture, "iat is in the future"));
    }
    Ok(())
}

/// RFC 9901 section 7.1 step 3: replaces digests by the claims they reference, recursively,
/// enforcing every rule of that step; then every disclosure must have been used.
fn process(
    encoded: &[&str],
    payload: &Map<String, Value>,
    alg: HashAlg,
    never_disclosable: &[&str],
) -> Result<Map<String, Value>, Failure> {
    let mut disclosures = Vec::with_capacity(encoded.len());
    let mut by_digest = HashMap::with_capacity(encoded.len());
    for (index, text) in encoded.iter().enumerate() {
        let disclosure = Disclosure::parse(text).map_err(|_| {
            fail(
                FailureCode::DisclosureMalformed,
                "disclosure is not base64url of a 2- or 3-element JSON array",
            )
        })?;
        // Step 3.1: the digest over the disclosure as received.
        if by_digest.insert(disclosure.digest(alg), index).is_some() {
            return Err(fail(
                FailureCode::DisclosureDuplicate,
                "a disclosure is repeated",
            ));
        }
        disclosures.push(disclosure);
    }
    let mut processor = Processor {
        used: vec![false; disclosures.len()],
        disclosures: &disclosures,
        by_digest,
        seen: HashSet::new(),
        never_disclosable,
        depth: 0,
    };
    let claims = processor.object(payload, true)?;
    // Step 3.5: every disclosure must be referenced, directly or through other disclosures.
    // A tampered disclosure has a digest nothing references, so it lands here.
    if processor.used.iter().any(|used| !used) {
        return Err(fail(
            FailureCode::DisclosureUnreferenced,
            "a disclosure is not referenced by any digest",
        ));
    }
    Ok(claims)
}

struct Processor<'a> {
    disclosures: &'a [Disclosure],
    by_digest: HashMap<String, usize>,
    used: Vec<bool>,
    seen: HashSet<String>,
    never_disclosable: &'a [&'a str],
    depth: usize,
}

impl Processor<'_> {
    fn lookup(&mut self, digest: &str) -> Result<Option<usize>, Failure> {
        // Step 3.4: a digest may appear only once in the whole structure.
        if !self.seen.insert(digest.to_owned()) {
            return Err(fail(
                FailureCode::DigestDuplicate,
                "a digest appears more than once",
            ));
        }
        let found = self.by_digest.get(digest).copied();
        if let Some(index) = found {
            self.used[index] = true;
        }
        Ok(found)
    }

    fn value(&mut self, value: &Value) -> Result<Value, Failure> {
        if self.depth >= MAX_NESTING_DEPTH {
            return Err(fail(FailureCode::Malformed, "claims nest too deeply"));
        }
        self.depth += 1;
        let processed = match value {
            Value::Object(map) => self.object(map, false).map(Value::Object),
            Value::Array(items) => self.array(items).map(Value::Array),
            other => Ok(other.clone()),
        };
        self.depth -= 1;
        processed
    }

    fn object(
        &mut self,
        map: &Map<String, Value>,
        top: bool,
    ) -> Result<Map<String, Value>, Failure> {
        let mut out = Map::new();
        for (name, value) in map {
            // Step 3.3: `_sd` goes, and `_sd_alg` at the top level.
            if name == SD_CLAIM || (top && name == SD_ALG_CLAIM) {
                continue;
            }
            if name == "..." {
                return Err(fail(
                    FailureCode::Malformed,
                    "a '...' member outside an array element digest",
                ));
            }
            let processed = self.value(value)?;
            out.insert(name.clone(), processed);
        }
        let digests = match map.get(SD_CLAIM) {
            None => return Ok(out),
            Some(Value::Array(digests)) => digests,
            Some(_) => return Err(fail(FailureCode::Malformed, "_sd is not an array")),
        };
        for digest in digests {
            let digest = digest
                .as_str()
                .ok_or_else(|| fail(FailureCode::Malformed, "an _sd digest is not a string"))?;
            // Step 3.2.2: no matching disclosure means a decoy or an undisclosed claim.
            let Some(index) = self.lookup(digest)? else {
                continue;
            };
            let disclosure = &self.disclosures[index];
            // Step 3.2.2.1: an `_sd` digest references a 3-element disclosure.
            let name = disclosure.claim_name().ok_or_else(|| {
                fail(
                    FailureCode::DisclosureMalformed,
                    "an _sd digest references an array-element disclosure",
                )
            })?;
            // Step 3.2.2.2: `_sd` and `...` are not claim names.
            if RESERVED_CLAIM_NAMES.contains(&name) {
                return Err(fail(
                    FailureCode::ReservedClaimName,
                    "a disclosure uses a reserved claim name",
                ));
            }
            // SD-JWT VC: these claims are never selectively disclosed.
            if top && self.never_disclosable.contains(&name) {
                return Err(fail(
                    FailureCode::NonDisclosableClaim,
                    "a claim that must not be selectively disclosed is",
                ));
            }
            // Step 3.2.2.3: a disclosed claim never replaces one already present.
            if out.contains_key(name) {
                return Err(fail(
                    FailureCode::ClaimOverwrite,
                    "a disclosure would overwrite an existing claim",
                ));
            }
            let name = name.to_owned();
            let value = self.value(disclosure.value())?;
            out.insert(name, value);
        }
        Ok(out)
    }

    fn array(&mut self, items: &[Value]) -> Result<Vec<Value>, Failure> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let digest = array_element_digest(item)
                .map_err(|_| fail(FailureCode::Malformed, "malformed array element digest"))?;
            match digest {
                None => out.push(self.value(item)?),
                Some(digest) => {
                    // Step 3.2.3: no match means the element is removed (decoy or withheld).
                    let Some(index) = self.lookup(digest)? else {
                        continue;
                    };
                    let disclosure = &self.disclosures[index];
                    // Step 3.2.3.1: an array digest references a 2-element disclosure.
                    if disclosure.claim_name().is_some() {
                        return Err(fail(
                            FailureCode::DisclosureMalformed,
                            "an array digest references an object-property disclosure",
                        ));
                    }
                    let value = self.value(disclosure.value())?;
                    out.push(value);
                }
            }
        }
        Ok(out)
    }
}

/// RFC 9901 section 7.3 step 5: the Key Binding JWT. Records its checks; true if all passed.
fn key_binding(
    report: &mut VerificationReport,
    kb: &str,
    presented: &str,
    holder_key: Option<&PublicKey>,
    hash_alg: HashAlg,
    policy: &KeyBindingPolicy,
    options: &VerifyOptions,
) -> bool {
    let before = report.failure_codes().len();
    let jws = match CompactJws::parse(kb) {
        Ok(jws) => jws,
        Err(JwsError::AlgorithmNotAllowed) => {
            report.fail(
                Check::KeyBinding,
                FailureCode::AlgorithmNotAllowed,
                "KB-JWT alg is not allowed",
            );
            return false;
        }
        Err(_) => {
            report.fail(
                Check::KeyBinding,
                FailureCode::KeyBindingInvalid,
                "KB-JWT is not a compact JWS",
            );
            return false;
        }
    };
    // Step 5.4: `typ` is `kb+jwt`.
    report.record(
        Check::KeyBinding,
        if jws.typ().is_some_and(|typ| media_type_eq(typ, KB_JWT_TYP)) {
            Ok(())
        } else {
            Err(fail(
                FailureCode::KeyBindingInvalid,
                "KB-JWT typ is not kb+jwt",
            ))
        },
    );
    // Steps 5.1-5.3: an allow-listed algorithm and a signature by the `cnf` key.
    if !options.algorithms.contains(&jws.algorithm()) {
        report.fail(
            Check::KeyBinding,
            FailureCode::AlgorithmNotAllowed,
            "KB-JWT alg is not allowed",
        );
    } else {
        match holder_key {
            None => report.fail(
                Check::KeyBinding,
                FailureCode::HolderKeyInvalid,
                "no cnf.jwk to verify the KB-JWT with",
            ),
            Some(key) => report.record(
                Check::KeyBinding,
                jws.verify(key, &options.algorithms).map_err(|_| {
                    fail(
                        FailureCode::KeyBindingSignatureInvalid,
                        "KB-JWT is not signed by the cnf key",
                    )
                }),
            ),
        }
    }
    let payload = jws.payload();
    // Step 5.5: `iat` within the window (and RFC 7519 time claims if present, step 5.8).
    report.record(Check::KeyBinding, key_binding_times(payload, options));
    // Step 5.6: `nonce` and `aud`.
    let nonce = payload.get("nonce").and_then(Value::as_str);
    let aud = payload.get("aud").and_then(Value::as_str);
    let (expected_aud, expected_nonce) = match policy {
        KeyBindingPolicy::Required { audience, nonce } => (Some(audience), Some(nonce)),
        KeyBindingPolicy::NotRequired => (None, None),
    };
    report.record(
        Check::Nonce,
        match (nonce, expected_nonce) {
            (Some(got), Some(want)) if got == want => Ok(()),
            (Some(_), None) => Ok(()),
            _ => Err(fail(
                FailureCode::NonceMismatch,
                "KB-JWT nonce is not the expected one",
            )),
        },
    );
    report.record(
        Check::Audience,
        match (aud, expected_aud) {
            (Some(got), Some(want)) if got == want => Ok(()),
            (Some(_), None) => Ok(()),
            _ => Err(fail(
                FailureCode::AudienceMismatch,
                "KB-JWT aud is not this verifier",
            )),
        },
    );
    // Step 5.7 / section 4.3.1: `sd_hash` over the exact presented string up to the last `~`.
    let expected_hash = hash_alg.encoded_digest(presented);
    report.record(
        Check::SdHash,
        match payload.get("sd_hash").and_then(Value::as_str) {
            Some(got) if got == expected_hash => Ok(()),
            _ => Err(fail(
                FailureCode::SdHashMismatch,
                "sd_hash does not match the presented SD-JWT",
            )),
        },
    );
    report.failure_codes().len() == before
}

fn key_binding_times(payload: &Map<String, Value>, options: &VerifyOptions) -> Result<(), Failure> {
    let now = seconds(options.now);
    let skew = options.clock_skew.num_seconds() as f64;
    let max_age = options.key_binding_max_age.num_seconds() as f64;
    let iat = numeric_date(payload, "iat")?
        .ok_or_else(|| fail(FailureCode::InvalidTimeClaim, "KB-JWT iat is missing"))?;
    if iat > now + skew || iat < now - max_age - skew {
        return Err(fail(
            FailureCode::KeyBindingStale,
            "KB-JWT iat is outside the acceptance window",
        ));
    }
    if numeric_date(payload, "exp")?.is_some_and(|exp| now >= exp + skew) {
        return Err(fail(FailureCode::KeyBindingStale, "KB-JWT exp has passed"));
    }
    if numeric_date(payload, "nbf")?.is_some_and(|nbf| now + skew < nbf) {
        return Err(fail(
            FailureCode::KeyBindingStale,
            "KB-JWT nbf is in the future",
        ));
    }
    Ok(())
}
