//! Shared helpers.

use std::path::Path;

use chrono::{DateTime, TimeZone as _, Utc};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::json;
use wallet::{CredentialFormat, NewCredential, Passphrase, VaultConfig, Wallet};

pub const PASS: &str = "correct horse battery";

pub fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned())
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap()
}

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub const TEST_CONFIG: VaultConfig = VaultConfig::insecure_for_tests();

pub fn new_wallet(path: &Path) -> Wallet {
    Wallet::create(path, &pass(PASS), &TEST_CONFIG, now()).unwrap()
}

/// An SD-JWT-shaped credential record (the wallet stores what it is given; verification is
/// the receive flow's job).
pub fn sd_jwt_credential(given_name: &str) -> NewCredential {
    NewCredential {
        format: CredentialFormat::DcSdJwt,
        credential: json!(format!(
            "eyJhbGciOiJFZERTQSJ9.eyJ2Y3QiOiJwaWQifQ.c2ln~disclosure-{given_name}~"
        )),
        issuer: "https://issuer.example".into(),
        types: vec!["urn:eudi:pid:1".into()],
        claims: json!({"given_name": given_name, "family_name": "Mustermann", "birthdate": "1990-01-01"}),
        holder_key: None,
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1 for driving the real binary: serves the pages set
/// with [`LocalServer::page`] (to GET and POST) and records every request (method, path,
/// body). One request per connection.
pub struct LocalServer {
    pub base: String,
    pages: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (String, String)>>>,
    requests: std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
}

/// A request handler: (method, path, body, bearer token) to (status, content type, body).
pub type Handler =
    std::sync::Arc<dyn Fn(&str, &str, &str, Option<&str>) -> (u16, String, String) + Send + Sync>;

impl LocalServer {
    /// Serves the pages set with [`LocalServer::page`] (404 otherwise).
    pub fn start() -> Self {
        let pages = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
            String,
            (String, String),
        >::new()));
        let lookup = pages.clone();
        let handler: Handler = std::sync::Arc::new(
            move |_method: &str, path: &str, _body: &str, _bearer: Option<&str>| match lookup
                .lock()
                .unwrap()
                .get(path)
                .cloned()
            {
                Some((ct, b)) => (200, ct, b),
                None => (404, "text/plain".to_owned(), String::new()),
            },
        );
        Self::serve(pages, handler)
    }

    /// Answers every request with `handler`; `make` receives the base URL first.
    pub fn start_with(make: impl FnOnce(&str) -> Handler) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let handler = make(&base);
        Self::run(listener, base, std::sync::Arc::default(), handler)
    }

    fn serve(
        pages: std::sync::Arc<
            std::sync::Mutex<std::collections::HashMap<String, (String, String)>>,
        >,
        handler: Handler,
    ) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        Self::run(listener, base, pages, handler)
    }

    fn run(
        listener: std::net::TcpListener,
        base: String,
        pages: std::sync::Arc<
            std::sync::Mutex<std::collections::HashMap<String, (String, String)>>,
        >,
        handler: Handler,
    ) -> Self {
        use std::io::{BufRead as _, BufReader, Read as _, Write as _};
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let requests_t = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                let mut bearer = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        if name.eq_ignore_ascii_case("authorization") {
                            bearer = value.trim().strip_prefix("Bearer ").map(str::to_owned);
                        }
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let body = String::from_utf8_lossy(&body).into_owned();
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or("").to_owned();
                let path = parts.next().unwrap_or("").to_owned();
                requests_t
                    .lock()
                    .unwrap()
                    .push((method.clone(), path.clone(), body.clone()));
                let (status, content_type, reply) =
                    handler(&method, &path, &body, bearer.as_deref());
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        Self {
            base,
            pages,
            requests,
        }
    }

    pub fn page(&self, path: &str, content_type: &str, body: impl Into<String>) {
        self.pages
            .lock()
            .unwrap()
            .insert(path.to_owned(), (content_type.to_owned(), body.into()));
    }

    /// (method, path, body) of every request so far.
    pub fn requests(&self) -> Vec<(String, String, String)> {
        self.requests.lock().unwrap().clone()
    }

    pub fn posts(&self) -> Vec<(String, String)> {
        self.requests()
            .into_iter()
            .filter(|(m, _, _)| m == "POST")
            .map(|(_, p, b)| (p, b))
            .collect()
    }
}
