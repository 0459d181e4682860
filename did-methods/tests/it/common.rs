//! Shared helpers: vector loading and a scripted fake HTTP client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use did_methods::{HttpClient, HttpError, HttpResponse};
use serde_json::Value;
use url::Url;

pub fn vector(path: &str) -> Value {
    let full = format!("{}/../specs/vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// What the fake server does for one URL.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with a status and body (honouring the size cap like a well-behaved client).
    Respond(u16, Vec<u8>),
    /// Answer with a body, ignoring the size cap (a misbehaving client implementation).
    RespondIgnoringCap(u16, Vec<u8>),
    /// Never answer within any reasonable time.
    Hang,
}

/// A scripted `HttpClient`: records every URL it is asked for.
#[derive(Clone, Default)]
pub struct FakeHttp {
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    calls: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
}

impl FakeHttp {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn route(&self, url: &str, reply: Reply) -> &Self {
        self.routes.lock().unwrap().insert(url.to_owned(), reply);
        self
    }

    pub fn json(&self, url: &str, body: &Value) -> &Self {
        self.route(url, Reply::Respond(200, body.to_string().into_bytes()))
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl HttpClient for FakeHttp {
    async fn get(&self, url: &Url, max_body: usize) -> Result<HttpResponse, HttpError> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.calls.lock().unwrap().push(url.to_string());
        let reply = self.routes.lock().unwrap().get(url.as_str()).cloned();
        match reply {
            None => Ok(HttpResponse {
                status: 404,
                body: Vec::new(),
            }),
            Some(Reply::Respond(status, body)) => {
                if body.len() > max_body {
                    return Err(HttpError::BodyTooLarge);
                }
                Ok(HttpResponse { status, body })
            }
            Some(Reply::RespondIgnoringCap(status, body)) => Ok(HttpResponse { status, body }),
            Some(Reply::Hang) => {
                tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
                Ok(HttpResponse {
                    status: 200,
                    body: b"{}".to_vec(),
                })
            }
        }
    }
}
