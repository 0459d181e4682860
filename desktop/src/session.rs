//! The app's one piece of mutable state: the wallet while it is unlocked, and when it was
//! last used.
//!
//! Auto-lock is enforced here, in Rust, not by a timer in the page: every access first checks
//! the idle time against the configured limit, and a background thread (the `auto-lock` plugin in `lib.rs`)
//! locks an idle wallet even when nothing touches it, so its keys are zeroized on time. Time
//! comes from an injected [`Clock`], so tests move it forward instead of waiting.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
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
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("vault_path", &self.vault_path)
            .field("settings_path", &self.settings_path)
            .field("backup_dir", &self.backup_dir)
            .field("vault", &self.vault)
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
        }
    }

    /// The configuration for this user, shared with the `wallet` command-line tool: the
    /// vault is `WALLET_VAULT` if set, else `wallet.vault` in the user's data folder; backups
    /// go to `DISCLOSE_BACKUP_DIR` if set, else the documents folder (or the home folder).
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
        Ok(Self::for_vault(vault_path, backup_dir))
    }
}

struct Inner {
    wallet: Option<Wallet>,
    last_activity: Instant,
    settings: Settings,
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
                last_activity: now,
                settings,
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
            if let Some(wallet) = inner.wallet.take() {
                wallet.lock();
            }
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
        let wallet = inner.wallet.as_mut().ok_or(AppError::Locked)?;
        f(wallet)
    }

    /// Records activity (the holder is using the app). Returns whether the wallet is still
    /// unlocked.
    pub fn touch(&self) -> bool {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        inner.last_activity = now;
        inner.wallet.is_some()
    }

    /// Whether the wallet is unlocked (locking it first if it has been idle too long).
    pub fn is_unlocked(&self) -> bool {
        let now = self.config.clock.monotonic();
        let mut inner = self.inner();
        Self::expire(&mut inner, now);
        inner.wallet.is_some()
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
        if inner.wallet.is_some() {
            return Err(AppError::AlreadyUnlocked);
        }
        inner.wallet = Some(wallet);
        inner.last_activity = now;
        Ok(())
    }

    /// Locks now. Returns whether a wallet was open.
    pub fn lock(&self) -> bool {
        let mut inner = self.inner();
        match inner.wallet.take() {
            Some(wallet) => {
                wallet.lock();
                true
            }
            None => false,
        }
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
