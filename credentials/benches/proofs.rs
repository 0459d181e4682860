//! In-process cost of the proof formats, against the raw Ed25519 bound on the same machine.
//!
//! Groups (read by `scripts/bench`, which turns the means into operations per second per core):
//! - `ed25519/{sign,verify}`: `ed25519-dalek` alone on a 64-byte message (the physical bound).
//! - `sd_jwt/{issue,verify_kb}`: issue one SD-JWT VC (two disclosable claims, holder `cnf`);
//!   verify one presentation with a KB-JWT (issuer JWT + KB-JWT: two signature checks).
//! - `sd_jwt_parts/*`: the breakdown of `verify_kb` (parse, digests), for the note on misses.
//! - `di/{issue,verify}_{jcs,rdfc}`: sign / verify one VC 2.0 credential with `eddsa-jcs-2022`
//!   and `eddsa-rdfc-2022` (the W3C vector credential, issued by a `did:key`).
//!
//! Each benchmark runs on one thread, so `1 / mean` is the per-core rate.

// Benchmarks build fixtures that are known to be valid: a failure is a broken fixture and
// should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use credentials::data_integrity::{self, Cryptosuite, ProofOptions, VerifyOptions};
use credentials::sd_jwt::{
    self, ClaimPath, IssuerKey, KeyBindingPolicy, SdJwt, SdJwtVcOptions, VerifyOptions as SdOpts,
};
use credentials::{
    Ed25519SigningKey, KeyResolutionError, KeyResolver, PublicKey, Relationship, Signer as _,
};
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
use rand_core::OsRng;
use serde_json::{Value, json};

/// A did:key resolver for one key (did:key lists its key under every relationship).
struct OneKey {
    vm: String,
    key: PublicKey,
}

impl KeyResolver for OneKey {
    fn resolve_key(&self, vm: &str, _: Relationship) -> Result<PublicKey, KeyResolutionError> {
        if vm == self.vm {
            Ok(self.key.clone())
        } else {
            Err(KeyResolutionError::NotFound)
        }
    }
}

fn raw_ed25519(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let public = key.verifying_key();
    let message = [0x42u8; 64];
    let signature = key.sign(&message);
    let mut g = c.benchmark_group("ed25519");
    g.bench_function("sign", |b| b.iter(|| key.sign(black_box(&message))));
    g.bench_function("verify", |b| {
        b.iter(|| public.verify(black_box(&message), black_box(&signature)))
    });
    g.finish();
}

fn sd_jwt_vc(c: &mut Criterion) {
    let issuer = Ed25519SigningKey::from_seed(&[1; 32]);
    let holder = Ed25519SigningKey::from_seed(&[2; 32]);
    let issuer_public = issuer.public_key();
    let now = Utc::now();
    let mut options = SdJwtVcOptions::new("https://example.org/age");
    options.iss = Some("https://issuer.example".into());
    options.iat = Some(now);
    options.exp = Some(now + TimeDelta::days(365));
    options.cnf = Some(holder.public_key());
    let claims = json!({"age_over_21": true, "given_name": "Alice", "family_name": "Doe"});
    let claims = claims.as_object().cloned().unwrap();
    let disclosable = [
        ClaimPath::keys(["age_over_21"]),
        ClaimPath::keys(["given_name"]),
    ];
    let issue = || {
        sd_jwt::issue_sd_jwt_vc(claims.clone(), &disclosable, &options, &issuer, &mut OsRng)
            .unwrap()
    };
    let credential = issue();
    let (aud, nonce) = ("https://verifier.example", "n-0S6_WzA2Mj");
    let presentation = SdJwt::parse(credential.as_str())
        .unwrap()
        .present_with_key_binding(&disclosable[..1], &holder, aud, nonce, now)
        .unwrap();
    let verify_options = SdOpts::sd_jwt_vc(
        now,
        KeyBindingPolicy::Required {
            audience: aud.into(),
            nonce: nonce.into(),
        },
    );
    let verify =
        |p: &str| sd_jwt::verify(p, IssuerKey::Pinned(&issuer_public), &verify_options).unwrap();
    assert!(verify(&presentation).is_key_bound(), "fixture must verify");

    let mut g = c.benchmark_group("sd_jwt");
    g.bench_function("issue", |b| b.iter(issue));
    g.bench_function("verify_kb", |b| b.iter(|| verify(black_box(&presentation))));
    g.finish();

    // Breakdown: what verify_kb spends besides the two signature checks.
    let mut g = c.benchmark_group("sd_jwt_parts");
    g.bench_function("parse", |b| {
        b.iter(|| SdJwt::parse(black_box(&presentation)).unwrap())
    });
    g.bench_function("sha256_sd_hash", |b| {
        b.iter(|| sd_jwt::HashAlg::Sha256.encoded_digest(black_box(&presentation)))
    });
    g.finish();
}

fn data_integrity(c: &mut Criterion) {
    let key = Ed25519SigningKey::from_seed(&[3; 32]);
    let multikey = key.public_key().to_multikey();
    let did = format!("did:key:{multikey}");
    let vm = format!("{did}#{multikey}");
    let resolver = OneKey {
        vm: vm.clone(),
        key: key.public_key(),
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/vectors/vc-di-eddsa/unsigned.json"
    );
    let mut unsigned: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    unsigned["issuer"] = Value::String(did);
    let now = Utc::now();
    let proof_options = ProofOptions::assertion(vm, now);
    let verify_options = VerifyOptions::new(now + TimeDelta::seconds(1));

    let mut g = c.benchmark_group("di");
    for (name, suite) in [
        ("jcs", Cryptosuite::EddsaJcs2022),
        ("rdfc", Cryptosuite::EddsaRdfc2022),
    ] {
        let sign = || data_integrity::sign(&unsigned, suite, &proof_options, &key).unwrap();
        let signed = sign();
        let verify = |doc: &Value| {
            data_integrity::verify_credential(doc, &resolver, &verify_options).unwrap()
        };
        assert!(verify(&signed).is_verified(), "{name} fixture must verify");
        g.bench_function(format!("issue_{name}"), |b| b.iter(sign));
        g.bench_function(format!("verify_{name}"), |b| {
            b.iter(|| verify(black_box(&signed)))
        });
    }
    g.finish();

    // Breakdown of the JCS path: canonicalization alone.
    let signed =
        data_integrity::sign(&unsigned, Cryptosuite::EddsaJcs2022, &proof_options, &key).unwrap();
    let mut g = c.benchmark_group("di_parts");
    g.bench_function("jcs_canonicalize", |b| {
        b.iter(|| data_integrity::jcs(black_box(&signed)).unwrap())
    });
    g.bench_function("clone_document", |b| b.iter(|| black_box(&signed).clone()));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = raw_ed25519, sd_jwt_vc, data_integrity
}
criterion_main!(benches);
