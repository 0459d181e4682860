//! Bad inputs from security.md ("HTTP services", "Storage", "Keys and secrets"): stable JSON
//! errors, no state change, refusal to start insecurely, no secrets or personal data in logs.

use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use issuer::{AppState, Error, system_clock};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn oversized_bodies_are_413_with_a_json_error() {
    let issuer = TestIssuer::with(|c| c.limits.body_bytes = 1024);
    let big = json!({"credential_configuration_id": "proof_of_age_sd_jwt", "claims": {"given_name": "x".repeat(4096)}});
    let r = issuer.admin_post("/admin/offers", big).await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let r = issuer
        .call(form(
            "/token",
            &[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                ),
                ("pre-authorized_code", &"a".repeat(4096)),
            ],
        ))
        .await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn malformed_json_deep_nesting_huge_numbers_and_bad_utf8_are_400() {
    let issuer = TestIssuer::new();
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("syntax", b"{\"credential_configuration_id\": ".to_vec()),
        ("deep", deep.into_bytes()),
        (
            "huge number",
            b"{\"credential_configuration_id\": \"a\", \"claims\": {\"n\": 1e999999}}".to_vec(),
        ),
        (
            "bad utf8",
            b"{\"credential_configuration_id\": \"\xff\xfe\", \"claims\": {}}".to_vec(),
        ),
        ("wrong shape", b"[1,2,3]".to_vec()),
        ("empty", Vec::new()),
    ];
    for (name, body) in cases {
        let r = issuer
            .call(raw(
                Method::POST,
                "/admin/offers",
                Some(ADMIN),
                "application/json",
                body.clone(),
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text());
        assert_eq!(r.json()["code"], "invalid_request", "{name}");
        let r = issuer
            .call(raw(
                Method::POST,
                "/credential",
                Some("t"),
                "application/json",
                body,
            ))
            .await;
        assert!(r.status.is_client_error(), "{name}");
        assert!(r.json()["code"].is_string());
    }
    // No offer was created by any of them.
    let audit = issuer.admin_get("/admin/audit").await.json();
    assert!(
        !audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "offer.create")
    );
    // Wrong media type.
    let r = issuer
        .call(raw(
            Method::POST,
            "/admin/offers",
            Some(ADMIN),
            "text/plain",
            b"{}".to_vec(),
        ))
        .await;
    r.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_stable_json() {
    let issuer = TestIssuer::new();
    issuer
        .get("/nope", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    issuer
        .call(request(Method::DELETE, "/admin/offers", Some(ADMIN), None))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    issuer
        .call(request(Method::GET, "/token", None, None))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let h = issuer.get("/health", None).await;
    assert_eq!(h.json()["status"], "ok");
    let spec = issuer.get("/openapi.json", None).await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    for path in [
        "/admin/offers",
        "/credential",
        "/token",
        "/credentials/issue",
        "/admin/credentials/{id}/revoke",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
}

#[test]
fn refuses_to_start_without_an_admin_credential_or_with_a_weak_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), PUBLIC_URL);
    c.admin_token = None;
    assert!(matches!(
        AppState::open(c.clone(), system_clock()),
        Err(Error::NoAdminCredential)
    ));
    c.admin_token = Some(zeroize::Zeroizing::new("short".into()));
    assert!(matches!(
        AppState::open(c.clone(), system_clock()),
        Err(Error::WeakAdminToken)
    ));
    // A CLI-created token is enough; it authenticates with its role.
    c.admin_token = None;
    let (id, token) =
        issuer::create_token_offline(&c.data_dir, issuer::store::Role::Admin, "ops", 0).unwrap();
    assert!(id.starts_with("tok_"));
    let state = AppState::open(c, system_clock()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = call(
            &issuer::app(state),
            request(Method::GET, "/admin/identity", Some(&token), None),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    });
    // The token is stored hashed only.
    let file = std::fs::read(issuer::store::RedbStore::path(&dir.path().join("data"))).unwrap();
    assert!(!file.windows(token.len()).any(|w| w == token.as_bytes()));
}

#[test]
fn refuses_to_start_with_a_wrong_key_secret_or_a_damaged_store() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), PUBLIC_URL);
    drop(AppState::open(c.clone(), system_clock()).unwrap());
    // Another key file.
    let other = dir.path().join("other.key");
    issuer::keyring::KeySecret::create_key_file(&other).unwrap();
    let mut wrong = c.clone();
    wrong.key_secret = issuer::KeySecretSource::KeyFile(other);
    assert!(matches!(
        AppState::open(wrong, system_clock()),
        Err(Error::Keyring(issuer::keyring::KeyringError::WrongSecret))
    ));
    // A passphrase instead of the key file.
    let mut pass = c.clone();
    pass.key_secret = issuer::KeySecretSource::Passphrase(zeroize::Zeroizing::new(
        "a long passphrase here".into(),
    ));
    assert!(matches!(
        AppState::open(pass, system_clock()),
        Err(Error::Keyring(
            issuer::keyring::KeyringError::SecretKindMismatch { .. }
        ))
    ));
    // Damaged database: refused, file untouched.
    let path = issuer::store::RedbStore::path(&c.data_dir);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..512].fill(0x5a);
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        AppState::open(c, system_clock()),
        Err(Error::Store(_))
    ));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn passphrase_protected_keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), PUBLIC_URL);
    c.key_secret = issuer::KeySecretSource::Passphrase(zeroize::Zeroizing::new(
        "correct horse battery staple".into(),
    ));
    let did = AppState::open(c.clone(), system_clock())
        .unwrap()
        .identity()
        .did
        .clone();
    assert_eq!(
        AppState::open(c, system_clock()).unwrap().identity().did,
        did
    );
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn logs_carry_no_tokens_codes_or_personal_data() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    // Global (not scoped): tracing caches callsite interest process-wide, so a scoped
    // subscriber would miss events whose callsites other tests registered first. Every other
    // test's log lines land here too, which only widens the check.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (code, access) = {
        rt.block_on(async {
            let issuer = TestIssuer::new();
            let wallet = Wallet::new(40);
            let offer = issuer
                .offer("proof_of_age_sd_jwt", Some(json!("9876")))
                .await;
            let code = pre_authorized_code(&offer);
            let t = token(&issuer, &code, Some("9876")).await.json();
            let access = t["access_token"].as_str().unwrap().to_owned();
            let n = nonce(&issuer).await;
            let r = credential_request(
                &issuer,
                &access,
                "proof_of_age_sd_jwt",
                &wallet.proof_jwk(PUBLIC_URL, &n),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK);
            issuer
                .get("/admin/identity", Some("wrong-token-value"))
                .await;
            (code, access)
        })
    };
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("request"), "request logging is on: {logs}");
    for secret in [
        ADMIN,
        "wrong-token-value",
        code.as_str(),
        access.as_str(),
        "9876",
        "Lovelace",
        "1990-12-10",
        "Ada",
    ] {
        assert!(!logs.contains(secret), "log contains {secret}");
    }
}

#[tokio::test]
async fn every_documented_path_is_routed() {
    let issuer =
        TestIssuer::with(|c| c.public_url = url::Url::parse("https://issuer.example").unwrap());
    let spec: serde_json::Value = serde_json::from_str(issuer::http::public::OPENAPI).unwrap();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", "x")
            .replace("{list}", "1")
            .replace("{suite}", "eddsa-rdfc-2022")
            .replace("{purpose}", "revocation");
        for method in ops.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = issuer
                .call(request(m, &concrete, Some(ADMIN), Some(json!({}))))
                .await;
            let unrouted =
                r.status == StatusCode::NOT_FOUND && r.json()["message"] == "no such endpoint";
            let wrong_method = r.status == StatusCode::METHOD_NOT_ALLOWED;
            assert!(
                !unrouted && !wrong_method,
                "{method} {path} is documented but not routed"
            );
        }
    }
}

/// Arbitrary bytes to every endpoint that parses a body: always a 4xx with a stable JSON error,
/// never a 5xx or a panic (the harness body of a fuzz target, run as a property test).
#[test]
fn arbitrary_bodies_never_cause_a_server_error() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(async {
        TestIssuer::with(|c| {
            c.limits.token_requests_per_minute = 1_000_000;
            c.limits.auth_failures_per_minute = 1_000_000;
        })
    });
    let targets: [(&str, Option<&str>, &str); 5] = [
        ("/token", None, "application/x-www-form-urlencoded"),
        ("/credential", Some("not-a-token"), "application/json"),
        ("/admin/offers", Some(ADMIN), "application/json"),
        ("/admin/credential-types", Some(ADMIN), "application/json"),
        ("/credentials/issue", Some(ADMIN), "application/json"),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(200));
    runner
        .run(
            &(
                0usize..5,
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..256),
                    "\\PC{0,200}".prop_map(String::into_bytes),
                    // Structured-looking JSON with random values.
                    (any::<i64>(), "\\PC{0,20}").prop_map(|(n, s)| json!({
                        "credential_configuration_id": s, "claims": {"given_name": n},
                        "credential": {"issuer": s}, "proofs": {"jwt": [s]}
                    })
                    .to_string()
                    .into_bytes()),
                ],
            ),
            |(t, body)| {
                let (path, token, ct) = targets[t];
                let r = rt.block_on(issuer.call(raw(Method::POST, path, token, ct, body)));
                prop_assert!(
                    r.status.is_client_error(),
                    "{path}: {} {}",
                    r.status,
                    r.text()
                );
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                prop_assert!(v["code"].is_string());
                Ok(())
            },
        )
        .unwrap();
}
