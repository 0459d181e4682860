//! One negative test per rule of the SD-JWT, Data Integrity, DID and status sections of
//! security.md, through the verifier's single pipeline, plus the positive paths they deviate
//! from.

use chrono::TimeDelta;
use credentials::FailureCode;
use serde_json::json;
use verifier::Outcome;

use crate::fixture::*;

async fn run(
    w: &World,
    req: &verifier::PresentationRequest,
    p: credentials::oid4vp::Presentation,
) -> Outcome {
    w.verifier
        .verify_response(req, &token("age", p))
        .await
        .unwrap()
}

fn rejected_with(outcome: Outcome, code: FailureCode) {
    match outcome {
        Ok(v) => panic!("verified, expected {code}: {v:?}"),
        Err(r) => assert!(r.has(code), "expected {code}, got {:?}", r.failed_checks),
    }
}

#[tokio::test]
async fn sd_jwt_vc_over_21_is_verified_with_only_the_disclosed_claim() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    let verified = run(&w, &req, compact(p)).await.unwrap();
    let c = &verified.credentials()[0];
    assert_eq!(c.issuer, w.issuer.did);
    assert_eq!(c.query_id, "age");
    assert_eq!(
        serde_json::Value::Object(c.claims.clone()),
        json!({"age_over_21": true})
    );
    assert!(c.unrequested_claims.is_empty());
}

#[tokio::test]
async fn unrequested_disclosures_are_reported() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21", "given_name"],
        &req.nonce,
        AUDIENCE,
    );
    let verified = run(&w, &req, compact(p)).await.unwrap();
    assert_eq!(
        verified.credentials()[0].unrequested_claims,
        vec!["given_name".to_owned()]
    );
}

#[tokio::test]
async fn wrong_nonce_in_key_binding_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        "another-nonce",
        AUDIENCE,
    );
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::NonceMismatch);
}

#[tokio::test]
async fn nonce_never_issued_by_the_verifier_is_rejected() {
    let w = World::new();
    let mut req = w.request(over_21_query());
    req.nonce = "made-up-by-the-holder".into();
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::NonceMismatch);
}

#[tokio::test]
async fn key_binding_without_nonce_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let sd = credentials::sd_jwt::SdJwt::parse(&w.default_sd_jwt_vc()).unwrap();
    let bare = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])])
        .unwrap();
    let header = json!({"typ": "kb+jwt"}).as_object().unwrap().clone();
    let payload = json!({"iat": t0().timestamp(), "aud": AUDIENCE,
        "sd_hash": credentials::sd_jwt::HashAlg::Sha256.encoded_digest(&bare)})
    .as_object()
    .unwrap()
    .clone();
    let kb = credentials::jose::sign_compact(header, &payload, &w.holder.key);
    let outcome = run(&w, &req, compact(format!("{bare}{kb}"))).await;
    let codes = outcome.unwrap_err().codes();
    assert!(
        codes.contains(&FailureCode::NonceMismatch)
            || codes.contains(&FailureCode::KeyBindingInvalid),
        "{codes:?}"
    );
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        "decentralized_identifier:did:key:z6MkOther",
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::AudienceMismatch,
    );
}

#[tokio::test]
async fn replayed_presentation_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    assert!(run(&w, &req, compact(p.clone())).await.is_ok());
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::NonceMismatch);
}

#[tokio::test]
async fn replay_is_rejected_across_restarts() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    assert!(run(&w, &req, compact(p.clone())).await.is_ok());
    // A new verifier over the same database file (the old one's handle is dropped first: redb
    // allows one open handle per file).
    let World {
        dir,
        clock,
        status,
        verifier,
        ..
    } = w;
    drop(verifier);
    let restarted = verifier_over(dir.path(), clock, status);
    let outcome = restarted
        .verify_response(&req, &token("age", compact(p)))
        .await
        .unwrap();
    rejected_with(outcome, FailureCode::NonceMismatch);
}

#[tokio::test]
async fn expired_nonce_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    w.clock.advance(TimeDelta::minutes(6));
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::NonceMismatch);
}

#[tokio::test]
async fn stripped_key_binding_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    let stripped = format!("{}~", p.rsplit_once('~').unwrap().0);
    rejected_with(
        run(&w, &req, compact(stripped)).await,
        FailureCode::KeyBindingMissing,
    );
}

#[tokio::test]
async fn key_binding_by_another_key_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let sd = credentials::sd_jwt::SdJwt::parse(&w.default_sd_jwt_vc()).unwrap();
    let bare = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])])
        .unwrap();
    let kb = World::kb_jwt(&w.other_holder.key, &bare, &req.nonce, AUDIENCE, t0());
    rejected_with(
        run(&w, &req, compact(format!("{bare}{kb}"))).await,
        FailureCode::KeyBindingSignatureInvalid,
    );
}

#[tokio::test]
async fn credential_of_one_holder_with_key_binding_of_another_is_rejected() {
    // The other holder has a credential of their own and tries to bind Alice's credential
    // with their key: the KB-JWT must be by the credential's `cnf` key.
    let w = World::new();
    let req = w.request(over_21_query());
    let alices = w.default_sd_jwt_vc();
    let sd = credentials::sd_jwt::SdJwt::parse(&alices).unwrap();
    let bare = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])])
        .unwrap();
    assert!(
        credentials::sd_jwt::add_key_binding(
            &bare,
            &w.other_holder.key,
            AUDIENCE,
            &req.nonce,
            t0()
        )
        .is_err()
    );
    let kb = World::kb_jwt(&w.other_holder.key, &bare, &req.nonce, AUDIENCE, t0());
    let outcome = run(&w, &req, compact(format!("{bare}{kb}")))
        .await
        .unwrap_err();
    assert!(
        outcome.has(FailureCode::KeyBindingSignatureInvalid),
        "{:?}",
        outcome.codes()
    );
}

#[tokio::test]
async fn sd_hash_over_other_disclosures_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let sd = credentials::sd_jwt::SdJwt::parse(&w.default_sd_jwt_vc()).unwrap();
    let shown = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])])
        .unwrap();
    let other = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_18"])])
        .unwrap();
    let kb = World::kb_jwt(&w.holder.key, &other, &req.nonce, AUDIENCE, t0());
    rejected_with(
        run(&w, &req, compact(format!("{shown}{kb}"))).await,
        FailureCode::SdHashMismatch,
    );
}

#[tokio::test]
async fn tampered_disclosure_is_rejected_not_dropped() {
    let w = World::new();
    let req = w.request(over_21_query());
    let sd = credentials::sd_jwt::SdJwt::parse(&w.default_sd_jwt_vc()).unwrap();
    let bare = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])])
        .unwrap();
    // Replace the disclosure with one claiming the same name under a new salt.
    let parts: Vec<&str> = bare.split('~').collect();
    let forged =
        credentials::base64url::encode(json!(["forged-salt", "age_over_21", true]).to_string());
    let tampered = format!("{}~{}~", parts[0], forged);
    let kb = World::kb_jwt(&w.holder.key, &tampered, &req.nonce, AUDIENCE, t0());
    let outcome = run(&w, &req, compact(format!("{tampered}{kb}")))
        .await
        .unwrap_err();
    assert!(
        outcome.has(FailureCode::DisclosureUnreferenced),
        "{:?}",
        outcome.codes()
    );
}

#[tokio::test]
async fn expired_credential_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let vc = w.sd_jwt_vc(
        &w.issuer,
        &w.holder,
        t0() - TimeDelta::days(30),
        t0() - TimeDelta::days(1),
        None,
    );
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::Expired);
}

#[tokio::test]
async fn not_yet_valid_credential_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let vc = w.sd_jwt_vc(
        &w.issuer,
        &w.holder,
        t0() - TimeDelta::days(1),
        t0() + TimeDelta::days(30),
        Some(t0() + TimeDelta::days(2)),
    );
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::NotYetValid);
}

#[tokio::test]
async fn credential_older_than_policy_allows_is_rejected() {
    let w = World::new();
    let mut req = w.request(over_21_query());
    req.policy.max_credential_age_secs = Some(3600);
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::CredentialTooOld,
    );
}

#[tokio::test]
async fn revoked_credential_is_rejected() {
    let w = World::new();
    w.publish_token_list(1);
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::Revoked);
}

#[tokio::test]
async fn suspended_credential_is_rejected() {
    let w = World::new();
    w.publish_token_list(2);
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::Suspended);
}

#[tokio::test]
async fn unreachable_status_list_means_not_verified() {
    let w = World::new();
    w.unserve(TOKEN_LIST_URI);
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::StatusUnavailable,
    );
}

#[tokio::test]
async fn unsigned_or_malformed_status_list_means_not_verified() {
    let w = World::new();
    // Signed by someone other than the issuer.
    let mut list = credentials::status_list::token::TokenStatusList::new(
        131_072,
        credentials::status_list::token::Bits::Two,
    )
    .unwrap();
    list.set(TOKEN_INDEX, 0).unwrap();
    let claims = credentials::status_list::token::StatusListTokenClaims {
        sub: TOKEN_LIST_URI.into(),
        iss: Some(w.other_holder.did.clone()),
        iat: t0().timestamp() - 60,
        exp: None,
        ttl: None,
        aggregation_uri: None,
    };
    w.serve(
        TOKEN_LIST_URI,
        claims
            .sign(&list, &w.other_holder.key, Some(&w.other_holder.vm))
            .into_bytes(),
    );
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::StatusUnavailable,
    );
    // Not a JWT at all.
    let w = World::new();
    w.serve(TOKEN_LIST_URI, b"<html>maintenance</html>".to_vec());
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::StatusUnavailable,
    );
}

#[tokio::test]
async fn untrusted_issuer_is_a_failed_check() {
    let w = World::new();
    let stranger = Party::new(9);
    let req = w.request(over_21_query());
    let vc = w.sd_jwt_vc(
        &stranger,
        &w.holder,
        t0() - TimeDelta::days(1),
        t0() + TimeDelta::days(30),
        None,
    );
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::UntrustedIssuer,
    );
}

#[tokio::test]
async fn missing_required_claim_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_18"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::RequiredClaimMissing,
    );
}

#[tokio::test]
async fn required_claim_with_the_wrong_value_is_rejected() {
    let w = World::new();
    let mut req = w.request(over_21_query());
    req.policy.required_claims[0].equals = Some(json!(false));
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::RequiredClaimMissing,
    );
}

#[tokio::test]
async fn answer_for_an_unrequested_query_or_format_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    let outcome = w
        .verifier
        .verify_response(&req, &token("other", compact(p)))
        .await
        .unwrap();
    assert!(outcome.is_err());
    let req = w.request(over_21_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::FormatNotAccepted,
    );
}

#[tokio::test]
async fn issuer_signature_by_a_key_outside_the_issuer_did_is_rejected() {
    // DID rule: the issuer JWT's key must be a verification method of `iss`.
    let w = World::new();
    let req = w.request(over_21_query());
    let mut forged_issuer = Party::new(9);
    forged_issuer.did = w.issuer.did.clone();
    let vc = w.sd_jwt_vc(
        &forged_issuer,
        &w.holder,
        t0() - TimeDelta::days(1),
        t0() + TimeDelta::days(30),
        None,
    );
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    let codes = run(&w, &req, compact(p)).await.unwrap_err().codes();
    assert!(
        codes.contains(&FailureCode::VerificationMethodInvalid)
            || codes.contains(&FailureCode::SignatureInvalid),
        "{codes:?}"
    );
}

// ---- VC 2.0 + Data Integrity presentations ----

#[tokio::test]
async fn data_integrity_presentation_is_verified() {
    let w = World::new();
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    let verified = run(&w, &req, json_vp(vp)).await.unwrap();
    let c = &verified.credentials()[0];
    assert_eq!(c.issuer, w.issuer.did);
    assert_eq!(
        serde_json::Value::Object(c.claims.clone()),
        json!({"age_over_21": true})
    );
}

#[tokio::test]
async fn data_integrity_wrong_challenge_or_domain_is_rejected() {
    let w = World::new();
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        "other",
        AUDIENCE,
    );
    rejected_with(run(&w, &req, json_vp(vp)).await, FailureCode::NonceMismatch);
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        "https://elsewhere.example",
    );
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::AudienceMismatch,
    );
}

#[tokio::test]
async fn data_integrity_credential_of_one_holder_presented_by_another_is_rejected() {
    let w = World::new();
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.other_holder,
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::HolderMismatch,
    );
}

#[tokio::test]
async fn data_integrity_tampered_credential_is_rejected() {
    let w = World::new();
    let req = w.request(ldp_query());
    let mut vc = w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z");
    vc["credentialSubject"]["age_over_21"] = json!(false);
    vc["credentialSubject"]["age_over_21"] = json!(true);
    vc["validUntil"] = json!("2031-01-01T00:00:00Z");
    let vp = w.di_vp(vc, &w.holder, &req.nonce, AUDIENCE);
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::SignatureInvalid,
    );
}

#[tokio::test]
async fn data_integrity_expired_credential_is_rejected() {
    let w = World::new();
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2026-12-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(run(&w, &req, json_vp(vp)).await, FailureCode::Expired);
}

#[tokio::test]
async fn data_integrity_revoked_or_unsigned_status_list_is_rejected() {
    let w = World::new();
    w.publish_bitstring_list(1, &w.issuer);
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(run(&w, &req, json_vp(vp)).await, FailureCode::Revoked);
    // A list signed by someone else than the issuer says nothing.
    let w = World::new();
    w.publish_bitstring_list(0, &w.other_holder);
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::StatusUnavailable,
    );
    let w = World::new();
    w.unserve(BITSTRING_LIST_URL);
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::StatusUnavailable,
    );
}

#[tokio::test]
async fn data_integrity_untrusted_issuer_is_rejected() {
    let w = World::new();
    let stranger = Party::new(9);
    let req = w.request(ldp_query());
    let vp = w.di_vp(
        w.di_vc(&stranger, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    let outcome = run(&w, &req, json_vp(vp)).await.unwrap_err();
    assert!(
        outcome.has(FailureCode::UntrustedIssuer) || outcome.has(FailureCode::StatusUnavailable),
        "{:?}",
        outcome.codes()
    );
    assert!(
        outcome.has(FailureCode::UntrustedIssuer),
        "{:?}",
        outcome.codes()
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// Any single-character change anywhere in a presentation (issuer JWT, disclosures,
    /// KB-JWT, separators) is rejected, never verified with other claims.
    #[test]
    fn any_single_character_change_to_a_presentation_is_rejected(position in 0.0f64..1.0, replacement in proptest::sample::select(vec!['A', 'z', '0', '-', '_', '~', '.', 'Q'])) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let w = World::new();
        let req = w.request(over_21_query());
        let p = w.present(&w.default_sd_jwt_vc(), &["age_over_21"], &req.nonce, AUDIENCE);
        let mut chars: Vec<char> = p.chars().collect();
        let index = ((chars.len() - 1) as f64 * position) as usize;
        proptest::prop_assume!(chars[index] != replacement);
        chars[index] = replacement;
        let mutated: String = chars.into_iter().collect();
        let outcome = runtime.block_on(w.verifier.verify_response(&req, &token("age", compact(mutated)))).unwrap();
        proptest::prop_assert!(outcome.is_err());
    }
}

#[tokio::test]
async fn did_key_issuer_without_kid_is_resolved_from_iss() {
    let w = World::new();
    let req = w.request(over_21_query());
    let mut options = credentials::sd_jwt::SdJwtVcOptions::new(VCT);
    options.iss = Some(w.issuer.did.clone());
    options.iat = Some(t0() - TimeDelta::days(1));
    options.cnf = Some(credentials::Signer::public_key(&w.holder.key));
    let vc = credentials::sd_jwt::issue_sd_jwt_vc(
        json!({"age_over_21": true}).as_object().unwrap().clone(),
        &[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])],
        &options,
        &w.issuer.key,
        &mut rand::rngs::OsRng,
    )
    .unwrap()
    .into_string();
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    let verified = run(&w, &req, compact(p)).await.unwrap();
    assert_eq!(verified.credentials()[0].issuer, w.issuer.did);
}

// ---- More SD-JWT, DID and status rules, through the pipeline ----

fn payload_for(w: &World) -> serde_json::Map<String, serde_json::Value> {
    json!({
        "iss": w.issuer.did,
        "iat": (t0() - TimeDelta::days(1)).timestamp(),
        "vct": VCT,
        "cnf": {"jwk": credentials::Signer::public_key(&w.holder.key).to_jwk()},
        "age_over_21": true
    })
    .as_object()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn issuer_jwt_without_the_sd_jwt_vc_typ_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let options = credentials::sd_jwt::IssueOptions {
        typ: Some("JWT".into()),
        kid: Some(w.issuer.vm.clone()),
        ..Default::default()
    };
    let vc = credentials::sd_jwt::issue(
        payload_for(&w),
        &[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])],
        &options,
        &w.issuer.key,
        &mut rand::rngs::OsRng,
    )
    .unwrap()
    .into_string();
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    rejected_with(run(&w, &req, compact(p)).await, FailureCode::TypMismatch);
}

#[tokio::test]
async fn alg_none_issuer_jwt_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    let (jwt, rest) = p.split_once('~').unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let header =
        credentials::base64url::encode(json!({"alg": "none", "typ": "dc+sd-jwt"}).to_string());
    let forged = format!("{header}.{payload}.~{rest}");
    rejected_with(
        run(&w, &req, compact(forged)).await,
        FailureCode::AlgorithmNotAllowed,
    );
}

#[tokio::test]
async fn algorithm_outside_the_policy_is_rejected() {
    let w = World::new();
    let mut req = w.request(over_21_query());
    req.policy.algorithms = vec!["ES256".into()];
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::AlgorithmNotAllowed,
    );
}

#[tokio::test]
async fn stale_key_binding_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let sd = credentials::sd_jwt::SdJwt::parse(&w.default_sd_jwt_vc()).unwrap();
    let bare = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])])
        .unwrap();
    let kb = World::kb_jwt(
        &w.holder.key,
        &bare,
        &req.nonce,
        AUDIENCE,
        t0() - TimeDelta::minutes(10),
    );
    rejected_with(
        run(&w, &req, compact(format!("{bare}{kb}"))).await,
        FailureCode::KeyBindingStale,
    );
}

#[tokio::test]
async fn repeated_disclosure_is_rejected() {
    let w = World::new();
    let req = w.request(over_21_query());
    let sd = credentials::sd_jwt::SdJwt::parse(&w.default_sd_jwt_vc()).unwrap();
    let bare = sd
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])])
        .unwrap();
    let disclosure = bare.split('~').nth(1).unwrap();
    let doubled = format!("{bare}{disclosure}~");
    let kb = World::kb_jwt(&w.holder.key, &doubled, &req.nonce, AUDIENCE, t0());
    rejected_with(
        run(&w, &req, compact(format!("{doubled}{kb}"))).await,
        FailureCode::DisclosureDuplicate,
    );
}

#[tokio::test]
async fn unresolvable_issuer_did_means_not_verified() {
    // did:web cannot be resolved by this verifier's (offline) resolver: could not check.
    let w = World::new();
    let req = w.request(over_21_query());
    let mut forged = Party::new(1);
    forged.did = "did:web:issuer.invalid".into();
    forged.vm = "did:web:issuer.invalid#key-1".into();
    let vc = w.sd_jwt_vc(
        &forged,
        &w.holder,
        t0() - TimeDelta::days(1),
        t0() + TimeDelta::days(30),
        None,
    );
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::VerificationMethodInvalid,
    );
}

#[tokio::test]
async fn status_list_too_small_expired_or_index_out_of_range_means_not_verified() {
    use credentials::status_list::token::{Bits, StatusListTokenClaims, TokenStatusList};
    let sign = |w: &World, list: &TokenStatusList, exp: Option<i64>| {
        StatusListTokenClaims {
            sub: TOKEN_LIST_URI.into(),
            iss: Some(w.issuer.did.clone()),
            iat: t0().timestamp() - 600,
            exp,
            ttl: None,
            aggregation_uri: None,
        }
        .sign(list, &w.issuer.key, Some(&w.issuer.vm))
    };
    // Too small for herd privacy (and the index beyond it).
    let w = World::new();
    let small = TokenStatusList::with_minimum(16, Bits::Two, 1).unwrap();
    w.serve(TOKEN_LIST_URI, sign(&w, &small, None).into_bytes());
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::StatusUnavailable,
    );
    // Expired list.
    let w = World::new();
    let list = TokenStatusList::new(131_072, Bits::Two).unwrap();
    w.serve(
        TOKEN_LIST_URI,
        sign(&w, &list, Some(t0().timestamp() - 60)).into_bytes(),
    );
    let req = w.request(over_21_query());
    let p = w.present(
        &w.default_sd_jwt_vc(),
        &["age_over_21"],
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::StatusUnavailable,
    );
    // Index out of range of a list of the minimum size.
    let w = World::new();
    let mut options = credentials::sd_jwt::SdJwtVcOptions::new(VCT);
    options.iss = Some(w.issuer.did.clone());
    options.kid = Some(w.issuer.vm.clone());
    options.cnf = Some(credentials::Signer::public_key(&w.holder.key));
    options.status = Some(credentials::sd_jwt::StatusListReference {
        idx: 131_072 * 4,
        uri: TOKEN_LIST_URI.into(),
    });
    let vc = credentials::sd_jwt::issue_sd_jwt_vc(
        json!({"age_over_21": true}).as_object().unwrap().clone(),
        &[credentials::sd_jwt::ClaimPath::keys(["age_over_21"])],
        &options,
        &w.issuer.key,
        &mut rand::rngs::OsRng,
    )
    .unwrap()
    .into_string();
    let req = w.request(over_21_query());
    let p = w.present(&vc, &["age_over_21"], &req.nonce, AUDIENCE);
    rejected_with(
        run(&w, &req, compact(p)).await,
        FailureCode::StatusUnavailable,
    );
}

#[tokio::test]
async fn data_integrity_cryptosuite_outside_the_policy_is_rejected() {
    let w = World::new();
    let mut req = w.request(ldp_query());
    req.policy.cryptosuites = vec!["eddsa-rdfc-2022".into()];
    let vp = w.di_vp(
        w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z"),
        &w.holder,
        &req.nonce,
        AUDIENCE,
    );
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::AlgorithmNotAllowed,
    );
}

#[tokio::test]
async fn data_integrity_presentation_proof_with_the_wrong_purpose_is_rejected() {
    let w = World::new();
    let req = w.request(ldp_query());
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": w.holder.did,
        "verifiableCredential": [w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z")]
    });
    let mut options = credentials::data_integrity::ProofOptions::authentication(
        w.holder.vm.clone(),
        t0(),
        req.nonce.clone(),
        AUDIENCE,
    );
    options.proof_purpose = credentials::data_integrity::ProofPurpose::AssertionMethod;
    let vp = credentials::data_integrity::sign(
        &vp,
        credentials::data_integrity::Cryptosuite::EddsaJcs2022,
        &options,
        &w.holder.key,
    )
    .unwrap();
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::ProofPurposeMismatch,
    );
}

#[tokio::test]
async fn data_integrity_context_outside_the_allow_list_is_rejected() {
    let w = World::new();
    let req = w.request(ldp_query());
    let vc = w.di_vc(&w.issuer, &w.holder, "2030-01-01T00:00:00Z");
    let mut vp = w.di_vp(vc, &w.holder, &req.nonce, AUDIENCE);
    // Our own signer refuses such contexts, so a forger edits a signed presentation: the
    // context check names the problem (the signatures fail as well).
    vp["verifiableCredential"][0]["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://evil.example/context.jsonld"
    ]);
    rejected_with(
        run(&w, &req, json_vp(vp)).await,
        FailureCode::ContextInvalid,
    );
}
