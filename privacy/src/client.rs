//! A minimal HTTP/1.1 client for the CLI (plain `http://` only: put TLS in front with a proxy).

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// Client errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Only `http://host:port` base URLs are supported.
    #[error("invalid URL: use http://host:port")]
    InvalidUrl,
    /// Could not connect.
    #[error("cannot connect: {0}")]
    Connect(#[from] std::io::Error),
    /// HTTP error.
    #[error("http error: {0}")]
    Http(#[from] hyper::Error),
    /// The request could not be built.
    #[error("invalid request")]
    Request,
    /// The response is not JSON.
    #[error("response is not JSON")]
    NotJson,
}

/// Sends one request and returns the status and the JSON body (`null` when empty).
pub async fn call(
    base_url: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<(u16, serde_json::Value), ClientError> {
    let authority = base_url
        .strip_prefix("http://")
        .ok_or(ClientError::InvalidUrl)?
        .trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        return Err(ClientError::InvalidUrl);
    }
    let stream = tokio::net::TcpStream::connect(authority).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", authority);
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let payload = match body {
        Some(v) => {
            builder = builder.header("content-type", "application/json");
            Bytes::from(serde_json::to_vec(v).map_err(|_| ClientError::Request)?)
        }
        None => Bytes::new(),
    };
    let request = builder
        .body(Full::new(payload))
        .map_err(|_| ClientError::Request)?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await?.to_bytes();
    drop(sender);
    driver.abort();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|_| ClientError::NotJson)?
    };
    Ok((status, json))
}
