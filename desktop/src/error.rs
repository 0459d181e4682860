//! The app's error type and the stable `{code, message}` shape the window receives.
//!
//! Every command returns `Result<_, AppError>`. The window gets `{"code": ..., "message": ...}`:
//! `code` is stable (the UI and tests branch on it), `message` is a sentence a person can act
//! on. Neither ever contains key material, a passphrase or a claim value.

use serde::ser::SerializeStruct;
use wallet::WalletError;

/// Everything a command can answer instead of a result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The wallet is locked (by the holder, or after inactivity).
    #[error("The wallet is locked. Unlock it to continue.")]
    Locked,
    /// The wallet is already unlocked; creating, importing or unlocking again makes no sense.
    #[error("The wallet is already unlocked.")]
    AlreadyUnlocked,
    /// There is no wallet on this computer yet.
    #[error("There is no wallet on this computer yet. Create one or restore a backup.")]
    NoVault,
    /// A wallet already exists: it is never overwritten.
    #[error("A wallet already exists on this computer, so a new one was not created.")]
    VaultExists,
    /// The passphrase does not open the wallet (or the backup).
    #[error("That passphrase doesn't open it. Check it and try again.")]
    WrongPassphrase,
    /// A new passphrase is too easy to guess.
    #[error(
        "This passphrase is too easy to guess. Use at least {min_chars} characters; a few unrelated words work well."
    )]
    WeakPassphrase {
        /// The least number of characters.
        min_chars: usize,
    },
    /// A passphrase or other text is longer than anything reasonable.
    #[error("That is too long.")]
    TooLong,
    /// Another Disclose Wallet (or the `wallet` CLI) has the wallet open.
    #[error("The wallet is open in another program. Close it there and try again.")]
    InUse,
    /// The wallet file is damaged, truncated or altered.
    #[error("The wallet file is damaged and cannot be opened. You can restore it from a backup.")]
    Damaged,
    /// The file was written by a newer version.
    #[error("This file was made by a newer version of Disclose Wallet. Update the app to open it.")]
    UnsupportedVersion,
    /// The chosen file is not a Disclose backup.
    #[error("This file is not a Disclose Wallet backup.")]
    NotABackup,
    /// No credential with this id.
    #[error("That credential is no longer in the wallet.")]
    UnknownCredential,
    /// A setting outside the allowed values.
    #[error("That setting is not available.")]
    InvalidSetting,
    /// The computer refused to read or write a file.
    #[error(
        "Your computer refused to read or save a file ({op}). Check that there is free space and try again."
    )]
    Storage {
        /// What was being done.
        op: &'static str,
    },
    /// Anything else: a bug, reported without details.
    #[error("Something went wrong. Try again; if it keeps happening, restart the app.")]
    Internal,
}

impl AppError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Locked => "locked",
            AppError::AlreadyUnlocked => "already_unlocked",
            AppError::NoVault => "no_vault",
            AppError::VaultExists => "vault_exists",
            AppError::WrongPassphrase => "wrong_passphrase",
            AppError::WeakPassphrase { .. } => "weak_passphrase",
            AppError::TooLong => "too_long",
            AppError::InUse => "in_use",
            AppError::Damaged => "damaged",
            AppError::UnsupportedVersion => "unsupported_version",
            AppError::NotABackup => "not_a_backup",
            AppError::UnknownCredential => "unknown_credential",
            AppError::InvalidSetting => "invalid_setting",
            AppError::Storage { .. } => "storage",
            AppError::Internal => "internal",
        }
    }
}

impl From<WalletError> for AppError {
    fn from(error: WalletError) -> Self {
        match error {
            WalletError::WrongPassphrase => AppError::WrongPassphrase,
            WalletError::PassphraseTooShort { min } => AppError::WeakPassphrase { min_chars: min },
            WalletError::NotFound(_) => AppError::NoVault,
            WalletError::AlreadyExists(_) => AppError::VaultExists,
            WalletError::InUse => AppError::InUse,
            WalletError::Empty
            | WalletError::Truncated
            | WalletError::Damaged
            | WalletError::TooLarge
            | WalletError::KdfParamsOutOfBounds
            | WalletError::UnsupportedKdf(_) => AppError::Damaged,
            WalletError::UnsupportedVersion(_) => AppError::UnsupportedVersion,
            WalletError::NotAVault | WalletError::WrongKind { .. } => AppError::NotABackup,
            WalletError::UnknownCredential(_) | WalletError::AmbiguousCredential(_) => {
                AppError::UnknownCredential
            }
            WalletError::Io { op, .. } => AppError::Storage { op },
            // The wallet's error enum is non-exhaustive; a new variant is reported as internal
            // until it gets its own message.
            _ => AppError::Internal,
        }
    }
}

impl serde::Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("AppError", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message() {
        let v = serde_json::to_value(AppError::WrongPassphrase).unwrap();
        assert_eq!(v["code"], "wrong_passphrase");
        assert_eq!(
            v["message"],
            "That passphrase doesn't open it. Check it and try again."
        );
        assert_eq!(v.as_object().unwrap().len(), 2);
    }

    #[test]
    fn wallet_errors_never_leak_paths() {
        let e: AppError = WalletError::Io {
            op: "write",
            path: "/home/alice/secret-place/vault".into(),
            source: std::io::Error::other("disk full"),
        }
        .into();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "storage");
        assert!(!v.to_string().contains("alice"));
    }
}
