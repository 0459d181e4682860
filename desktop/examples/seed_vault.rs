//! Writes a wallet for the end-to-end tests' credential, detail and history screens: one
//! real SD-JWT VC (an age credential signed by a freshly generated issuer `did:key`, bound to
//! a holder key the wallet generated) and two history entries (one shared, one declined).
//!
//! It uses the wallet and credentials libraries exactly as receiving and presenting do; only
//! the issuer and verifier are stand-ins, because their services are not part of this test.
//!
//! `WALLET_PASSPHRASE=... cargo run -p desktop --example seed_vault -- PATH/wallet.vault`

use std::error::Error;
use std::path::PathBuf;

use chrono::{Duration, Utc};
use credentials::sd_jwt::{ClaimPath, SdJwtVcOptions, issue_sd_jwt_vc};
use credentials::{Ed25519SigningKey, Signer};
use serde_json::{Map, Value, json};
use wallet::{
    CredentialFormat, DidMethod, NewCredential, Passphrase, PresentationOutcome,
    PresentationRecord, SharedCredential, VaultConfig, Wallet,
};

fn main() -> Result<(), Box<dyn Error>> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: seed_vault VAULT_PATH")?,
    );
    let passphrase = Passphrase::new(std::env::var("WALLET_PASSPHRASE")?);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let now = Utc::now();
    let rng = &mut rand_core::OsRng;
    let mut wallet = Wallet::create(&path, &passphrase, &VaultConfig::default(), now)?;
    let holder = wallet.generate_holder_key(DidMethod::Key, rng, now)?;

    let issuer_key = Ed25519SigningKey::generate(rng);
    let multikey = issuer_key.public_key().to_multikey();
    let issuer = format!("did:key:{multikey}");
    let vct = "https://credentials.example.com/AgeCredential";
    let mut options = SdJwtVcOptions::new(vct);
    options.iss = Some(issuer.clone());
    options.kid = Some(format!("{issuer}#{multikey}"));
    options.iat = Some(now - Duration::days(30));
    options.exp = Some(now + Duration::days(335));
    options.cnf = Some(holder.public_key.clone());
    let mut claims = Map::new();
    claims.insert("given_name".into(), json!("Erika"));
    claims.insert("family_name".into(), json!("Mustermann"));
    claims.insert("birthdate".into(), json!("1990-01-31"));
    claims.insert("age_over_18".into(), json!(true));
    claims.insert("age_over_21".into(), json!(true));
    let disclosable: Vec<ClaimPath> = claims.keys().map(|k| ClaimPath::keys([k])).collect();
    let signer: &dyn Signer = &issuer_key;
    let issued = issue_sd_jwt_vc(claims.clone(), &disclosable, &options, signer, rng)?;

    // The claims as the wallet keeps them after verifying: the registered claims and the
    // holder's.
    let mut stored = Map::new();
    stored.insert("iss".into(), json!(issuer));
    for (name, time) in [("iat", options.iat), ("exp", options.exp)] {
        if let Some(time) = time {
            stored.insert(name.into(), json!(time.timestamp()));
        }
    }
    stored.insert("vct".into(), json!(vct));
    stored.insert("cnf".into(), json!({"jwk": holder.public_key.to_jwk()}));
    stored.extend(claims);
    let id = wallet.store_credential(
        NewCredential {
            format: CredentialFormat::DcSdJwt,
            credential: Value::String(issued.into_string()),
            issuer: issuer.clone(),
            types: vec![vct.into()],
            claims: Value::Object(stored),
            holder_key: Some(holder.id.clone()),
        },
        rng,
        now,
    )?;

    let withheld = |except: &str| -> Vec<String> {
        [
            "given_name",
            "family_name",
            "birthdate",
            "age_over_18",
            "age_over_21",
        ]
        .iter()
        .filter(|c| **c != except)
        .map(|c| (*c).to_owned())
        .collect()
    };
    wallet.record_presentation(PresentationRecord {
        at: now - Duration::days(2),
        verifier: "decentralized_identifier:did:web:shop.example.com".into(),
        verifier_proven_by: "decentralized_identifier".into(),
        response_uri: "https://shop.example.com/openid4vp/response".into(),
        shared: vec![SharedCredential {
            credential: id.clone(),
            disclosed: vec!["age_over_21".into()],
            withheld: withheld("age_over_21"),
        }],
        outcome: PresentationOutcome::Sent,
    })?;
    wallet.record_presentation(PresentationRecord {
        at: now - Duration::hours(3),
        verifier: "decentralized_identifier:did:web:bar.example.org".into(),
        verifier_proven_by: "decentralized_identifier".into(),
        response_uri: "https://bar.example.org/openid4vp/response".into(),
        shared: vec![SharedCredential {
            credential: id,
            disclosed: Vec::new(),
            withheld: withheld(""),
        }],
        outcome: PresentationOutcome::Declined,
    })?;
    wallet.lock();
    Ok(())
}
