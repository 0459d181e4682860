//! W3C VC Data Integrity EdDSA Cryptosuites v1.0 test vectors (`TestVectors/`), byte for
//! byte: each test is named after the vector file it reproduces.

use credentials::Signer as _;
use credentials::data_integrity::{
    self, CanonicalizationLimits, Cryptosuite, TransformedData, encode_proof_value,
};

use super::common::*;

fn transformed(suite: Cryptosuite, proof_config_file: &str) -> TransformedData {
    data_integrity::transform(
        suite,
        &json("unsigned.json"),
        &json(proof_config_file),
        &CanonicalizationLimits::default(),
    )
    .unwrap()
}

fn rdfc() -> TransformedData {
    transformed(
        Cryptosuite::EddsaRdfc2022,
        "eddsa-rdfc-2022/proofConfigDataInt.json",
    )
}

fn jcs() -> TransformedData {
    transformed(
        Cryptosuite::EddsaJcs2022,
        "eddsa-jcs-2022/proofConfigJCS.json",
    )
}

#[test]
fn key_pair_json_public_key_matches_private_key() {
    assert_eq!(
        vector_key().public_key().to_multikey(),
        json("keyPair.json")["publicKeyMultibase"]
    );
    assert_eq!(
        VECTOR_VM.split('#').next().unwrap(),
        VECTOR_DID,
        "did:key verification method"
    );
}

// ---- eddsa-rdfc-2022 (section 3.2) ----

#[test]
fn eddsa_rdfc_2022_proof_config_data_int_json() {
    let config = data_integrity::proof_configuration(
        Cryptosuite::EddsaRdfc2022,
        &vector_proof_options(),
        &json("unsigned.json"),
    );
    assert_eq!(config, json("eddsa-rdfc-2022/proofConfigDataInt.json"));
}

#[test]
fn eddsa_rdfc_2022_canon_doc_data_int_txt() {
    assert_eq!(
        rdfc().canonical_document,
        text("eddsa-rdfc-2022/canonDocDataInt.txt")
    );
}

#[test]
fn eddsa_rdfc_2022_proof_canon_data_int_txt() {
    assert_eq!(
        rdfc().canonical_proof_config,
        text("eddsa-rdfc-2022/proofCanonDataInt.txt")
    );
}

#[test]
fn eddsa_rdfc_2022_doc_hash_data_int_txt() {
    assert_eq!(
        hex::encode(rdfc().document_hash()),
        text("eddsa-rdfc-2022/docHashDataInt.txt")
    );
}

#[test]
fn eddsa_rdfc_2022_proof_hash_data_int_txt() {
    assert_eq!(
        hex::encode(rdfc().proof_config_hash()),
        text("eddsa-rdfc-2022/proofHashDataInt.txt")
    );
}

#[test]
fn eddsa_rdfc_2022_combined_hash_data_int_txt() {
    assert_eq!(
        hex::encode(rdfc().hash_data()),
        text("eddsa-rdfc-2022/combinedHashDataInt.txt")
    );
}

#[test]
fn eddsa_rdfc_2022_sig_hex_data_int_txt() {
    let signature = vector_key().sign(&rdfc().hash_data());
    assert_eq!(
        hex::encode(signature),
        text("eddsa-rdfc-2022/sigHexDataInt.txt")
    );
}

#[test]
fn eddsa_rdfc_2022_sig_btc58_data_int_txt() {
    let signature = vector_key().sign(&rdfc().hash_data());
    assert_eq!(
        encode_proof_value(&signature),
        text("eddsa-rdfc-2022/sigBTC58DataInt.txt")
    );
}

#[test]
fn eddsa_rdfc_2022_signed_data_int_json_is_reproduced() {
    assert_eq!(
        signed(Cryptosuite::EddsaRdfc2022),
        json("eddsa-rdfc-2022/signedDataInt.json")
    );
}

#[test]
fn eddsa_rdfc_2022_signed_data_int_json_verifies() {
    let report = data_integrity::verify_credential(
        &json("eddsa-rdfc-2022/signedDataInt.json"),
        &did_key_resolver(),
        &options(),
    )
    .unwrap();
    assert!(report.is_verified(), "{report:?}");
}

// ---- eddsa-jcs-2022 (section 3.3) ----

#[test]
fn eddsa_jcs_2022_proof_config_jcs_json() {
    let config = data_integrity::proof_configuration(
        Cryptosuite::EddsaJcs2022,
        &vector_proof_options(),
        &json("unsigned.json"),
    );
    assert_eq!(config, json("eddsa-jcs-2022/proofConfigJCS.json"));
}

#[test]
fn eddsa_jcs_2022_canon_doc_jcs_txt() {
    assert_eq!(
        jcs().canonical_document,
        text("eddsa-jcs-2022/canonDocJCS.txt")
    );
}

#[test]
fn eddsa_jcs_2022_proof_canon_jcs_txt() {
    assert_eq!(
        jcs().canonical_proof_config,
        text("eddsa-jcs-2022/proofCanonJCS.txt")
    );
}

#[test]
fn eddsa_jcs_2022_doc_hash_jcs_txt() {
    assert_eq!(
        hex::encode(jcs().document_hash()),
        text("eddsa-jcs-2022/docHashJCS.txt")
    );
}

#[test]
fn eddsa_jcs_2022_proof_hash_jcs_txt() {
    assert_eq!(
        hex::encode(jcs().proof_config_hash()),
        text("eddsa-jcs-2022/proofHashJCS.txt")
    );
}

#[test]
fn eddsa_jcs_2022_combined_hash_jcs_txt() {
    assert_eq!(
        hex::encode(jcs().hash_data()),
        text("eddsa-jcs-2022/combinedHashJCS.txt")
    );
}

#[test]
fn eddsa_jcs_2022_sig_hex_jcs_txt() {
    let signature = vector_key().sign(&jcs().hash_data());
    assert_eq!(hex::encode(signature), text("eddsa-jcs-2022/sigHexJCS.txt"));
}

#[test]
fn eddsa_jcs_2022_sig_btc58_jcs_txt() {
    let signature = vector_key().sign(&jcs().hash_data());
    assert_eq!(
        encode_proof_value(&signature),
        text("eddsa-jcs-2022/sigBTC58JCS.txt")
    );
}

#[test]
fn eddsa_jcs_2022_signed_jcs_json_is_reproduced() {
    assert_eq!(
        signed(Cryptosuite::EddsaJcs2022),
        json("eddsa-jcs-2022/signedJCS.json")
    );
}

#[test]
fn eddsa_jcs_2022_signed_jcs_json_verifies() {
    let report = data_integrity::verify_credential(
        &json("eddsa-jcs-2022/signedJCS.json"),
        &did_key_resolver(),
        &options(),
    )
    .unwrap();
    assert!(report.is_verified(), "{report:?}");
}

/// RFC 8785 section 3.2.3 sorts member names by UTF-16 code units: U+FB33 (one unit,
/// 0xFB33) sorts *after* U+1F600 (surrogates 0xD83D 0xDE00), though UTF-8 byte order puts it
/// first. A UTF-8 sort (serde_jcs) gets this wrong.
#[test]
fn rfc8785_sorts_keys_by_utf16_code_units() {
    let value = serde_json::json!({"\u{fb33}": 1, "\u{1f600}": 2, "a": 3});
    assert_eq!(
        data_integrity::jcs(&value).unwrap(),
        "{\"a\":3,\"\u{1f600}\":2,\"\u{fb33}\":1}"
    );
}
