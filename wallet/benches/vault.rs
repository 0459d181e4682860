//! Wallet unlock (Argon2id at the default 64 MiB / 3 passes / 4 lanes, by design the bulk of
//! it) and vault save time with 1,000 credentials held.
//!
//! Groups (read by `scripts/bench`):
//! - `wallet/unlock_1000`: `Wallet::open` of a vault holding 1,000 credentials (read, KDF,
//!   decrypt, parse), then lock.
//! - `wallet/save_1000`: `Wallet::store_credential` into that vault: the whole vault is
//!   re-serialized, re-encrypted and written atomically (fsync) before it returns.
//! - `wallet_parts/argon2id_default`: the KDF alone at the default parameters, the bound of
//!   the unlock.

// Benchmarks build fixtures that are known to be valid: a failure is a broken fixture and
// should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use credentials::sd_jwt::{self, ClaimPath, SdJwtVcOptions};
use credentials::{Ed25519SigningKey, Signer as _};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use rand_core::OsRng;
use serde_json::{Value, json};
use wallet::{CredentialFormat, KdfParams, NewCredential, Passphrase, VaultConfig, Wallet};

const CREDENTIALS: usize = 1000;

fn new_credential(compact: &str) -> NewCredential {
    NewCredential {
        format: CredentialFormat::DcSdJwt,
        credential: Value::String(compact.to_owned()),
        issuer: "https://issuer.example".into(),
        types: vec!["https://example.org/identity".into()],
        claims: json!({"given_name": "Alice", "family_name": "Doe", "birthdate": "1990-01-01",
            "age_over_18": true, "age_over_21": true, "nationality": "FR"}),
        holder_key: None,
    }
}

fn vault(c: &mut Criterion) {
    // One real SD-JWT VC (about 1 KiB), stored 1,000 times.
    let issuer = Ed25519SigningKey::from_seed(&[1; 32]);
    let holder = Ed25519SigningKey::from_seed(&[2; 32]);
    let mut options = SdJwtVcOptions::new("https://example.org/identity");
    options.iss = Some("https://issuer.example".into());
    options.iat = Some(Utc::now());
    options.cnf = Some(holder.public_key());
    let claims = json!({"given_name": "Alice", "family_name": "Doe", "birthdate": "1990-01-01",
        "age_over_18": true, "age_over_21": true, "nationality": "FR"});
    let paths: Vec<ClaimPath> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(|k| ClaimPath::keys([k.as_str()]))
        .collect();
    let compact = sd_jwt::issue_sd_jwt_vc(
        claims.as_object().cloned().unwrap(),
        &paths,
        &options,
        &issuer,
        &mut OsRng,
    )
    .unwrap()
    .into_string();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.vault");
    let passphrase = Passphrase::new("correct horse battery staple, benchmarked".into());
    let config = VaultConfig::default();
    {
        let mut w = Wallet::create(&path, &passphrase, &config, Utc::now()).unwrap();
        for _ in 0..CREDENTIALS {
            w.store_credential(new_credential(&compact), &mut OsRng, Utc::now())
                .unwrap();
        }
        w.lock();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!("vault with {CREDENTIALS} credentials: {size} bytes");

    let mut g = c.benchmark_group("wallet");
    // Slow iterations: the same count per sample rather than 1, 2, ... 10.
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("unlock_1000", |b| {
        b.iter(|| Wallet::open(&path, &passphrase, &config).unwrap().lock())
    });
    let mut w = Wallet::open(&path, &passphrase, &config).unwrap();
    // Timed: storing the 1,001st credential. Untimed: removing it again, so every sample
    // saves a vault of the same size.
    g.bench_function("save_1000", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let credential = new_credential(&compact);
                let start = Instant::now();
                let id = w
                    .store_credential(credential, &mut OsRng, Utc::now())
                    .unwrap();
                total += start.elapsed();
                w.remove_credential(&id).unwrap();
            }
            total
        })
    });
    g.finish();
    w.lock();

    // The bound of the unlock: Argon2id alone at the default parameters.
    let p = KdfParams::DEFAULT;
    let params = argon2::Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32)).unwrap();
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut g = c.benchmark_group("wallet_parts");
    // Slow iterations: the same count per sample rather than 1, 2, ... 10.
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("argon2id_default", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            kdf.hash_password_into(passphrase.as_bytes(), &[9u8; 16], &mut out)
                .unwrap();
            out
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = vault
}
criterion_main!(benches);
