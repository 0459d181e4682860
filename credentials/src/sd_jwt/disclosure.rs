//! Disclosures (RFC 9901 section 4.2), their digests (section 4.2.3) and the `_sd_alg`
//! hash algorithms (section 4.1.1).

use serde_json::Value;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use super::SdJwtError;
use crate::base64url;

/// Claim names a disclosure may never carry (RFC 9901 section 4.2.1): they are the
/// selective-disclosure markers themselves.
pub const RESERVED_CLAIM_NAMES: [&str; 2] = ["_sd", "..."];

/// A hash algorithm for digests and `sd_hash`, by its IANA "Named Information Hash Algorithm"
/// name (RFC 9901 section 4.1.1). Which ones a verifier accepts is an allow-list in its
/// options; `sha-256` is the default and the only one accepted unless configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashAlg {
    /// `sha-256` (the default when `_sd_alg` is absent).
    #[default]
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl HashAlg {
    /// The `_sd_alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha-256",
            HashAlg::Sha384 => "sha-384",
            HashAlg::Sha512 => "sha-512",
        }
    }

    /// Parses an `_sd_alg` name (case-sensitive, as registered).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha-256" => Some(HashAlg::Sha256),
            "sha-384" => Some(HashAlg::Sha384),
            "sha-512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// The raw digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// base64url(digest(ASCII bytes of `text`)): the form of `_sd` / `...` digests
    /// (section 4.2.3) and of `sd_hash` (section 4.3.1).
    pub fn encoded_digest(self, text: &str) -> String {
        base64url::encode(self.digest(text.as_bytes()))
    }
}

/// One disclosure: `[salt, claim name, value]` for an object property (RFC 9901 section
/// 4.2.1) or `[salt, value]` for an array element (section 4.2.2), kept together with the
/// exact base64url string it was received or issued as: digests are computed over that
/// string, never over a re-encoding (section 4.2.3).
///
/// The contents of a disclosure are only as trustworthy as the SD-JWT that references it:
/// a verifier obtains claims from [`super::SdJwtVerification::claims`], not from here.
#[derive(Clone, PartialEq)]
pub struct Disclosure {
    encoded: String,
    salt: String,
    name: Option<String>,
    value: Value,
}

/// Shows the claim name only: salts and values stay out of logs.
impl std::fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disclosure")
            .field("claim_name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Disclosure {
    /// Parses a disclosure: strict base64url of a JSON array of exactly 3 (`salt`, claim name,
    /// value) or 2 (`salt`, value) elements, the salt and the name being strings.
    pub fn parse(encoded: &str) -> Result<Self, SdJwtError> {
        let bytes = base64url::decode(encoded).map_err(|_| SdJwtError::DisclosureMalformed)?;
        let elements: Vec<Value> =
            serde_json::from_slice(&bytes).map_err(|_| SdJwtError::DisclosureMalformed)?;
        let mut elements = elements.into_iter();
        let (salt, name, value) = match (
            elements.next(),
            elements.next(),
            elements.next(),
            elements.next(),
        ) {
            (Some(Value::String(salt)), Some(Value::String(name)), Some(value), None) => {
                (salt, Some(name), value)
            }
            (Some(Value::String(salt)), Some(value), None, None) => (salt, None, value),
            _ => return Err(SdJwtError::DisclosureMalformed),
        };
        Ok(Self {
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
        })
    }

    /// A new object-property disclosure `[salt, name, value]`.
    pub(crate) fn property(salt: String, name: &str, value: Value) -> Self {
        let json = Value::Array(vec![
            Value::String(salt.clone()),
            Value::String(name.to_owned()),
            value.clone(),
        ]);
        Self {
            encoded: base64url::encode(json.to_string()),
            salt,
            name: Some(name.to_owned()),
            value,
        }
    }

    /// A new array-element disclosure `[salt, value]`.
    pub(crate) fn element(salt: String, value: Value) -> Self {
        let json = Value::Array(vec![Value::String(salt.clone()), value.clone()]);
        Self {
            encoded: base64url::encode(json.to_string()),
            salt,
            name: None,
            value,
        }
    }

    /// The base64url string, exactly as received or issued.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// The salt.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The claim name of an object-property disclosure; `None` for an array element.
    pub fn claim_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The disclosed value (which may itself contain digests of nested disclosures).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The digest that references this disclosure (section 4.2.3).
    pub fn digest(&self, alg: HashAlg) -> String {
        alg.encoded_digest(&self.encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc9901_section_4_2_1_example_disclosure_digest() {
        // RFC 9901 section 4.2.1 / 4.2.3: the `family_name` disclosure and its digest.
        let encoded = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0";
        let d = Disclosure::parse(encoded).unwrap();
        assert_eq!(d.claim_name(), Some("family_name"));
        assert_eq!(d.value(), &json!("Möbius"));
        assert_eq!(
            d.digest(HashAlg::Sha256),
            "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
        );
    }

    #[test]
    fn rfc9901_section_4_2_2_array_element_disclosure() {
        // RFC 9901 section 4.2.2: `["lklxF5jMYlGTPUovMNIvCA", "FR"]`.
        let d = Disclosure::parse("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0").unwrap();
        assert_eq!(d.claim_name(), None);
        assert_eq!(d.value(), &json!("FR"));
        assert_eq!(
            d.digest(HashAlg::Sha256),
            "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
        );
    }

    #[test]
    fn disclosures_of_wrong_shape_are_refused() {
        for bad in [
            json!([]),
            json!(["salt"]),
            json!(["salt", "name", 1, 2]),
            json!([1, "name", 1]),
            json!(["salt", 2, 1]),
            json!({"salt": "x"}),
        ] {
            let encoded = base64url::encode(bad.to_string());
            assert_eq!(
                Disclosure::parse(&encoded),
                Err(SdJwtError::DisclosureMalformed),
                "{bad}"
            );
        }
        assert_eq!(
            Disclosure::parse("not base64!"),
            Err(SdJwtError::DisclosureMalformed)
        );
    }

    #[test]
    fn issued_disclosures_round_trip() {
        let d = Disclosure::property("c2FsdA".into(), "given_name", json!("Ann"));
        assert_eq!(Disclosure::parse(d.as_str()).unwrap(), d);
        let e = Disclosure::element("c2FsdA".into(), json!({"a": [1]}));
        assert_eq!(Disclosure::parse(e.as_str()).unwrap(), e);
    }

    #[test]
    fn hash_alg_names() {
        for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            assert_eq!(HashAlg::from_name(alg.as_str()), Some(alg));
        }
        assert_eq!(HashAlg::from_name("SHA-256"), None);
        assert_eq!(HashAlg::from_name("md5"), None);
    }
}
