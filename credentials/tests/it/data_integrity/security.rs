//! One negative test per Data Integrity rule of the security guide (and VC DI 1.0 / VC DI
//! EdDSA 1.0): each fails if its rule is dropped.

use credentials::data_integrity::{
    self, CanonicalizationError, Cryptosuite, DataIntegrityError, JsonLdError, ProofOptions,
    ProofPurpose,
};
use credentials::{
    FailureCode, KeyResolutionError, P256SigningKey, Relationship, Signer as _, VerificationReport,
};
use serde_json::{Value, json};

use super::common::*;

fn verify(document: &Value) -> VerificationReport {
    data_integrity::verify_credential(document, &did_key_resolver(), &options()).unwrap()
}

fn assert_fails(report: &VerificationReport, code: FailureCode) {
    assert!(!report.is_verified(), "{report:?}");
    assert!(report.has_failure(code), "expected {code}: {report:?}");
}

fn sign_with(document: &Value, suite: Cryptosuite, options: &ProofOptions) -> Value {
    data_integrity::sign(document, suite, options, &vector_key()).unwrap()
}

#[test]
fn unmodified_signatures_verify_for_both_suites() {
    for suite in SUITES {
        let report = verify(&signed(suite));
        assert!(report.is_verified(), "{suite:?}: {report:?}");
        assert!(report.failure_codes().is_empty());
    }
}

#[test]
fn changed_claim_is_signature_invalid() {
    for suite in SUITES {
        let mut doc = signed(suite);
        doc["credentialSubject"]["alumniOf"] = json!("The School of Forgery");
        assert_fails(&verify(&doc), FailureCode::SignatureInvalid);
    }
}

// ---- Contexts: static pinned allow-list, never remote loading ----

#[test]
fn context_not_on_allow_list_is_refused_when_verifying() {
    for suite in SUITES {
        let mut doc = signed(suite);
        doc["@context"]
            .as_array_mut()
            .unwrap()
            .push(json!("https://attacker.example/context.jsonld"));
        assert_fails(&verify(&doc), FailureCode::ContextInvalid);
    }
}

#[test]
fn nested_remote_context_is_refused_when_verifying() {
    let mut doc = signed(Cryptosuite::EddsaRdfc2022);
    doc["credentialSubject"]["@context"] = json!("https://attacker.example/v1");
    assert_fails(&verify(&doc), FailureCode::ContextInvalid);
}

#[test]
fn context_not_on_allow_list_is_refused_when_signing() {
    let mut doc = json("unsigned.json");
    doc["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://www.w3.org/2018/credentials/examples/v1"));
    for suite in SUITES {
        assert_eq!(
            data_integrity::sign(&doc, suite, &vector_proof_options(), &vector_key()),
            Err(DataIntegrityError::ContextNotAllowed(
                "https://www.w3.org/2018/credentials/examples/v1".into()
            ))
        );
    }
}

/// Safe mode: a term no context defines would be dropped by JSON-LD expansion and so left
/// unsigned by eddsa-rdfc-2022; it is an error instead.
#[test]
fn undefined_term_is_refused_by_rdfc() {
    let doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "undefinedClaim": "dropped?"}
    });
    assert_eq!(
        data_integrity::sign(
            &doc,
            Cryptosuite::EddsaRdfc2022,
            &vector_proof_options(),
            &vector_key()
        ),
        Err(DataIntegrityError::JsonLd(JsonLdError::Expansion))
    );
    // Signed under an inline @vocab, then the inline context removed: the term is undefined.
    let mut with_vocab = doc.clone();
    with_vocab["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!({"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"}));
    let mut secured = sign_with(
        &with_vocab,
        Cryptosuite::EddsaRdfc2022,
        &vector_proof_options(),
    );
    assert!(verify(&secured).is_verified());
    secured["@context"].as_array_mut().unwrap().pop();
    assert_fails(&verify(&secured), FailureCode::Malformed);
}

/// VC DI EdDSA sections 3.2.2 / 3.3.2: the document's @context must start with the proof's.
#[test]
fn proof_context_must_prefix_document_context() {
    let mut doc = json("eddsa-jcs-2022/signedJCS.json");
    doc["proof"]["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://w3id.org/security/data-integrity/v2"
    ]);
    assert_fails(&verify(&doc), FailureCode::ContextInvalid);
}

#[test]
fn misordered_document_context_is_context_invalid() {
    for suite in SUITES {
        let mut doc = signed(suite);
        doc["@context"].as_array_mut().unwrap().reverse();
        assert_fails(&verify(&doc), FailureCode::ContextInvalid);
    }
}

// ---- proofPurpose and the verification relationship ----

#[test]
fn wrong_proof_purpose_is_refused() {
    for suite in SUITES {
        let options = ProofOptions {
            proof_purpose: ProofPurpose::Authentication,
            ..vector_proof_options()
        };
        let doc = sign_with(&json("unsigned.json"), suite, &options);
        assert_fails(&verify(&doc), FailureCode::ProofPurposeMismatch);
    }
}

#[test]
fn verification_method_not_under_assertion_method_is_refused() {
    let key = vector_key().public_key();
    let resolver = TableResolver::default().with(VECTOR_VM, key, &[Relationship::Authentication]);
    for suite in SUITES {
        let report =
            data_integrity::verify_credential(&signed(suite), &resolver, &options()).unwrap();
        assert_fails(&report, FailureCode::VerificationMethodInvalid);
    }
}

#[test]
fn unknown_verification_method_is_refused() {
    let mut doc = signed(Cryptosuite::EddsaJcs2022);
    doc["proof"]["verificationMethod"] = json!("did:example:unknown#key-1");
    assert_fails(&verify(&doc), FailureCode::VerificationMethodInvalid);
}

#[test]
fn verification_method_must_be_an_ed25519_key() {
    let p256 = P256SigningKey::from_bytes(&[7u8; 32]).unwrap().public_key();
    let resolver = TableResolver::default().with(VECTOR_VM, p256, &[Relationship::AssertionMethod]);
    let report = data_integrity::verify_credential(
        &signed(Cryptosuite::EddsaRdfc2022),
        &resolver,
        &options(),
    )
    .unwrap();
    assert_fails(&report, FailureCode::VerificationMethodInvalid);
}

#[test]
fn unavailable_key_resolution_is_an_error_not_a_result() {
    let result = data_integrity::verify_credential(
        &signed(Cryptosuite::EddsaJcs2022),
        &TableResolver::unavailable(),
        &options(),
    );
    assert_eq!(
        result,
        Err(DataIntegrityError::KeyResolution(
            KeyResolutionError::ResolutionFailed
        ))
    );
}

// ---- cryptosuite and proof type, exactly ----

#[test]
fn wrong_cryptosuite_is_refused() {
    for (suite, other) in [
        (Cryptosuite::EddsaRdfc2022, "eddsa-2022"),
        (Cryptosuite::EddsaJcs2022, "EDDSA-JCS-2022"),
        (Cryptosuite::EddsaRdfc2022, "ecdsa-rdfc-2019"),
    ] {
        let mut doc = signed(suite);
        doc["proof"]["cryptosuite"] = json!(other);
        assert_fails(&verify(&doc), FailureCode::AlgorithmNotAllowed);
    }
    // A suite swapped for the other one no longer verifies either.
    let mut doc = signed(Cryptosuite::EddsaRdfc2022);
    doc["proof"]["cryptosuite"] = json!("eddsa-jcs-2022");
    assert_fails(&verify(&doc), FailureCode::SignatureInvalid);
}

#[test]
fn suite_outside_the_verifiers_allow_list_is_refused() {
    let mut options = options();
    options.allowed_suites = vec![Cryptosuite::EddsaRdfc2022];
    let report = data_integrity::verify_credential(
        &signed(Cryptosuite::EddsaJcs2022),
        &did_key_resolver(),
        &options,
    )
    .unwrap();
    assert_fails(&report, FailureCode::AlgorithmNotAllowed);
}

#[test]
fn proof_type_must_be_data_integrity_proof() {
    let mut doc = signed(Cryptosuite::EddsaRdfc2022);
    doc["proof"]["type"] = json!("Ed25519Signature2020");
    assert_fails(&verify(&doc), FailureCode::AlgorithmNotAllowed);
}

// ---- proofValue: base58btc multibase of exactly 64 bytes ----

#[test]
fn proof_value_encoding_and_length_are_exact() {
    let original = signed(Cryptosuite::EddsaJcs2022);
    let signature = bs58::decode(&original["proof"]["proofValue"].as_str().unwrap()[1..])
        .into_vec()
        .unwrap();
    assert_eq!(signature.len(), 64);
    let base64url = format!("u{}", credentials::base64url::encode(&signature));
    let base58_no_prefix = bs58::encode(&signature).into_string();
    let short = format!("z{}", bs58::encode(&signature[..63]).into_string());
    let long = format!(
        "z{}",
        bs58::encode([&signature[..], &[0]].concat()).into_string()
    );
    for bad in [
        json!(base64url),
        json!(base58_no_prefix),
        json!(short),
        json!(long),
        json!("z0OIl"),
        json!(12),
    ] {
        let mut doc = original.clone();
        doc["proof"]["proofValue"] = bad.clone();
        assert_fails(&verify(&doc), FailureCode::Malformed);
    }
    let mut doc = original;
    doc["proof"].as_object_mut().unwrap().remove("proofValue");
    assert_fails(&verify(&doc), FailureCode::Malformed);
}

// ---- time: created, expires, validFrom, validUntil ----

#[test]
fn proof_created_in_the_future_is_refused() {
    for suite in SUITES {
        let options = ProofOptions::assertion(VECTOR_VM, at("2024-06-01T01:00:00Z"));
        let doc = sign_with(&json("unsigned.json"), suite, &options);
        assert_fails(&verify(&doc), FailureCode::IssuedInFuture);
        // Within the clock skew it is accepted.
        let options = ProofOptions::assertion(VECTOR_VM, at("2024-06-01T00:00:30Z"));
        let doc = sign_with(&json("unsigned.json"), suite, &options);
        assert!(verify(&doc).is_verified());
    }
}

#[test]
fn proof_past_its_expires_is_refused() {
    let options = ProofOptions {
        expires: Some(at("2024-01-01T00:00:00Z")),
        ..vector_proof_options()
    };
    let doc = sign_with(&json("unsigned.json"), Cryptosuite::EddsaRdfc2022, &options);
    assert_fails(&verify(&doc), FailureCode::Expired);
}

#[test]
fn malformed_created_is_refused() {
    let mut doc = signed(Cryptosuite::EddsaJcs2022);
    doc["proof"]["created"] = json!("2023-02-24 23:36:38");
    assert_fails(&verify(&doc), FailureCode::InvalidTimeClaim);
}

#[test]
fn credential_past_valid_until_is_expired() {
    let mut unsigned = json("unsigned.json");
    unsigned["validUntil"] = json!("2024-01-01T00:00:00Z");
    for suite in SUITES {
        let doc = sign_with(&unsigned, suite, &vector_proof_options());
        assert_fails(&verify(&doc), FailureCode::Expired);
    }
}

#[test]
fn credential_before_valid_from_is_not_yet_valid() {
    let mut unsigned = json("unsigned.json");
    unsigned["validFrom"] = json!("2025-01-01T00:00:00Z");
    for suite in SUITES {
        let doc = sign_with(&unsigned, suite, &vector_proof_options());
        assert_fails(&verify(&doc), FailureCode::NotYetValid);
    }
}

// ---- the data model, through verification ----

#[test]
fn model_violations_are_reported_with_their_codes() {
    let cases: [(&str, Value, FailureCode); 4] = [
        (
            "type",
            json!(["AlumniCredential"]),
            FailureCode::TypeInvalid,
        ),
        (
            "issuer",
            json!("vc.example/issuers/5678"),
            FailureCode::IssuerInvalid,
        ),
        ("credentialSubject", json!([]), FailureCode::SubjectInvalid),
        (
            "credentialStatus",
            json!({"id": "https://example.com/status#1"}),
            FailureCode::Malformed,
        ),
    ];
    for (property, value, code) in cases {
        let mut unsigned = json("unsigned.json");
        unsigned[property] = value;
        // JCS signs any JSON, so the model is what refuses these.
        let doc = sign_with(
            &unsigned,
            Cryptosuite::EddsaJcs2022,
            &vector_proof_options(),
        );
        let report = verify(&doc);
        assert_fails(&report, code);
        assert!(
            !report.has_failure(FailureCode::SignatureInvalid),
            "{report:?}"
        );
    }
}

#[test]
fn document_without_proof_is_not_verified() {
    assert_fails(&verify(&json("unsigned.json")), FailureCode::Malformed);
    assert_fails(&verify(&json!("just a string")), FailureCode::Malformed);
}

// ---- RDF canonicalization under a work limit ----

/// A credential subject related to `n` blank nodes that all know each other: every blank
/// node has the same first-degree hash, and N-degree hashing is factorial in `n`.
fn poisoned(n: usize) -> Value {
    let nodes: Vec<Value> = (0..n)
        .map(|i| {
            let others: Vec<Value> = (0..n)
                .filter(|&j| j != i)
                .map(|j| json!({"@id": format!("_:b{j}")}))
                .collect();
            json!({"@id": format!("_:b{i}"), "knows": others})
        })
        .collect();
    let mut doc = json("eddsa-rdfc-2022/signedDataInt.json");
    doc["credentialSubject"]["knows"] = Value::Array(nodes);
    doc
}

#[test]
fn poison_graph_is_refused_before_n_degree_hashing() {
    let result = data_integrity::verify_credential(&poisoned(80), &did_key_resolver(), &options());
    assert_eq!(
        result,
        Err(DataIntegrityError::Canonicalization(
            CanonicalizationError::PoisonGraph {
                count: 80,
                limit: 64
            }
        ))
    );
}

#[test]
fn poison_graph_exhausts_the_work_budget() {
    let result = data_integrity::verify_credential(&poisoned(10), &did_key_resolver(), &options());
    assert_eq!(
        result,
        Err(DataIntegrityError::Canonicalization(
            CanonicalizationError::WorkLimitExceeded { limit: 20_000 }
        ))
    );
}

#[test]
fn signing_a_poison_graph_is_refused_too() {
    let mut doc = poisoned(10);
    doc.as_object_mut().unwrap().remove("proof");
    assert!(matches!(
        data_integrity::sign(
            &doc,
            Cryptosuite::EddsaRdfc2022,
            &vector_proof_options(),
            &vector_key()
        ),
        Err(DataIntegrityError::Canonicalization(_))
    ));
}

#[test]
fn a_few_symmetric_blank_nodes_are_still_canonicalized() {
    // Two identical unlabelled objects need N-degree hashing but little work.
    let mut unsigned = json("unsigned.json");
    unsigned["credentialSubject"]["award"] = json!([{"name": "Prize"}, {"name": "Prize"}]);
    let doc = sign_with(
        &unsigned,
        Cryptosuite::EddsaRdfc2022,
        &vector_proof_options(),
    );
    assert!(verify(&doc).is_verified());
}

// ---- proof sets ----

#[test]
fn proof_set_verifies_each_proof() {
    let rdfc = signed(Cryptosuite::EddsaRdfc2022);
    let both = sign_with(&rdfc, Cryptosuite::EddsaJcs2022, &vector_proof_options());
    assert_eq!(both["proof"].as_array().unwrap().len(), 2);
    assert!(verify(&both).is_verified());
    let mut one_bad = both.clone();
    one_bad["proof"][1]["created"] = json!("2023-02-24T23:36:39Z");
    assert_fails(&verify(&one_bad), FailureCode::SignatureInvalid);
}

/// Every proof of a set canonicalizes the whole document again (rdfc: JSON-LD expansion and
/// RDFC-1.0 under the work limits, per proof), so the work limits only bound the total if the
/// number of proofs is bounded too: a large document with thousands of copies of one proof
/// (or of garbage proofs with resolvable verification methods) is refused up front.
#[test]
fn proof_sets_larger_than_max_proofs_are_refused() {
    let rdfc = signed(Cryptosuite::EddsaRdfc2022);
    let proof = rdfc["proof"].clone();
    let mut at_limit = rdfc.clone();
    at_limit["proof"] = Value::Array(vec![proof.clone(); data_integrity::MAX_PROOFS]);
    assert!(verify(&at_limit).is_verified(), "{:?}", verify(&at_limit));
    let mut beyond = rdfc.clone();
    beyond["proof"] = Value::Array(vec![proof; data_integrity::MAX_PROOFS + 1]);
    let report = verify(&beyond);
    assert_fails(&report, FailureCode::Malformed);
    assert!(
        !report.has_failure(FailureCode::SignatureInvalid),
        "proofs were checked one by one: {report:?}"
    );
}

// ---- the issuer controls the proof's key ----

#[test]
fn issuer_binding_refuses_a_key_of_another_controller() {
    let strict = credentials::data_integrity::VerifyOptions::new(at("2024-06-01T00:00:00Z"));
    // The W3C vector: an https issuer, a did:key proof.
    for suite in SUITES {
        let report =
            data_integrity::verify_credential(&signed(suite), &did_key_resolver(), &strict)
                .unwrap();
        assert_fails(&report, FailureCode::IssuerMismatch);
        assert!(!report.has_failure(FailureCode::SignatureInvalid));
    }
    // Issued by the DID whose key signs: accepted, whether issuer is a string or an object.
    for issuer in [
        json!(VECTOR_DID),
        json!({"id": VECTOR_DID, "name": "Example"}),
    ] {
        let mut unsigned = json("unsigned.json");
        unsigned["issuer"] = issuer;
        for suite in SUITES {
            let doc = sign_with(&unsigned, suite, &vector_proof_options());
            let report =
                data_integrity::verify_credential(&doc, &did_key_resolver(), &strict).unwrap();
            assert!(report.is_verified(), "{report:?}");
        }
    }
    // Claiming another DID as issuer with our key is refused.
    let mut unsigned = json("unsigned.json");
    unsigned["issuer"] = json!("did:example:university");
    let doc = sign_with(
        &unsigned,
        Cryptosuite::EddsaJcs2022,
        &vector_proof_options(),
    );
    let report = data_integrity::verify_credential(&doc, &did_key_resolver(), &strict).unwrap();
    assert_fails(&report, FailureCode::IssuerMismatch);
}

#[test]
fn signing_needs_a_verification_method_url() {
    for vm in ["", "key-1", "#key-1", "did example"] {
        let options = ProofOptions::assertion(vm, at("2023-02-24T23:36:38Z"));
        assert_eq!(
            data_integrity::sign(
                &json("unsigned.json"),
                Cryptosuite::EddsaJcs2022,
                &options,
                &vector_key()
            ),
            Err(DataIntegrityError::InvalidVerificationMethod),
            "{vm}"
        );
    }
}

#[test]
fn deeply_nested_input_is_refused_without_recursion_trouble() {
    let mut deep = json!("leaf");
    for _ in 0..100 {
        deep = json!({"knows": deep});
    }
    let mut doc = signed(Cryptosuite::EddsaRdfc2022);
    doc["credentialSubject"]["knows"] = deep.clone();
    assert_fails(&verify(&doc), FailureCode::Malformed);
    let vp = data_integrity::verify_presentation(&doc, &did_key_resolver(), "c", "d", &options())
        .unwrap();
    assert!(vp.presentation.has_failure(FailureCode::Malformed));
    doc.as_object_mut().unwrap().remove("proof");
    assert_eq!(
        data_integrity::sign(
            &doc,
            Cryptosuite::EddsaJcs2022,
            &vector_proof_options(),
            &vector_key()
        ),
        Err(DataIntegrityError::TooDeep)
    );
    // Up to the limit, rdfc signing and verification work even from a thread with tokio's
    // default 2 MiB worker stack: at most INLINE_MAX_DEPTH levels on the caller's thread,
    // deeper on a worker with its own large stack.
    for depth in [
        data_integrity::rdfc::INLINE_MAX_DEPTH,
        data_integrity::rdfc::INLINE_MAX_DEPTH + 1,
        data_integrity::MAX_DEPTH,
    ] {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                // Top level, credentialSubject, then the nested objects.
                let mut nested = json!("leaf");
                for _ in 0..(depth - 2) {
                    nested = json!({"knows": nested});
                }
                let mut unsigned = json("unsigned.json");
                unsigned["credentialSubject"]["knows"] = nested;
                let doc = sign_with(
                    &unsigned,
                    Cryptosuite::EddsaRdfc2022,
                    &vector_proof_options(),
                );
                assert!(verify(&doc).is_verified(), "depth {depth}");
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

// ---- eddsa-rdfc-2022 signs the RDF, not the JSON: the JSON a consumer reads must be the
// only way of writing that RDF (VC DI 1.0 section 2.4.1 context validation; the attacks of
// w3c/vc-data-integrity#272) ----

const ISSUER_DEPENDENT: &str = "https://www.w3.org/ns/credentials/issuer-dependent#";

/// A DID-issued credential in this project's issuer form (`decisions/0704`): VC 2.0 plus an
/// inline `@vocab`, one boolean claim, a `validUntil` before the verification time, and an
/// `expires` on the proof, signed with eddsa-rdfc-2022.
fn rdfc_signed_with_vocab(valid_until: &str, expires: Option<&str>) -> Value {
    let unsigned = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            {"@vocab": ISSUER_DEPENDENT}
        ],
        "type": ["VerifiableCredential"],
        "issuer": VECTOR_DID,
        "validFrom": "2024-01-01T00:00:00Z",
        "validUntil": valid_until,
        "credentialSubject": {"id": "did:example:holder", "age_over_16": true},
    });
    let mut options = vector_proof_options();
    options.expires = expires.map(at);
    sign_with(&unsigned, Cryptosuite::EddsaRdfc2022, &options)
}

#[test]
fn rdfc_claims_cannot_be_renamed_by_an_appended_term_definition() {
    let doc = rdfc_signed_with_vocab("2030-01-01T00:00:00Z", None);
    assert!(verify(&doc).is_verified(), "{:?}", verify(&doc));
    // The holder renames the claim and appends a context that maps the new name to the old
    // IRI: the RDF (and so the signature) is unchanged, the JSON says something else.
    let mut forged = doc.clone();
    forged["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!({"age_over_18": format!("{ISSUER_DEPENDENT}age_over_16")}));
    let subject = forged["credentialSubject"].as_object_mut().unwrap();
    let value = subject.remove("age_over_16").unwrap();
    subject.insert("age_over_18".into(), value);
    assert!(!verify(&forged).is_verified(), "relabelled claim verified");
    // The same through a context embedded in the subject.
    let mut forged = doc.clone();
    let subject = forged["credentialSubject"].as_object_mut().unwrap();
    let value = subject.remove("age_over_16").unwrap();
    subject.insert("age_over_18".into(), value);
    subject.insert(
        "@context".into(),
        json!({"age_over_18": format!("{ISSUER_DEPENDENT}age_over_16")}),
    );
    assert!(!verify(&forged).is_verified(), "relabelled claim verified");
}

#[test]
fn rdfc_valid_until_cannot_be_hidden_from_the_json_view() {
    let doc = rdfc_signed_with_vocab("2024-03-01T00:00:00Z", None);
    assert_fails(&verify(&doc), FailureCode::Expired);
    let hide = |rewrite: &dyn Fn(&mut serde_json::Map<String, Value>, Value)| {
        let mut forged = doc.clone();
        let object = forged.as_object_mut().unwrap();
        let until = object.remove("validUntil").unwrap();
        rewrite(object, until);
        forged
    };
    let forgeries = [
        // The property's IRI as the key, with the same typed literal.
        hide(&|o, until| {
            o.insert(
                "https://www.w3.org/2018/credentials#validUntil".into(),
                json!({"@value": until, "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}),
            );
        }),
        // Moved under `@nest`, which JSON-LD folds back into the node.
        hide(&|o, until| {
            o.insert("@nest".into(), json!({ "validUntil": until }));
        }),
    ];
    for forged in forgeries {
        let report = verify(&forged);
        assert!(
            !report.is_verified(),
            "expired credential verified: {forged}"
        );
    }
}

#[test]
fn rdfc_proof_expires_cannot_be_hidden_from_the_json_view() {
    let doc = rdfc_signed_with_vocab("2030-01-01T00:00:00Z", Some("2024-03-01T00:00:00Z"));
    assert_fails(&verify(&doc), FailureCode::Expired);
    let mut forged = doc.clone();
    let proof = forged["proof"].as_object_mut().unwrap();
    let expires = proof.remove("expires").unwrap();
    proof.insert(
        "https://w3id.org/security#expiration".into(),
        json!({"@value": expires, "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}),
    );
    assert!(!verify(&forged).is_verified(), "expired proof verified");
}

#[test]
fn rdfc_unsigned_empty_claims_are_refused() {
    let doc = rdfc_signed_with_vocab("2030-01-01T00:00:00Z", None);
    // `[]` and `null` produce no RDF: a claim added this way is not signed by anyone.
    for unsigned in [json!([]), Value::Null] {
        let mut forged = doc.clone();
        forged["credentialSubject"]["age_over_18"] = unsigned.clone();
        assert!(
            !verify(&forged).is_verified(),
            "unsigned claim {unsigned} verified"
        );
    }
}

/// RFC 8785 section 3.2.2.3 serializes every number as an IEEE 754 double, and its input
/// must be I-JSON (RFC 7493 section 2.2: integers within +-(2^53 - 1)). Beyond that, distinct
/// integers that JSON consumers read exactly canonicalize to the same text: a claim signed
/// as 9007199254740992 would verify as 9007199254740993.
#[test]
fn jcs_integers_beyond_i_json_precision_are_refused() {
    let mut unsigned = json("unsigned.json");
    unsigned["credentialSubject"]["memberNumber"] = json!(9_007_199_254_740_992.0_f64);
    let doc = sign_with(
        &unsigned,
        Cryptosuite::EddsaJcs2022,
        &vector_proof_options(),
    );
    // The control: the signed form verifies (the examples context's @vocab defines the term).
    assert!(verify(&doc).is_verified(), "{:?}", verify(&doc));
    let mut forged = doc.clone();
    forged["credentialSubject"]["memberNumber"] = json!(9_007_199_254_740_993_u64);
    assert_eq!(
        forged["credentialSubject"]["memberNumber"].as_u64(),
        Some(9_007_199_254_740_993)
    );
    assert_fails(&verify(&forged), FailureCode::Malformed);
    // The largest exact integer is fine; one beyond cannot be signed either.
    let mut safe = json("unsigned.json");
    safe["credentialSubject"]["memberNumber"] = json!(9_007_199_254_740_991_u64);
    let signed = sign_with(&safe, Cryptosuite::EddsaJcs2022, &vector_proof_options());
    assert!(verify(&signed).is_verified());
    for unsafe_integer in [
        json!(9_007_199_254_740_992_u64),
        json!(-9_007_199_254_740_992_i64),
    ] {
        let mut unsafe_doc = json("unsigned.json");
        unsafe_doc["credentialSubject"]["memberNumber"] = unsafe_integer;
        assert_eq!(
            data_integrity::sign(
                &unsafe_doc,
                Cryptosuite::EddsaJcs2022,
                &vector_proof_options(),
                &vector_key()
            ),
            Err(DataIntegrityError::Jcs)
        );
    }
}
