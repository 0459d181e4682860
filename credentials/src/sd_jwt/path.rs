//! Claim paths: which claims an issuer makes selectively disclosable and which a holder
//! discloses.
//!
//! The form is the OpenID4VP (DCQL) "claims path pointer": a non-empty array whose elements
//! are a string (object member), a non-negative integer (array index) or `null` (every
//! element of an array). `["address", "locality"]`, `["nationalities", 0]`,
//! `["nationalities", null]`. Array indices count the elements of the *complete* array as
//! issued (decoys are not elements), so the issuer's and the holder's indices agree.

use serde_json::Value;

use super::SdJwtError;

/// One step of a [`ClaimPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElement {
    /// An object member.
    Key(String),
    /// An array element by position.
    Index(usize),
    /// Every element of an array.
    AllElements,
}

impl PathElement {
    fn matches(&self, concrete: &PathElement) -> bool {
        match (self, concrete) {
            (PathElement::AllElements, PathElement::Index(_)) => true,
            (a, b) => a == b,
        }
    }
}

/// A path to a claim, from the top-level object of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ClaimPath(Vec<PathElement>);

impl ClaimPath {
    /// The empty path (the payload itself; never a valid target for disclosure).
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// A path of object members only: `ClaimPath::keys(["address", "locality"])`.
    pub fn keys<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(
            keys.into_iter()
                .map(|k| PathElement::Key(k.into()))
                .collect(),
        )
    }

    /// This path followed by the object member `key`.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathElement::Key(key.into()));
        self
    }

    /// This path followed by array position `index`.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathElement::Index(index));
        self
    }

    /// This path followed by "every element".
    pub fn all_elements(mut self) -> Self {
        self.0.push(PathElement::AllElements);
        self
    }

    /// The steps.
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// True for the empty path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// True if this (possibly wildcard) path selects the concrete path `concrete`.
    pub fn matches(&self, concrete: &ClaimPath) -> bool {
        self.0.len() == concrete.0.len()
            && self.0.iter().zip(&concrete.0).all(|(p, c)| p.matches(c))
    }

    /// True if this path selects `concrete` or one of its ancestors, i.e. `concrete` lies at
    /// or below a claim this path selects.
    pub fn covers(&self, concrete: &ClaimPath) -> bool {
        self.0.len() <= concrete.0.len()
            && self.0.iter().zip(&concrete.0).all(|(p, c)| p.matches(c))
    }

    /// True if `concrete` is a strict ancestor of a claim this path may select.
    pub fn passes_through(&self, concrete: &ClaimPath) -> bool {
        concrete.0.len() < self.0.len() && self.0.iter().zip(&concrete.0).all(|(p, c)| p.matches(c))
    }

    pub(crate) fn push(&mut self, element: PathElement) {
        self.0.push(element);
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }

    /// Parses the DCQL JSON form (a non-empty array of strings, non-negative integers and
    /// `null`).
    pub fn from_json(value: &Value) -> Result<Self, SdJwtError> {
        let items = value.as_array().ok_or(SdJwtError::InvalidClaimPath)?;
        if items.is_empty() {
            return Err(SdJwtError::InvalidClaimPath);
        }
        items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(PathElement::Key(s.clone())),
                Value::Null => Ok(PathElement::AllElements),
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(PathElement::Index)
                    .ok_or(SdJwtError::InvalidClaimPath),
                _ => Err(SdJwtError::InvalidClaimPath),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// The DCQL JSON form.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|e| match e {
                    PathElement::Key(k) => Value::String(k.clone()),
                    PathElement::Index(i) => Value::from(*i),
                    PathElement::AllElements => Value::Null,
                })
                .collect(),
        )
    }
}

impl std::fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dcql_json_round_trip() {
        let p = ClaimPath::keys(["a"]).index(2).all_elements().key("b");
        assert_eq!(p.to_json(), json!(["a", 2, null, "b"]));
        assert_eq!(ClaimPath::from_json(&p.to_json()).unwrap(), p);
        for bad in [
            json!([]),
            json!("a"),
            json!([-1]),
            json!([1.5]),
            json!([true]),
        ] {
            assert_eq!(
                ClaimPath::from_json(&bad),
                Err(SdJwtError::InvalidClaimPath)
            );
        }
    }

    #[test]
    fn wildcards_match_indices_only() {
        let wild = ClaimPath::keys(["n"]).all_elements();
        assert!(wild.matches(&ClaimPath::keys(["n"]).index(3)));
        assert!(!wild.matches(&ClaimPath::keys(["n", "x"])));
        assert!(!wild.matches(&ClaimPath::keys(["n"])));
        assert!(wild.covers(&ClaimPath::keys(["n"]).index(3).key("y")));
        assert!(wild.passes_through(&ClaimPath::keys(["n"])));
        assert!(!wild.passes_through(&ClaimPath::keys(["n"]).index(0)));
    }
}
