//! Presentations: proofPurpose `authentication` with the verifier's `challenge` and
//! `domain` (VC DI 1.0 sections 2.1 and 4.3), holder binding, and each embedded credential.

use credentials::data_integrity::{self, Cryptosuite, ProofOptions, ProofPurpose};
use credentials::{FailureCode, Relationship, Signer as _};
use serde_json::{Value, json};

use super::common::*;

const CHALLENGE: &str = "1f44d55f-f161-4938-a659-f8026467f126";
const DOMAIN: &str = "https://verifier.example";

fn unsigned_presentation(credential: Value) -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "type": ["VerifiablePresentation"],
        "holder": VECTOR_DID,
        "verifiableCredential": [credential]
    })
}

fn authentication() -> ProofOptions {
    ProofOptions::authentication(VECTOR_VM, at("2024-05-31T12:00:00Z"), CHALLENGE, DOMAIN)
}

fn presentation(suite: Cryptosuite, options: &ProofOptions) -> Value {
    let vp = unsigned_presentation(signed(suite));
    data_integrity::sign(&vp, suite, options, &vector_key()).unwrap()
}

fn verify(vp: &Value, challenge: &str, domain: &str) -> data_integrity::PresentationVerification {
    data_integrity::verify_presentation(vp, &did_key_resolver(), challenge, domain, &options())
        .unwrap()
}

#[test]
fn presentation_with_challenge_and_domain_verifies_for_both_suites() {
    for suite in SUITES {
        let vp = presentation(suite, &authentication());
        assert_eq!(vp["proof"]["proofPurpose"], "authentication");
        assert_eq!(vp["proof"]["challenge"], CHALLENGE);
        assert_eq!(vp["proof"]["domain"], DOMAIN);
        let result = verify(&vp, CHALLENGE, DOMAIN);
        assert!(result.is_verified(), "{suite:?}: {result:?}");
        assert_eq!(result.credentials.len(), 1);
    }
}

#[test]
fn wrong_challenge_is_nonce_mismatch() {
    for suite in SUITES {
        let vp = presentation(suite, &authentication());
        let result = verify(&vp, "another-challenge", DOMAIN);
        assert!(!result.is_verified());
        assert!(result.presentation.has_failure(FailureCode::NonceMismatch));
    }
}

#[test]
fn missing_challenge_is_nonce_mismatch() {
    let options = ProofOptions {
        challenge: None,
        ..authentication()
    };
    let vp = presentation(Cryptosuite::EddsaJcs2022, &options);
    let result = verify(&vp, CHALLENGE, DOMAIN);
    assert!(result.presentation.has_failure(FailureCode::NonceMismatch));
}

#[test]
fn wrong_domain_is_audience_mismatch() {
    for suite in SUITES {
        let vp = presentation(suite, &authentication());
        let result = verify(&vp, CHALLENGE, "https://other-verifier.example");
        assert!(!result.is_verified());
        assert!(
            result
                .presentation
                .has_failure(FailureCode::AudienceMismatch)
        );
    }
}

#[test]
fn challenge_swapped_after_signing_breaks_the_signature() {
    for suite in SUITES {
        let mut vp = presentation(suite, &authentication());
        vp["proof"]["challenge"] = json!("replayed-for-another-verifier");
        let result = verify(&vp, "replayed-for-another-verifier", DOMAIN);
        assert!(
            result
                .presentation
                .has_failure(FailureCode::SignatureInvalid)
        );
    }
}

#[test]
fn assertion_purpose_on_a_presentation_is_refused() {
    let options = ProofOptions {
        proof_purpose: ProofPurpose::AssertionMethod,
        ..authentication()
    };
    let vp = presentation(Cryptosuite::EddsaRdfc2022, &options);
    let result = verify(&vp, CHALLENGE, DOMAIN);
    assert!(
        result
            .presentation
            .has_failure(FailureCode::ProofPurposeMismatch)
    );
}

#[test]
fn presentation_key_must_be_under_authentication() {
    let resolver = TableResolver::default().with(
        VECTOR_VM,
        vector_key().public_key(),
        &[Relationship::AssertionMethod],
    );
    let vp = presentation(Cryptosuite::EddsaJcs2022, &authentication());
    let result =
        data_integrity::verify_presentation(&vp, &resolver, CHALLENGE, DOMAIN, &options()).unwrap();
    assert!(
        result
            .presentation
            .has_failure(FailureCode::VerificationMethodInvalid)
    );
}

#[test]
fn proof_by_someone_other_than_the_holder_is_holder_mismatch() {
    let mut vp = unsigned_presentation(signed(Cryptosuite::EddsaJcs2022));
    vp["holder"] = json!("did:example:someone-else");
    let vp = data_integrity::sign(
        &vp,
        Cryptosuite::EddsaJcs2022,
        &authentication(),
        &vector_key(),
    )
    .unwrap();
    let result = verify(&vp, CHALLENGE, DOMAIN);
    assert!(result.presentation.has_failure(FailureCode::HolderMismatch));
}

#[test]
fn tampered_embedded_credential_is_reported_separately() {
    for suite in SUITES {
        let mut credential = signed(suite);
        credential["credentialSubject"]["alumniOf"] = json!("Forged University");
        let vp = data_integrity::sign(
            &unsigned_presentation(credential),
            suite,
            &authentication(),
            &vector_key(),
        )
        .unwrap();
        let result = verify(&vp, CHALLENGE, DOMAIN);
        assert!(result.presentation.is_verified(), "{result:?}");
        assert!(result.credentials[0].has_failure(FailureCode::SignatureInvalid));
        assert!(!result.is_verified());
    }
}

#[test]
fn presentation_model_rules_apply() {
    let mut vp = unsigned_presentation(signed(Cryptosuite::EddsaJcs2022));
    vp["type"] = json!(["VerifiableCredential"]);
    let vp = data_integrity::sign(
        &vp,
        Cryptosuite::EddsaJcs2022,
        &authentication(),
        &vector_key(),
    )
    .unwrap();
    assert!(
        verify(&vp, CHALLENGE, DOMAIN)
            .presentation
            .has_failure(FailureCode::TypeInvalid)
    );
}

#[test]
fn enveloped_credential_fails_closed() {
    let enveloped = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "data:application/vc+sd-jwt,eyJhbGciOi...",
        "type": "EnvelopedVerifiableCredential"
    });
    let vp = data_integrity::sign(
        &unsigned_presentation(enveloped),
        Cryptosuite::EddsaJcs2022,
        &authentication(),
        &vector_key(),
    )
    .unwrap();
    let result = verify(&vp, CHALLENGE, DOMAIN);
    assert!(result.presentation.is_verified(), "{result:?}");
    assert!(!result.is_verified());
}
