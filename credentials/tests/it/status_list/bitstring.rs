//! W3C Bitstring Status List v1.0: the specification's examples, the issuer's list
//! credential, validation against entries, and the negative cases.
//!
//! Examples are from <https://www.w3.org/TR/vc-bitstring-status-list/> (`w3c/vc-bitstring-
//! status-list` `index.html`): section 2.1 "Example StatusListCredential using simple entries"
//! and section 2.2 "Example BitstringStatusListCredential".

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use credentials::report::{FailureCode, VerificationReport};
use credentials::status_list::bitstring::{
    BitstringStatus, BitstringStatusList, BitstringStatusListCredential, BitstringStatusListEntry,
    BitstringValidation, StatusListCredentialParams, StatusMessage, StatusPurpose, check_status,
};
use credentials::status_list::{
    DEFAULT_CLOCK_SKEW_SECONDS, MAX_CLOCK_SKEW_SECONDS, MAX_DECOMPRESSED_BYTES, MIN_ENTRIES,
    StatusListError, record_status,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Section 2.2, "Example BitstringStatusListCredential" (unsigned as printed).
fn section_2_2_example_credential() -> Value {
    json!({
      "@context": ["https://www.w3.org/ns/credentials/v2"],
      "id": "https://example.com/credentials/status/3",
      "type": ["VerifiableCredential", "BitstringStatusListCredential"],
      "issuer": "did:example:12345",
      "validFrom": "2021-04-05T14:27:40Z",
      "credentialSubject": {
        "id": "https://example.com/status/3#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
      }
    })
}

/// Section 2.1, "Example StatusListCredential using simple entries": the two entries.
fn section_2_1_example_entries() -> Value {
    json!([{
        "id": "https://example.com/credentials/status/3#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.com/credentials/status/3"
      }, {
        "id": "https://example.com/credentials/status/4#23452",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "23452",
        "statusListCredential": "https://example.com/credentials/status/4"
    }])
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

const LIST_URL: &str = "https://issuer.example/status/1";

#[test]
fn section_2_2_example_encoded_list_is_a_16kb_list_of_zeros() {
    // Section 1.1: "The default status list size is 131,072 entries, equivalent to 16 KB".
    let encoded = section_2_2_example_credential()["credentialSubject"]["encodedList"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = BitstringStatusList::decode(&encoded, 1).unwrap();
    assert_eq!(list.len(), MIN_ENTRIES);
    assert_eq!(list.as_bytes().len(), 16 * 1024);
    assert!(list.as_bytes().iter().all(|b| *b == 0));
    // Our encoding of an empty list decodes to the same bitstring.
    let ours = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap().encode();
    assert!(
        ours.starts_with("uH4sI"),
        "multibase u + base64url of a GZIP header"
    );
    assert_eq!(BitstringStatusList::decode(&ours, 1).unwrap(), list);
}

#[test]
fn section_2_1_example_entry_checked_against_section_2_2_example_list_is_valid() {
    let entries = section_2_1_example_entries();
    let entry = BitstringStatusListEntry::from_json(&entries[0]).unwrap();
    assert_eq!(entry.status_list_index, 94567);
    assert_eq!(entry.status_purpose, StatusPurpose::Revocation);
    assert_eq!(entry.status_size, 1);
    let status = check_status(&entry, &section_2_2_example_credential(), now()).unwrap();
    assert_eq!(
        status,
        BitstringStatus {
            purpose: StatusPurpose::Revocation,
            value: 0,
            message: None
        }
    );
    assert!(status.is_valid());
    // The second entry references another list (status/4): this list cannot answer for it.
    let other = BitstringStatusListEntry::from_json(&entries[1]).unwrap();
    assert_eq!(
        check_status(&other, &section_2_2_example_credential(), now()),
        Err(StatusListError::ListCredentialMismatch)
    );
    // The example list is valid from 2021-04-05T14:27:40Z: refused before that, beyond the
    // default 60 s of clock skew.
    let before = Utc.with_ymd_and_hms(2021, 4, 5, 14, 26, 39).unwrap();
    assert_eq!(
        check_status(&entry, &section_2_2_example_credential(), before),
        Err(StatusListError::NotYetValid)
    );
}

#[test]
fn section_2_1_example_credential_yields_both_entries() {
    let mut credential = json!({
      "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
      "id": "https://example.com/credentials/23894672394",
      "type": ["VerifiableCredential", "EmployeeIdCredential"],
      "issuer": "did:example:12345",
      "validFrom": "2024-04-05T14:27:42Z",
      "credentialSubject": {"id": "did:example:6789", "type": "Person", "employeeId": "A-123456"}
    });
    credential["credentialStatus"] = section_2_1_example_entries();
    let entries = BitstringStatusListEntry::all_in(&credential).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].status_list_index, 94567);
    assert_eq!(entries[1].status_purpose, StatusPurpose::Suspension);
    assert_eq!(
        entries[1].status_list_credential,
        "https://example.com/credentials/status/4"
    );
    // Other status types are not ours to interpret; a malformed entry of our type is an error.
    credential["credentialStatus"][0]["type"] = json!("StatusList2021Entry");
    assert_eq!(
        BitstringStatusListEntry::all_in(&credential).unwrap().len(),
        1
    );
    credential["credentialStatus"][1]["statusListIndex"] = json!("-5");
    assert_eq!(
        BitstringStatusListEntry::all_in(&credential),
        Err(StatusListError::InvalidIndex)
    );
    credential
        .as_object_mut()
        .unwrap()
        .remove("credentialStatus");
    assert_eq!(BitstringStatusListEntry::all_in(&credential), Ok(vec![]));
}

#[test]
fn rule_status_entry_with_unreadable_type_is_an_error_not_skipped() {
    // An entry whose `type` is missing or not a string / array of strings cannot be told
    // apart from a BitstringStatusListEntry: dropping it would skip its status check.
    let credential = |entry: Value| json!({"credentialStatus": [entry]});
    let mut entry = section_2_1_example_entries()[0].clone();
    entry["type"] = json!(["BitstringStatusListEntry", 5]);
    assert_eq!(
        BitstringStatusListEntry::all_in(&credential(entry.clone())),
        Err(StatusListError::InvalidProperty("type"))
    );
    entry.as_object_mut().unwrap().remove("type");
    assert_eq!(
        BitstringStatusListEntry::all_in(&credential(entry.clone())),
        Err(StatusListError::MissingProperty("type"))
    );
    // A well-formed entry of another type is still left to others.
    entry["type"] = json!("StatusList2021Entry");
    assert_eq!(
        BitstringStatusListEntry::all_in(&credential(entry)),
        Ok(vec![])
    );
    // So is nothing but an object is accepted as an entry.
    assert_eq!(
        BitstringStatusListEntry::all_in(&credential(json!("urn:x"))),
        Err(StatusListError::InvalidProperty("credentialStatus"))
    );
}

fn params(purposes: Vec<StatusPurpose>) -> StatusListCredentialParams {
    StatusListCredentialParams {
        id: LIST_URL.into(),
        issuer: "did:example:issuer".into(),
        purposes,
        valid_from: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        valid_until: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
        ttl_ms: Some(60_000),
    }
}

#[test]
fn issuer_built_list_credential_revokes_and_suspends() {
    let mut revocations = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    revocations.set(4242, 1).unwrap();
    let credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&revocations);
    assert_eq!(
        credential["@context"],
        json!(["https://www.w3.org/ns/credentials/v2"])
    );
    assert_eq!(
        credential["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(credential["validFrom"], "2025-01-01T00:00:00Z");
    assert_eq!(credential["validUntil"], "2026-01-01T00:00:00Z");
    assert_eq!(
        credential["credentialSubject"]["type"],
        "BitstringStatusList"
    );
    assert_eq!(
        credential["credentialSubject"]["statusPurpose"],
        "revocation"
    );
    assert_eq!(credential["credentialSubject"]["ttl"], 60_000);
    assert!(credential.get("proof").is_none());

    let revoked = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 4242);
    let entry_json = revoked.to_json();
    assert_eq!(entry_json["statusListIndex"], "4242");
    assert_eq!(entry_json["id"], format!("{LIST_URL}#4242"));
    assert_eq!(
        BitstringStatusListEntry::from_json(&entry_json).unwrap(),
        revoked
    );
    let status = check_status(&revoked, &credential, now()).unwrap();
    assert_eq!(status.value, 1);
    let not_revoked = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 4243);
    assert!(
        check_status(&not_revoked, &credential, now())
            .unwrap()
            .is_valid()
    );

    let mut report = VerificationReport::new();
    record_status(&mut report, &Ok::<_, StatusListError>(status));
    assert_eq!(report.failure_codes(), vec![FailureCode::Revoked]);

    // A list serving both purposes (section 2.2: one or more purposes).
    let both = params(vec![StatusPurpose::Revocation, StatusPurpose::Suspension])
        .unsigned_credential(&revocations);
    let suspended = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Suspension, 4242);
    let status = check_status(&suspended, &both, now()).unwrap();
    let mut report = VerificationReport::new();
    record_status(&mut report, &Ok::<_, StatusListError>(status));
    assert_eq!(report.failure_codes(), vec![FailureCode::Suspended]);
}

#[test]
fn purpose_not_served_by_the_list_is_refused() {
    // Section 3.2 step 5: STATUS_VERIFICATION_ERROR.
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&list);
    let entry = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Suspension, 1);
    assert_eq!(
        check_status(&entry, &credential, now()),
        Err(StatusListError::PurposeMismatch)
    );
}

#[test]
fn list_credential_with_another_id_is_refused() {
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let mut credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&list);
    let entry = BitstringStatusListEntry::new(
        "https://issuer.example/status/2",
        StatusPurpose::Revocation,
        1,
    );
    assert_eq!(
        check_status(&entry, &credential, now()),
        Err(StatusListError::ListCredentialMismatch)
    );
    // Section 2.2: the `id` is optional; without one the list is accepted unless the caller
    // requires it.
    credential.as_object_mut().unwrap().remove("id");
    let entry = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 1);
    assert!(check_status(&entry, &credential, now()).unwrap().is_valid());
    let strict = BitstringValidation {
        require_list_id: true,
        ..BitstringValidation::default()
    };
    let parsed = BitstringStatusListCredential::from_json(&credential).unwrap();
    assert_eq!(
        parsed.check_with(&entry, now(), &strict),
        Err(StatusListError::ListCredentialMismatch)
    );
}

/// `w3c/vc-bitstring-status-list-test-suite` `fixtures/status-credentials/
/// single-purpose-ok.jsonld` (commit 25c06363): a list produced by another implementation
/// whose README states that indexes 201, 94023 and 57444 are set. Its `encodedList` predates
/// the multibase `u` prefix.
const W3C_SUITE_ENCODED_LIST: &str = "H4sIACbOo2YC_-3QMREAMAgEsGerLPyrQgFjB-4SCUkWHQAAAAAAAOCwpwAAAADgrFIAAAAAAAAAAAAAAAAA3wxvOeOvqGEAAA";

#[test]
fn w3c_test_suite_list_has_indexes_201_94023_57444_set() {
    // Without the `u` prefix the value is not multibase (section 2.2 `encodedList`).
    assert_eq!(
        BitstringStatusList::decode(W3C_SUITE_ENCODED_LIST, 1),
        Err(StatusListError::NotMultibaseBase64Url)
    );
    let list = BitstringStatusList::decode(&format!("u{W3C_SUITE_ENCODED_LIST}"), 1).unwrap();
    assert_eq!(list.len(), 200_000);
    let set: Vec<usize> = (0..list.len())
        .filter(|i| list.get(*i).unwrap() == 1)
        .collect();
    assert_eq!(set, vec![201, 57444, 94023]);
    // The fixture credential (multi-purpose variant), checked for the suite's
    // `should-be-revoked.jsonld` entry (index 201) and for an unset index.
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "type": "BitstringStatusList",
            "statusPurpose": ["revocation", "suspension"],
            "encodedList": format!("u{W3C_SUITE_ENCODED_LIST}")
        }
    });
    let url =
        "https://w3c-ccg.github.io/vc-api/fixtures/credentials/status/purpose-single-ok.jsonld";
    let revoked = BitstringStatusListEntry::new(url, StatusPurpose::Revocation, 201);
    assert_eq!(check_status(&revoked, &credential, now()).unwrap().value, 1);
    let suspended = BitstringStatusListEntry::new(url, StatusPurpose::Suspension, 94023);
    assert_eq!(
        check_status(&suspended, &credential, now()).unwrap().value,
        1
    );
    let fine = BitstringStatusListEntry::new(url, StatusPurpose::Revocation, 202);
    assert!(check_status(&fine, &credential, now()).unwrap().is_valid());
}

#[test]
fn w3c_test_suite_short_list_is_refused() {
    // `fixtures/status-credentials/short-encoded-list-fail.jsonld`: STATUS_LIST_LENGTH_ERROR.
    let short = "uH4sIAN7Lo2YC_2NgwAEAjw7P6RkAAAA";
    assert!(matches!(
        BitstringStatusList::decode(short, 1),
        Err(StatusListError::ListTooSmall {
            minimum: MIN_ENTRIES,
            ..
        })
    ));
}

/// Options without any clock skew: the validity period's exact bounds.
fn no_skew() -> BitstringValidation {
    BitstringValidation {
        clock_skew: TimeDelta::zero(),
        ..BitstringValidation::default()
    }
}

#[test]
fn list_outside_its_validity_period_is_refused() {
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&list);
    let entry = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 1);
    let parsed = BitstringStatusListCredential::from_json(&credential).unwrap();
    // Without skew the bounds are exact and inclusive.
    let end = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    assert!(parsed.check_with(&entry, end, &no_skew()).is_ok());
    assert_eq!(
        parsed.check_with(&entry, end + TimeDelta::seconds(1), &no_skew()),
        Err(StatusListError::Expired)
    );
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    assert!(parsed.check_with(&entry, start, &no_skew()).is_ok());
    assert_eq!(
        parsed.check_with(&entry, start - TimeDelta::seconds(1), &no_skew()),
        Err(StatusListError::NotYetValid)
    );
    // By default (60 s of skew): expired or not yet valid beyond the skew is refused.
    let skew = TimeDelta::seconds(DEFAULT_CLOCK_SKEW_SECONDS);
    let after = end + skew + TimeDelta::seconds(1);
    assert_eq!(
        check_status(&entry, &credential, after),
        Err(StatusListError::Expired)
    );
    let long_after = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    assert_eq!(
        check_status(&entry, &credential, long_after),
        Err(StatusListError::Expired)
    );
    let before = start - skew - TimeDelta::seconds(1);
    assert_eq!(
        check_status(&entry, &credential, before),
        Err(StatusListError::NotYetValid)
    );
    let mut bad_time = credential.clone();
    bad_time["validUntil"] = json!("next year");
    assert_eq!(
        check_status(&entry, &bad_time, now()),
        Err(StatusListError::InvalidTime("validUntil"))
    );
}

/// A list the issuer (re-)signed a moment after the verifier read its clock: its `validFrom`
/// is "in the future" by a second. The scenario test met this when the issuer re-signed
/// a list on revocation while the wallet and verifier compared against an earlier instant.
#[test]
fn list_signed_just_after_the_verifiers_now_is_accepted_within_the_clock_skew() {
    let verifier_now = now();
    let mut params = params(vec![StatusPurpose::Revocation]);
    params.valid_from = verifier_now + TimeDelta::seconds(1);
    params.valid_until = Some(verifier_now + TimeDelta::days(1));
    let mut list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    list.set(7, 1).unwrap();
    let credential = params.unsigned_credential(&list);
    let fine = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 1);
    let revoked = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 7);
    assert!(
        check_status(&fine, &credential, verifier_now)
            .unwrap()
            .is_valid()
    );
    // The status is still read: a revoked entry stays revoked.
    assert_eq!(
        check_status(&revoked, &credential, verifier_now)
            .unwrap()
            .value,
        1
    );
    // Up to the skew, inclusive.
    let mut at_skew = params.clone();
    at_skew.valid_from = verifier_now + TimeDelta::seconds(DEFAULT_CLOCK_SKEW_SECONDS);
    assert!(
        check_status(&fine, &at_skew.unsigned_credential(&list), verifier_now)
            .unwrap()
            .is_valid()
    );
    // Dated beyond the skew: refused.
    let mut beyond = params.clone();
    beyond.valid_from = verifier_now + TimeDelta::seconds(DEFAULT_CLOCK_SKEW_SECONDS + 1);
    assert_eq!(
        check_status(&fine, &beyond.unsigned_credential(&list), verifier_now),
        Err(StatusListError::NotYetValid)
    );
    let mut far = params;
    far.valid_from = verifier_now + TimeDelta::days(1);
    far.valid_until = Some(verifier_now + TimeDelta::days(2));
    assert_eq!(
        check_status(&fine, &far.unsigned_credential(&list), verifier_now),
        Err(StatusListError::NotYetValid)
    );
}

#[test]
fn clock_skew_option_is_bounded() {
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let entry = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 1);
    let mut params = params(vec![StatusPurpose::Revocation]);
    params.valid_from = now() + TimeDelta::hours(1);
    params.valid_until = Some(now() + TimeDelta::days(1));
    let credential =
        BitstringStatusListCredential::from_json(&params.unsigned_credential(&list)).unwrap();
    // An hour of skew is lowered to the maximum (5 minutes): an hour ahead stays refused.
    let lax = BitstringValidation {
        clock_skew: TimeDelta::hours(1),
        ..BitstringValidation::default()
    };
    assert_eq!(
        credential.check_with(&entry, now(), &lax),
        Err(StatusListError::NotYetValid)
    );
    let at_max = now() + TimeDelta::hours(1) - TimeDelta::seconds(MAX_CLOCK_SKEW_SECONDS);
    assert!(credential.check_with(&entry, at_max, &lax).is_ok());
    // A negative skew counts as none: the exact bounds.
    let negative = BitstringValidation {
        clock_skew: TimeDelta::seconds(-30),
        ..BitstringValidation::default()
    };
    assert!(
        credential
            .check_with(&entry, now() + TimeDelta::hours(1), &negative)
            .is_ok()
    );
    // The default is 60 s.
    assert_eq!(
        BitstringValidation::default().clock_skew,
        TimeDelta::seconds(60)
    );
}

#[test]
fn index_out_of_range_is_refused() {
    // Section 3.2 step 10: RANGE_ERROR when index * statusSize is outside the bitstring.
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&list);
    let last = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, MIN_ENTRIES - 1);
    assert!(check_status(&last, &credential, now()).unwrap().is_valid());
    let beyond = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, MIN_ENTRIES);
    assert_eq!(
        check_status(&beyond, &credential, now()),
        Err(StatusListError::IndexOutOfRange)
    );
    let mut huge = last.to_json();
    huge["statusListIndex"] = json!("340282366920938463463374607431768211456");
    assert_eq!(
        BitstringStatusListEntry::from_json(&huge),
        Err(StatusListError::IndexOutOfRange)
    );
    assert_eq!(list.get(MIN_ENTRIES), Err(StatusListError::IndexOutOfRange));
}

#[test]
fn negative_or_non_numeric_index_is_refused() {
    // Section 2.1: statusListIndex MUST be an integer >= 0 expressed as a base-10 string.
    let good = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 1).to_json();
    for bad in [
        json!("-1"),
        json!("abc"),
        json!("+7"),
        json!("1.0"),
        json!(""),
        json!(7),
        json!(null),
    ] {
        let mut entry = good.clone();
        entry["statusListIndex"] = bad.clone();
        assert_eq!(
            BitstringStatusListEntry::from_json(&entry),
            Err(StatusListError::InvalidIndex),
            "{bad}"
        );
    }
}

#[test]
fn malformed_entries_are_refused() {
    let good = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 1).to_json();
    let cases: Vec<(Value, StatusListError)> = vec![
        (
            json!({"type": "StatusList2021Entry"}),
            StatusListError::InvalidProperty("type"),
        ),
        (
            json!({"statusPurpose": 1}),
            StatusListError::InvalidProperty("statusPurpose"),
        ),
        (
            json!({"statusListCredential": "status/1"}),
            StatusListError::InvalidProperty("statusListCredential"),
        ),
        // Section 2.1 `id`: MUST NOT be the URL for the status list.
        (
            json!({"id": LIST_URL}),
            StatusListError::InvalidProperty("id"),
        ),
        (
            json!({"statusSize": 0}),
            StatusListError::InvalidProperty("statusSize"),
        ),
        (
            json!({"statusSize": "1"}),
            StatusListError::InvalidProperty("statusSize"),
        ),
        (
            json!({"statusSize": 9}),
            StatusListError::UnsupportedStatusSize,
        ),
        // statusSize > 1 requires statusMessage.
        (
            json!({"statusSize": 2}),
            StatusListError::MissingProperty("statusMessage"),
        ),
        // One message per possible value: 4 for 2 bits.
        (
            json!({"statusSize": 2, "statusMessage": [
                {"status": "0x0", "message": "a"}, {"status": "0x1", "message": "b"}]}),
            StatusListError::InvalidProperty("statusMessage"),
        ),
        (
            json!({"statusMessage": [{"status": "0", "message": "a"}, {"status": "0x1", "message": "b"}]}),
            StatusListError::InvalidProperty("statusMessage"),
        ),
        (
            json!({"statusMessage": [{"status": "0x1", "message": "a"}, {"status": "0x1", "message": "b"}]}),
            StatusListError::InvalidProperty("statusMessage"),
        ),
        (
            json!({"statusReference": "not a url"}),
            StatusListError::InvalidProperty("statusReference"),
        ),
    ];
    for (patch, expected) in cases {
        let mut entry = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            entry[k] = v.clone();
        }
        assert_eq!(
            BitstringStatusListEntry::from_json(&entry),
            Err(expected),
            "{patch}"
        );
    }
    let mut no_url = good.clone();
    no_url
        .as_object_mut()
        .unwrap()
        .remove("statusListCredential");
    assert_eq!(
        BitstringStatusListEntry::from_json(&no_url),
        Err(StatusListError::MissingProperty("statusListCredential"))
    );
}

#[test]
fn too_small_list_is_refused_at_construction_and_at_validation() {
    // Section 3.2 step 9: STATUS_LIST_LENGTH_ERROR below 131,072 entries.
    assert_eq!(
        BitstringStatusList::new(MIN_ENTRIES - 8, 1),
        Err(StatusListError::ListTooSmall {
            entries: MIN_ENTRIES - 8,
            minimum: MIN_ENTRIES
        })
    );
    let small = BitstringStatusList::with_minimum(1024, 1, 1024).unwrap();
    let credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&small);
    let entry = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Revocation, 1);
    assert_eq!(
        check_status(&entry, &credential, now()),
        Err(StatusListError::ListTooSmall {
            entries: 1024,
            minimum: MIN_ENTRIES
        })
    );
    // An ecosystem with its own lower bound can accept it explicitly.
    let parsed = BitstringStatusListCredential::from_json(&credential).unwrap();
    let lenient = BitstringValidation {
        minimum_entries: 1024,
        ..BitstringValidation::default()
    };
    assert!(
        parsed
            .check_with(&entry, now(), &lenient)
            .unwrap()
            .is_valid()
    );
    // With 2-bit entries a 16 KB bitstring holds only 65,536 entries: too few.
    let mut two_bit = BitstringStatusListEntry::new(LIST_URL, StatusPurpose::Message, 1);
    two_bit.status_size = 2;
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let credential = params(vec![StatusPurpose::Message]).unsigned_credential(&list);
    assert_eq!(
        check_status(&two_bit, &credential, now()),
        Err(StatusListError::ListTooSmall {
            entries: MIN_ENTRIES / 2,
            minimum: MIN_ENTRIES
        })
    );
}

fn with_encoded_list(encoded: &str) -> Value {
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let mut credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&list);
    credential["credentialSubject"]["encodedList"] = json!(encoded);
    credential
}

#[test]
fn wrong_multibase_prefix_and_bad_gzip_are_refused() {
    let good = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap().encode();
    let body = good.strip_prefix('u').unwrap();
    let cases = [
        // No multibase prefix (the old StatusList2021 form).
        (body.to_owned(), StatusListError::NotMultibaseBase64Url),
        // base58btc and padded base64url multibase prefixes.
        (format!("z{body}"), StatusListError::NotMultibaseBase64Url),
        (format!("U{body}"), StatusListError::NotMultibaseBase64Url),
        // Padding and the standard alphabet are not base64url without padding.
        (format!("u{body}=="), StatusListError::InvalidBase64Url),
        (
            format!("u{}", body.replace('-', "+")),
            StatusListError::InvalidBase64Url,
        ),
        // ZLIB is not GZIP; random bytes are neither.
        (
            format!(
                "u{}",
                credentials::base64url::encode(super::zlib(&[0; 16384]))
            ),
            StatusListError::InvalidCompression,
        ),
        (
            "uAAECAwQFBgc".to_owned(),
            StatusListError::InvalidCompression,
        ),
    ];
    for (encoded, expected) in cases {
        assert_eq!(
            BitstringStatusList::decode(&encoded, 1),
            Err(expected.clone()),
            "{encoded}"
        );
        assert_eq!(
            BitstringStatusListCredential::from_json(&with_encoded_list(&encoded)),
            Err(expected)
        );
    }
    // A truncated GZIP stream.
    let gz = super::gzip(&[0; 16384]);
    let truncated = format!("u{}", credentials::base64url::encode(&gz[..gz.len() - 4]));
    assert_eq!(
        BitstringStatusList::decode(&truncated, 1),
        Err(StatusListError::InvalidCompression)
    );
}

#[test]
fn oversized_decompression_is_refused() {
    // A GZIP bomb: 16 MiB + 1 zero bytes are a few KiB compressed.
    let bomb = format!(
        "u{}",
        credentials::base64url::encode(super::gzip(&vec![0; MAX_DECOMPRESSED_BYTES + 1]))
    );
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(
        BitstringStatusList::decode(&bomb, 1),
        Err(StatusListError::ListTooLarge)
    );
    assert_eq!(
        BitstringStatusListCredential::from_json(&with_encoded_list(&bomb)),
        Err(StatusListError::ListTooLarge)
    );
    assert_eq!(
        BitstringStatusList::new(MAX_DECOMPRESSED_BYTES * 8 + 1, 1),
        Err(StatusListError::ListTooLarge)
    );
}

#[test]
fn non_status_list_credentials_are_refused() {
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let good = params(vec![StatusPurpose::Revocation]).unsigned_credential(&list);
    let cases: [(&str, &str, Value, StatusListError); 6] = [
        (
            "",
            "@context",
            json!(["https://www.w3.org/2018/credentials/v1"]),
            StatusListError::ContextInvalid,
        ),
        (
            "",
            "type",
            json!(["VerifiableCredential"]),
            StatusListError::NotAStatusListCredential,
        ),
        (
            "",
            "credentialSubject",
            json!([]),
            StatusListError::InvalidProperty("credentialSubject"),
        ),
        (
            "credentialSubject",
            "type",
            json!("StatusList2021"),
            StatusListError::InvalidProperty("credentialSubject.type"),
        ),
        (
            "credentialSubject",
            "statusPurpose",
            json!([]),
            StatusListError::InvalidProperty("statusPurpose"),
        ),
        (
            "credentialSubject",
            "ttl",
            json!(-5),
            StatusListError::InvalidProperty("ttl"),
        ),
    ];
    for (parent, key, value, expected) in cases {
        let mut credential = good.clone();
        let target = if parent.is_empty() {
            &mut credential
        } else {
            &mut credential[parent]
        };
        target[key] = value;
        assert_eq!(
            BitstringStatusListCredential::from_json(&credential),
            Err(expected),
            "{parent}.{key}"
        );
    }
}

#[test]
fn message_purpose_with_two_bit_entries_returns_the_message() {
    // Section 2.1: statusSize 2 with four statusMessage values.
    let mut list = BitstringStatusList::new(MIN_ENTRIES, 2).unwrap();
    list.set(100, 2).unwrap();
    let credential = params(vec![StatusPurpose::Message]).unsigned_credential(&list);
    let entry = BitstringStatusListEntry::from_json(&json!({
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": "100",
        "statusSize": 2,
        "statusListCredential": LIST_URL,
        "statusMessage": [
            {"status": "0x0", "message": "pending_review"},
            {"status": "0x1", "message": "accepted"},
            {"status": "0x2", "message": "rejected"},
            {"status": "0x3", "message": "undefined"}
        ],
        "statusReference": "https://example.org/status-dictionary/"
    }))
    .unwrap();
    assert_eq!(
        entry.status_messages[2],
        StatusMessage {
            status: 2,
            message: "rejected".into()
        }
    );
    let status = check_status(&entry, &credential, now()).unwrap();
    assert_eq!(status.value, 2);
    assert_eq!(status.message.as_deref(), Some("rejected"));
    // Section 3.2 step 13: a non-zero status is not valid; for a `message` purpose its meaning
    // is policy, so the report fails closed.
    let mut report = VerificationReport::new();
    record_status(&mut report, &Ok::<_, StatusListError>(status));
    assert_eq!(report.failure_codes(), vec![FailureCode::StatusUnavailable]);
    let round_trip = BitstringStatusListEntry::from_json(&entry.to_json()).unwrap();
    assert_eq!(round_trip, entry);
}

#[test]
fn ttl_defaults_to_300000_ms() {
    // Section 2.2 `ttl`: 300000 when absent.
    let parsed =
        BitstringStatusListCredential::from_json(&section_2_2_example_credential()).unwrap();
    assert_eq!(parsed.ttl_ms(), 300_000);
    let list = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let credential = params(vec![StatusPurpose::Revocation]).unsigned_credential(&list);
    assert_eq!(
        BitstringStatusListCredential::from_json(&credential)
            .unwrap()
            .ttl_ms(),
        60_000
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn encode_decode_round_trip(
        status_size in 1u8..=8,
        updates in proptest::collection::vec((0usize..MIN_ENTRIES, any::<u8>()), 0..64),
    ) {
        let mut list = BitstringStatusList::new(MIN_ENTRIES, status_size).unwrap();
        let mut model = HashMap::new();
        for (index, value) in updates {
            let value = if status_size == 8 { value } else { value % (1 << status_size) };
            list.set(index, value).unwrap();
            model.insert(index, value);
        }
        let decoded = BitstringStatusList::decode(&list.encode(), status_size).unwrap();
        prop_assert_eq!(&decoded, &list);
        for (index, value) in &model {
            prop_assert_eq!(decoded.get(*index).unwrap(), *value);
        }
        let set_bits: u32 = decoded.as_bytes().iter().map(|b| b.count_ones()).sum();
        let model_bits: u32 = model.values().map(|v| v.count_ones()).sum();
        prop_assert_eq!(set_bits, model_bits);
    }

    #[test]
    fn set_then_get_agrees_and_leaves_neighbours_alone(
        status_size in 1u8..=8,
        index in 1usize..(MIN_ENTRIES - 1),
        value in any::<u8>(),
        neighbour in any::<u8>(),
    ) {
        let mask = if status_size == 8 { 0xff } else { (1u8 << status_size) - 1 };
        let (value, neighbour) = (value & mask, neighbour & mask);
        let mut list = BitstringStatusList::new(MIN_ENTRIES, status_size).unwrap();
        list.set(index - 1, neighbour).unwrap();
        list.set(index + 1, neighbour).unwrap();
        list.set(index, value).unwrap();
        prop_assert_eq!(list.get(index).unwrap(), value);
        prop_assert_eq!(list.get(index - 1).unwrap(), neighbour);
        prop_assert_eq!(list.get(index + 1).unwrap(), neighbour);
        // The entry starts at bit index * statusSize, most significant bit first.
        let first_bit = index * usize::from(status_size);
        let msb = list.as_bytes()[first_bit / 8] & (0x80 >> (first_bit % 8)) != 0;
        prop_assert_eq!(msb, value >> (status_size - 1) & 1 == 1);
    }

    #[test]
    fn arbitrary_input_is_a_typed_error_never_a_panic(
        text in ".{0,200}",
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        status_size in 0u8..=10,
    ) {
        let _ = BitstringStatusList::decode(&text, status_size);
        let encoded = format!("u{}", credentials::base64url::encode(&bytes));
        let _ = BitstringStatusList::decode(&encoded, status_size);
        let entry = json!({
            "type": "BitstringStatusListEntry", "statusPurpose": text, "statusListIndex": text,
            "statusListCredential": text, "statusSize": status_size,
        });
        let _ = BitstringStatusListEntry::from_json(&entry);
        let _ = BitstringStatusListCredential::from_json(&with_encoded_list(&encoded));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Harness: untrusted `credentialStatus` entries and fetched list credentials never panic
    /// the parsers or the Validate Algorithm, whatever their bitstring holds.
    #[test]
    fn entry_and_list_parsers_are_total(
        index in prop_oneof!["[0-9]{1,3}", "[0-9]{1,22}"],
        size in proptest::option::weighted(0.2, 0u64..300),
        purpose in prop_oneof![Just("revocation".to_owned()), "[a-z]{0,12}"],
        raw in proptest::collection::vec(any::<u8>(), 0..64),
        encoded in "u?[A-Za-z0-9_-]{0,64}",
    ) {
        let mut entry = section_2_1_example_entries()[0].clone();
        entry["statusListIndex"] = json!(index);
        entry["statusPurpose"] = json!(purpose);
        if let Some(size) = size {
            entry["statusSize"] = json!(size);
        }
        let _ = BitstringStatusListEntry::from_json(&entry);
        let _ = BitstringStatusListEntry::all_in(&json!({"credentialStatus": entry.clone()}));
        use std::io::Write as _;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&raw).unwrap();
        let gzipped = format!("u{}", credentials::base64url::encode(gzip.finish().unwrap()));
        for list in [gzipped, encoded] {
            let mut credential = section_2_2_example_credential();
            credential["credentialSubject"]["encodedList"] = json!(list);
            if let (Ok(list), Ok(entry)) = (
                BitstringStatusListCredential::from_json(&credential),
                BitstringStatusListEntry::from_json(&entry),
            ) {
                let options = BitstringValidation { minimum_entries: 1, ..Default::default() };
                let _ = list.check_with(&entry, now(), &options);
            }
        }
    }
}
