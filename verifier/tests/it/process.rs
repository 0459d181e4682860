//! The real `verifier` binary and the production parts: status lists fetched over HTTP with
//! the guarded client (loopback only with the dangerous flag), single-use challenges that
//! survive `kill -9`, graceful shutdown on SIGTERM.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use verifier::{Scenario, ServiceConfig};

use crate::fixture::*;
use crate::service::TOKEN;

/// Serves the issuer's Status List Token (all valid) at `/status/1` on a loopback port;
/// returns its URL (also the token's `sub`).
async fn status_server(w: &World) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status/1", listener.local_addr().unwrap());
    let body = w.token_list_jwt(&url, 0);
    let app = Router::new().route("/status/1", get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(data: &std::path::Path, port: u16, issuer: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_verifier"))
            .args(["serve", "--data"])
            .arg(data)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--trust-issuer",
                issuer,
                "--dangerous-allow-loopback",
            ])
            .env("VERIFIER_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http.get(format!("{base}/health")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn accepted_challenges_stay_used_after_kill_9_and_sigterm_shuts_down_cleanly() {
    let w = World::new();
    w.clock.set(chrono::Utc::now());
    let status_url = status_server(&w).await;
    let credential = w.sd_jwt_vc_now(&status_url);
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let http = reqwest::Client::new();
    let mut accepted = Vec::new();

    for _round in 0..2 {
        let server = Server::start(data.path(), port, &w.issuer.did).await;
        // Earlier accepted presentations are replays now, after a kill -9.
        for body in &accepted {
            let resp = http
                .post(format!("{}/presentations/verify", server.base))
                .json(body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 400);
            let v: Value = resp.json().await.unwrap();
            assert_eq!(v["errors"][0]["code"], "nonce_mismatch");
        }
        let challenge: Value = http
            .post(format!("{}/challenges", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let challenge = challenge["challenge"].as_str().unwrap().to_owned();
        // The client id is the did:key of the verifier's persisted key.
        let created: Value = http
            .post(format!("{}/presentation-requests", server.base))
            .bearer_auth(TOKEN)
            .json(
                &json!({"dcql_query": {"credentials": [{"id": "age", "format": "dc+sd-jwt"}]},
                "trusted_issuers": [w.issuer.did]}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let link =
            credentials::oid4vp::RequestLink::parse(created["request_uri"].as_str().unwrap())
                .unwrap();
        let p = w.present(&credential, &["age_over_21"], &challenge, &link.client_id);
        let body = json!({"verifiablePresentation": p, "options": {"challenge": challenge}});
        let resp = http
            .post(format!("{}/presentations/verify", server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap();
        assert_eq!(status, 200, "{v}");
        accepted.push(body);
        // kill -9 right after the acknowledgement.
        drop(server);
    }

    // SIGTERM: graceful shutdown, exit status 0.
    let mut server = Server::start(data.path(), port, &w.issuer.did).await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut exited = None;
    for _ in 0..200 {
        if let Some(status) = server.child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exited.expect("the server exits on SIGTERM").success());
}

#[tokio::test]
async fn status_lists_on_internal_addresses_are_not_fetched_without_the_dangerous_flag() {
    let w = World::new();
    w.clock.set(chrono::Utc::now());
    let url = status_server(&w).await;
    let credential = w.sd_jwt_vc_now(&url);

    for (dangerous, expected) in [(false, 400), (true, 200)] {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = ServiceConfig::new(
            dir.path().into(),
            url::Url::parse(&base).unwrap(),
            TOKEN.into(),
            Scenario::liquor_store(vec![w.issuer.did.clone()]),
        );
        config.dangerous_allow_loopback = dangerous;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(verifier::run(config, listener, async move {
            let _ = rx.await;
        }));
        let http = reqwest::Client::new();
        let resp = http
            .post(format!("{base}/credentials/verify"))
            .json(&json!({"verifiableCredential": credential}))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap();
        assert_eq!(status, expected, "{v}");
        if !dangerous {
            assert_eq!(v["errors"][0]["code"], "status_unavailable");
        }
        tx.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}

#[test]
fn binary_refuses_to_start_without_a_token_in_one_line() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_verifier"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trust-issuer",
            "did:key:z6MkExample",
            "--data",
        ])
        .arg(data.path())
        .env_remove("VERIFIER_ADMIN_TOKEN")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("VERIFIER_ADMIN_TOKEN is not set"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "no backtrace: {stderr}");
    // --help explains each option.
    let help = Command::new(env!("CARGO_BIN_EXE_verifier"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for option in [
        "--data",
        "--listen",
        "--public-url",
        "--scenario",
        "--trust-issuer",
        "--dangerous-allow-loopback",
    ] {
        assert!(help.contains(option), "{option}");
    }
    assert!(help.contains("./data/verifier") && help.contains("127.0.0.1:8082"));
}
