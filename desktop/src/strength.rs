//! How hard a new passphrase is to guess, in words a person can act on.
//!
//! The estimate is zxcvbn's (dictionary words, names, keyboard patterns, dates, repeats,
//! l33t substitutions), not a count of character classes. A new wallet or backup
//! passphrase must reach [`MIN_SCORE`] and the wallet library's minimum length: the vault
//! file is protected by Argon2id, but a copied file can be attacked offline for as long as
//! the attacker likes.

use serde::Serialize;
use wallet::Passphrase;
use wallet::passphrase::MIN_PASSPHRASE_CHARS;

use crate::error::AppError;

/// The least zxcvbn score (0 to 4) of a new passphrase: "safely unguessable" against an
/// offline attack on a slow hash.
pub const MIN_SCORE: u8 = 3;

/// The longest passphrase accepted, in characters (a bound on work, not a policy).
pub const MAX_PASSPHRASE_CHARS: usize = 1024;

/// Only this many leading characters are rated: past it, length alone makes a passphrase
/// strong, and zxcvbn's work grows with length.
const RATED_CHARS: usize = 100;

/// A rating for the strength meter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strength {
    /// 0 (very easy to guess) to 4 (very hard).
    pub score: u8,
    /// One or two words for the meter.
    pub label: &'static str,
    /// Whether it may be used for a new wallet or backup.
    pub acceptable: bool,
    /// What is wrong, if anything ("This is a very common password.").
    pub warning: Option<String>,
    /// What to do about it.
    pub suggestions: Vec<String>,
}

/// Rates a passphrase.
pub fn rate(passphrase: &str) -> Strength {
    let chars = passphrase.chars().count();
    let rated: String = passphrase.chars().take(RATED_CHARS).collect();
    let estimate = zxcvbn::zxcvbn(&rated, &["disclose", "wallet", "passphrase"]);
    let mut score = u8::from(estimate.score());
    let mut suggestions: Vec<String> = estimate
        .feedback()
        .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let warning = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| w.to_string());
    if chars < MIN_PASSPHRASE_CHARS {
        score = score.min(1);
        suggestions.insert(
            0,
            format!("Use at least {MIN_PASSPHRASE_CHARS} characters."),
        );
    }
    let label = match score {
        0 | 1 => "Too easy to guess",
        2 => "Could be stronger",
        3 => "Strong",
        _ => "Very strong",
    };
    if score < MIN_SCORE && suggestions.is_empty() {
        suggestions.push("Add another word or two. Uncommon words are better.".to_owned());
    }
    Strength {
        score,
        label,
        acceptable: score >= MIN_SCORE && chars <= MAX_PASSPHRASE_CHARS,
        warning,
        suggestions,
    }
}

/// Turns text from the window into a [`Passphrase`] for a *new* wallet or backup, refusing
/// one that is too easy to guess.
pub fn new_passphrase(text: String) -> Result<Passphrase, AppError> {
    let passphrase = existing_passphrase(text)?;
    let text = std::str::from_utf8(passphrase.as_bytes()).map_err(|_| AppError::Internal)?;
    if !rate(text).acceptable {
        return Err(AppError::WeakPassphrase {
            min_chars: MIN_PASSPHRASE_CHARS,
        });
    }
    Ok(passphrase)
}

/// Turns text from the window into a [`Passphrase`] to try (never rated: an existing
/// passphrase is only ever tried).
pub fn existing_passphrase(text: String) -> Result<Passphrase, AppError> {
    let passphrase = Passphrase::new(text);
    let chars = std::str::from_utf8(passphrase.as_bytes())
        .map(|s| s.chars().count())
        .unwrap_or(usize::MAX);
    if chars > MAX_PASSPHRASE_CHARS {
        return Err(AppError::TooLong);
    }
    Ok(passphrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passphrases_are_refused() {
        for weak in ["", "password", "password1", "12345678", "qwertyuiop", "abc"] {
            let r = rate(weak);
            assert!(!r.acceptable, "{weak:?} should be refused");
            assert!(r.score < MIN_SCORE);
            assert!(!r.suggestions.is_empty() || r.warning.is_some());
            assert!(matches!(
                new_passphrase(weak.to_owned()),
                Err(AppError::WeakPassphrase { .. })
            ));
        }
    }

    #[test]
    fn a_few_unrelated_words_are_accepted() {
        let r = rate("violet kettle orbit meadow");
        assert!(r.acceptable, "{r:?}");
        assert!(r.score >= MIN_SCORE);
        assert!(new_passphrase("violet kettle orbit meadow".to_owned()).is_ok());
    }

    #[test]
    fn absurdly_long_input_is_refused_without_rating_it_all() {
        let long = "x".repeat(MAX_PASSPHRASE_CHARS + 1);
        assert!(matches!(
            existing_passphrase(long.clone()),
            Err(AppError::TooLong)
        ));
        assert!(!rate(&long).acceptable);
    }
}
