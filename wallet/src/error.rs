//! The wallet's error type.
//!
//! Messages never contain key material, passphrases or claim values. A wrong passphrase has
//! exactly one error ([`WalletError::WrongPassphrase`]), whatever the cause inside the KDF.

use std::path::PathBuf;

use crate::vault::FileKind;

/// Everything that can go wrong in the wallet library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The file system refused an operation.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `lock`, ...).
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// No vault (or backup) exists at the path.
    #[error("no vault at {}", .0.display())]
    NotFound(PathBuf),
    /// A file already exists where a new vault or backup would be written; it was left alone.
    #[error("{} already exists; refusing to overwrite it", .0.display())]
    AlreadyExists(PathBuf),
    /// Another process (or another handle in this one) has the vault open.
    #[error("the vault is in use by another wallet process")]
    InUse,
    /// The file is empty.
    #[error("the vault file is empty")]
    Empty,
    /// The file does not start with the vault magic: it is not a Disclose vault.
    #[error("not a Disclose vault file")]
    NotAVault,
    /// The file is a vault of a format version this build does not read (probably newer).
    #[error("vault format version {0} is not supported by this wallet (it reads version 1)")]
    UnsupportedVersion(u16),
    /// The file is a vault, but of the other kind (a backup where a vault was expected, or the
    /// reverse).
    #[error("this file is a {found}, not a {expected}")]
    WrongKind {
        /// What the caller asked to open.
        expected: FileKind,
        /// What the file is.
        found: FileKind,
    },
    /// The file ends before its header or ciphertext does.
    #[error("the vault file is truncated")]
    Truncated,
    /// The file is structurally broken, or its ciphertext or header was altered (the
    /// passphrase was right, but the authenticated decryption failed).
    #[error("the vault file is damaged")]
    Damaged,
    /// The file is larger than any vault this wallet writes.
    #[error("the vault file is too large")]
    TooLarge,
    /// The header names a key-derivation function this build does not know.
    #[error("unsupported key-derivation function {0}")]
    UnsupportedKdf(u8),
    /// The header's Argon2 parameters are outside the accepted bounds (refused before any
    /// memory is allocated).
    #[error("key-derivation parameters out of bounds")]
    KdfParamsOutOfBounds,
    /// The passphrase does not open the vault. Deliberately the only answer for a wrong
    /// passphrase.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// A new passphrase is too short.
    #[error("passphrase too short: at least {min} characters")]
    PassphraseTooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// No holder key with this id.
    #[error("no holder key {0}")]
    UnknownKey(String),
    /// No credential with this id.
    #[error("no credential {0}")]
    UnknownCredential(String),
    /// The id prefix matches more than one credential.
    #[error("{0} matches more than one credential; give more of the id")]
    AmbiguousCredential(String),
}

impl WalletError {
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| WalletError::Io { op, path, source }
    }
}
