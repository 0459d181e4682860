//! Verification reports.
//!
//! A verifier records every check it carries out. A report is *verified* only if at least one
//! check ran and none failed. Failure codes are stable strings (`signature_invalid`,
//! `expired`, ...) that APIs expose and clients match on; their details never carry claim
//! values or key material.

use serde::Serialize;

/// What was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// The structure parsed into the expected form.
    Structure,
    /// Header `typ` and other media-type markers.
    MediaType,
    /// Algorithm or cryptosuite allow-list.
    Algorithm,
    /// The issuer's (or holder's) signature.
    Signature,
    /// The verification method and its relationship in the controller's DID document.
    VerificationMethod,
    /// The validity period (`validFrom`/`validUntil`, `nbf`/`exp`, `iat`).
    ValidityPeriod,
    /// The `@context` values.
    Context,
    /// The `type` values.
    Type,
    /// The issuer identifier.
    Issuer,
    /// The credential subjects.
    Subject,
    /// The selective-disclosure digests and disclosures.
    Disclosures,
    /// Presence and signature of the key binding.
    KeyBinding,
    /// The key binding's or presentation proof's nonce / challenge.
    Nonce,
    /// The key binding's audience / presentation proof's domain.
    Audience,
    /// The key binding's hash over the presented SD-JWT.
    SdHash,
    /// The proof's purpose.
    ProofPurpose,
    /// The `credentialStatus` / `status` entry.
    Status,
    /// That the presenter is the credential's holder.
    HolderBinding,
    /// That the issuer is trusted by policy.
    TrustedIssuer,
    /// Policy requirements on claims.
    RequiredClaims,
}

/// Why a check failed. The `snake_case` names are the stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureCode {
    /// The input did not have the required structure.
    Malformed,
    /// `typ` is missing or wrong.
    TypMismatch,
    /// The algorithm or cryptosuite is not allowed.
    AlgorithmNotAllowed,
    /// The signature does not verify.
    SignatureInvalid,
    /// The verification method is unknown, of the wrong type, or not authorized for the
    /// proof's purpose.
    VerificationMethodInvalid,
    /// Past `validUntil` / `exp`.
    Expired,
    /// Before `validFrom` / `nbf`.
    NotYetValid,
    /// `iat` / `created` lies in the future.
    IssuedInFuture,
    /// A time claim has the wrong type or format.
    InvalidTimeClaim,
    /// `@context` is missing, misordered or not on the allow-list.
    ContextInvalid,
    /// `type` lacks the required value.
    TypeInvalid,
    /// `issuer` missing or not a URL.
    IssuerInvalid,
    /// `credentialSubject` missing or malformed.
    SubjectInvalid,
    /// `_sd_alg` is not supported.
    SdAlgUnsupported,
    /// A disclosure is not referenced by any digest.
    DisclosureUnreferenced,
    /// The same disclosure appears twice.
    DisclosureDuplicate,
    /// A disclosure is not valid base64url JSON of the right shape.
    DisclosureMalformed,
    /// A digest appears more than once.
    DigestDuplicate,
    /// A disclosure uses a reserved claim name (`_sd`, `...`).
    ReservedClaimName,
    /// A disclosure would overwrite a claim already present.
    ClaimOverwrite,
    /// A claim that must never be selectively disclosable (SD-JWT VC: `iss`, `vct`, `cnf`,
    /// `status`, ...) was disclosed through a disclosure.
    NonDisclosableClaim,
    /// A key binding JWT was required but is missing.
    KeyBindingMissing,
    /// The key binding JWT is malformed or of the wrong `typ`.
    KeyBindingInvalid,
    /// The key binding JWT is not signed by the `cnf` key.
    KeyBindingSignatureInvalid,
    /// The key binding `iat` is outside the acceptance window.
    KeyBindingStale,
    /// `nonce` / `challenge` differs from the one issued.
    NonceMismatch,
    /// `aud` / `domain` differs from the verifier's.
    AudienceMismatch,
    /// `sd_hash` does not match the presented SD-JWT.
    SdHashMismatch,
    /// The holder key (`cnf`) is missing or unusable.
    HolderKeyInvalid,
    /// `proofPurpose` does not fit the use.
    ProofPurposeMismatch,
    /// The credential is revoked.
    Revoked,
    /// The credential is suspended.
    Suspended,
    /// The status could not be determined (unreachable, unsigned, malformed, out of range).
    StatusUnavailable,
    /// The presenter is not the credential's holder.
    HolderMismatch,
    /// The proof's verification method is not controlled by the credential's issuer.
    IssuerMismatch,
    /// The issuer is not on the trusted list.
    UntrustedIssuer,
    /// A required claim is missing or has the wrong value.
    RequiredClaimMissing,
    /// The credential format is not accepted by the verifier's policy, or does not match
    /// the format requested for that credential.
    FormatNotAccepted,
    /// The credential was issued longer ago than the policy's maximum credential age.
    CredentialTooOld,
}

impl FailureCode {
    /// The stable code string.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::Malformed => "malformed",
            FailureCode::TypMismatch => "typ_mismatch",
            FailureCode::AlgorithmNotAllowed => "algorithm_not_allowed",
            FailureCode::SignatureInvalid => "signature_invalid",
            FailureCode::VerificationMethodInvalid => "verification_method_invalid",
            FailureCode::Expired => "expired",
            FailureCode::NotYetValid => "not_yet_valid",
            FailureCode::IssuedInFuture => "issued_in_future",
            FailureCode::InvalidTimeClaim => "invalid_time_claim",
            FailureCode::ContextInvalid => "context_invalid",
            FailureCode::TypeInvalid => "type_invalid",
            FailureCode::IssuerInvalid => "issuer_invalid",
            FailureCode::SubjectInvalid => "subject_invalid",
            FailureCode::SdAlgUnsupported => "sd_alg_unsupported",
            FailureCode::DisclosureUnreferenced => "disclosure_unreferenced",
            FailureCode::DisclosureDuplicate => "disclosure_duplicate",
            FailureCode::DisclosureMalformed => "disclosure_malformed",
            FailureCode::DigestDuplicate => "digest_duplicate",
            FailureCode::ReservedClaimName => "reserved_claim_name",
            FailureCode::ClaimOverwrite => "claim_overwrite",
            FailureCode::NonDisclosableClaim => "non_disclosable_claim",
            FailureCode::KeyBindingMissing => "key_binding_missing",
            FailureCode::KeyBindingInvalid => "key_binding_invalid",
            FailureCode::KeyBindingSignatureInvalid => "key_binding_signature_invalid",
            FailureCode::KeyBindingStale => "key_binding_stale",
            FailureCode::NonceMismatch => "nonce_mismatch",
            FailureCode::AudienceMismatch => "audience_mismatch",
            FailureCode::SdHashMismatch => "sd_hash_mismatch",
            FailureCode::HolderKeyInvalid => "holder_key_invalid",
            FailureCode::ProofPurposeMismatch => "proof_purpose_mismatch",
            FailureCode::Revoked => "revoked",
            FailureCode::Suspended => "suspended",
            FailureCode::StatusUnavailable => "status_unavailable",
            FailureCode::HolderMismatch => "holder_mismatch",
            FailureCode::IssuerMismatch => "issuer_mismatch",
            FailureCode::UntrustedIssuer => "untrusted_issuer",
            FailureCode::RequiredClaimMissing => "required_claim_missing",
            FailureCode::FormatNotAccepted => "format_not_accepted",
            FailureCode::CredentialTooOld => "credential_too_old",
        }
    }
}

impl std::fmt::Display for FailureCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// What was checked.
    pub check: Check,
    /// `None` if it passed; the failure code otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureCode>,
    /// A short explanation of a failure. Never holds claim values or key material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Every check carried out, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerificationReport {
    checks: Vec<CheckResult>,
}

impl VerificationReport {
    /// An empty report (not verified: nothing was checked).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a passed check.
    pub fn pass(&mut self, check: Check) {
        self.checks.push(CheckResult {
            check,
            failure: None,
            detail: None,
        });
    }

    /// Records a failed check.
    pub fn fail(&mut self, check: Check, code: FailureCode, detail: impl Into<String>) {
        self.checks.push(CheckResult {
            check,
            failure: Some(code),
            detail: Some(detail.into()),
        });
    }

    /// Records `check` as passed when `result` is `Ok`, failed with its code otherwise.
    pub fn record(&mut self, check: Check, result: Result<(), (FailureCode, String)>) {
        match result {
            Ok(()) => self.pass(check),
            Err((code, detail)) => self.fail(check, code, detail),
        }
    }

    /// Appends another report's checks.
    pub fn extend(&mut self, other: VerificationReport) {
        self.checks.extend(other.checks);
    }

    /// True if at least one check ran and none failed.
    pub fn is_verified(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.failure.is_none())
    }

    /// All checks in order.
    pub fn checks(&self) -> &[CheckResult] {
        &self.checks
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.failure.is_some())
    }

    /// The failure codes, in order.
    pub fn failure_codes(&self) -> Vec<FailureCode> {
        self.checks.iter().filter_map(|c| c.failure).collect()
    }

    /// True if a check failed with `code`.
    pub fn has_failure(&self, code: FailureCode) -> bool {
        self.checks.iter().any(|c| c.failure == Some(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_report_is_not_verified() {
        assert!(!VerificationReport::new().is_verified());
    }

    #[test]
    fn one_failure_makes_it_unverified() {
        let mut r = VerificationReport::new();
        r.pass(Check::Signature);
        assert!(r.is_verified());
        r.fail(
            Check::ValidityPeriod,
            FailureCode::Expired,
            "validUntil passed",
        );
        assert!(!r.is_verified());
        assert_eq!(r.failure_codes(), vec![FailureCode::Expired]);
    }

    #[test]
    fn codes_serialize_as_their_stable_strings() {
        for code in [
            FailureCode::SignatureInvalid,
            FailureCode::NotYetValid,
            FailureCode::DisclosureUnreferenced,
            FailureCode::StatusUnavailable,
            FailureCode::KeyBindingSignatureInvalid,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_owned())
            );
        }
    }
}
