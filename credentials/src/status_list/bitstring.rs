//! W3C Bitstring Status List v1.0 (Recommendation, 2025).
//!
//! - [`BitstringStatusList`]: the bitstring itself, mutable for the issuer (`set`/`get` in
//!   O(1)), encoded as `encodedList` (GZIP, then multibase `u` + base64url without padding).
//!   Index 0 is the left-most (most significant) bit of the first byte (section 2.2,
//!   `encodedList`); an entry of `statusSize` bits starts at bit `index * statusSize` and is
//!   read most significant bit first.
//! - [`BitstringStatusListEntry`]: the `credentialStatus` entry of a credential (section 2.1),
//!   parsed and validated, or built by an issuer.
//! - [`StatusListCredentialParams::unsigned_credential`]: the unsigned
//!   `BitstringStatusListCredential` (section 2.2) for the issuer to secure with Data Integrity.
//! - [`BitstringStatusListCredential`]: a fetched list credential whose proof the caller has
//!   already verified, checked against an entry (section 3.2, Validate Algorithm).
//!
//! Section numbers refer to <https://www.w3.org/TR/vc-bitstring-status-list/>.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::{
    Compression, DEFAULT_CLOCK_SKEW_SECONDS, MAX_DECOMPRESSED_BYTES, MIN_ENTRIES, StatusListError,
    StatusOutcome, bounded_skew_seconds, compress, decompress_bounded, is_url,
};
use crate::base64url;
use crate::report::FailureCode;

/// The VC Data Model 2.0 base context.
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// `type` of a `credentialStatus` entry.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// `type` value a status list credential must include.
pub const CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// `type` of the status list credential's subject.
pub const LIST_TYPE: &str = "BitstringStatusList";
/// The `ttl` in milliseconds to assume when a list does not state one (section 2.2, `ttl`).
pub const DEFAULT_TTL_MS: u64 = 300_000;
/// The largest `statusSize` this implementation processes (conforming processors may support
/// only 1, section 1.4; a status value here is a `u8`).
pub const MAX_STATUS_SIZE: u8 = 8;

/// What a status entry expresses (section 2.1, `statusPurpose`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// `revocation`: a set status cancels the credential's validity; not reversible.
    Revocation,
    /// `suspension`: a set status temporarily prevents acceptance; reversible.
    Suspension,
    /// `message`: the status selects one of the entry's `statusMessage` values.
    Message,
    /// Any other purpose string.
    Other(String),
}

impl StatusPurpose {
    /// Parses a purpose string (any non-empty string is a purpose).
    pub fn from_name(name: &str) -> Self {
        match name {
            "revocation" => StatusPurpose::Revocation,
            "suspension" => StatusPurpose::Suspension,
            "message" => StatusPurpose::Message,
            other => StatusPurpose::Other(other.to_owned()),
        }
    }

    /// The purpose string.
    pub fn as_str(&self) -> &str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
            StatusPurpose::Message => "message",
            StatusPurpose::Other(name) => name,
        }
    }
}

/// A bitstring of `statusSize`-bit entries, index 0 at the most significant bit of byte 0.
#[derive(Clone, PartialEq, Eq)]
pub struct BitstringStatusList {
    bytes: Vec<u8>,
    status_size: u8,
    entries: usize,
}

impl std::fmt::Debug for BitstringStatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitstringStatusList")
            .field("entries", &self.entries)
            .field("status_size", &self.status_size)
            .finish_non_exhaustive()
    }
}

impl BitstringStatusList {
    /// A list of `entries` entries of `status_size` bits, all 0. Refuses fewer than
    /// [`MIN_ENTRIES`] entries (section 3.2 step 2; section 5.1).
    pub fn new(entries: usize, status_size: u8) -> Result<Self, StatusListError> {
        Self::with_minimum(entries, status_size, MIN_ENTRIES)
    }

    /// Like [`BitstringStatusList::new`] with a different lower bound, for an ecosystem
    /// specification that establishes one (section 3.2 step 2). Prefer [`Self::new`].
    pub fn with_minimum(
        entries: usize,
        status_size: u8,
        minimum_entries: usize,
    ) -> Result<Self, StatusListError> {
        check_status_size(status_size)?;
        if entries < minimum_entries || entries == 0 {
            return Err(StatusListError::ListTooSmall {
                entries,
                minimum: minimum_entries,
            });
        }
        let bits = entries
            .checked_mul(usize::from(status_size))
            .ok_or(StatusListError::ListTooLarge)?;
        let byte_len = bits.div_ceil(8);
        if byte_len > MAX_DECOMPRESSED_BYTES {
            return Err(StatusListError::ListTooLarge);
        }
        Ok(Self {
            bytes: vec![0; byte_len],
            status_size,
            entries,
        })
    }

    /// Decodes an `encodedList` (Bitstring Expansion Algorithm, section 3.4) whose entries are
    /// `status_size` bits, refusing lists of fewer than [`MIN_ENTRIES`] entries. The decoded
    /// list has `bit length / status_size` entries (section 3.2 step 9), so a list built with a
    /// length that does not fill its last byte decodes with that byte's spare entries too.
    pub fn decode(encoded_list: &str, status_size: u8) -> Result<Self, StatusListError> {
        Self::decode_with_minimum(encoded_list, status_size, MIN_ENTRIES)
    }

    /// Like [`BitstringStatusList::decode`] with a different lower bound.
    pub fn decode_with_minimum(
        encoded_list: &str,
        status_size: u8,
        minimum_entries: usize,
    ) -> Result<Self, StatusListError> {
        let bytes = expand(encoded_list)?;
        Self::from_bytes(bytes, status_size, minimum_entries)
    }

    fn from_bytes(
        bytes: Vec<u8>,
        status_size: u8,
        minimum_entries: usize,
    ) -> Result<Self, StatusListError> {
        let entries = entry_count(bytes.len(), status_size, minimum_entries)?;
        Ok(Self {
            bytes,
            status_size,
            entries,
        })
    }

    /// The `encodedList` value: GZIP (RFC 1952), then multibase base64url without padding
    /// (Bitstring Generation Algorithm, section 3.3).
    pub fn encode(&self) -> String {
        format!(
            "u{}",
            base64url::encode(compress(&self.bytes, Compression::Gzip))
        )
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Always `false`: a list has at least one entry.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Bits per entry.
    pub fn status_size(&self) -> u8 {
        self.status_size
    }

    /// The uncompressed bitstring.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The status at `index` (section 3.2 step 10: the value at position
    /// `index * statusSize`, most significant bit first).
    pub fn get(&self, index: usize) -> Result<u8, StatusListError> {
        let start = self.bit_position(index)?;
        Ok(read_entry(&self.bytes, start, self.status_size))
    }

    /// Sets the status at `index` to `value`, which must fit in `statusSize` bits.
    pub fn set(&mut self, index: usize, value: u8) -> Result<(), StatusListError> {
        let start = self.bit_position(index)?;
        let size = usize::from(self.status_size);
        if size < 8 && value >> size != 0 {
            return Err(StatusListError::StatusValueTooLarge);
        }
        for offset in 0..size {
            let bit = start + offset;
            let mask = 0x80 >> (bit % 8);
            if (value >> (size - 1 - offset)) & 1 == 1 {
                self.bytes[bit / 8] |= mask;
            } else {
                self.bytes[bit / 8] &= !mask;
            }
        }
        Ok(())
    }

    /// First bit of the entry at `index`, if the whole entry lies inside the bitstring.
    fn bit_position(&self, index: usize) -> Result<usize, StatusListError> {
        if index >= self.entries {
            return Err(StatusListError::IndexOutOfRange);
        }
        // `index < entries` and `entries * status_size <= bytes.len() * 8`.
        Ok(index * usize::from(self.status_size))
    }
}

/// The number of entries of a bitstring of `byte_len` bytes, at least `minimum_entries`.
fn entry_count(
    byte_len: usize,
    status_size: u8,
    minimum_entries: usize,
) -> Result<usize, StatusListError> {
    check_status_size(status_size)?;
    // Section 3.2 step 9: the length of the bitstring divided by statusSize.
    let entries = byte_len * 8 / usize::from(status_size);
    if entries < minimum_entries || entries == 0 {
        return Err(StatusListError::ListTooSmall {
            entries,
            minimum: minimum_entries,
        });
    }
    Ok(entries)
}

/// The `status_size`-bit value starting at bit `start` (in range), most significant bit first.
fn read_entry(bytes: &[u8], start: usize, status_size: u8) -> u8 {
    let mut value = 0u8;
    for offset in 0..usize::from(status_size) {
        let bit = start + offset;
        let set = bytes[bit / 8] & (0x80 >> (bit % 8)) != 0;
        value = (value << 1) | u8::from(set);
    }
    value
}

fn check_status_size(status_size: u8) -> Result<(), StatusListError> {
    if (1..=MAX_STATUS_SIZE).contains(&status_size) {
        Ok(())
    } else {
        Err(StatusListError::UnsupportedStatusSize)
    }
}

/// Bitstring Expansion Algorithm (section 3.4): multibase base64url without padding, then
/// GZIP, capped at [`MAX_DECOMPRESSED_BYTES`].
fn expand(encoded_list: &str) -> Result<Vec<u8>, StatusListError> {
    // Section 2.2 `encodedList`: "Multibase-encoded base64url (with no padding)"; the
    // multibase prefix for that encoding is `u`, and no other base is accepted.
    let encoded = encoded_list
        .strip_prefix('u')
        .ok_or(StatusListError::NotMultibaseBase64Url)?;
    let compressed = base64url::decode(encoded).map_err(|_| StatusListError::InvalidBase64Url)?;
    decompress_bounded(&compressed, Compression::Gzip, MAX_DECOMPRESSED_BYTES)
}

/// One `statusMessage` element (section 2.1): a status value and its developer message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// The status value (written as `0x` + hexadecimal).
    pub status: u8,
    /// The message; not for display to end users.
    pub message: String,
}

/// A `credentialStatus` entry of type `BitstringStatusListEntry` (section 2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusListEntry {
    /// Optional identifier of the entry; never the list's URL.
    pub id: Option<String>,
    /// `statusPurpose`.
    pub status_purpose: StatusPurpose,
    /// `statusListIndex`, parsed from its base-10 string.
    pub status_list_index: usize,
    /// `statusListCredential`: URL of the status list credential.
    pub status_list_credential: String,
    /// `statusSize` in bits (1 when absent).
    pub status_size: u8,
    /// `statusMessage` (required when `statusSize` > 1).
    pub status_messages: Vec<StatusMessage>,
    /// `statusReference` URLs.
    pub status_reference: Vec<String>,
}

impl BitstringStatusListEntry {
    /// A single-bit entry for an issuer: `id` is `<list URL>#<index>`.
    pub fn new(status_list_credential: &str, purpose: StatusPurpose, index: usize) -> Self {
        Self {
            id: Some(format!("{status_list_credential}#{index}")),
            status_purpose: purpose,
            status_list_index: index,
            status_list_credential: status_list_credential.to_owned(),
            status_size: 1,
            status_messages: Vec::new(),
            status_reference: Vec::new(),
        }
    }

    /// Parses and validates a `credentialStatus` entry against the MUST rules of section 2.1.
    pub fn from_json(value: &Value) -> Result<Self, StatusListError> {
        let obj = value
            .as_object()
            .ok_or(StatusListError::InvalidProperty("credentialStatus"))?;
        // `type` MUST be `BitstringStatusListEntry`.
        if !has_type(obj.get("type"), ENTRY_TYPE)? {
            return Err(StatusListError::InvalidProperty("type"));
        }
        // `statusPurpose` MUST be a string.
        let purpose = required_str(obj, "statusPurpose")?;
        if purpose.is_empty() {
            return Err(StatusListError::InvalidProperty("statusPurpose"));
        }
        // `statusListIndex` MUST be an integer >= 0 expressed as a string in base 10.
        let index = parse_index(
            obj.get("statusListIndex")
                .ok_or(StatusListError::MissingProperty("statusListIndex"))?,
        )?;
        // `statusListCredential` MUST be a URL.
        let list_url = required_str(obj, "statusListCredential")?;
        if !is_url(list_url) {
            return Err(StatusListError::InvalidProperty("statusListCredential"));
        }
        // `id`, if present, is a URL and MUST NOT be the URL of the status list.
        let id = match obj.get("id") {
            None => None,
            Some(Value::String(id)) if is_url(id) && id != list_url => Some(id.clone()),
            Some(_) => return Err(StatusListError::InvalidProperty("id")),
        };
        // `statusSize`: processed as 1 when absent; if present an integer greater than zero.
        let status_size = match obj.get("statusSize") {
            None => 1,
            Some(size) => {
                let size = size
                    .as_u64()
                    .filter(|s| *s > 0)
                    .ok_or(StatusListError::InvalidProperty("statusSize"))?;
                u8::try_from(size)
                    .ok()
                    .filter(|s| *s <= MAX_STATUS_SIZE)
                    .ok_or(StatusListError::UnsupportedStatusSize)?
            }
        };
        // `statusMessage`: MUST be present if `statusSize` > 1; when present, one element
        // per possible value, each with `status` and `message`.
        let status_messages = match obj.get("statusMessage") {
            None if status_size > 1 => {
                return Err(StatusListError::MissingProperty("statusMessage"));
            }
            None => Vec::new(),
            Some(messages) => parse_status_messages(messages, status_size)?,
        };
        // `statusReference`: a URL or an array of URLs.
        let status_reference = match obj.get("statusReference") {
            None => Vec::new(),
            Some(Value::String(url)) if is_url(url) => vec![url.clone()],
            Some(Value::Array(urls)) => urls
                .iter()
                .map(|u| match u.as_str() {
                    Some(url) if is_url(url) => Ok(url.to_owned()),
                    _ => Err(StatusListError::InvalidProperty("statusReference")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(StatusListError::InvalidProperty("statusReference")),
        };
        Ok(Self {
            id,
            status_purpose: StatusPurpose::from_name(purpose),
            status_list_index: index,
            status_list_credential: list_url.to_owned(),
            status_size,
            status_messages,
            status_reference,
        })
    }

    /// The `BitstringStatusListEntry` entries of a credential's `credentialStatus` (a single
    /// object or an array; VC 2.0 section 4.10). Entries of other types are left out; an entry
    /// of this type that is malformed is an error, and so is an entry that is not an object or
    /// whose `type` is missing or unreadable (it might be one of ours: skipping it would skip
    /// its status check). No `credentialStatus` gives no entries.
    pub fn all_in(credential: &Value) -> Result<Vec<Self>, StatusListError> {
        let entries = match credential.get("credentialStatus") {
            None => return Ok(Vec::new()),
            Some(Value::Array(entries)) => entries.iter().collect::<Vec<_>>(),
            Some(entry @ Value::Object(_)) => vec![entry],
            Some(_) => return Err(StatusListError::InvalidProperty("credentialStatus")),
        };
        let mut ours = Vec::new();
        for entry in entries {
            if !entry.is_object() {
                return Err(StatusListError::InvalidProperty("credentialStatus"));
            }
            if has_type(entry.get("type"), ENTRY_TYPE)? {
                ours.push(Self::from_json(entry)?);
            }
        }
        Ok(ours)
    }

    /// The JSON form (`statusListIndex` as a base-10 string).
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        if let Some(id) = &self.id {
            obj.insert("id".into(), Value::String(id.clone()));
        }
        obj.insert("type".into(), Value::String(ENTRY_TYPE.into()));
        obj.insert(
            "statusPurpose".into(),
            Value::String(self.status_purpose.as_str().into()),
        );
        obj.insert(
            "statusListIndex".into(),
            Value::String(self.status_list_index.to_string()),
        );
        obj.insert(
            "statusListCredential".into(),
            Value::String(self.status_list_credential.clone()),
        );
        if self.status_size != 1 {
            obj.insert("statusSize".into(), Value::from(self.status_size));
        }
        if !self.status_messages.is_empty() {
            let messages = self
                .status_messages
                .iter()
                .map(|m| json!({"status": format!("0x{:x}", m.status), "message": m.message}))
                .collect();
            obj.insert("statusMessage".into(), Value::Array(messages));
        }
        match self.status_reference.as_slice() {
            [] => {}
            [one] => {
                obj.insert("statusReference".into(), Value::String(one.clone()));
            }
            many => {
                obj.insert("statusReference".into(), Value::from(many.to_vec()));
            }
        }
        Value::Object(obj)
    }
}

/// Parses `statusListIndex`: only ASCII digits (no sign, no whitespace, no exponent).
/// A value beyond any list's size is reported as out of range, not as malformed.
fn parse_index(value: &Value) -> Result<usize, StatusListError> {
    let text = value.as_str().ok_or(StatusListError::InvalidIndex)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StatusListError::InvalidIndex);
    }
    text.parse::<usize>()
        .map_err(|_| StatusListError::IndexOutOfRange)
}

fn parse_status_messages(
    messages: &Value,
    status_size: u8,
) -> Result<Vec<StatusMessage>, StatusListError> {
    const PROPERTY: &str = "statusMessage";
    let array = messages
        .as_array()
        .ok_or(StatusListError::InvalidProperty(PROPERTY))?;
    let possible_values = 1usize << status_size;
    if array.len() != possible_values {
        return Err(StatusListError::InvalidProperty(PROPERTY));
    }
    let mut seen = vec![false; possible_values];
    let mut parsed = Vec::with_capacity(array.len());
    for element in array {
        let status = element
            .get("status")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("0x"))
            .filter(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u16::from_str_radix(hex, 16).ok())
            .and_then(|v| u8::try_from(v).ok())
            .filter(|v| usize::from(*v) < possible_values)
            .ok_or(StatusListError::InvalidProperty(PROPERTY))?;
        let message = element
            .get("message")
            .and_then(Value::as_str)
            .ok_or(StatusListError::InvalidProperty(PROPERTY))?;
        if std::mem::replace(&mut seen[usize::from(status)], true) {
            return Err(StatusListError::InvalidProperty(PROPERTY));
        }
        parsed.push(StatusMessage {
            status,
            message: message.to_owned(),
        });
    }
    Ok(parsed)
}

/// What the issuer states in a `BitstringStatusListCredential` besides the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListCredentialParams {
    /// The credential `id`: the URL the list is published at, which entries reference.
    pub id: String,
    /// The `issuer` (a DID or URL).
    pub issuer: String,
    /// `credentialSubject.statusPurpose`: one or more purposes.
    pub purposes: Vec<StatusPurpose>,
    /// `validFrom`.
    pub valid_from: DateTime<Utc>,
    /// `validUntil`, if any.
    pub valid_until: Option<DateTime<Utc>>,
    /// `credentialSubject.ttl` in milliseconds, if stated.
    pub ttl_ms: Option<u64>,
}

impl StatusListCredentialParams {
    /// The unsigned `BitstringStatusListCredential` (section 2.2; Generate Algorithm section
    /// 3.1 steps 2-4) for the issuer to secure. The subject `id` is `<id>#list`.
    pub fn unsigned_credential(&self, list: &BitstringStatusList) -> Value {
        let purposes: Vec<Value> = self
            .purposes
            .iter()
            .map(|p| Value::String(p.as_str().to_owned()))
            .collect();
        let purpose = match purposes.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(purposes),
        };
        let mut subject = Map::new();
        subject.insert("id".into(), Value::String(format!("{}#list", self.id)));
        subject.insert("type".into(), Value::String(LIST_TYPE.into()));
        subject.insert("statusPurpose".into(), purpose);
        subject.insert("encodedList".into(), Value::String(list.encode()));
        if let Some(ttl) = self.ttl_ms {
            subject.insert("ttl".into(), Value::from(ttl));
        }
        let mut credential = Map::new();
        credential.insert("@context".into(), json!([VC_V2_CONTEXT]));
        credential.insert("id".into(), Value::String(self.id.clone()));
        credential.insert(
            "type".into(),
            json!(["VerifiableCredential", CREDENTIAL_TYPE]),
        );
        credential.insert("issuer".into(), Value::String(self.issuer.clone()));
        credential.insert(
            "validFrom".into(),
            Value::String(format_time(self.valid_from)),
        );
        if let Some(until) = self.valid_until {
            credential.insert("validUntil".into(), Value::String(format_time(until)));
        }
        credential.insert("credentialSubject".into(), Value::Object(subject));
        Value::Object(credential)
    }
}

fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A fetched `BitstringStatusListCredential`, structurally validated and its list expanded.
/// Its proof must already have been verified by the caller (section 3.2 step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusListCredential {
    id: Option<String>,
    purposes: Vec<StatusPurpose>,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    ttl_ms: Option<u64>,
    list: Vec<u8>,
}

/// Options of [`BitstringStatusListCredential::check_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringValidation {
    /// `minimumNumberOfEntries` (section 3.2 step 2): 131,072 unless an ecosystem
    /// specification establishes a different lower bound.
    pub minimum_entries: usize,
    /// Refuse list credentials without an `id`. Off by default: the specification makes the
    /// `id` optional and the W3C test-suite fixtures carry none; a list *with* an `id` must
    /// always match the entry's `statusListCredential`.
    pub require_list_id: bool,
    /// Tolerance for clock differences when `validFrom` and `validUntil` are compared with
    /// `now`, on each side (as Data Integrity's `clock_skew`): a list (re-)signed moments
    /// after the verifier read its clock is not "not yet valid". Defaults to
    /// [`DEFAULT_CLOCK_SKEW_SECONDS`]; bounded to `0..=`[`super::MAX_CLOCK_SKEW_SECONDS`]
    /// whatever is set here.
    pub clock_skew: TimeDelta,
}

impl Default for BitstringValidation {
    fn default() -> Self {
        Self {
            minimum_entries: MIN_ENTRIES,
            require_list_id: false,
            clock_skew: TimeDelta::seconds(DEFAULT_CLOCK_SKEW_SECONDS),
        }
    }
}

impl BitstringStatusListCredential {
    /// Reads a status list credential (section 2.2): VC 2.0 `@context`, `type` including
    /// `BitstringStatusListCredential`, a subject of type `BitstringStatusList` with one or
    /// more `statusPurpose` strings and an `encodedList`, which is expanded here (section 3.4)
    /// with the decompression cap.
    pub fn from_json(credential: &Value) -> Result<Self, StatusListError> {
        let obj = credential
            .as_object()
            .ok_or(StatusListError::NotAStatusListCredential)?;
        // VC 2.0 section 4.3: the first `@context` item is the v2 context URL.
        let first_context = match obj.get("@context") {
            Some(Value::Array(items)) => items.first().and_then(Value::as_str),
            Some(Value::String(single)) => Some(single.as_str()),
            _ => None,
        };
        if first_context != Some(VC_V2_CONTEXT) {
            return Err(StatusListError::ContextInvalid);
        }
        // Section 2.2 `type`: MUST include `BitstringStatusListCredential`.
        let types = obj.get("type");
        if !has_type(types, "VerifiableCredential")? || !has_type(types, CREDENTIAL_TYPE)? {
            return Err(StatusListError::NotAStatusListCredential);
        }
        let id = match obj.get("id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(StatusListError::InvalidProperty("id")),
        };
        let valid_from = optional_time(obj, "validFrom")?;
        let valid_until = optional_time(obj, "validUntil")?;
        let subject = match obj.get("credentialSubject") {
            Some(Value::Object(subject)) => subject,
            Some(_) => return Err(StatusListError::InvalidProperty("credentialSubject")),
            None => return Err(StatusListError::MissingProperty("credentialSubject")),
        };
        // Section 2.2 `credentialSubject.type` MUST be `BitstringStatusList`.
        if !has_type(subject.get("type"), LIST_TYPE)? {
            return Err(StatusListError::InvalidProperty("credentialSubject.type"));
        }
        // Section 2.2 `credentialSubject.statusPurpose`: one or more strings.
        let purposes = match subject.get("statusPurpose") {
            Some(Value::String(p)) if !p.is_empty() => vec![StatusPurpose::from_name(p)],
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|p| match p.as_str() {
                    Some(p) if !p.is_empty() => Ok(StatusPurpose::from_name(p)),
                    _ => Err(StatusListError::InvalidProperty("statusPurpose")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(StatusListError::InvalidProperty("statusPurpose")),
            None => return Err(StatusListError::MissingProperty("statusPurpose")),
        };
        let ttl_ms = match subject.get("ttl") {
            None => None,
            Some(ttl) => Some(
                ttl.as_u64()
                    .ok_or(StatusListError::InvalidProperty("ttl"))?,
            ),
        };
        let encoded = subject
            .get("encodedList")
            .ok_or(StatusListError::MissingProperty("encodedList"))?
            .as_str()
            .ok_or(StatusListError::InvalidProperty("encodedList"))?;
        let list = expand(encoded)?;
        Ok(Self {
            id,
            purposes,
            valid_from,
            valid_until,
            ttl_ms,
            list,
        })
    }

    /// The credential `id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The list's purposes.
    pub fn purposes(&self) -> &[StatusPurpose] {
        &self.purposes
    }

    /// How long a verifier may cache the list, in milliseconds (300,000 when not stated).
    pub fn ttl_ms(&self) -> u64 {
        self.ttl_ms.unwrap_or(DEFAULT_TTL_MS)
    }

    /// `validFrom`, if stated.
    pub fn valid_from(&self) -> Option<DateTime<Utc>> {
        self.valid_from
    }

    /// `validUntil`, if stated.
    pub fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.valid_until
    }

    /// [`Self::check_with`] with the default options: a minimum of 131,072 entries and
    /// [`DEFAULT_CLOCK_SKEW_SECONDS`] of clock skew.
    pub fn check(
        &self,
        entry: &BitstringStatusListEntry,
        now: DateTime<Utc>,
    ) -> Result<BitstringStatus, StatusListError> {
        self.check_with(entry, now, &BitstringValidation::default())
    }

    /// The Validate Algorithm (section 3.2, steps 5-14) for `entry` at time `now`.
    pub fn check_with(
        &self,
        entry: &BitstringStatusListEntry,
        now: DateTime<Utc>,
        options: &BitstringValidation,
    ) -> Result<BitstringStatus, StatusListError> {
        // The list must be the one the entry references (section 2.2 `id`, which "MAY" match
        // `statusListCredential`): a list signed by the same issuer for another URL must not
        // answer for this entry. Without an `id`, only the caller's fetch binds the list.
        match &self.id {
            Some(id) if *id != entry.status_list_credential => {
                return Err(StatusListError::ListCredentialMismatch);
            }
            None if options.require_list_id => {
                return Err(StatusListError::ListCredentialMismatch);
            }
            _ => {}
        }
        // Step 5: the entry's purpose is one of the list's purposes.
        if !self.purposes.contains(&entry.status_purpose) {
            return Err(StatusListError::PurposeMismatch);
        }
        // VC 2.0 section 4.9 (validity period) applied to the list credential, bounds
        // inclusive, with the bounded clock skew on each side.
        let skew = TimeDelta::seconds(bounded_skew_seconds(options.clock_skew.num_seconds()));
        let latest = now
            .checked_add_signed(skew)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let earliest = now
            .checked_sub_signed(skew)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        if self.valid_from.is_some_and(|from| latest < from) {
            return Err(StatusListError::NotYetValid);
        }
        if self.valid_until.is_some_and(|until| earliest > until) {
            return Err(StatusListError::Expired);
        }
        // Steps 8-9: expand and check the minimum number of entries.
        let entries = entry_count(self.list.len(), entry.status_size, options.minimum_entries)?;
        // Step 10: the status at `statusListIndex * statusSize`, RANGE_ERROR outside.
        if entry.status_list_index >= entries {
            return Err(StatusListError::IndexOutOfRange);
        }
        let start = entry.status_list_index * usize::from(entry.status_size);
        let value = read_entry(&self.list, start, entry.status_size);
        // Steps 11-14.
        let message = entry
            .status_messages
            .iter()
            .find(|m| m.status == value)
            .map(|m| m.message.clone());
        Ok(BitstringStatus {
            purpose: entry.status_purpose.clone(),
            value,
            message,
        })
    }
}

/// Checks `entry` against the status list credential `list_credential` (whose proof the caller
/// has verified) at time `now`, with the default options (minimum list size, clock skew).
pub fn check_status(
    entry: &BitstringStatusListEntry,
    list_credential: &Value,
    now: DateTime<Utc>,
) -> Result<BitstringStatus, StatusListError> {
    BitstringStatusListCredential::from_json(list_credential)?.check(entry, now)
}

/// The result of the Validate Algorithm (section 3.2 steps 11-14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatus {
    /// The entry's purpose.
    pub purpose: StatusPurpose,
    /// The status value (`statusSize` bits).
    pub value: u8,
    /// The matching `statusMessage` message, if the entry has messages.
    pub message: Option<String>,
}

impl BitstringStatus {
    /// `valid` of step 13: true if the status is 0.
    pub fn is_valid(&self) -> bool {
        self.value == 0
    }
}

impl StatusOutcome for BitstringStatus {
    fn failure(&self) -> Option<(FailureCode, &'static str)> {
        if self.is_valid() {
            return None;
        }
        Some(match self.purpose {
            StatusPurpose::Revocation => (FailureCode::Revoked, "credential revoked"),
            StatusPurpose::Suspension => (FailureCode::Suspended, "credential suspended"),
            // Step 13: any non-zero status is not valid; its meaning is up to policy, so fail
            // closed rather than accept.
            StatusPurpose::Message | StatusPurpose::Other(_) => (
                FailureCode::StatusUnavailable,
                "status set for a non-standard purpose",
            ),
        })
    }
}

fn required_str<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, StatusListError> {
    obj.get(name)
        .ok_or(StatusListError::MissingProperty(name))?
        .as_str()
        .ok_or(StatusListError::InvalidProperty(name))
}

/// Whether a `type` value (a string or an array of strings) includes `wanted`.
fn has_type(types: Option<&Value>, wanted: &str) -> Result<bool, StatusListError> {
    match types {
        Some(Value::String(t)) => Ok(t == wanted),
        Some(Value::Array(items)) => {
            let mut found = false;
            for item in items {
                let t = item
                    .as_str()
                    .ok_or(StatusListError::InvalidProperty("type"))?;
                found |= t == wanted;
            }
            Ok(found)
        }
        Some(_) => Err(StatusListError::InvalidProperty("type")),
        None => Err(StatusListError::MissingProperty("type")),
    }
}

/// An XML Schema `dateTimeStamp` (VC 2.0 section 4.9): RFC 3339 with a time zone.
fn optional_time(
    obj: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<DateTime<Utc>>, StatusListError> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(text)) if text.contains('T') => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| StatusListError::InvalidTime(name)),
        Some(_) => Err(StatusListError::InvalidTime(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_zero_is_the_most_significant_bit_of_the_first_byte() {
        let mut list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
        list.set(0, 1).unwrap();
        list.set(9, 1).unwrap();
        assert_eq!(&list.as_bytes()[..2], &[0x80, 0x40]);
    }

    #[test]
    fn multi_bit_entries_are_read_most_significant_bit_first() {
        let mut list = BitstringStatusList::new(MIN_ENTRIES, 2).unwrap();
        list.set(0, 0b01).unwrap();
        list.set(1, 0b10).unwrap();
        // Entry 0 = bits 0-1 = "01", entry 1 = bits 2-3 = "10": 0b0110_0000.
        assert_eq!(list.as_bytes()[0], 0b0110_0000);
        assert_eq!(list.get(0).unwrap(), 1);
        assert_eq!(list.get(1).unwrap(), 2);
        assert_eq!(list.set(2, 4), Err(StatusListError::StatusValueTooLarge));
    }

    #[test]
    fn index_strings_are_plain_base_10() {
        for bad in ["", "-1", "+1", " 1", "1 ", "1e3", "0x10", "１"] {
            assert_eq!(
                parse_index(&json!(bad)),
                Err(StatusListError::InvalidIndex),
                "{bad}"
            );
        }
        assert_eq!(parse_index(&json!(5)), Err(StatusListError::InvalidIndex));
        assert_eq!(parse_index(&json!("94567")).unwrap(), 94567);
        assert_eq!(
            parse_index(&json!("99999999999999999999999999")),
            Err(StatusListError::IndexOutOfRange)
        );
    }
}
