//! The app's error type and the stable `{code, message}` shape the window receives.
//!
//! Every command returns `Result<_, AppError>`. The window gets `{"code": ..., "message": ...}`:
//! `code` is stable (the UI and tests branch on it), `message` is a sentence a person can act
//! on. Neither ever contains key material, a passphrase or a claim value.

use serde::ser::SerializeStruct;
use wallet::WalletError;
use wallet::present::PresentError;
use wallet::receive::ReceiveError;

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
    /// A network flow is using the wallet.
    #[error("The wallet is busy with another request. Try again in a moment.")]
    Busy,
    /// The text is not an `openid-credential-offer://` or `openid4vp://` link.
    #[error(
        "This is not a link Disclose Wallet can open. Links for the wallet start with openid-credential-offer:// or openid4vp://."
    )]
    NotAWalletLink,
    /// The image has no QR code the wallet could read.
    #[error("No QR code could be read from this image. Try a sharper or larger picture.")]
    NoQrCode,
    /// The file is not a PNG or JPEG image, or is too large.
    #[error("This file is not an image the wallet can read (PNG or JPEG).")]
    NotAnImage,
    /// The offer is malformed, or in a form this wallet does not support.
    #[error(
        "This offer cannot be used: it is incomplete, or in a form this wallet does not support."
    )]
    OfferUnusable,
    /// The offer needs the transaction code the issuer sent separately.
    #[error(
        "Enter the code the issuer sent you separately (for example by email or text message)."
    )]
    TxCodeRequired,
    /// The transaction code does not fit the offer's description.
    #[error("That code does not look right. Check it and try again.")]
    TxCodeInvalid,
    /// The issuer answered with an error (wrong code, offer used or expired).
    #[error(
        "The issuer refused. The code may be wrong, or the offer may have been used already or expired."
    )]
    IssuerRefused,
    /// A URL in the offer or request is not allowed (not https, private address).
    #[error(
        "The link points to an address the wallet does not contact (it must be a secure https address)."
    )]
    AddressRefused,
    /// A server could not be reached.
    #[error("The other side could not be reached. Check your internet connection and try again.")]
    Network,
    /// What the issuer sent did not pass the wallet's checks; nothing was stored.
    #[error("The credential did not pass the wallet's checks, so it was not saved.")]
    NotVerified,
    /// The credential is revoked; not stored.
    #[error("The issuer has revoked this credential, so it was not saved.")]
    Revoked,
    /// The credential is suspended; not stored.
    #[error("The issuer has suspended this credential, so it was not saved.")]
    Suspended,
    /// The credential's status could not be checked; not stored (fail closed).
    #[error(
        "The wallet could not check whether this credential is still valid, so it was not saved. Try again later."
    )]
    StatusUnavailable,
    /// The presentation request could not be verified; nothing was shared.
    #[error(
        "This request could not be verified, so nothing was shared. It may not come from who it claims to be."
    )]
    RequestNotVerified,
    /// The presentation request has expired.
    #[error("This request has expired. Ask for a new one.")]
    RequestExpired,
    /// No credential in the wallet satisfies the request.
    #[error("You have no credential that matches what is asked, so nothing can be shared.")]
    NoMatchingCredential,
    /// A stored credential could not be used for the presentation.
    #[error("One of your credentials could not be used for this request. Nothing was shared.")]
    CredentialUnusable,
    /// The verifier did not accept the presentation.
    #[error("The verifier did not accept the answer.")]
    VerifierRefused,
    /// The offer or request is no longer open (answered, or forgotten when the wallet locked).
    #[error("This request is no longer open. Open the link again.")]
    RequestGone,
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
            AppError::Busy => "busy",
            AppError::NotAWalletLink => "not_a_wallet_link",
            AppError::NoQrCode => "no_qr_code",
            AppError::NotAnImage => "not_an_image",
            AppError::OfferUnusable => "offer_unusable",
            AppError::TxCodeRequired => "tx_code_required",
            AppError::TxCodeInvalid => "tx_code_invalid",
            AppError::IssuerRefused => "issuer_refused",
            AppError::AddressRefused => "address_refused",
            AppError::Network => "network",
            AppError::NotVerified => "not_verified",
            AppError::Revoked => "revoked",
            AppError::Suspended => "suspended",
            AppError::StatusUnavailable => "status_unavailable",
            AppError::RequestNotVerified => "request_not_verified",
            AppError::RequestExpired => "request_expired",
            AppError::NoMatchingCredential => "no_matching_credential",
            AppError::CredentialUnusable => "credential_unusable",
            AppError::VerifierRefused => "verifier_refused",
            AppError::RequestGone => "request_gone",
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

impl From<ReceiveError> for AppError {
    fn from(error: ReceiveError) -> Self {
        match error {
            ReceiveError::NotAnOffer => AppError::NotAWalletLink,
            ReceiveError::Offer(_)
            | ReceiveError::UnsupportedGrant
            | ReceiveError::Malformed(_)
            | ReceiveError::IssuerMismatch
            | ReceiveError::EndpointOrigin(_)
            | ReceiveError::UnknownConfiguration(_)
            | ReceiveError::UnsupportedFormat(_) => AppError::OfferUnusable,
            ReceiveError::TxCodeRequired => AppError::TxCodeRequired,
            ReceiveError::InvalidTxCode => AppError::TxCodeInvalid,
            ReceiveError::UrlRefused { .. } => AppError::AddressRefused,
            ReceiveError::Network { .. } => AppError::Network,
            ReceiveError::HttpStatus { .. } => AppError::IssuerRefused,
            ReceiveError::IssuerKey(_)
            | ReceiveError::Verification(_)
            | ReceiveError::NotBoundToOurKey => AppError::NotVerified,
            ReceiveError::Revoked => AppError::Revoked,
            ReceiveError::Suspended => AppError::Suspended,
            ReceiveError::StatusUnavailable(_) => AppError::StatusUnavailable,
            ReceiveError::Wallet(e) => e.into(),
            _ => AppError::Internal,
        }
    }
}

impl From<PresentError> for AppError {
    fn from(error: PresentError) -> Self {
        match error {
            PresentError::NotARequestLink => AppError::NotAWalletLink,
            PresentError::UrlRefused { .. } => AppError::AddressRefused,
            PresentError::Network { .. } => AppError::Network,
            PresentError::HttpStatus {
                what: "response_uri",
                ..
            } => AppError::VerifierRefused,
            PresentError::HttpStatus { .. }
            | PresentError::RequestObject(_)
            | PresentError::UnsupportedClientId
            | PresentError::ClientIdMismatch
            | PresentError::VerifierKey(_)
            | PresentError::WrongAudience => AppError::RequestNotVerified,
            PresentError::Expired => AppError::RequestExpired,
            PresentError::Unsatisfiable(_) => AppError::NoMatchingCredential,
            PresentError::Credential { .. } => AppError::CredentialUnusable,
            PresentError::Wallet(e) => e.into(),
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
