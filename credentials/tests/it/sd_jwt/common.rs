//! Shared fixtures.

use chrono::{DateTime, Utc};
use credentials::jose::sign_compact;
use credentials::keys::{Ed25519SigningKey, P256SigningKey, Signer};
use credentials::sd_jwt::{
    ClaimPath, Decoys, IssuedSdJwt, KeyBindingPolicy, SdJwtVcOptions, VerifyOptions,
    issue_sd_jwt_vc,
};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

pub const VERIFIER: &str = "https://verifier.example";
pub const NONCE: &str = "n-0S6_WzA2Mj";
pub const ISSUED: i64 = 1_750_000_000;

pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

pub fn rng() -> StdRng {
    StdRng::seed_from_u64(7)
}

pub fn issuer_key() -> Ed25519SigningKey {
    Ed25519SigningKey::from_seed(&[1; 32])
}

pub fn holder_key() -> Ed25519SigningKey {
    Ed25519SigningKey::from_seed(&[2; 32])
}

pub fn es256_holder_key() -> P256SigningKey {
    P256SigningKey::from_bytes(&[3; 32]).unwrap()
}

pub fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

pub fn path(keys: &[&str]) -> ClaimPath {
    ClaimPath::keys(keys.iter().copied())
}

/// A PID-like claim set.
pub fn person() -> Map<String, Value> {
    obj(json!({
        "given_name": "Erika",
        "family_name": "Mustermann",
        "address": {"street_address": "Heidestr. 17", "locality": "Köln", "country": "DE"},
        "nationalities": ["DE", "FR"],
    }))
}

pub fn person_disclosable() -> Vec<ClaimPath> {
    vec![
        path(&["given_name"]),
        path(&["family_name"]),
        path(&["address"]),
        path(&["address", "locality"]),
        path(&["nationalities"]).all_elements(),
    ]
}

pub fn vc_options(holder: &dyn Signer) -> SdJwtVcOptions {
    let mut options = SdJwtVcOptions::new("https://credentials.example/identity_credential");
    options.iss = Some("https://issuer.example".into());
    options.iat = Some(at(ISSUED));
    options.exp = Some(at(ISSUED + 365 * 86_400));
    options.cnf = Some(holder.public_key());
    options.decoys = Decoys::UpTo(3);
    options
}

/// An SD-JWT VC of [`person`] bound to [`holder_key`].
pub fn issued() -> IssuedSdJwt {
    issue_sd_jwt_vc(
        person(),
        &person_disclosable(),
        &vc_options(&holder_key()),
        &issuer_key(),
        &mut rng(),
    )
    .unwrap()
}

pub fn required_kb() -> KeyBindingPolicy {
    KeyBindingPolicy::Required {
        audience: VERIFIER.into(),
        nonce: NONCE.into(),
    }
}

/// SD-JWT VC options with key binding required, at `ISSUED + 60`.
pub fn vc_verify_options() -> VerifyOptions {
    VerifyOptions::sd_jwt_vc(at(ISSUED + 60), required_kb())
}

/// Signs an arbitrary issuer-JWT payload (for hand-crafted malformed SD-JWTs).
pub fn sign_issuer_jwt(header: Value, payload: Value, signer: &dyn Signer) -> String {
    sign_compact(obj(header), &obj(payload), signer)
}

/// `[salt, name, value]` or `[salt, value]` as a disclosure string.
pub fn disclosure(parts: Value) -> String {
    credentials::base64url::encode(parts.to_string())
}

pub fn digest(disclosure: &str) -> String {
    credentials::sd_jwt::HashAlg::Sha256.encoded_digest(disclosure)
}
