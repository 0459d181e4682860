//! Crash test: the real `issuer` binary is killed with SIGKILL at random moments during a
//! stream of issuances and revocations, many times. After each restart every acknowledged
//! write (offer, issuance, revocation, audit entry) is there, the audit chain verifies, the
//! published status list shows every acknowledged revocation, and the key (DID) is the same.

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::common::{ADMIN, Wallet};

const ITERATIONS: usize = 10;

struct Service {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(data: &std::path::Path, key: &std::path::Path, client: &reqwest::Client) -> Service {
    // Bounded retries: a port picked free may be taken by the time the child binds.
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_issuer"))
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--key-file"])
            .arg(key)
            // The stream hits /token and /nonce far more often than one wallet would.
            .args(["--token-requests-per-minute", "1000000"])
            .env("ISSUER_ADMIN_TOKEN", ADMIN)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let mut service = Service { child, base };
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{}/health", service.base)).send().await
                && r.status().is_success()
            {
                return service;
            }
            if let Ok(Some(_)) = service.child.try_wait() {
                // Most likely the port was taken meanwhile: try another one.
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        service.child.start_kill().ok();
        service.child.wait().await.ok();
    }
    panic!("issuer did not become ready");
}

#[derive(Default)]
struct Acked {
    offers: Vec<String>,
    issued_offers: Vec<String>,
    revoked: HashSet<String>,
    audit_len: u64,
    /// Keys in the keyring after the last acknowledged rotation, and the DID then.
    keys: usize,
    did: Option<String>,
}

async fn admin(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Result<Value, ()> {
    let mut req = client.request(method, url).bearer_auth(ADMIN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.map_err(|_| ())?;
    if !r.status().is_success() {
        panic!("unexpected {}: {:?}", r.status(), r.text().await);
    }
    r.json().await.map_err(|_| ())
}

/// One OpenID4VCI issuance or a revocation, recording what the service acknowledged. Returns
/// `Err` once the service is gone.
async fn step(
    client: &reqwest::Client,
    base: &str,
    rng: &mut rand::rngs::StdRng,
    acked: &mut Acked,
    wallet: &Wallet,
) -> Result<(), ()> {
    if rng.gen_bool(0.04) {
        let identity = admin(
            client,
            reqwest::Method::POST,
            format!("{base}/admin/keys/rotate"),
            Some(json!({})),
        )
        .await?;
        acked.keys = identity["verification_methods"].as_array().unwrap().len();
        acked.did = Some(identity["did"].as_str().unwrap().to_owned());
        return Ok(());
    }
    let issued: Vec<String> = acked.issued_offers.clone();
    if !issued.is_empty() && rng.gen_bool(0.3) {
        // Revoke a credential issued earlier.
        let creds = admin(
            client,
            reqwest::Method::GET,
            format!("{base}/admin/credentials"),
            None,
        )
        .await?;
        let candidates: Vec<String> = creds["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "active")
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        if let Some(id) = candidates.get(rng.gen_range(0..candidates.len().max(1))) {
            admin(
                client,
                reqwest::Method::POST,
                format!("{base}/admin/credentials/{id}/revoke"),
                Some(json!({})),
            )
            .await?;
            acked.revoked.insert(id.clone());
        }
        return Ok(());
    }
    let offer = admin(
        client,
        reqwest::Method::POST,
        format!("{base}/admin/offers"),
        Some(json!({"credential_configuration_id": "proof_of_age_sd_jwt",
                    "claims": {"given_name": "Ada", "family_name": "L", "birth_date": "1990-01-01"}})),
    )
    .await?;
    let offer_id = offer["id"].as_str().unwrap().to_owned();
    acked.offers.push(offer_id.clone());
    let code = crate::common::pre_authorized_code(&offer);
    let t: Value = client
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair(
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                )
                .append_pair("pre-authorized_code", &code)
                .finish(),
        )
        .send()
        .await
        .map_err(|_| ())?
        .json()
        .await
        .map_err(|_| ())?;
    let access = t["access_token"].as_str().ok_or(())?.to_owned();
    let n: Value = client
        .post(format!("{base}/nonce"))
        .send()
        .await
        .map_err(|_| ())?
        .json()
        .await
        .map_err(|_| ())?;
    let proof = wallet.proof_jwk(base, n["c_nonce"].as_str().ok_or(())?);
    let r = client
        .post(format!("{base}/credential"))
        .bearer_auth(&access)
        .json(&json!({"credential_configuration_id": "proof_of_age_sd_jwt", "proofs": {"jwt": [proof]}}))
        .send()
        .await
        .map_err(|_| ())?;
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let _: Value = r.json().await.map_err(|_| ())?;
    acked.issued_offers.push(offer_id);
    Ok(())
}

async fn check(client: &reqwest::Client, base: &str, acked: &mut Acked, did: &mut Option<String>) {
    let identity = admin(
        client,
        reqwest::Method::GET,
        format!("{base}/admin/identity"),
        None,
    )
    .await
    .unwrap();
    let now_did = identity["did"].as_str().unwrap().to_owned();
    let keys = identity["verification_methods"].as_array().unwrap().len();
    // An acknowledged rotation is never lost; one committed just before the kill may be there
    // without having been acknowledged.
    assert!(keys >= acked.keys, "acknowledged key rotation lost");
    if keys == acked.keys {
        assert_eq!(
            acked.did.as_deref(),
            Some(now_did.as_str()),
            "the issuer key changed across a crash"
        );
    }
    acked.keys = keys;
    acked.did = Some(now_did.clone());
    *did = Some(now_did);
    for id in &acked.offers {
        let r = client
            .get(format!("{base}/admin/offers/{id}"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "acknowledged offer {id} lost");
    }
    let creds = admin(
        client,
        reqwest::Method::GET,
        format!("{base}/admin/credentials"),
        None,
    )
    .await
    .unwrap();
    let creds = creds["credentials"].as_array().unwrap();
    for offer in &acked.issued_offers {
        assert!(
            creds.iter().any(|c| c["offer_id"] == offer.as_str()),
            "acknowledged issuance for {offer} lost"
        );
    }
    for id in &acked.revoked {
        let c = creds
            .iter()
            .find(|c| c["id"] == id.as_str())
            .expect("revoked credential lost");
        assert_eq!(
            c["status"], "revoked",
            "acknowledged revocation of {id} lost"
        );
        // And the published list says so.
        let list = c["status_entry"]["list"].as_u64().unwrap();
        let idx = c["status_entry"]["index"].as_u64().unwrap() as usize;
        let token = client
            .get(format!("{base}/status/token/{list}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let resolver = crate::common::resolver();
        // The list is signed by the key it was opened with (its credentials' issuer).
        let lists = admin(
            client,
            reqwest::Method::GET,
            format!("{base}/admin/status-lists"),
            None,
        )
        .await
        .unwrap();
        let kid = lists["status_lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"].as_u64() == Some(list))
            .unwrap()["kid"]
            .clone();
        let vm = identity["verification_methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kid"] == kid)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let did = vm.split('#').next().unwrap().to_owned();
        let verified = credentials::status_list::token::verify_status_list_token(
            &token,
            &format!("{base}/status/token/{list}"),
            credentials::status_list::token::IssuerKey::Resolver {
                resolver: &resolver,
                issuer: &did,
            },
            chrono::Utc::now().timestamp(),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(
            verified.status(idx).unwrap(),
            credentials::status_list::token::TokenStatus::Invalid
        );
    }
    let audit = admin(
        client,
        reqwest::Method::GET,
        format!("{base}/admin/audit?limit=1000"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(audit["chain_valid"], true, "{:?}", audit["chain_error"]);
    let last = audit["entries"]
        .as_array()
        .unwrap()
        .last()
        .map(|e| e["seq"].as_u64().unwrap())
        .unwrap_or(0);
    assert!(last >= acked.audit_len, "audit entries lost");
    acked.audit_len = last;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_issuance_and_revocation_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = dir.path().join("issuer.key");
    issuer::keyring::KeySecret::create_key_file(&key).unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("crash test seed: {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let wallet = Wallet::new(99);
    let mut acked = Acked::default();
    let mut did = None;
    for iteration in 0..ITERATIONS {
        let mut service = start(&data, &key, &client).await;
        check(&client, &service.base, &mut acked, &mut did).await;
        let before = acked.issued_offers.len() + acked.revoked.len();
        let kill_after = Duration::from_millis(rng.gen_range(30..400));
        let deadline = tokio::time::Instant::now() + kill_after;
        // Requests run until the kill lands; the kill happens while requests are in flight.
        let base = service.base.clone();
        let mut step_rng = rand::rngs::StdRng::seed_from_u64(rng.r#gen());
        let killer = async {
            tokio::time::sleep_until(deadline).await;
            service.child.start_kill().unwrap();
        };
        let stream = async {
            // Bounded: at most 500 steps per iteration.
            for _ in 0..500 {
                if step(&client, &base, &mut step_rng, &mut acked, &wallet)
                    .await
                    .is_err()
                {
                    break;
                }
            }
        };
        tokio::join!(killer, stream);
        let status = service.child.wait().await.unwrap();
        assert!(
            !status.success(),
            "iteration {iteration}: the service was not killed"
        );
        println!(
            "iteration {iteration}: killed after {kill_after:?}, {} acknowledged writes this round",
            acked.issued_offers.len() + acked.revoked.len() - before
        );
    }
    // Final restart and check; then the file opens cleanly in-process too.
    let mut service = start(&data, &key, &client).await;
    check(&client, &service.base, &mut acked, &mut did).await;
    assert!(
        !acked.issued_offers.is_empty(),
        "no issuance was acknowledged at all"
    );
    service.child.start_kill().unwrap();
    service.child.wait().await.unwrap();
    let store = issuer::store::RedbStore::open(&data).unwrap();
    use issuer::store::Store as _;
    assert!(store.credentials().unwrap().len() >= acked.issued_offers.len());
}
