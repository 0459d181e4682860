//! Property tests: any claims and any subset disclosed reveal exactly that subset; any
//! single-byte change to the issuer signature, a disclosure or the KB-JWT is rejected.

use credentials::keys::Signer as _;
use credentials::sd_jwt::{ClaimPath, Decoys, IssuerKey, SdJwt, issue_sd_jwt_vc, verify};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::common::*;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Zäöü0-9 ~._-]{0,12}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>().prop_map(Value::from), 0..3).prop_map(Value::Array),
    ]
}

/// (value, selectively disclosable, disclosed by the holder)
fn entries(max: usize) -> impl Strategy<Value = Vec<(Value, bool, bool)>> {
    proptest::collection::vec((leaf(), any::<bool>(), any::<bool>()), 0..max)
}

struct Case {
    claims: Map<String, Value>,
    disclosable: Vec<ClaimPath>,
    selection: Vec<ClaimPath>,
    expected: Map<String, Value>,
}

fn build(
    top: Vec<(Value, bool, bool)>,
    nested: Vec<(Value, bool, bool)>,
    nested_flags: (bool, bool),
    items: Vec<(Value, bool, bool)>,
) -> Case {
    let mut claims = Map::new();
    let mut expected = Map::new();
    let mut disclosable = Vec::new();
    let mut selection = Vec::new();
    for (i, (value, sd, disclose)) in top.into_iter().enumerate() {
        let name = format!("claim_{i}");
        let p = ClaimPath::keys([name.as_str()]);
        if sd {
            disclosable.push(p.clone());
            if disclose {
                selection.push(p);
            }
        }
        if !sd || disclose {
            expected.insert(name.clone(), value.clone());
        }
        claims.insert(name, value);
    }

    // An object, itself possibly disclosable, with possibly disclosable members.
    let (nested_sd, nested_disclose) = nested_flags;
    let mut object = Map::new();
    let mut shown = Map::new();
    let mut child_selected = false;
    for (i, (value, sd, disclose)) in nested.into_iter().enumerate() {
        let name = format!("n{i}");
        let p = ClaimPath::keys(["nested", name.as_str()]);
        if sd {
            disclosable.push(p.clone());
            if disclose {
                selection.push(p);
                child_selected = true;
            }
        }
        // Selecting the parent discloses its subtree.
        if !sd || disclose || (nested_sd && nested_disclose) {
            shown.insert(name.clone(), value.clone());
        }
        object.insert(name, value);
    }
    if nested_sd {
        disclosable.push(ClaimPath::keys(["nested"]));
        if nested_disclose {
            selection.push(ClaimPath::keys(["nested"]));
        }
    }
    if !nested_sd || nested_disclose || child_selected {
        expected.insert("nested".into(), Value::Object(shown));
    }
    claims.insert("nested".into(), Value::Object(object));

    let mut array = Vec::new();
    let mut shown = Vec::new();
    for (i, (value, sd, disclose)) in items.into_iter().enumerate() {
        let p = ClaimPath::keys(["items"]).index(i);
        if sd {
            disclosable.push(p.clone());
            if disclose {
                selection.push(p);
            }
        }
        if !sd || disclose {
            shown.push(value.clone());
        }
        array.push(value);
    }
    claims.insert("items".into(), Value::Array(array));
    expected.insert("items".into(), Value::Array(shown));
    Case {
        claims,
        disclosable,
        selection,
        expected,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_subset_disclosed_reveals_exactly_that_subset(
        top in entries(6),
        nested in entries(4),
        nested_flags in (any::<bool>(), any::<bool>()),
        items in entries(4),
        decoys in 0usize..3,
        seed in any::<u64>(),
    ) {
        let case = build(top, nested, nested_flags, items);
        let mut options = vc_options(&holder_key());
        options.decoys = Decoys::UpTo(decoys);
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let issued = issue_sd_jwt_vc(case.claims, &case.disclosable, &options, &issuer_key(), &mut rng).unwrap();
        let sd_jwt = SdJwt::parse(issued.as_str()).unwrap();
        prop_assert_eq!(sd_jwt.disclosable_paths().unwrap().len(), case.disclosable.len());
        let presentation = sd_jwt
            .present_with_key_binding(&case.selection, &holder_key(), VERIFIER, NONCE, at(ISSUED + 30))
            .unwrap();
        let result = verify(&presentation, IssuerKey::Pinned(&issuer_key().public_key()), &vc_verify_options()).unwrap();
        prop_assert!(result.is_verified(), "{:?}", result.report());
        let mut claims = result.into_claims().unwrap();
        for registered in ["iss", "iat", "exp", "vct", "cnf"] {
            prop_assert!(claims.remove(registered).is_some());
        }
        prop_assert_eq!(Value::Object(claims), Value::Object(case.expected));
    }
}

/// A fixed key-bound presentation and the byte ranges of its parts.
fn presentation() -> (String, Vec<(usize, usize)>) {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let p = sd_jwt
        .present_with_key_binding(
            &[
                path(&["given_name"]),
                path(&["address", "locality"]),
                path(&["nationalities"]).index(0),
            ],
            &holder_key(),
            VERIFIER,
            NONCE,
            at(ISSUED + 30),
        )
        .unwrap();
    let parts: Vec<&str> = p.split('~').collect();
    let jwt = parts[0];
    let sig_start = jwt.rfind('.').unwrap() + 1;
    let mut ranges = vec![(sig_start, jwt.len())];
    let mut offset = jwt.len() + 1;
    for part in &parts[1..] {
        ranges.push((offset, offset + part.len()));
        offset += part.len() + 1;
    }
    (p, ranges)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_single_byte_change_to_signature_disclosure_or_kb_jwt_is_rejected(
        part in any::<prop::sample::Index>(),
        at_byte in any::<prop::sample::Index>(),
        replacement in 0x21u8..0x7f,
    ) {
        let (original, ranges) = presentation();
        // ranges: issuer signature, 4 disclosures (address is the parent of locality), KB-JWT.
        prop_assert_eq!(ranges.len(), 6);
        let (start, end) = ranges[part.index(ranges.len())];
        let i = start + at_byte.index(end - start);
        let mut bytes = original.clone().into_bytes();
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let tampered = String::from_utf8(bytes).unwrap();
        let result = verify(&tampered, IssuerKey::Pinned(&issuer_key().public_key()), &vc_verify_options()).unwrap();
        prop_assert!(!result.is_verified(), "accepted a change at byte {}", i);
        prop_assert!(result.claims().is_none());
    }
}

#[test]
fn the_untampered_presentation_verifies() {
    let (p, _) = presentation();
    let result = verify(
        &p,
        IssuerKey::Pinned(&issuer_key().public_key()),
        &vc_verify_options(),
    )
    .unwrap();
    assert!(result.is_verified(), "{:?}", result.report());
    assert_eq!(result.claims().unwrap()["nationalities"], json!(["DE"]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The parser/verifier harness: arbitrary input never panics and never verifies.
    #[test]
    fn verify_survives_arbitrary_input(input in "[A-Za-z0-9_~.{}\":\\[\\]-]{0,300}") {
        let key = issuer_key().public_key();
        let result = verify(&input, IssuerKey::Pinned(&key), &vc_verify_options()).unwrap();
        prop_assert!(!result.is_verified());
        let result =
            credentials::sd_jwt::verify_json(&input, IssuerKey::Pinned(&key), &vc_verify_options())
                .unwrap();
        prop_assert!(!result.is_verified());
        let _ = SdJwt::parse(&input).and_then(|s| s.disclosable_paths());
    }

    /// Splicing a valid presentation (delete a run, insert arbitrary text) is never accepted.
    #[test]
    fn spliced_presentations_are_rejected(
        at_byte in any::<prop::sample::Index>(),
        delete in 0usize..24,
        insert in "[A-Za-z0-9_~.-]{0,24}",
    ) {
        let (original, _) = presentation();
        let start = at_byte.index(original.len());
        let end = (start + delete).min(original.len());
        let spliced = format!("{}{insert}{}", &original[..start], &original[end..]);
        prop_assume!(spliced != original);
        let key = issuer_key().public_key();
        let result = verify(&spliced, IssuerKey::Pinned(&key), &vc_verify_options()).unwrap();
        prop_assert!(!result.is_verified());
    }
}
