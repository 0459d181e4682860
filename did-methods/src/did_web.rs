//! did:web (W3C CCG did:web Method Specification).
//!
//! DID-to-URL mapping (spec section "Read (Resolve)"): replace `:` by `/`, percent-decode
//! the port colon (`%3A`), prefix `https://`, append `/.well-known` when there is no path,
//! append `/did.json`. The method-specific identifier "MUST NOT include IP addresses"
//! (spec section "Create (Register)"): numeric hosts in any spelling are refused as
//! `invalidDid`.
//!
//! Retrieval protections (shared/guide/security.md, DID section): https only, no redirects,
//! a timeout, a size cap, the document `id` equal to the DID, and no connection to internal
//! addresses (checked here for IP literals and in [`crate::http::ReqwestHttpClient`] after
//! DNS resolution).

use std::time::Duration;

use url::{Host, Url};

use crate::did::Did;
use crate::document::DidDocument;
use crate::error::{DocumentError, InvalidDidReason, ResolutionError};
use crate::http::{HttpClient, HttpError, check_target};

/// Default cap on a did:web document (DID documents are small; 256 KiB is generous).
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// Default overall timeout for one did:web retrieval.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn invalid(reason: InvalidDidReason) -> ResolutionError {
    ResolutionError::InvalidDid(reason)
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens, at most 253
/// characters, and not something the URL host parser reads as an IPv4 address. No trailing
/// dot: `example.com.` is the same host as `example.com`, and one host has one DID.
fn check_domain(host: &str) -> Result<(), ResolutionError> {
    if host.is_empty() || host.len() > 253 {
        return Err(invalid(InvalidDidReason::InvalidHost));
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(invalid(InvalidDidReason::InvalidHost));
        }
    }
    // The WHATWG host parser treats a name whose last label is numeric (decimal, 0x-hex or
    // octal) as an IPv4 address: `2130706433`, `0x7f.1`, `127.1`, `0177.0.0.1`.
    match Host::parse(host) {
        Ok(Host::Domain(_)) => Ok(()),
        Ok(Host::Ipv4(_) | Host::Ipv6(_)) => Err(invalid(InvalidDidReason::IpAddressHost)),
        Err(_) => Err(invalid(InvalidDidReason::IpAddressHost)),
    }
}

/// Percent-decodes a path segment for the `.`/`..`/separator checks.
fn decoded(segment: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(segment).collect()
}

/// The https URL of a did:web document (spec section "Read (Resolve)").
pub fn did_web_url(did: &Did) -> Result<Url, ResolutionError> {
    if did.method() != "web" {
        return Err(invalid(InvalidDidReason::WrongMethod));
    }
    let mut parts = did.method_specific_id().split(':');
    let authority = parts.next().unwrap_or_default();
    // Step 2: the port's colon is percent-encoded; it is the only percent-decoding done on
    // the domain part.
    let (host, port) = match authority
        .split_once("%3A")
        .or_else(|| authority.split_once("%3a"))
    {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.contains('%') {
        return Err(invalid(InvalidDidReason::InvalidHost));
    }
    check_domain(host)?;
    let port = match port {
        None => String::new(),
        Some(p) => {
            // Decimal without leading zeros: `%3A08443` would alias `%3A8443`.
            let valid = !p.is_empty()
                && p.len() <= 5
                && !p.starts_with('0')
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n > 0);
            if !valid {
                return Err(invalid(InvalidDidReason::InvalidPort));
            }
            format!(":{p}")
        }
    };
    let segments: Vec<&str> = parts.collect();
    for seg in &segments {
        let d = decoded(seg);
        // Empty, dot and dot-dot segments would be normalised away by URL parsing, letting
        // two DIDs share one document location; encoded separators would change the path.
        if d.is_empty() || d == b"." || d == b".." || d.contains(&b'/') || d.contains(&b'\\') {
            return Err(invalid(InvalidDidReason::InvalidPath));
        }
    }
    // Steps 3-5.
    let path = if segments.is_empty() {
        "/.well-known".to_owned()
    } else {
        format!("/{}", segments.join("/"))
    };
    let url = Url::parse(&format!("https://{host}{port}{path}/did.json"))
        .map_err(|_| invalid(InvalidDidReason::InvalidHost))?;
    Ok(url)
}

/// The did:web for a document hosted under an https base URL: `https://example.com` ->
/// `did:web:example.com` (served at `/.well-known/did.json`), `https://example.com:8443/a/b`
/// -> `did:web:example.com%3A8443:a:b` (served at `/a/b/did.json`).
pub fn did_web_from_url(base: &Url) -> Result<Did, ResolutionError> {
    if base.scheme() != "https"
        || !base.username().is_empty()
        || base.password().is_some()
        || base.query().is_some()
        || base.fragment().is_some()
    {
        return Err(invalid(InvalidDidReason::InvalidHost));
    }
    let host = match base.host() {
        Some(Host::Domain(d)) => d.to_owned(),
        Some(_) => return Err(invalid(InvalidDidReason::IpAddressHost)),
        None => return Err(invalid(InvalidDidReason::InvalidHost)),
    };
    let mut text = format!("did:web:{host}");
    if let Some(port) = base.port() {
        text.push_str(&format!("%3A{port}"));
    }
    let path = base.path().trim_end_matches('/');
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        text.push(':');
        text.push_str(seg);
    }
    let did = Did::parse(&text)?;
    // The DID must map back to this base.
    did_web_url(&did)?;
    Ok(did)
}

/// Resolves did:web DIDs over an injected [`HttpClient`].
#[derive(Debug, Clone)]
pub struct DidWebResolver<H> {
    http: H,
    max_body: usize,
    timeout: Duration,
    plain_http_loopback: bool,
}

impl<H: HttpClient> DidWebResolver<H> {
    /// A resolver with the default cap and timeout.
    pub fn new(http: H) -> Self {
        DidWebResolver {
            http,
            max_body: DEFAULT_MAX_DOCUMENT_BYTES,
            timeout: DEFAULT_TIMEOUT,
            plain_http_loopback: false,
        }
    }

    /// Sets the document size cap.
    pub fn with_max_document_bytes(mut self, max: usize) -> Self {
        self.max_body = max;
        self
    }

    /// Sets the overall timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Options that weaken the protections, for tests against local servers only.
    pub fn dangerous(self) -> DangerousWebOptions<H> {
        DangerousWebOptions(self)
    }

    /// Resolves a did:web.
    pub async fn resolve_web(&self, did: &str) -> Result<DidDocument, ResolutionError> {
        let did = Did::parse(did)?;
        let mut url = did_web_url(&did)?;
        let loopback_host = url
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case("localhost"));
        if self.plain_http_loopback && loopback_host {
            url.set_scheme("http")
                .map_err(|()| invalid(InvalidDidReason::InvalidHost))?;
        }
        // Checked here too, so no HttpClient implementation can be handed an internal
        // IP-literal target or a non-https URL.
        check_target(&url, self.plain_http_loopback)?;
        let response = tokio::time::timeout(self.timeout, self.http.get(&url, self.max_body))
            .await
            .map_err(|_| HttpError::Timeout)??;
        match response.status {
            200..=299 => {}
            300..=399 => return Err(HttpError::Redirect.into()),
            404 | 410 => return Err(ResolutionError::NotFound),
            other => return Err(HttpError::Status(other).into()),
        }
        if response.body.len() > self.max_body {
            return Err(HttpError::BodyTooLarge.into());
        }
        let value: serde_json::Value = serde_json::from_slice(&response.body)
            .map_err(|_| ResolutionError::InvalidDidDocument(DocumentError::Malformed))?;
        DidDocument::from_json_for(&value, &did).map_err(ResolutionError::InvalidDidDocument)
    }
}

/// Settings that weaken [`DidWebResolver`]'s protections. Never enable outside tests.
#[derive(Debug)]
pub struct DangerousWebOptions<H>(DidWebResolver<H>);

impl<H> DangerousWebOptions<H> {
    /// Fetches `did:web:localhost%3A<port>` documents over plain http, for tests against a
    /// local server (the client must allow loopback too). No other host is affected.
    pub fn plain_http_for_localhost(mut self) -> DidWebResolver<H> {
        self.0.plain_http_loopback = true;
        self.0
    }
}

#[async_trait::async_trait]
impl<H: HttpClient> crate::resolver::DidResolver for DidWebResolver<H> {
    async fn resolve(&self, did: &str) -> Result<DidDocument, ResolutionError> {
        let parsed = Did::parse(did)?;
        if parsed.method() != "web" {
            return Err(ResolutionError::MethodNotSupported);
        }
        self.resolve_web(did).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_of(did: &str) -> Result<String, ResolutionError> {
        did_web_url(&Did::parse(did).unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn spec_examples_did_to_https_url() {
        // did:web spec, section "Read (Resolve)", examples.
        assert_eq!(
            url_of("did:web:w3c-ccg.github.io").unwrap(),
            "https://w3c-ccg.github.io/.well-known/did.json"
        );
        assert_eq!(
            url_of("did:web:w3c-ccg.github.io:user:alice").unwrap(),
            "https://w3c-ccg.github.io/user/alice/did.json"
        );
        assert_eq!(
            url_of("did:web:example.com%3A3000:user:alice").unwrap(),
            "https://example.com:3000/user/alice/did.json"
        );
        assert_eq!(
            url_of("did:web:example.com%3A3000").unwrap(),
            "https://example.com:3000/.well-known/did.json"
        );
    }

    #[test]
    fn ip_address_hosts_are_invalid_in_any_spelling() {
        for did in [
            "did:web:127.0.0.1",
            "did:web:127.1",
            "did:web:2130706433",
            "did:web:0x7f000001",
            "did:web:0x7f.1",
            "did:web:0177.0.0.1",
            "did:web:169.254.169.254",
            "did:web:8.8.8.8",
            "did:web:10.0.0.1%3A8080:x",
        ] {
            assert_eq!(
                url_of(did),
                Err(ResolutionError::InvalidDid(InvalidDidReason::IpAddressHost)),
                "{did}"
            );
        }
        // IPv6 literals cannot even be spelled: '[' is not an idchar, and encoded ones are
        // refused.
        assert!(Did::parse("did:web:[::1]").is_err());
        assert_eq!(
            url_of("did:web:%5B%3A%3A1%5D"),
            Err(ResolutionError::InvalidDid(InvalidDidReason::InvalidHost))
        );
    }

    #[test]
    fn host_port_and_path_rules() {
        let host = Err(ResolutionError::InvalidDid(InvalidDidReason::InvalidHost));
        let port = Err(ResolutionError::InvalidDid(InvalidDidReason::InvalidPort));
        let path = Err(ResolutionError::InvalidDid(InvalidDidReason::InvalidPath));
        assert_eq!(url_of("did:web:exa_mple.com"), host);
        assert_eq!(url_of("did:web:-example.com"), host);
        assert_eq!(url_of("did:web:example..com"), host);
        assert_eq!(url_of("did:web:ex%41mple.com"), host);
        assert_eq!(url_of("did:web:example.com%3A"), port);
        assert_eq!(url_of("did:web:example.com%3A0"), port);
        assert_eq!(url_of("did:web:example.com%3A65536"), port);
        assert_eq!(url_of("did:web:example.com%3A80a"), port);
        assert_eq!(url_of("did:web:example.com::a"), path);
        assert_eq!(url_of("did:web:example.com:..:admin"), path);
        assert_eq!(url_of("did:web:example.com:%2e%2E:admin"), path);
        assert_eq!(url_of("did:web:example.com:.:a"), path);
        assert_eq!(url_of("did:web:example.com:a%2Fb"), path);
        assert_eq!(
            url_of("did:key:z6Mk"),
            Err(ResolutionError::InvalidDid(InvalidDidReason::WrongMethod))
        );
    }

    #[test]
    fn rule_host_and_port_have_one_spelling() {
        // A trailing dot (`example.com.`, the absolute FQDN) or a zero-padded port names the
        // same server as the canonical spelling: two DIDs for one document location, the
        // aliasing the path rules already refuse. `localhost.` would also slip past the
        // loopback test override's exact `localhost` match.
        let host = Err(ResolutionError::InvalidDid(InvalidDidReason::InvalidHost));
        let port = Err(ResolutionError::InvalidDid(InvalidDidReason::InvalidPort));
        assert_eq!(url_of("did:web:example.com."), host);
        assert_eq!(url_of("did:web:localhost."), host);
        assert_eq!(url_of("did:web:example.com.%3A8443:a"), host);
        assert_eq!(url_of("did:web:example.com%3A08443"), port);
        assert_eq!(url_of("did:web:example.com%3A00443"), port);
        assert_eq!(
            url_of("did:web:example.com%3A8443").unwrap(),
            "https://example.com:8443/.well-known/did.json"
        );
        assert!(did_web_from_url(&Url::parse("https://example.com./").unwrap()).is_err());
    }

    #[test]
    fn did_from_hosting_url_round_trips() {
        for (base, did) in [
            ("https://example.com", "did:web:example.com"),
            ("https://example.com/", "did:web:example.com"),
            (
                "https://example.com:8443/issuers/1",
                "did:web:example.com%3A8443:issuers:1",
            ),
        ] {
            let got = did_web_from_url(&Url::parse(base).unwrap()).unwrap();
            assert_eq!(got.as_str(), did);
        }
        assert!(did_web_from_url(&Url::parse("http://example.com").unwrap()).is_err());
        assert!(did_web_from_url(&Url::parse("https://10.0.0.1").unwrap()).is_err());
    }
}
