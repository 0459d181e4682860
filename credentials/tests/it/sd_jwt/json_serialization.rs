//! The JWS JSON serialization (RFC 9901 section 8): round trips and its own rules.

use credentials::keys::{Ed25519SigningKey, Signer};
use credentials::report::FailureCode;
use credentials::sd_jwt::{
    IssueOptions, IssuerKey, JsonForm, JsonSdJwt, JsonSigner, MAX_JSON_SIGNATURES, SdJwtError,
    VerifyOptions, add_key_binding, issue_json, verify_json,
};
use serde_json::{Value, json};

use super::common::*;

fn issued_json(form: JsonForm) -> JsonSdJwt {
    let mut claims = person();
    claims.insert("iss".into(), json!("https://issuer.example"));
    claims.insert("vct".into(), json!("https://credentials.example/x"));
    claims.insert(
        "cnf".into(),
        json!({"jwk": holder_key().public_key().to_jwk()}),
    );
    let second = Ed25519SigningKey::from_seed(&[8; 32]);
    let signers = [
        JsonSigner {
            signer: &issuer_key(),
            kid: Some("k1"),
        },
        JsonSigner {
            signer: &second,
            kid: Some("k2"),
        },
    ];
    let signers = match form {
        JsonForm::Flattened => &signers[..1],
        JsonForm::General => &signers[..],
    };
    let options = IssueOptions {
        typ: Some("dc+sd-jwt".into()),
        ..IssueOptions::default()
    };
    issue_json(
        claims,
        &person_disclosable(),
        &options,
        signers,
        form,
        &mut rng(),
    )
    .unwrap()
}

fn bound(form: JsonForm) -> JsonSdJwt {
    issued_json(form)
        .present(&[path(&["given_name"])])
        .unwrap()
        .add_key_binding(&holder_key(), VERIFIER, NONCE, at(ISSUED + 30))
        .unwrap()
}

fn codes(json: &str) -> Vec<FailureCode> {
    verify_json(
        json,
        IssuerKey::Pinned(&issuer_key().public_key()),
        &vc_verify_options(),
    )
    .unwrap()
    .report()
    .failure_codes()
}

#[test]
fn flattened_and_general_round_trip_and_verify() {
    for form in [JsonForm::Flattened, JsonForm::General] {
        let presentation = bound(form);
        let wire = presentation.to_json();
        assert_eq!(JsonSdJwt::parse(&wire).unwrap(), presentation);
        let result = verify_json(
            &wire,
            IssuerKey::Pinned(&issuer_key().public_key()),
            &vc_verify_options(),
        )
        .unwrap();
        assert!(result.is_verified(), "{form:?}: {:?}", result.report());
        assert_eq!(result.claims().unwrap()["given_name"], "Erika");
        assert!(result.claims().unwrap().get("family_name").is_none());
        // The compact form of the first signature is the same SD-JWT+KB.
        let compact = presentation.to_compact().unwrap();
        let result = credentials::sd_jwt::verify(
            &compact,
            IssuerKey::Pinned(&issuer_key().public_key()),
            &vc_verify_options(),
        )
        .unwrap();
        assert!(result.is_verified());
    }
}

#[test]
fn rule_json_sd_hash_covers_the_first_signatures_compact_form() {
    // A KB-JWT whose sd_hash covers the second signature's compact form is refused.
    let presentation = issued_json(JsonForm::General).present(&[]).unwrap();
    let mut top: Value = serde_json::from_str(&presentation.to_json()).unwrap();
    let second = &top["signatures"][1];
    let second_compact = format!(
        "{}.{}.{}~",
        second["protected"].as_str().unwrap(),
        top["payload"].as_str().unwrap(),
        second["signature"].as_str().unwrap()
    );
    let with_kb = add_key_binding(
        &second_compact,
        &holder_key(),
        VERIFIER,
        NONCE,
        at(ISSUED + 30),
    )
    .unwrap();
    let kb = &with_kb[second_compact.len()..];
    top["signatures"][0]["header"]["kb_jwt"] = json!(kb);
    assert_eq!(codes(&top.to_string()), vec![FailureCode::SdHashMismatch]);
}

#[test]
fn rule_json_disclosures_only_in_the_first_signatures_header() {
    let mut top: Value = serde_json::from_str(&bound(JsonForm::General).to_json()).unwrap();
    top["signatures"][1]["header"] = json!({"disclosures": []});
    assert_eq!(
        JsonSdJwt::parse(&top.to_string()),
        Err(SdJwtError::Malformed)
    );
    assert_eq!(codes(&top.to_string()), vec![FailureCode::Malformed]);
}

#[test]
fn rule_json_protected_and_unprotected_headers_are_disjoint() {
    let mut top: Value = serde_json::from_str(&bound(JsonForm::Flattened).to_json()).unwrap();
    top["header"]["alg"] = json!("none");
    assert_eq!(codes(&top.to_string()), vec![FailureCode::Malformed]);
}

#[test]
fn rule_json_key_in_unprotected_header_is_never_used() {
    let attacker = Ed25519SigningKey::from_seed(&[66; 32]);
    let mut top: Value = serde_json::from_str(&bound(JsonForm::Flattened).to_json()).unwrap();
    top["header"]["jwk"] = attacker.public_key().to_jwk();
    // Still verified with the pinned key; the header key plays no part.
    assert_eq!(codes(&top.to_string()), vec![]);
    // A signature by the attacker's key fails even with its key in the header.
    let mut claims = obj(json!({"iss": "https://issuer.example", "vct": "x"}));
    claims.insert(
        "cnf".into(),
        json!({"jwk": holder_key().public_key().to_jwk()}),
    );
    let forged = issue_json(
        claims,
        &[],
        &IssueOptions {
            typ: Some("dc+sd-jwt".into()),
            ..IssueOptions::default()
        },
        &[JsonSigner {
            signer: &attacker,
            kid: None,
        }],
        JsonForm::Flattened,
        &mut rng(),
    )
    .unwrap();
    let mut top: Value = serde_json::from_str(&forged.to_json()).unwrap();
    top["header"]["jwk"] = attacker.public_key().to_jwk();
    let result = verify_json(
        &top.to_string(),
        IssuerKey::Pinned(&issuer_key().public_key()),
        &VerifyOptions::sd_jwt_vc(
            at(ISSUED),
            credentials::sd_jwt::KeyBindingPolicy::NotRequired,
        ),
    )
    .unwrap();
    assert_eq!(
        result.report().failure_codes(),
        vec![FailureCode::SignatureInvalid]
    );
}

#[test]
fn rule_json_tampered_disclosure_is_rejected() {
    let mut top: Value = serde_json::from_str(&bound(JsonForm::Flattened).to_json()).unwrap();
    top["header"]["disclosures"]
        .as_array_mut()
        .unwrap()
        .push(json!(disclosure(json!([
            "c2FsdA",
            "family_name",
            "Mallory"
        ]))));
    // Processing stops there: later checks need the processed payload.
    assert_eq!(
        codes(&top.to_string()),
        vec![FailureCode::DisclosureUnreferenced]
    );
}

#[test]
fn malformed_json_serializations_are_rejected() {
    for bad in [
        "",
        "[]",
        r#"{"payload": "e30"}"#,
        r#"{"payload": "e30", "signatures": []}"#,
        r#"{"payload": "e30", "signatures": [{"protected": "e30", "signature": "AA"}], "protected": "e30"}"#,
        r#"{"payload": "e30", "protected": "e30", "signature": "AA", "header": {"disclosures": "x"}}"#,
        r#"{"payload": "e30", "protected": "e30", "signature": "AA", "header": {"kb_jwt": 5}}"#,
    ] {
        assert_eq!(codes(bad), vec![FailureCode::Malformed], "{bad}");
    }
    // Issuance: the flattened form has exactly one signer.
    assert_eq!(
        issue_json(
            person(),
            &[],
            &IssueOptions::default(),
            &[],
            JsonForm::Flattened,
            &mut rng()
        )
        .unwrap_err(),
        SdJwtError::ReservedHeaderParameter
    );
}

#[test]
fn rule_json_signature_count_is_bounded() {
    // Each signature is verified with every rule, disclosures included: an unbounded
    // `signatures` array multiplies the work on the disclosures (hundreds of copied
    // signatures over thousands of disclosures took most of a minute). More than
    // MAX_JSON_SIGNATURES is refused before any of it.
    let mut top: Value = serde_json::from_str(&bound(JsonForm::General).to_json()).unwrap();
    let copy = json!({
        "protected": top["signatures"][1]["protected"],
        "signature": top["signatures"][1]["signature"],
    });
    let signatures = top["signatures"].as_array_mut().unwrap();
    while signatures.len() < MAX_JSON_SIGNATURES {
        signatures.push(copy.clone());
    }
    assert!(JsonSdJwt::parse(&top.to_string()).is_ok());
    assert_eq!(codes(&top.to_string()), vec![]);
    top["signatures"].as_array_mut().unwrap().push(copy);
    assert_eq!(
        JsonSdJwt::parse(&top.to_string()),
        Err(SdJwtError::Malformed)
    );
    assert_eq!(codes(&top.to_string()), vec![FailureCode::Malformed]);
}
