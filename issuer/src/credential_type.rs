//! Credential types: what a credential contains, which claims are selectively disclosable,
//! how long it is valid, and in which formats it is issued. Each (type, format) pair is one
//! OpenID4VCI credential configuration, `<type id>_sd_jwt` or `<type id>_ldp_vc`.
//!
//! Claims given for an offer are validated against the type here, before anything is stored:
//! unknown claims, missing required claims and values of the wrong kind are refused.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The built-in proof-of-age / identity type id.
pub const PROOF_OF_AGE: &str = "proof_of_age";

/// The value kind of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// A non-empty string of at most 256 characters.
    String,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// An integer.
    Integer,
    /// A boolean.
    Boolean,
}

/// One claim of a type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// Claim name (`[a-z][a-z0-9_]{0,63}`).
    pub name: String,
    /// Value kind.
    pub kind: ClaimKind,
    /// Whether an offer must carry it.
    #[serde(default)]
    pub required: bool,
    /// Whether it is selectively disclosable in `dc+sd-jwt`.
    #[serde(default = "yes")]
    pub selectively_disclosable: bool,
    /// Display name for wallets.
    #[serde(default)]
    pub display_name: Option<String>,
}

fn yes() -> bool {
    true
}

/// A Data Integrity cryptosuite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cryptosuite {
    /// RDF Dataset Canonicalization + Ed25519.
    #[serde(rename = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
    /// JCS (RFC 8785) + Ed25519.
    #[serde(rename = "eddsa-jcs-2022")]
    EddsaJcs2022,
}

impl Cryptosuite {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Cryptosuite::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Cryptosuite::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }

    /// Parses a registered name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "eddsa-rdfc-2022" => Some(Cryptosuite::EddsaRdfc2022),
            "eddsa-jcs-2022" => Some(Cryptosuite::EddsaJcs2022),
            _ => None,
        }
    }
}

/// A format a type is issued in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", deny_unknown_fields)]
pub enum FormatSpec {
    /// SD-JWT VC.
    #[serde(rename = "dc+sd-jwt")]
    SdJwt,
    /// W3C VC 2.0 with a Data Integrity proof. The eddsa suites cannot disclose selectively,
    /// so `claims` lists the (non-identifying) claims this format carries; `None` means all.
    #[serde(rename = "ldp_vc")]
    LdpVc {
        /// The cryptosuite.
        cryptosuite: Cryptosuite,
        /// The claims carried in `credentialSubject`, if not all.
        #[serde(default)]
        claims: Option<Vec<String>>,
    },
}

impl FormatSpec {
    /// The OpenID4VCI format identifier.
    pub fn format(&self) -> &'static str {
        match self {
            FormatSpec::SdJwt => "dc+sd-jwt",
            FormatSpec::LdpVc { .. } => "ldp_vc",
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            FormatSpec::SdJwt => "sd_jwt",
            FormatSpec::LdpVc { .. } => "ldp_vc",
        }
    }
}

/// A credential type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialType {
    /// Id (`[a-z][a-z0-9_]{0,47}`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The SD-JWT VC `vct`. Defaults to `<public url>/vct/<id>` when empty.
    #[serde(default)]
    pub vct: String,
    /// The VC 2.0 type besides `VerifiableCredential` (e.g. `ProofOfAgeCredential`).
    pub vc_type: String,
    /// The claims.
    pub claims: Vec<ClaimSpec>,
    /// `age_over_NN` thresholds derived from the `birth_date` claim at issuance, each a
    /// separately disclosable boolean.
    #[serde(default)]
    pub age_over: Vec<u8>,
    /// Validity in days from issuance.
    pub validity_days: u32,
    /// The formats.
    pub formats: Vec<FormatSpec>,
}

/// Why a credential type or a claim set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeError {
    /// The type definition is invalid.
    #[error("invalid credential type: {0}")]
    InvalidType(&'static str),
    /// The claims do not fit the type.
    #[error("invalid claims: {0}")]
    InvalidClaims(String),
}

fn valid_name(name: &str, max: usize) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= max
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Claim names that the SD-JWT VC and JWT layer set or reserve.
const RESERVED: [&str; 13] = [
    "iss", "iat", "nbf", "exp", "cnf", "vct", "status", "sub", "jti", "aud", "_sd", "_sd_alg", "id",
];

impl CredentialType {
    /// Checks the definition.
    pub fn validate(&self) -> Result<(), TypeError> {
        if !valid_name(&self.id, 48) {
            return Err(TypeError::InvalidType("id must match [a-z][a-z0-9_]{0,47}"));
        }
        if self.name.trim().is_empty() || self.name.len() > 128 {
            return Err(TypeError::InvalidType("name must be 1-128 characters"));
        }
        let vc_type_ok = !self.vc_type.is_empty()
            && self.vc_type.len() <= 64
            && self.vc_type.chars().all(|c| c.is_ascii_alphanumeric())
            && self.vc_type != "VerifiableCredential";
        if !vc_type_ok {
            return Err(TypeError::InvalidType(
                "vc_type must be an alphanumeric type name",
            ));
        }
        if !(1..=3650).contains(&self.validity_days) {
            return Err(TypeError::InvalidType("validity_days must be 1-3650"));
        }
        if self.claims.is_empty() || self.claims.len() > 64 {
            return Err(TypeError::InvalidType("a type has 1-64 claims"));
        }
        let mut names = std::collections::HashSet::new();
        for c in &self.claims {
            if !valid_name(&c.name, 64) || RESERVED.contains(&c.name.as_str()) {
                return Err(TypeError::InvalidType(
                    "claim names must be [a-z][a-z0-9_]* and not reserved",
                ));
            }
            if c.name.starts_with("age_over_") {
                return Err(TypeError::InvalidType(
                    "age_over_NN claims are derived, not given",
                ));
            }
            if !names.insert(c.name.as_str()) {
                return Err(TypeError::InvalidType("duplicate claim name"));
            }
        }
        if !self.age_over.is_empty() {
            let birth = self.claims.iter().find(|c| c.name == "birth_date");
            if !birth.is_some_and(|c| c.kind == ClaimKind::Date && c.required) {
                return Err(TypeError::InvalidType(
                    "age_over needs a required claim birth_date of kind date",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            if self
                .age_over
                .iter()
                .any(|a| !(1..=99).contains(a) || !seen.insert(*a))
            {
                return Err(TypeError::InvalidType(
                    "age_over thresholds must be distinct, 1-99",
                ));
            }
        }
        if self.formats.is_empty() {
            return Err(TypeError::InvalidType("at least one format"));
        }
        let mut slugs = std::collections::HashSet::new();
        for f in &self.formats {
            if !slugs.insert(f.slug()) {
                return Err(TypeError::InvalidType("each format at most once"));
            }
            if let FormatSpec::LdpVc {
                claims: Some(list), ..
            } = f
            {
                let derived = self.derived_claim_names();
                if list.is_empty()
                    || list
                        .iter()
                        .any(|n| !names.contains(n.as_str()) && !derived.contains(n))
                {
                    return Err(TypeError::InvalidType(
                        "ldp_vc claims must name claims of the type",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The derived `age_over_NN` names.
    pub fn derived_claim_names(&self) -> Vec<String> {
        self.age_over
            .iter()
            .map(|&a| credentials::age::age_over_claim_name(a))
            .collect()
    }

    /// The configuration id of a format of this type.
    pub fn configuration_id(&self, format: &FormatSpec) -> String {
        format!("{}_{}", self.id, format.slug())
    }

    /// The format of a configuration id, if it belongs to this type.
    pub fn format_of(&self, configuration_id: &str) -> Option<&FormatSpec> {
        self.formats
            .iter()
            .find(|f| self.configuration_id(f) == configuration_id)
    }

    /// Validates the claims of an offer: every given claim is declared and of its kind, every
    /// required claim is present.
    pub fn check_claims(&self, claims: &Map<String, Value>) -> Result<(), TypeError> {
        for (name, value) in claims {
            let Some(spec) = self.claims.iter().find(|c| &c.name == name) else {
                return Err(TypeError::InvalidClaims(format!("unknown claim {name}")));
            };
            let ok = match spec.kind {
                ClaimKind::String => value
                    .as_str()
                    .is_some_and(|s| !s.trim().is_empty() && s.chars().count() <= 256),
                ClaimKind::Date => value.as_str().is_some_and(|s| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10
                }),
                ClaimKind::Integer => value.is_i64(),
                ClaimKind::Boolean => value.is_boolean(),
            };
            if !ok {
                return Err(TypeError::InvalidClaims(format!(
                    "claim {name} is not a valid {:?}",
                    spec.kind
                )));
            }
        }
        if let Some(missing) = self
            .claims
            .iter()
            .find(|c| c.required && !claims.contains_key(&c.name))
        {
            return Err(TypeError::InvalidClaims(format!(
                "missing required claim {}",
                missing.name
            )));
        }
        Ok(())
    }

    /// The built-in proof-of-age / identity type: given name, family name, birth date, and
    /// `age_over_18/21/65`, each separately disclosable; in `ldp_vc` only the `age_over_NN`
    /// attributes (about the holder's DID), since the eddsa suites cannot disclose selectively.
    pub fn proof_of_age() -> Self {
        let claim = |name: &str, kind, display: &str| ClaimSpec {
            name: name.into(),
            kind,
            required: true,
            selectively_disclosable: true,
            display_name: Some(display.into()),
        };
        let age_over = credentials::age::DEFAULT_AGE_THRESHOLDS.to_vec();
        let ldp_claims = age_over
            .iter()
            .map(|&a| credentials::age::age_over_claim_name(a))
            .collect();
        CredentialType {
            id: PROOF_OF_AGE.into(),
            name: "Proof of age".into(),
            vct: String::new(),
            vc_type: "ProofOfAgeCredential".into(),
            claims: vec![
                claim("given_name", ClaimKind::String, "Given name"),
                claim("family_name", ClaimKind::String, "Family name"),
                claim("birth_date", ClaimKind::Date, "Birth date"),
            ],
            age_over,
            validity_days: 365,
            formats: vec![
                FormatSpec::SdJwt,
                FormatSpec::LdpVc {
                    cryptosuite: Cryptosuite::EddsaRdfc2022,
                    claims: Some(ldp_claims),
                },
            ],
        }
    }

    /// The `vct` to use (the configured one or `<public url>/vct/<id>`).
    pub fn vct(&self, public_url: &str) -> String {
        if self.vct.is_empty() {
            format!("{}/vct/{}", public_url.trim_end_matches('/'), self.id)
        } else {
            self.vct.clone()
        }
    }

    /// SD-JWT VC Type Metadata for this type's `vct` (served at `/vct/<id>`): name, display and
    /// per-claim display and selective disclosability (`sd`: `always` or `never`).
    pub fn type_metadata(&self, public_url: &str) -> Value {
        let mut claims: Vec<Value> = self
            .claims
            .iter()
            .map(|c| {
                let mut m = json!({
                    "path": [c.name],
                    "sd": if c.selectively_disclosable { "always" } else { "never" },
                });
                if let Some(d) = &c.display_name {
                    m["display"] = json!([{ "locale": "en", "label": d }]);
                }
                m
            })
            .collect();
        for (threshold, name) in self.age_over.iter().zip(self.derived_claim_names()) {
            claims.push(json!({
                "path": [name],
                "sd": "always",
                "display": [{ "locale": "en", "label": format!("Age over {threshold}") }],
            }));
        }
        json!({
            "vct": self.vct(public_url),
            "name": self.name,
            "display": [{ "locale": "en", "name": self.name }],
            "claims": claims,
        })
    }

    /// OpenID4VCI `claims` description (section 12.2.4 / Appendix A) for wallet display.
    pub fn claims_metadata(&self, format: &FormatSpec) -> Vec<Value> {
        let carried = |name: &str| match format {
            FormatSpec::LdpVc {
                claims: Some(list), ..
            } => list.iter().any(|n| n == name),
            _ => true,
        };
        let prefix: Vec<Value> = match format {
            FormatSpec::SdJwt => vec![],
            FormatSpec::LdpVc { .. } => vec![json!("credentialSubject")],
        };
        let path = |name: &str| {
            let mut p = prefix.clone();
            p.push(json!(name));
            Value::Array(p)
        };
        let mut out: Vec<Value> = self
            .claims
            .iter()
            .filter(|c| carried(&c.name))
            .map(|c| {
                let mut m = json!({ "path": path(&c.name), "mandatory": c.required });
                if let Some(d) = &c.display_name {
                    m["display"] = json!([{ "name": d, "locale": "en" }]);
                }
                m
            })
            .collect();
        for name in self.derived_claim_names() {
            if carried(&name) {
                out.push(json!({ "path": path(&name), "mandatory": true }));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_of_age_is_valid_and_ldp_carries_only_age_attributes() {
        let t = CredentialType::proof_of_age();
        t.validate().unwrap();
        let ldp = t.format_of("proof_of_age_ldp_vc").unwrap();
        let paths: Vec<Value> = t
            .claims_metadata(ldp)
            .into_iter()
            .map(|c| c["path"].clone())
            .collect();
        assert_eq!(
            paths,
            vec![
                json!(["credentialSubject", "age_over_18"]),
                json!(["credentialSubject", "age_over_21"]),
                json!(["credentialSubject", "age_over_65"])
            ]
        );
        assert!(t.format_of("proof_of_age_sd_jwt").is_some());
        assert!(t.format_of("proof_of_age_mdoc").is_none());
    }

    #[test]
    fn claims_are_checked_against_the_type() {
        let t = CredentialType::proof_of_age();
        let ok = json!({"given_name":"A","family_name":"B","birth_date":"2000-01-31"});
        t.check_claims(ok.as_object().unwrap()).unwrap();
        for bad in [
            json!({"given_name":"A","family_name":"B"}),
            json!({"given_name":"A","family_name":"B","birth_date":"2000-02-30"}),
            json!({"given_name":"A","family_name":"B","birth_date":"31.01.2000"}),
            json!({"given_name":1,"family_name":"B","birth_date":"2000-01-31"}),
            json!({"given_name":"A","family_name":"B","birth_date":"2000-01-31","x":"y"}),
            json!({"given_name":"  ","family_name":"B","birth_date":"2000-01-31"}),
        ] {
            assert!(t.check_claims(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_definitions_are_refused() {
        let base = CredentialType::proof_of_age();
        let mut t = base.clone();
        t.id = "Bad-Id".into();
        assert!(t.validate().is_err());
        let mut t = base.clone();
        t.claims.push(t.claims[0].clone());
        assert!(t.validate().is_err());
        let mut t = base.clone();
        t.claims[0].name = "iss".into();
        assert!(t.validate().is_err());
        let mut t = base.clone();
        t.claims.retain(|c| c.name != "birth_date");
        assert!(t.validate().is_err(), "age_over without birth_date");
        let mut t = base.clone();
        t.formats.push(FormatSpec::SdJwt);
        assert!(t.validate().is_err());
        let mut t = base.clone();
        t.formats = vec![FormatSpec::LdpVc {
            cryptosuite: Cryptosuite::EddsaJcs2022,
            claims: Some(vec!["nope".into()]),
        }];
        assert!(t.validate().is_err());
        let mut t = base;
        t.age_over = vec![18, 18];
        assert!(t.validate().is_err());
    }
}
