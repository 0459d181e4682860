//! Issues one SD-JWT VC age credential for the end-to-end receive test: signed by a freshly
//! generated issuer `did:key`, bound (`cnf.jwk`) to the holder key given as a JWK (from the
//! wallet's proof of possession), every holder claim selectively disclosable.
//!
//! It uses the shared `credentials` library, as the `issuer` service does; the test's few
//! lines of HTTP server call it for the credential endpoint, standing in for the issuer
//! service until that is used here.
//!
//! `cargo run -p desktop --example issue_credential -- '{"kty":"OKP",...}'` prints the
//! compact SD-JWT.

use std::error::Error;

use chrono::{Duration, Utc};
use credentials::sd_jwt::{ClaimPath, SdJwtVcOptions, issue_sd_jwt_vc};
use credentials::{Ed25519SigningKey, PublicKey, Signer};
use serde_json::{Map, Value, json};

fn main() -> Result<(), Box<dyn Error>> {
    let jwk: Value = serde_json::from_str(
        &std::env::args()
            .nth(1)
            .ok_or("usage: issue_credential HOLDER_JWK")?,
    )?;
    let holder = PublicKey::from_jwk(&jwk)?;
    let rng = &mut rand_core::OsRng;
    let issuer_key = Ed25519SigningKey::generate(rng);
    let multikey = issuer_key.public_key().to_multikey();
    let issuer = format!("did:key:{multikey}");
    let now = Utc::now();
    let mut options = SdJwtVcOptions::new("https://credentials.example.com/AgeCredential");
    options.iss = Some(issuer.clone());
    options.kid = Some(format!("{issuer}#{multikey}"));
    options.iat = Some(now);
    options.exp = Some(now + Duration::days(365));
    options.cnf = Some(holder);
    let mut claims = Map::new();
    claims.insert("given_name".into(), json!("Erika"));
    claims.insert("birthdate".into(), json!("1990-01-31"));
    claims.insert("age_over_18".into(), json!(true));
    claims.insert("age_over_21".into(), json!(true));
    let disclosable: Vec<ClaimPath> = claims.keys().map(|k| ClaimPath::keys([k])).collect();
    let signer: &dyn Signer = &issuer_key;
    let issued = issue_sd_jwt_vc(claims, &disclosable, &options, signer, rng)?;
    println!("{}", issued.as_str());
    Ok(())
}
