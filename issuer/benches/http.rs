//! Issuance over OpenID4VCI and revocation, on the real `issuer serve` process, loopback only.
//!
//! Not a criterion benchmark: a bounded load driver. It starts the release `issuer` binary
//! (key file and data in a temporary directory, admin token from the environment, the token
//! and nonce rate limit lifted), creates `BENCH_ISSUANCES` offers first (untimed), then runs
//! the wallet side of the pre-authorized code flow for each with `BENCH_CONCURRENCY` flows in
//! flight: `POST /token`, `POST /nonce`, `POST /credential` (proof JWT signed by the holder).
//! Every step is a durable redb commit before the answer (single-use code, access token,
//! nonce, issued credential with its status entry, audit entry).
//!
//! Then revokes `BENCH_REVOCATIONS` of the issued credentials one after the other
//! (`POST /admin/credentials/{id}/revoke`, durable before the answer), and measures each
//! revocation alone and revocation until the status list served shows it.
//!
//! Writes one JSON object to `BENCH_OUT` (or stdout), with the service's peak resident
//! memory (`VmHWM`) after the load.

// A load driver over fixtures known to be valid: a failure stops the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use credentials::jose::sign_compact;
use credentials::{Ed25519SigningKey, Signer as _};
use serde_json::{Map, Value, json};

const TOKEN: &str = "bench-admin-token-0123456789abcdefghijkl";
const CONFIGURATION: &str = "proof_of_age_sd_jwt";

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
    fn vmhwm_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// utime + stime, in seconds.
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
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

async fn start(dir: &std::path::Path) -> Server {
    let key_file = dir.join("issuer.key");
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    std::fs::write(&key_file, secret).unwrap();
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_issuer"))
        .args(["serve", "--data"])
        .arg(dir.join("data"))
        .arg("--key-file")
        .arg(&key_file)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--token-requests-per-minute",
            "100000000",
        ])
        .env("ISSUER_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if http
            .get(format!("{base}/.well-known/openid-credential-issuer"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Server { child, base }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// The wallet side of one pre-authorized code flow. Returns whether a credential came back.
async fn issue_one(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    holder: &Ed25519SigningKey,
) -> bool {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        )
        .append_pair("pre-authorized_code", code)
        .finish();
    let token: Value = match http
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
    {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => return false,
    };
    let Some(access) = token["access_token"].as_str() else {
        return false;
    };
    let nonce: Value = match http.post(format!("{base}/nonce")).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => return false,
    };
    let Some(nonce) = nonce["c_nonce"].as_str() else {
        return false;
    };
    let mut header = Map::new();
    header.insert("typ".into(), json!("openid4vci-proof+jwt"));
    header.insert("jwk".into(), holder.public_key().to_jwk());
    let payload = json!({"aud": base, "iat": chrono::Utc::now().timestamp(), "nonce": nonce});
    let proof = sign_compact(header, payload.as_object().unwrap(), holder);
    match http
        .post(format!("{base}/credential"))
        .bearer_auth(access)
        .json(&json!({"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": [proof]}}))
        .send()
        .await
    {
        Ok(r) => r.status().is_success(),
        Err(_) => false,
    }
}

#[tokio::main]
async fn main() {
    let issuances = env_usize("BENCH_ISSUANCES", 500);
    let revocations = env_usize("BENCH_REVOCATIONS", 100).min(issuances);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);

    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();

    // Offers first (operator work, untimed).
    let mut offers = Vec::with_capacity(issuances);
    for _ in 0..issuances {
        let offer: Value = http
            .post(format!("{base}/admin/offers"))
            .bearer_auth(TOKEN)
            .json(&json!({"credential_configuration_id": CONFIGURATION,
                "claims": {"given_name": "Ada", "family_name": "Lovelace",
                           "birth_date": "1990-12-10"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let code = offer["credential_offer"]["grants"]
            ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()
            .unwrap_or_else(|| panic!("offer: {offer}"))
            .to_owned();
        offers.push((offer["id"].as_str().unwrap().to_owned(), code));
    }

    // Issuance under load.
    let offers = Arc::new(offers);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = server.cpu_seconds();
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (offers, next, http, base) = (offers.clone(), next.clone(), http.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            let holder = Ed25519SigningKey::from_seed(&[u8::try_from(w % 200).unwrap() + 1; 32]);
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((_, code)) = offers.get(i) else {
                    break;
                };
                let t = Instant::now();
                if !issue_one(&http, &base, code, &holder).await {
                    errors += 1;
                }
                latencies.push(t.elapsed());
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0usize);
    for w in workers {
        let (l, e) = w.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu_before;
    latencies.sort();
    let issuance = json!({
        "credentials": latencies.len(),
        "errors": errors,
        "seconds": seconds,
        "per_second": latencies.len() as f64 / seconds,
        "server_cpu_seconds": cpu,
        "per_server_core_second": latencies.len() as f64 / cpu.max(1e-9),
        "p50_ms": percentile(&latencies, 0.5),
        "p99_ms": percentile(&latencies, 0.99),
    });
    let hwm_after_issuance = server.vmhwm_kib();

    // Revocation, one at a time: the request alone, and until the status list shows it.
    let mut revoke = Vec::new();
    let mut until_visible = Vec::new();
    let mut revoke_errors = 0usize;
    for (offer_id, _) in offers.iter().take(revocations) {
        let detail: Value = http
            .get(format!("{base}/admin/offers/{offer_id}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let Some(credential_id) = detail["credential_id"].as_str() else {
            revoke_errors += 1;
            continue;
        };
        let t = Instant::now();
        let r = http
            .post(format!("{base}/admin/credentials/{credential_id}/revoke"))
            .bearer_auth(TOKEN)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let ok = r.status().is_success();
        let _ = r.bytes().await;
        revoke.push(t.elapsed());
        // The new list is served on the next fetch (no cache on the service side).
        let list = http
            .get(format!("{base}/status/token/1"))
            .send()
            .await
            .unwrap();
        let ok = ok && list.status().is_success();
        let _ = list.bytes().await;
        until_visible.push(t.elapsed());
        if !ok {
            revoke_errors += 1;
        }
    }
    revoke.sort();
    until_visible.sort();
    let revocation = if revoke.is_empty() {
        json!({"revocations": 0, "errors": revoke_errors})
    } else {
        json!({
            "revocations": revoke.len(),
            "errors": revoke_errors,
            "p50_ms": percentile(&revoke, 0.5),
            "p99_ms": percentile(&revoke, 0.99),
            "until_visible_p50_ms": percentile(&until_visible, 0.5),
            "until_visible_p99_ms": percentile(&until_visible, 0.99),
        })
    };

    let out = json!({
        "concurrency": concurrency,
        "issuance": issuance,
        "revocation": revocation,
        "vmhwm_kib_after_issuance": hwm_after_issuance,
        "vmhwm_kib": server.vmhwm_kib(),
    });
    let text = serde_json::to_string_pretty(&out).unwrap();
    match std::env::var("BENCH_OUT") {
        Ok(path) => std::fs::write(path, text).unwrap(),
        Err(_) => println!("{text}"),
    }
    drop(server);
}
