//! Properties: any single-byte change to a signed document's string values (including the
//! proof and its `proofValue`) is rejected, for both suites; and sign/verify round-trips for
//! arbitrary claim text.

use credentials::data_integrity::{self, Cryptosuite};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::common::*;

/// Paths to every string in `value` (object keys and array indices).
fn string_paths(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::String(_) => out.push(path.clone()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(json!(i));
                string_paths(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, member) in map {
                path.push(json!(key));
                string_paths(member, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Value::String(key) => &mut v[key.as_str()],
        Value::Number(i) => &mut v[usize::try_from(i.as_u64().unwrap()).unwrap()],
        _ => unreachable!(),
    })
}

fn rejected(document: &Value) -> bool {
    match data_integrity::verify_credential(document, &did_key_resolver(), &options()) {
        Ok(report) => !report.is_verified(),
        Err(_) => true,
    }
}

fn mutation_is_rejected(
    suite: Cryptosuite,
    leaf: usize,
    position: usize,
    replacement: u8,
) -> Result<(), TestCaseError> {
    let original = signed(suite);
    let mut paths = Vec::new();
    string_paths(&original, &mut Vec::new(), &mut paths);
    let path = &paths[leaf % paths.len()];
    let mut mutated = original.clone();
    let target = at_path(&mut mutated, path);
    let mut bytes = target.as_str().unwrap().as_bytes().to_vec();
    let index = position % bytes.len();
    prop_assume!(bytes[index] != replacement);
    bytes[index] = replacement;
    // The vectors are ASCII, so any printable ASCII replacement keeps valid UTF-8.
    *target = Value::String(String::from_utf8(bytes).unwrap());
    prop_assert!(rejected(&mutated), "accepted mutation at {path:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_single_byte_change_is_rejected_rdfc(
        leaf in any::<usize>(), position in any::<usize>(), replacement in 0x20u8..0x7f,
    ) {
        mutation_is_rejected(Cryptosuite::EddsaRdfc2022, leaf, position, replacement)?;
    }

    #[test]
    fn any_single_byte_change_is_rejected_jcs(
        leaf in any::<usize>(), position in any::<usize>(), replacement in 0x20u8..0x7f,
    ) {
        mutation_is_rejected(Cryptosuite::EddsaJcs2022, leaf, position, replacement)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Arbitrary claim text (control characters, quotes, backslashes, non-BMP) signs and
    /// verifies under both suites: canonical escaping is consistent.
    #[test]
    fn arbitrary_claim_text_round_trips(claim in "\\PC{0,24}|[\\x00-\\x1f\\x7f\"\\\\]{1,8}") {
        let mut unsigned = json("unsigned.json");
        unsigned["credentialSubject"]["alumniOf"] = json!(claim);
        for suite in SUITES {
            let doc = data_integrity::sign(&unsigned, suite, &vector_proof_options(), &vector_key())
                .unwrap();
            let report =
                data_integrity::verify_credential(&doc, &did_key_resolver(), &options()).unwrap();
            prop_assert!(report.is_verified(), "{:?}", report);
        }
    }
}

/// Arbitrary JSON (a few levels deep, with the keys verification looks at).
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("https://www.w3.org/ns/credentials/v2".to_owned()),
            Just("DataIntegrityProof".to_owned()),
            Just("eddsa-rdfc-2022".to_owned()),
            Just("eddsa-jcs-2022".to_owned()),
            Just(VECTOR_VM.to_owned()),
            Just("zzz".to_owned()),
            "\\PC{0,12}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("@context".to_owned()),
                        Just("type".to_owned()),
                        Just("proof".to_owned()),
                        Just("proofValue".to_owned()),
                        Just("cryptosuite".to_owned()),
                        Just("verificationMethod".to_owned()),
                        Just("credentialSubject".to_owned()),
                        Just("verifiableCredential".to_owned()),
                        Just("@id".to_owned()),
                        Just("issuer".to_owned()),
                        "[a-z@]{1,6}",
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Untrusted input never panics and never verifies without a valid signature.
    #[test]
    fn arbitrary_documents_are_handled_without_panic(doc in arbitrary_json()) {
        if let Ok(report) =
            data_integrity::verify_credential(&doc, &did_key_resolver(), &options())
        {
            prop_assert!(!report.is_verified());
        }
        if let Ok(result) = data_integrity::verify_presentation(
            &doc, &did_key_resolver(), "c", "d", &options(),
        ) {
            prop_assert!(!result.is_verified());
        }
    }

    /// The signed vector with one member replaced by arbitrary JSON is never accepted.
    #[test]
    fn replaced_member_is_rejected(
        suite_index in 0usize..2, leaf in any::<usize>(), replacement in arbitrary_json(),
    ) {
        let original = signed(SUITES[suite_index]);
        let mut paths = Vec::new();
        string_paths(&original, &mut Vec::new(), &mut paths);
        let path = &paths[leaf % paths.len()];
        let mut mutated = original.clone();
        let target = at_path(&mut mutated, path);
        prop_assume!(*target != replacement);
        *target = replacement;
        prop_assert!(rejected(&mutated), "accepted replacement at {path:?}");
    }
}

/// Exhaustive companion of the property above: every byte of every string of both signed
/// documents, replaced by each of a few characters that matter to IRIs and JSON-LD
/// (`%` found a panic in IRI hashing; space makes IRIs invalid; a letter changes values).
#[test]
fn every_single_byte_change_is_rejected() {
    for suite in SUITES {
        let original = signed(suite);
        let mut paths = Vec::new();
        string_paths(&original, &mut Vec::new(), &mut paths);
        for path in &paths {
            let length = at_path(&mut original.clone(), path).as_str().unwrap().len();
            for position in 0..length {
                for replacement in [b'%', b' ', b'Z'] {
                    let mut mutated = original.clone();
                    let target = at_path(&mut mutated, path);
                    let mut bytes = target.as_str().unwrap().as_bytes().to_vec();
                    if bytes[position] == replacement {
                        continue;
                    }
                    bytes[position] = replacement;
                    *target = Value::String(String::from_utf8(bytes).unwrap());
                    assert!(
                        rejected(&mutated),
                        "{suite:?}: accepted {path:?} byte {position} -> {replacement}"
                    );
                }
            }
        }
    }
}
