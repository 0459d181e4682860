//! The service on a real socket through `issuer::run`: the launcher entry point, the full
//! flow over HTTP, per-client rate limits from the connection address, graceful shutdown,
//! and the demo seed.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::common::*;

struct Running {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Result<(), issuer::Error>>,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
}

async fn run_with(adjust: impl FnOnce(&mut issuer::Config)) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut c = config(dir.path(), &format!("http://{addr}"));
    adjust(&mut c);
    let data = c.data_dir.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(issuer::run(c, listener, async {
        rx.await.ok();
    }));
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Running {
        base,
        stop: Some(tx),
        handle,
        _dir: dir,
        data,
    }
}

#[tokio::test]
async fn full_flow_over_a_real_socket_then_graceful_shutdown() {
    let mut running = run_with(|_| {}).await;
    let base = running.base.clone();
    let client = reqwest::Client::new();
    let offer: Value = client
        .post(format!("{base}/admin/offers"))
        .bearer_auth(ADMIN)
        .json(&json!({"credential_configuration_id": "proof_of_age_sd_jwt",
                      "claims": {"given_name": "Ada", "family_name": "L", "birth_date": "1990-01-01"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        )
        .append_pair("pre-authorized_code", &pre_authorized_code(&offer))
        .finish();
    let t: Value = client
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let n: Value = client
        .post(format!("{base}/nonce"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let wallet = Wallet::new(50);
    let r = client
        .post(format!("{base}/credential"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .json(&json!({"credential_configuration_id": "proof_of_age_sd_jwt",
                      "proofs": {"jwt": [wallet.proof_jwk(&base, n["c_nonce"].as_str().unwrap())]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    let resolver = resolver();
    let v = credentials::sd_jwt::verify(
        c["credentials"][0]["credential"].as_str().unwrap(),
        credentials::sd_jwt::IssuerKey::Resolver(&resolver),
        &credentials::sd_jwt::VerifyOptions::sd_jwt_vc(
            chrono::Utc::now(),
            credentials::sd_jwt::KeyBindingPolicy::NotRequired,
        ),
    )
    .unwrap();
    assert!(v.is_verified());
    // Metadata names the real socket's URL.
    let m: Value = client
        .get(format!("{base}/.well-known/openid-credential-issuer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["credential_issuer"], base);

    running.stop.take().unwrap().send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), &mut running.handle)
        .await
        .unwrap()
        .unwrap();
    assert!(result.is_ok());
    assert!(
        client.get(format!("{base}/health")).send().await.is_err(),
        "still listening after shutdown"
    );
}

#[tokio::test]
async fn auth_failures_are_limited_per_client_address_on_a_socket() {
    let running = run_with(|c| c.limits.auth_failures_per_minute = 2).await;
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = client
            .get(format!("{}/admin/identity", running.base))
            .bearer_auth("bad")
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
}

#[tokio::test]
async fn run_refuses_to_start_without_an_admin_credential() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut c = config(dir.path(), "http://127.0.0.1:1");
    c.admin_token = None;
    let r = issuer::run(c, listener, std::future::pending()).await;
    assert!(matches!(r, Err(issuer::Error::NoAdminCredential)));
}

#[tokio::test]
async fn demo_seed_writes_a_fresh_usable_offer() {
    let running = run_with(|c| {
        c.demo_offer = true;
        c.name = "State ID Office".into();
    })
    .await;
    let demo: Value =
        serde_json::from_slice(&std::fs::read(running.data.join("demo-offer.json")).unwrap())
            .unwrap();
    assert!(
        demo["offer_uri"]
            .as_str()
            .unwrap()
            .starts_with("openid-credential-offer://")
    );
    let client = reqwest::Client::new();
    let m: Value = client
        .get(format!(
            "{}/.well-known/openid-credential-issuer",
            running.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["display"][0]["name"], "State ID Office");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        )
        .append_pair("pre-authorized_code", &pre_authorized_code(&demo))
        .finish();
    let r = client
        .post(format!("{}/token", running.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn binary_help_explains_the_options_and_serve_refuses_without_secrets() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_issuer"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--data",
        "--listen",
        "--public-url",
        "--key-file",
        "--demo",
        "ISSUER_KEY_SECRET",
    ] {
        assert!(help.contains(opt), "{opt}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_issuer"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .env_remove("ISSUER_KEY_SECRET")
        .env_remove("ISSUER_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ISSUER_KEY_SECRET"));
    let key = dir.path().join("k");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_issuer"))
        .args(["key-file"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_issuer"))
        .args(["serve", "--listen", "127.0.0.1:0", "--key-file"])
        .arg(&key)
        .arg("--data")
        .arg(dir.path().join("d"))
        .env_remove("ISSUER_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no admin credential"));
    // `issuer token create` makes a stored token; then serve starts (checked in-process).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_issuer"))
        .args(["token", "create", "--role", "admin", "--data"])
        .arg(dir.path().join("d"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("isr_"));
}

async fn stalled_request(base: &str, path: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Headers promise 100 bytes of body; one arrives, the rest never does.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

async fn read_response(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut buf = vec![0u8; 4096];
    // A guard against hanging forever, not a timing assertion.
    let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn a_stalled_body_times_out_with_a_json_error() {
    let running = run_with(|c| c.limits.request_timeout = Duration::from_millis(300)).await;
    let mut stream = stalled_request(&running.base, "/admin/offers").await;
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"code\":\"timeout\""), "{response}");
}

#[tokio::test]
async fn the_concurrency_limit_is_shared_by_all_routes() {
    use tokio::io::AsyncWriteExt as _;
    let running = run_with(|c| c.limits.concurrency = 1).await;
    // One stalled request holds the only slot...
    let mut stalled = stalled_request(&running.base, "/admin/offers").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...so a request to another route waits. (Without a shared limit it would answer at once;
    // with one it cannot answer at all until the slot is free, whatever the timing.)
    let base = running.base.clone();
    let mut health = tokio::spawn(async move {
        reqwest::get(format!("{base}/health"))
            .await
            .unwrap()
            .status()
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut health)
            .await
            .is_err(),
        "a second request ran while the only slot was taken"
    );
    // Completing the stalled body (99 more bytes: invalid JSON) frees the slot.
    stalled.write_all(&[b' '; 99]).await.unwrap();
    let first = read_response(&mut stalled).await;
    assert!(first.starts_with("HTTP/1.1 400"), "{first}");
    assert_eq!(health.await.unwrap(), 200);
}

/// Every endpoint once over a real socket (the router-level tests cover their refusals).
#[tokio::test]
async fn every_endpoint_answers_over_a_real_socket() {
    let running = run_with(|_| {}).await;
    let base = running.base.clone();
    let client = reqwest::Client::new();
    let get = |path: &str, auth: bool| {
        let mut r = client.get(format!("{base}{path}"));
        if auth {
            r = r.bearer_auth(ADMIN);
        }
        r.send()
    };
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
    };
    for path in [
        "/health",
        "/openapi.json",
        "/.well-known/openid-credential-issuer",
        "/.well-known/oauth-authorization-server",
        "/vct/proof_of_age",
    ] {
        assert_eq!(get(path, false).await.unwrap().status(), 200, "{path}");
    }
    for path in [
        "/admin/identity",
        "/admin/credential-types",
        "/admin/credential-types/proof_of_age",
        "/admin/credentials",
        "/admin/audit",
        "/admin/status-lists",
    ] {
        assert_eq!(get(path, true).await.unwrap().status(), 200, "{path}");
    }
    let r = post("/admin/tokens", json!({"role": "operator"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut t =
        serde_json::to_value(issuer::credential_type::CredentialType::proof_of_age()).unwrap();
    t["id"] = json!("age_only");
    assert_eq!(
        post("/admin/credential-types", t.clone())
            .await
            .unwrap()
            .status(),
        201
    );
    let r = client
        .put(format!("{base}/admin/credential-types/age_only"))
        .bearer_auth(ADMIN)
        .json(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // ldp_vc over OpenID4VCI, then the offer views and QR codes.
    let offer: Value = post(
        "/admin/offers",
        json!({"credential_configuration_id": "proof_of_age_ldp_vc",
               "claims": {"given_name": "Ada", "family_name": "L", "birth_date": "1990-01-01"}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = offer["id"].as_str().unwrap();
    for path in [
        format!("/admin/offers/{id}"),
        format!("/admin/offers/{id}/qr.png"),
        format!("/admin/offers/{id}/qr.svg"),
    ] {
        assert_eq!(get(&path, true).await.unwrap().status(), 200, "{path}");
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        )
        .append_pair("pre-authorized_code", &pre_authorized_code(&offer))
        .finish();
    let t: Value = client
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let n: Value = client
        .post(format!("{base}/nonce"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let wallet = Wallet::new(51);
    let r: Value = client
        .post(format!("{base}/credential"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .json(&json!({"credential_configuration_id": "proof_of_age_ldp_vc",
                      "proofs": {"jwt": [wallet.proof_kid(&base, n["c_nonce"].as_str().unwrap())]}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vc = &r["credentials"][0]["credential"];
    let list_url = vc["credentialStatus"][0]["statusListCredential"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(client.get(&list_url).send().await.unwrap().status(), 200);

    // VC-API on both suite paths.
    for path in ["/credentials/issue", "/credentials/issue/eddsa-jcs-2022"] {
        let r = post(
            path,
            json!({"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                   "credentialSubject": {"id": "did:example:1"}}}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201, "{path}");
    }
    // Status changes and the token list.
    let creds: Value = get("/admin/credentials", true)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cid = creds["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["format"] == "ldp_vc" && c["offer_id"].is_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get(&format!("/admin/credentials/{cid}"), true)
            .await
            .unwrap()
            .status(),
        200
    );
    for action in ["suspend", "unsuspend", "revoke"] {
        assert_eq!(
            post(&format!("/admin/credentials/{cid}/{action}"), json!({}))
                .await
                .unwrap()
                .status(),
            200,
            "{action}"
        );
    }
    let lists: Value = get("/admin/status-lists", true)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!lists["status_lists"].as_array().unwrap().is_empty());
    assert_eq!(
        post("/admin/keys/rotate", json!({}))
            .await
            .unwrap()
            .status(),
        200
    );
}
