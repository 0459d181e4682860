//! The W3C Verifiable Credentials Data Model 2.0: credentials and presentations.
//!
//! [`Credential`] and [`Presentation`] are validated wrappers over JSON objects: the only way
//! to get one is [`Credential::from_json`] / [`Presentation::from_json`], which enforce the
//! data model's rules (parse, don't validate). The rules are also available one by one
//! ([`credential_checks`], [`presentation_checks`]) so a verifier can report every failure,
//! not only the first. Section numbers refer to VC Data Model 2.0 (W3C Recommendation).
//!
//! Securing mechanisms (the `proof` property) are not part of the model and are ignored here;
//! see [`crate::data_integrity`].

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::report::{Check, FailureCode};

/// The base context every credential and presentation starts with (section 4.3).
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The type every credential carries (section 4.5).
pub const VERIFIABLE_CREDENTIAL: &str = "VerifiableCredential";
/// The type every presentation carries (section 4.5).
pub const VERIFIABLE_PRESENTATION: &str = "VerifiablePresentation";
/// The type of a credential secured by an enveloping mechanism (section 4.13.1).
pub const ENVELOPED_VERIFIABLE_CREDENTIAL: &str = "EnvelopedVerifiableCredential";

/// A data model rule that the input breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The credential or presentation is not a JSON object.
    #[error("not a JSON object")]
    NotAnObject,
    /// `@context` is missing.
    #[error("@context is missing")]
    ContextMissing,
    /// The first `@context` item is not `https://www.w3.org/ns/credentials/v2`.
    #[error("the first @context item must be https://www.w3.org/ns/credentials/v2")]
    ContextFirstNotV2,
    /// A later `@context` item is neither a URL nor an object.
    #[error("@context items must be URLs or objects")]
    ContextItemInvalid,
    /// `id` (of the named property) is not a single URL.
    #[error("{0}: id must be a single URL")]
    IdNotUrl(&'static str),
    /// `type` is missing.
    #[error("type is missing")]
    TypeMissing,
    /// `type` lacks `VerifiableCredential` / `VerifiablePresentation`.
    #[error("type must include {0}")]
    TypeLacks(&'static str),
    /// A `type` value is not a string.
    #[error("type values must be strings")]
    TypeInvalid,
    /// `issuer` is missing.
    #[error("issuer is missing")]
    IssuerMissing,
    /// `issuer` is neither a URL nor an object with an `id` URL.
    #[error("issuer must be a URL or an object with an id URL")]
    IssuerInvalid,
    /// `credentialSubject` is missing.
    #[error("credentialSubject is missing")]
    SubjectMissing,
    /// `credentialSubject` is not a non-empty object or array of non-empty objects.
    #[error("credentialSubject must be one or more objects with claims")]
    SubjectInvalid,
    /// A date-time property is not an XML Schema `dateTimeStamp`.
    #[error("{0} must be an XML Schema dateTimeStamp")]
    DateTimeInvalid(&'static str),
    /// `validUntil` lies before `validFrom`.
    #[error("validUntil lies before validFrom")]
    ValidityOrder,
    /// A `credentialStatus` entry is not an object with a `type`.
    #[error("credentialStatus entries must be objects with a type")]
    StatusInvalid,
    /// A `credentialSchema` entry lacks `id` or `type`.
    #[error("credentialSchema entries must be objects with an id and a type")]
    SchemaInvalid,
    /// An `evidence`, `termsOfUse` or `refreshService` entry is not an object with a `type`.
    #[error("{0} entries must be objects with a type")]
    EntryWithoutType(&'static str),
    /// `name` / `description` is neither a string nor a language value object.
    #[error("{0} must be a string or language value objects")]
    NameOrDescriptionInvalid(&'static str),
    /// `holder` is neither a URL nor an object with an `id` URL.
    #[error("holder must be a URL or an object with an id URL")]
    HolderInvalid,
    /// `verifiableCredential` is not an object or array of objects.
    #[error("verifiableCredential must be one or more objects")]
    VerifiableCredentialInvalid,
}

impl ModelError {
    /// The report check this rule belongs to.
    pub fn check(self) -> Check {
        match self {
            ModelError::NotAnObject
            | ModelError::IdNotUrl(_)
            | ModelError::SchemaInvalid
            | ModelError::EntryWithoutType(_)
            | ModelError::NameOrDescriptionInvalid(_)
            | ModelError::VerifiableCredentialInvalid => Check::Structure,
            ModelError::ContextMissing
            | ModelError::ContextFirstNotV2
            | ModelError::ContextItemInvalid => Check::Context,
            ModelError::TypeMissing | ModelError::TypeLacks(_) | ModelError::TypeInvalid => {
                Check::Type
            }
            ModelError::IssuerMissing | ModelError::IssuerInvalid => Check::Issuer,
            ModelError::HolderInvalid => Check::HolderBinding,
            ModelError::SubjectMissing | ModelError::SubjectInvalid => Check::Subject,
            ModelError::DateTimeInvalid(_) | ModelError::ValidityOrder => Check::ValidityPeriod,
            ModelError::StatusInvalid => Check::Status,
        }
    }

    /// The stable failure code.
    pub fn code(self) -> FailureCode {
        match self {
            ModelError::NotAnObject
            | ModelError::IdNotUrl(_)
            | ModelError::SchemaInvalid
            | ModelError::EntryWithoutType(_)
            | ModelError::NameOrDescriptionInvalid(_)
            | ModelError::VerifiableCredentialInvalid
            | ModelError::HolderInvalid
            | ModelError::StatusInvalid => FailureCode::Malformed,
            ModelError::ContextMissing
            | ModelError::ContextFirstNotV2
            | ModelError::ContextItemInvalid => FailureCode::ContextInvalid,
            ModelError::TypeMissing | ModelError::TypeLacks(_) | ModelError::TypeInvalid => {
                FailureCode::TypeInvalid
            }
            ModelError::IssuerMissing | ModelError::IssuerInvalid => FailureCode::IssuerInvalid,
            ModelError::SubjectMissing | ModelError::SubjectInvalid => FailureCode::SubjectInvalid,
            ModelError::DateTimeInvalid(_) | ModelError::ValidityOrder => {
                FailureCode::InvalidTimeClaim
            }
        }
    }
}

/// Parses an XML Schema 1.1 `dateTimeStamp` (a `dateTime` with a mandatory time zone), as
/// VC Data Model 2.0 section 4.9 requires for `validFrom` / `validUntil`.
///
/// Accepted: `YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)` with a four-digit year. Refused: a
/// missing time zone, lower-case `t`/`z`, a space separator, leap second `60`, hour `24`,
/// offsets beyond +/-14:00, years outside 0001-9999 (which chrono cannot represent the same
/// way).
pub fn parse_date_time_stamp(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .map(|s| s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    // YYYY-MM-DDThh:mm:ss
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let year = digits(0..4)?;
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    digits(5..7)?;
    digits(8..10)?;
    if year == 0 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let count = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        rest = &fraction[count..];
    }
    match rest {
        b"Z" => {}
        [sign, h1, h2, b':', m1, m2] if *sign == b'+' || *sign == b'-' => {
            let all_digits = [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit());
            let hours = u32::from(h1.wrapping_sub(b'0')) * 10 + u32::from(h2.wrapping_sub(b'0'));
            let minutes = u32::from(m1.wrapping_sub(b'0')) * 10 + u32::from(m2.wrapping_sub(b'0'));
            if !all_digits || minutes > 59 || hours > 14 || (hours == 14 && minutes != 0) {
                return None;
            }
        }
        _ => return None,
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// True if `text` is an absolute URL (an absolute IRI: a scheme, `:`, and no whitespace).
/// Section 4.4: identifiers are URLs.
pub fn is_url(text: &str) -> bool {
    iref::Iri::new(text).is_ok()
}

fn one_or_many(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    }
}

/// Section 4.3: `@context` is an ordered set whose first item is the v2 context; later
/// items are URLs or objects.
fn check_context(object: &Map<String, Value>) -> Result<(), ModelError> {
    let context = object.get("@context").ok_or(ModelError::ContextMissing)?;
    let items = one_or_many(context);
    match items.first() {
        Some(Value::String(first)) if first == CREDENTIALS_V2_CONTEXT => {}
        _ => return Err(ModelError::ContextFirstNotV2),
    }
    for item in &items[1..] {
        match item {
            Value::String(url) if is_url(url) => {}
            Value::Object(_) => {}
            _ => return Err(ModelError::ContextItemInvalid),
        }
    }
    Ok(())
}

/// Section 4.5: `type` holds one or more strings, including `required`.
fn check_type(object: &Map<String, Value>, required: &'static str) -> Result<(), ModelError> {
    let types = object.get("type").ok_or(ModelError::TypeMissing)?;
    let items = one_or_many(types);
    if items.is_empty() || items.iter().any(|t| !t.is_string()) {
        return Err(ModelError::TypeInvalid);
    }
    if !items.iter().any(|t| t.as_str() == Some(required)) {
        return Err(ModelError::TypeLacks(required));
    }
    Ok(())
}

/// Section 4.4: `id`, when present, is a single URL.
fn check_id(object: &Map<String, Value>, property: &'static str) -> Result<(), ModelError> {
    match object.get("id") {
        None => Ok(()),
        Some(Value::String(id)) if is_url(id) => Ok(()),
        Some(_) => Err(ModelError::IdNotUrl(property)),
    }
}

/// A URL, or an object whose `id` is a URL (issuer: section 4.7; holder: section 4.13).
fn url_or_object_with_id(value: &Value) -> bool {
    match value {
        Value::String(url) => is_url(url),
        Value::Object(map) => map.get("id").and_then(Value::as_str).is_some_and(is_url),
        _ => false,
    }
}

/// Section 4.8: one or more objects, each the subject of at least one claim.
fn check_subject(object: &Map<String, Value>) -> Result<(), ModelError> {
    let subject = object
        .get("credentialSubject")
        .ok_or(ModelError::SubjectMissing)?;
    let items = one_or_many(subject);
    if items.is_empty() {
        return Err(ModelError::SubjectInvalid);
    }
    for item in items {
        let map = item.as_object().ok_or(ModelError::SubjectInvalid)?;
        if map.is_empty() {
            return Err(ModelError::SubjectInvalid);
        }
        check_id(map, "credentialSubject")?;
    }
    Ok(())
}

fn date_time(
    object: &Map<String, Value>,
    property: &'static str,
) -> Result<Option<DateTime<Utc>>, ModelError> {
    match object.get(property) {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(parse_date_time_stamp)
            .map(Some)
            .ok_or(ModelError::DateTimeInvalid(property)),
    }
}

/// Section 4.9: `validFrom` / `validUntil` are `dateTimeStamp`s, `validFrom` not after
/// `validUntil`.
fn check_validity_period(object: &Map<String, Value>) -> Result<(), ModelError> {
    let from = date_time(object, "validFrom")?;
    let until = date_time(object, "validUntil")?;
    if let (Some(from), Some(until)) = (from, until)
        && until < from
    {
        return Err(ModelError::ValidityOrder);
    }
    Ok(())
}

/// Section 4.10: each `credentialStatus` entry is an object with a `type`, and an `id`
/// URL if it has one.
fn check_status(object: &Map<String, Value>) -> Result<(), ModelError> {
    let Some(status) = object.get("credentialStatus") else {
        return Ok(());
    };
    let items = one_or_many(status);
    if items.is_empty() {
        return Err(ModelError::StatusInvalid);
    }
    for item in items {
        let map = item.as_object().ok_or(ModelError::StatusInvalid)?;
        let typed = map.get("type").map(one_or_many).is_some_and(|types| {
            !types.is_empty()
                && types
                    .iter()
                    .all(|t| t.as_str().is_some_and(|t| !t.is_empty()))
        });
        if !typed {
            return Err(ModelError::StatusInvalid);
        }
        if map
            .get("id")
            .is_some_and(|id| !id.as_str().is_some_and(is_url))
        {
            return Err(ModelError::StatusInvalid);
        }
    }
    Ok(())
}

/// Section 4.11: each `credentialSchema` entry has an `id` URL and a `type`.
fn check_schema(object: &Map<String, Value>) -> Result<(), ModelError> {
    let Some(schema) = object.get("credentialSchema") else {
        return Ok(());
    };
    for item in one_or_many(schema) {
        let map = item.as_object().ok_or(ModelError::SchemaInvalid)?;
        let id_ok = map.get("id").and_then(Value::as_str).is_some_and(is_url);
        if !id_ok || !map.contains_key("type") {
            return Err(ModelError::SchemaInvalid);
        }
    }
    Ok(())
}

/// Sections 5.6 (`evidence`), 5.5 (`termsOfUse`) and 5.4 (`refreshService`): each entry
/// states its `type`.
fn check_typed_entries(object: &Map<String, Value>) -> Result<(), ModelError> {
    for property in ["evidence", "termsOfUse", "refreshService"] {
        let Some(value) = object.get(property) else {
            continue;
        };
        let typed = one_or_many(value).iter().all(|entry| {
            entry
                .as_object()
                .is_some_and(|map| map.contains_key("type"))
        });
        if !typed {
            return Err(ModelError::EntryWithoutType(property));
        }
    }
    Ok(())
}

/// Section 4.6: `name` / `description` are strings or language value objects.
fn check_names(object: &Map<String, Value>) -> Result<(), ModelError> {
    for property in ["name", "description"] {
        let Some(value) = object.get(property) else {
            continue;
        };
        let ok = one_or_many(value).iter().all(|v| match v {
            Value::String(_) => true,
            Value::Object(map) => map.get("@value").is_some_and(Value::is_string),
            _ => false,
        });
        if !ok {
            return Err(ModelError::NameOrDescriptionInvalid(property));
        }
    }
    Ok(())
}

/// Every credential rule with the check it belongs to, in a fixed order; `Ok` where the
/// rule holds. A verifier records all of them in its report.
pub fn credential_checks(value: &Value) -> Vec<(Check, Result<(), ModelError>)> {
    let Some(object) = value.as_object() else {
        return vec![(Check::Structure, Err(ModelError::NotAnObject))];
    };
    let structure = check_id(object, "credential")
        .and_then(|()| check_names(object))
        .and_then(|()| check_schema(object))
        .and_then(|()| check_typed_entries(object));
    let issuer = match object.get("issuer") {
        None => Err(ModelError::IssuerMissing),
        Some(issuer) if url_or_object_with_id(issuer) => Ok(()),
        Some(_) => Err(ModelError::IssuerInvalid),
    };
    vec![
        (Check::Structure, structure),
        (Check::Context, check_context(object)),
        (Check::Type, check_type(object, VERIFIABLE_CREDENTIAL)),
        (Check::Issuer, issuer),
        (Check::Subject, check_subject(object)),
        (Check::ValidityPeriod, check_validity_period(object)),
        (Check::Status, check_status(object)),
    ]
}

/// Every presentation rule (section 4.13), like [`credential_checks`]. Embedded
/// credentials are checked separately (each with [`credential_checks`]).
pub fn presentation_checks(value: &Value) -> Vec<(Check, Result<(), ModelError>)> {
    let Some(object) = value.as_object() else {
        return vec![(Check::Structure, Err(ModelError::NotAnObject))];
    };
    let credentials = match object.get("verifiableCredential") {
        None => Ok(()),
        Some(value) if one_or_many(value).iter().all(Value::is_object) => Ok(()),
        Some(_) => Err(ModelError::VerifiableCredentialInvalid),
    };
    let holder = match object.get("holder") {
        None => Ok(()),
        Some(holder) if url_or_object_with_id(holder) => Ok(()),
        Some(_) => Err(ModelError::HolderInvalid),
    };
    vec![
        (
            Check::Structure,
            check_id(object, "presentation").and(credentials),
        ),
        (Check::Context, check_context(object)),
        (Check::Type, check_type(object, VERIFIABLE_PRESENTATION)),
        (Check::HolderBinding, holder),
    ]
}

fn first_failure(checks: Vec<(Check, Result<(), ModelError>)>) -> Result<(), ModelError> {
    checks.into_iter().try_for_each(|(_, result)| result)
}

/// How a credential's validity period relates to a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    /// Before `validFrom`.
    #[error("not yet valid")]
    NotYetValid,
    /// After `validUntil`.
    #[error("expired")]
    Expired,
}

/// A credential that satisfies the VC Data Model 2.0 rules checked by [`credential_checks`].
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    object: Map<String, Value>,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
}

impl Credential {
    /// Validates `value` as a credential (the first broken rule is returned).
    pub fn from_json(value: Value) -> Result<Self, ModelError> {
        first_failure(credential_checks(&value))?;
        let Value::Object(object) = value else {
            return Err(ModelError::NotAnObject);
        };
        let valid_from = date_time(&object, "validFrom")?;
        let valid_until = date_time(&object, "validUntil")?;
        Ok(Self {
            object,
            valid_from,
            valid_until,
        })
    }

    /// The JSON object.
    pub fn as_json(&self) -> &Map<String, Value> {
        &self.object
    }

    /// The JSON value.
    pub fn into_json(self) -> Value {
        Value::Object(self.object)
    }

    /// The `id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.object.get("id").and_then(Value::as_str)
    }

    /// The issuer's URL (`issuer` or `issuer.id`).
    pub fn issuer(&self) -> &str {
        match self.object.get("issuer") {
            Some(Value::String(url)) => url,
            Some(Value::Object(map)) => map.get("id").and_then(Value::as_str).unwrap_or(""),
            _ => "",
        }
    }

    /// The `type` values.
    pub fn types(&self) -> Vec<&str> {
        self.object
            .get("type")
            .map(one_or_many)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .collect()
    }

    /// The credential subjects.
    pub fn subjects(&self) -> Vec<&Map<String, Value>> {
        self.object
            .get("credentialSubject")
            .map(one_or_many)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_object)
            .collect()
    }

    /// The `credentialStatus` entries.
    pub fn status_entries(&self) -> Vec<&Map<String, Value>> {
        self.object
            .get("credentialStatus")
            .map(one_or_many)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_object)
            .collect()
    }

    /// `validFrom`.
    pub fn valid_from(&self) -> Option<DateTime<Utc>> {
        self.valid_from
    }

    /// `validUntil`.
    pub fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.valid_until
    }

    /// Whether `now` lies in the validity period (section 4.9), bounds inclusive, with
    /// `skew` of tolerance on each side.
    pub fn check_validity_at(
        &self,
        now: DateTime<Utc>,
        skew: chrono::Duration,
    ) -> Result<(), ValidityError> {
        check_validity_at(self.valid_from, self.valid_until, now, skew)
    }
}

pub(crate) fn check_validity_at(
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> Result<(), ValidityError> {
    if valid_from.is_some_and(|from| now + skew < from) {
        return Err(ValidityError::NotYetValid);
    }
    if valid_until.is_some_and(|until| now - skew > until) {
        return Err(ValidityError::Expired);
    }
    Ok(())
}

/// The validity period of a credential-shaped value, for callers holding raw JSON (absent
/// or unparseable dates count as absent; [`credential_checks`] reports those).
pub(crate) fn validity_period(value: &Value) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let get = |property| {
        value
            .get(property)
            .and_then(Value::as_str)
            .and_then(parse_date_time_stamp)
    };
    (get("validFrom"), get("validUntil"))
}

/// A presentation that satisfies the rules of [`presentation_checks`], and whose embedded
/// credentials are objects (secured credentials, or enveloped ones).
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    object: Map<String, Value>,
}

impl Presentation {
    /// Validates `value` as a presentation.
    pub fn from_json(value: Value) -> Result<Self, ModelError> {
        first_failure(presentation_checks(&value))?;
        match value {
            Value::Object(object) => Ok(Self { object }),
            _ => Err(ModelError::NotAnObject),
        }
    }

    /// The JSON object.
    pub fn as_json(&self) -> &Map<String, Value> {
        &self.object
    }

    /// The JSON value.
    pub fn into_json(self) -> Value {
        Value::Object(self.object)
    }

    /// The holder's URL (`holder` or `holder.id`), if any.
    pub fn holder(&self) -> Option<&str> {
        holder_of(&self.object)
    }

    /// The embedded credentials, as JSON.
    pub fn credentials(&self) -> &[Value] {
        self.object
            .get("verifiableCredential")
            .map(one_or_many)
            .unwrap_or_default()
    }
}

pub(crate) fn holder_of(object: &Map<String, Value>) -> Option<&str> {
    match object.get("holder")? {
        Value::String(url) => Some(url),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
