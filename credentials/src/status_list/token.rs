//! IETF Token Status List (draft-ietf-oauth-status-list), the status mechanism of SD-JWT VC.
//!
//! - [`TokenStatusList`]: the byte array of `bits`-bit statuses (section 4.1), index 0 in the
//!   least significant bits of byte 0, mutable for the issuer (`set`/`get` in O(1)), encoded
//!   as `lst` = base64url(ZLIB(DEFLATE(bytes))) (section 4.2).
//! - [`StatusListReference`]: the Referenced Token's `status.status_list` claim with `idx`
//!   and `uri` (section 6.2).
//! - [`StatusListTokenClaims`]: the Status List Token payload for an issuer to sign as a JWT
//!   of `typ` `statuslist+jwt` (section 5.1).
//! - [`verify_status_list_token`] / [`check_status`]: the Relying Party's validation rules
//!   (section 8.3), returning a typed [`TokenStatus`] or a [`StatusListError`].
//!
//! Section numbers refer to the editor's copy of January 2026.

use serde_json::{Map, Value, json};

use super::{
    Compression, DEFAULT_CLOCK_SKEW_SECONDS, MAX_DECOMPRESSED_BYTES, MIN_ENTRIES, StatusListError,
    StatusOutcome, bounded_skew_seconds, compress, decompress_bounded, is_url,
};
use crate::base64url;
use crate::jose::{Algorithm, CompactJws, sign_compact};
use crate::keys::{PublicKey, Signer};
use crate::report::FailureCode;
use crate::resolver::{KeyResolutionError, KeyResolver, Relationship};

/// The JWT `typ` of a Status List Token (section 5.1).
pub const TYP: &str = "statuslist+jwt";

/// Bits per Referenced Token (section 4.1 step 1: 1, 2, 4 or 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bits {
    /// 1 bit: VALID / INVALID.
    One,
    /// 2 bits: up to 4 statuses.
    Two,
    /// 4 bits: up to 16 statuses.
    Four,
    /// 8 bits: up to 256 statuses.
    Eight,
}

impl Bits {
    /// Parses a `bits` value; anything but 1, 2, 4, 8 is [`StatusListError::InvalidBits`].
    pub fn from_count(count: u64) -> Result<Self, StatusListError> {
        match count {
            1 => Ok(Bits::One),
            2 => Ok(Bits::Two),
            4 => Ok(Bits::Four),
            8 => Ok(Bits::Eight),
            _ => Err(StatusListError::InvalidBits),
        }
    }

    /// The number of bits.
    pub fn count(self) -> u8 {
        match self {
            Bits::One => 1,
            Bits::Two => 2,
            Bits::Four => 4,
            Bits::Eight => 8,
        }
    }

    fn mask(self) -> u8 {
        match self {
            Bits::Eight => 0xff,
            other => (1u8 << other.count()) - 1,
        }
    }
}

/// The status of a Referenced Token (section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStatus {
    /// 0x00 VALID.
    Valid,
    /// 0x01 INVALID: revoked, annulled, recalled, cancelled.
    Invalid,
    /// 0x02 SUSPENDED: temporarily invalid.
    Suspended,
    /// Any other value: application-specific (0x03, 0x0C-0x0F) or not yet registered.
    Other(u8),
}

impl TokenStatus {
    /// The status for a raw value.
    pub fn from_value(value: u8) -> Self {
        match value {
            0x00 => TokenStatus::Valid,
            0x01 => TokenStatus::Invalid,
            0x02 => TokenStatus::Suspended,
            other => TokenStatus::Other(other),
        }
    }

    /// The raw value.
    pub fn value(self) -> u8 {
        match self {
            TokenStatus::Valid => 0x00,
            TokenStatus::Invalid => 0x01,
            TokenStatus::Suspended => 0x02,
            TokenStatus::Other(value) => value,
        }
    }

    /// Whether the value is permanently reserved as application-specific (section 7.1:
    /// 0x03 and 0x0C until 0x0F).
    pub fn is_application_specific(self) -> bool {
        matches!(self.value(), 0x03 | 0x0c..=0x0f)
    }
}

impl StatusOutcome for TokenStatus {
    fn failure(&self) -> Option<(FailureCode, &'static str)> {
        match self {
            TokenStatus::Valid => None,
            TokenStatus::Invalid => Some((FailureCode::Revoked, "credential invalid (revoked)")),
            TokenStatus::Suspended => Some((FailureCode::Suspended, "credential suspended")),
            // Meaning is application-specific: fail closed, policy may decide otherwise.
            TokenStatus::Other(_) => Some((
                FailureCode::StatusUnavailable,
                "application-specific or unregistered status",
            )),
        }
    }
}

/// A Status List: `bits`-bit statuses packed from the least significant bit of each byte
/// (section 4.1 step 3).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenStatusList {
    bits: Bits,
    bytes: Vec<u8>,
    len: usize,
}

impl std::fmt::Debug for TokenStatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStatusList")
            .field("len", &self.len)
            .field("bits", &self.bits.count())
            .finish_non_exhaustive()
    }
}

impl TokenStatusList {
    /// A list of `len` statuses, all VALID. Refuses fewer than [`MIN_ENTRIES`] entries: the
    /// specification sets no minimum, this project uses Bitstring Status List's herd-privacy
    /// size (section 12.1: herd privacy depends on the list's size).
    pub fn new(len: usize, bits: Bits) -> Result<Self, StatusListError> {
        Self::with_minimum(len, bits, MIN_ENTRIES)
    }

    /// Like [`TokenStatusList::new`] with another lower bound. Prefer [`Self::new`].
    pub fn with_minimum(
        len: usize,
        bits: Bits,
        minimum_entries: usize,
    ) -> Result<Self, StatusListError> {
        if len < minimum_entries || len == 0 {
            return Err(StatusListError::ListTooSmall {
                entries: len,
                minimum: minimum_entries,
            });
        }
        let byte_len = len
            .checked_mul(usize::from(bits.count()))
            .ok_or(StatusListError::ListTooLarge)?
            .div_ceil(8);
        if byte_len > MAX_DECOMPRESSED_BYTES {
            return Err(StatusListError::ListTooLarge);
        }
        Ok(Self {
            bits,
            bytes: vec![0; byte_len],
            len,
        })
    }

    /// A list over an uncompressed byte array; its length is `bytes.len() * 8 / bits`.
    pub fn from_bytes(bits: Bits, bytes: Vec<u8>) -> Result<Self, StatusListError> {
        if bytes.is_empty() {
            return Err(StatusListError::ListTooSmall {
                entries: 0,
                minimum: 1,
            });
        }
        if bytes.len() > MAX_DECOMPRESSED_BYTES {
            return Err(StatusListError::ListTooLarge);
        }
        let len = bytes.len() * 8 / usize::from(bits.count());
        Ok(Self { bits, bytes, len })
    }

    /// Decodes `lst` (section 4.2: base64url of the ZLIB-compressed byte array), with the
    /// decompression cap. No minimum size is applied here (the specification has none); the
    /// verification functions apply one.
    pub fn decode(bits: Bits, lst: &str) -> Result<Self, StatusListError> {
        let compressed = base64url::decode(lst).map_err(|_| StatusListError::InvalidBase64Url)?;
        let bytes = decompress_bounded(&compressed, Compression::Zlib, MAX_DECOMPRESSED_BYTES)?;
        Self::from_bytes(bits, bytes)
    }

    /// Reads a `status_list` JSON object (section 4.2): `bits` in {1, 2, 4, 8} and `lst`.
    pub fn from_json(status_list: &Value) -> Result<Self, StatusListError> {
        let obj = status_list
            .as_object()
            .ok_or(StatusListError::InvalidProperty("status_list"))?;
        let bits = obj
            .get("bits")
            .ok_or(StatusListError::MissingProperty("bits"))?
            .as_u64()
            .ok_or(StatusListError::InvalidBits)?;
        let bits = Bits::from_count(bits)?;
        let lst = obj
            .get("lst")
            .ok_or(StatusListError::MissingProperty("lst"))?
            .as_str()
            .ok_or(StatusListError::InvalidProperty("lst"))?;
        if obj.get("aggregation_uri").is_some_and(|u| !u.is_string()) {
            return Err(StatusListError::InvalidProperty("aggregation_uri"));
        }
        Self::decode(bits, lst)
    }

    /// The `lst` value: base64url(ZLIB at the highest compression level) (section 4.1 step 4).
    pub fn encode(&self) -> String {
        base64url::encode(compress(&self.bytes, Compression::Zlib))
    }

    /// The `status_list` JSON object `{"bits", "lst"}` (section 4.2).
    pub fn to_json(&self) -> Value {
        json!({ "bits": self.bits.count(), "lst": self.encode() })
    }

    /// The number of statuses.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: a list has at least one status.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bits per status.
    pub fn bits(&self) -> Bits {
        self.bits
    }

    /// The uncompressed byte array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The raw status value at `index` (section 8.3 step 6: out of bounds is an error).
    pub fn get(&self, index: usize) -> Result<u8, StatusListError> {
        let (byte, shift) = self.position(index)?;
        Ok((self.bytes[byte] >> shift) & self.bits.mask())
    }

    /// The status at `index`.
    pub fn status(&self, index: usize) -> Result<TokenStatus, StatusListError> {
        self.get(index).map(TokenStatus::from_value)
    }

    /// Sets the status at `index` to `value`, which must fit in `bits`.
    pub fn set(&mut self, index: usize, value: u8) -> Result<(), StatusListError> {
        let (byte, shift) = self.position(index)?;
        let mask = self.bits.mask();
        if value & !mask != 0 {
            return Err(StatusListError::StatusValueTooLarge);
        }
        self.bytes[byte] = (self.bytes[byte] & !(mask << shift)) | (value << shift);
        Ok(())
    }

    /// Byte and bit offset of `index`: statuses are packed from bit 0 (least significant)
    /// upwards within each byte (section 4.1 step 3; section 11.1).
    fn position(&self, index: usize) -> Result<(usize, u32), StatusListError> {
        if index >= self.len {
            return Err(StatusListError::IndexOutOfRange);
        }
        let bit = index * usize::from(self.bits.count());
        // `bit % 8 < 8`.
        Ok((bit / 8, (bit % 8) as u32))
    }
}

/// The `status_list` member of a Referenced Token's `status` claim (section 6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListReference {
    /// `idx`: the index in the Status List.
    pub idx: usize,
    /// `uri`: identifies the Status List Token.
    pub uri: String,
}

impl StatusListReference {
    /// Reads the `status` claim of a Referenced Token (section 6.2; section 8.3 step 1):
    /// `status.status_list` with a non-negative integer `idx` and a URI `uri`.
    pub fn from_status_claim(status: &Value) -> Result<Self, StatusListError> {
        let status_list = status
            .as_object()
            .ok_or(StatusListError::InvalidProperty("status"))?
            .get("status_list")
            .ok_or(StatusListError::MissingProperty("status_list"))?
            .as_object()
            .ok_or(StatusListError::InvalidProperty("status_list"))?;
        let idx = status_list
            .get("idx")
            .ok_or(StatusListError::MissingProperty("idx"))?
            .as_u64()
            .ok_or(StatusListError::InvalidIndex)?;
        let idx = usize::try_from(idx).map_err(|_| StatusListError::IndexOutOfRange)?;
        let uri = status_list
            .get("uri")
            .ok_or(StatusListError::MissingProperty("uri"))?
            .as_str()
            .filter(|uri| is_url(uri))
            .ok_or(StatusListError::InvalidProperty("uri"))?;
        Ok(Self {
            idx,
            uri: uri.to_owned(),
        })
    }

    /// The `status` claim for a Referenced Token: `{"status_list": {"idx", "uri"}}`.
    pub fn to_status_claim(&self) -> Value {
        json!({ "status_list": { "idx": self.idx, "uri": self.uri } })
    }
}

/// The claims of a Status List Token besides the list (section 5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListTokenClaims {
    /// `sub`: the URI of the Status List Token, equal to the Referenced Tokens' `uri`.
    pub sub: String,
    /// `iss`, if the issuer states one.
    pub iss: Option<String>,
    /// `iat` (unix seconds).
    pub iat: i64,
    /// `exp` (unix seconds), recommended.
    pub exp: Option<i64>,
    /// `ttl` in seconds, recommended; must be positive (a 0 is not written).
    pub ttl: Option<u64>,
    /// `status_list.aggregation_uri` (section 9.2), if any.
    pub aggregation_uri: Option<String>,
}

impl StatusListTokenClaims {
    /// The JWT payload carrying `list`.
    pub fn payload(&self, list: &TokenStatusList) -> Map<String, Value> {
        let mut status_list = Map::new();
        status_list.insert("bits".into(), Value::from(list.bits().count()));
        status_list.insert("lst".into(), Value::String(list.encode()));
        if let Some(uri) = &self.aggregation_uri {
            status_list.insert("aggregation_uri".into(), Value::String(uri.clone()));
        }
        let mut payload = Map::new();
        payload.insert("sub".into(), Value::String(self.sub.clone()));
        if let Some(iss) = &self.iss {
            payload.insert("iss".into(), Value::String(iss.clone()));
        }
        payload.insert("iat".into(), Value::from(self.iat));
        if let Some(exp) = self.exp {
            payload.insert("exp".into(), Value::from(exp));
        }
        if let Some(ttl) = self.ttl.filter(|ttl| *ttl > 0) {
            payload.insert("ttl".into(), Value::from(ttl));
        }
        payload.insert("status_list".into(), Value::Object(status_list));
        payload
    }

    /// The JWT header: `typ` `statuslist+jwt` and the `kid`, if given (`alg` is set when
    /// signing).
    pub fn header(kid: Option<&str>) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("typ".into(), Value::String(TYP.into()));
        if let Some(kid) = kid {
            header.insert("kid".into(), Value::String(kid.into()));
        }
        header
    }

    /// Signs the Status List Token as a compact JWS.
    pub fn sign(&self, list: &TokenStatusList, signer: &dyn Signer, kid: Option<&str>) -> String {
        sign_compact(Self::header(kid), &self.payload(list), signer)
    }
}

/// Where the Status List Token's verification key comes from.
#[derive(Clone, Copy)]
pub enum IssuerKey<'a> {
    /// A key the caller trusts for this status list.
    Key(&'a PublicKey),
    /// The header's `kid`, resolved under `assertionMethod`, which must be a verification
    /// method of `issuer` (a DID: typically the Referenced Token's issuer). A relative `kid`
    /// (`#key-1`) is taken relative to `issuer`. Without the binding to `issuer`, anyone
    /// could sign a list with a key of their own DID.
    Resolver {
        /// Resolves verification methods.
        resolver: &'a dyn KeyResolver,
        /// The DID whose keys may sign the list.
        issuer: &'a str,
    },
}

impl std::fmt::Debug for IssuerKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssuerKey::Key(key) => f.debug_tuple("Key").field(key).finish(),
            IssuerKey::Resolver { issuer, .. } => {
                f.debug_struct("Resolver").field("issuer", issuer).finish()
            }
        }
    }
}

/// Options of Status List Token verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenValidation {
    /// Accepted signature algorithms.
    pub algorithms: Vec<Algorithm>,
    /// Clock skew tolerated on `iat`, `nbf` and `exp`, in seconds (RFC 7519 section 4.1.4
    /// "leeway"): a token signed moments after the verifier read its clock is not "issued in
    /// the future". Defaults to [`DEFAULT_CLOCK_SKEW_SECONDS`]; bounded to
    /// `0..=`[`super::MAX_CLOCK_SKEW_SECONDS`] whatever is set here.
    pub leeway_seconds: i64,
    /// Lists with fewer statuses are refused (herd privacy). Defaults to [`MIN_ENTRIES`];
    /// lower it only for issuers known to publish smaller lists.
    pub minimum_entries: usize,
}

impl Default for TokenValidation {
    fn default() -> Self {
        Self {
            algorithms: vec![Algorithm::EdDSA, Algorithm::ES256],
            leeway_seconds: DEFAULT_CLOCK_SKEW_SECONDS,
            minimum_entries: MIN_ENTRIES,
        }
    }
}

/// A Status List Token whose signature and claims have been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusListToken {
    /// `sub`.
    pub sub: String,
    /// `iss`, if present.
    pub iss: Option<String>,
    /// `iat`.
    pub iat: i64,
    /// `exp`, if present.
    pub exp: Option<i64>,
    /// `ttl` in seconds, if present (section 8.3 step 4d: for the caller's cache).
    pub ttl: Option<u64>,
    /// `status_list.aggregation_uri`, if present.
    pub aggregation_uri: Option<String>,
    /// The decoded list.
    pub list: TokenStatusList,
}

impl VerifiedStatusListToken {
    /// The status at `idx` (section 8.3 steps 6-7).
    pub fn status(&self, idx: usize) -> Result<TokenStatus, StatusListError> {
        self.list.status(idx)
    }
}

/// Verifies a Status List Token in JWT format for the Referenced Token's `uri` at unix time
/// `now` (section 8.3 steps 3-5).
pub fn verify_status_list_token(
    token: &str,
    uri: &str,
    key: IssuerKey<'_>,
    now: i64,
    options: &TokenValidation,
) -> Result<VerifiedStatusListToken, StatusListError> {
    // Step 3a / section 5.1 rule 2: a JWS with an allow-listed asymmetric algorithm.
    let jws = CompactJws::parse(token)?;
    // Section 5.1: `typ` MUST be `statuslist+jwt`. Media type names are case-insensitive
    // and may carry the `application/` prefix (RFC 7515 section 4.1.9).
    let typ = jws.typ().map(str::to_ascii_lowercase);
    if !matches!(
        typ.as_deref(),
        Some("statuslist+jwt" | "application/statuslist+jwt")
    ) {
        return Err(StatusListError::TypMismatch);
    }
    let public_key = match key {
        IssuerKey::Key(key) => key.clone(),
        IssuerKey::Resolver { resolver, issuer } => {
            let kid = jws
                .header()
                .get("kid")
                .ok_or(StatusListError::MissingProperty("kid"))?
                .as_str()
                .ok_or(StatusListError::InvalidProperty("kid"))?;
            let method = if kid.starts_with('#') {
                format!("{issuer}{kid}")
            } else {
                kid.to_owned()
            };
            // The method must belong to `issuer`'s DID document.
            let Some(fragment) = method.strip_prefix(issuer) else {
                return Err(KeyResolutionError::NotAuthorized.into());
            };
            if !fragment.starts_with('#') {
                return Err(KeyResolutionError::NotAuthorized.into());
            }
            resolver.resolve_key(&method, Relationship::AssertionMethod)?
        }
    };
    // Section 5.1 rule 2: Relying Parties MUST reject JWTs with an invalid signature.
    jws.verify(&public_key, &options.algorithms)?;
    let payload = jws.payload();

    // Step 3b: required claims; step 4: check every claim present.
    let sub = payload
        .get("sub")
        .ok_or(StatusListError::MissingProperty("sub"))?
        .as_str()
        .ok_or(StatusListError::InvalidProperty("sub"))?;
    // Step 4a: `sub` equals the Referenced Token's `uri` (simple string comparison).
    if sub != uri {
        return Err(StatusListError::SubjectMismatch);
    }
    let iss = match payload.get("iss") {
        None => None,
        Some(Value::String(iss)) => Some(iss.clone()),
        Some(_) => return Err(StatusListError::InvalidProperty("iss")),
    };
    let iat = numeric_date(payload, "iat")?.ok_or(StatusListError::MissingProperty("iat"))?;
    let exp = numeric_date(payload, "exp")?;
    let nbf = numeric_date(payload, "nbf")?;
    let leeway = bounded_skew_seconds(options.leeway_seconds);
    // Step 4c: an expired token MUST be rejected (RFC 7519 section 4.1.4: now before `exp`).
    if exp.is_some_and(|exp| now >= exp.saturating_add(leeway)) {
        return Err(StatusListError::Expired);
    }
    // RFC 7519 section 4.1.5 (section 5.1 rule 3: valid in all respects per RFC 7519).
    if nbf.is_some_and(|nbf| now.saturating_add(leeway) < nbf) {
        return Err(StatusListError::NotYetValid);
    }
    // Step 4b: freshness: a token issued in the future is not accepted.
    if iat > now.saturating_add(leeway) {
        return Err(StatusListError::IssuedInFuture);
    }
    // Section 5.1: `ttl`, if present, MUST be a positive number.
    let ttl = match payload.get("ttl") {
        None => None,
        Some(ttl) => Some(
            ttl.as_u64()
                .filter(|ttl| *ttl > 0)
                .ok_or(StatusListError::InvalidProperty("ttl"))?,
        ),
    };
    let status_list = payload
        .get("status_list")
        .ok_or(StatusListError::MissingProperty("status_list"))?;
    let aggregation_uri = status_list
        .get("aggregation_uri")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // Step 5: decompress (bounded).
    let list = TokenStatusList::from_json(status_list)?;
    if list.len() < options.minimum_entries {
        return Err(StatusListError::ListTooSmall {
            entries: list.len(),
            minimum: options.minimum_entries,
        });
    }
    Ok(VerifiedStatusListToken {
        sub: sub.to_owned(),
        iss,
        iat,
        exp,
        ttl,
        aggregation_uri,
        list,
    })
}

/// The status of the Referenced Token with `reference`, from the Status List Token `token`
/// fetched from `reference.uri`, at unix time `now`, with default options (section 8.3).
pub fn check_status(
    token: &str,
    reference: &StatusListReference,
    key: IssuerKey<'_>,
    now: i64,
) -> Result<TokenStatus, StatusListError> {
    check_status_with(token, reference, key, now, &TokenValidation::default())
}

/// [`check_status`] with explicit options.
pub fn check_status_with(
    token: &str,
    reference: &StatusListReference,
    key: IssuerKey<'_>,
    now: i64,
    options: &TokenValidation,
) -> Result<TokenStatus, StatusListError> {
    verify_status_list_token(token, &reference.uri, key, now, options)?.status(reference.idx)
}

/// A JWT NumericDate (RFC 7519 section 2): a JSON number of seconds; fractions are truncated.
fn numeric_date(
    payload: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, StatusListError> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(seconds) = n.as_i64() {
                Ok(Some(seconds))
            } else {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e17)
                    // Finite and below 2^63 in magnitude: the cast is exact after `trunc`.
                    .map(|f| Some(f.trunc() as i64))
                    .ok_or(StatusListError::InvalidTime(name))
            }
        }
        Some(_) => Err(StatusListError::InvalidTime(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_zero_is_the_least_significant_bits_of_the_first_byte() {
        let mut list = TokenStatusList::with_minimum(16, Bits::Two, 1).unwrap();
        list.set(0, 0b01).unwrap();
        list.set(3, 0b11).unwrap();
        assert_eq!(list.as_bytes()[0], 0b1100_0001);
        assert_eq!(list.set(1, 4), Err(StatusListError::StatusValueTooLarge));
    }

    #[test]
    fn bits_outside_1_2_4_8_are_refused() {
        for bad in [0u64, 3, 5, 6, 7, 9, 16, 256] {
            assert_eq!(Bits::from_count(bad), Err(StatusListError::InvalidBits));
        }
    }

    #[test]
    fn numeric_dates_must_be_numbers() {
        let payload = json!({"a": "1700000000", "b": 1.5, "c": 12})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            numeric_date(&payload, "a"),
            Err(StatusListError::InvalidTime("a"))
        );
        assert_eq!(numeric_date(&payload, "b").unwrap(), Some(1));
        assert_eq!(numeric_date(&payload, "c").unwrap(), Some(12));
        assert_eq!(numeric_date(&payload, "d").unwrap(), None);
    }
}
