//! The holder's passphrase, held in zeroizing memory and never printed.

use zeroize::Zeroizing;

use crate::error::WalletError;

/// The least number of characters of a new passphrase.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// A passphrase. Zeroized on drop; its `Debug` is redacted.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase (taking ownership so no other copy is left to the caller).
    pub fn new(passphrase: String) -> Self {
        Self(Zeroizing::new(passphrase))
    }

    /// The UTF-8 bytes given to the KDF.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Checks the rule for a *new* passphrase (a vault, a new passphrase, a backup): at least
    /// [`MIN_PASSPHRASE_CHARS`] characters. Existing passphrases are never checked, only tried.
    pub fn check_new(&self) -> Result<(), WalletError> {
        if self.0.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(WalletError::PassphraseTooShort {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        Ok(())
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let p = Passphrase::new("hunter2-hunter2".into());
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn short_new_passphrases_are_refused() {
        assert!(Passphrase::new("1234567".into()).check_new().is_err());
        // Characters, not bytes: seven multi-byte characters are still too short.
        assert!(Passphrase::new("ééééééé".into()).check_new().is_err());
        Passphrase::new("12345678".into()).check_new().unwrap();
    }
}
