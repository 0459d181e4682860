//! Command tests through Tauri's mock runtime: each call goes through the real IPC handler,
//! the real capability check (`capabilities/default.json`, compiled into the context by
//! `tauri::generate_context!`) and the real wallet library on a real vault file; only the
//! window is absent. Time is a manual clock, so auto-lock is tested without waiting.

// A test crate: a failed unwrap is a failed test (as in the other crates' tests/it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod commands;
mod exchange;
mod security;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use desktop::{AppConfig, Clock};
use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{Manager as _, WebviewWindow};
use wallet::VaultConfig;
use wallet::net::NetworkPolicy;

/// A strong passphrase for tests (four unrelated words).
pub const PASSPHRASE: &str = "violet kettle orbit meadow";
/// Another one.
pub const BACKUP_PASSPHRASE: &str = "copper lantern glacier tofu";

/// A clock the test moves forward by hand.
pub struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
    wall: DateTime<Utc>,
}

impl ManualClock {
    pub fn new(wall: &str) -> Arc<Self> {
        Arc::new(ManualClock {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
            wall: DateTime::parse_from_rfc3339(wall)
                .unwrap()
                .with_timezone(&Utc),
        })
    }

    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }

    fn wall(&self) -> DateTime<Utc> {
        self.wall + chrono::Duration::from_std(*self.elapsed.lock().unwrap()).unwrap()
    }
}

/// An app over a vault in `dir`, with backups into `dir/backups`.
pub struct TestApp {
    pub app: tauri::App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub clock: Arc<ManualClock>,
    pub dir: PathBuf,
}

impl TestApp {
    pub fn new(dir: &Path) -> Self {
        Self::with_vault_config(dir, VaultConfig::insecure_for_tests())
    }

    pub fn with_vault_config(dir: &Path, vault: VaultConfig) -> Self {
        let clock = ManualClock::new("2026-06-01T12:00:00Z");
        let config = AppConfig {
            vault_path: dir.join("wallet").join("wallet.vault"),
            settings_path: dir.join("wallet").join("desktop-settings.json"),
            backup_dir: dir.join("backups"),
            // Tiny KDF cost so tests are quick (by default); the commands are the same.
            vault,
            clock: clock.clone(),
            // https only, as in real use.
            network: NetworkPolicy::default(),
        };
        let app = desktop::app(mock_builder(), config)
            .build(desktop::context())
            .unwrap();
        // The window of `tauri.conf.json`, created by the app as in real use.
        let window = match app.get_webview_window("main") {
            Some(window) => window,
            None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
                .build()
                .unwrap(),
        };
        TestApp {
            app,
            window,
            clock,
            dir: dir.to_path_buf(),
        }
    }

    pub fn vault_path(&self) -> PathBuf {
        self.dir.join("wallet").join("wallet.vault")
    }

    /// Calls `command` from the main window as the page would (`tauri://localhost`).
    pub fn call(&self, command: &str, args: Value) -> Result<Value, Value> {
        call_from(&self.window, "tauri://localhost", command, args)
    }

    /// Calls and expects a `{code, message}` error; returns the code.
    pub fn error_code(&self, command: &str, args: Value) -> String {
        match self.call(command, args) {
            Ok(value) => panic!("{command} succeeded with {value}"),
            Err(error) => error["code"]
                .as_str()
                .unwrap_or_else(|| panic!("{command}: not a coded error: {error}"))
                .to_owned(),
        }
    }

    pub fn create(&self) {
        let status = self
            .call("create_vault", json!({"passphrase": PASSPHRASE}))
            .unwrap();
        assert_eq!(status["unlocked"], true);
    }
}

/// Calls `command` as a page at `url` in `window` would.
pub fn call_from<W: AsRef<tauri::Webview<MockRuntime>>>(
    window: &W,
    url: &str,
    command: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: command.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: url.parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}
