//! DID and DID URL syntax (DID Core 1.0 section 3).
//!
//! ```text
//! did                = "did:" method-name ":" method-specific-id
//! method-name        = 1*method-char
//! method-char        = %x61-7A / DIGIT
//! method-specific-id = *( *idchar ":" ) 1*idchar
//! idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
//! pct-encoded        = "%" HEXDIG HEXDIG
//! did-url            = did path-abempty [ "?" query ] [ "#" fragment ]   (RFC 3986 rules)
//! ```
//!
//! [`Did`] and [`DidUrl`] can only be built by parsing, so holding one means the text is valid.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest DID or DID URL accepted (a bound on untrusted input, not a spec rule).
pub const MAX_DID_URL_LEN: usize = 8 * 1024;

/// Why a string is not a DID or DID URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidSyntaxError {
    /// Does not start with the `did:` scheme.
    #[error("missing did: scheme")]
    Scheme,
    /// The method name is empty or has characters other than `a-z0-9`.
    #[error("invalid method name")]
    MethodName,
    /// The method-specific identifier is empty, ends with `:`, or has a character outside
    /// `idchar`.
    #[error("invalid method-specific identifier")]
    MethodSpecificId,
    /// A `%` not followed by two hex digits.
    #[error("invalid percent-encoding")]
    PercentEncoding,
    /// The path, query or fragment has a character RFC 3986 does not allow there.
    #[error("invalid path, query or fragment")]
    UrlComponent,
    /// Longer than [`MAX_DID_URL_LEN`].
    #[error("identifier too long")]
    TooLong,
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// Checks `%XX` sequences and that every other byte satisfies `allowed`.
fn check_chars(
    s: &str,
    allowed: impl Fn(u8) -> bool,
    err: DidSyntaxError,
) -> Result<(), DidSyntaxError> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(&h1), Some(&h2)) if is_hex(h1) && is_hex(h2) => i += 3,
                _ => return Err(DidSyntaxError::PercentEncoding),
            }
        } else if allowed(b) {
            i += 1;
        } else {
            return Err(err);
        }
    }
    Ok(())
}

fn is_idchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// RFC 3986 `pchar` without `pct-encoded`: unreserved / sub-delims / ":" / "@".
fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// RFC 3986 `query` / `fragment`: `*( pchar / "/" / "?" )`.
fn is_query_char(b: u8) -> bool {
    is_pchar(b) || b == b'/' || b == b'?'
}

/// A syntactically valid DID (DID Core section 3.1).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did {
    text: String,
    /// Byte index of the `:` between method name and method-specific id.
    method_end: usize,
}

impl Did {
    /// Parses a DID. Refuses DID URLs (path, query, fragment): use [`DidUrl::parse`] for those.
    pub fn parse(text: &str) -> Result<Self, DidSyntaxError> {
        if text.len() > MAX_DID_URL_LEN {
            return Err(DidSyntaxError::TooLong);
        }
        // DID Core 3.1: the scheme is the lowercase "did".
        let rest = text.strip_prefix("did:").ok_or(DidSyntaxError::Scheme)?;
        let colon = rest.find(':').ok_or(DidSyntaxError::MethodName)?;
        let method = &rest[..colon];
        // method-name = 1*method-char; method-char = %x61-7A / DIGIT
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(DidSyntaxError::MethodName);
        }
        let msid = &rest[colon + 1..];
        // method-specific-id = *( *idchar ":" ) 1*idchar: non-empty, not ending in ':'.
        if msid.is_empty() || msid.ends_with(':') {
            return Err(DidSyntaxError::MethodSpecificId);
        }
        check_chars(
            msid,
            |b| is_idchar(b) || b == b':',
            DidSyntaxError::MethodSpecificId,
        )?;
        Ok(Did {
            text: text.to_owned(),
            method_end: 4 + colon,
        })
    }

    /// The DID as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The method name (`key`, `jwk`, `web`, ...).
    pub fn method(&self) -> &str {
        &self.text[4..self.method_end]
    }

    /// The method-specific identifier.
    pub fn method_specific_id(&self) -> &str {
        &self.text[self.method_end + 1..]
    }

    /// The DID URL `self#fragment`.
    pub fn with_fragment(&self, fragment: &str) -> Result<DidUrl, DidSyntaxError> {
        DidUrl::parse(&format!("{}#{fragment}", self.text))
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.text)
    }
}

impl std::str::FromStr for Did {
    type Err = DidSyntaxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Did::parse(s)
    }
}

impl Serialize for Did {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Did {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Did::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A syntactically valid absolute DID URL (DID Core section 3.2).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DidUrl {
    did: Did,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

impl DidUrl {
    /// Parses an absolute DID URL.
    pub fn parse(text: &str) -> Result<Self, DidSyntaxError> {
        if text.len() > MAX_DID_URL_LEN {
            return Err(DidSyntaxError::TooLong);
        }
        let did_end = text.find(['/', '?', '#']).unwrap_or(text.len());
        let did = Did::parse(&text[..did_end])?;
        let (path, query, fragment) = split_reference(&text[did_end..])?;
        Ok(DidUrl {
            did,
            path,
            query,
            fragment,
        })
    }

    /// Parses a DID URL that may be relative to `base` (DID Core section 3.2.2: a relative
    /// DID URL such as `#key-1` is resolved against the DID of the document it appears in).
    pub fn parse_relative(text: &str, base: &Did) -> Result<Self, DidSyntaxError> {
        if text.starts_with(['#', '?', '/']) {
            if text.len() > MAX_DID_URL_LEN {
                return Err(DidSyntaxError::TooLong);
            }
            let (path, query, fragment) = split_reference(text)?;
            Ok(DidUrl {
                did: base.clone(),
                path,
                query,
                fragment,
            })
        } else {
            DidUrl::parse(text)
        }
    }

    /// The DID part.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The path (`path-abempty`, possibly empty).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The fragment, without `#`.
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.as_deref()
    }

    /// True if the URL is a bare DID (no path, query or fragment).
    pub fn is_bare_did(&self) -> bool {
        self.path.is_empty() && self.query.is_none() && self.fragment.is_none()
    }
}

/// Splits `path-abempty [ "?" query ] [ "#" fragment ]` and checks each part (RFC 3986).
fn split_reference(text: &str) -> Result<(String, Option<String>, Option<String>), DidSyntaxError> {
    let (before_fragment, fragment) = match text.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (text, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (before_fragment, None),
    };
    // path-abempty = *( "/" segment ): empty or starting with '/'.
    if !path.is_empty() && !path.starts_with('/') {
        return Err(DidSyntaxError::UrlComponent);
    }
    check_chars(
        path,
        |b| is_pchar(b) || b == b'/',
        DidSyntaxError::UrlComponent,
    )?;
    if let Some(q) = query {
        check_chars(q, is_query_char, DidSyntaxError::UrlComponent)?;
    }
    if let Some(f) = fragment {
        check_chars(f, is_query_char, DidSyntaxError::UrlComponent)?;
    }
    Ok((
        path.to_owned(),
        query.map(str::to_owned),
        fragment.map(str::to_owned),
    ))
}

impl fmt::Display for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.did.as_str())?;
        f.write_str(&self.path)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        if let Some(fr) = &self.fragment {
            write!(f, "#{fr}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidUrl({self})")
    }
}

impl std::str::FromStr for DidUrl {
    type Err = DidSyntaxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DidUrl::parse(s)
    }
}

impl Serialize for DidUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DidUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DidUrl::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn did_core_example_1_parses() {
        // DID Core section 3.1, Example 1.
        let did = Did::parse("did:example:123456789abcdefghi").unwrap();
        assert_eq!(did.method(), "example");
        assert_eq!(did.method_specific_id(), "123456789abcdefghi");
    }

    #[test]
    fn method_specific_id_may_contain_colons_and_pct_encoding() {
        let did = Did::parse("did:web:example.com%3A8443:user:alice").unwrap();
        assert_eq!(did.method(), "web");
        assert_eq!(did.method_specific_id(), "example.com%3A8443:user:alice");
    }

    #[test]
    fn did_syntax_rules() {
        use DidSyntaxError::*;
        let cases = [
            ("DID:example:1", Scheme),
            ("dod:example:1", Scheme),
            ("did:Example:1", MethodName),
            ("did::1", MethodName),
            ("did:ex-ample:1", MethodName),
            ("did:example", MethodName),
            ("did:example:", MethodSpecificId),
            ("did:example:abc:", MethodSpecificId),
            ("did:example:a b", MethodSpecificId),
            ("did:example:a=b", MethodSpecificId),
            ("did:example:a/b", MethodSpecificId),
            ("did:example:%zz", PercentEncoding),
            ("did:example:%4", PercentEncoding),
        ];
        for (text, err) in cases {
            assert_eq!(Did::parse(text), Err(err), "{text}");
        }
        assert!(
            Did::parse("did:example:a::b").is_ok(),
            "empty segments are allowed"
        );
        assert_eq!(Did::parse("did:example:1#f"), Err(MethodSpecificId));
    }

    #[test]
    fn did_url_components() {
        // DID Core section 3.2, Examples 3-6 (path, query, fragment).
        let url = DidUrl::parse("did:example:123456/path?versionId=1#public-key-0").unwrap();
        assert_eq!(url.did().as_str(), "did:example:123456");
        assert_eq!(url.path(), "/path");
        assert_eq!(url.query(), Some("versionId=1"));
        assert_eq!(url.fragment(), Some("public-key-0"));
        assert_eq!(
            url.to_string(),
            "did:example:123456/path?versionId=1#public-key-0"
        );
        let frag_only = DidUrl::parse("did:example:123#keys-1").unwrap();
        assert_eq!(frag_only.fragment(), Some("keys-1"));
        assert_eq!(frag_only.path(), "");
        assert!(DidUrl::parse("did:example:123").unwrap().is_bare_did());
    }

    #[test]
    fn did_url_rejects_bad_components() {
        assert_eq!(
            DidUrl::parse("did:example:1#a b"),
            Err(DidSyntaxError::UrlComponent)
        );
        assert_eq!(
            DidUrl::parse("did:example:1#a#b"),
            Err(DidSyntaxError::UrlComponent)
        );
        assert_eq!(
            DidUrl::parse("did:example:1/p?q\""),
            Err(DidSyntaxError::UrlComponent)
        );
        assert_eq!(
            DidUrl::parse("did:example:1#%G0"),
            Err(DidSyntaxError::PercentEncoding)
        );
        let long = format!("did:example:{}", "a".repeat(MAX_DID_URL_LEN));
        assert_eq!(DidUrl::parse(&long), Err(DidSyntaxError::TooLong));
    }

    #[test]
    fn relative_did_url_resolves_against_base() {
        // DID Core section 3.2.2, Example 8: "#key-1" relative to the document's DID.
        let base = Did::parse("did:example:123456789abcdefghi").unwrap();
        let url = DidUrl::parse_relative("#key-1", &base).unwrap();
        assert_eq!(url.to_string(), "did:example:123456789abcdefghi#key-1");
        let abs = DidUrl::parse_relative("did:example:other#k", &base).unwrap();
        assert_eq!(abs.did().as_str(), "did:example:other");
        assert!(DidUrl::parse_relative("key-1", &base).is_err());
    }

    proptest! {
        #[test]
        fn valid_dids_round_trip(
            method in "[a-z0-9]{1,10}",
            segs in proptest::collection::vec("[A-Za-z0-9._-]{0,8}", 0..4),
            last in "[A-Za-z0-9._-]{1,8}",
            frag in proptest::option::of("[A-Za-z0-9._~!$&'()*+,;=:@/?-]{0,12}"),
        ) {
            let mut msid = String::new();
            for s in &segs { msid.push_str(s); msid.push(':'); }
            msid.push_str(&last);
            let text = format!("did:{method}:{msid}");
            let did = Did::parse(&text).unwrap();
            prop_assert_eq!(did.method(), method.as_str());
            prop_assert_eq!(did.method_specific_id(), msid.as_str());
            let url_text = match &frag { Some(f) => format!("{text}#{f}"), None => text.clone() };
            let url = DidUrl::parse(&url_text).unwrap();
            prop_assert_eq!(url.to_string(), url_text);
            prop_assert_eq!(url.did(), &did);
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,64}") {
            let _ = Did::parse(&text);
            let _ = DidUrl::parse(&text);
        }
    }
}
