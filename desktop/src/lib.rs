//! Disclose Wallet, the desktop app: a thin Tauri 2 layer over the [`wallet`] library.
//!
//! The page in `ui/` (plain HTML, CSS and JavaScript, no remote content) shows screens and
//! calls [`commands`]: high-level intents such as "create my wallet", "unlock", "save a
//! backup". Keys, passphrases and the decrypted vault stay in this process; the page only
//! ever receives display values ([`view`]) and stable errors ([`error::AppError`] as
//! `{code, message}`).
//!
//! - [`session`]: the unlocked wallet, auto-lock after inactivity, the injected clock.
//! - [`commands`]: what the page may call (each also granted in `capabilities/default.json`).
//! - [`view`]: credential cards, claims and history in words.
//! - [`strength`]: passphrase strength feedback and the rule for new passphrases.
//! - [`settings`]: the auto-lock setting, kept beside the vault.
//! - [`links`]: `openid-credential-offer://` and `openid4vp://` links that open the app.
//! - [`qr`]: reading such a link from a QR code image.

#![forbid(unsafe_code)]

pub mod commands;
pub mod error;
pub mod links;
pub mod qr;
pub mod session;
pub mod settings;
pub mod strength;
pub mod view;

use std::time::Duration;

use tauri::{Emitter as _, Manager as _, Runtime};

pub use error::AppError;
pub use session::{AppConfig, Clock, LockReason, Session, SystemClock};

/// The event the window receives when the wallet locks itself after inactivity.
pub const LOCKED_EVENT: &str = "wallet-locked";

/// The event the window receives when a wallet link opens the (running) app.
pub const LINK_EVENT: &str = "wallet-link";

/// How often the auto-lock watcher looks at the idle time. The limit itself is enforced on
/// every access too, so this only bounds how long keys may outlive the limit in memory.
const AUTO_LOCK_POLL: Duration = Duration::from_secs(5);

/// The payload of [`LOCKED_EVENT`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Locked {
    /// Why.
    pub reason: LockReason,
}

/// The app's state, commands and auto-lock watcher on top of `builder` (the real runtime
/// in `main.rs`, the mock runtime in tests).
pub fn app<R: Runtime>(builder: tauri::Builder<R>, config: AppConfig) -> tauri::Builder<R> {
    builder
        .manage(Session::new(config))
        .manage(links::PendingLink::default())
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::rate_passphrase,
            commands::create_vault,
            commands::import_backup,
            commands::unlock,
            commands::lock,
            commands::still_here,
            commands::set_auto_lock,
            commands::credentials,
            commands::credential,
            commands::history,
            commands::export_backup,
            commands::take_pending_link,
            commands::exchange::recognise_link,
            commands::exchange::read_qr_image,
            commands::exchange::open_offer,
            commands::exchange::accept_offer,
            commands::exchange::dismiss_offer,
            commands::exchange::check_status,
            commands::exchange::prepare_presentation,
            commands::exchange::approve,
            commands::exchange::decline,
        ])
        .plugin(auto_lock_watcher())
}

/// A background thread that locks an idle wallet and tells the window. A plugin of its own
/// so that `main.rs` keeps `Builder::setup` for itself (a second `setup` replaces the first).
fn auto_lock_watcher<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("auto-lock")
        .setup(|app, _api| {
            let handle = app.clone();
            std::thread::Builder::new()
                .name("auto-lock".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(AUTO_LOCK_POLL);
                        if handle.state::<Session>().lock_if_idle() {
                            let _ = handle.emit(
                                LOCKED_EVENT,
                                Locked {
                                    reason: LockReason::Inactivity,
                                },
                            );
                        }
                    }
                })?;
            Ok(())
        })
        .build()
}

/// Hands a link the platform opened the app with to the window: kept until the window takes
/// it ([`commands::take_pending_link`]), and announced with [`LINK_EVENT`] in case the
/// window is already showing. Anything that is not a wallet link is ignored.
pub fn link_opened<R: Runtime>(app: &tauri::AppHandle<R>, link: &str) {
    if let Some(incoming) = app.state::<links::PendingLink>().offer(link) {
        let _ = app.emit(LINK_EVENT, incoming.kind);
    }
}

/// The app's configuration, window, security policy and bundled page (`tauri.conf.json`,
/// `capabilities/`, `ui/`).
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}
