//! The Digital Credentials Query Language (OpenID4VP 1.0 section 6) and matching a credential's
//! claims against it (section 6.4 and section 7, claims path pointers).
//!
//! A [`DcqlQuery`] is parsed with serde and then checked with [`DcqlQuery::validate`], which
//! enforces the structural rules of section 6 and bounds the size of untrusted input. Matching is
//! pure: the wallet matches the claims it holds to choose what to disclose, the verifier matches
//! the claims that were disclosed to check that the response answers the query.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Credential format identifier of SD-JWT VC (OpenID4VP 1.0 appendix B.3).
pub const FORMAT_SD_JWT_VC: &str = "dc+sd-jwt";
/// Credential format identifier of W3C VCs secured with Data Integrity (appendix B.1.3.2).
pub const FORMAT_LDP_VC: &str = "ldp_vc";

/// Most credential queries accepted in one query (a bound on untrusted input).
pub const MAX_CREDENTIAL_QUERIES: usize = 32;
/// Most claims queries per credential query.
pub const MAX_CLAIMS: usize = 64;
/// Most elements in one claims path pointer.
pub const MAX_PATH_LEN: usize = 16;
/// Most entries in `values`, `claim_sets`, `credential_sets` and their options.
pub const MAX_ALTERNATIVES: usize = 32;
/// Longest identifier accepted.
pub const MAX_ID_LEN: usize = 128;

/// Why a DCQL query is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcqlError {
    /// `credentials` is empty.
    #[error("credentials must be a non-empty array")]
    NoCredentials,
    /// An `id` is empty, too long, or has characters other than `A-Za-z0-9_-` (section 6.1,
    /// 6.3).
    #[error("invalid identifier")]
    InvalidId,
    /// Two credential queries, or two claims queries of one credential query, share an `id`.
    #[error("duplicate identifier")]
    DuplicateId,
    /// An array that must be non-empty is empty (`claims`, `claim_sets`, `options`, `path`,
    /// `values`, `credential_sets`).
    #[error("empty array where a non-empty one is required")]
    EmptyArray,
    /// `claim_sets` is present without `claims`, or a claims query lacks the `id` that
    /// `claim_sets` needs (section 6.1).
    #[error("claim_sets requires claims with ids")]
    ClaimSetsWithoutIds,
    /// A `claim_sets` or `credential_sets` option names an unknown id.
    #[error("reference to an unknown id")]
    UnknownReference,
    /// A `values` entry is not a string, integer or boolean (section 6.3).
    #[error("values entries must be strings, integers or booleans")]
    InvalidValue,
    /// More entries than this implementation accepts.
    #[error("query too large")]
    TooLarge,
    /// `meta` lacks what the format requires, or has the wrong shape (appendix B).
    #[error("invalid meta for the credential format")]
    InvalidMeta,
}

/// A DCQL query (section 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcqlQuery {
    /// The credential queries.
    pub credentials: Vec<CredentialQuery>,
    /// Which combinations of credential queries satisfy the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_sets: Option<Vec<CredentialSetQuery>>,
}

fn default_true() -> bool {
    true
}

/// One credential query (section 6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialQuery {
    /// Identifies the query; the key of the presentations in `vp_token`.
    pub id: String,
    /// The requested format (`dc+sd-jwt`, `ldp_vc`, ...).
    pub format: String,
    /// Whether more than one presentation may answer this query.
    #[serde(default)]
    pub multiple: bool,
    /// Format-specific constraints on metadata (`vct_values`, `type_values`). Section 6.1
    /// makes it required; an absent `meta` is read as `{}` (no constraint) and always written.
    #[serde(default)]
    pub meta: Map<String, Value>,
    /// Constraints on who issued the credential (section 6.1.1). Kept for the wallet to
    /// honour; the verifier enforces its own trusted-issuer policy regardless.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_authorities: Option<Vec<Value>>,
    /// Whether the presentation must prove possession of the credential's holder key.
    #[serde(default = "default_true")]
    pub require_cryptographic_holder_binding: bool,
    /// The requested claims. Absent: no selectively disclosable claim is requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsQuery>>,
    /// Alternative combinations of claim ids, in order of preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
}

/// One claims query (section 6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsQuery {
    /// Needed when `claim_sets` refers to this claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where the claim is (section 7).
    pub path: ClaimPath,
    /// Accepted values; the claim matches if it equals one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

/// A credential set query (section 6.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSetQuery {
    /// Each option is a list of credential query ids that together satisfy the set.
    pub options: Vec<Vec<String>>,
    /// Whether the set must be satisfied.
    #[serde(default = "default_true")]
    pub required: bool,
}

/// One element of a claims path pointer (section 7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElement {
    /// Selects the member of that name of an object.
    Key(String),
    /// Selects the element at that index of an array.
    Index(u64),
    /// `null`: selects every element of an array.
    AllElements,
}

/// A claims path pointer: a non-empty list of [`PathElement`]s.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClaimPath(pub Vec<PathElement>);

impl ClaimPath {
    /// A path of object keys only, e.g. `["address", "country"]`.
    pub fn keys<I: IntoIterator<Item = S>, S: Into<String>>(keys: I) -> Self {
        Self(
            keys.into_iter()
                .map(|k| PathElement::Key(k.into()))
                .collect(),
        )
    }

    /// Applies the pointer to `root` (section 7.2): the selected elements. Empty if the path
    /// does not exist; a key applied to a non-object or an index applied to a non-array
    /// selects nothing.
    pub fn select<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        let mut selected = vec![root];
        for element in &self.0 {
            let mut next = Vec::new();
            for value in selected {
                match (element, value) {
                    (PathElement::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                    (PathElement::Index(i), Value::Array(items)) => {
                        next.extend(usize::try_from(*i).ok().and_then(|i| items.get(i)));
                    }
                    (PathElement::AllElements, Value::Array(items)) => next.extend(items),
                    _ => {}
                }
            }
            if next.is_empty() {
                return next;
            }
            selected = next;
        }
        selected
    }

    /// The path as plain text for logs and messages (`age_over_21`, `address.country`,
    /// `nationalities[*]`). Never includes values.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for element in &self.0 {
            match element {
                PathElement::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                PathElement::Index(i) => out.push_str(&format!("[{i}]")),
                PathElement::AllElements => out.push_str("[*]"),
            }
        }
        out
    }
}

impl Serialize for ClaimPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let values: Vec<Value> = self
            .0
            .iter()
            .map(|e| match e {
                PathElement::Key(k) => Value::String(k.clone()),
                PathElement::Index(i) => Value::from(*i),
                PathElement::AllElements => Value::Null,
            })
            .collect();
        values.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ClaimPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let values = Vec::<Value>::deserialize(deserializer)?;
        let elements = values
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(PathElement::Key(s)),
                Value::Null => Ok(PathElement::AllElements),
                Value::Number(n) => n
                    .as_u64()
                    .map(PathElement::Index)
                    .ok_or_else(|| D::Error::custom("path index must be a non-negative integer")),
                _ => Err(D::Error::custom(
                    "path elements must be strings, non-negative integers or null",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(elements))
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn non_empty_bounded<T>(items: &[T], max: usize) -> Result<(), DcqlError> {
    if items.is_empty() {
        Err(DcqlError::EmptyArray)
    } else if items.len() > max {
        Err(DcqlError::TooLarge)
    } else {
        Ok(())
    }
}

impl DcqlQuery {
    /// Parses and validates a query from JSON.
    pub fn from_json(value: &Value) -> Result<Self, DcqlParseError> {
        let query: Self = serde_json::from_value(value.clone())
            .map_err(|e| DcqlParseError::Syntax(e.to_string()))?;
        query.validate().map_err(DcqlParseError::Invalid)?;
        Ok(query)
    }

    /// Checks the rules of section 6 and the size bounds of this implementation.
    pub fn validate(&self) -> Result<(), DcqlError> {
        if self.credentials.is_empty() {
            return Err(DcqlError::NoCredentials);
        }
        if self.credentials.len() > MAX_CREDENTIAL_QUERIES {
            return Err(DcqlError::TooLarge);
        }
        let mut ids = BTreeSet::new();
        for credential in &self.credentials {
            if !valid_id(&credential.id) {
                return Err(DcqlError::InvalidId);
            }
            if !ids.insert(credential.id.as_str()) {
                return Err(DcqlError::DuplicateId);
            }
            credential.validate()?;
        }
        if let Some(sets) = &self.credential_sets {
            non_empty_bounded(sets, MAX_ALTERNATIVES)?;
            for set in sets {
                non_empty_bounded(&set.options, MAX_ALTERNATIVES)?;
                for option in &set.options {
                    non_empty_bounded(option, MAX_CREDENTIAL_QUERIES)?;
                    if option.iter().any(|id| !ids.contains(id.as_str())) {
                        return Err(DcqlError::UnknownReference);
                    }
                }
            }
        }
        Ok(())
    }

    /// The credential query with this id.
    pub fn credential(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|c| c.id == id)
    }

    /// Whether answering exactly the credential query ids in `answered` satisfies the query
    /// (section 6.4.2): without `credential_sets` every credential query must be answered;
    /// with them, every required set needs one option whose ids are all answered.
    pub fn is_satisfied_by(&self, answered: &BTreeSet<String>) -> bool {
        match &self.credential_sets {
            None => self.credentials.iter().all(|c| answered.contains(&c.id)),
            Some(sets) => sets.iter().filter(|s| s.required).all(|set| {
                set.options
                    .iter()
                    .any(|option| option.iter().all(|id| answered.contains(id)))
            }),
        }
    }
}

/// Why a DCQL query could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcqlParseError {
    /// The JSON does not have the DCQL shape.
    #[error("malformed DCQL query: {0}")]
    Syntax(String),
    /// The query breaks a rule of section 6.
    #[error("invalid DCQL query: {0}")]
    Invalid(DcqlError),
}

/// The facts about one credential that matching needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateCredential<'a> {
    /// Its format identifier.
    pub format: &'a str,
    /// The SD-JWT VC `vct`, if any.
    pub vct: Option<&'a str>,
    /// The VC `type` values, expanded to IRIs where the caller can (for `type_values`).
    pub types: &'a [String],
    /// The claims available (wallet) or disclosed (verifier). For SD-JWT VC: the processed
    /// payload; for `ldp_vc`: the credential JSON (paths start with `credentialSubject`).
    pub claims: &'a Value,
    /// Whether the presentation can prove (or did prove) possession of a holder key.
    pub holder_bound: bool,
}

/// A successful match: which claims queries were used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsMatch {
    /// The paths of the claims that satisfy the query (empty when no claims were requested).
    pub paths: Vec<ClaimPath>,
}

/// Why a credential does not match a credential query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MismatchReason {
    /// Another format was requested.
    #[error("format differs from the requested one")]
    Format,
    /// The `vct` / `type` is not among the requested ones.
    #[error("credential type not requested")]
    CredentialType,
    /// Holder binding was requested but is not available.
    #[error("cryptographic holder binding required")]
    HolderBinding,
    /// A requested claim is absent or has none of the accepted values.
    #[error("requested claim missing or with a value not accepted: {0}")]
    Claim(String),
}

impl CredentialQuery {
    fn validate(&self) -> Result<(), DcqlError> {
        if self.format == FORMAT_SD_JWT_VC {
            // Appendix B.3.5: `vct_values`, when present, is a non-empty array of strings.
            if let Some(v) = self.meta.get("vct_values") {
                let list = v.as_array().ok_or(DcqlError::InvalidMeta)?;
                non_empty_bounded(list, MAX_ALTERNATIVES).map_err(|_| DcqlError::InvalidMeta)?;
                if !list.iter().all(Value::is_string) {
                    return Err(DcqlError::InvalidMeta);
                }
            }
        }
        if self.format == FORMAT_LDP_VC {
            // Appendix B.1.1: `type_values` is an array of arrays of type strings.
            if let Some(v) = self.meta.get("type_values") {
                let list = v.as_array().ok_or(DcqlError::InvalidMeta)?;
                non_empty_bounded(list, MAX_ALTERNATIVES).map_err(|_| DcqlError::InvalidMeta)?;
                for alternative in list {
                    let types = alternative.as_array().ok_or(DcqlError::InvalidMeta)?;
                    if types.is_empty() || !types.iter().all(Value::is_string) {
                        return Err(DcqlError::InvalidMeta);
                    }
                }
            }
        }
        if let Some(trusted) = &self.trusted_authorities {
            non_empty_bounded(trusted, MAX_ALTERNATIVES)?;
        }
        let mut claim_ids = BTreeSet::new();
        if let Some(claims) = &self.claims {
            non_empty_bounded(claims, MAX_CLAIMS)?;
            for claim in claims {
                non_empty_bounded(&claim.path.0, MAX_PATH_LEN)?;
                if let Some(id) = &claim.id {
                    if !valid_id(id) {
                        return Err(DcqlError::InvalidId);
                    }
                    if !claim_ids.insert(id.as_str()) {
                        return Err(DcqlError::DuplicateId);
                    }
                }
                if let Some(values) = &claim.values {
                    non_empty_bounded(values, MAX_ALTERNATIVES)?;
                    let primitive = |v: &Value| {
                        v.is_string()
                            || v.is_boolean()
                            || v.as_i64().is_some()
                            || v.as_u64().is_some()
                    };
                    if !values.iter().all(primitive) {
                        return Err(DcqlError::InvalidValue);
                    }
                }
            }
        }
        if let Some(sets) = &self.claim_sets {
            // Section 6.1: claim_sets MUST NOT be present if claims is absent, and then every
            // claims query needs an id.
            let Some(claims) = &self.claims else {
                return Err(DcqlError::ClaimSetsWithoutIds);
            };
            if claims.iter().any(|c| c.id.is_none()) {
                return Err(DcqlError::ClaimSetsWithoutIds);
            }
            non_empty_bounded(sets, MAX_ALTERNATIVES)?;
            for set in sets {
                non_empty_bounded(set, MAX_CLAIMS)?;
                if set.iter().any(|id| !claim_ids.contains(id.as_str())) {
                    return Err(DcqlError::UnknownReference);
                }
            }
        }
        Ok(())
    }

    /// The SD-JWT VC types accepted (`meta.vct_values`), if constrained.
    pub fn vct_values(&self) -> Option<Vec<&str>> {
        self.meta
            .get("vct_values")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
    }

    /// Matches one credential (section 6.4.1): format, type constraints, holder binding, and
    /// the claims (all of them, or the first satisfiable option of `claim_sets`).
    pub fn matches(
        &self,
        candidate: &CandidateCredential<'_>,
    ) -> Result<ClaimsMatch, MismatchReason> {
        if candidate.format != self.format {
            return Err(MismatchReason::Format);
        }
        if self.format == FORMAT_SD_JWT_VC
            && let Some(accepted) = self.vct_values()
            && !candidate.vct.is_some_and(|vct| accepted.contains(&vct))
        {
            return Err(MismatchReason::CredentialType);
        }
        if self.format == FORMAT_LDP_VC
            && let Some(alternatives) = self.meta.get("type_values").and_then(Value::as_array)
        {
            // One alternative must be fully contained in the credential's types.
            let ok = alternatives
                .iter()
                .filter_map(Value::as_array)
                .any(|types| {
                    types
                        .iter()
                        .filter_map(Value::as_str)
                        .all(|t| candidate.types.iter().any(|c| c == t))
                });
            if !ok {
                return Err(MismatchReason::CredentialType);
            }
        }
        if self.require_cryptographic_holder_binding && !candidate.holder_bound {
            return Err(MismatchReason::HolderBinding);
        }
        let Some(claims) = &self.claims else {
            return Ok(ClaimsMatch { paths: Vec::new() });
        };
        let claim_ok = |c: &ClaimsQuery| claim_matches(c, candidate.claims);
        match &self.claim_sets {
            None => {
                if let Some(missing) = claims.iter().find(|c| !claim_ok(c)) {
                    return Err(MismatchReason::Claim(missing.path.display()));
                }
                Ok(ClaimsMatch {
                    paths: claims.iter().map(|c| c.path.clone()).collect(),
                })
            }
            Some(sets) => {
                let by_id: BTreeMap<&str, &ClaimsQuery> = claims
                    .iter()
                    .filter_map(|c| c.id.as_deref().map(|id| (id, c)))
                    .collect();
                for set in sets {
                    let chosen: Vec<&ClaimsQuery> = set
                        .iter()
                        .filter_map(|id| by_id.get(id.as_str()).copied())
                        .collect();
                    if chosen.len() == set.len() && chosen.iter().all(|c| claim_ok(c)) {
                        return Ok(ClaimsMatch {
                            paths: chosen.iter().map(|c| c.path.clone()).collect(),
                        });
                    }
                }
                let first_missing = claims
                    .iter()
                    .find(|c| !claim_ok(c))
                    .map(|c| c.path.display())
                    .unwrap_or_default();
                Err(MismatchReason::Claim(first_missing))
            }
        }
    }
}

/// Section 6.4.1: the path must select at least one element; with `values`, one selected
/// element must equal one of them.
fn claim_matches(query: &ClaimsQuery, claims: &Value) -> bool {
    let selected = query.path.select(claims);
    if selected.is_empty() {
        return false;
    }
    match &query.values {
        None => true,
        Some(values) => selected.iter().any(|s| values.iter().any(|v| v == *s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn over_21_query() -> DcqlQuery {
        DcqlQuery::from_json(&json!({
            "credentials": [{
                "id": "age",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://disclose.example/age"]},
                "claims": [{"path": ["age_over_21"], "values": [true]}]
            }]
        }))
        .unwrap()
    }

    fn candidate<'a>(claims: &'a Value, vct: &'a str) -> CandidateCredential<'a> {
        CandidateCredential {
            format: FORMAT_SD_JWT_VC,
            vct: Some(vct),
            types: &[],
            claims,
            holder_bound: true,
        }
    }

    #[test]
    fn spec_example_sd_jwt_query_parses_and_round_trips() {
        // OpenID4VP 1.0 section D (DCQL examples): an SD-JWT VC query with nested paths.
        let text = json!({
          "credentials": [{
            "id": "my_credential",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["https://credentials.example.com/identity_credential"]},
            "claims": [
              {"path": ["last_name"]},
              {"path": ["first_name"]},
              {"path": ["address", "street_address"]}
            ]
          }]
        });
        let query = DcqlQuery::from_json(&text).unwrap();
        assert_eq!(query.credentials[0].claims.as_ref().unwrap().len(), 3);
        assert!(query.credentials[0].require_cryptographic_holder_binding);
        let back = serde_json::to_value(&query).unwrap();
        assert_eq!(DcqlQuery::from_json(&back).unwrap(), query);
    }

    #[test]
    fn matches_when_value_is_accepted() {
        let q = over_21_query();
        let claims = json!({"age_over_21": true, "vct": "https://disclose.example/age"});
        let m = q.credentials[0]
            .matches(&candidate(&claims, "https://disclose.example/age"))
            .unwrap();
        assert_eq!(m.paths, vec![ClaimPath::keys(["age_over_21"])]);
    }

    #[test]
    fn value_not_accepted_or_claim_absent_is_a_mismatch() {
        let q = over_21_query();
        let vct = "https://disclose.example/age";
        for claims in [
            json!({"age_over_21": false}),
            json!({"age_over_18": true}),
            json!({"age_over_21": "true"}),
        ] {
            assert_eq!(
                q.credentials[0].matches(&candidate(&claims, vct)),
                Err(MismatchReason::Claim("age_over_21".into()))
            );
        }
    }

    #[test]
    fn other_vct_format_or_missing_holder_binding_is_a_mismatch() {
        let q = over_21_query();
        let claims = json!({"age_over_21": true});
        assert_eq!(
            q.credentials[0].matches(&candidate(&claims, "https://other.example/vct")),
            Err(MismatchReason::CredentialType)
        );
        let mut c = candidate(&claims, "https://disclose.example/age");
        c.holder_bound = false;
        assert_eq!(
            q.credentials[0].matches(&c),
            Err(MismatchReason::HolderBinding)
        );
        c.holder_bound = true;
        c.format = FORMAT_LDP_VC;
        assert_eq!(q.credentials[0].matches(&c), Err(MismatchReason::Format));
    }

    #[test]
    fn claims_path_pointer_semantics_section_7() {
        let doc = json!({
            "name": "Arthur Dent",
            "address": {"street_address": "42 Market Street", "locality": "Milliways"},
            "degrees": [{"type": "Bachelor of Science"}, {"type": "Master of Science"}],
            "nationalities": ["British", "Betelgeusian"]
        });
        let sel = |p: Value| {
            serde_json::from_value::<ClaimPath>(p)
                .unwrap()
                .select(&doc)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(sel(json!(["name"])), vec![json!("Arthur Dent")]);
        assert_eq!(
            sel(json!(["address", "street_address"])),
            vec![json!("42 Market Street")]
        );
        assert_eq!(
            sel(json!(["degrees", null, "type"])),
            vec![json!("Bachelor of Science"), json!("Master of Science")]
        );
        assert_eq!(
            sel(json!(["nationalities", 1])),
            vec![json!("Betelgeusian")]
        );
        // Keys on arrays, indices on objects, out-of-range indices select nothing.
        assert!(sel(json!(["nationalities", "0"])).is_empty());
        assert!(sel(json!(["address", 0])).is_empty());
        assert!(sel(json!(["nationalities", 7])).is_empty());
        assert!(serde_json::from_value::<ClaimPath>(json!(["a", -1])).is_err());
        assert!(serde_json::from_value::<ClaimPath>(json!(["a", true])).is_err());
    }

    #[test]
    fn claim_sets_choose_the_first_satisfiable_option() {
        let q = DcqlQuery::from_json(&json!({
            "credentials": [{
                "id": "pid", "format": "dc+sd-jwt", "meta": {},
                "claims": [
                    {"id": "a", "path": ["age_over_21"]},
                    {"id": "b", "path": ["birthdate"]}
                ],
                "claim_sets": [["b"], ["a"]]
            }]
        }))
        .unwrap();
        let only_age = json!({"age_over_21": true});
        let m = q.credentials[0]
            .matches(&candidate(&only_age, "x"))
            .unwrap();
        assert_eq!(m.paths, vec![ClaimPath::keys(["age_over_21"])]);
        let neither = json!({"name": "x"});
        assert!(q.credentials[0].matches(&candidate(&neither, "x")).is_err());
    }

    #[test]
    fn structural_rules_are_enforced() {
        let bad = [
            (json!({"credentials": []}), DcqlError::NoCredentials),
            (
                json!({"credentials": [{"id": "a b", "format": "dc+sd-jwt"}]}),
                DcqlError::InvalidId,
            ),
            (
                json!({"credentials": [{"id": "", "format": "dc+sd-jwt"}]}),
                DcqlError::InvalidId,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x"}, {"id": "a", "format": "x"}]}),
                DcqlError::DuplicateId,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x", "claims": []}]}),
                DcqlError::EmptyArray,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x", "claims": [{"path": []}]}]}),
                DcqlError::EmptyArray,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x", "claims": [{"path": ["x"], "values": [{"o": 1}]}]}]}),
                DcqlError::InvalidValue,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x", "claims": [{"path": ["x"], "values": [1.5]}]}]}),
                DcqlError::InvalidValue,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x", "claim_sets": [["c"]]}]}),
                DcqlError::ClaimSetsWithoutIds,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x", "claims": [{"path": ["x"]}], "claim_sets": [["c"]]}]}),
                DcqlError::ClaimSetsWithoutIds,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x", "claims": [{"id": "c", "path": ["x"]}], "claim_sets": [["d"]]}]}),
                DcqlError::UnknownReference,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "x"}], "credential_sets": [{"options": [["b"]]}]}),
                DcqlError::UnknownReference,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": "x"}}]}),
                DcqlError::InvalidMeta,
            ),
            (
                json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {"type_values": [[]]}}]}),
                DcqlError::InvalidMeta,
            ),
        ];
        for (query, expected) in bad {
            assert_eq!(
                DcqlQuery::from_json(&query),
                Err(DcqlParseError::Invalid(expected.clone())),
                "{query}"
            );
        }
        let too_many: Vec<Value> = (0..=MAX_CREDENTIAL_QUERIES)
            .map(|i| json!({"id": format!("c{i}"), "format": "x"}))
            .collect();
        assert_eq!(
            DcqlQuery::from_json(&json!({ "credentials": too_many })),
            Err(DcqlParseError::Invalid(DcqlError::TooLarge))
        );
        assert!(matches!(
            DcqlQuery::from_json(&json!({"credentials": [], "extra": 1})),
            Err(DcqlParseError::Syntax(_))
        ));
    }

    #[test]
    fn credential_sets_decide_which_answers_suffice() {
        let q = DcqlQuery::from_json(&json!({
            "credentials": [
                {"id": "pid", "format": "dc+sd-jwt"},
                {"id": "other_pid", "format": "dc+sd-jwt"},
                {"id": "loyalty", "format": "ldp_vc"}
            ],
            "credential_sets": [
                {"options": [["pid"], ["other_pid"]]},
                {"options": [["loyalty"]], "required": false}
            ]
        }))
        .unwrap();
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert!(q.is_satisfied_by(&set(&["other_pid"])));
        assert!(!q.is_satisfied_by(&set(&["loyalty"])));
        let plain = over_21_query();
        assert!(plain.is_satisfied_by(&set(&["age"])));
        assert!(!plain.is_satisfied_by(&set(&[])));
    }

    fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z_]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("credentials".to_owned()),
                        Just("id".to_owned()),
                        Just("format".to_owned()),
                        Just("claims".to_owned()),
                        Just("path".to_owned()),
                        Just("values".to_owned()),
                        Just("claim_sets".to_owned()),
                        Just("credential_sets".to_owned()),
                        Just("options".to_owned()),
                        Just("meta".to_owned()),
                        "[a-z]{1,4}"
                    ],
                    inner,
                    0..6,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// The fuzz harness body for DCQL: arbitrary JSON never panics the parser, a query
        /// that validates round-trips, and matching and path selection never panic.
        #[test]
        fn arbitrary_json_never_panics_and_valid_queries_round_trip(query in arbitrary_json(), doc in arbitrary_json()) {
            if let Ok(parsed) = DcqlQuery::from_json(&query) {
                let back = serde_json::to_value(&parsed).unwrap();
                proptest::prop_assert_eq!(DcqlQuery::from_json(&back).unwrap(), parsed.clone());
                for credential in &parsed.credentials {
                    let c = CandidateCredential { format: &credential.format, vct: None, types: &[], claims: &doc, holder_bound: true };
                    let _ = credential.matches(&c);
                    for claim in credential.claims.iter().flatten() {
                        let _ = claim.path.select(&doc);
                    }
                }
            }
        }
    }

    #[test]
    fn ldp_vc_type_values_require_one_full_alternative() {
        let q = DcqlQuery::from_json(&json!({
            "credentials": [{
                "id": "vc", "format": "ldp_vc",
                "meta": {"type_values": [["VerifiableCredential", "AgeCredential"]]},
                "claims": [{"path": ["credentialSubject", "age_over_21"], "values": [true]}]
            }]
        }))
        .unwrap();
        let vc = json!({"credentialSubject": {"age_over_21": true}});
        let types = vec![
            "VerifiableCredential".to_owned(),
            "AgeCredential".to_owned(),
        ];
        let mut c = CandidateCredential {
            format: FORMAT_LDP_VC,
            vct: None,
            types: &types,
            claims: &vc,
            holder_bound: true,
        };
        assert!(q.credentials[0].matches(&c).is_ok());
        let only_vc = vec!["VerifiableCredential".to_owned()];
        c.types = &only_vc;
        assert_eq!(
            q.credentials[0].matches(&c),
            Err(MismatchReason::CredentialType)
        );
    }
}
