//! `scripts/start` as a new user runs it (on free ports, with the binaries already built):
//! the three services answer their health endpoints, the printed offer is a real
//! proof-of-age offer of this issuer, the demo analyst can query the seeded dataset, Ctrl-C
//! (SIGINT, to the whole process group or to the launcher alone) stops everything cleanly,
//! and a second start reuses the data.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{bins, free_port, raw_get, wait_healthy};

/// Bounded wait for the launcher to print its block (it seeds and starts three services).
const STARTUP_DEADLINE: Duration = Duration::from_secs(180);
/// Bounded wait for a clean stop after SIGINT.
const STOP_DEADLINE: Duration = Duration::from_secs(30);

struct Launcher {
    child: Option<Child>,
    out: PathBuf,
    err: PathBuf,
}

impl Launcher {
    fn start(data: &Path, ports: [u16; 3], logs: &Path, run: &str) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/start");
        let out = logs.join(format!("start-{run}.out"));
        let err = logs.join(format!("start-{run}.err"));
        let child = Command::new("bash")
            .arg(script)
            .env("ISSUER_PORT", ports[0].to_string())
            .env("VERIFIER_PORT", ports[1].to_string())
            .env("PRIVACY_PORT", ports[2].to_string())
            .env("DATA_DIR", data)
            .env("BIN_DIR", &bins().dir)
            // Its own process group, like a job in a terminal.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("run scripts/start");
        Self {
            child: Some(child),
            out,
            err,
        }
    }

    fn output(&self) -> (String, String) {
        (
            std::fs::read_to_string(&self.out).unwrap_or_default(),
            std::fs::read_to_string(&self.err).unwrap_or_default(),
        )
    }

    /// Waits until the block is printed (its last line follows "Try next").
    fn wait_ready(&mut self) -> String {
        let started = Instant::now();
        while started.elapsed() < STARTUP_DEADLINE {
            let (out, err) = self.output();
            if out.contains("Try next") && out.trim_end().ends_with("=====") {
                return out;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("scripts/start exited ({status}) before it was ready:\n{out}\n{err}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let (out, err) = self.output();
        panic!("scripts/start was not ready in time:\n{out}\n{err}");
    }

    /// SIGINT to the launcher alone (`kill -INT`), or to its whole process group as a
    /// terminal's Ctrl-C does; then a bounded wait for its exit status.
    fn interrupt(&mut self, whole_group: bool) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let target = if whole_group { format!("-{pid}") } else { pid };
        let sent = Command::new("kill")
            .args(["-INT", "--", &target])
            .status()
            .expect("kill -INT");
        assert!(sent.success());
        let started = Instant::now();
        while started.elapsed() < STOP_DEADLINE {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        kill_group(&mut child);
        let (out, err) = self.output();
        panic!("scripts/start did not stop after SIGINT:\n{out}\n{err}");
    }
}

/// SIGKILL to the launcher's process group (the launcher and the services it started).
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

impl Drop for Launcher {
    fn drop(&mut self) {
        // A failed assertion must not leave the services running: SIGTERM lets the script
        // stop them (its trap); SIGKILL to the whole group if it does not.
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let started = Instant::now();
            while started.elapsed() < STOP_DEADLINE {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            kill_group(&mut child);
        }
    }
}

fn healthy(port: u16) -> bool {
    wait_healthy(
        &format!("http://127.0.0.1:{port}/health"),
        Duration::from_secs(5),
        || true,
    )
}

/// The `credential_offer` JSON of the printed `openid-credential-offer://` link.
fn printed_offer(out: &str) -> Value {
    let link = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("openid-credential-offer://"))
        .unwrap_or_else(|| panic!("no offer link printed:\n{out}"));
    let url = url::Url::parse(link).expect("the offer link is a URL");
    let offer = url
        .query_pairs()
        .find(|(k, _)| k == "credential_offer")
        .map(|(_, v)| v.into_owned())
        .expect("an offer by value");
    serde_json::from_str(&offer).expect("the offer is JSON")
}

fn token_file(data: &Path) -> (String, u32) {
    let path = data.join("tokens.env");
    let text = std::fs::read_to_string(&path).expect("tokens.env");
    let mode = {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    (text, mode)
}

fn token(tokens: &str, name: &str) -> String {
    tokens
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} missing from tokens.env"))
        .to_owned()
}

#[test]
fn quick_start_runs_the_demo_and_stops_cleanly_on_ctrl_c() {
    let bins = bins();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut ports = [free_port(), free_port(), free_port()];
    while ports[1] == ports[0] || ports[2] == ports[0] || ports[2] == ports[1] {
        ports = [free_port(), free_port(), free_port()];
    }

    // --- First start: tokens generated, demo seeded ------------------------------------
    let mut first = Launcher::start(&data, ports, dir.path(), "1");
    let out = first.wait_ready();
    for port in ports {
        assert!(healthy(port), "port {port} not healthy:\n{out}");
        assert!(out.contains(&format!("http://127.0.0.1:{port}")), "{out}");
    }
    let offer = printed_offer(&out);
    assert_eq!(
        offer["credential_issuer"],
        format!("http://127.0.0.1:{}", ports[0])
    );
    assert_eq!(
        offer["credential_configuration_ids"],
        serde_json::json!(["proof_of_age_sd_jwt"])
    );
    let grant = &offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
    assert!(grant["pre-authorized_code"].is_string(), "{offer}");
    assert!(out.contains('█'), "a QR code is drawn:\n{out}");
    for next in ["wallet init", "receive", "present", "privacy query"] {
        assert!(
            out.contains(next),
            "{next} missing from the next steps:\n{out}"
        );
    }
    let (tokens, mode) = token_file(&data);
    assert_eq!(mode, 0o600, "tokens.env is private");
    for name in [
        "ISSUER_ADMIN_TOKEN",
        "VERIFIER_ADMIN_TOKEN",
        "PRIVACY_ADMIN_TOKEN",
        "PRIVACY_ANALYST_TOKEN",
    ] {
        assert!(token(&tokens, name).len() >= 32, "{name}");
        assert!(!out.contains(&token(&tokens, name)), "{name} was printed");
    }
    // The demo analyst can query the seeded dataset.
    let query = Command::new(&bins.privacy)
        .args(["query", "--url", &format!("http://127.0.0.1:{}", ports[2])])
        .args(["--dataset", "patients", "--json"])
        .args(["--request", r#"{"kind":"count","epsilon":0.1}"#])
        .env(
            "PRIVACY_ANALYST_TOKEN",
            token(&tokens, "PRIVACY_ANALYST_TOKEN"),
        )
        .output()
        .expect("privacy query");
    assert!(query.status.success(), "{query:?}");
    // The liquor store's page asks for a presentation.
    let (status, page) = raw_get(&format!("http://127.0.0.1:{}/", ports[1])).expect("page");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Corner Liquor Store") && page.contains("openid4vp://"));

    let status = first.interrupt(true);
    let (out, err) = first.output();
    assert!(
        status.success(),
        "exit after Ctrl-C: {status}\n{out}\n{err}"
    );
    assert!(err.contains("stopped cleanly"), "{err}");
    for port in ports {
        assert!(
            !healthy_once(port),
            "port {port} still answers after Ctrl-C"
        );
    }

    // --- Second start: same tokens, nothing seeded again, a fresh offer ----------------
    let mut second = Launcher::start(&data, ports, dir.path(), "2");
    let out_2 = second.wait_ready();
    let (_, err_2) = second.output();
    assert!(!err_2.contains("generating admin tokens"), "{err_2}");
    assert!(!err_2.contains("seeding"), "{err_2}");
    assert_eq!(token_file(&data).0, tokens, "tokens reused");
    for port in ports {
        assert!(healthy(port), "port {port} not healthy on the second start");
    }
    let offer_2 = printed_offer(&out_2);
    assert_ne!(
        offer_2["grants"], offer["grants"],
        "each start prints a fresh offer"
    );
    let status = second.interrupt(false);
    let (out, err) = second.output();
    assert!(
        status.success(),
        "exit after Ctrl-C: {status}\n{out}\n{err}"
    );
}

/// One health request, no retries.
fn healthy_once(port: u16) -> bool {
    matches!(
        raw_get(&format!("http://127.0.0.1:{port}/health")),
        Ok((200, _))
    )
}
