//! Compact JWS (RFC 7515) with an explicit algorithm allow-list.
//!
//! Only `EdDSA` (Ed25519) and `ES256` exist here: `none`, HMAC and every other algorithm are
//! unrepresentable, so an attacker-chosen `alg` can never select them. The verification key is
//! always supplied by the caller; header members that would carry or point to a key (`jwk`,
//! `jku`, `x5u`, `x5c`) are never used to find it.

use serde_json::{Map, Value};

use crate::base64url;
use crate::keys::{KeyError, PublicKey, Signer};

/// A JWS algorithm this project accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037).
    EdDSA,
    /// ECDSA with P-256 and SHA-256 (RFC 7518 section 3.4).
    ES256,
}

impl Algorithm {
    /// The registered `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
        }
    }

    /// Parses a registered `alg` name; anything else (including `none`) is `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "EdDSA" => Some(Algorithm::EdDSA),
            "ES256" => Some(Algorithm::ES256),
            _ => None,
        }
    }
}

/// Why a compact JWS could not be parsed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// Not three base64url segments separated by dots.
    #[error("malformed compact JWS")]
    Malformed,
    /// The header is not a JSON object.
    #[error("malformed JWS header")]
    MalformedHeader,
    /// The payload is not a JSON object.
    #[error("malformed JWS payload")]
    MalformedPayload,
    /// `alg` is missing or not on the allow-list.
    #[error("algorithm not allowed")]
    AlgorithmNotAllowed,
    /// The header carries `crit` members this implementation does not understand (RFC 7515
    /// section 4.1.11).
    #[error("unsupported critical header")]
    UnsupportedCritical,
    /// The signature did not verify with the given key.
    #[error("signature invalid")]
    SignatureInvalid,
    /// The key cannot verify this algorithm.
    #[error("key does not match algorithm")]
    KeyMismatch,
}

/// A parsed (not yet verified) compact JWS with a JSON object payload.
#[derive(Debug, Clone)]
pub struct CompactJws {
    header: Map<String, Value>,
    payload: Map<String, Value>,
    algorithm: Algorithm,
    signing_input_len: usize,
    raw: String,
    signature: Vec<u8>,
}

impl CompactJws {
    /// Parses `header.payload.signature`. Checks the structure and that `alg` is allowed; the
    /// signature is checked by [`CompactJws::verify`].
    pub fn parse(compact: &str) -> Result<Self, JwsError> {
        let mut parts = compact.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed);
        };
        let header_bytes = base64url::decode(h).map_err(|_| JwsError::Malformed)?;
        let payload_bytes = base64url::decode(p).map_err(|_| JwsError::Malformed)?;
        let signature = base64url::decode(s).map_err(|_| JwsError::Malformed)?;
        let header: Map<String, Value> =
            serde_json::from_slice(&header_bytes).map_err(|_| JwsError::MalformedHeader)?;
        let payload: Map<String, Value> =
            serde_json::from_slice(&payload_bytes).map_err(|_| JwsError::MalformedPayload)?;
        let algorithm = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(Algorithm::from_name)
            .ok_or(JwsError::AlgorithmNotAllowed)?;
        if header.contains_key("crit") {
            return Err(JwsError::UnsupportedCritical);
        }
        Ok(Self {
            header,
            payload,
            algorithm,
            signing_input_len: h.len() + 1 + p.len(),
            raw: compact.to_owned(),
            signature,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The payload (unverified until [`CompactJws::verify`] succeeds).
    pub fn payload(&self) -> &Map<String, Value> {
        &self.payload
    }

    /// The header's `typ`, if a string.
    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }

    /// The header's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The compact serialization as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Verifies the signature with `key`, which must match `alg` and be in `allowed`.
    pub fn verify(&self, key: &PublicKey, allowed: &[Algorithm]) -> Result<(), JwsError> {
        if !allowed.contains(&self.algorithm) {
            return Err(JwsError::AlgorithmNotAllowed);
        }
        let signing_input = &self.raw.as_bytes()[..self.signing_input_len];
        match key.verify(self.algorithm, signing_input, &self.signature) {
            Ok(()) => Ok(()),
            Err(KeyError::AlgorithmMismatch) => Err(JwsError::KeyMismatch),
            Err(_) => Err(JwsError::SignatureInvalid),
        }
    }
}

/// Signs `payload` as a compact JWS. `alg` is set from the signer and overrides any `alg` in
/// `header`.
pub fn sign_compact(
    mut header: Map<String, Value>,
    payload: &Map<String, Value>,
    signer: &dyn Signer,
) -> String {
    header.insert(
        "alg".into(),
        Value::String(signer.algorithm().as_str().into()),
    );
    // Serializing a `Map<String, Value>` cannot fail.
    let header_json = Value::Object(header).to_string();
    let payload_json = Value::Object(payload.clone()).to_string();
    let signing_input = format!(
        "{}.{}",
        base64url::encode(header_json),
        base64url::encode(payload_json)
    );
    let signature = signer.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", base64url::encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Ed25519SigningKey, P256SigningKey};
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn rfc8037_appendix_a4_eddsa_signature() {
        // RFC 8037 Appendix A.4: signing "Example of Ed25519 signing" with the A.1 key.
        let seed: [u8; 32] = base64url::decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap()
            .try_into()
            .unwrap();
        let key = Ed25519SigningKey::from_seed(&seed);
        let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let sig = key.sign(input.as_bytes());
        assert_eq!(
            base64url::encode(&sig),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }

    #[test]
    fn sign_then_verify_and_tamper() {
        let key = Ed25519SigningKey::from_seed(&[1; 32]);
        let jws = sign_compact(obj(json!({"typ":"JWT"})), &obj(json!({"a":1})), &key);
        let parsed = CompactJws::parse(&jws).unwrap();
        parsed
            .verify(&key.public_key(), &[Algorithm::EdDSA])
            .unwrap();
        assert_eq!(parsed.payload()["a"], 1);
        let other = Ed25519SigningKey::from_seed(&[2; 32]);
        assert_eq!(
            parsed.verify(&other.public_key(), &[Algorithm::EdDSA]),
            Err(JwsError::SignatureInvalid)
        );
        assert_eq!(
            parsed.verify(&key.public_key(), &[Algorithm::ES256]),
            Err(JwsError::AlgorithmNotAllowed)
        );
    }

    #[test]
    fn alg_none_and_hmac_are_refused() {
        for alg in ["none", "HS256", "RS256", ""] {
            let h = base64url::encode(json!({"alg": alg}).to_string());
            let p = base64url::encode("{}");
            assert_eq!(
                CompactJws::parse(&format!("{h}.{p}.")).unwrap_err(),
                JwsError::AlgorithmNotAllowed,
                "{alg}"
            );
        }
    }

    #[test]
    fn key_of_other_type_is_refused() {
        let p = P256SigningKey::from_bytes(&[3; 32]).unwrap();
        let ed = Ed25519SigningKey::from_seed(&[3; 32]);
        let jws = sign_compact(Map::new(), &Map::new(), &p);
        let parsed = CompactJws::parse(&jws).unwrap();
        assert_eq!(
            parsed.verify(&ed.public_key(), &[Algorithm::EdDSA, Algorithm::ES256]),
            Err(JwsError::KeyMismatch)
        );
        parsed.verify(&p.public_key(), &[Algorithm::ES256]).unwrap();
    }

    #[test]
    fn malformed_structures_are_refused() {
        for bad in ["", "a.b", "a.b.c.d", "e30.e30.!!", "W10.e30.", "e30.W10."] {
            assert!(CompactJws::parse(bad).is_err(), "{bad}");
        }
    }
}
