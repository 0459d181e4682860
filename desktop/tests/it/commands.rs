//! The screens' commands: first run, unlock, lock, auto-lock, cards, detail, history,
//! backup export and restore, settings, links.

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tauri::Manager as _;
use wallet::{
    CredentialFormat, CredentialId, DidMethod, HolderKey, NewCredential, Passphrase,
    PresentationOutcome, PresentationRecord, SharedCredential, VaultConfig, Wallet,
};

use crate::{BACKUP_PASSPHRASE, PASSPHRASE, TestApp};

/// The credential as issued, with a marker that must never reach the window.
pub const RAW_CREDENTIAL: &str = "eyJhbGciOiJFZERTQSIsInR5cCI6ImRjK3NkLWp3dCJ9.eyJ2Y3QiOiJ1cm46YWdlIn0.c2ln~WyJSQVdfRElTQ0xPU1VSRV9NQVJLRVIiLCJhZ2Vfb3Zlcl8yMSIsdHJ1ZV0~";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Writes, through the wallet library, a vault holding one age credential bound to a
/// holder key and one history entry; returns the credential's id and the holder key.
pub fn seed_vault(app_dir: &std::path::Path) -> (CredentialId, HolderKey) {
    let path = app_dir.join("wallet").join("wallet.vault");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let now = at("2026-05-01T09:00:00Z");
    let mut wallet = Wallet::create(
        &path,
        &Passphrase::new(PASSPHRASE.into()),
        &VaultConfig::insecure_for_tests(),
        now,
    )
    .unwrap();
    let key = wallet
        .generate_holder_key(DidMethod::Key, &mut rand_core::OsRng, now)
        .unwrap();
    let id = wallet
        .store_credential(
            NewCredential {
                format: CredentialFormat::DcSdJwt,
                credential: Value::String(RAW_CREDENTIAL.into()),
                issuer: "https://issuer.example.com".into(),
                types: vec!["https://credentials.example.com/AgeCredential".into()],
                claims: json!({
                    "iss": "https://issuer.example.com",
                    "vct": "https://credentials.example.com/AgeCredential",
                    "iat": at("2026-05-01T00:00:00Z").timestamp(),
                    "exp": at("2027-05-01T00:00:00Z").timestamp(),
                    "cnf": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
                    "given_name": "Erika",
                    "birthdate": "1990-01-31",
                    "age_over_18": true,
                    "age_over_21": true
                }),
                holder_key: Some(key.id.clone()),
            },
            &mut rand_core::OsRng,
            now,
        )
        .unwrap();
    wallet
        .record_presentation(PresentationRecord {
            at: at("2026-05-02T15:30:00Z"),
            verifier: "did:web:shop.example.org".into(),
            verifier_proven_by: "decentralized_identifier".into(),
            response_uri: "https://shop.example.org/response".into(),
            shared: vec![SharedCredential {
                credential: id.clone(),
                disclosed: vec!["age_over_21".into()],
                withheld: vec![
                    "given_name".into(),
                    "birthdate".into(),
                    "age_over_18".into(),
                ],
            }],
            outcome: PresentationOutcome::Sent,
        })
        .unwrap();
    wallet.lock();
    (id, key)
}

#[test]
fn first_run_creates_a_vault_then_lock_and_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());

    let status = app.call("app_status", json!({})).unwrap();
    assert_eq!(status["vault_exists"], false);
    assert_eq!(status["unlocked"], false);
    assert_eq!(
        app.error_code("unlock", json!({"passphrase": PASSPHRASE})),
        "no_vault"
    );

    // A guessable passphrase is refused and nothing is written.
    for weak in ["password1", "short", "qwertyuiop123"] {
        assert_eq!(
            app.error_code("create_vault", json!({"passphrase": weak})),
            "weak_passphrase"
        );
    }
    assert!(!app.vault_path().exists());

    app.create();
    assert!(app.vault_path().exists());
    assert_eq!(app.call("credentials", json!({})).unwrap(), json!([]));
    assert_eq!(app.call("history", json!({})).unwrap(), json!([]));
    assert_eq!(
        app.error_code("create_vault", json!({"passphrase": PASSPHRASE})),
        "already_unlocked"
    );

    let status = app.call("lock", json!({})).unwrap();
    assert_eq!(status["unlocked"], false);
    assert_eq!(status["vault_exists"], true);
    assert_eq!(app.error_code("credentials", json!({})), "locked");
    assert_eq!(app.error_code("history", json!({})), "locked");
    assert_eq!(
        app.error_code(
            "export_backup",
            json!({"backupPassphrase": BACKUP_PASSPHRASE})
        ),
        "locked"
    );
    // An existing wallet is never overwritten by a new one.
    assert_eq!(
        app.error_code("create_vault", json!({"passphrase": BACKUP_PASSPHRASE})),
        "vault_exists"
    );

    assert_eq!(
        app.error_code(
            "unlock",
            json!({"passphrase": "violet kettle orbit meadoW"})
        ),
        "wrong_passphrase"
    );
    assert_eq!(app.error_code("credentials", json!({})), "locked");
    let status = app
        .call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();
    assert_eq!(status["unlocked"], true);
    assert_eq!(app.call("credentials", json!({})).unwrap(), json!([]));
}

#[test]
fn after_a_wrong_passphrase_the_app_knows_how_long_the_next_try_waits() {
    let dir = tempfile::tempdir().unwrap();
    let vault = VaultConfig {
        throttle: wallet::Throttle {
            base: Duration::from_millis(1500),
            max: Duration::from_secs(60),
        },
        ..VaultConfig::insecure_for_tests()
    };
    let app = TestApp::with_vault_config(dir.path(), vault);
    app.create();
    assert_eq!(
        app.call("app_status", json!({})).unwrap()["unlock_wait_seconds"],
        0
    );
    app.call("lock", json!({})).unwrap();
    assert_eq!(
        app.call("app_status", json!({})).unwrap()["unlock_wait_seconds"],
        0
    );
    // The first wrong try is not delayed; the next one would wait 1.5 s, shown as 2.
    assert_eq!(
        app.error_code("unlock", json!({"passphrase": BACKUP_PASSPHRASE})),
        "wrong_passphrase"
    );
    assert_eq!(
        app.call("app_status", json!({})).unwrap()["unlock_wait_seconds"],
        2
    );
    // The right passphrase (after the wait) resets it.
    app.call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();
    app.call("lock", json!({})).unwrap();
    assert_eq!(
        app.call("app_status", json!({})).unwrap()["unlock_wait_seconds"],
        0
    );
}

#[test]
fn the_wallet_locks_itself_after_the_configured_inactivity() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let status = app.call("app_status", json!({})).unwrap();
    assert_eq!(status["auto_lock_minutes"], 5);
    app.create();

    let status = app.call("set_auto_lock", json!({"minutes": 1})).unwrap();
    assert_eq!(status["auto_lock_minutes"], 1);
    assert_eq!(
        app.error_code("set_auto_lock", json!({"minutes": 0})),
        "invalid_setting"
    );
    assert_eq!(
        app.error_code("set_auto_lock", json!({"minutes": 3})),
        "invalid_setting"
    );

    // Activity (a command, or the page's "still here") postpones the lock.
    app.clock.advance(Duration::from_secs(50));
    app.call("credentials", json!({})).unwrap();
    app.clock.advance(Duration::from_secs(50));
    assert_eq!(app.call("still_here", json!({})).unwrap(), true);
    app.clock.advance(Duration::from_secs(50));
    app.call("credentials", json!({})).unwrap();

    // Idle past the limit: locked, whatever is asked next.
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(app.error_code("credentials", json!({})), "locked");
    assert_eq!(
        app.call("app_status", json!({})).unwrap()["unlocked"],
        false
    );
    assert_eq!(app.call("still_here", json!({})).unwrap(), false);

    // The setting survives a restart of the app.
    drop(app);
    let again = TestApp::new(dir.path());
    assert_eq!(
        again.call("app_status", json!({})).unwrap()["auto_lock_minutes"],
        1
    );
}

#[test]
fn the_watcher_state_locks_an_idle_wallet_without_any_command() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.create();
    let session = app.app.state::<desktop::Session>();
    assert!(!session.lock_if_idle());
    app.clock.advance(Duration::from_secs(5 * 60));
    assert!(session.lock_if_idle());
    assert!(!session.is_unlocked());
}

#[test]
fn credentials_show_as_cards_with_a_detail_view() {
    let dir = tempfile::tempdir().unwrap();
    let (id, _) = seed_vault(dir.path());
    let app = TestApp::new(dir.path());
    assert_eq!(
        app.call("app_status", json!({})).unwrap()["vault_exists"],
        true
    );
    app.call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();

    let cards = app.call("credentials", json!({})).unwrap();
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    assert_eq!(card["id"], id.as_str());
    assert_eq!(card["title"], "Age credential");
    assert_eq!(card["issuer"], "issuer.example.com");
    assert_eq!(card["status"], "valid");
    assert_eq!(card["issued_at"], "2026-05-01T00:00:00+00:00");
    assert_eq!(card["expires_at"], "2027-05-01T00:00:00+00:00");

    let detail = app.call("credential", json!({"id": id.as_str()})).unwrap();
    let claims: Vec<(String, String)> = detail["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["label"].as_str().unwrap().into(),
                c["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        claims,
        [
            ("First name".into(), "Erika".into()),
            ("Date of birth".into(), "1990-01-31".into()),
            ("Over 18".into(), "Yes".into()),
            ("Over 21".into(), "Yes".into()),
        ]
    );
    // Exact ids only: a prefix that the CLI would accept is not a credential here.
    assert_eq!(
        app.error_code("credential", json!({"id": &id.as_str()[..4]})),
        "unknown_credential"
    );
    assert_eq!(
        app.error_code("credential", json!({"id": "nope"})),
        "unknown_credential"
    );

    // A year later the same card says expired.
    app.clock.advance(Duration::from_secs(400 * 24 * 3600));
    assert_eq!(app.error_code("credentials", json!({})), "locked");
    app.call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();
    assert_eq!(
        app.call("credentials", json!({})).unwrap()[0]["status"],
        "expired"
    );
}

#[test]
fn history_lists_what_was_shared_with_whom_and_when() {
    let dir = tempfile::tempdir().unwrap();
    seed_vault(dir.path());
    let app = TestApp::new(dir.path());
    app.call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();
    let history = app.call("history", json!({})).unwrap();
    assert_eq!(
        history,
        json!([{
            "at": "2026-05-02T15:30:00+00:00",
            "verifier": "shop.example.org",
            "verifier_id": "did:web:shop.example.org",
            "verifier_proven_by": "Checked with its decentralized identifier (DID)",
            "outcome": "sent",
            "shared": [{
                "credential": "Age credential",
                "disclosed": ["Over 21"],
                "withheld": ["First name", "Date of birth", "Over 18"]
            }]
        }])
    );
}

#[test]
fn a_backup_saved_here_restores_on_another_computer() {
    let dir = tempfile::tempdir().unwrap();
    let (id, _) = seed_vault(dir.path());
    let app = TestApp::new(dir.path());
    app.call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();

    assert_eq!(
        app.error_code("export_backup", json!({"backupPassphrase": "backup"})),
        "weak_passphrase"
    );
    let saved = app
        .call(
            "export_backup",
            json!({"backupPassphrase": BACKUP_PASSPHRASE}),
        )
        .unwrap();
    assert_eq!(
        saved["file_name"],
        "disclose-wallet-backup-2026-06-01.backup"
    );
    assert_eq!(
        saved["folder"],
        dir.path().join("backups").display().to_string()
    );
    // A second backup the same day gets its own file; the first is not overwritten.
    let second = app
        .call(
            "export_backup",
            json!({"backupPassphrase": BACKUP_PASSPHRASE}),
        )
        .unwrap();
    assert_eq!(
        second["file_name"],
        "disclose-wallet-backup-2026-06-01-2.backup"
    );
    let file = dir
        .path()
        .join("backups")
        .join("disclose-wallet-backup-2026-06-01.backup");
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("Erika"),
        "the backup is encrypted"
    );

    // "Another computer": a fresh app with no wallet.
    let other_dir = tempfile::tempdir().unwrap();
    let other = TestApp::new(other_dir.path());
    let backup = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let restore = |backup: &str, backup_passphrase: &str, new_passphrase: &str| {
        other.error_code(
            "import_backup",
            json!({"backup": backup, "backupPassphrase": backup_passphrase, "newPassphrase": new_passphrase}),
        )
    };
    assert_eq!(restore(&backup, PASSPHRASE, PASSPHRASE), "wrong_passphrase");
    assert_eq!(
        restore(&backup, BACKUP_PASSPHRASE, "weak"),
        "weak_passphrase"
    );
    assert_eq!(
        restore("%%% not base64", BACKUP_PASSPHRASE, PASSPHRASE),
        "not_a_backup"
    );
    let not_a_backup = base64::engine::general_purpose::STANDARD.encode(b"hello, I am a text file");
    assert_eq!(
        restore(&not_a_backup, BACKUP_PASSPHRASE, PASSPHRASE),
        "not_a_backup"
    );
    // The vault file itself is not a backup.
    let vault =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(app.vault_path()).unwrap());
    assert_eq!(restore(&vault, PASSPHRASE, PASSPHRASE), "not_a_backup");
    assert!(!other.vault_path().exists());

    let restored = other
        .call(
            "import_backup",
            json!({"backup": backup, "backupPassphrase": BACKUP_PASSPHRASE, "newPassphrase": "saffron pylon whistle ember"}),
        )
        .unwrap();
    assert_eq!(restored, json!({"credentials": 1, "history": 1}));
    assert_eq!(
        other.call("credentials", json!({})).unwrap()[0]["id"],
        id.as_str()
    );
    other.call("lock", json!({})).unwrap();
    other
        .call(
            "unlock",
            json!({"passphrase": "saffron pylon whistle ember"}),
        )
        .unwrap();
    // Restoring again would overwrite the wallet: refused.
    other.call("lock", json!({})).unwrap();
    assert_eq!(
        restore(&backup, BACKUP_PASSPHRASE, PASSPHRASE),
        "vault_exists"
    );
}

#[test]
fn passphrase_strength_feedback() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let weak = app
        .call("rate_passphrase", json!({"passphrase": "password"}))
        .unwrap();
    assert_eq!(weak["acceptable"], false);
    assert_eq!(weak["label"], "Too easy to guess");
    assert!(!weak["suggestions"].as_array().unwrap().is_empty() || weak["warning"].is_string());
    let strong = app
        .call("rate_passphrase", json!({"passphrase": PASSPHRASE}))
        .unwrap();
    assert_eq!(strong["acceptable"], true);
    assert!(strong["score"].as_u64().unwrap() >= 3);
}

#[test]
fn a_wallet_link_waits_for_the_window_and_other_links_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    assert_eq!(
        app.call("take_pending_link", json!({})).unwrap(),
        Value::Null
    );
    desktop::link_opened(app.app.handle(), "https://example.com/not-for-the-wallet");
    assert_eq!(
        app.call("take_pending_link", json!({})).unwrap(),
        Value::Null
    );
    let link = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.com%2Foffers%2F1";
    desktop::link_opened(app.app.handle(), link);
    assert_eq!(
        app.call("take_pending_link", json!({})).unwrap(),
        json!({"kind": "credential_offer", "link": link})
    );
    assert_eq!(
        app.call("take_pending_link", json!({})).unwrap(),
        Value::Null
    );
}
