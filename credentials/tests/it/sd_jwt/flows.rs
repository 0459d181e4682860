//! Issuer -> holder -> verifier flows of SD-JWT VCs: registered claims, status reference,
//! holder key, decoys, nested and array disclosures, the wallet's path API, age attributes.

use chrono::NaiveDate;
use credentials::age::{DEFAULT_AGE_THRESHOLDS, insert_age_over_claims};
use credentials::keys::{P256SigningKey, Signer};
use credentials::sd_jwt::{
    ClaimPath, Decoys, IssuerKey, SdJwt, SdJwtError, StatusListReference, issue_sd_jwt_vc, verify,
};
use serde_json::{Value, json};

use super::common::*;

#[test]
fn sd_jwt_vc_carries_registered_claims_status_and_holder_key() {
    let mut options = vc_options(&holder_key());
    options.kid = Some("#key-1".into());
    options.nbf = Some(at(ISSUED));
    options.status = Some(StatusListReference {
        idx: 4711,
        uri: "https://issuer.example/statuslists/1".into(),
    });
    let issued = issue_sd_jwt_vc(
        person(),
        &person_disclosable(),
        &options,
        &issuer_key(),
        &mut rng(),
    )
    .unwrap();
    let sd_jwt = SdJwt::parse(issued.as_str()).unwrap();
    assert_eq!(sd_jwt.header()["typ"], "dc+sd-jwt");
    assert_eq!(sd_jwt.header()["alg"], "EdDSA");
    assert_eq!(sd_jwt.header()["kid"], "#key-1");
    let payload = sd_jwt.unverified_payload();
    for name in [
        "iss", "iat", "nbf", "exp", "vct", "cnf", "status", "_sd", "_sd_alg",
    ] {
        assert!(payload.contains_key(name), "{name}");
    }
    for hidden in ["given_name", "family_name", "address"] {
        assert!(!payload.contains_key(hidden), "{hidden}");
    }

    let presentation = sd_jwt
        .present_with_key_binding(&[], &holder_key(), VERIFIER, NONCE, at(ISSUED + 30))
        .unwrap();
    let result = verify(
        &presentation,
        IssuerKey::Pinned(&issuer_key().public_key()),
        &vc_verify_options(),
    )
    .unwrap();
    assert!(result.is_verified(), "{:?}", result.report());
    assert_eq!(result.status_list(), options.status.as_ref());
    assert_eq!(result.holder_key(), Some(&holder_key().public_key()));
    let claims = result.claims().unwrap();
    assert_eq!(
        claims["vct"],
        "https://credentials.example/identity_credential"
    );
    assert_eq!(claims["nationalities"], json!([]));
    assert!(claims.get("given_name").is_none());
}

#[test]
fn wallet_lists_disclosable_paths() {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let mut paths = sd_jwt.disclosable_paths().unwrap();
    paths.sort();
    let mut expected = vec![
        path(&["given_name"]),
        path(&["family_name"]),
        path(&["address"]),
        path(&["address", "locality"]),
        path(&["nationalities"]).index(0),
        path(&["nationalities"]).index(1),
    ];
    expected.sort();
    assert_eq!(paths, expected);
}

#[test]
fn presenting_a_nested_claim_adds_its_parent_and_nothing_else() {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let presentation = sd_jwt.present(&[path(&["address", "locality"])]).unwrap();
    let presented = SdJwt::parse(&presentation).unwrap();
    let names: Vec<_> = presented
        .disclosures()
        .iter()
        .map(|d| d.claim_name())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&Some("address")) && names.contains(&Some("locality")));
    let result = verify(
        &presentation,
        IssuerKey::Pinned(&issuer_key().public_key()),
        &credentials::sd_jwt::VerifyOptions::sd_jwt_vc(
            at(ISSUED + 60),
            credentials::sd_jwt::KeyBindingPolicy::NotRequired,
        ),
    )
    .unwrap();
    let claims = result.claims().unwrap();
    // The plain members of the disclosed parent come along; the other hidden ones do not.
    assert_eq!(
        claims["address"],
        json!({"street_address": "Heidestr. 17", "country": "DE", "locality": "Köln"})
    );
}

#[test]
fn presenting_a_parent_discloses_its_subtree_and_elements_by_index_or_all() {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let options = credentials::sd_jwt::VerifyOptions::sd_jwt_vc(
        at(ISSUED + 60),
        credentials::sd_jwt::KeyBindingPolicy::NotRequired,
    );
    let key = issuer_key().public_key();
    let claims_of = |selection: &[ClaimPath]| -> Value {
        let presentation = sd_jwt.present(selection).unwrap();
        let result = verify(&presentation, IssuerKey::Pinned(&key), &options).unwrap();
        Value::Object(result.into_claims().unwrap())
    };
    let c = claims_of(&[path(&["address"])]);
    assert_eq!(c["address"]["locality"], "Köln");
    let c = claims_of(&[path(&["nationalities"]).index(1)]);
    assert_eq!(c["nationalities"], json!(["FR"]));
    let c = claims_of(&[path(&["nationalities"]).all_elements()]);
    assert_eq!(c["nationalities"], json!(["DE", "FR"]));
    assert_eq!(
        sd_jwt.present(&[path(&["birthdate"])]).unwrap_err(),
        SdJwtError::PathNotFound(path(&["birthdate"]))
    );
}

#[test]
fn decoys_pad_every_container_with_disclosable_claims() {
    let mut options = vc_options(&holder_key());
    options.decoys = Decoys::Exactly(3);
    let issued = issue_sd_jwt_vc(
        person(),
        &person_disclosable(),
        &options,
        &issuer_key(),
        &mut rng(),
    )
    .unwrap();
    let sd_jwt = SdJwt::parse(issued.as_str()).unwrap();
    let payload = sd_jwt.unverified_payload();
    // given_name, family_name, address + 3 decoys.
    assert_eq!(payload["_sd"].as_array().unwrap().len(), 6);
    // 2 elements + 3 decoys.
    assert_eq!(payload["nationalities"].as_array().unwrap().len(), 5);
    // `_sd` is sorted, hiding the claim order (RFC 9901 section 4.2.4.1).
    let sd: Vec<&str> = payload["_sd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let mut sorted = sd.clone();
    sorted.sort_unstable();
    assert_eq!(sd, sorted);
    // Decoys do not count as elements: indices stay those of the issued claims.
    let presentation = sd_jwt
        .present(&[path(&["nationalities"]).index(1)])
        .unwrap();
    let result = verify(
        &presentation,
        IssuerKey::Pinned(&issuer_key().public_key()),
        &credentials::sd_jwt::VerifyOptions::sd_jwt_vc(
            at(ISSUED + 60),
            credentials::sd_jwt::KeyBindingPolicy::NotRequired,
        ),
    )
    .unwrap();
    assert_eq!(result.claims().unwrap()["nationalities"], json!(["FR"]));
}

#[test]
fn es256_issuer_and_es256_holder_verify() {
    let issuer = P256SigningKey::from_bytes(&[5; 32]).unwrap();
    let holder = es256_holder_key();
    let issued = issue_sd_jwt_vc(
        person(),
        &person_disclosable(),
        &vc_options(&holder),
        &issuer,
        &mut rng(),
    )
    .unwrap();
    let presentation = SdJwt::parse(issued.as_str())
        .unwrap()
        .present_with_key_binding(
            &[path(&["family_name"])],
            &holder,
            VERIFIER,
            NONCE,
            at(ISSUED + 30),
        )
        .unwrap();
    let result = verify(
        &presentation,
        IssuerKey::Pinned(&issuer.public_key()),
        &vc_verify_options(),
    )
    .unwrap();
    assert!(result.is_verified(), "{:?}", result.report());
    assert_eq!(result.claims().unwrap()["family_name"], "Mustermann");
}

#[test]
fn age_over_claims_are_each_disclosed_alone() {
    let birth = NaiveDate::from_ymd_opt(2004, 2, 29).unwrap();
    // Issued on 28 February 2022: not yet 18 (the birthday is 1 March in 2022).
    let issued_on = NaiveDate::from_ymd_opt(2022, 2, 28).unwrap();
    let mut claims = person();
    claims.insert("birthdate".into(), json!("2004-02-29"));
    let mut disclosable = person_disclosable();
    disclosable.push(path(&["birthdate"]));
    disclosable.extend(
        insert_age_over_claims(&mut claims, birth, issued_on, &DEFAULT_AGE_THRESHOLDS).unwrap(),
    );
    let issued = issue_sd_jwt_vc(
        claims,
        &disclosable,
        &vc_options(&holder_key()),
        &issuer_key(),
        &mut rng(),
    )
    .unwrap();
    let presentation = SdJwt::parse(issued.as_str())
        .unwrap()
        .present_with_key_binding(
            &[path(&["age_over_18"])],
            &holder_key(),
            VERIFIER,
            NONCE,
            at(ISSUED + 30),
        )
        .unwrap();
    let result = verify(
        &presentation,
        IssuerKey::Pinned(&issuer_key().public_key()),
        &vc_verify_options(),
    )
    .unwrap();
    let claims = result.claims().unwrap();
    assert_eq!(claims["age_over_18"], json!(false));
    for hidden in ["age_over_21", "age_over_65", "birthdate", "given_name"] {
        assert!(claims.get(hidden).is_none(), "{hidden}");
    }
    // One day later the issuer computes true.
    let next_day = NaiveDate::from_ymd_opt(2022, 3, 1).unwrap();
    let mut later = serde_json::Map::new();
    insert_age_over_claims(&mut later, birth, next_day, &[18]).unwrap();
    assert_eq!(later["age_over_18"], json!(true));
}
