//! The 13 SD-JWT / SD-JWT+KB examples of RFC 9901 and the SD-JWT VC draft
//! (`specs/vectors/sd-jwt/spec-vectors.json`, ES256, issuer key of RFC 9901 appendix A.5),
//! each processed to exactly its expected payload.

use credentials::PublicKey;
use credentials::report::FailureCode;
use credentials::sd_jwt::{
    IssuerKey, KeyBindingPolicy, Profile, SdJwt, SdJwtVerification, VerifyOptions, verify,
};
use serde_json::Value;

use super::common::at;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/vectors/sd-jwt/spec-vectors.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["vectors"].as_array().unwrap().clone()
}

fn vector(id: &str) -> Value {
    vectors().into_iter().find(|v| v["id"] == id).unwrap()
}

/// Fixed KB-JWT `iat` of the RFC 9901 examples; inside every vector's `iat`..`exp`.
const RFC_KB_IAT: i64 = 1_748_536_865;

fn options_for(v: &Value) -> VerifyOptions {
    let now = v["key_binding"]["iat"].as_i64().unwrap_or(RFC_KB_IAT);
    let key_binding = match v.get("key_binding") {
        Some(kb) if kb.is_object() => KeyBindingPolicy::Required {
            audience: kb["aud"].as_str().unwrap().into(),
            nonce: kb["nonce"].as_str().unwrap().into(),
        },
        _ => KeyBindingPolicy::NotRequired,
    };
    let mut options = VerifyOptions::sd_jwt_vc(at(now), key_binding);
    if v["typ"] != "dc+sd-jwt" {
        options.profile = Profile::Plain {
            typ: Some(v["typ"].as_str().unwrap().into()),
        };
    }
    options
}

fn run(v: &Value, options: &VerifyOptions) -> SdJwtVerification {
    let key = PublicKey::from_jwk(&v["issuer_jwk"]).unwrap();
    verify(
        v["sd_jwt"].as_str().unwrap(),
        IssuerKey::Pinned(&key),
        options,
    )
    .unwrap()
}

/// Verifies the example and, for presentations, compares with the expected payload.
fn check(id: &str) {
    let v = vector(id);
    let result = run(&v, &options_for(&v));
    assert!(result.is_verified(), "{id}: {:?}", result.report());
    let claims = Value::Object(result.claims().unwrap().clone());
    match v["kind"].as_str().unwrap() {
        "presentation" => assert_eq!(claims, v["expected_processed_payload"], "{id}"),
        "issuance" => {
            // Everything is disclosed: each disclosure is reachable, and the claim count is
            // the plain claims plus one per disclosure that is an object property.
            let sd_jwt = SdJwt::parse(v["sd_jwt"].as_str().unwrap()).unwrap();
            let paths = sd_jwt.disclosable_paths().unwrap();
            assert_eq!(paths.len(), sd_jwt.disclosures().len(), "{id}");
            assert!(claims.get("_sd").is_none() && claims.get("_sd_alg").is_none());
        }
        other => panic!("unknown kind {other}"),
    }
    if v["key_binding"].is_object() {
        assert!(result.is_key_bound(), "{id}");
        assert!(result.holder_key().is_some());
    }
}

#[test]
fn rfc9901_section_5_1_issuance() {
    check("rfc9901-sec5-issuance");
}

#[test]
fn rfc9901_section_5_2_presentation_with_key_binding() {
    check("rfc9901-sec5-presentation-kb");
}

#[test]
fn rfc9901_appendix_a1_structured_with_decoys() {
    check("rfc9901-A1-structured-decoys");
}

#[test]
fn rfc9901_appendix_a2_complex_structured() {
    check("rfc9901-A2-complex-structured");
}

#[test]
fn rfc9901_appendix_a3_sd_jwt_vc_pid_issuance() {
    check("rfc9901-A3-sd-jwt-vc-pid-issuance");
}

#[test]
fn rfc9901_appendix_a3_sd_jwt_vc_pid_presentation_with_key_binding() {
    check("rfc9901-A3-sd-jwt-vc-pid-presentation-kb");
}

#[test]
fn rfc9901_appendix_a4_w3c_vcdm_issuance() {
    check("rfc9901-A4-w3c-vcdm-issuance");
}

#[test]
fn rfc9901_appendix_a4_w3c_vcdm_presentation_with_key_binding() {
    check("rfc9901-A4-w3c-vcdm-presentation-kb");
}

#[test]
fn sd_jwt_vc_figure_7_issuance() {
    check("sd-jwt-vc-fig7-issuance");
}

#[test]
fn sd_jwt_vc_figures_8_9_presentation_with_key_binding() {
    check("sd-jwt-vc-fig8-presentation-kb");
}

#[test]
fn sd_jwt_vc_figures_10_11_presentation_without_key_binding() {
    check("sd-jwt-vc-fig10-presentation-no-kb");
}

#[test]
fn sd_jwt_vc_figure_24_pid_issuance() {
    check("sd-jwt-vc-fig24-pid-issuance");
}

#[test]
fn sd_jwt_vc_figures_26_28_pid_presentation_with_key_binding() {
    check("sd-jwt-vc-fig26-pid-presentation-kb");
}

#[test]
fn every_vector_in_the_file_has_a_test() {
    let ids: Vec<String> = vectors()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 13);
}

#[test]
fn rfc9901_section_5_2_kb_jwt_payload_matches_the_example() {
    let v = vector("rfc9901-sec5-presentation-kb");
    let sd_jwt = SdJwt::parse(v["sd_jwt"].as_str().unwrap()).unwrap();
    let kb = sd_jwt.key_binding_jwt().unwrap();
    let jws = credentials::jose::CompactJws::parse(kb).unwrap();
    assert_eq!(Value::Object(jws.payload().clone()), v["kb_jwt_payload"]);
    assert_eq!(jws.typ(), Some("kb+jwt"));
}

#[test]
fn rfc9901_section_5_2_with_another_nonce_audience_or_later_time_is_refused() {
    let v = vector("rfc9901-sec5-presentation-kb");
    let mut options = options_for(&v);
    options.key_binding = KeyBindingPolicy::Required {
        audience: "https://verifier.example.org".into(),
        nonce: "another".into(),
    };
    let r = run(&v, &options);
    assert_eq!(r.report().failure_codes(), vec![FailureCode::NonceMismatch]);
    assert!(r.claims().is_none());

    let mut options = options_for(&v);
    options.key_binding = KeyBindingPolicy::Required {
        audience: "https://other.example".into(),
        nonce: "1234567890".into(),
    };
    assert_eq!(
        run(&v, &options).report().failure_codes(),
        vec![FailureCode::AudienceMismatch]
    );

    let mut options = options_for(&v);
    options.now = at(RFC_KB_IAT + 301);
    assert_eq!(
        run(&v, &options).report().failure_codes(),
        vec![FailureCode::KeyBindingStale]
    );
    // Past the issuer JWT's exp (1883000000).
    options.now = at(1_883_000_000);
    assert!(run(&v, &options).report().has_failure(FailureCode::Expired));
}

#[test]
fn rfc9901_examples_are_not_sd_jwt_vcs() {
    // `typ` is `example+sd-jwt`: the SD-JWT VC profile must refuse it.
    let v = vector("rfc9901-A1-structured-decoys");
    let mut options = options_for(&v);
    options.profile = Profile::SdJwtVc;
    let r = run(&v, &options);
    assert!(r.report().has_failure(FailureCode::TypMismatch));
    assert!(r.report().has_failure(FailureCode::TypeInvalid), "no vct");
}

#[test]
fn sd_jwt_vc_figure_8_with_es256_disallowed_is_refused() {
    let v = vector("sd-jwt-vc-fig8-presentation-kb");
    let mut options = options_for(&v);
    options.algorithms = vec![credentials::jose::Algorithm::EdDSA];
    let r = run(&v, &options);
    assert!(r.report().has_failure(FailureCode::AlgorithmNotAllowed));
    assert!(!r.is_verified());
}

/// The issuance example of each presentation example.
const PAIRS: [(&str, &str); 5] = [
    ("rfc9901-sec5-issuance", "rfc9901-sec5-presentation-kb"),
    (
        "rfc9901-A3-sd-jwt-vc-pid-issuance",
        "rfc9901-A3-sd-jwt-vc-pid-presentation-kb",
    ),
    (
        "rfc9901-A4-w3c-vcdm-issuance",
        "rfc9901-A4-w3c-vcdm-presentation-kb",
    ),
    ("sd-jwt-vc-fig7-issuance", "sd-jwt-vc-fig8-presentation-kb"),
    (
        "sd-jwt-vc-fig24-pid-issuance",
        "sd-jwt-vc-fig26-pid-presentation-kb",
    ),
];

#[test]
fn holder_reproduces_the_spec_presentations_from_the_issuances() {
    for (issuance_id, presentation_id) in PAIRS {
        let issuance = SdJwt::parse(vector(issuance_id)["sd_jwt"].as_str().unwrap()).unwrap();
        let presented = SdJwt::parse(vector(presentation_id)["sd_jwt"].as_str().unwrap()).unwrap();
        assert_eq!(
            issuance.issuer_jwt(),
            presented.issuer_jwt(),
            "{presentation_id}"
        );
        // The issuance paths of the presented disclosures.
        let paths = issuance.disclosable_paths().unwrap();
        let presented_set: std::collections::BTreeSet<&str> =
            presented.disclosures().iter().map(|d| d.as_str()).collect();
        let selection: Vec<_> = issuance
            .disclosures()
            .iter()
            .zip(&paths)
            .filter(|(d, _)| presented_set.contains(d.as_str()))
            .map(|(_, p)| p.clone())
            .collect();
        assert_eq!(selection.len(), presented_set.len(), "{presentation_id}");
        // Ask only for the innermost presented claims: present() adds the parents needed to
        // reach them (and a requested claim's whole subtree, so no parent is requested).
        let innermost: Vec<_> = selection
            .iter()
            .filter(|p| !selection.iter().any(|q| q != *p && p.covers(q)))
            .cloned()
            .collect();
        let ours = issuance.present(&innermost).unwrap();
        let ours = SdJwt::parse(&ours).unwrap();
        let ours_set: std::collections::BTreeSet<&str> =
            ours.disclosures().iter().map(|d| d.as_str()).collect();
        assert_eq!(ours_set, presented_set, "{presentation_id}");
    }
}
