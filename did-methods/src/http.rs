//! HTTP retrieval for did:web behind an injected trait, and its production implementation.
//!
//! [`HttpClient`] is what the did:web resolver calls; tests inject fakes. The resolver itself
//! enforces https, refuses IP-literal internal targets, applies a timeout and a size cap and
//! refuses redirects, whatever the client does. [`ReqwestHttpClient`] adds the checks that
//! only a real connection can make: it never follows redirects, uses no proxy, streams the
//! body with a cap, and resolves names through a DNS resolver that refuses any answer
//! containing a non-public address, so the address actually connected to is checked
//! (a hostname pointing at 127.0.0.1 or 169.254.169.254 is refused after resolution).
//! IP-literal hosts never reach a DNS resolver, so they are checked separately
//! ([`check_target`]).

use std::net::SocketAddr;
use std::time::Duration;

use url::{Host, Url};

use crate::address;

/// Why an HTTP retrieval failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// Not `https` (plain `http` only to loopback under the dangerous test override).
    #[error("only https is allowed")]
    InsecureScheme,
    /// The target is (or resolves to) a loopback, private, link-local or otherwise
    /// non-public address.
    #[error("target address not allowed")]
    ForbiddenAddress,
    /// The server answered with a redirect, which is never followed.
    #[error("redirects are not followed")]
    Redirect,
    /// The body exceeded the size cap.
    #[error("response too large")]
    BodyTooLarge,
    /// The request did not complete in time.
    #[error("timed out")]
    Timeout,
    /// A non-success status other than not-found or redirect.
    #[error("unexpected HTTP status {0}")]
    Status(u16),
    /// The URL is not usable (userinfo, no host).
    #[error("invalid URL")]
    InvalidUrl,
    /// Connection, TLS or protocol failure.
    #[error("connection failed")]
    Connect,
    /// The HTTP client could not be built.
    #[error("HTTP client setup failed")]
    Setup,
}

/// A response: status and (capped) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body, at most the `max_body` given to [`HttpClient::get`] bytes.
    pub body: Vec<u8>,
}

/// The longest entity tag kept from a response or sent in `If-None-Match`.
pub const MAX_ETAG_LEN: usize = 256;

/// A response to a conditional GET: status, (capped) body, and the entity tag (`ETag`) the
/// server gave for it, if any. A `304 Not Modified` has status 304 and an empty body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionalResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body, at most the `max_body` given to [`HttpClient::get_if_none_match`] bytes.
    pub body: Vec<u8>,
    /// The `ETag` header, exactly as sent (quotes and `W/` included), if present, visible
    /// ASCII and at most [`MAX_ETAG_LEN`] bytes.
    pub etag: Option<String>,
}

/// An HTTP GET without redirects.
#[async_trait::async_trait]
pub trait HttpClient: Send + Sync {
    /// GETs `url`. Must not follow redirects (a 3xx is returned as is) and must fail with
    /// [`HttpError::BodyTooLarge`] rather than read more than `max_body` bytes.
    async fn get(&self, url: &Url, max_body: usize) -> Result<HttpResponse, HttpError>;

    /// A conditional GET (RFC 9110 section 13.1.2): with `etag`, sends `If-None-Match: etag`,
    /// so that a server whose representation still has that tag answers `304 Not Modified`
    /// without a body; returns the response's `ETag`. Same rules as [`HttpClient::get`].
    ///
    /// The default sends no condition and reports no tag (so never a 304): correct, as every
    /// response is then a full one, only not cheaper.
    async fn get_if_none_match(
        &self,
        url: &Url,
        max_body: usize,
        etag: Option<&str>,
    ) -> Result<ConditionalResponse, HttpError> {
        let _ = etag;
        let response = self.get(url, max_body).await?;
        Ok(ConditionalResponse {
            status: response.status,
            body: response.body,
            etag: None,
        })
    }
}

#[async_trait::async_trait]
impl<T: HttpClient + ?Sized> HttpClient for std::sync::Arc<T> {
    async fn get(&self, url: &Url, max_body: usize) -> Result<HttpResponse, HttpError> {
        (**self).get(url, max_body).await
    }

    async fn get_if_none_match(
        &self,
        url: &Url,
        max_body: usize,
        etag: Option<&str>,
    ) -> Result<ConditionalResponse, HttpError> {
        (**self).get_if_none_match(url, max_body, etag).await
    }
}

/// Which targets are allowed: public addresses over https, and, only when
/// `allow_loopback` (the dangerous test override), loopback addresses over http or https.
///
/// Checks the scheme, refuses userinfo, and checks an IP-literal host (in any spelling the
/// URL parser accepts: it has already turned `0x7f.1` or `2130706433` into `127.0.0.1`).
/// Domain names are checked after DNS resolution by the client's resolver.
pub fn check_target(url: &Url, allow_loopback: bool) -> Result<(), HttpError> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(HttpError::InvalidUrl);
    }
    let host = url.host().ok_or(HttpError::InvalidUrl)?;
    let ip = match host {
        Host::Ipv4(v4) => Some(std::net::IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(std::net::IpAddr::V6(v6)),
        Host::Domain(_) => None,
    };
    let loopback_target = match (ip, &host) {
        (Some(ip), _) => address::is_loopback(ip),
        (None, Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        _ => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback && loopback_target => {}
        _ => return Err(HttpError::InsecureScheme),
    }
    if let Some(ip) = ip
        && !permitted(ip, allow_loopback)
    {
        return Err(HttpError::ForbiddenAddress);
    }
    Ok(())
}

fn permitted(ip: std::net::IpAddr, allow_loopback: bool) -> bool {
    address::is_public(ip) || (allow_loopback && address::is_loopback(ip))
}

/// The error a [`GuardedResolver`] returns for a forbidden answer; found again in the
/// `reqwest::Error` source chain.
#[derive(Debug, thiserror::Error)]
#[error("name resolves to a forbidden address")]
struct ForbiddenAnswer;

/// DNS resolution that refuses any answer holding a non-public address (all of them: a
/// mixed answer is a rebinding attempt).
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs = screen_answer(addrs, allow_loopback)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Accepts a DNS answer only if it is non-empty and every address is permitted: an answer
/// mixing public and internal addresses is refused as a whole (a rebinding attempt).
fn screen_answer(
    addrs: Vec<SocketAddr>,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, ForbiddenAnswer> {
    if addrs.is_empty() || addrs.iter().any(|a| !permitted(a.ip(), allow_loopback)) {
        return Err(ForbiddenAnswer);
    }
    Ok(addrs)
}

/// Settings of [`ReqwestHttpClient`].
#[derive(Debug, Clone)]
pub struct ReqwestHttpClientBuilder {
    timeout: Duration,
    connect_timeout: Duration,
    allow_loopback: bool,
}

impl Default for ReqwestHttpClientBuilder {
    fn default() -> Self {
        ReqwestHttpClientBuilder {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            allow_loopback: false,
        }
    }
}

impl ReqwestHttpClientBuilder {
    /// Total time for one request, body included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time to establish the connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Options that weaken the protections, for tests against local servers only.
    pub fn dangerous(self) -> DangerousClientOptions {
        DangerousClientOptions(self)
    }

    /// Builds the client.
    pub fn build(self) -> Result<ReqwestHttpClient, HttpError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!self.allow_loopback)
            .referer(false)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .dns_resolver(GuardedResolver {
                allow_loopback: self.allow_loopback,
            })
            .build()
            .map_err(|_| HttpError::Setup)?;
        Ok(ReqwestHttpClient {
            client,
            allow_loopback: self.allow_loopback,
        })
    }
}

/// Settings that weaken [`ReqwestHttpClient`]'s protections. Never enable outside tests.
#[derive(Debug)]
pub struct DangerousClientOptions(ReqwestHttpClientBuilder);

impl DangerousClientOptions {
    /// Allows connecting to loopback addresses (127.0.0.0/8, ::1, `localhost`), over plain
    /// http too. Every other non-public address stays refused.
    pub fn allow_loopback(mut self) -> ReqwestHttpClientBuilder {
        self.0.allow_loopback = true;
        self.0
    }
}

/// The production [`HttpClient`] (reqwest with rustls).
#[derive(Debug, Clone)]
pub struct ReqwestHttpClient {
    client: reqwest::Client,
    allow_loopback: bool,
}

impl ReqwestHttpClient {
    /// Settings, starting from the safe defaults.
    pub fn builder() -> ReqwestHttpClientBuilder {
        ReqwestHttpClientBuilder::default()
    }

    /// A client with the safe defaults.
    pub fn new() -> Result<Self, HttpError> {
        Self::builder().build()
    }
}

fn map_reqwest_error(e: &reqwest::Error) -> HttpError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.downcast_ref::<ForbiddenAnswer>().is_some() {
            return HttpError::ForbiddenAddress;
        }
        source = err.source();
    }
    if e.is_timeout() {
        HttpError::Timeout
    } else {
        HttpError::Connect
    }
}

impl ReqwestHttpClient {
    async fn fetch(
        &self,
        url: &Url,
        max_body: usize,
        if_none_match: Option<&str>,
    ) -> Result<ConditionalResponse, HttpError> {
        check_target(url, self.allow_loopback)?;
        let mut request = self.client.get(url.clone()).header(
            reqwest::header::ACCEPT,
            "application/did+json, application/json",
        );
        if let Some(etag) = if_none_match.filter(|e| is_valid_etag(e)) {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let mut response = request.send().await.map_err(|e| map_reqwest_error(&e))?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|e| is_valid_etag(e))
            .map(str::to_owned);
        if response
            .content_length()
            .is_some_and(|len| len > max_body as u64)
        {
            return Err(HttpError::BodyTooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| map_reqwest_error(&e))? {
            if body.len() + chunk.len() > max_body {
                return Err(HttpError::BodyTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(ConditionalResponse { status, body, etag })
    }
}

/// An entity tag worth keeping or sending: non-empty, at most [`MAX_ETAG_LEN`] bytes of
/// visible ASCII (RFC 9110 section 8.8.3: `etagc` excludes controls and spaces).
fn is_valid_etag(etag: &str) -> bool {
    !etag.is_empty() && etag.len() <= MAX_ETAG_LEN && etag.bytes().all(|b| b.is_ascii_graphic())
}

#[async_trait::async_trait]
impl HttpClient for ReqwestHttpClient {
    async fn get(&self, url: &Url, max_body: usize) -> Result<HttpResponse, HttpError> {
        let response = self.fetch(url, max_body, None).await?;
        Ok(HttpResponse {
            status: response.status,
            body: response.body,
        })
    }

    async fn get_if_none_match(
        &self,
        url: &Url,
        max_body: usize,
        etag: Option<&str>,
    ) -> Result<ConditionalResponse, HttpError> {
        self.fetch(url, max_body, etag).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str) -> Result<(), HttpError> {
        check_target(&Url::parse(url).unwrap(), false)
    }

    #[test]
    fn ip_literal_spellings_of_internal_addresses_are_refused() {
        // Each of these is an internal address, however it is written.
        for url in [
            "https://127.0.0.1/",
            "https://127.1/",
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://0177.1/",
            "https://017700000001/",
            "https://0/",
            "https://0.0.0.0/",
            "https://169.254.169.254/",
            "https://0xa9.0xfe.0xa9.0xfe/",
            "https://10.1/",
            "https://192.168.0.1:8443/",
            "https://100.64.0.1/",
            "https://192.0.2.1/",
            "https://224.0.0.1/",
            "https://[::1]/",
            "https://[0:0:0:0:0:0:0:1]/",
            "https://[::]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://[2001:db8::1]/",
        ] {
            assert_eq!(check(url), Err(HttpError::ForbiddenAddress), "{url}");
        }
    }

    #[test]
    fn dns_answers_with_any_internal_address_are_refused_whole() {
        let sa = |s: &str| -> SocketAddr { s.parse().unwrap() };
        assert!(screen_answer(vec![sa("93.184.215.14:443")], false).is_ok());
        assert!(
            screen_answer(
                vec![sa("93.184.215.14:443"), sa("[2606:4700::1]:443")],
                false
            )
            .is_ok()
        );
        assert!(screen_answer(vec![], false).is_err());
        assert!(screen_answer(vec![sa("93.184.215.14:443"), sa("10.0.0.1:443")], false).is_err());
        assert!(screen_answer(vec![sa("[::ffff:169.254.169.254]:443")], false).is_err());
        assert!(screen_answer(vec![sa("127.0.0.1:443")], false).is_err());
        // The dangerous override admits loopback, nothing else.
        assert!(screen_answer(vec![sa("127.0.0.1:443"), sa("[::1]:443")], true).is_ok());
        assert!(screen_answer(vec![sa("127.0.0.1:443"), sa("192.168.1.1:443")], true).is_err());
    }

    #[test]
    fn only_https_and_no_userinfo() {
        assert_eq!(check("http://example.com/"), Err(HttpError::InsecureScheme));
        assert_eq!(check("ftp://example.com/"), Err(HttpError::InsecureScheme));
        assert_eq!(check("http://127.0.0.1/"), Err(HttpError::InsecureScheme));
        assert_eq!(
            check("https://user@example.com/"),
            Err(HttpError::InvalidUrl)
        );
        assert_eq!(check("https://example.com/"), Ok(()));
        assert_eq!(check("https://8.8.8.8/"), Ok(()));
    }

    #[test]
    fn loopback_override_allows_only_loopback() {
        let ok = |u: &str| check_target(&Url::parse(u).unwrap(), true);
        assert_eq!(ok("http://127.0.0.1:8080/"), Ok(()));
        assert_eq!(ok("http://localhost:8080/"), Ok(()));
        assert_eq!(ok("http://[::1]:8080/"), Ok(()));
        assert_eq!(ok("http://example.com/"), Err(HttpError::InsecureScheme));
        assert_eq!(ok("http://10.0.0.1/"), Err(HttpError::InsecureScheme));
        assert_eq!(ok("https://10.0.0.1/"), Err(HttpError::ForbiddenAddress));
        assert_eq!(
            ok("https://169.254.169.254/"),
            Err(HttpError::ForbiddenAddress)
        );
    }
}
