//! HTTP load on the real `verifier serve` process, on loopback only.
//!
//! Not a criterion benchmark: a bounded load driver. It starts the release `verifier` binary
//! (data in a temporary directory, admin token from the environment, rate limit lifted), then
//! for each endpoint prepares `BENCH_REQUESTS` single-use inputs first (challenges or
//! presentation requests, and the holder's presentations bound to them) and only then sends
//! them with `BENCH_CONCURRENCY` requests in flight, timing each request.
//!
//! - `/presentations/verify` (VC-API): one SD-JWT VC + KB-JWT per request.
//! - `/oid4vp/response/{key}` (OpenID4VP `direct_post`): one `vp_token` per request.
//!
//! Writes one JSON object to `BENCH_OUT` (or stdout): requests/s, p50/p99 latency, the
//! server's CPU seconds during each load (so its per-core rate can be compared with the
//! in-process one) and its peak resident memory (`VmHWM`) after the load.

// A load driver over fixtures known to be valid: a failure stops the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use credentials::oid4vp::{AuthorizationRequest, AuthorizationResponse, Presentation, RequestLink};
use credentials::resolver::{KeyResolver as _, Relationship};
use credentials::sd_jwt::{self, ClaimPath, SdJwt, SdJwtVcOptions};
use credentials::{Ed25519SigningKey, Signer as _};
use did_methods::{DidKey, OfflineResolver};
use serde_json::{Value, json};

const TOKEN: &str = "bench-admin-token-0123456789";
const DOMAIN: &str = "https://verifier.bench.example";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn proc_status(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// utime + stime, in seconds.
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the `(comm)`: state is field 3; utime and stime are fields 14 and 15.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        ticks as f64 / 100.0 // USER_HZ
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(data: &std::path::Path, issuer: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_verifier"))
        .args(["serve", "--data"])
        .arg(data)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--trust-issuer",
            issuer,
            "--rate-limit",
            "100000000",
        ])
        .env("VERIFIER_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Server { child, base }
}

/// One prepared request: URL, content type, body.
struct Prepared {
    url: String,
    content_type: &'static str,
    body: Vec<u8>,
}

struct LoadResult {
    requests: usize,
    errors: usize,
    seconds: f64,
    server_cpu_seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl LoadResult {
    fn json(&self) -> Value {
        json!({
            "requests": self.requests,
            "errors": self.errors,
            "seconds": self.seconds,
            "rps": self.requests as f64 / self.seconds,
            "server_cpu_seconds": self.server_cpu_seconds,
            "rps_per_server_core": self.requests as f64 / self.server_cpu_seconds.max(1e-9),
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
        })
    }
}

async fn load(
    server: &Server,
    http: &reqwest::Client,
    prepared: Vec<Prepared>,
    concurrency: usize,
) -> LoadResult {
    let prepared = Arc::new(prepared);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = server.cpu_seconds();
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (prepared, next, http) = (prepared.clone(), next.clone(), http.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = prepared.get(i) else { break };
                let t = Instant::now();
                let resp = http
                    .post(&p.url)
                    .header("content-type", p.content_type)
                    .body(p.body.clone())
                    .send()
                    .await;
                let ok = match resp {
                    Ok(r) => {
                        let status = r.status();
                        let _ = r.bytes().await;
                        status.is_success()
                    }
                    Err(_) => false,
                };
                latencies.push(t.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for w in workers {
        let (l, e) = w.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let seconds = start.elapsed().as_secs_f64();
    let server_cpu_seconds = server.cpu_seconds() - cpu_before;
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        latencies[i.min(latencies.len() - 1)].as_secs_f64() * 1000.0
    };
    LoadResult {
        requests: latencies.len(),
        errors,
        seconds,
        server_cpu_seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

/// Runs `f` over `items` with `concurrency` in flight (setup traffic, untimed).
async fn fan_out<T, F, Fut>(items: usize, concurrency: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use futures_util::StreamExt as _;
    futures_util::stream::iter((0..items).map(f))
        .buffered(concurrency)
        .collect()
        .await
}

#[tokio::main]
async fn main() {
    let requests = env_usize("BENCH_REQUESTS", 2000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);

    let issuer = Ed25519SigningKey::from_seed(&[1; 32]);
    let issuer_did = DidKey::from_public_key(&issuer.public_key());
    let holder = Ed25519SigningKey::from_seed(&[2; 32]);
    let mut options = SdJwtVcOptions::new("https://example.org/age");
    options.iss = Some(issuer_did.did().to_string());
    options.kid = Some(issuer_did.verification_method_id().to_string());
    options.iat = Some(Utc::now());
    options.cnf = Some(holder.public_key());
    let claims = json!({"age_over_21": true, "given_name": "Alice"});
    let credential = sd_jwt::issue_sd_jwt_vc(
        claims.as_object().cloned().unwrap(),
        &[
            ClaimPath::keys(["age_over_21"]),
            ClaimPath::keys(["given_name"]),
        ],
        &options,
        &issuer,
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let credential = SdJwt::parse(credential.as_str()).unwrap();
    let selection = [ClaimPath::keys(["age_over_21"])];

    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), &issuer_did.did().to_string()).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let base = server.base.clone();

    // /presentations/verify: challenges first, then presentations bound to them.
    let challenges: Vec<String> = fan_out(requests, concurrency, |_| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let v: Value = http
                .post(format!("{base}/challenges"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["challenge"].as_str().unwrap().to_owned()
        }
    })
    .await;
    let prepared: Vec<Prepared> = challenges
        .iter()
        .map(|challenge| {
            let p = credential
                .present_with_key_binding(&selection, &holder, DOMAIN, challenge, Utc::now())
                .unwrap();
            let body = json!({"verifiablePresentation": p,
                "options": {"challenge": challenge, "domain": DOMAIN}});
            Prepared {
                url: format!("{base}/presentations/verify"),
                content_type: "application/json",
                body: serde_json::to_vec(&body).unwrap(),
            }
        })
        .collect();
    let vcapi = load(&server, &http, prepared, concurrency).await;
    let vcapi_hwm = server.proc_status("VmHWM:");

    // OpenID4VP: presentation requests, their signed request objects, then the responses.
    let dcql = json!({"credentials": [{"id": "age", "format": "dc+sd-jwt",
        "claims": [{"path": ["age_over_21"], "values": [true]}]}]});
    let trusted = issuer_did.did().to_string();
    let authz: Vec<AuthorizationRequest> = fan_out(requests, concurrency, |_| {
        let (http, base, dcql, trusted) =
            (http.clone(), base.clone(), dcql.clone(), trusted.clone());
        async move {
            let created: Value = http
                .post(format!("{base}/presentation-requests"))
                .bearer_auth(TOKEN)
                .json(&json!({"dcql_query": dcql, "trusted_issuers": [trusted]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let link = RequestLink::parse(created["request_uri"].as_str().unwrap()).unwrap();
            let jws = http
                .get(&link.request_uri)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let signed = AuthorizationRequest::parse_signed(&jws).unwrap();
            let key = OfflineResolver::default()
                .resolve_key(signed.kid(), Relationship::AssertionMethod)
                .unwrap();
            signed.verify(&key).unwrap()
        }
    })
    .await;
    let prepared: Vec<Prepared> = authz
        .iter()
        .map(|request| {
            let p = credential
                .present_with_key_binding(
                    &selection,
                    &holder,
                    &request.client_id,
                    &request.nonce,
                    Utc::now(),
                )
                .unwrap();
            let response = AuthorizationResponse::VpToken {
                vp_token: [("age".to_owned(), vec![Presentation::Compact(p)])]
                    .into_iter()
                    .collect(),
                state: Some(request.state.clone()),
            };
            Prepared {
                url: request.response_uri.clone(),
                content_type: "application/x-www-form-urlencoded",
                body: response.to_form().into_bytes(),
            }
        })
        .collect();
    let oid4vp = load(&server, &http, prepared, concurrency).await;
    let hwm = server.proc_status("VmHWM:");

    let out = json!({
        "concurrency": concurrency,
        "presentations_verify": vcapi.json(),
        "oid4vp_response": oid4vp.json(),
        "vmhwm_kib_after_vcapi": vcapi_hwm,
        "vmhwm_kib": hwm,
    });
    let text = serde_json::to_string_pretty(&out).unwrap();
    match std::env::var("BENCH_OUT") {
        Ok(path) => std::fs::write(path, text).unwrap(),
        Err(_) => println!("{text}"),
    }
    drop(server);
}
