//! Text from issuers and verifiers, made safe to show.
//!
//! Claim names, credential types, error codes and hints come from the other side of the
//! protocol. Printed as they are, a control character could rewrite the terminal (an ANSI
//! escape clearing the consent summary) and a newline or a bidirectional override could
//! make a line say something else. [`printable`] escapes all of them.

use std::borrow::Cow;

/// True for characters that must not reach a terminal or a UI label unescaped: C0/C1
/// controls (newlines included) and the Unicode bidirectional embedding, override and
/// isolate characters.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `text` with every unsafe character written as a `\u{..}` escape.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// [`printable`] of each item, joined with `, `.
pub fn printable_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| printable(i))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_newlines_and_bidi_overrides_are_escaped() {
        assert_eq!(printable("given_name"), "given_name");
        assert_eq!(printable("Zoë Ünal"), "Zoë Ünal");
        let hostile = "age\u{1b}[2J\nwill share: nothing\u{202E}eman";
        let shown = printable(hostile);
        assert!(!shown.chars().any(unsafe_char), "{shown}");
        assert!(
            shown.contains("\\u{1b}") && shown.contains("\\u{a}") && shown.contains("\\u{202e}")
        );
    }
}
