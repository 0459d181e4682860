//! The wallet's network access: which URLs it may contact, and the HTTP trait the protocol
//! flows call (tests inject fakes; [`ReqwestHttp`] is the real one).
//!
//! Every URL the wallet is handed by an offer, a request or a metadata document goes through
//! [`check_url`] before it is contacted: `https` only; plain `http` only to a loopback host
//! and only with [`NetworkPolicy::allow_http_loopback`] (local testing). Userinfo and
//! IP-literal private addresses are refused. The flows check, not the transport, so the rule
//! holds whatever transport is injected.

use std::time::Duration;

use serde_json::Value;
use url::Url;

/// What the wallet may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkPolicy {
    /// Allow plain `http://` to loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`). Off by
    /// default; for local testing only.
    pub allow_http_loopback: bool,
}

/// Why a URL was refused or a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// Not a URL.
    #[error("not a valid URL")]
    InvalidUrl,
    /// `http://` (or another scheme) where `https://` is required.
    #[error("only https is allowed (plain http only to loopback with --allow-http-loopback)")]
    InsecureScheme,
    /// The host is a private or otherwise internal address.
    #[error("target address not allowed")]
    ForbiddenAddress,
    /// The server redirected; redirects are never followed.
    #[error("the server redirected; redirects are not followed")]
    Redirect,
    /// The response body exceeded the cap.
    #[error("response too large")]
    TooLarge,
    /// Timed out.
    #[error("timed out")]
    Timeout,
    /// Connection or TLS failure.
    #[error("connection failed")]
    Connect,
}

/// Parses `url` and checks it against `policy`.
pub fn check_url(url: &str, policy: NetworkPolicy) -> Result<Url, NetError> {
    let parsed = Url::parse(url).map_err(|_| NetError::InvalidUrl)?;
    did_methods::http::check_target(&parsed, policy.allow_http_loopback).map_err(|e| match e {
        did_methods::HttpError::InsecureScheme => NetError::InsecureScheme,
        did_methods::HttpError::ForbiddenAddress => NetError::ForbiddenAddress,
        _ => NetError::InvalidUrl,
    })?;
    Ok(parsed)
}

/// An HTTP response: status, content type and (capped) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The HTTP operations the flows need. Implementations must not follow redirects and must
/// cap bodies at [`MAX_BODY`].
#[async_trait::async_trait]
pub trait WalletHttp: Send + Sync {
    /// GET with an `Accept` header.
    async fn get(&self, url: &Url, accept: &str) -> Result<HttpResponse, NetError>;
    /// POST an `application/x-www-form-urlencoded` body.
    async fn post_form(&self, url: &Url, body: &str) -> Result<HttpResponse, NetError>;
    /// POST a JSON body, with an optional bearer access token.
    async fn post_json(
        &self,
        url: &Url,
        body: &Value,
        bearer: Option<&str>,
    ) -> Result<HttpResponse, NetError>;
}

/// The largest response body read.
pub const MAX_BODY: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(20);

/// The real transport: reqwest with rustls, no redirects, no proxy, a timeout and a body cap.
#[derive(Debug, Clone)]
pub struct ReqwestHttp {
    client: reqwest::Client,
}

impl ReqwestHttp {
    /// Builds the client.
    pub fn new() -> Result<Self, NetError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|_| NetError::Connect)?;
        Ok(Self { client })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<HttpResponse, NetError> {
        let mut response = request.send().await.map_err(map_error)?;
        if response.status().is_redirection() {
            return Err(NetError::Redirect);
        }
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if response
            .content_length()
            .is_some_and(|len| len > MAX_BODY as u64)
        {
            return Err(NetError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map_error)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(NetError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            content_type,
            body,
        })
    }
}

fn map_error(error: reqwest::Error) -> NetError {
    if error.is_timeout() {
        NetError::Timeout
    } else {
        NetError::Connect
    }
}

#[async_trait::async_trait]
impl WalletHttp for ReqwestHttp {
    async fn get(&self, url: &Url, accept: &str) -> Result<HttpResponse, NetError> {
        self.send(
            self.client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, accept),
        )
        .await
    }

    async fn post_form(&self, url: &Url, body: &str) -> Result<HttpResponse, NetError> {
        self.send(
            self.client
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.to_owned()),
        )
        .await
    }

    async fn post_json(
        &self,
        url: &Url,
        body: &Value,
        bearer: Option<&str>,
    ) -> Result<HttpResponse, NetError> {
        let mut request = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }
}

/// The DID resolver the flows use: did:key and did:jwk computed, did:web retrieved over the
/// guarded client (https only, public addresses only; with
/// [`NetworkPolicy::allow_http_loopback`], also plain http to loopback).
pub fn did_resolver(policy: NetworkPolicy) -> Result<did_methods::UniversalResolver, NetError> {
    let mut builder = did_methods::ReqwestHttpClient::builder();
    if policy.allow_http_loopback {
        builder = builder.dangerous().allow_loopback();
    }
    let client = builder.build().map_err(|_| NetError::Connect)?;
    let mut web = did_methods::DidWebResolver::new(client);
    if policy.allow_http_loopback {
        web = web.dangerous().plain_http_for_localhost();
    }
    Ok(did_methods::UniversalResolver::new(web))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: NetworkPolicy = NetworkPolicy {
        allow_http_loopback: false,
    };
    const LOOPBACK: NetworkPolicy = NetworkPolicy {
        allow_http_loopback: true,
    };

    #[test]
    fn https_is_required() {
        check_url("https://verifier.example/request", STRICT).unwrap();
        for bad in ["http://verifier.example/x", "ftp://verifier.example/x"] {
            assert_eq!(
                check_url(bad, STRICT),
                Err(NetError::InsecureScheme),
                "{bad}"
            );
        }
        assert!(check_url("file:///etc/passwd", LOOPBACK).is_err());
        assert_eq!(check_url("not a url", STRICT), Err(NetError::InvalidUrl));
        assert_eq!(
            check_url("https://user:pw@verifier.example/", STRICT),
            Err(NetError::InvalidUrl)
        );
    }

    #[test]
    fn plain_http_only_to_loopback_and_only_when_allowed() {
        for loopback in [
            "http://127.0.0.1:8080/r",
            "http://localhost:3000/r",
            "http://[::1]:80/r",
        ] {
            assert_eq!(
                check_url(loopback, STRICT),
                Err(NetError::InsecureScheme),
                "{loopback}"
            );
            check_url(loopback, LOOPBACK).unwrap();
        }
        // The flag does not open plain http to anything else.
        for other in [
            "http://verifier.example/r",
            "http://10.0.0.1/r",
            "http://192.168.1.1/r",
        ] {
            assert!(check_url(other, LOOPBACK).is_err(), "{other}");
        }
    }

    #[test]
    fn private_ip_literals_are_refused() {
        for private in [
            "https://10.0.0.1/r",
            "https://169.254.169.254/latest",
            "https://192.168.0.1/",
        ] {
            assert_eq!(
                check_url(private, STRICT),
                Err(NetError::ForbiddenAddress),
                "{private}"
            );
        }
    }
}
