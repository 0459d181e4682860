//! Shared helpers.

use std::path::Path;

use chrono::{DateTime, TimeZone as _, Utc};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::json;
use wallet::{CredentialFormat, NewCredential, Passphrase, VaultConfig, Wallet};

pub const PASS: &str = "correct horse battery";

pub fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned())
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap()
}

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub const TEST_CONFIG: VaultConfig = VaultConfig::insecure_for_tests();

pub fn new_wallet(path: &Path) -> Wallet {
    Wallet::create(path, &pass(PASS), &TEST_CONFIG, now()).unwrap()
}

/// An SD-JWT-shaped credential record (the wallet stores what it is given; verification is
/// the receive flow's job).
pub fn sd_jwt_credential(given_name: &str) -> NewCredential {
    NewCredential {
        format: CredentialFormat::DcSdJwt,
        credential: json!(format!(
            "eyJhbGciOiJFZERTQSJ9.eyJ2Y3QiOiJwaWQifQ.c2ln~disclosure-{given_name}~"
        )),
        issuer: "https://issuer.example".into(),
        types: vec!["urn:eudi:pid:1".into()],
        claims: json!({"given_name": given_name, "family_name": "Mustermann", "birthdate": "1990-01-01"}),
        holder_key: None,
    }
}
