//! The app's one piece of mutable state: the wallet while it is unlocked, and when it was
//! last used.
//!
//! Auto-lock is enforced here, in Rust, not by a timer in the page: every access first checks
//! the idle time against the configured limit, and a background thread (the `auto-lock` plugin in `lib.rs`)
//! locks an idle wallet even when nothing touches it, so its keys are zeroized on time. Time
//! comes from an injected [`Clock`], so tests move it forward instead of waiting.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use wallet::net::NetworkPolicy;
use wallet::present::PendingPresentation;
use wallet::receive::CredentialOffer;
use wallet::{VaultConfig, Wallet};

use crate::error::AppError;
use crate::settings::Settings;

/// Where time comes from.
pub trait Clock: Send + Sync + 'static {
    /// A monotonic reading, for idle time.
    fn monotonic(&self) -> Instant;
    /// The wall clock, for what is written into the wallet.
    fn wall(&self) -> DateTime<Utc>;
}

/// The computer's clocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn monotonic(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Where the app keeps its files and how it opens the vault.
#[derive(Clone)]
pub struct AppConfig {
    /// The encrypted vault.
    pub vault_path: PathBuf,
    /// The app's (non-secret) settings file.
    pub settings_path: PathBuf,
    /// The folder backups are saved into.
    pub backup_dir: PathBuf,
    /// KDF parameters, bounds and unlock throttle.
    pub vault: VaultConfig,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// What the wallet may connect to when receiving and presenting.
    pub network: NetworkPolicy,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("vault_path", &self.vault_path)
            .field("settings_path", &self.settings_path)
            .field("backup_dir", &self.backup_dir)
            .field("vault", &self.vault)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl AppConfig {
    /// The vault at `vault_path`, the settings beside it, backups into `backup_dir`, the
    /// secure default vault configuration and the system clock.
    pub fn for_vault(vault_path: PathBuf, backup_dir: PathBuf) -> Self {
        let settings_path = vault_path.with_file_name("desktop-settings.json");
        AppConfig {
            vault_path,
            settings_path,
            backup_dir,
            vault: VaultConfig::default(),
            clock: Arc::new(SystemClock),
            network: NetworkPolicy::default(),
        }
    }

    /// The configuration for this user, shared with the `wallet` command-line tool: the
    /// vault is `WALLET_VAULT` if set, else `wallet.vault` in the user's data folder; backups
    /// go to `DISCLOSE_BACKUP_DIR` if set, else the documents folder (or the home folder).
    /// `DISCLOSE_ALLOW_HTTP_LOOPBACK=1` lets the wallet talk plain http to services on this
    /// computer (local testing only; https is required otherwise).
    pub fn from_environment() -> Result<Self, AppError> {
        let vault_path = match std::env::var_os("WALLET_VAULT") {
            Some(path) => PathBuf::from(path),
            None => directories::ProjectDirs::from("", "", "disclose")
                .map(|dirs| dirs.data_dir().join("wallet.vault"))
                .ok_or(AppError::Storage {
                    op: "find the app's data folder",
                })?,
        };
        let backup_dir = match std::env::var_os("DISCLOSE_BACKUP_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => directories::UserDirs::new()
                .map(|dirs| {
                    dirs.document_dir()
                        .unwrap_or_else(|| dirs.home_dir())
                        .to_path_buf()
                })
                .or_else(|| vault_path.parent().map(Path::to_path_buf))
                .unwrap_or_default(),
        };
        let mut config = Self::for_vault(vault_path, backup_dir);
        config.network.allow_http_loopback =
            std::env::var_os("DISCLOSE_ALLOW_HTTP_LOOPBACK").is_some_and(|v| v == "1");
        Ok(config)
    }
}

struct Inner {
    wallet: Option<Wallet>,
    /// The wallet is checked out by a network flow ([`Session::check_out`]).
    busy: bool,
    /// "Lock now" arrived while the wallet was checked out: lock when it comes back.
    lock_on_return: bool,
    last_activity: Instant,
    settings: Settings,
    /// Offers opened and not yet accepted, by id. Forgotten when the wallet locks.
    offers: HashMap<String, CredentialOffer>,
    /// Presentation requests waiting for the holder's decision, by consent id. Forgotten
    /// (never answered) when the wallet locks.
    consents: HashMap<String, PendingPresentation>,
}

impl Inner {
    fn drop_wallet(&mut self) {
        if let Some(wallet) = self.wallet.take() {
            wallet.lock();
        }
        self.offers.clear();
        self.consents.clear();
    }
}

/// The shared state behind every command.
pub struct Session {
    config: AppConfig,
    inner: Mutex<Inner>,
}

/// Why the wallet got locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// The holder asked.
    Requested,
    /// Nobody used it for longer than the auto-lock limit.
    Inactivity,
}

impl Session {
    /// A locked session over `config`, with the settings found on disk (or the defaults).
    pub fn new(config: AppConfig) -> Self {
        let settings = Settings::load(&config.settings_path);
        let now = config.clock.monotonic();
        Session {
            config,
            inner: Mutex::new(Inner {
                wallet: None,
                busy: false,
                lock_on_return: false,
                last_activity: now,
                settings,
                offers: HashMap::new(),
                consents: HashMap::new(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    // A panic while the lock was held cannot leave the wallet half-written (every change is
    // persisted atomically before the wallet method returns), so a poisoned lock is used as is.
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn idle_limit(settings: &Settings) -> Duration {
        Duration::from_secs(u64::from(settings.auto_lock_minutes) * 60)
    }

    /// Locks the wallet if it has been idle for longer than the limit. Returns whether it did.
    pub fn lock_if_idle(&self) -> bool {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now)
    }

    fn expire(inner: &mut Inner, now: Instant) -> bool {
        let idle = now.saturating_duration_since(inner.last_activity);
        if inner.wallet.is_some() && idle >= Self::idle_limit(&inner.settings) {
            inner.drop_wallet();
            return true;
        }
        false
    }

    /// Runs `f` on the unlocked wallet and counts as activity. If the wallet has been idle too
    /// long it is locked first and the answer is [`AppError::Locked`].
    pub fn with_wallet<T>(
        &self,
        f: impl FnOnce(&mut Wallet) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        inner.last_activity = now;
        if inner.busy {
            return Err(AppError::Busy);
        }
        let wallet = inner.wallet.as_mut().ok_or(AppError::Locked)?;
        f(wallet)
    }

    /// Runs `f` on the pending offers and consents of the unlocked wallet (counts as
    /// activity).
    pub fn with_pending<T>(
        &self,
        f: impl FnOnce(
            &mut HashMap<String, CredentialOffer>,
            &mut HashMap<String, PendingPresentation>,
        ) -> T,
    ) -> Result<T, AppError> {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        if !(inner.busy || inner.wallet.is_some()) || inner.lock_on_return {
            return Err(AppError::Locked);
        }
        inner.last_activity = now;
        let Inner {
            offers, consents, ..
        } = &mut *inner;
        Ok(f(offers, consents))
    }

    /// Takes the wallet out for a flow that waits on the network, so the session's lock is
    /// not held meanwhile (the window stays responsive). Other wallet commands answer
    /// [`AppError::Busy`] until it is back; "Lock now" is honoured when it returns. The
    /// returned guard puts it back when dropped, whatever happened.
    pub fn check_out(&self) -> Result<CheckedOut<'_>, AppError> {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        if inner.busy {
            return Err(AppError::Busy);
        }
        let wallet = inner.wallet.take().ok_or(AppError::Locked)?;
        inner.busy = true;
        inner.last_activity = now;
        Ok(CheckedOut {
            session: self,
            wallet: Some(wallet),
        })
    }

    fn check_in(&self, wallet: Wallet) {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        inner.busy = false;
        inner.wallet = Some(wallet);
        // The flow itself was activity: the idle time starts now.
        inner.last_activity = now;
        if std::mem::take(&mut inner.lock_on_return) {
            inner.drop_wallet();
        }
    }

    /// Records activity (the holder is using the app). Returns whether the wallet is still
    /// unlocked.
    pub fn touch(&self) -> bool {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        inner.last_activity = now;
        Self::open(&inner)
    }

    fn open(inner: &Inner) -> bool {
        (inner.wallet.is_some() || inner.busy) && !inner.lock_on_return
    }

    /// Whether the wallet is unlocked (locking it first if it has been idle too long).
    pub fn is_unlocked(&self) -> bool {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        Self::open(&inner)
    }

    /// Fails with [`AppError::AlreadyUnlocked`] if a wallet is open.
    pub fn ensure_locked(&self) -> Result<(), AppError> {
        if self.is_unlocked() {
            return Err(AppError::AlreadyUnlocked);
        }
        Ok(())
    }

    /// Keeps a freshly opened wallet. Refuses if one is already open (the new one is then
    /// dropped, which releases its lock).
    pub fn install(&self, wallet: Wallet) -> Result<(), AppError> {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        if inner.wallet.is_some() || inner.busy {
            return Err(AppError::AlreadyUnlocked);
        }
        inner.wallet = Some(wallet);
        inner.last_activity = now;
        Ok(())
    }

    /// Locks now. Returns whether a wallet was open.
    pub fn lock(&self) -> bool {
        let mut inner = self.inner();
        if inner.busy {
            inner.lock_on_return = true;
            inner.offers.clear();
            inner.consents.clear();
            return true;
        }
        let was_open = inner.wallet.is_some();
        inner.drop_wallet();
        was_open
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        self.inner().settings
    }

    /// Changes and saves the auto-lock limit.
    pub fn set_auto_lock(&self, minutes: u32) -> Result<Settings, AppError> {
        let settings = Settings::with_auto_lock(minutes)?;
        settings.save(&self.config.settings_path)?;
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        inner.settings = settings;
        inner.last_activity = now;
        Ok(settings)
    }
}

/// The wallet, checked out of the session by [`Session::check_out`]; back in when dropped.
pub struct CheckedOut<'a> {
    session: &'a Session,
    wallet: Option<Wallet>,
}

impl CheckedOut<'_> {
    /// The wallet.
    pub fn wallet(&mut self) -> Result<&mut Wallet, AppError> {
        self.wallet.as_mut().ok_or(AppError::Internal)
    }
}

impl Drop for CheckedOut<'_> {
    fn drop(&mut self) {
        if let Some(wallet) = self.wallet.take() {
            self.session.check_in(wallet);
        }
    }
}
