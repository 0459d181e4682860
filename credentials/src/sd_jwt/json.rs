//! The JWS JSON serialization of SD-JWT (RFC 9901 section 8), flattened and general.
//!
//! The disclosures travel in the unprotected header member `disclosures` and the Key Binding
//! JWT in `kb_jwt` (section 8.1), of the first signature only in the general form. `sd_hash`
//! covers the compact form of the *first* signature, `<protected>.<payload>.<signature>~`
//! followed by the disclosures (section 8.1). A verifier accepts the SD-JWT if one of the
//! signatures verifies with the issuer key (RFC 7515 section 7.2: which signatures must verify
//! is the application's choice). Unprotected header members are never used to find a key.

use chrono::{DateTime, Utc};
use rand_core::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use super::SdJwtError;
use super::holder::{Parts, SdJwt, add_key_binding};
use super::issuer::{IssueOptions, prepare};
use super::path::ClaimPath;
use super::verifier::{IssuerKey, SdJwtVerification, VerifyOptions, verify_parts};
use crate::base64url;
use crate::jose::sign_compact;
use crate::keys::Signer;

/// Most signatures accepted in the general JSON serialization. Every signature is verified
/// with all the rules, the processing of every disclosure included, so the work grows with
/// signatures times disclosures: the bound keeps it linear in the input (an SD-JWT has one
/// issuer; a few signatures cover key rotation). A bound on untrusted input, not a spec rule.
pub const MAX_JSON_SIGNATURES: usize = 8;

const DISCLOSURES: &str = "disclosures";
const KB_JWT: &str = "kb_jwt";

/// One signature of a JSON-serialized SD-JWT.
#[derive(Clone, PartialEq)]
struct JsonSignature {
    protected: String,
    /// The unprotected header without `disclosures` and `kb_jwt`.
    header: Map<String, Value>,
    signature: String,
}

/// Which JWS JSON serialization (RFC 7515 section 7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// One signature, its members at the top level.
    Flattened,
    /// A `signatures` array (one or more).
    General,
}

/// An SD-JWT (or SD-JWT+KB) in the JWS JSON serialization. Parsing checks structure only.
#[derive(Clone, PartialEq)]
pub struct JsonSdJwt {
    form: JsonForm,
    payload: String,
    signatures: Vec<JsonSignature>,
    disclosures: Vec<String>,
    key_binding_jwt: Option<String>,
}

/// Redacted: a credential never appears in logs.
impl std::fmt::Debug for JsonSdJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSdJwt")
            .field("form", &self.form)
            .field("signatures", &self.signatures.len())
            .field("disclosures", &self.disclosures.len())
            .field("key_bound", &self.key_binding_jwt.is_some())
            .finish_non_exhaustive()
    }
}

/// A signer of a JSON-serialized SD-JWT with the `kid` of its protected header.
#[derive(Clone, Copy)]
pub struct JsonSigner<'a> {
    /// The issuer key.
    pub signer: &'a dyn Signer,
    /// The protected header `kid`, if any.
    pub kid: Option<&'a str>,
}

/// Issues an SD-JWT in the JSON serialization: [`JsonForm::Flattened`] takes exactly one
/// signer, [`JsonForm::General`] one to [`MAX_JSON_SIGNATURES`], each signing the same payload. `options.kid`
/// must be unset (each signer has its own).
pub fn issue_json<R: RngCore + CryptoRng + ?Sized>(
    payload: Map<String, Value>,
    disclosable: &[ClaimPath],
    options: &IssueOptions,
    signers: &[JsonSigner<'_>],
    form: JsonForm,
    rng: &mut R,
) -> Result<JsonSdJwt, SdJwtError> {
    let count_ok = match form {
        JsonForm::Flattened => signers.len() == 1,
        JsonForm::General => !signers.is_empty() && signers.len() <= MAX_JSON_SIGNATURES,
    };
    if !count_ok || options.kid.is_some() || options.extra_header.contains_key("kid") {
        return Err(SdJwtError::ReservedHeaderParameter);
    }
    let prepared = prepare(payload, disclosable, options, rng)?;
    let mut encoded_payload = None;
    let mut signatures = Vec::with_capacity(signers.len());
    for JsonSigner { signer, kid } in signers {
        let mut header = prepared.header.clone();
        if let Some(kid) = kid {
            header.insert("kid".into(), Value::String((*kid).to_owned()));
        }
        let compact = sign_compact(header, &prepared.payload, *signer);
        let mut parts = compact.split('.');
        let (Some(protected), Some(payload), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(SdJwtError::Malformed);
        };
        encoded_payload.get_or_insert_with(|| payload.to_owned());
        signatures.push(JsonSignature {
            protected: protected.to_owned(),
            header: Map::new(),
            signature: signature.to_owned(),
        });
    }
    Ok(JsonSdJwt {
        form,
        payload: encoded_payload.ok_or(SdJwtError::Malformed)?,
        signatures,
        disclosures: prepared
            .disclosures
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect(),
        key_binding_jwt: None,
    })
}

fn string_member(obj: &Map<String, Value>, name: &str) -> Result<String, SdJwtError> {
    obj.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or(SdJwtError::Malformed)
}

impl JsonSdJwt {
    /// Parses the flattened or general JSON serialization.
    pub fn parse(json: &str) -> Result<Self, SdJwtError> {
        let top: Map<String, Value> =
            serde_json::from_str(json).map_err(|_| SdJwtError::Malformed)?;
        let payload = string_member(&top, "payload")?;
        let (form, raw_signatures): (JsonForm, Vec<&Map<String, Value>>) =
            match top.get("signatures") {
                Some(Value::Array(list)) => {
                    if list.is_empty()
                        || list.len() > MAX_JSON_SIGNATURES
                        || ["protected", "signature", "header"]
                            .iter()
                            .any(|m| top.contains_key(*m))
                    {
                        return Err(SdJwtError::Malformed);
                    }
                    let list = list
                        .iter()
                        .map(|s| s.as_object().ok_or(SdJwtError::Malformed))
                        .collect::<Result<Vec<_>, _>>()?;
                    (JsonForm::General, list)
                }
                Some(_) => return Err(SdJwtError::Malformed),
                None => (JsonForm::Flattened, vec![&top]),
            };
        let mut disclosures = Vec::new();
        let mut key_binding_jwt = None;
        let mut signatures = Vec::with_capacity(raw_signatures.len());
        for (index, raw) in raw_signatures.into_iter().enumerate() {
            let protected = string_member(raw, "protected")?;
            let signature = string_member(raw, "signature")?;
            let mut header = match raw.get("header") {
                None => Map::new(),
                Some(Value::Object(header)) => header.clone(),
                Some(_) => return Err(SdJwtError::Malformed),
            };
            // RFC 7515 section 7.2.1: protected and unprotected members are disjoint.
            let protected_header: Map<String, Value> = base64url::decode(&protected)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or(SdJwtError::Malformed)?;
            if header.keys().any(|k| protected_header.contains_key(k)) {
                return Err(SdJwtError::Malformed);
            }
            let found_disclosures = header.remove(DISCLOSURES);
            let found_kb = header.remove(KB_JWT);
            // Section 8.1: only the first signature carries them.
            if index > 0 && (found_disclosures.is_some() || found_kb.is_some()) {
                return Err(SdJwtError::Malformed);
            }
            if let Some(list) = found_disclosures {
                disclosures = list
                    .as_array()
                    .ok_or(SdJwtError::Malformed)?
                    .iter()
                    .map(|d| {
                        d.as_str()
                            .filter(|d| !d.is_empty() && !d.contains('~'))
                            .map(str::to_owned)
                            .ok_or(SdJwtError::Malformed)
                    })
                    .collect::<Result<_, _>>()?;
            }
            if let Some(kb) = found_kb {
                let kb = kb.as_str().filter(|kb| !kb.is_empty() && !kb.contains('~'));
                key_binding_jwt = Some(kb.ok_or(SdJwtError::Malformed)?.to_owned());
            }
            signatures.push(JsonSignature {
                protected,
                header,
                signature,
            });
        }
        Ok(Self {
            form,
            payload,
            signatures,
            disclosures,
            key_binding_jwt,
        })
    }

    /// Flattened or general.
    pub fn form(&self) -> JsonForm {
        self.form
    }

    /// The disclosures, as carried.
    pub fn disclosures(&self) -> &[String] {
        &self.disclosures
    }

    /// The Key Binding JWT, if any.
    pub fn key_binding_jwt(&self) -> Option<&str> {
        self.key_binding_jwt.as_deref()
    }

    /// The number of signatures.
    pub fn signature_count(&self) -> usize {
        self.signatures.len()
    }

    /// The compact JWS of signature `index`.
    fn jwt(&self, index: usize) -> Option<String> {
        self.signatures
            .get(index)
            .map(|s| format!("{}.{}.{}", s.protected, self.payload, s.signature))
    }

    /// `<first JWS>~<D1>~...~<Dn>~`: the input of `sd_hash` (section 8.1).
    fn compact_without_key_binding(&self) -> Result<String, SdJwtError> {
        let mut out = self.jwt(0).ok_or(SdJwtError::Malformed)?;
        out.push('~');
        for d in &self.disclosures {
            out.push_str(d);
            out.push('~');
        }
        Ok(out)
    }

    /// The same SD-JWT in the compact serialization, with the first signature.
    pub fn to_compact(&self) -> Result<String, SdJwtError> {
        let mut out = self.compact_without_key_binding()?;
        if let Some(kb) = &self.key_binding_jwt {
            out.push_str(kb);
        }
        Ok(out)
    }

    /// The JSON serialization.
    pub fn to_json(&self) -> String {
        let with_sd = |index: usize, header: &Map<String, Value>| {
            let mut header = header.clone();
            if index == 0 {
                header.insert(
                    DISCLOSURES.into(),
                    Value::Array(
                        self.disclosures
                            .iter()
                            .cloned()
                            .map(Value::String)
                            .collect(),
                    ),
                );
                if let Some(kb) = &self.key_binding_jwt {
                    header.insert(KB_JWT.into(), Value::String(kb.clone()));
                }
            }
            header
        };
        let signature_object = |index: usize, s: &JsonSignature| {
            let mut obj = Map::new();
            let header = with_sd(index, &s.header);
            if !header.is_empty() {
                obj.insert("header".into(), Value::Object(header));
            }
            obj.insert("protected".into(), Value::String(s.protected.clone()));
            obj.insert("signature".into(), Value::String(s.signature.clone()));
            obj
        };
        let mut top = Map::new();
        top.insert("payload".into(), Value::String(self.payload.clone()));
        match self.form {
            JsonForm::Flattened => {
                if let Some(first) = self.signatures.first() {
                    top.extend(signature_object(0, first));
                }
            }
            JsonForm::General => {
                let list = self
                    .signatures
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Value::Object(signature_object(i, s)))
                    .collect();
                top.insert("signatures".into(), Value::Array(list));
            }
        }
        Value::Object(top).to_string()
    }

    /// A presentation with exactly the claims at `selection` (see [`SdJwt::present`]), in the
    /// same JSON form, without a Key Binding JWT.
    pub fn present(&self, selection: &[ClaimPath]) -> Result<Self, SdJwtError> {
        if self.key_binding_jwt.is_some() {
            return Err(SdJwtError::AlreadyKeyBound);
        }
        let compact = SdJwt::parse(&self.to_compact()?)?.present(selection)?;
        let selected = SdJwt::parse(&compact)?;
        Ok(Self {
            disclosures: selected
                .disclosures()
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect(),
            ..self.clone()
        })
    }

    /// Adds a Key Binding JWT (see [`add_key_binding`]); `sd_hash` covers the compact form of
    /// the first signature with the disclosures (section 8.1).
    pub fn add_key_binding(
        &self,
        holder: &dyn Signer,
        audience: &str,
        nonce: &str,
        issued_at: DateTime<Utc>,
    ) -> Result<Self, SdJwtError> {
        if self.key_binding_jwt.is_some() {
            return Err(SdJwtError::AlreadyKeyBound);
        }
        let base = self.compact_without_key_binding()?;
        let bound = add_key_binding(&base, holder, audience, nonce, issued_at)?;
        let kb = bound.get(base.len()..).ok_or(SdJwtError::Malformed)?;
        Ok(Self {
            key_binding_jwt: Some(kb.to_owned()),
            ..self.clone()
        })
    }
}

/// Verifies an SD-JWT or SD-JWT+KB in the JSON serialization with the rules of
/// [`super::verify`]. The result of the first signature that verifies completely is
/// returned; if none does, the first signature's.
pub fn verify_json(
    json: &str,
    issuer_key: IssuerKey<'_>,
    options: &VerifyOptions,
) -> Result<SdJwtVerification, SdJwtError> {
    if options.algorithms.is_empty() || options.hash_algorithms.is_empty() {
        return Err(SdJwtError::InvalidOptions);
    }
    let Ok(parsed) = JsonSdJwt::parse(json) else {
        return Ok(SdJwtVerification::malformed(
            "not a JWS JSON serialization of an SD-JWT",
        ));
    };
    let Ok(without_key_binding) = parsed.compact_without_key_binding() else {
        return Ok(SdJwtVerification::malformed("no signature"));
    };
    let disclosures: Vec<&str> = parsed.disclosures.iter().map(String::as_str).collect();
    let mut first = None;
    for index in 0..parsed.signatures.len() {
        let Some(jwt) = parsed.jwt(index) else {
            break;
        };
        let parts = Parts {
            issuer_jwt: &jwt,
            disclosures: disclosures.clone(),
            key_binding_jwt: parsed.key_binding_jwt.as_deref(),
            without_key_binding: &without_key_binding,
        };
        let result = verify_parts(&parts, issuer_key, options);
        if matches!(&result, Ok(v) if v.is_verified()) {
            return result;
        }
        first.get_or_insert(result);
    }
    first.unwrap_or_else(|| Ok(SdJwtVerification::malformed("no signature")))
}
