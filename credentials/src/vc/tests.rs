use super::*;
use proptest::prelude::*;
use serde_json::json;

fn alumni() -> Value {
    // VC DI EdDSA test vector `unsigned.json` (a VC Data Model 2.0 example).
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "description": "A minimum viable example of an Alumni Credential.",
        "issuer": "https://vc.example/issuers/5678",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:abcdefgh",
            "alumniOf": "The School of Examples"
        }
    })
}

fn with(mut value: Value, key: &str, member: Value) -> Value {
    value[key] = member;
    value
}

fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().unwrap().remove(key);
    value
}

#[test]
fn alumni_credential_example_is_valid() {
    let credential = Credential::from_json(alumni()).unwrap();
    assert_eq!(credential.issuer(), "https://vc.example/issuers/5678");
    assert_eq!(
        credential.types(),
        ["VerifiableCredential", "AlumniCredential"]
    );
    assert_eq!(credential.subjects().len(), 1);
    assert_eq!(
        credential.valid_from().unwrap().to_rfc3339(),
        "2023-01-01T00:00:00+00:00"
    );
}

#[test]
fn context_first_item_must_be_v2_section_4_3() {
    let reordered = with(
        alumni(),
        "@context",
        json!([
            "https://www.w3.org/ns/credentials/examples/v2",
            "https://www.w3.org/ns/credentials/v2"
        ]),
    );
    assert_eq!(
        Credential::from_json(reordered),
        Err(ModelError::ContextFirstNotV2)
    );
    let v1 = with(
        alumni(),
        "@context",
        json!(["https://www.w3.org/2018/credentials/v1"]),
    );
    assert_eq!(
        Credential::from_json(v1),
        Err(ModelError::ContextFirstNotV2)
    );
    assert_eq!(
        Credential::from_json(without(alumni(), "@context")),
        Err(ModelError::ContextMissing)
    );
    let bad_item = with(
        alumni(),
        "@context",
        json!(["https://www.w3.org/ns/credentials/v2", 7]),
    );
    assert_eq!(
        Credential::from_json(bad_item),
        Err(ModelError::ContextItemInvalid)
    );
    // A single string is an ordered set of one item.
    let single = with(
        alumni(),
        "@context",
        json!("https://www.w3.org/ns/credentials/v2"),
    );
    assert!(Credential::from_json(single).is_ok());
}

#[test]
fn type_must_include_verifiable_credential_section_4_5() {
    assert_eq!(
        Credential::from_json(without(alumni(), "type")),
        Err(ModelError::TypeMissing)
    );
    assert_eq!(
        Credential::from_json(with(alumni(), "type", json!(["AlumniCredential"]))),
        Err(ModelError::TypeLacks(VERIFIABLE_CREDENTIAL))
    );
    assert_eq!(
        Credential::from_json(with(alumni(), "type", json!(["VerifiableCredential", 1]))),
        Err(ModelError::TypeInvalid)
    );
    assert_eq!(
        Credential::from_json(with(alumni(), "type", json!([]))),
        Err(ModelError::TypeInvalid)
    );
}

#[test]
fn issuer_must_be_url_or_object_with_id_section_4_7() {
    assert_eq!(
        Credential::from_json(with(alumni(), "issuer", json!("not a url"))),
        Err(ModelError::IssuerInvalid)
    );
    assert_eq!(
        Credential::from_json(with(alumni(), "issuer", json!({"name": "No id"}))),
        Err(ModelError::IssuerInvalid)
    );
    assert_eq!(
        Credential::from_json(with(alumni(), "issuer", json!(42))),
        Err(ModelError::IssuerInvalid)
    );
    assert_eq!(
        Credential::from_json(without(alumni(), "issuer")),
        Err(ModelError::IssuerMissing)
    );
    let object = with(
        alumni(),
        "issuer",
        json!({"id": "did:example:issuer", "name": "Example University"}),
    );
    assert_eq!(
        Credential::from_json(object).unwrap().issuer(),
        "did:example:issuer"
    );
}

#[test]
fn credential_subject_rules_section_4_8() {
    assert_eq!(
        Credential::from_json(without(alumni(), "credentialSubject")),
        Err(ModelError::SubjectMissing)
    );
    for bad in [
        json!({}),
        json!([]),
        json!("did:example:x"),
        json!([{"a": 1}, 3]),
    ] {
        assert_eq!(
            Credential::from_json(with(alumni(), "credentialSubject", bad)),
            Err(ModelError::SubjectInvalid)
        );
    }
    assert_eq!(
        Credential::from_json(with(alumni(), "credentialSubject", json!({"id": "no url"}))),
        Err(ModelError::IdNotUrl("credentialSubject"))
    );
    let two = with(
        alumni(),
        "credentialSubject",
        json!([{"id": "did:example:a"}, {"name": "B"}]),
    );
    assert_eq!(Credential::from_json(two).unwrap().subjects().len(), 2);
}

#[test]
fn valid_until_before_valid_from_is_refused_section_4_9() {
    let value = with(alumni(), "validUntil", json!("2022-12-31T23:59:59Z"));
    assert_eq!(Credential::from_json(value), Err(ModelError::ValidityOrder));
    let equal = with(alumni(), "validUntil", json!("2023-01-01T00:00:00Z"));
    assert!(Credential::from_json(equal).is_ok());
}

#[test]
fn valid_from_must_be_date_time_stamp_section_4_9() {
    for bad in [
        "2023-01-01T00:00:00",       // no time zone: a dateTime, not a dateTimeStamp
        "2023-01-01",                // a date
        "2023-01-01 00:00:00Z",      // space separator
        "2023-01-01t00:00:00Z",      // lower-case t
        "2023-01-01T00:00:00z",      // lower-case z
        "2023-13-01T00:00:00Z",      // month 13
        "2023-02-30T00:00:00Z",      // no such day
        "2023-01-01T24:00:00Z",      // hour 24
        "2023-01-01T00:00:60Z",      // leap second
        "2023-01-01T00:00:00.Z",     // empty fraction
        "2023-01-01T00:00:00+15:00", // offset beyond 14:00
        "0000-01-01T00:00:00Z",      // year zero
    ] {
        assert_eq!(parse_date_time_stamp(bad), None, "{bad}");
        assert_eq!(
            Credential::from_json(with(alumni(), "validFrom", json!(bad))),
            Err(ModelError::DateTimeInvalid("validFrom")),
            "{bad}"
        );
    }
    assert_eq!(
        Credential::from_json(with(alumni(), "validUntil", json!(1_700_000_000))),
        Err(ModelError::DateTimeInvalid("validUntil"))
    );
    let offset = parse_date_time_stamp("2023-01-01T02:00:00.123+02:00").unwrap();
    assert_eq!(offset.to_rfc3339(), "2023-01-01T00:00:00.123+00:00");
    assert!(parse_date_time_stamp("2023-01-01T00:00:00-14:00").is_some());
}

#[test]
fn credential_status_entries_need_a_type_section_4_10() {
    let good = with(
        alumni(),
        "credentialStatus",
        json!({
            "id": "https://example.com/credentials/status/3#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://example.com/credentials/status/3"
        }),
    );
    assert_eq!(
        Credential::from_json(good).unwrap().status_entries().len(),
        1
    );
    for bad in [
        json!({"id": "https://example.com/status/1#1"}),
        json!({"type": ""}),
        json!({"type": []}),
        json!({"type": "BitstringStatusListEntry", "id": "not a url"}),
        json!("https://example.com/status/1"),
        json!([]),
    ] {
        assert_eq!(
            Credential::from_json(with(alumni(), "credentialStatus", bad.clone())),
            Err(ModelError::StatusInvalid),
            "{bad}"
        );
    }
}

#[test]
fn identifiers_schemas_and_names() {
    assert_eq!(
        Credential::from_json(with(alumni(), "id", json!("not a url"))),
        Err(ModelError::IdNotUrl("credential"))
    );
    assert_eq!(
        Credential::from_json(with(
            alumni(),
            "credentialSchema",
            json!({"type": "JsonSchema"})
        )),
        Err(ModelError::SchemaInvalid)
    );
    assert_eq!(
        Credential::from_json(with(alumni(), "name", json!(5))),
        Err(ModelError::NameOrDescriptionInvalid("name"))
    );
    let language = with(
        alumni(),
        "description",
        json!([{"@value": "Diplôme", "@language": "fr"}, {"@value": "Degree", "@language": "en"}]),
    );
    assert!(Credential::from_json(language).is_ok());
}

#[test]
fn every_failed_rule_is_listed() {
    let value = json!({"@context": ["x"], "type": [], "credentialSubject": {}});
    let failed: Vec<_> = credential_checks(&value)
        .into_iter()
        .filter_map(|(check, r)| r.err().map(|e| (check, e.code())))
        .collect();
    assert!(failed.contains(&(Check::Context, FailureCode::ContextInvalid)));
    assert!(failed.contains(&(Check::Type, FailureCode::TypeInvalid)));
    assert!(failed.contains(&(Check::Issuer, FailureCode::IssuerInvalid)));
    assert!(failed.contains(&(Check::Subject, FailureCode::SubjectInvalid)));
    assert_eq!(
        Credential::from_json(json!([1])),
        Err(ModelError::NotAnObject)
    );
}

fn presentation() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
        "verifiableCredential": [alumni()]
    })
}

#[test]
fn presentation_rules_section_4_13() {
    let vp = Presentation::from_json(presentation()).unwrap();
    assert_eq!(vp.holder(), Some("did:example:holder"));
    assert_eq!(vp.credentials().len(), 1);
    assert_eq!(
        Presentation::from_json(with(
            presentation(),
            "type",
            json!(["VerifiableCredential"])
        )),
        Err(ModelError::TypeLacks(VERIFIABLE_PRESENTATION))
    );
    assert_eq!(
        Presentation::from_json(with(presentation(), "holder", json!("no url"))),
        Err(ModelError::HolderInvalid)
    );
    assert_eq!(
        Presentation::from_json(with(presentation(), "verifiableCredential", json!(["jwt"]))),
        Err(ModelError::VerifiableCredentialInvalid)
    );
    assert_eq!(
        Presentation::from_json(with(
            presentation(),
            "@context",
            json!(["https://www.w3.org/2018/credentials/v1"])
        )),
        Err(ModelError::ContextFirstNotV2)
    );
}

#[test]
fn validity_window_is_inclusive_and_skewed() {
    let value = with(alumni(), "validUntil", json!("2024-01-01T00:00:00Z"));
    let credential = Credential::from_json(value).unwrap();
    let at = |s: &str| parse_date_time_stamp(s).unwrap();
    let zero = chrono::Duration::zero();
    assert_eq!(
        credential.check_validity_at(at("2022-12-31T23:59:59Z"), zero),
        Err(ValidityError::NotYetValid)
    );
    assert!(
        credential
            .check_validity_at(at("2023-01-01T00:00:00Z"), zero)
            .is_ok()
    );
    assert!(
        credential
            .check_validity_at(at("2024-01-01T00:00:00Z"), zero)
            .is_ok()
    );
    assert_eq!(
        credential.check_validity_at(at("2024-01-01T00:00:01Z"), zero),
        Err(ValidityError::Expired)
    );
    assert!(
        credential
            .check_validity_at(at("2024-01-01T00:00:30Z"), chrono::Duration::seconds(60))
            .is_ok()
    );
}

proptest! {
    /// Every instant chrono can print in RFC 3339 `Z` form is a dateTimeStamp and parses back.
    #[test]
    fn date_time_stamp_round_trips(seconds in 0i64..253_402_300_799, nanos in 0u32..1_000_000_000) {
        let t = DateTime::<Utc>::from_timestamp(seconds, nanos).unwrap();
        if t.timestamp() >= -62_135_596_800 + 86_400 * 366 {
            let text = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            prop_assert_eq!(parse_date_time_stamp(&text), Some(t));
        }
    }
}

#[test]
fn evidence_terms_of_use_and_refresh_service_need_a_type() {
    for property in ["evidence", "termsOfUse", "refreshService"] {
        let typed = with(
            alumni(),
            property,
            json!([{"type": "Example", "id": "urn:x:1"}]),
        );
        assert!(Credential::from_json(typed).is_ok(), "{property}");
        let untyped = with(alumni(), property, json!({"id": "urn:x:1"}));
        let expected = match property {
            "evidence" => ModelError::EntryWithoutType("evidence"),
            "termsOfUse" => ModelError::EntryWithoutType("termsOfUse"),
            _ => ModelError::EntryWithoutType("refreshService"),
        };
        assert_eq!(Credential::from_json(untyped), Err(expected));
    }
}
