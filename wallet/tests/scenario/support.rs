//! The deployment around the scenario: the real binaries (built when missing or stale), each
//! service as a separate process on a loopback port with its own data directory, a blocking
//! HTTP client for the operators' side, the wallet CLI, and a network tap that records what
//! the wallet sent to the verifier.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

/// Admin tokens of the test deployment (the services want at least 32 / 16 characters).
pub const ISSUER_ADMIN_TOKEN: &str = "scenario-issuer-admin-token-0123456789abcdef";
pub const VERIFIER_ADMIN_TOKEN: &str = "scenario-verifier-admin-token-0123456789";
/// The holders' vault passphrase.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// How long a service may take to answer its health endpoint after start.
const HEALTH_DEADLINE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Binaries

/// The workspace's binaries in `target/<profile>/`, next to this test's executable.
pub struct Bins {
    pub dir: PathBuf,
    pub issuer: PathBuf,
    pub verifier: PathBuf,
    pub wallet: PathBuf,
    pub privacy: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the wallet crate sits in the workspace")
        .to_path_buf()
}

/// Newest modification time of the files under `path` (a file or a directory tree).
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    let mut newest = None;
    for entry in std::fs::read_dir(path).ok()?.flatten() {
        let t = newest_mtime(&entry.path());
        if t > newest {
            newest = t;
        }
    }
    newest
}

/// Whether `binary` is missing or older than the sources of `crates` (and the lock file).
fn stale(binary: &Path, crates: &[&str]) -> bool {
    let Some(built) = std::fs::metadata(binary).and_then(|m| m.modified()).ok() else {
        return true;
    };
    let root = workspace_root();
    let mut sources = vec![root.join("Cargo.lock"), root.join("Cargo.toml")];
    for c in crates {
        sources.push(root.join(c).join("src"));
        sources.push(root.join(c).join("Cargo.toml"));
    }
    sources
        .iter()
        .filter_map(|s| newest_mtime(s))
        .any(|t| t > built)
}

/// The binaries, built first (once per test process) when one is missing or stale, with the
/// `cargo` that runs this test, into the same target directory and profile.
pub fn bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/scenario-<hash>
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps/<test>")
            .to_path_buf();
        let bin = |name: &str| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        let bins = Bins {
            issuer: bin("issuer"),
            verifier: bin("verifier"),
            wallet: bin("wallet"),
            privacy: bin("privacy"),
            dir: dir.clone(),
        };
        let shared = ["credentials", "did-methods"];
        let needs_build = stale(&bins.issuer, &["issuer", shared[0], shared[1]])
            || stale(&bins.verifier, &["verifier", shared[0], shared[1]])
            || stale(&bins.wallet, &["wallet", shared[0], shared[1]])
            || stale(&bins.privacy, &["privacy"]);
        if needs_build {
            build(&dir);
        }
        for b in [&bins.issuer, &bins.verifier, &bins.wallet, &bins.privacy] {
            assert!(b.is_file(), "{} is missing after the build", b.display());
        }
        bins
    })
}

fn build(profile_dir: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = profile_dir.parent().expect("target/<profile>");
    let profile = profile_dir
        .file_name()
        .and_then(|p| p.to_str())
        .unwrap_or("debug");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["build", "--bins"])
        .args([
            "-p", "issuer", "-p", "verifier", "-p", "wallet", "-p", "privacy",
        ]);
    if profile != "debug" {
        cmd.args([
            "--profile",
            if profile == "release" {
                "release"
            } else {
                profile
            },
        ]);
    }
    eprintln!("scenario: building the service binaries: {cmd:?}");
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "cargo build of the binaries failed");
}

// ---------------------------------------------------------------------------------------
// Processes

/// A free loopback port (bound, read, released: the service binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running service process; killed (and reaped) on drop.
pub struct Service {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    log: PathBuf,
    pub base: String,
    child: Option<Child>,
}

impl Service {
    /// Starts `program args` (with `{port}` in any argument replaced by a free port) and waits
    /// for `GET /health`. Retries on another port if the chosen one was taken meanwhile.
    pub fn start(
        name: &'static str,
        program: &Path,
        args: &[&str],
        envs: &[(&str, &str)],
        log_dir: &Path,
    ) -> Service {
        let mut last_log = String::new();
        for attempt in 0..3 {
            let port = free_port();
            let mut service = Service {
                name,
                program: program.to_path_buf(),
                args: args
                    .iter()
                    .map(|a| a.replace("{port}", &port.to_string()))
                    .collect(),
                envs: envs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                log: log_dir.join(format!("{name}-{attempt}.log")),
                base: format!("http://127.0.0.1:{port}"),
                child: None,
            };
            if service.spawn_and_wait() {
                return service;
            }
            last_log = service.log_text();
            service.stop();
        }
        panic!("{name} did not become healthy; its log:\n{last_log}");
    }

    /// Starts on a given port (chosen by the caller because something else must know it
    /// first) and waits for `GET /health`.
    pub fn start_on(
        name: &'static str,
        program: &Path,
        port: u16,
        args: &[&str],
        envs: &[(&str, &str)],
        log_dir: &Path,
    ) -> Service {
        let mut service = Service {
            name,
            program: program.to_path_buf(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            envs: envs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            log: log_dir.join(format!("{name}.log")),
            base: format!("http://127.0.0.1:{port}"),
            child: None,
        };
        if !service.spawn_and_wait() {
            let log = service.log_text();
            service.stop();
            panic!("{name} did not become healthy; its log:\n{log}");
        }
        service
    }

    fn spawn_and_wait(&mut self) -> bool {
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log file");
        let child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display()));
        self.child = Some(child);
        wait_healthy(&format!("{}/health", self.base), HEALTH_DEADLINE, || {
            self.child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .is_none()
        })
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of the {} log ---", self.name);
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// Polls `url` until it answers 200, `alive()` turns false, or `deadline` passes.
pub fn wait_healthy(url: &str, deadline: Duration, mut alive: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if !alive() {
            return false;
        }
        if let Ok((200, _)) = raw_get(url) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A minimal `GET` (no client state, no runtime) for health polling.
pub fn raw_get(url: &str) -> std::io::Result<(u16, String)> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let addr: SocketAddr = host
        .parse()
        .map_err(|_| std::io::Error::other("not host:port"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, text))
}

// ---------------------------------------------------------------------------------------
// HTTP (the operators' side)

/// A blocking JSON client over reqwest.
pub struct Http {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    pub fn new() -> Self {
        Self {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            // No pooled connections: a restarted service must not get a dead one.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        self.rt.block_on(async {
            let response = request.send().await.expect("request sent");
            let status = response.status().as_u16();
            let text = response.text().await.expect("response body");
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            (status, body)
        })
    }

    pub fn get(&self, url: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.client.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request)
    }

    pub fn post(&self, url: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.post(url).bearer_auth(token).json(body))
    }
}

// ---------------------------------------------------------------------------------------
// The wallet CLI

/// One holder's wallet: the CLI over a vault in a temporary directory.
pub struct WalletCli {
    program: PathBuf,
    vault: PathBuf,
}

/// What a CLI run printed.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("wallet printed no JSON ({e}): {}", self.stdout))
    }
}

impl WalletCli {
    /// `wallet init` in `dir`.
    pub fn init(program: &Path, dir: &Path) -> Self {
        let wallet = Self {
            program: program.to_path_buf(),
            vault: dir.join("wallet.vault"),
        };
        wallet.ok(&["init"]);
        wallet
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = Command::new(&self.program)
            .arg("--vault")
            .arg(&self.vault)
            .args(["--json", "--allow-http-loopback"])
            .args(args)
            .env("WALLET_PASSPHRASE", PASSPHRASE)
            .env_remove("WALLET_VAULT")
            .stdin(Stdio::null())
            .output()
            .expect("run the wallet CLI");
        Run {
            status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs and requires success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert!(
            run.status.success(),
            "wallet {args:?} failed ({}):\n{}\n{}",
            run.status,
            run.stdout,
            run.stderr
        );
        run
    }
}

// ---------------------------------------------------------------------------------------
// Network tap

/// A TCP forwarder in front of the verifier that keeps a copy of every byte the wallet
/// sends: the test reads from it exactly what the verifier received.
pub struct Tap {
    pub port: u16,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Tap {
    /// Listens on a free loopback port and forwards each connection to `target_port`.
    pub fn start(target_port: u16) -> Tap {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("tap listener");
        let port = listener.local_addr().expect("tap address").port();
        let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let record = Arc::clone(&sent);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect((Ipv4Addr::LOCALHOST, target_port)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let slot = {
                    let mut all = record.lock().expect("tap record");
                    all.push(Vec::new());
                    all.len() - 1
                };
                let record = Arc::clone(&record);
                let (mut c_read, mut s_write) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                let (mut s_read, mut c_write) = (server, client);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = c_read.read(&mut buf) {
                        if n == 0 || s_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        record.lock().expect("tap record")[slot].extend_from_slice(&buf[..n]);
                    }
                    let _ = s_write.shutdown(Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                    let _ = c_write.shutdown(Shutdown::Write);
                });
            }
        });
        Tap { port, sent }
    }

    /// Every `vp_token` the wallet posted so far, in order (decoded JSON objects keyed by
    /// credential query id).
    pub fn vp_tokens(&self) -> Vec<Value> {
        let all = self.sent.lock().expect("tap record");
        let mut out = Vec::new();
        for connection in all.iter() {
            let text = String::from_utf8_lossy(connection);
            for request in text.split("POST ").skip(1) {
                let Some((head, rest)) = request.split_once("\r\n\r\n") else {
                    continue;
                };
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(rest.len());
                let body = rest.get(..length).unwrap_or(rest);
                for (name, value) in url::form_urlencoded::parse(body.as_bytes()) {
                    if name == "vp_token" {
                        out.push(serde_json::from_str(&value).expect("vp_token is JSON"));
                    }
                }
            }
        }
        out
    }
}
