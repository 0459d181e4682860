//! The real reqwest-based client against a real socket on 127.0.0.1: refused by default (as
//! an IP literal and after DNS resolution of `localhost`), served only with the explicit
//! dangerous override.
//!
//! "No connection was made" is shown without timing: after the refused request, a sentinel
//! connection is made and the server accepts once. Connections are accepted in arrival order,
//! so if the client had connected, its connection would be accepted before the sentinel.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use did_methods::http::ReqwestHttpClient;
use did_methods::{Did, DidDocument, DidWebResolver, HttpClient, HttpError, ResolutionError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

const SENTINEL: &[u8] = b"SENTINEL";

/// Asserts that the first connection waiting on `listener` is the sentinel.
async fn assert_no_connection_before_sentinel(listener: &TcpListener) {
    let addr = listener.local_addr().unwrap();
    let mut sentinel = TcpStream::connect(addr).await.unwrap();
    sentinel.write_all(SENTINEL).await.unwrap();
    let (mut first, _) = listener.accept().await.unwrap();
    let mut buf = [0u8; 8];
    first.read_exact(&mut buf).await.unwrap();
    assert_eq!(
        &buf, SENTINEL,
        "the client connected to the loopback server"
    );
}

#[tokio::test]
async fn default_client_refuses_loopback_literal_and_localhost_without_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = ReqwestHttpClient::new().unwrap();
    let get = |u: String| {
        let client = client.clone();
        async move { client.get(&Url::parse(&u).unwrap(), 1024).await }
    };
    assert_eq!(
        get(format!("https://127.0.0.1:{port}/did.json")).await,
        Err(HttpError::ForbiddenAddress)
    );
    assert_eq!(
        get(format!("https://[::ffff:127.0.0.1]:{port}/")).await,
        Err(HttpError::ForbiddenAddress)
    );
    assert_eq!(
        get(format!("https://2130706433:{port}/")).await,
        Err(HttpError::ForbiddenAddress)
    );
    assert_eq!(
        get(format!("http://127.0.0.1:{port}/did.json")).await,
        Err(HttpError::InsecureScheme)
    );
    // A name is checked after DNS resolution: localhost resolves to a loopback address.
    assert_eq!(
        get(format!("https://localhost:{port}/.well-known/did.json")).await,
        Err(HttpError::ForbiddenAddress)
    );
    assert_no_connection_before_sentinel(&listener).await;

    // The same through the did:web resolver.
    let resolver = DidWebResolver::new(client.clone());
    let err = resolver
        .resolve_web(&format!("did:web:localhost%3A{port}"))
        .await
        .unwrap_err();
    assert_eq!(err, ResolutionError::Http(HttpError::ForbiddenAddress));
    assert_no_connection_before_sentinel(&listener).await;
}

/// Serves `routes` (path -> raw HTTP response) on `listener`, counting requests.
fn serve(listener: TcpListener, routes: Vec<(String, Vec<u8>)>, requests: Arc<AtomicUsize>) {
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            let requests = requests.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                requests.fetch_add(1, Ordering::SeqCst);
                let line = String::from_utf8_lossy(&buf)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
                let response = routes
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| {
                        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_vec()
                    });
                let _ = stream.write_all(&response).await;
                let _ = stream.shutdown().await;
            });
        }
    });
}

fn ok_json(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/did+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn dangerous_override_serves_localhost_and_keeps_the_other_protections() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let did = format!("did:web:localhost%3A{port}");
    let doc = DidDocument::new(Did::parse(&did).unwrap())
        .to_json()
        .to_string();
    let wrong = DidDocument::new(Did::parse("did:web:example.com").unwrap())
        .to_json()
        .to_string();
    let big = format!(
        "{{\"id\":\"{did}:big\",\"pad\":\"{}\"}}",
        "x".repeat(64 * 1024)
    );
    let requests = Arc::new(AtomicUsize::new(0));
    serve(
        listener,
        vec![
            ("/.well-known/did.json".into(), ok_json(&doc)),
            ("/wrong/did.json".into(), ok_json(&wrong)),
            ("/big/did.json".into(), ok_json(&big)),
            // No content-length: the body ends at connection close and is capped while
            // streaming.
            (
                "/stream/did.json".into(),
                format!("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{big}").into_bytes(),
            ),
            (
                "/moved/did.json".into(),
                b"HTTP/1.1 302 Found\r\nlocation: /.well-known/did.json\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
            ),
        ],
        requests.clone(),
    );
    let client = ReqwestHttpClient::builder()
        .dangerous()
        .allow_loopback()
        .build()
        .unwrap();
    let resolver = DidWebResolver::new(client.clone())
        .with_max_document_bytes(16 * 1024)
        .dangerous()
        .plain_http_for_localhost();

    let resolved = resolver.resolve_web(&did).await.unwrap();
    assert_eq!(resolved.id().as_str(), did);
    assert_eq!(requests.load(Ordering::SeqCst), 1);

    // The loopback literal is served too, with the override only.
    let literal = Url::parse(&format!("http://127.0.0.1:{port}/.well-known/did.json")).unwrap();
    let response = client.get(&literal, 16 * 1024).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, doc.as_bytes());
    assert_eq!(requests.load(Ordering::SeqCst), 2);

    // A redirect is returned, not followed: one request only.
    let err = resolver
        .resolve_web(&format!("{did}:moved"))
        .await
        .unwrap_err();
    assert_eq!(err, ResolutionError::Http(HttpError::Redirect));
    assert_eq!(requests.load(Ordering::SeqCst), 3);

    let err = resolver
        .resolve_web(&format!("{did}:wrong"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalidDidDocument");

    let err = resolver
        .resolve_web(&format!("{did}:big"))
        .await
        .unwrap_err();
    assert_eq!(err, ResolutionError::Http(HttpError::BodyTooLarge));
    let err = resolver
        .resolve_web(&format!("{did}:stream"))
        .await
        .unwrap_err();
    assert_eq!(err, ResolutionError::Http(HttpError::BodyTooLarge));

    // Loopback is all the override allows: other internal addresses stay refused.
    for url in [
        "http://10.0.0.1/did.json",
        "https://169.254.169.254/",
        "https://[fd00::1]/",
    ] {
        let got = client.get(&Url::parse(url).unwrap(), 1024).await;
        assert!(
            matches!(
                got,
                Err(HttpError::ForbiddenAddress | HttpError::InsecureScheme)
            ),
            "{url}: {got:?}"
        );
    }
}

#[tokio::test]
async fn the_real_client_times_out_on_a_server_that_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts connections and holds them open without ever answering.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = ReqwestHttpClient::builder()
        .timeout(std::time::Duration::from_millis(300))
        .dangerous()
        .allow_loopback()
        .build()
        .unwrap();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/did.json")).unwrap();
    assert_eq!(client.get(&url, 1024).await, Err(HttpError::Timeout));
}
