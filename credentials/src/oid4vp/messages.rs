//! OpenID4VP 1.0 messages: the request object passed by reference (`request_uri`, section 5
//! and RFC 9101), the `openid4vp://` link that carries it, and the `direct_post` authorization
//! response (section 8.2) with its `vp_token` (section 8.1).
//!
//! This project's verifiers identify themselves with the `decentralized_identifier` client
//! identifier prefix (section 5.9.3): the `client_id` is `decentralized_identifier:<DID>` and
//! the request object is a JWS signed by a key of that DID, named by `kid`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::dcql::DcqlQuery;
use crate::jose::{Algorithm, CompactJws, JwsError, sign_compact};
use crate::keys::{PublicKey, Signer};

/// The `typ` of a request object (RFC 9101 section 10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";
/// The `aud` of a request object under static discovery (section 5.8).
pub const STATIC_DISCOVERY_AUDIENCE: &str = "https://self-issued.me/v2";
/// The client identifier prefix for verifiers identified by a DID (section 5.9.3).
pub const DID_CLIENT_ID_PREFIX: &str = "decentralized_identifier:";
/// The custom URL scheme of OpenID4VP requests (section 13.1.2 of the spec's wallet
/// invocation: `openid4vp://`).
pub const OPENID4VP_SCHEME: &str = "openid4vp";
/// `response_mode` value for a response posted by the wallet (section 8.2).
pub const RESPONSE_MODE_DIRECT_POST: &str = "direct_post";
/// The only `response_type` of a presentation request.
pub const RESPONSE_TYPE_VP_TOKEN: &str = "vp_token";

/// Longest `vp_token` / form body this module parses (a bound on untrusted input).
pub const MAX_RESPONSE_LEN: usize = 512 * 1024;

/// Why a message could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The JWS did not parse or verify.
    #[error("request object signature: {0}")]
    Jws(#[from] JwsError),
    /// `typ` is not `oauth-authz-req+jwt`.
    #[error("request object typ is not oauth-authz-req+jwt")]
    Typ,
    /// A required parameter is missing or has the wrong shape.
    #[error("missing or invalid parameter: {0}")]
    Parameter(&'static str),
    /// A parameter has a value this profile does not accept.
    #[error("unsupported value of parameter: {0}")]
    Unsupported(&'static str),
    /// The input exceeds [`MAX_RESPONSE_LEN`].
    #[error("message too large")]
    TooLarge,
    /// Invalid percent-encoding or UTF-8 in a URL or form body.
    #[error("invalid form or URL encoding")]
    Encoding,
}

/// An authorization request (section 5.1) as carried in a request object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// Always `vp_token`.
    pub response_type: String,
    /// The verifier's client identifier, with its prefix.
    pub client_id: String,
    /// `direct_post` in this profile.
    pub response_mode: String,
    /// Where the wallet posts the response (section 8.2).
    pub response_uri: String,
    /// Fresh, single-use: bound into the key binding JWT / presentation proof.
    pub nonce: String,
    /// Correlates the response with this request.
    pub state: String,
    /// What is asked.
    pub dcql_query: DcqlQuery,
    /// Verifier metadata (`vp_formats_supported`, ...), section 5.1 / 11.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<Value>,
    /// Request object issuer (the DID of the client id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Request object audience (section 5.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Issued at (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expiry of the request (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

impl AuthorizationRequest {
    /// Checks the parameters this profile requires: `response_type=vp_token`,
    /// `response_mode=direct_post` with a `response_uri`, a non-empty nonce and state, and a
    /// valid DCQL query.
    pub fn validate(&self) -> Result<(), MessageError> {
        if self.response_type != RESPONSE_TYPE_VP_TOKEN {
            return Err(MessageError::Unsupported("response_type"));
        }
        if self.response_mode != RESPONSE_MODE_DIRECT_POST {
            return Err(MessageError::Unsupported("response_mode"));
        }
        if self.response_uri.is_empty() {
            return Err(MessageError::Parameter("response_uri"));
        }
        if self.nonce.is_empty() {
            return Err(MessageError::Parameter("nonce"));
        }
        if self.state.is_empty() {
            return Err(MessageError::Parameter("state"));
        }
        if self.client_id.is_empty() {
            return Err(MessageError::Parameter("client_id"));
        }
        self.dcql_query
            .validate()
            .map_err(|_| MessageError::Parameter("dcql_query"))
    }

    /// The DID of a `decentralized_identifier:` client id.
    pub fn client_did(&self) -> Option<&str> {
        self.client_id.strip_prefix(DID_CLIENT_ID_PREFIX)
    }

    /// Signs the request as a request object (RFC 9101) with `typ` `oauth-authz-req+jwt` and
    /// `kid` naming the verification method of `signer`.
    pub fn sign(&self, kid: &str, signer: &dyn Signer) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), Value::String(REQUEST_OBJECT_TYP.into()));
        header.insert("kid".into(), Value::String(kid.into()));
        let payload = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // A struct of strings, numbers and JSON values always serializes to an object.
            _ => Map::new(),
        };
        sign_compact(header, &payload, signer)
    }

    /// Reads a signed request object: the `kid` to resolve, and the unverified request.
    /// Call [`SignedRequest::verify`] with the key found for `kid` before using it.
    pub fn parse_signed(jws: &str) -> Result<SignedRequest, MessageError> {
        if jws.len() > MAX_RESPONSE_LEN {
            return Err(MessageError::TooLarge);
        }
        let parsed = CompactJws::parse(jws)?;
        if parsed.typ() != Some(REQUEST_OBJECT_TYP) {
            return Err(MessageError::Typ);
        }
        let kid = parsed
            .header()
            .get("kid")
            .and_then(Value::as_str)
            .ok_or(MessageError::Parameter("kid"))?
            .to_owned();
        Ok(SignedRequest { jws: parsed, kid })
    }
}

/// A parsed, not yet verified, request object.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    jws: CompactJws,
    kid: String,
}

impl SignedRequest {
    /// The `kid` header: a DID URL of the verifier's key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Verifies the signature with `key` and returns the validated request. The `kid` must
    /// belong to the DID of the `client_id` (section 5.9.3, `decentralized_identifier`).
    pub fn verify(&self, key: &PublicKey) -> Result<AuthorizationRequest, MessageError> {
        self.jws
            .verify(key, &[Algorithm::EdDSA, Algorithm::ES256])?;
        let request: AuthorizationRequest =
            serde_json::from_value(Value::Object(self.jws.payload().clone()))
                .map_err(|_| MessageError::Parameter("request object"))?;
        request.validate()?;
        let did = request
            .client_did()
            .ok_or(MessageError::Unsupported("client_id"))?;
        let kid_did = self.kid.split('#').next().unwrap_or_default();
        if kid_did != did {
            return Err(MessageError::Parameter("kid"));
        }
        Ok(request)
    }
}

/// The `openid4vp://` link carrying a request by reference (section 5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLink {
    /// The verifier's client id.
    pub client_id: String,
    /// Where the wallet fetches the request object (HTTP GET).
    pub request_uri: String,
}

impl RequestLink {
    /// `openid4vp://?client_id=...&request_uri=...`
    pub fn to_uri(&self) -> String {
        format!(
            "{OPENID4VP_SCHEME}://?{}",
            form_encode(&[
                ("client_id", self.client_id.as_str()),
                ("request_uri", self.request_uri.as_str()),
            ])
        )
    }

    /// Parses a link made by [`RequestLink::to_uri`] (or any `scheme://authority?query` link
    /// with those two parameters).
    pub fn parse(uri: &str) -> Result<Self, MessageError> {
        let (_, query) = uri
            .split_once('?')
            .ok_or(MessageError::Parameter("query"))?;
        let pairs = form_decode(query)?;
        let get = |name: &'static str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .ok_or(MessageError::Parameter(name))
        };
        Ok(Self {
            client_id: get("client_id")?,
            request_uri: get("request_uri")?,
        })
    }
}

/// One presentation in a `vp_token`: an SD-JWT string or a JSON-LD presentation object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Presentation {
    /// A compact presentation (SD-JWT with KB-JWT).
    Compact(String),
    /// A JSON presentation (VC 2.0 `VerifiablePresentation` with a Data Integrity proof).
    Json(Map<String, Value>),
}

/// An authorization response (section 8): either a `vp_token` or an error.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizationResponse {
    /// The presentations, keyed by DCQL credential query id.
    VpToken {
        /// Section 8.1: each value is a non-empty array of presentations.
        vp_token: BTreeMap<String, Vec<Presentation>>,
        /// The request's `state`.
        state: Option<String>,
    },
    /// The wallet declined or failed (section 8.5).
    Error {
        /// The OAuth error code (`access_denied`, ...).
        error: String,
        /// Free text from the wallet.
        error_description: Option<String>,
        /// The request's `state`.
        state: Option<String>,
    },
}

impl AuthorizationResponse {
    /// The `state`, whichever variant.
    pub fn state(&self) -> Option<&str> {
        match self {
            AuthorizationResponse::VpToken { state, .. }
            | AuthorizationResponse::Error { state, .. } => state.as_deref(),
        }
    }

    /// The `application/x-www-form-urlencoded` body of a `direct_post` (section 8.2):
    /// `vp_token` as JSON text.
    pub fn to_form(&self) -> String {
        match self {
            AuthorizationResponse::VpToken { vp_token, state } => {
                let token = serde_json::to_string(vp_token).unwrap_or_default();
                let mut pairs = vec![("vp_token", token.as_str())];
                if let Some(s) = state {
                    pairs.push(("state", s));
                }
                form_encode(&pairs)
            }
            AuthorizationResponse::Error {
                error,
                error_description,
                state,
            } => {
                let mut pairs = vec![("error", error.as_str())];
                if let Some(d) = error_description {
                    pairs.push(("error_description", d));
                }
                if let Some(s) = state {
                    pairs.push(("state", s));
                }
                form_encode(&pairs)
            }
        }
    }

    /// Parses a `direct_post` form body. Refuses repeated parameters, a `vp_token` that is not
    /// a JSON object of non-empty arrays, and bodies over [`MAX_RESPONSE_LEN`].
    pub fn from_form(body: &str) -> Result<Self, MessageError> {
        if body.len() > MAX_RESPONSE_LEN {
            return Err(MessageError::TooLarge);
        }
        let pairs = form_decode(body)?;
        let mut seen = std::collections::BTreeSet::new();
        for (k, _) in &pairs {
            if !seen.insert(k.as_str()) {
                return Err(MessageError::Parameter("repeated parameter"));
            }
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let state = get("state");
        if let Some(error) = get("error") {
            return Ok(AuthorizationResponse::Error {
                error,
                error_description: get("error_description"),
                state,
            });
        }
        let token = get("vp_token").ok_or(MessageError::Parameter("vp_token"))?;
        let vp_token: BTreeMap<String, Vec<Presentation>> =
            serde_json::from_str(&token).map_err(|_| MessageError::Parameter("vp_token"))?;
        if vp_token.is_empty() || vp_token.values().any(Vec::is_empty) {
            return Err(MessageError::Parameter("vp_token"));
        }
        Ok(AuthorizationResponse::VpToken { vp_token, state })
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// `application/x-www-form-urlencoded` serialization (every byte outside the RFC 3986
/// unreserved set percent-encoded; space as `%20`, which every decoder accepts).
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if is_unreserved(b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Parses an `application/x-www-form-urlencoded` body (`+` is a space). Invalid
/// percent-encoding or UTF-8 is an error, never silently replaced.
pub fn form_decode(body: &str) -> Result<Vec<(String, String)>, MessageError> {
    let decode = |s: &str| -> Result<String, MessageError> {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b'%' => {
                    let hex = bytes.get(i + 1..i + 3).ok_or(MessageError::Encoding)?;
                    let text = std::str::from_utf8(hex).map_err(|_| MessageError::Encoding)?;
                    let byte = u8::from_str_radix(text, 16).map_err(|_| MessageError::Encoding)?;
                    out.push(byte);
                    i += 3;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| MessageError::Encoding)
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Ed25519SigningKey;
    use serde_json::json;

    fn request(client_id: &str) -> AuthorizationRequest {
        AuthorizationRequest {
            response_type: "vp_token".into(),
            client_id: client_id.into(),
            response_mode: "direct_post".into(),
            response_uri: "https://verifier.example/response/abc".into(),
            nonce: "n-0S6_WzA2Mj".into(),
            state: "abc".into(),
            dcql_query: DcqlQuery::from_json(&json!({
                "credentials": [{"id": "age", "format": "dc+sd-jwt",
                    "claims": [{"path": ["age_over_21"], "values": [true]}]}]
            }))
            .unwrap(),
            client_metadata: None,
            iss: None,
            aud: Some(STATIC_DISCOVERY_AUDIENCE.into()),
            iat: Some(1_700_000_000),
            exp: Some(1_700_000_300),
        }
    }

    fn did_key(key: &Ed25519SigningKey) -> String {
        format!("did:key:{}", key.public_key().to_multikey())
    }

    #[test]
    fn signed_request_object_round_trips() {
        let key = Ed25519SigningKey::from_seed(&[1; 32]);
        let did = did_key(&key);
        let req = request(&format!("{DID_CLIENT_ID_PREFIX}{did}"));
        let kid = format!("{did}#{}", key.public_key().to_multikey());
        let jws = req.sign(&kid, &key);
        let parsed = AuthorizationRequest::parse_signed(&jws).unwrap();
        assert_eq!(parsed.kid(), kid);
        assert_eq!(parsed.verify(&key.public_key()).unwrap(), req);
    }

    #[test]
    fn request_signed_by_another_key_or_kid_of_another_did_is_refused() {
        let key = Ed25519SigningKey::from_seed(&[1; 32]);
        let other = Ed25519SigningKey::from_seed(&[2; 32]);
        let did = did_key(&key);
        let req = request(&format!("{DID_CLIENT_ID_PREFIX}{did}"));
        let jws = req.sign(&format!("{did}#k"), &other);
        let parsed = AuthorizationRequest::parse_signed(&jws).unwrap();
        assert!(matches!(
            parsed.verify(&key.public_key()),
            Err(MessageError::Jws(_))
        ));
        // Signed correctly, but the kid names a key of another DID than the client id's.
        let jws = req.sign(&format!("{}#k", did_key(&other)), &key);
        let parsed = AuthorizationRequest::parse_signed(&jws).unwrap();
        assert_eq!(
            parsed.verify(&key.public_key()),
            Err(MessageError::Parameter("kid"))
        );
    }

    #[test]
    fn request_object_typ_is_required() {
        let key = Ed25519SigningKey::from_seed(&[1; 32]);
        let payload = serde_json::to_value(request("decentralized_identifier:did:x:y")).unwrap();
        let jws = sign_compact(Map::new(), payload.as_object().unwrap(), &key);
        assert_eq!(
            AuthorizationRequest::parse_signed(&jws).unwrap_err(),
            MessageError::Typ
        );
    }

    #[test]
    fn unsupported_response_mode_and_empty_nonce_are_refused() {
        let mut r = request("decentralized_identifier:did:x:y");
        r.response_mode = "fragment".into();
        assert_eq!(
            r.validate(),
            Err(MessageError::Unsupported("response_mode"))
        );
        let mut r = request("decentralized_identifier:did:x:y");
        r.nonce.clear();
        assert_eq!(r.validate(), Err(MessageError::Parameter("nonce")));
    }

    #[test]
    fn request_link_round_trips_with_escaping() {
        let link = RequestLink {
            client_id: "decentralized_identifier:did:key:z6Mk".into(),
            request_uri: "https://v.example/request/a b?x=1&y=2".into(),
        };
        let uri = link.to_uri();
        assert!(uri.starts_with("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3Az6Mk&request_uri=https%3A%2F%2F"));
        assert_eq!(RequestLink::parse(&uri).unwrap(), link);
    }

    #[test]
    fn direct_post_form_round_trips() {
        let mut vp_token = BTreeMap::new();
        vp_token.insert(
            "age".to_owned(),
            vec![Presentation::Compact("eyJ~x~eyJ".into())],
        );
        vp_token.insert(
            "vc".to_owned(),
            vec![Presentation::Json(
                json!({"type": ["VerifiablePresentation"]})
                    .as_object()
                    .unwrap()
                    .clone(),
            )],
        );
        let resp = AuthorizationResponse::VpToken {
            vp_token,
            state: Some("s+1".into()),
        };
        assert_eq!(
            AuthorizationResponse::from_form(&resp.to_form()).unwrap(),
            resp
        );
        let err = AuthorizationResponse::Error {
            error: "access_denied".into(),
            error_description: Some("user said no".into()),
            state: Some("s".into()),
        };
        assert_eq!(
            AuthorizationResponse::from_form(&err.to_form()).unwrap(),
            err
        );
    }

    proptest::proptest! {
        #[test]
        fn form_encoding_round_trips(pairs in proptest::collection::vec(("\\PC*", "\\PC*"), 1..5)) {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let decoded = form_decode(&form_encode(&borrowed)).unwrap();
            let expected: Vec<(String, String)> = pairs.iter()
                .filter(|(k, v)| !(k.is_empty() && v.is_empty()))
                .cloned()
                .collect();
            let decoded: Vec<(String, String)> = decoded.into_iter()
                .filter(|(k, v)| !(k.is_empty() && v.is_empty()))
                .collect();
            proptest::prop_assert_eq!(decoded, expected);
        }

        /// The fuzz harness body for the untrusted-input parsers of this module, run over
        /// arbitrary text: never a panic.
        #[test]
        fn parsers_of_untrusted_input_never_panic(text in "\\PC{0,300}", bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            for input in [text.as_str(), lossy.as_str()] {
                let _ = AuthorizationResponse::from_form(input);
                let _ = RequestLink::parse(input);
                let _ = AuthorizationRequest::parse_signed(input);
                let _ = form_decode(input);
                let _ = serde_json::from_str::<serde_json::Value>(input)
                    .map(|v| DcqlQuery::from_json(&v));
            }
        }
    }

    #[test]
    fn malformed_responses_are_refused() {
        for body in [
            "state=x",
            "vp_token=%7B%7D",
            "vp_token=%7B%22a%22%3A%5B%5D%7D",
            "vp_token=%5B%5D",
            "vp_token=%ZZ",
            "vp_token=%FF",
            "vp_token=%7B%22a%22%3A%5B%22x%22%5D%7D&vp_token=%7B%7D",
        ] {
            assert!(AuthorizationResponse::from_form(body).is_err(), "{body}");
        }
        let huge = "a".repeat(MAX_RESPONSE_LEN + 1);
        assert_eq!(
            AuthorizationResponse::from_form(&huge),
            Err(MessageError::TooLarge)
        );
    }
}
