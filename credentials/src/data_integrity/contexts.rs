//! JSON-LD contexts from a static, pinned allow-list.
//!
//! Nothing is ever fetched: the loader serves exactly the documents below, compiled into the
//! binary (the copies shipped by `ssi-contexts` 0.1.10, whose SHA-256 digests a unit test
//! pins), and refuses every other IRI. VC Data Integrity 1.0 section 4.5 (contexts and
//! vocabularies) lets implementations refuse unknown contexts; we refuse them always.
//!
//! Before JSON-LD processing, [`check_contexts`] walks every `@context` value in a document
//! (top level, nested node objects, scoped contexts inside inline context objects and
//! `@import`) so an unknown context is reported as `context_invalid` instead of surfacing as
//! an expansion failure.

use std::sync::LazyLock;

use iref::{Iri, IriBuf};
use json_ld::{LoadError, RemoteDocument};
use json_syntax::Parse as _;
use serde_json::Value;

/// `https://www.w3.org/ns/credentials/v2` (VC Data Model 2.0 section 4.3).
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// `https://www.w3.org/ns/credentials/examples/v2` (used by the specification examples and
/// the W3C test vectors).
pub const CREDENTIALS_EXAMPLES_V2: &str = "https://www.w3.org/ns/credentials/examples/v2";
/// `https://w3id.org/security/data-integrity/v2`.
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";
/// `https://w3id.org/security/multikey/v1`.
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";
/// `https://www.w3.org/ns/did/v1`.
pub const DID_V1: &str = "https://www.w3.org/ns/did/v1";

/// The allow-list: IRI and pinned document text.
pub(crate) const ALLOWED: [(&str, &str); 5] = [
    (CREDENTIALS_V2, ssi_contexts::CREDENTIALS_V2),
    (
        CREDENTIALS_EXAMPLES_V2,
        ssi_contexts::CREDENTIALS_EXAMPLES_V2,
    ),
    (DATA_INTEGRITY_V2, ssi_contexts::W3ID_DATA_INTEGRITY_V2),
    (MULTIKEY_V1, ssi_contexts::W3ID_MULTIKEY_V1),
    (DID_V1, ssi_contexts::DID_V1),
];

/// True if `iri` is on the allow-list.
pub fn is_allowed(iri: &str) -> bool {
    ALLOWED.iter().any(|(allowed, _)| *allowed == iri)
}

/// The parsed allow-listed documents, built once.
static DOCUMENTS: LazyLock<Vec<(IriBuf, RemoteDocument<IriBuf>)>> = LazyLock::new(|| {
    ALLOWED
        .iter()
        .filter_map(|(iri, text)| {
            // The pinned texts are valid JSON with absolute IRIs (tested in
            // `pinned_contexts_parse`); a failure here leaves the IRI unserved, which fails
            // closed.
            let iri = IriBuf::new((*iri).to_owned()).ok()?;
            let (json, _) = json_syntax::Value::parse_str(text).ok()?;
            let doc =
                RemoteDocument::new(Some(iri.clone()), "application/ld+json".parse().ok(), json);
            Some((iri, doc))
        })
        .collect()
});

/// A JSON-LD context IRI outside the allow-list was requested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("context not on the allow-list")]
pub struct ContextNotAllowed;

/// The document loader: serves the pinned documents, refuses everything else. No IO.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowListLoader;

impl json_ld::Loader for AllowListLoader {
    async fn load(&self, url: &Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        DOCUMENTS
            .iter()
            .find(|(iri, _)| iri.as_str() == url.as_str())
            .map(|(_, doc)| doc.clone())
            .ok_or_else(|| LoadError::new(url.to_owned(), ContextNotAllowed))
    }
}

/// Where a context walk found something it refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextViolation {
    /// A context IRI that is not on the allow-list (would need remote loading).
    #[error("context not on the allow-list: {0}")]
    NotAllowed(String),
    /// A context value that is neither an IRI string, an object nor `null`.
    #[error("malformed @context value")]
    Malformed,
}

/// Checks every `@context` (and `@import`) reference anywhere in `value` against the
/// allow-list. Inline context objects are allowed: they are part of the signed document.
pub fn check_contexts(value: &Value) -> Result<(), ContextViolation> {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                if key == "@context" {
                    check_context_value(member)?;
                } else {
                    check_contexts(member)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check_contexts),
        _ => Ok(()),
    }
}

fn check_context_value(context: &Value) -> Result<(), ContextViolation> {
    match context {
        Value::Null => Ok(()),
        Value::String(iri) if is_allowed(iri) => Ok(()),
        Value::String(iri) => Err(ContextViolation::NotAllowed(iri.clone())),
        Value::Array(items) => items.iter().try_for_each(check_context_value),
        Value::Object(definition) => {
            for (key, member) in definition {
                match (key.as_str(), member) {
                    ("@import", Value::String(iri)) if !is_allowed(iri) => {
                        return Err(ContextViolation::NotAllowed(iri.clone()));
                    }
                    // Scoped contexts inside term definitions.
                    (_, Value::Object(term)) => {
                        if let Some(scoped) = term.get("@context") {
                            check_context_value(scoped)?;
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        _ => Err(ContextViolation::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sha2::{Digest as _, Sha256};

    /// The digests of the pinned context documents. A dependency update that changes any of
    /// them must be reviewed (a changed context changes what signatures mean).
    #[test]
    fn pinned_context_digests() {
        let expected = [
            "8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f",
            "e6600df812cdc1872f20b42ab0c1cecac39755b7ed381e7f6a88dac7baab54d6",
            "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363",
            "00e1592fd321ed9b843aee80f4f25e23a3fa53e514e73dc9d109fc4e0aaadf1c",
            "4f3eae5568c9c5f036a082088f9e192019ee06faa78973c87ff91d5421b88dad",
        ];
        for ((iri, text), digest) in ALLOWED.iter().zip(expected) {
            assert_eq!(
                hex::encode(Sha256::digest(text.as_bytes())),
                digest,
                "{iri}"
            );
        }
    }

    #[test]
    fn pinned_contexts_parse() {
        assert_eq!(DOCUMENTS.len(), ALLOWED.len());
    }

    #[test]
    fn loader_refuses_unlisted_iri() {
        use json_ld::Loader as _;
        let loader = AllowListLoader;
        let unknown = Iri::new("https://evil.example/context").unwrap();
        assert!(futures_executor::block_on(loader.load(unknown)).is_err());
        let known = Iri::new(CREDENTIALS_V2).unwrap();
        assert!(futures_executor::block_on(loader.load(known)).is_ok());
    }

    #[test]
    fn walk_finds_nested_scoped_and_imported_contexts() {
        assert!(check_contexts(&json!({"@context": [CREDENTIALS_V2, {"x": "urn:x"}]})).is_ok());
        let nested =
            json!({"@context": CREDENTIALS_V2, "a": {"@context": "https://evil.example/"}});
        assert_eq!(
            check_contexts(&nested),
            Err(ContextViolation::NotAllowed("https://evil.example/".into()))
        );
        let scoped =
            json!({"@context": [{"T": {"@id": "urn:t", "@context": "https://e.example/"}}]});
        assert!(check_contexts(&scoped).is_err());
        let imported = json!({"@context": {"@import": "https://e.example/"}});
        assert!(check_contexts(&imported).is_err());
        assert_eq!(
            check_contexts(&json!({"@context": 5})),
            Err(ContextViolation::Malformed)
        );
    }
}
