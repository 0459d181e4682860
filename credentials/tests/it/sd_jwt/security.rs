//! One negative test per security rule (shared guide, "JWT / SD-JWT"; RFC 9901 sections 7.1,
//! 7.3 and 9; SD-JWT VC verification rules). Each asserts the exact failure code, so dropping
//! the rule makes it fail.

use chrono::TimeDelta;
use credentials::PublicKey;
use credentials::base64url;
use credentials::keys::{Ed25519SigningKey, Signer};
use credentials::report::{Check, FailureCode};
use credentials::resolver::{KeyResolutionError, KeyResolver, Relationship};
use credentials::sd_jwt::{
    ClaimPath, IssueOptions, IssuerKey, KeyBindingPolicy, SdJwt, SdJwtError, SdJwtVcOptions,
    SdJwtVerification, VerifyOptions, add_key_binding, issue, issue_sd_jwt_vc, verify,
};
use serde_json::{Value, json};

use super::common::*;

fn pinned() -> PublicKey {
    issuer_key().public_key()
}

fn check(presentation: &str, options: &VerifyOptions) -> SdJwtVerification {
    verify(presentation, IssuerKey::Pinned(&pinned()), options).unwrap()
}

fn codes(presentation: &str, options: &VerifyOptions) -> Vec<FailureCode> {
    let result = check(presentation, options);
    if !result.is_verified() {
        assert!(result.claims().is_none());
        assert!(result.holder_key().is_none());
    }
    result.report().failure_codes()
}

fn no_kb() -> VerifyOptions {
    VerifyOptions::sd_jwt_vc(at(ISSUED + 60), KeyBindingPolicy::NotRequired)
}

fn vc_header() -> Value {
    json!({"typ": "dc+sd-jwt"})
}

/// A hand-made SD-JWT VC: `payload` completed with `vct`/`iss`/`iat`, signed by the issuer,
/// followed by `disclosures`.
fn crafted(header: Value, mut payload: Value, disclosures: &[String]) -> String {
    for (k, v) in [
        ("iss", json!("https://issuer.example")),
        ("vct", json!("https://credentials.example/x")),
        ("iat", json!(ISSUED)),
    ] {
        if payload.get(k).is_none() {
            payload[k] = v;
        }
    }
    let jwt = sign_issuer_jwt(header, payload, &issuer_key());
    let mut out = format!("{jwt}~");
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    out
}

fn kb_presentation() -> String {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    sd_jwt
        .present_with_key_binding(
            &[path(&["given_name"]), path(&["address", "locality"])],
            &holder_key(),
            VERIFIER,
            NONCE,
            at(ISSUED + 30),
        )
        .unwrap()
}

#[test]
fn well_formed_presentation_passes_every_check() {
    let result = check(&kb_presentation(), &vc_verify_options());
    assert!(result.is_verified(), "{:?}", result.report());
    let claims = result.claims().unwrap();
    assert_eq!(claims["given_name"], "Erika");
    assert_eq!(
        claims["address"],
        json!({"street_address": "Heidestr. 17", "country": "DE", "locality": "Köln"})
    );
    assert!(claims.get("family_name").is_none());
    assert!(result.is_key_bound());
    for check in [
        Check::Signature,
        Check::Disclosures,
        Check::KeyBinding,
        Check::Nonce,
        Check::Audience,
        Check::SdHash,
    ] {
        assert!(
            result.report().checks().iter().any(|c| c.check == check),
            "{check:?}"
        );
    }
}

// --- alg: allow-listed, never `none`, never HMAC, never a key from the header ---

#[test]
fn rule_alg_none_is_refused() {
    let h = base64url::encode(json!({"alg": "none", "typ": "dc+sd-jwt"}).to_string());
    let p = base64url::encode(json!({"vct": "x", "iss": "https://issuer.example"}).to_string());
    assert_eq!(
        codes(&format!("{h}.{p}.~"), &no_kb()),
        vec![FailureCode::AlgorithmNotAllowed]
    );
}

#[test]
fn rule_alg_hmac_keyed_with_the_public_key_is_refused() {
    // The classic confusion: HS256 with the issuer's public key bytes as the HMAC secret.
    let h = base64url::encode(json!({"alg": "HS256", "typ": "dc+sd-jwt"}).to_string());
    let p = base64url::encode(json!({"vct": "x"}).to_string());
    let sig = base64url::encode(pinned().to_multicodec());
    assert_eq!(
        codes(&format!("{h}.{p}.{sig}~"), &no_kb()),
        vec![FailureCode::AlgorithmNotAllowed]
    );
}

#[test]
fn rule_alg_outside_the_configured_allow_list_is_refused() {
    let mut options = vc_verify_options();
    options.algorithms = vec![credentials::jose::Algorithm::ES256];
    let found = codes(&kb_presentation(), &options);
    assert!(
        found.contains(&FailureCode::AlgorithmNotAllowed),
        "{found:?}"
    );
}

#[test]
fn rule_key_in_jwk_header_is_never_used() {
    // An attacker signs with their own key and puts it in the header `jwk`.
    let attacker = Ed25519SigningKey::from_seed(&[66; 32]);
    let header = json!({"typ": "dc+sd-jwt", "jwk": attacker.public_key().to_jwk(),
        "jku": "https://attacker.example/jwks", "x5u": "https://attacker.example/cert"});
    let payload = json!({"iss": "https://issuer.example", "vct": "x", "iat": ISSUED});
    let jwt = sign_issuer_jwt(header, payload, &attacker);
    assert_eq!(
        codes(&format!("{jwt}~"), &no_kb()),
        vec![FailureCode::SignatureInvalid]
    );
}

// --- typ ---

#[test]
fn rule_typ_must_be_dc_sd_jwt() {
    for header in [
        json!({}),
        json!({"typ": "JWT"}),
        json!({"typ": "vc+sd-jwt"}),
        json!({"typ": "kb+jwt"}),
    ] {
        let sd_jwt = crafted(header.clone(), json!({}), &[]);
        assert_eq!(
            codes(&sd_jwt, &no_kb()),
            vec![FailureCode::TypMismatch],
            "{header}"
        );
    }
    // RFC 7515 section 4.1.9: case-insensitive, `application/` may be present.
    let sd_jwt = crafted(json!({"typ": "application/DC+SD-JWT"}), json!({}), &[]);
    assert_eq!(codes(&sd_jwt, &no_kb()), vec![]);
}

#[test]
fn rule_kb_jwt_typ_must_be_kb_jwt() {
    let presentation = issued().as_str().to_owned();
    let sd_hash = digest(&presentation);
    let kb = sign_issuer_jwt(
        json!({"typ": "JWT"}),
        json!({"iat": ISSUED + 30, "aud": VERIFIER, "nonce": NONCE, "sd_hash": sd_hash}),
        &holder_key(),
    );
    assert_eq!(
        codes(&format!("{presentation}{kb}"), &vc_verify_options()),
        vec![FailureCode::KeyBindingInvalid]
    );
}

// --- time claims ---

#[test]
fn rule_time_claims_must_be_numeric() {
    for (claim, value) in [
        ("exp", json!("1900000000")),
        ("nbf", json!(true)),
        ("iat", json!({"t": 1})),
    ] {
        let mut payload = json!({});
        payload[claim] = value;
        let sd_jwt = crafted(vc_header(), payload, &[]);
        assert_eq!(
            codes(&sd_jwt, &no_kb()),
            vec![FailureCode::InvalidTimeClaim],
            "{claim}"
        );
    }
}

#[test]
fn rule_validity_period_exp_nbf_iat() {
    let expired = crafted(vc_header(), json!({"exp": ISSUED + 60}), &[]);
    assert_eq!(codes(&expired, &no_kb()), vec![FailureCode::Expired]);
    let still_valid = crafted(vc_header(), json!({"exp": ISSUED + 61}), &[]);
    assert_eq!(codes(&still_valid, &no_kb()), vec![]);
    let early = crafted(vc_header(), json!({"nbf": ISSUED + 61}), &[]);
    assert_eq!(codes(&early, &no_kb()), vec![FailureCode::NotYetValid]);
    let future = crafted(vc_header(), json!({"iat": ISSUED + 61}), &[]);
    assert_eq!(codes(&future, &no_kb()), vec![FailureCode::IssuedInFuture]);
    // Clock skew tolerance is an option.
    let mut options = no_kb();
    options.clock_skew = TimeDelta::seconds(5);
    assert_eq!(codes(&early, &options), vec![]);
}

#[test]
fn rule_time_claims_compare_with_the_exact_time_not_whole_seconds() {
    // RFC 7519 NumericDate may be fractional: at 60.7 s past ISSUED an `exp` of 60.5 s has
    // passed and an `nbf` of 60.9 s has not, though both round to the same whole second.
    let now = at(ISSUED + 60) + TimeDelta::milliseconds(700);
    let options = VerifyOptions::sd_jwt_vc(now, KeyBindingPolicy::NotRequired);
    let exp = json!(ISSUED as f64 + 60.5);
    let expired = crafted(vc_header(), json!({ "exp": exp }), &[]);
    assert_eq!(codes(&expired, &options), vec![FailureCode::Expired]);
    let nbf = json!(ISSUED as f64 + 60.9);
    let early = crafted(vc_header(), json!({ "nbf": nbf }), &[]);
    assert_eq!(codes(&early, &options), vec![FailureCode::NotYetValid]);
    let iat = json!(ISSUED as f64 + 60.9);
    let future = crafted(vc_header(), json!({ "iat": iat }), &[]);
    assert_eq!(codes(&future, &options), vec![FailureCode::IssuedInFuture]);
}

#[test]
fn rule_required_validity_claim_withheld_is_rejected() {
    // RFC 9901 section 7.1 step 6 and section 9.7: a plain SD-JWT whose issuer made `exp`
    // selectively disclosable; a holder who withholds it must not get a non-expiring SD-JWT
    // past a verifier that requires `exp`.
    let exp = disclosure(json!(["c2FsdC1leHA", "exp", ISSUED + 30]));
    let withheld = crafted(json!({}), json!({"_sd": [digest(&exp)]}), &[]);
    let disclosed = format!("{withheld}{exp}~");
    let mut options = VerifyOptions::plain(at(ISSUED + 60), None, KeyBindingPolicy::NotRequired);
    // Without a requirement, RFC 9901 leaves the decision to the verifier.
    assert_eq!(codes(&withheld, &options), vec![]);
    options.required_claims = vec!["exp".into()];
    assert_eq!(
        codes(&withheld, &options),
        vec![FailureCode::RequiredClaimMissing]
    );
    assert!(
        check(&withheld, &options)
            .report()
            .failures()
            .any(|f| f.check == Check::RequiredClaims)
    );
    // Disclosed, the claim is present and checked: here it has passed.
    assert_eq!(codes(&disclosed, &options), vec![FailureCode::Expired]);
    options.now = at(ISSUED + 10);
    assert_eq!(codes(&disclosed, &options), vec![]);
}

#[test]
fn rule_kb_jwt_iat_must_be_numeric() {
    let presentation = issued().as_str().to_owned();
    let kb = sign_issuer_jwt(
        json!({"typ": "kb+jwt"}),
        json!({"iat": "now", "aud": VERIFIER, "nonce": NONCE, "sd_hash": digest(&presentation)}),
        &holder_key(),
    );
    assert_eq!(
        codes(&format!("{presentation}{kb}"), &vc_verify_options()),
        vec![FailureCode::InvalidTimeClaim]
    );
}

// --- _sd_alg ---

#[test]
fn rule_sd_alg_must_be_allow_listed() {
    for alg in [json!("md5"), json!("SHA-256"), json!(256), json!("sha-384")] {
        let sd_jwt = crafted(vc_header(), json!({"_sd_alg": alg}), &[]);
        assert_eq!(
            codes(&sd_jwt, &no_kb()),
            vec![FailureCode::SdAlgUnsupported],
            "{alg}"
        );
    }
    // sha-384 when the verifier allows it.
    let mut options = no_kb();
    options
        .hash_algorithms
        .push(credentials::sd_jwt::HashAlg::Sha384);
    let sd_jwt = crafted(vc_header(), json!({"_sd_alg": "sha-384"}), &[]);
    assert_eq!(codes(&sd_jwt, &options), vec![]);
}

// --- digests and disclosures ---

#[test]
fn rule_digests_are_unique_across_the_structure() {
    let d = disclosure(json!(["salt1", "given_name", "Erika"]));
    // Twice in one `_sd`.
    let twice = crafted(
        vc_header(),
        json!({"_sd": [digest(&d), digest(&d)]}),
        std::slice::from_ref(&d),
    );
    assert_eq!(codes(&twice, &no_kb()), vec![FailureCode::DigestDuplicate]);
    // Once at the top and once nested.
    let nested = crafted(
        vc_header(),
        json!({"_sd": [digest(&d)], "address": {"_sd": [digest(&d)]}}),
        std::slice::from_ref(&d),
    );
    assert_eq!(codes(&nested, &no_kb()), vec![FailureCode::DigestDuplicate]);
    // A decoy repeated in an array (no disclosure needed to detect it).
    let decoy = digest("decoy");
    let arr = crafted(
        vc_header(),
        json!({"nationalities": [{"...": decoy}, {"...": decoy}]}),
        &[],
    );
    assert_eq!(codes(&arr, &no_kb()), vec![FailureCode::DigestDuplicate]);
}

#[test]
fn rule_unreferenced_disclosure_is_rejected() {
    let issued = issued();
    let stray = disclosure(json!(["c2FsdA", "given_name", "Mallory"]));
    let presentation = format!("{}{stray}~", issued.as_str());
    assert_eq!(
        codes(&presentation, &no_kb()),
        vec![FailureCode::DisclosureUnreferenced]
    );
}

#[test]
fn rule_nested_disclosure_whose_parent_is_withheld_is_unreferenced() {
    // `address.locality` without `address`: its digest is only inside the withheld parent.
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let locality = sd_jwt
        .disclosures()
        .iter()
        .find(|d| d.claim_name() == Some("locality"))
        .unwrap();
    let presentation = format!("{}~{}~", sd_jwt.issuer_jwt(), locality.as_str());
    assert_eq!(
        codes(&presentation, &no_kb()),
        vec![FailureCode::DisclosureUnreferenced]
    );
}

#[test]
fn rule_repeated_disclosure_is_rejected() {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let first = sd_jwt.disclosures()[0].as_str();
    let presentation = format!("{}~{first}~{first}~", sd_jwt.issuer_jwt());
    assert_eq!(
        codes(&presentation, &no_kb()),
        vec![FailureCode::DisclosureDuplicate]
    );
}

#[test]
fn rule_tampered_disclosure_is_an_error_not_a_dropped_claim() {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let given = sd_jwt
        .disclosures()
        .iter()
        .find(|d| d.claim_name() == Some("given_name"))
        .unwrap();
    // Same salt, another value.
    let forged = disclosure(json!([given.salt(), "given_name", "Mallory"]));
    let presentation = format!("{}~{forged}~", sd_jwt.issuer_jwt());
    assert_eq!(
        codes(&presentation, &no_kb()),
        vec![FailureCode::DisclosureUnreferenced]
    );
    // A disclosure that is not even JSON.
    let presentation = format!("{}~{}~", sd_jwt.issuer_jwt(), base64url::encode("[\"x\","));
    assert_eq!(
        codes(&presentation, &no_kb()),
        vec![FailureCode::DisclosureMalformed]
    );
}

#[test]
fn rule_disclosure_never_overwrites_a_plain_claim() {
    let d = disclosure(json!(["salt1", "given_name", "Mallory"]));
    let sd_jwt = crafted(
        vc_header(),
        json!({"given_name": "Erika", "_sd": [digest(&d)]}),
        &[d],
    );
    assert_eq!(codes(&sd_jwt, &no_kb()), vec![FailureCode::ClaimOverwrite]);
    // Nor another disclosed claim of the same name.
    let a = disclosure(json!(["salt1", "x", 1]));
    let b = disclosure(json!(["salt2", "x", 2]));
    let sd_jwt = crafted(
        vc_header(),
        json!({"_sd": [digest(&a), digest(&b)]}),
        &[a, b],
    );
    assert_eq!(codes(&sd_jwt, &no_kb()), vec![FailureCode::ClaimOverwrite]);
}

#[test]
fn rule_disclosure_with_reserved_claim_name_is_rejected() {
    for name in ["_sd", "..."] {
        let d = disclosure(json!(["salt1", name, ["x"]]));
        let sd_jwt = crafted(vc_header(), json!({"_sd": [digest(&d)]}), &[d]);
        assert_eq!(
            codes(&sd_jwt, &no_kb()),
            vec![FailureCode::ReservedClaimName],
            "{name}"
        );
    }
}

#[test]
fn rule_element_counts_3_for_properties_2_for_array_elements() {
    // A 2-element (array-element) disclosure referenced from `_sd`.
    let two = disclosure(json!(["salt1", "DE"]));
    let sd_jwt = crafted(vc_header(), json!({"_sd": [digest(&two)]}), &[two]);
    assert_eq!(
        codes(&sd_jwt, &no_kb()),
        vec![FailureCode::DisclosureMalformed]
    );
    // A 3-element (property) disclosure referenced from an array.
    let three = disclosure(json!(["salt1", "country", "DE"]));
    let sd_jwt = crafted(
        vc_header(),
        json!({"n": [{"...": digest(&three)}]}),
        &[three],
    );
    assert_eq!(
        codes(&sd_jwt, &no_kb()),
        vec![FailureCode::DisclosureMalformed]
    );
    // 1 and 4 elements.
    for bad in [json!(["salt1"]), json!(["salt1", "a", 1, 2])] {
        let d = disclosure(bad);
        let sd_jwt = crafted(vc_header(), json!({"_sd": [digest(&d)]}), &[d]);
        assert_eq!(
            codes(&sd_jwt, &no_kb()),
            vec![FailureCode::DisclosureMalformed]
        );
    }
}

#[test]
fn rule_malformed_digest_structures_are_rejected() {
    for payload in [
        json!({"_sd": "abc"}),
        json!({"_sd": [1]}),
        json!({"n": [{"...": 5}]}),
        json!({"n": [{"...": "abc", "other": 1}]}),
        json!({"...": "abc"}),
    ] {
        let sd_jwt = crafted(vc_header(), payload.clone(), &[]);
        assert_eq!(
            codes(&sd_jwt, &no_kb()),
            vec![FailureCode::Malformed],
            "{payload}"
        );
    }
}

// --- key binding ---

#[test]
fn rule_required_kb_jwt_missing_is_rejected() {
    let presentation = SdJwt::parse(issued().as_str())
        .unwrap()
        .present(&[path(&["given_name"])])
        .unwrap();
    assert_eq!(
        codes(&presentation, &vc_verify_options()),
        vec![FailureCode::KeyBindingMissing]
    );
    // The same presentation is fine when key binding is not required.
    assert_eq!(codes(&presentation, &no_kb()), vec![]);
}

#[test]
fn rule_kb_jwt_must_be_signed_by_the_cnf_key() {
    let presentation = issued().as_str().to_owned();
    let other = Ed25519SigningKey::from_seed(&[9; 32]);
    let kb = sign_issuer_jwt(
        json!({"typ": "kb+jwt"}),
        json!({"iat": ISSUED + 30, "aud": VERIFIER, "nonce": NONCE, "sd_hash": digest(&presentation)}),
        &other,
    );
    assert_eq!(
        codes(&format!("{presentation}{kb}"), &vc_verify_options()),
        vec![FailureCode::KeyBindingSignatureInvalid]
    );
}

#[test]
fn rule_kb_jwt_without_cnf_cannot_verify() {
    let mut options = SdJwtVcOptions::new("https://credentials.example/x");
    options.iat = Some(at(ISSUED));
    let unbound = issue_sd_jwt_vc(person(), &[], &options, &issuer_key(), &mut rng()).unwrap();
    let presentation = unbound.as_str().to_owned();
    let kb = sign_issuer_jwt(
        json!({"typ": "kb+jwt"}),
        json!({"iat": ISSUED + 30, "aud": VERIFIER, "nonce": NONCE, "sd_hash": digest(&presentation)}),
        &holder_key(),
    );
    assert_eq!(
        codes(&format!("{presentation}{kb}"), &vc_verify_options()),
        vec![FailureCode::HolderKeyInvalid]
    );
    // And the holder API refuses to create it.
    assert_eq!(
        add_key_binding(&presentation, &holder_key(), VERIFIER, NONCE, at(ISSUED)),
        Err(SdJwtError::NoHolderKey)
    );
}

#[test]
fn rule_kb_jwt_iat_within_the_window() {
    let sd_jwt = SdJwt::parse(issued().as_str()).unwrap();
    let now = ISSUED + 60;
    for (iat, ok) in [
        (now - 300, true),
        (now - 301, false),
        (now, true),
        (now + 1, false),
    ] {
        let presentation = sd_jwt
            .present_with_key_binding(&[], &holder_key(), VERIFIER, NONCE, at(iat))
            .unwrap();
        let expected = if ok {
            vec![]
        } else {
            vec![FailureCode::KeyBindingStale]
        };
        assert_eq!(
            codes(&presentation, &vc_verify_options()),
            expected,
            "iat {iat}"
        );
    }
}

#[test]
fn rule_nonce_must_equal_the_verifiers() {
    let mut options = vc_verify_options();
    options.key_binding = KeyBindingPolicy::Required {
        audience: VERIFIER.into(),
        nonce: "another-nonce".into(),
    };
    assert_eq!(
        codes(&kb_presentation(), &options),
        vec![FailureCode::NonceMismatch]
    );
}

#[test]
fn rule_key_bound_only_when_required_with_this_verifiers_aud_and_nonce() {
    // RFC 9901 section 7.3 step 1: whether key binding counts is the verifier's policy, never
    // the presence of a KB-JWT. Without `Required`, `aud` and `nonce` are not compared, so a
    // KB-JWT replayed from another verifier's presentation must not report holder binding.
    let replayed = kb_presentation();
    let options = VerifyOptions::sd_jwt_vc(at(ISSUED + 60), KeyBindingPolicy::NotRequired);
    let result = check(&replayed, &options);
    assert!(result.is_verified(), "{:?}", result.report());
    assert!(!result.is_key_bound());
    // With this verifier's `aud` and `nonce` required, the same presentation is key-bound.
    assert!(check(&replayed, &vc_verify_options()).is_key_bound());
}

#[test]
fn rule_aud_must_equal_the_verifier() {
    let mut options = vc_verify_options();
    options.key_binding = KeyBindingPolicy::Required {
        audience: "https://other-verifier.example".into(),
        nonce: NONCE.into(),
    };
    assert_eq!(
        codes(&kb_presentation(), &options),
        vec![FailureCode::AudienceMismatch]
    );
}

#[test]
fn rule_sd_hash_covers_the_exact_presented_string() {
    let presentation = kb_presentation();
    let (sd, kb) = presentation.rsplit_once('~').unwrap();
    // Drop one disclosure after key binding: the rest is still a valid SD-JWT.
    let mut parts: Vec<&str> = sd.split('~').collect();
    parts.remove(1);
    let fewer = format!("{}~{kb}", parts.join("~"));
    assert_eq!(
        codes(&fewer, &vc_verify_options()),
        vec![FailureCode::SdHashMismatch]
    );
    // Reorder the disclosures: the same set, another string.
    let mut parts: Vec<&str> = sd.split('~').collect();
    parts[1..].reverse();
    let reordered = format!("{}~{kb}", parts.join("~"));
    assert_eq!(
        codes(&reordered, &vc_verify_options()),
        vec![FailureCode::SdHashMismatch]
    );
    // The same KB-JWT moved onto another presentation of the same credential.
    let other = SdJwt::parse(issued().as_str())
        .unwrap()
        .present(&[path(&["family_name"])])
        .unwrap();
    assert_eq!(
        codes(&format!("{other}{kb}"), &vc_verify_options()),
        vec![FailureCode::SdHashMismatch]
    );
}

#[test]
fn rule_kb_jwt_with_alg_none_is_refused() {
    let presentation = issued().as_str().to_owned();
    let h = base64url::encode(json!({"alg": "none", "typ": "kb+jwt"}).to_string());
    let p = base64url::encode(
        json!({"iat": ISSUED + 30, "aud": VERIFIER, "nonce": NONCE, "sd_hash": digest(&presentation)})
            .to_string(),
    );
    assert_eq!(
        codes(&format!("{presentation}{h}.{p}."), &vc_verify_options()),
        vec![FailureCode::AlgorithmNotAllowed]
    );
}

#[test]
fn rule_holder_signs_only_with_the_cnf_key() {
    let presentation = SdJwt::parse(issued().as_str())
        .unwrap()
        .present(&[])
        .unwrap();
    let other = Ed25519SigningKey::from_seed(&[9; 32]);
    assert_eq!(
        add_key_binding(&presentation, &other, VERIFIER, NONCE, at(ISSUED)),
        Err(SdJwtError::HolderKeyMismatch)
    );
    let bound = add_key_binding(&presentation, &holder_key(), VERIFIER, NONCE, at(ISSUED)).unwrap();
    assert_eq!(
        add_key_binding(&bound, &holder_key(), VERIFIER, NONCE, at(ISSUED)),
        Err(SdJwtError::AlreadyKeyBound)
    );
}

// --- SD-JWT VC claims ---

#[test]
fn rule_vct_is_required() {
    let mut payload = json!({"iss": "https://issuer.example", "iat": ISSUED});
    let jwt = sign_issuer_jwt(vc_header(), payload.clone(), &issuer_key());
    assert_eq!(
        codes(&format!("{jwt}~"), &no_kb()),
        vec![FailureCode::TypeInvalid]
    );
    payload["vct"] = json!(42);
    let jwt = sign_issuer_jwt(vc_header(), payload, &issuer_key());
    assert_eq!(
        codes(&format!("{jwt}~"), &no_kb()),
        vec![FailureCode::TypeInvalid]
    );
    assert_eq!(
        issue_sd_jwt_vc(
            person(),
            &[],
            &SdJwtVcOptions::new(""),
            &issuer_key(),
            &mut rng()
        )
        .unwrap_err(),
        SdJwtError::VctMissing
    );
}

#[test]
fn rule_registered_claims_are_never_disclosable_at_issuance() {
    for name in ["iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"] {
        let err = issue_sd_jwt_vc(
            person(),
            &[ClaimPath::keys([name])],
            &vc_options(&holder_key()),
            &issuer_key(),
            &mut rng(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            SdJwtError::NotDisclosable(ClaimPath::keys([name])),
            "{name}"
        );
    }
    // Nor below them (e.g. cnf.jwk).
    assert!(matches!(
        issue_sd_jwt_vc(
            person(),
            &[ClaimPath::keys(["cnf", "jwk"])],
            &vc_options(&holder_key()),
            &issuer_key(),
            &mut rng(),
        ),
        Err(SdJwtError::NotDisclosable(_))
    ));
}

#[test]
fn rule_registered_claims_are_never_disclosable_at_verification() {
    for (name, value) in [
        ("iss", json!("https://issuer.example")),
        ("vct", json!("https://credentials.example/x")),
        ("exp", json!(ISSUED + 1000)),
        ("nbf", json!(ISSUED)),
        ("cnf", json!({"jwk": holder_key().public_key().to_jwk()})),
        (
            "status",
            json!({"status_list": {"idx": 1, "uri": "https://s.example/1"}}),
        ),
    ] {
        let d = disclosure(json!(["salt1", name, value]));
        let mut payload = json!({"_sd": [digest(&d)]});
        // Keep the other required claims plain, without the disclosed one.
        if name != "vct" {
            payload["vct"] = json!("https://credentials.example/x");
        }
        let jwt = sign_issuer_jwt(vc_header(), payload, &issuer_key());
        let presentation = format!("{jwt}~{d}~");
        assert_eq!(
            codes(&presentation, &no_kb()),
            vec![FailureCode::NonDisclosableClaim],
            "{name}"
        );
    }
}

#[test]
fn rule_issuer_refuses_reserved_names_and_header_parameters() {
    let options = IssueOptions::default();
    for payload in [
        json!({"_sd": 1}),
        json!({"a": {"...": 1}}),
        json!({"_sd_alg": "sha-256"}),
    ] {
        assert_eq!(
            issue(obj(payload), &[], &options, &issuer_key(), &mut rng()).unwrap_err(),
            SdJwtError::ReservedClaimName
        );
    }
    for name in ["alg", "typ", "crit", "jwk", "jku", "x5u", "x5c"] {
        let mut options = IssueOptions::default();
        options.extra_header.insert(name.into(), json!("x"));
        assert_eq!(
            issue(
                obj(json!({"a": 1})),
                &[],
                &options,
                &issuer_key(),
                &mut rng()
            )
            .unwrap_err(),
            SdJwtError::ReservedHeaderParameter,
            "{name}"
        );
    }
    // A path that selects nothing is an error, not silently a plain claim.
    assert_eq!(
        issue(
            obj(json!({"a": 1})),
            &[ClaimPath::keys(["b"])],
            &options,
            &issuer_key(),
            &mut rng()
        )
        .unwrap_err(),
        SdJwtError::PathNotFound(ClaimPath::keys(["b"]))
    );
}

#[test]
fn rule_status_claim_must_be_a_status_list_reference() {
    for status in [
        json!("revoked"),
        json!({"status_list": {"idx": -1, "uri": "https://s"}}),
        json!({"status_list": {"idx": 1}}),
        json!({"other": {}}),
    ] {
        let sd_jwt = crafted(vc_header(), json!({"status": status}), &[]);
        assert_eq!(
            codes(&sd_jwt, &no_kb()),
            vec![FailureCode::StatusUnavailable],
            "{status}"
        );
    }
}

#[test]
fn rule_cnf_must_be_a_usable_key() {
    let sd_jwt = crafted(
        vc_header(),
        json!({"cnf": {"jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}}}),
        &[],
    );
    assert_eq!(
        codes(&sd_jwt, &no_kb()),
        vec![FailureCode::HolderKeyInvalid]
    );
}

// --- issuer key by DID resolution ---

struct Resolver {
    did: &'static str,
    key: PublicKey,
    answer_for_unknown: KeyResolutionError,
}

impl KeyResolver for Resolver {
    fn resolve_key(
        &self,
        vm: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        if vm == format!("{}#key-1", self.did) {
            if relationship == Relationship::AssertionMethod {
                Ok(self.key.clone())
            } else {
                Err(KeyResolutionError::NotAuthorized)
            }
        } else {
            Err(self.answer_for_unknown.clone())
        }
    }
}

fn did_issued(iss: &str, kid: Option<&str>) -> String {
    let mut options = vc_options(&holder_key());
    options.iss = Some(iss.into());
    options.kid = kid.map(str::to_owned);
    issue_sd_jwt_vc(
        person(),
        &person_disclosable(),
        &options,
        &issuer_key(),
        &mut rng(),
    )
    .unwrap()
    .into_string()
}

fn resolver() -> Resolver {
    Resolver {
        did: "did:example:issuer",
        key: issuer_key().public_key(),
        answer_for_unknown: KeyResolutionError::NotFound,
    }
}

fn resolve_codes(presentation: &str, resolver: &Resolver) -> Result<Vec<FailureCode>, SdJwtError> {
    verify(presentation, IssuerKey::Resolver(resolver), &no_kb())
        .map(|r| r.report().failure_codes())
}

#[test]
fn rule_issuer_key_via_resolver_from_kid_under_assertion_method() {
    let resolver = resolver();
    // Absolute and relative DID URLs.
    for kid in ["did:example:issuer#key-1", "#key-1"] {
        let sd_jwt = did_issued("did:example:issuer", Some(kid));
        assert_eq!(resolve_codes(&sd_jwt, &resolver), Ok(vec![]), "{kid}");
    }
}

#[test]
fn rule_issuer_key_of_another_did_is_refused() {
    // The token names a key of the attacker's DID while claiming the issuer's `iss`.
    let resolver = Resolver {
        did: "did:example:attacker",
        ..resolver()
    };
    let sd_jwt = did_issued("did:example:issuer", Some("did:example:attacker#key-1"));
    assert_eq!(
        resolve_codes(&sd_jwt, &resolver),
        Ok(vec![FailureCode::VerificationMethodInvalid])
    );
}

#[test]
fn rule_issuer_key_needs_a_did_issuer_and_a_kid() {
    let resolver = resolver();
    let no_kid = did_issued("did:example:issuer", None);
    assert_eq!(
        resolve_codes(&no_kid, &resolver),
        Ok(vec![FailureCode::VerificationMethodInvalid])
    );
    let https_iss = did_issued("https://issuer.example", Some("did:example:issuer#key-1"));
    assert_eq!(
        resolve_codes(&https_iss, &resolver),
        Ok(vec![FailureCode::VerificationMethodInvalid])
    );
}

#[test]
fn rule_issuer_key_not_under_assertion_method_or_unknown_is_invalid() {
    struct AuthOnly(PublicKey);
    impl KeyResolver for AuthOnly {
        fn resolve_key(&self, _: &str, r: Relationship) -> Result<PublicKey, KeyResolutionError> {
            if r == Relationship::Authentication {
                Ok(self.0.clone())
            } else {
                Err(KeyResolutionError::NotAuthorized)
            }
        }
    }
    let sd_jwt = did_issued("did:example:issuer", Some("#key-1"));
    let result = verify(&sd_jwt, IssuerKey::Resolver(&AuthOnly(pinned())), &no_kb()).unwrap();
    assert_eq!(
        result.report().failure_codes(),
        vec![FailureCode::VerificationMethodInvalid]
    );
    let sd_jwt = did_issued("did:example:issuer", Some("#key-2"));
    assert_eq!(
        resolve_codes(&sd_jwt, &resolver()),
        Ok(vec![FailureCode::VerificationMethodInvalid])
    );
}

#[test]
fn rule_unresolvable_issuer_is_could_not_check() {
    let resolver = Resolver {
        answer_for_unknown: KeyResolutionError::ResolutionFailed,
        ..resolver()
    };
    let sd_jwt = did_issued("did:example:issuer", Some("#key-9"));
    assert_eq!(
        resolve_codes(&sd_jwt, &resolver),
        Err(SdJwtError::KeyResolution(
            KeyResolutionError::ResolutionFailed
        ))
    );
}

#[test]
fn rule_wrong_resolved_key_fails_the_signature() {
    let resolver = Resolver {
        key: holder_key().public_key(),
        ..resolver()
    };
    let sd_jwt = did_issued("did:example:issuer", Some("#key-1"));
    assert_eq!(
        resolve_codes(&sd_jwt, &resolver),
        Ok(vec![FailureCode::SignatureInvalid])
    );
}

// --- structure ---

#[test]
fn rule_malformed_serializations_are_rejected_not_errors() {
    let jwt = SdJwt::parse(issued().as_str())
        .unwrap()
        .issuer_jwt()
        .to_owned();
    for bad in [
        String::new(),
        jwt.clone(),
        format!("~{jwt}"),
        format!("{jwt}~~"),
        "a.b.c~".into(),
    ] {
        let result = check(&bad, &no_kb());
        assert!(!result.is_verified(), "{bad}");
        assert!(result.claims().is_none());
    }
}

#[test]
fn rule_claims_only_from_a_verified_result() {
    let mut options = vc_verify_options();
    options.now = at(ISSUED + 400 * 86_400);
    let result = check(&kb_presentation(), &options);
    assert_eq!(
        result.report().failure_codes(),
        vec![FailureCode::Expired, FailureCode::KeyBindingStale]
    );
    assert!(result.claims().is_none());
    assert!(result.clone().into_claims().is_none());
    assert!(result.holder_key().is_none());
    assert!(!result.is_key_bound());
}

// --- resource bounds ---

/// A chain of `n` disclosures, each holding the digest of the next.
fn disclosure_chain(n: usize) -> (String, Vec<String>) {
    let mut disclosures = Vec::new();
    let mut inner = json!("leaf");
    for i in 0..n {
        let d = disclosure(json!([format!("salt{i}"), "a", inner]));
        inner = json!({"_sd": [digest(&d)]});
        disclosures.push(d);
    }
    let top = disclosures.last().map(|d| digest(d)).unwrap();
    (top, disclosures)
}

#[test]
fn rule_disclosure_chains_are_bounded_before_the_signature_is_known() {
    // Unsigned garbage must not be able to exhaust the stack: the chain is processed (every
    // check runs) but cut at MAX_NESTING_DEPTH.
    let (top, disclosures) = disclosure_chain(5_000);
    let sd_jwt = crafted(vc_header(), json!({"_sd": [top]}), &disclosures);
    assert_eq!(codes(&sd_jwt, &no_kb()), vec![FailureCode::Malformed]);
    assert_eq!(
        SdJwt::parse(&sd_jwt).unwrap().disclosable_paths(),
        Err(SdJwtError::NestingTooDeep)
    );
    // A chain within the bound is fine.
    let (top, disclosures) = disclosure_chain(20);
    let sd_jwt = crafted(vc_header(), json!({"_sd": [top]}), &disclosures);
    assert_eq!(codes(&sd_jwt, &no_kb()), vec![]);
}

#[test]
fn rule_issuer_refuses_claims_nested_too_deeply() {
    let mut deep = json!(1);
    for _ in 0..(credentials::sd_jwt::MAX_NESTING_DEPTH + 1) {
        deep = json!({"a": deep});
    }
    assert_eq!(
        issue(
            obj(deep),
            &[],
            &IssueOptions::default(),
            &issuer_key(),
            &mut rng()
        )
        .unwrap_err(),
        SdJwtError::NestingTooDeep
    );
}

#[test]
fn rule_registered_claims_come_only_from_the_options() {
    for name in ["iss", "iat", "nbf", "exp", "cnf", "vct", "status"] {
        let mut claims = person();
        claims.insert(name.into(), json!("x"));
        assert_eq!(
            issue_sd_jwt_vc(
                claims,
                &[],
                &vc_options(&holder_key()),
                &issuer_key(),
                &mut rng()
            )
            .unwrap_err(),
            SdJwtError::ConflictingClaim,
            "{name}"
        );
    }
}

#[test]
fn debug_output_holds_no_token_salt_or_claim_value() {
    let issued = issued();
    let sd_jwt = SdJwt::parse(issued.as_str()).unwrap();
    let result = check(&kb_presentation(), &vc_verify_options());
    assert!(result.is_verified());
    let salt = sd_jwt.disclosures()[0].salt().to_owned();
    for shown in [
        format!("{issued:?}"),
        format!("{sd_jwt:?}"),
        format!("{:?}", sd_jwt.disclosures()),
        format!("{result:?}"),
    ] {
        assert!(!shown.contains(sd_jwt.issuer_jwt()), "{shown}");
        assert!(
            !shown.contains("Erika") && !shown.contains("Mustermann"),
            "{shown}"
        );
        assert!(!shown.contains(&salt), "{shown}");
    }
}

/// A resolver knowing exactly one verification method, under `assertionMethod`.
struct OneMethod(String, PublicKey);

impl KeyResolver for OneMethod {
    fn resolve_key(
        &self,
        vm: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        match (vm == self.0, relationship) {
            (true, Relationship::AssertionMethod) => Ok(self.1.clone()),
            (true, _) => Err(KeyResolutionError::NotAuthorized),
            (false, _) => Err(KeyResolutionError::NotFound),
        }
    }
}

fn issued_with(iss: Option<&str>, kid: Option<&str>) -> String {
    let mut options = vc_options(&holder_key());
    options.iss = iss.map(str::to_owned);
    options.kid = kid.map(str::to_owned);
    issue_sd_jwt_vc(person(), &[], &options, &issuer_key(), &mut rng())
        .unwrap()
        .into_string()
}

#[test]
fn rule_issuer_key_from_an_absolute_kid_when_iss_is_absent() {
    let vm = "did:example:issuer#key-1";
    let resolver = OneMethod(vm.into(), pinned());
    let sd_jwt = issued_with(None, Some(vm));
    let result = verify(&sd_jwt, IssuerKey::Resolver(&resolver), &no_kb()).unwrap();
    assert!(result.is_verified(), "{:?}", result.report());
    assert_eq!(result.verification_method(), Some(vm));
    // A relative kid needs a DID iss to be relative to.
    let sd_jwt = issued_with(None, Some("#key-1"));
    let result = verify(&sd_jwt, IssuerKey::Resolver(&resolver), &no_kb()).unwrap();
    assert_eq!(
        result.report().failure_codes(),
        vec![FailureCode::VerificationMethodInvalid]
    );
    assert_eq!(result.verification_method(), None);
}

#[test]
fn rule_issuer_key_of_a_did_key_or_did_jwk_issuer_without_kid() {
    let multikey = pinned().to_multikey();
    let did_key = format!("did:key:{multikey}");
    let resolver = OneMethod(format!("{did_key}#{multikey}"), pinned());
    let result = verify(
        &issued_with(Some(&did_key), None),
        IssuerKey::Resolver(&resolver),
        &no_kb(),
    )
    .unwrap();
    assert!(result.is_verified(), "{:?}", result.report());

    let did_jwk = format!(
        "did:jwk:{}",
        base64url::encode(pinned().to_jwk().to_string())
    );
    let resolver = OneMethod(format!("{did_jwk}#0"), pinned());
    let result = verify(
        &issued_with(Some(&did_jwk), None),
        IssuerKey::Resolver(&resolver),
        &no_kb(),
    )
    .unwrap();
    assert!(result.is_verified(), "{:?}", result.report());
}
