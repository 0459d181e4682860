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

impl LocalServer {
    pub fn start() -> Self {
        use std::io::{BufRead as _, BufReader, Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let pages = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
            String,
            (String, String),
        >::new()));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (pages_t, requests_t) = (pages.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or("").to_owned();
                let path = parts.next().unwrap_or("").to_owned();
                requests_t.lock().unwrap().push((
                    method,
                    path.clone(),
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                let page = pages_t.lock().unwrap().get(&path).cloned();
                let (status, content_type, reply) = match page {
                    Some((ct, b)) => ("200 OK", ct, b),
                    None => ("404 Not Found", "text/plain".to_owned(), String::new()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
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
