//! Files on disk: atomic replacement, the single-writer lock, and the failed-unlock counter.
//!
//! A vault at `PATH` comes with two small sidecar files in the same directory:
//! - `PATH.lock`: held with an exclusive advisory lock while a wallet has the vault open, so
//!   two processes never overwrite each other's changes (the second one gets
//!   [`WalletError::InUse`]). The OS drops the lock when the holder dies, even by SIGKILL.
//! - `PATH.attempts`: the number of failed unlocks since the last success, which sets the
//!   delay before the next attempt (see [`Throttle`]).
//!
//! Writes go to a temporary file in the same directory (created `0600`, exclusive), which is
//! fsynced, renamed over the target, and then the directory is fsynced: after a crash at any
//! point the target holds either the old or the new bytes.

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::WalletError;
use crate::vault::{HEADER_LEN, MAX_CIPHERTEXT_LEN};

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_prefix(path: &Path) -> String {
    format!(
        ".{}.",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    )
}

const TEMP_SUFFIX: &str = ".tmp";

/// Reads a whole vault or backup file, refusing files larger than any vault can be without
/// reading them.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, WalletError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(WalletError::NotFound(path.to_path_buf()));
        }
        Err(e) => return Err(WalletError::io("open", path)(e)),
    };
    let max = HEADER_LEN as u64 + MAX_CIPHERTEXT_LEN;
    let len = file
        .metadata()
        .map_err(WalletError::io("read", path))?
        .len();
    if len > max {
        return Err(WalletError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` bounds the read even if the file grows meanwhile.
    (&mut file)
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(WalletError::io("read", path))?;
    if bytes.len() as u64 > max {
        return Err(WalletError::TooLarge);
    }
    Ok(bytes)
}

/// Replaces `path` with `bytes` atomically and durably. With `create_new`, refuses (without
/// touching anything) if `path` already exists.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], create_new: bool) -> Result<(), WalletError> {
    let dir = directory_of(path);
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(&dir)
        .map_err(WalletError::io("create a temporary file in", &dir))?;
    temp.write_all(bytes)
        .map_err(WalletError::io("write", temp.path().to_path_buf()))?;
    temp.as_file()
        .sync_all()
        .map_err(WalletError::io("sync", temp.path().to_path_buf()))?;
    if create_new {
        // `persist_noclobber` links without replacing: an existing file is never overwritten,
        // even one created after a check.
        temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                WalletError::AlreadyExists(path.to_path_buf())
            } else {
                WalletError::io("create", path)(e.error)
            }
        })?;
    } else {
        temp.persist(path)
            .map_err(|e| WalletError::io("replace", path)(e.error))?;
    }
    sync_directory(&dir)
}

#[cfg(unix)]
fn sync_directory(dir: &Path) -> Result<(), WalletError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(WalletError::io("sync directory", dir))
}

#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> Result<(), WalletError> {
    // Windows has no directory handles to fsync; `MoveFileEx` with write-through is what
    // `persist` uses there.
    Ok(())
}

/// Removes temporary files left by a writer that died between creating and renaming them.
/// Only called while holding the vault lock, so no live writer owns them.
pub(crate) fn remove_stale_temporaries(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(directory_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(TEMP_SUFFIX) {
            // Best effort: a leftover temporary file is harmless, only untidy.
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// How long opening waits for a vault held by someone else before answering
/// [`WalletError::InUse`].
const LOCK_WAIT: Duration = Duration::from_secs(1);

/// The exclusive lock on a vault, held while a wallet has it open.
#[derive(Debug)]
pub(crate) struct VaultLock {
    _file: File,
}

impl VaultLock {
    /// Takes the lock of the vault at `path`, or fails with [`WalletError::InUse`].
    pub(crate) fn acquire(path: &Path) -> Result<Self, WalletError> {
        let lock_path = sidecar(path, ".lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(WalletError::io("open lock file", &lock_path))?;
        // A lock can be held for a moment by a process that is only passing through: a child
        // forked by the holder keeps the lock's file description until it execs. So wait a
        // little before answering "in use".
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(WalletError::InUse),
                Err(fs::TryLockError::Error(e)) => {
                    return Err(WalletError::io("lock", lock_path)(e));
                }
            }
        }
    }
}

/// How unlocking slows down repeated wrong guesses.
///
/// Every attempt costs one Argon2id derivation (64 MiB). On top of that, the number of failed
/// attempts since the last success is kept next to the vault, and before an attempt the wallet
/// waits `base * 2^(failures - 1)`, at most `max`. The counter survives restarts of the
/// process, and the vault lock keeps guesses from running in parallel. (Someone who copies the
/// file guesses offline and is slowed only by Argon2id: the passphrase is the real defence.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// The delay after the first failure.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Throttle {
    /// 1 s after the first failure, doubling, at most 5 minutes.
    pub const DEFAULT: Throttle = Throttle {
        base: Duration::from_secs(1),
        max: Duration::from_secs(300),
    };

    /// No waiting (the counter is still kept). For tests.
    pub const NONE: Throttle = Throttle {
        base: Duration::ZERO,
        max: Duration::ZERO,
    };

    /// The wait before an attempt, after `failures` failed attempts.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(failures - 1).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The failed-unlock counter file of the vault at `path`.
pub(crate) struct AttemptCounter {
    path: PathBuf,
}

impl AttemptCounter {
    pub(crate) fn new(vault: &Path) -> Self {
        Self {
            path: sidecar(vault, ".attempts"),
        }
    }

    /// The number of failures recorded. A missing file is 0; an unreadable one counts as
    /// many failures (fail towards slower, not faster).
    pub(crate) fn failures(&self) -> u32 {
        match fs::read_to_string(&self.path) {
            Ok(text) => text.trim().parse().unwrap_or(u32::MAX),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(_) => u32::MAX,
        }
    }

    pub(crate) fn record_failure(&self) -> Result<u32, WalletError> {
        let failures = self.failures().saturating_add(1);
        write_atomic(&self.path, failures.to_string().as_bytes(), false)?;
        Ok(failures)
    }

    pub(crate) fn reset(&self) -> Result<(), WalletError> {
        match fs::remove_file(&self.path) {
            Ok(()) => sync_directory(&directory_of(&self.path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(WalletError::io("remove", self.path.clone())(e)),
        }
    }
}

/// The number of failed unlock attempts recorded for the vault at `path` since its last
/// successful unlock.
pub fn failed_unlock_attempts(path: &Path) -> u32 {
    AttemptCounter::new(path).failures()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_and_is_capped() {
        let t = Throttle::DEFAULT;
        assert_eq!(t.delay(0), Duration::ZERO);
        assert_eq!(t.delay(1), Duration::from_secs(1));
        assert_eq!(t.delay(2), Duration::from_secs(2));
        assert_eq!(t.delay(5), Duration::from_secs(16));
        assert_eq!(t.delay(9), Duration::from_secs(256));
        assert_eq!(t.delay(10), Duration::from_secs(300));
        assert_eq!(t.delay(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn create_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v");
        write_atomic(&path, b"first", true).unwrap();
        assert!(matches!(
            write_atomic(&path, b"second", true),
            Err(WalletError::AlreadyExists(_))
        ));
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_atomic(&path, b"third", false).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"third");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v");
        let lock = VaultLock::acquire(&path).unwrap();
        assert!(matches!(VaultLock::acquire(&path), Err(WalletError::InUse)));
        drop(lock);
        VaultLock::acquire(&path).unwrap();
    }

    #[test]
    fn stale_temporaries_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault");
        fs::write(dir.path().join(".vault.abc123.tmp"), b"x").unwrap();
        fs::write(dir.path().join(".other.abc123.tmp"), b"x").unwrap();
        fs::write(&path, b"v").unwrap();
        remove_stale_temporaries(&path);
        assert!(!dir.path().join(".vault.abc123.tmp").exists());
        assert!(dir.path().join(".other.abc123.tmp").exists());
        assert!(path.exists());
    }

    #[test]
    fn unreadable_counter_counts_as_many_failures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v");
        let counter = AttemptCounter::new(&path);
        assert_eq!(counter.failures(), 0);
        assert_eq!(counter.record_failure().unwrap(), 1);
        assert_eq!(counter.record_failure().unwrap(), 2);
        fs::write(dir.path().join("v.attempts"), b"garbage").unwrap();
        assert_eq!(counter.failures(), u32::MAX);
        counter.reset().unwrap();
        assert_eq!(counter.failures(), 0);
    }

    #[test]
    fn oversized_file_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let file = File::create(&path).unwrap();
        file.set_len(HEADER_LEN as u64 + MAX_CIPHERTEXT_LEN + 1)
            .unwrap();
        assert!(matches!(read_file(&path), Err(WalletError::TooLarge)));
        assert!(matches!(
            read_file(&dir.path().join("none")),
            Err(WalletError::NotFound(_))
        ));
    }
}
