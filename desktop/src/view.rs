//! What the window shows, computed from the wallet's records: credential cards, the claims
//! of one credential, and the history of what was shared.
//!
//! These are plain, display-ready values. They carry no key material and no credential as
//! issued (no SD-JWT, no proof): only the claims the holder already sees, labels, and dates
//! as RFC 3339 strings for the page to format in the reader's locale.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use wallet::{CredentialRecord, PresentationOutcome, PresentationRecord};

/// Whether a credential can be used, as far as the wallet can tell without asking anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    /// Within its validity period.
    Valid,
    /// Its validity period has ended.
    Expired,
    /// Its validity period has not started yet.
    NotYetValid,
}

/// What the issuer's status list and the credential's dates said when the holder asked
/// ("Check status"), in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCheck {
    /// `valid`, `revoked`, `suspended`, `expired`, `not_yet_valid` or `unknown`.
    pub status: &'static str,
    /// The answer in words ("Revoked by the issuer").
    pub message: String,
    /// When it was checked (RFC 3339).
    pub checked_at: String,
}

/// Whether an unknown status came from an issuer that could not be reached (rather than
/// a list that could not be verified or a refused address).
fn unreachable(reason: &str) -> bool {
    reason.contains("connection failed")
        || reason.contains("timed out")
        || reason.starts_with("HTTP ")
}

/// The answer to "Check status" for the card. The reason of an unknown status is not shown
/// verbatim (it comes from the network); it is put in words.
pub fn status_check(status: &wallet::status::CredentialStatus, now: DateTime<Utc>) -> StatusCheck {
    use wallet::status::CredentialStatus as S;
    let (status, message) = match status {
        S::Valid => ("valid", "Valid — checked just now".to_owned()),
        S::Revoked => ("revoked", "Revoked by the issuer".to_owned()),
        S::Suspended => ("suspended", "Suspended".to_owned()),
        S::Expired => ("expired", "Expired".to_owned()),
        S::NotYetValid => ("not_yet_valid", "Not valid yet".to_owned()),
        S::Unknown(reason) if unreachable(reason) => (
            "unknown",
            "Couldn't check: the issuer's status list is unreachable".to_owned(),
        ),
        S::Unknown(reason) if reason.contains("refused") => (
            "unknown",
            "Couldn't check: the issuer's status list is at an address the wallet does not contact"
                .to_owned(),
        ),
        S::Unknown(_) => (
            "unknown",
            "Couldn't check: the issuer's status list could not be verified".to_owned(),
        ),
        _ => ("unknown", "Couldn't check the status".to_owned()),
    };
    StatusCheck {
        status,
        message,
        checked_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// A credential as a card in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialCard {
    /// The wallet's id, to open the detail view.
    pub id: String,
    /// A human title from the credential's type ("Age Credential").
    pub title: String,
    /// The issuer, shortened for display ("issuer.example.com").
    pub issuer: String,
    /// The issuer's full identifier (DID or URL).
    pub issuer_id: String,
    /// When it was issued (RFC 3339), if the credential says.
    pub issued_at: Option<String>,
    /// When it expires (RFC 3339), if it does.
    pub expires_at: Option<String>,
    /// When the wallet received it (RFC 3339).
    pub received_at: String,
    /// Valid, expired or not yet valid by its dates.
    pub status: CardStatus,
    /// The format, in words ("SD-JWT VC", "W3C VC").
    pub format: &'static str,
}

/// One claim, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimView {
    /// The claim path as the credential names it (`address.locality`).
    pub path: String,
    /// The path in words ("Address › Town or city").
    pub label: String,
    /// The value in words ("Yes", "1990-01-31", "Berlin").
    pub value: String,
}

/// A credential's detail view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialDetail {
    /// The card.
    pub card: CredentialCard,
    /// Every claim the holder holds, in the credential's order.
    pub claims: Vec<ClaimView>,
    /// The full type identifiers.
    pub types: Vec<String>,
}

/// What was shared from one credential, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedView {
    /// The credential's title, or a note that it has since been deleted.
    pub credential: String,
    /// Labels of the claims shared.
    pub disclosed: Vec<String>,
    /// Labels of the claims kept private.
    pub withheld: Vec<String>,
}

/// One history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// When (RFC 3339).
    pub at: String,
    /// The verifier, shortened for display.
    pub verifier: String,
    /// The verifier's full identifier.
    pub verifier_id: String,
    /// How the verifier's identity was established, in words.
    pub verifier_proven_by: String,
    /// `sent`, `declined` or `failed`.
    pub outcome: PresentationOutcome,
    /// What was shared (or would have been, for a declined request), per credential.
    pub shared: Vec<SharedView>,
}

/// Registered JWT and SD-JWT VC claims that describe the credential rather than the holder.
const TECHNICAL_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "iat",
    "nbf",
    "exp",
    "jti",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "_sd",
    "_sd_alg",
    "...",
];

fn timestamp(value: Option<&Value>) -> Option<DateTime<Utc>> {
    match value? {
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// The validity period a credential states.
struct Validity {
    issued: Option<DateTime<Utc>>,
    not_before: Option<DateTime<Utc>>,
    expires: Option<DateTime<Utc>>,
}

/// The validity period the credential states: `iat`/`nbf`/`exp` of an SD-JWT VC, or
/// `validFrom`/`validUntil` (VC 2.0) and `issuanceDate`/`expirationDate` (VC 1.1).
fn validity(record: &CredentialRecord) -> Validity {
    let sources = [&record.claims, &record.credential];
    let pick = |names: &[&str]| {
        sources
            .iter()
            .flat_map(|source| names.iter().map(move |n| source.get(n)))
            .find_map(timestamp)
    };
    Validity {
        issued: pick(&["iat", "validFrom", "issuanceDate"]),
        not_before: pick(&["nbf", "validFrom"]),
        expires: pick(&["exp", "validUntil", "expirationDate"]),
    }
}

/// A card for `record`, with its status at `now`.
pub fn card(record: &CredentialRecord, now: DateTime<Utc>) -> CredentialCard {
    let Validity {
        issued,
        not_before,
        expires,
    } = validity(record);
    let status = if expires.is_some_and(|e| now >= e) {
        CardStatus::Expired
    } else if not_before.is_some_and(|nb| now < nb) {
        CardStatus::NotYetValid
    } else {
        CardStatus::Valid
    };
    CredentialCard {
        id: record.id.as_str().to_owned(),
        title: title(&record.types),
        issuer: short_identifier(&record.issuer),
        issuer_id: record.issuer.clone(),
        issued_at: issued.map(|t| t.to_rfc3339()),
        expires_at: expires.map(|t| t.to_rfc3339()),
        received_at: record.received_at.to_rfc3339(),
        status,
        format: match record.format {
            wallet::CredentialFormat::DcSdJwt => "SD-JWT VC",
            wallet::CredentialFormat::LdpVc => "W3C Verifiable Credential",
        },
    }
}

/// The detail view of `record` at `now`.
pub fn detail(record: &CredentialRecord, now: DateTime<Utc>) -> CredentialDetail {
    let subject = record
        .claims
        .get("credentialSubject")
        .unwrap_or(&record.claims);
    let mut claims = Vec::new();
    if let Value::Object(map) = subject {
        for (name, value) in map {
            if TECHNICAL_CLAIMS.contains(&name.as_str()) || name == "id" || name == "@context" {
                continue;
            }
            flatten(name, value, &mut claims);
        }
    }
    CredentialDetail {
        card: card(record, now),
        claims,
        types: record.types.clone(),
    }
}

fn flatten(path: &str, value: &Value, out: &mut Vec<ClaimView>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (name, inner) in map {
                flatten(&format!("{path}.{name}"), inner, out);
            }
        }
        _ => out.push(ClaimView {
            path: path.to_owned(),
            label: path_label(path),
            value: value_text(value),
        }),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(_) => "—".to_owned(),
    }
}

/// A claim path in words: `address.locality` → "Address › Town or city".
pub fn path_label(path: &str) -> String {
    path.split('.')
        .map(claim_label)
        .collect::<Vec<_>>()
        .join(" › ")
}

/// One claim name in words.
pub fn claim_label(name: &str) -> String {
    let known = match name {
        "given_name" | "givenName" => Some("First name"),
        "family_name" | "familyName" => Some("Last name"),
        "birthdate" | "birth_date" | "birthDate" => Some("Date of birth"),
        "age_in_years" => Some("Age"),
        "age_birth_year" => Some("Year of birth"),
        "nationalities" | "nationality" => Some("Nationality"),
        "locality" => Some("Town or city"),
        "region" => Some("Region"),
        "postal_code" | "postalCode" => Some("Postcode"),
        "street_address" | "streetAddress" => Some("Street"),
        "email" => Some("Email address"),
        "phone_number" => Some("Phone number"),
        _ => None,
    };
    if let Some(label) = known {
        return label.to_owned();
    }
    if let Some(age) = name.strip_prefix("age_over_")
        && age.chars().all(|c| c.is_ascii_digit())
        && !age.is_empty()
    {
        return format!("Over {age}");
    }
    humanize(name)
}

/// `snake_case` or `camelCase` → "Snake case" / "Camel case".
fn humanize(name: &str) -> String {
    let mut words = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' {
            words.push(' ');
            previous_lower = false;
        } else if c.is_uppercase() && previous_lower {
            words.push(' ');
            words.extend(c.to_lowercase());
            previous_lower = false;
        } else {
            words.push(c);
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name.to_owned(),
    }
}

/// A title from the credential types: the most specific one that is not the generic
/// `VerifiableCredential`, its last path segment, in words ("AgeCredential" → "Age
/// credential", `https://issuer.example/credentials/age/1` → "Age").
pub fn title(types: &[String]) -> String {
    let specific = types
        .iter()
        .rev()
        .find(|t| t.as_str() != "VerifiableCredential")
        .or(types.first());
    let Some(specific) = specific else {
        return "Credential".to_owned();
    };
    let segment = specific
        .trim_end_matches(['/', '#', ':'])
        .rsplit(['/', '#', ':'])
        .find(|s| {
            !s.is_empty()
                && !s
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == 'v')
        })
        .unwrap_or(specific);
    humanize(segment)
}

/// An identifier shortened for display: the host of a URL or `did:web`, or the start and
/// end of any other DID.
pub fn short_identifier(id: &str) -> String {
    // An OpenID4VP client identifier names its kind first (section 5.9.3).
    for prefix in [
        "decentralized_identifier:",
        "x509_san_dns:",
        "redirect_uri:",
        "openid_federation:",
        "verifier_attestation:",
    ] {
        if let Some(rest) = id.strip_prefix(prefix) {
            return short_identifier(rest);
        }
    }
    if let Some(rest) = id
        .strip_prefix("https://")
        .or_else(|| id.strip_prefix("http://"))
    {
        return rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or(rest)
            .to_owned();
    }
    if let Some(rest) = id.strip_prefix("did:web:") {
        let host = rest.split(':').next().unwrap_or(rest);
        return host.replace("%3A", ":");
    }
    if id.starts_with("did:") && id.chars().count() > 28 {
        let start: String = id.chars().take(16).collect();
        let end: String = id
            .chars()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return format!("{start}…{end}");
    }
    id.to_owned()
}

/// How a verifier's identity was established, from its `client_id` prefix, in words.
fn proven_by(prefix: &str) -> String {
    match prefix {
        "x509_san_dns" | "x509_hash" => "Checked with the website's certificate".to_owned(),
        "decentralized_identifier" | "did" => {
            "Checked with its decentralized identifier (DID)".to_owned()
        }
        "verifier_attestation" => "Checked with an attestation from a trusted party".to_owned(),
        "openid_federation" => "Checked through a trust federation".to_owned(),
        "redirect_uri" => "Not checked: identified only by its web address".to_owned(),
        "" => "Not recorded".to_owned(),
        other => format!("Checked by {other}"),
    }
}

/// A history entry, with credential titles looked up in `credentials`.
pub fn history_entry(
    record: &PresentationRecord,
    credentials: &[CredentialRecord],
) -> HistoryEntry {
    HistoryEntry {
        at: record.at.to_rfc3339(),
        verifier: short_identifier(&record.verifier),
        verifier_id: record.verifier.clone(),
        verifier_proven_by: proven_by(&record.verifier_proven_by),
        outcome: record.outcome,
        shared: record
            .shared
            .iter()
            .map(|shared| SharedView {
                credential: credentials
                    .iter()
                    .find(|c| c.id == shared.credential)
                    .map(|c| title(&c.types))
                    .unwrap_or_else(|| "A credential since deleted".to_owned()),
                disclosed: shared.disclosed.iter().map(|p| path_label(p)).collect(),
                withheld: shared.withheld.iter().map(|p| path_label(p)).collect(),
            })
            .collect(),
    }
}

/// An offer, as shown before the holder accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferView {
    /// The id to accept it with.
    pub offer_id: String,
    /// The issuer, shortened for display.
    pub issuer: String,
    /// The issuer's full identifier.
    pub issuer_id: String,
    /// What is offered, in words.
    pub credentials: Vec<String>,
    /// The transaction code the issuer sent separately, if one is needed.
    pub tx_code: Option<TxCodeView>,
}

/// How to ask for a transaction code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxCodeView {
    /// Digits only.
    pub numeric: bool,
    /// Its length, if stated.
    pub length: Option<usize>,
    /// The issuer's hint, if any (already made printable by the wallet library).
    pub description: Option<String>,
}

/// The offer `offer` under `offer_id`.
pub fn offer(offer_id: String, offer: &wallet::receive::CredentialOffer) -> OfferView {
    OfferView {
        offer_id,
        issuer: short_identifier(&offer.credential_issuer),
        issuer_id: offer.credential_issuer.clone(),
        credentials: offer
            .credential_configuration_ids
            .iter()
            .map(|id| title(std::slice::from_ref(id)))
            .collect(),
        tx_code: offer.tx_code.as_ref().map(|t| TxCodeView {
            numeric: t.input_mode == "numeric",
            length: t.length,
            description: t.description.clone(),
        }),
    }
}

/// What one credential would share, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentCredential {
    /// The credential's title.
    pub title: String,
    /// Its issuer, shortened.
    pub issuer: String,
    /// Claims that would be shared.
    pub shared: Vec<String>,
    /// Claims that stay private.
    pub not_shared: Vec<String>,
    /// Claims the verifier sees whatever is chosen (not selectively disclosable).
    pub revealed_anyway: Vec<String>,
}

/// The consent screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentView {
    /// The id to approve or decline with.
    pub consent_id: String,
    /// Who asks, shortened.
    pub verifier: String,
    /// Who asks, in full (the DID its request was signed with).
    pub verifier_id: String,
    /// How that was established, in words.
    pub verifier_proven_by: String,
    /// Whether the verifier is named by a web domain (`did:web`, a certificate's DNS name).
    /// If not (a bare key such as `did:key`), the signature proves only that the request is
    /// unaltered, not who is behind it, and the consent screen says so.
    pub verifier_has_web_name: bool,
    /// Where the answer would go (host).
    pub answer_goes_to: String,
    /// What each credential would share.
    pub credentials: Vec<ConsentCredential>,
    /// Things the request marked optional, not shared.
    pub optional_not_shared: Vec<String>,
    /// Ways the request asks for more than it needs.
    pub warnings: Vec<String>,
}

/// The consent screen for `summary` under `consent_id`.
pub fn consent(consent_id: String, summary: &wallet::present::ConsentSummary) -> ConsentView {
    let labels = |paths: &[String]| paths.iter().map(|p| path_label(p)).collect::<Vec<_>>();
    ConsentView {
        consent_id,
        verifier: short_identifier(&summary.verifier.did),
        verifier_id: summary.verifier.did.clone(),
        verifier_proven_by: proven_by(&summary.verifier.proven_by),
        verifier_has_web_name: summary.verifier.did.starts_with("did:web:")
            || summary.verifier.client_id.starts_with("x509_san_dns:"),
        answer_goes_to: short_identifier(&summary.response_uri),
        credentials: summary
            .credentials
            .iter()
            .map(|c| ConsentCredential {
                title: title(&c.types),
                issuer: short_identifier(&c.issuer),
                shared: labels(&c.shared),
                not_shared: labels(&c.not_shared),
                revealed_anyway: labels(&c.revealed_anyway),
            })
            .collect(),
        optional_not_shared: summary.optional_not_shared.clone(),
        warnings: summary.warnings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wallet::CredentialFormat;

    fn record(claims: Value, types: &[&str]) -> CredentialRecord {
        serde_json::from_value(json!({
            "id": "c0ffee",
            "format": "dc+sd-jwt",
            "credential": "eyJ...~",
            "issuer": "https://issuer.example.com/tenant",
            "types": types,
            "claims": claims,
            "received_at": "2026-01-02T03:04:05Z",
        }))
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn status_follows_the_stated_validity_period() {
        let r = record(
            json!({"iat": 1_767_225_600, "nbf": 1_767_225_600, "exp": 1_798_761_600, "age_over_21": true}),
            &["https://credentials.example.com/AgeCredential"],
        );
        assert_eq!(
            card(&r, at("2026-06-01T00:00:00Z")).status,
            CardStatus::Valid
        );
        assert_eq!(
            card(&r, at("2027-01-01T00:00:00Z")).status,
            CardStatus::Expired
        );
        assert_eq!(
            card(&r, at("2025-06-01T00:00:00Z")).status,
            CardStatus::NotYetValid
        );
        let c = card(&r, at("2026-06-01T00:00:00Z"));
        assert_eq!(c.title, "Age credential");
        assert_eq!(c.issuer, "issuer.example.com");
        assert_eq!(c.issued_at.as_deref(), Some("2026-01-01T00:00:00+00:00"));
        assert_eq!(c.expires_at.as_deref(), Some("2027-01-01T00:00:00+00:00"));
    }

    #[test]
    fn vc_dates_are_read_too() {
        let mut r = record(
            json!({"credentialSubject": {"id": "did:key:z6Mk", "givenName": "Ada"}}),
            &["VerifiableCredential", "EmployeeCredential"],
        );
        r.format = CredentialFormat::LdpVc;
        r.credential =
            json!({"validFrom": "2026-01-01T00:00:00Z", "validUntil": "2026-02-01T00:00:00Z"});
        let d = detail(&r, at("2026-03-01T00:00:00Z"));
        assert_eq!(d.card.status, CardStatus::Expired);
        assert_eq!(d.card.title, "Employee credential");
        assert_eq!(d.claims.len(), 1);
        assert_eq!(d.claims[0].label, "First name");
        assert_eq!(d.claims[0].value, "Ada");
    }

    #[test]
    fn detail_lists_holder_claims_in_words_and_hides_technical_ones() {
        let r = record(
            json!({
                "iss": "https://issuer.example.com", "vct": "urn:x:age:1", "cnf": {"jwk": {}},
                "iat": 1, "exp": 2, "status": {}, "_sd_alg": "sha-256",
                "given_name": "Erika", "age_over_21": true, "age_over_65": false,
                "address": {"locality": "Berlin", "postal_code": "10115"},
                "nationalities": ["DE", "FR"]
            }),
            &["urn:x:age:1"],
        );
        let d = detail(&r, at("2026-01-01T00:00:00Z"));
        let shown: Vec<(&str, &str)> = d
            .claims
            .iter()
            .map(|c| (c.label.as_str(), c.value.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("First name", "Erika"),
                ("Over 21", "Yes"),
                ("Over 65", "No"),
                ("Address › Town or city", "Berlin"),
                ("Address › Postcode", "10115"),
                ("Nationality", "DE, FR"),
            ]
        );
        assert_eq!(d.card.title, "Age");
    }

    #[test]
    fn identifiers_are_shortened_for_display() {
        assert_eq!(
            short_identifier("did:web:verifier.example.org:shop"),
            "verifier.example.org"
        );
        assert_eq!(
            short_identifier("http://127.0.0.1:8080/x"),
            "127.0.0.1:8080"
        );
        let key = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        let short = short_identifier(key);
        assert!(
            short.starts_with("did:key:z6Mkha") && short.ends_with("a2doK") && short.contains('…')
        );
        assert_eq!(title(&[]), "Credential");
        assert_eq!(
            short_identifier("decentralized_identifier:did:web:shop.example.com"),
            "shop.example.com"
        );
        assert_eq!(
            short_identifier("x509_san_dns:verifier.example.org"),
            "verifier.example.org"
        );
        assert_eq!(
            short_identifier("redirect_uri:https://rp.example.net/cb"),
            "rp.example.net"
        );
    }

    #[test]
    fn history_names_credentials_and_claims() {
        let r = record(json!({"age_over_21": true}), &["AgeCredential"]);
        let entry: PresentationRecord = serde_json::from_value(json!({
            "at": "2026-05-01T10:00:00Z",
            "verifier": "did:web:shop.example",
            "verifier_proven_by": "decentralized_identifier",
            "response_uri": "https://shop.example/response",
            "shared": [
                {"credential": "c0ffee", "disclosed": ["age_over_21"], "withheld": ["given_name", "address.locality"]},
                {"credential": "gone", "disclosed": [], "withheld": []}
            ],
            "outcome": "sent"
        }))
        .unwrap();
        let h = history_entry(&entry, &[r]);
        assert_eq!(h.verifier, "shop.example");
        assert_eq!(h.shared[0].credential, "Age credential");
        assert_eq!(h.shared[0].disclosed, ["Over 21"]);
        assert_eq!(
            h.shared[0].withheld,
            ["First name", "Address › Town or city"]
        );
        assert_eq!(h.shared[1].credential, "A credential since deleted");
        assert_eq!(h.outcome, PresentationOutcome::Sent);
    }
}
