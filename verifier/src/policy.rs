//! What a relying party accepts. Every field is enforced by the pipeline; there is no way to
//! switch a check off, only to say what passes it.

use chrono::TimeDelta;
use credentials::data_integrity::Cryptosuite;
use credentials::jose::Algorithm;
use credentials::oid4vp::{ClaimPath, FORMAT_LDP_VC, FORMAT_SD_JWT_VC};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A credential format this verifier can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// SD-JWT VC with a Key Binding JWT (`dc+sd-jwt`).
    #[serde(rename = "dc+sd-jwt")]
    SdJwtVc,
    /// VC 2.0 secured with Data Integrity, presented in a Data Integrity presentation
    /// (`ldp_vc`).
    #[serde(rename = "ldp_vc")]
    LdpVc,
}

impl Format {
    /// The OpenID4VP format identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::SdJwtVc => FORMAT_SD_JWT_VC,
            Format::LdpVc => FORMAT_LDP_VC,
        }
    }

    /// Parses an OpenID4VP format identifier.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            FORMAT_SD_JWT_VC => Some(Format::SdJwtVc),
            FORMAT_LDP_VC => Some(Format::LdpVc),
            _ => None,
        }
    }
}

/// A claim the relying party requires, optionally with the one value it accepts
/// (`age_over_21 == true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredClaim {
    /// Where the claim is: in the SD-JWT VC processed payload, or in `credentialSubject` of a
    /// Data Integrity credential.
    pub path: ClaimPath,
    /// The value it must have, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
}

/// The relying party's acceptance rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Accepted credential formats.
    #[serde(default = "default_formats")]
    pub formats: Vec<Format>,
    /// Accepted JWS algorithms (issuer JWT, KB-JWT, status list token), by name.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Accepted Data Integrity cryptosuites, by name.
    #[serde(default = "default_cryptosuites")]
    pub cryptosuites: Vec<String>,
    /// The issuers (DIDs) whose credentials are accepted. Empty: none is.
    pub trusted_issuers: Vec<String>,
    /// Claims that must be present (and have the given value).
    #[serde(default)]
    pub required_claims: Vec<RequiredClaim>,
    /// The oldest credential accepted, in seconds since its issuance (`iat` / `validFrom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_credential_age_secs: Option<u64>,
    /// Whether the presenter must prove possession of the credential's holder key (KB-JWT,
    /// or a presentation proof by the credential subject).
    #[serde(default = "default_true")]
    pub holder_binding_required: bool,
    /// How old a KB-JWT's `iat` / a presentation proof's `created` may be, in seconds.
    #[serde(default = "default_kb_age")]
    pub key_binding_max_age_secs: u64,
}

fn default_true() -> bool {
    true
}
fn default_kb_age() -> u64 {
    300
}
fn default_formats() -> Vec<Format> {
    vec![Format::SdJwtVc, Format::LdpVc]
}
fn default_algorithms() -> Vec<String> {
    vec!["EdDSA".into(), "ES256".into()]
}
fn default_cryptosuites() -> Vec<String> {
    vec!["eddsa-rdfc-2022".into(), "eddsa-jcs-2022".into()]
}

/// Why a policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// An algorithm name is not one this verifier implements (`none` and HMAC never are).
    #[error("unknown or unsupported algorithm")]
    UnknownAlgorithm,
    /// A cryptosuite name is not one this verifier implements.
    #[error("unknown or unsupported cryptosuite")]
    UnknownCryptosuite,
    /// A list that must not be empty is (formats, algorithms, trusted issuers).
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A trusted issuer is not a DID.
    #[error("trusted issuers must be DIDs")]
    TrustedIssuerNotDid,
}

impl Policy {
    /// A policy with the defaults (both formats, EdDSA and ES256, both EdDSA cryptosuites,
    /// holder binding required, KB-JWT at most 5 minutes old) trusting `trusted_issuers`.
    pub fn trusting(trusted_issuers: Vec<String>) -> Self {
        Self {
            formats: default_formats(),
            algorithms: default_algorithms(),
            cryptosuites: default_cryptosuites(),
            trusted_issuers,
            required_claims: Vec::new(),
            max_credential_age_secs: None,
            holder_binding_required: true,
            key_binding_max_age_secs: default_kb_age(),
        }
    }

    /// Checks names and non-emptiness; the pipeline refuses to run with a policy that fails.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.formats.is_empty() {
            return Err(PolicyError::Empty("formats"));
        }
        if self.algorithms.is_empty() {
            return Err(PolicyError::Empty("algorithms"));
        }
        if self.trusted_issuers.is_empty() {
            return Err(PolicyError::Empty("trusted_issuers"));
        }
        if self.trusted_issuers.iter().any(|d| !d.starts_with("did:")) {
            return Err(PolicyError::TrustedIssuerNotDid);
        }
        self.jws_algorithms()?;
        self.suites()?;
        Ok(())
    }

    /// The allowed JWS algorithms.
    pub fn jws_algorithms(&self) -> Result<Vec<Algorithm>, PolicyError> {
        self.algorithms
            .iter()
            .map(|a| Algorithm::from_name(a).ok_or(PolicyError::UnknownAlgorithm))
            .collect()
    }

    /// The allowed cryptosuites.
    pub fn suites(&self) -> Result<Vec<Cryptosuite>, PolicyError> {
        self.cryptosuites
            .iter()
            .map(|c| Cryptosuite::from_name(c).ok_or(PolicyError::UnknownCryptosuite))
            .collect()
    }

    /// The maximum credential age, if limited.
    pub fn max_credential_age(&self) -> Option<TimeDelta> {
        self.max_credential_age_secs
            .and_then(|s| i64::try_from(s).ok())
            .map(TimeDelta::seconds)
    }

    /// Whether `issuer` is trusted (exact string comparison of DIDs).
    pub fn trusts(&self, issuer: &str) -> bool {
        self.trusted_issuers.iter().any(|t| t == issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_algorithms_and_empty_trust_lists_are_refused() {
        let mut p = Policy::trusting(vec!["did:key:z6Mk".into()]);
        assert_eq!(p.validate(), Ok(()));
        p.algorithms.push("none".into());
        assert_eq!(p.validate(), Err(PolicyError::UnknownAlgorithm));
        let mut p = Policy::trusting(vec![]);
        assert_eq!(p.validate(), Err(PolicyError::Empty("trusted_issuers")));
        p.trusted_issuers = vec!["https://issuer.example".into()];
        assert_eq!(p.validate(), Err(PolicyError::TrustedIssuerNotDid));
        let mut p = Policy::trusting(vec!["did:key:z6Mk".into()]);
        p.cryptosuites = vec!["ecdsa-rdfc-2019".into()];
        assert_eq!(p.validate(), Err(PolicyError::UnknownCryptosuite));
    }

    #[test]
    fn policy_json_defaults_require_holder_binding() {
        let p: Policy = serde_json::from_value(json!({
            "trusted_issuers": ["did:key:z6Mk"],
            "required_claims": [{"path": ["age_over_21"], "equals": true}]
        }))
        .unwrap();
        assert!(p.holder_binding_required);
        assert_eq!(p.formats, vec![Format::SdJwtVc, Format::LdpVc]);
        assert!(serde_json::from_value::<Policy>(json!({"trusted_issuers": [], "x": 1})).is_err());
    }
}
