//! The commands the window may call: high-level intents over the wallet library.
//!
//! No command takes or returns key material, and none signs caller-supplied bytes: the
//! window asks for things a person decides ("create my wallet", "unlock", "save a backup"),
//! and the wallet does the cryptography inside this process. Passphrases cross once, from
//! the form to Rust, and go straight into zeroizing [`wallet::Passphrase`]s. Each command
//! must also be granted in `capabilities/default.json` (see `build.rs`).
//!
//! Commands that run Argon2id (create, import, unlock, backup) run on the worker thread
//! pool (`async`), so the window stays responsive.

pub mod exchange;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;
use tauri::State;
use wallet::Wallet;

use crate::error::AppError;
use crate::links::{IncomingLink, PendingLink};
use crate::session::Session;
use crate::settings::AUTO_LOCK_CHOICES;
use crate::strength::{self, Strength};
use crate::view::{self, CredentialCard, CredentialDetail, HistoryEntry};

/// The largest backup file accepted, in bytes (the vault format's own ciphertext limit
/// plus its header).
pub const MAX_BACKUP_BYTES: usize = 64 * 1024 * 1024 + 4096;

/// Where the app stands, for choosing the first screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppStatus {
    /// Whether a wallet exists on this computer.
    pub vault_exists: bool,
    /// Whether it is unlocked.
    pub unlocked: bool,
    /// The auto-lock limit, in minutes.
    pub auto_lock_minutes: u32,
    /// The limits that may be chosen.
    pub auto_lock_choices: Vec<u32>,
    /// How long the next unlock attempt will wait, in whole seconds (rounded up), after
    /// recent wrong passphrases; 0 when unlocked or with no recent failures.
    pub unlock_wait_seconds: u64,
}

fn status(session: &Session) -> AppStatus {
    let config = session.config();
    let vault_exists = config.vault_path.exists();
    let unlocked = session.is_unlocked();
    let unlock_wait_seconds = if vault_exists && !unlocked {
        let wait = Wallet::unlock_delay(&config.vault_path, &config.vault);
        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
    } else {
        0
    };
    AppStatus {
        vault_exists,
        unlocked,
        auto_lock_minutes: session.settings().auto_lock_minutes,
        auto_lock_choices: AUTO_LOCK_CHOICES.to_vec(),
        unlock_wait_seconds,
    }
}

/// What a restored backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// Credentials restored.
    pub credentials: usize,
    /// History entries restored.
    pub history: usize,
}

/// Where a backup was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupSaved {
    /// The file's name.
    pub file_name: String,
    /// The folder it is in.
    pub folder: String,
}

/// Creates the folder that will hold the vault, readable by this user only.
fn create_private_dir(dir: &Path) -> Result<(), AppError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|_| AppError::Storage {
        op: "create the wallet's folder",
    })
}

fn vault_dir(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Where the app stands: is there a wallet, is it unlocked, the auto-lock setting.
#[tauri::command]
pub fn app_status(session: State<'_, Session>) -> AppStatus {
    status(&session)
}

/// Rates a passphrase the holder is typing for a new wallet or backup.
#[tauri::command(async)]
pub fn rate_passphrase(passphrase: String) -> Strength {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    strength::rate(&passphrase)
}

/// Creates a new, empty wallet protected by `passphrase`, and leaves it unlocked.
#[tauri::command(async)]
pub fn create_vault(
    session: State<'_, Session>,
    passphrase: String,
) -> Result<AppStatus, AppError> {
    let passphrase = strength::new_passphrase(passphrase)?;
    session.ensure_locked()?;
    let config = session.config();
    if config.vault_path.exists() {
        return Err(AppError::VaultExists);
    }
    create_private_dir(&vault_dir(&config.vault_path))?;
    let wallet = Wallet::create(
        &config.vault_path,
        &passphrase,
        &config.vault,
        config.clock.wall(),
    )?;
    session.install(wallet)?;
    Ok(status(&session))
}

/// Restores a backup file (its bytes, base64-encoded, as read by the page from a file the
/// holder picked) as this computer's wallet, under a new passphrase, and leaves it unlocked.
#[tauri::command(async)]
pub fn import_backup(
    session: State<'_, Session>,
    backup: String,
    backup_passphrase: String,
    new_passphrase: String,
) -> Result<Restored, AppError> {
    let backup_passphrase = strength::existing_passphrase(backup_passphrase)?;
    let new_passphrase = strength::new_passphrase(new_passphrase)?;
    session.ensure_locked()?;
    let config = session.config();
    if config.vault_path.exists() {
        return Err(AppError::VaultExists);
    }
    if backup.len() > MAX_BACKUP_BYTES.div_ceil(3) * 4 {
        return Err(AppError::NotABackup);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(backup.trim())
        .map_err(|_| AppError::NotABackup)?;
    // The wallet library reads backups from a file. The bytes are the encrypted backup, so
    // the temporary copy holds nothing readable; it is deleted when `file` drops.
    let mut file = tempfile::NamedTempFile::new().map_err(|_| AppError::Storage {
        op: "read the backup",
    })?;
    file.write_all(&bytes).map_err(|_| AppError::Storage {
        op: "read the backup",
    })?;
    create_private_dir(&vault_dir(&config.vault_path))?;
    let wallet = Wallet::import_backup(
        file.path(),
        &backup_passphrase,
        &config.vault_path,
        &new_passphrase,
        &config.vault,
    )?;
    let restored = Restored {
        credentials: wallet.credentials().len(),
        history: wallet.history().len(),
    };
    session.install(wallet)?;
    Ok(restored)
}

/// Unlocks the wallet.
#[tauri::command(async)]
pub fn unlock(session: State<'_, Session>, passphrase: String) -> Result<AppStatus, AppError> {
    let passphrase = strength::existing_passphrase(passphrase)?;
    session.ensure_locked()?;
    let config = session.config();
    if !config.vault_path.exists() {
        return Err(AppError::NoVault);
    }
    let wallet = Wallet::open(&config.vault_path, &passphrase, &config.vault)?;
    session.install(wallet)?;
    Ok(status(&session))
}

/// Locks the wallet now: its keys are wiped from memory until the next unlock.
#[tauri::command]
pub fn lock(session: State<'_, Session>) -> AppStatus {
    session.lock();
    status(&session)
}

/// The holder is active (typing, clicking): postpones auto-lock. Answers whether the wallet
/// is still unlocked.
#[tauri::command]
pub fn still_here(session: State<'_, Session>) -> bool {
    session.touch()
}

/// Sets the auto-lock limit, in minutes (one of [`AUTO_LOCK_CHOICES`]).
#[tauri::command]
pub fn set_auto_lock(session: State<'_, Session>, minutes: u32) -> Result<AppStatus, AppError> {
    session.set_auto_lock(minutes)?;
    Ok(status(&session))
}

/// The credentials, newest first, as cards.
#[tauri::command]
pub fn credentials(session: State<'_, Session>) -> Result<Vec<CredentialCard>, AppError> {
    let now = session.config().clock.wall();
    session.with_wallet(|wallet| {
        Ok(wallet
            .credentials()
            .iter()
            .rev()
            .map(|record| view::card(record, now))
            .collect())
    })
}

/// One credential with its claims.
#[tauri::command]
pub fn credential(session: State<'_, Session>, id: String) -> Result<CredentialDetail, AppError> {
    let now = session.config().clock.wall();
    session.with_wallet(|wallet| {
        // Exact ids only: the page always has the full id, and a prefix match is a CLI
        // convenience that should not apply to input from the window.
        let record = wallet
            .credentials()
            .iter()
            .find(|c| c.id.as_str() == id)
            .ok_or(AppError::UnknownCredential)?;
        Ok(view::detail(record, now))
    })
}

/// What was shared with whom and when, newest first.
#[tauri::command]
pub fn history(session: State<'_, Session>) -> Result<Vec<HistoryEntry>, AppError> {
    session.with_wallet(|wallet| {
        Ok(wallet
            .history()
            .iter()
            .rev()
            .map(|entry| view::history_entry(entry, wallet.credentials()))
            .collect())
    })
}

/// Saves an encrypted backup of the whole wallet, under its own passphrase, as a new file in
/// the backup folder (never overwriting one). The page does not choose the path.
#[tauri::command(async)]
pub fn export_backup(
    session: State<'_, Session>,
    backup_passphrase: String,
) -> Result<BackupSaved, AppError> {
    let backup_passphrase = strength::new_passphrase(backup_passphrase)?;
    let config = session.config();
    let folder = config.backup_dir.clone();
    let date = config.clock.wall().format("%Y-%m-%d").to_string();
    session.with_wallet(|wallet| {
        std::fs::create_dir_all(&folder).map_err(|_| AppError::Storage {
            op: "create the backup folder",
        })?;
        for n in 1..=99 {
            let file_name = if n == 1 {
                format!("disclose-wallet-backup-{date}.backup")
            } else {
                format!("disclose-wallet-backup-{date}-{n}.backup")
            };
            let path = folder.join(&file_name);
            if path.exists() {
                continue;
            }
            match wallet.export_backup(&path, &backup_passphrase) {
                Ok(()) => {
                    return Ok(BackupSaved {
                        file_name,
                        folder: folder.display().to_string(),
                    });
                }
                // Created by someone else in the meantime: try the next name.
                Err(wallet::WalletError::AlreadyExists(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Storage {
            op: "find a free file name for the backup",
        })
    })
}

/// The wallet link (`openid-credential-offer://`, `openid4vp://`) the app was opened with,
/// if the window has not taken it yet.
#[tauri::command]
pub fn take_pending_link(pending: State<'_, PendingLink>) -> Option<IncomingLink> {
    pending.take()
}
