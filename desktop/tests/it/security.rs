//! What the window may not do: call anything the capability does not grant, call from a
//! page that is not the app's, or get key material or a credential as issued out of any
//! command.

use serde_json::{Value, json};

use crate::commands::{RAW_CREDENTIAL, seed_vault};
use crate::{BACKUP_PASSPHRASE, PASSPHRASE, TestApp, call_from};

fn refused(result: Result<Value, Value>) -> bool {
    match result {
        Ok(_) => false,
        // Refusals by the capability check are plain strings, not the app's coded errors.
        Err(error) => error.get("code").is_none(),
    }
}

#[test]
fn the_capability_grants_the_wallet_intents_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let page = "tauri://localhost";

    // Granted: the app's own commands and listening for its events.
    assert!(call_from(&app.window, page, "app_status", json!({})).is_ok());
    assert!(
        call_from(
            &app.window,
            page,
            "plugin:event|listen",
            json!({"event": "wallet-locked", "target": {"kind": "Any"}, "handler": 7})
        )
        .is_ok()
    );

    // Not granted: window and webview management, paths, app info, emitting events, the
    // deep-link plugin's registration, and commands that do not exist (there is no way to
    // ask the wallet to sign arbitrary bytes or hand out a key).
    for (command, args) in [
        (
            "plugin:window|set_title",
            json!({"label": "main", "value": "pwned"}),
        ),
        ("plugin:window|close", json!({"label": "main"})),
        (
            "plugin:webview|create_webview_window",
            json!({"options": {"label": "evil", "url": "https://evil.example"}}),
        ),
        ("plugin:path|resolve_directory", json!({"directory": 1})),
        ("plugin:app|version", json!({})),
        (
            "plugin:event|emit",
            json!({"event": "wallet-locked", "payload": {}}),
        ),
        ("plugin:deep-link|register", json!({"protocol": "https"})),
        ("sign", json!({"bytes": [1, 2, 3]})),
        ("export_key", json!({})),
        ("plugin:auto-lock|anything", json!({})),
    ] {
        assert!(
            refused(call_from(&app.window, page, command, args)),
            "{command} must be refused"
        );
    }
}

#[test]
fn remote_pages_and_other_windows_cannot_call_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    for remote in [
        "https://evil.example/",
        "http://localhost:1420/",
        // On Linux the app is served from tauri://localhost; this origin is remote here.
        "http://tauri.localhost/",
    ] {
        for command in ["app_status", "create_vault", "unlock", "credentials"] {
            assert!(
                refused(call_from(
                    &app.window,
                    remote,
                    command,
                    json!({"passphrase": PASSPHRASE})
                )),
                "{command} from {remote} must be refused"
            );
        }
    }
    assert!(
        !app.vault_path().exists(),
        "nothing was created by a refused call"
    );

    // The capability names the "main" window only.
    let other = tauri::WebviewWindowBuilder::new(&app.app, "other", Default::default())
        .build()
        .unwrap();
    assert!(refused(call_from(
        &other,
        "tauri://localhost",
        "app_status",
        json!({})
    )));
    assert!(call_from(&app.window, "tauri://localhost", "app_status", json!({})).is_ok());
}

fn object_keys(value: &Value, keys: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                keys.push(k.clone());
                object_keys(v, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| object_keys(v, keys)),
        _ => {}
    }
}

#[test]
fn no_command_returns_key_material_the_raw_credential_or_a_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (id, holder_key) = seed_vault(dir.path());
    let app = TestApp::new(dir.path());

    let mut answers = vec![
        app.call("unlock", json!({"passphrase": PASSPHRASE}))
            .unwrap(),
        app.call("app_status", json!({})).unwrap(),
        app.call("credentials", json!({})).unwrap(),
        app.call("credential", json!({"id": id.as_str()})).unwrap(),
        app.call("check_status", json!({"credentialId": id.as_str()}))
            .unwrap(),
        app.call("history", json!({})).unwrap(),
        app.call(
            "export_backup",
            json!({"backupPassphrase": BACKUP_PASSPHRASE}),
        )
        .unwrap(),
        app.call("rate_passphrase", json!({"passphrase": PASSPHRASE}))
            .unwrap(),
        app.call("still_here", json!({})).unwrap(),
        app.call("set_auto_lock", json!({"minutes": 10})).unwrap(),
        app.call("lock", json!({})).unwrap(),
    ];
    // Errors too.
    for (command, args) in [
        (
            "unlock",
            json!({"passphrase": "wrong horse battery staple"}),
        ),
        ("create_vault", json!({"passphrase": PASSPHRASE})),
        ("credentials", json!({})),
    ] {
        answers.push(app.call(command, args).unwrap_err());
    }
    let all = serde_json::to_string(&answers).unwrap();

    // The credential as issued (with its disclosures) stays in the wallet: only the claims
    // as labels and values reach the page.
    for piece in RAW_CREDENTIAL.split(['.', '~']).filter(|p| p.len() > 8) {
        assert!(
            !all.contains(piece),
            "a piece of the raw credential crossed IPC"
        );
    }
    // Nothing about the holder key crosses: not its DID, not its public key, let alone
    // the secret (which has no way out at all).
    assert!(!all.contains(&holder_key.did));
    assert!(!all.contains(&holder_key.public_key.to_multikey()));
    assert!(
        !all.contains("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
        "cnf key"
    );
    // Passphrases are never echoed, not even in errors.
    for secret in [PASSPHRASE, BACKUP_PASSPHRASE, "wrong horse battery staple"] {
        assert!(!all.contains(secret));
    }
    let mut keys = Vec::new();
    answers.iter().for_each(|a| object_keys(a, &mut keys));
    for forbidden in [
        "seed",
        "secret",
        "private_key",
        "d",
        "jwk",
        "cnf",
        "key",
        "credential_jwt",
    ] {
        assert!(
            !keys.iter().any(|k| k == forbidden),
            "a {forbidden:?} field crossed IPC"
        );
    }
}

#[test]
fn the_capability_file_grants_exactly_the_declared_commands_and_event_listening() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let build = std::fs::read_to_string(root.join("build.rs")).unwrap();
    let list = &build[build.find("commands(&[").unwrap()..];
    let list = &list[..list.find("])").unwrap()];
    let mut declared: Vec<String> = list
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|command| format!("allow-{}", command.replace('_', "-")))
        .collect();
    declared.extend([
        "core:event:allow-listen".into(),
        "core:event:allow-unlisten".into(),
    ]);
    declared.sort();

    let capability: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("capabilities/default.json")).unwrap(),
    )
    .unwrap();
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .expect("plain permission identifiers, no scopes")
                .to_owned()
        })
        .collect();
    granted.sort();
    assert_eq!(granted, declared);
    assert_eq!(capability["windows"], json!(["main"]));
    assert_eq!(capability["local"], true);
    assert!(
        capability.get("remote").is_none(),
        "no remote origin may call the wallet"
    );
}
