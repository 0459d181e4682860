//! The relying-party page in headless Chromium (Debian's `chromium` and `chromium-driver`,
//! installed here when missing): the page shows a request, a test holder answers it, and the
//! page shows the verified outcome without a reload. Screenshots are saved under the target
//! directory.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::fixture::*;
use crate::holder;
use crate::service::spawn;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Installs Chromium and its driver from Debian if they are missing. Other test binaries may
/// install at the same time: apt waits for the dpkg lock, and a failed attempt is retried
/// (bounded) after checking whether someone else finished the job.
fn ensure_browser() {
    let present =
        || std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if present() {
        return;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let sudo: &[&str] = if root { &[] } else { &["sudo"] };
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend_from_slice(args);
        Command::new(all[0])
            .args(&all[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    for _ in 0..5 {
        let lock = "DPkg::Lock::Timeout=300";
        if run(&["apt-get", "-o", lock, "update", "-qq"])
            && run(&[
                "apt-get",
                "-o",
                lock,
                "install",
                "-y",
                "-qq",
                "chromium",
                "chromium-driver",
            ])
            && present()
        {
            return;
        }
        if present() {
            return;
        }
        std::thread::sleep(Duration::from_secs(5));
    }
    panic!("could not install chromium and chromium-driver from Debian");
}

/// chromedriver on a free loopback port; killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // Bounded wait for the driver to listen.
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn artifact(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verifier-browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_shows_the_verified_outcome_without_reload() {
    ensure_browser();
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = spawn(&w, dir.path()).await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=480,900",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }),
    );
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("connect to chromedriver");

    client.goto(&format!("{base}/")).await.unwrap();
    let title = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Corner Liquor Store");
    assert!(client.find(Locator::Css(".qr svg")).await.is_ok());
    let link = client
        .find(Locator::Id("wallet-link"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(link.starts_with("openid4vp://?client_id="));
    // A marker that a reload would erase.
    client
        .execute("window.__notReloaded = true; return true;", vec![])
        .await
        .unwrap();
    std::fs::write(artifact("pending.png"), client.screenshot().await.unwrap()).unwrap();

    // The test holder answers the request shown on the page.
    let http = reqwest::Client::new();
    let request = holder::fetch_request(&http, &link).await;
    let answer = holder::answer_sd_jwt(&w, &request, &w.default_sd_jwt_vc(), &w.holder.key);
    assert_eq!(holder::post(&http, &request, &answer).await.status(), 200);

    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-state=verified]"))
        .await
        .expect("the page shows the verified state");
    let status = client
        .find(Locator::Id("status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        status,
        "Over 21: yes. Issued by Example DMV. Nothing else was shared."
    );
    let kept = client
        .execute("return window.__notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(kept, json!(true), "the page was reloaded");
    std::fs::write(artifact("verified.png"), client.screenshot().await.unwrap()).unwrap();

    client.close().await.unwrap();
    let _ = stop.send(());
}
