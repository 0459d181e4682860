//! The real `wallet` binary, driven as a script would: `WALLET_PASSPHRASE` and friends, no
//! terminal. These vaults use the real KDF parameters (64 MiB).

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use wallet::{
    DidMethod, PresentationOutcome, PresentationRecord, SharedCredential, VaultConfig, Wallet,
};

use crate::support::*;

fn wallet_cmd(vault: &Path, passphrase: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wallet"));
    cmd.arg("--vault").arg(vault);
    cmd.env_remove("WALLET_PASSPHRASE")
        .env_remove("WALLET_NEW_PASSPHRASE")
        .env_remove("WALLET_BACKUP_PASSPHRASE")
        .env_remove("WALLET_VAULT")
        .stdin(Stdio::null());
    if let Some(p) = passphrase {
        cmd.env("WALLET_PASSPHRASE", p);
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(cmd: &mut Command) -> Value {
    serde_json::from_str(&ok(cmd.arg("--json"))).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A vault made through the library with the real configuration, holding one credential
/// bound to a holder key and one history entry.
fn populated_vault(path: &Path) -> String {
    let mut w = Wallet::create(path, &pass(PASS), &VaultConfig::default(), now()).unwrap();
    let key = w
        .generate_holder_key(DidMethod::Key, &mut rng(1), now())
        .unwrap();
    let mut cred = sd_jwt_credential("Erika");
    cred.holder_key = Some(key.id.clone());
    let id = w.store_credential(cred, &mut rng(2), now()).unwrap();
    w.record_presentation(PresentationRecord {
        at: now(),
        verifier: "x509_san_dns:verifier.example".into(),
        verifier_proven_by: "x509_san_dns".into(),
        response_uri: "https://verifier.example/response".into(),
        shared: vec![SharedCredential {
            credential: id.clone(),
            disclosed: vec!["given_name".into()],
            withheld: vec!["family_name".into(), "birthdate".into()],
        }],
        outcome: PresentationOutcome::Sent,
    })
    .unwrap();
    id.to_string()
}

#[test]
fn init_creates_a_vault_that_unlocks_and_is_never_reinitialised() {
    let dir = tempfile::tempdir().unwrap();
    // The parent directory is created (private) if missing.
    let vault = dir.path().join("sub").join("wallet.vault");
    let out = ok(wallet_cmd(&vault, Some(PASS)).arg("init"));
    assert!(out.contains("Created"), "{out}");
    let summary = json(wallet_cmd(&vault, Some(PASS)).arg("unlock"));
    assert_eq!(summary["credentials"], 0);
    assert_eq!(
        ok(wallet_cmd(&vault, Some(PASS)).arg("list")).trim(),
        "No credentials."
    );

    let before = fs::read(&vault).unwrap();
    let again = run(wallet_cmd(&vault, Some("another passphrase")).arg("init"));
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(fs::read(&vault).unwrap(), before, "init overwrote a vault");
    // The real parameters: 64 MiB.
    assert_eq!(
        u32::from_be_bytes(before[17..21].try_into().unwrap()),
        64 * 1024
    );
}

#[test]
fn the_default_vault_lives_in_the_users_data_directory() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wallet"));
    cmd.env_clear()
        .env("HOME", home.path())
        .env("WALLET_PASSPHRASE", PASS)
        .stdin(Stdio::null())
        .arg("init");
    ok(&mut cmd);
    let expected = home.path().join(".local/share/disclose/wallet.vault");
    assert!(expected.exists(), "no vault at {}", expected.display());
    // Private directory.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(expected.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

#[test]
fn init_refuses_a_short_passphrase_and_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    let out = run(wallet_cmd(&vault, Some("short")).arg("init"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("too short"));
    assert!(!vault.exists());
    // No passphrase in the environment and no terminal: a clear error, no vault.
    let out = run(wallet_cmd(&vault, None).arg("init"));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("WALLET_PASSPHRASE"),
        "{}",
        stderr(&out)
    );
    assert!(!vault.exists());
}

#[test]
fn wrong_passphrase_is_refused_with_its_own_exit_code_and_no_echo() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    ok(wallet_cmd(&vault, Some(PASS)).arg("init"));
    let before = fs::read(&vault).unwrap();
    let out = run(wallet_cmd(&vault, Some("not the passphrase")).arg("unlock"));
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(
        !err.contains("not the passphrase")
            && !String::from_utf8_lossy(&out.stdout).contains("not the passphrase")
    );
    assert_eq!(wallet::failed_unlock_attempts(&vault), 1);
    assert_eq!(fs::read(&vault).unwrap(), before);
    // The next attempt says it waits (instead of looking frozen), then succeeds.
    let retry = run(wallet_cmd(&vault, Some(PASS)).arg("unlock"));
    assert!(retry.status.success());
    assert!(stderr(&retry).contains("Waiting 1 s"), "{}", stderr(&retry));
    assert_eq!(wallet::failed_unlock_attempts(&vault), 0);
}

#[test]
fn list_show_and_history_print_what_the_vault_holds() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    let id = populated_vault(&vault);

    let list = json(wallet_cmd(&vault, Some(PASS)).arg("list"));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["format"], "dc+sd-jwt");
    assert_eq!(list[0]["types"][0], "urn:eudi:pid:1");
    let text = ok(wallet_cmd(&vault, Some(PASS)).arg("list"));
    assert!(
        text.contains(&id) && text.contains("urn:eudi:pid:1"),
        "{text}"
    );

    // By a unique prefix.
    let shown = json(wallet_cmd(&vault, Some(PASS)).args(["show", &id[..5]]));
    assert_eq!(shown["claims"]["given_name"], "Erika");
    assert!(
        shown["holder"]
            .as_str()
            .unwrap()
            .starts_with("did:key:z6Mk")
    );
    let text = ok(wallet_cmd(&vault, Some(PASS)).args(["show", &id]));
    assert!(text.contains("given_name: \"Erika\""), "{text}");
    // Keys never leave: nothing that looks like a seed is printed.
    assert!(!text.contains("seed") && !shown.to_string().contains("seed"));
    let missing = run(wallet_cmd(&vault, Some(PASS)).args(["show", "nope"]));
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("no credential nope"));

    let history = json(wallet_cmd(&vault, Some(PASS)).arg("history"));
    assert_eq!(history[0]["verifier"], "x509_san_dns:verifier.example");
    assert_eq!(history[0]["shared"][0]["disclosed"][0], "given_name");
    let text = ok(wallet_cmd(&vault, Some(PASS)).arg("history"));
    assert!(
        text.contains("sent  to x509_san_dns:verifier.example"),
        "{text}"
    );
    assert!(
        text.contains("shared [given_name], withheld [family_name, birthdate]"),
        "{text}"
    );
}

#[test]
fn passwd_replaces_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    ok(wallet_cmd(&vault, Some(PASS)).arg("init"));
    let short = run(wallet_cmd(&vault, Some(PASS))
        .env("WALLET_NEW_PASSPHRASE", "short")
        .arg("passwd"));
    assert!(!short.status.success());
    ok(wallet_cmd(&vault, Some(PASS))
        .env("WALLET_NEW_PASSPHRASE", "the new passphrase")
        .arg("passwd"));
    let old = run(wallet_cmd(&vault, Some(PASS)).arg("unlock"));
    assert_eq!(old.status.code(), Some(3));
    ok(wallet_cmd(&vault, Some("the new passphrase")).arg("unlock"));
}

#[test]
fn export_then_import_restores_a_working_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    let id = populated_vault(&vault);
    let backup = dir.path().join("backup.dvb");
    ok(wallet_cmd(&vault, Some(PASS))
        .env("WALLET_BACKUP_PASSPHRASE", "backup passphrase")
        .arg("export")
        .arg(&backup));
    // Never overwrites.
    let again = run(wallet_cmd(&vault, Some(PASS))
        .env("WALLET_BACKUP_PASSPHRASE", "backup passphrase")
        .arg("export")
        .arg(&backup));
    assert!(!again.status.success());

    let restored = dir.path().join("restored");
    // Wrong backup passphrase: nothing is created.
    let wrong = run(wallet_cmd(&restored, Some("restored passphrase"))
        .env("WALLET_BACKUP_PASSPHRASE", "not it at all")
        .arg("import")
        .arg(&backup));
    assert_eq!(wrong.status.code(), Some(3));
    assert!(!restored.exists());
    // Import refuses to replace an existing vault.
    let over = run(wallet_cmd(&vault, Some("restored passphrase"))
        .env("WALLET_BACKUP_PASSPHRASE", "backup passphrase")
        .arg("import")
        .arg(&backup));
    assert!(!over.status.success());
    assert!(stderr(&over).contains("already exists"));

    let summary = json(
        wallet_cmd(&restored, Some("restored passphrase"))
            .env("WALLET_BACKUP_PASSPHRASE", "backup passphrase")
            .arg("import")
            .arg(&backup),
    );
    assert_eq!(summary["credentials"], 1);
    assert_eq!(summary["presentations"], 1);
    let shown = json(wallet_cmd(&restored, Some("restored passphrase")).args(["show", &id]));
    assert_eq!(shown["claims"]["family_name"], "Mustermann");
    // The backup is not a vault.
    let as_vault = run(wallet_cmd(&backup, Some("backup passphrase")).arg("unlock"));
    assert!(
        stderr(&as_vault).contains("is a wallet backup, not a wallet vault"),
        "{}",
        stderr(&as_vault)
    );
}

#[test]
fn damaged_and_foreign_files_are_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    ok(wallet_cmd(&vault, Some(PASS)).arg("init"));
    let mut bytes = fs::read(&vault).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&vault, &bytes).unwrap();
    let out = run(wallet_cmd(&vault, Some(PASS)).arg("unlock"));
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
    assert_eq!(fs::read(&vault).unwrap(), bytes);

    let foreign = dir.path().join("notes.txt");
    fs::write(&foreign, "just some text\n").unwrap();
    let out = run(wallet_cmd(&foreign, Some(PASS)).arg("list"));
    assert!(
        stderr(&out).contains("not a Disclose vault"),
        "{}",
        stderr(&out)
    );
    let out = run(wallet_cmd(&foreign, Some(PASS)).arg("init"));
    assert!(!out.status.success());
    assert_eq!(fs::read_to_string(&foreign).unwrap(), "just some text\n");

    let missing = run(wallet_cmd(&dir.path().join("none"), Some(PASS)).arg("list"));
    assert!(
        stderr(&missing).contains("no vault at"),
        "{}",
        stderr(&missing)
    );
}

mod present_cmd {
    use credentials::Signer as _;
    use credentials::oid4vp::{AuthorizationResponse, Presentation};
    use credentials::sd_jwt::{self, IssuerKey, KeyBindingPolicy, VerifyOptions};
    use wallet::{PresentationOutcome, VaultConfig, Wallet};

    use super::{run, stderr, wallet_cmd};
    use crate::present::{Verifier, link, pid_query, receive_pid};
    use crate::support::*;

    struct Setup {
        _dir: tempfile::TempDir,
        vault: std::path::PathBuf,
        verifier: Verifier,
        server: LocalServer,
        link: String,
        nonce: String,
    }

    /// A vault (real parameters) holding a PID, and a local verifier serving a signed
    /// request for `given_name` whose response goes back to it.
    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("v");
        let mut w = Wallet::create(&vault, &pass(PASS), &VaultConfig::default(), now()).unwrap();
        receive_pid(&mut w, 11);
        drop(w);
        let verifier = Verifier::new(9);
        let server = LocalServer::start();
        let mut request = verifier.request(pid_query(&["given_name"]));
        request.response_uri = format!("{}/response", server.base);
        request.iat = Some(chrono::Utc::now().timestamp());
        request.exp = Some(chrono::Utc::now().timestamp() + 600);
        server.page(
            "/request",
            "application/oauth-authz-req+jwt",
            request.sign(&verifier.kid, &verifier.key),
        );
        server.page("/response", "application/json", "{}");
        let link = link(&verifier.client_id(), &format!("{}/request", server.base));
        Setup {
            _dir: dir,
            vault,
            verifier,
            server,
            link,
            nonce: request.nonce,
        }
    }

    #[test]
    fn plain_http_needs_the_loopback_flag() {
        let s = setup();
        let out = run(wallet_cmd(&s.vault, Some(PASS)).args(["present", &s.link, "--yes"]));
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("request_uri refused"),
            "{}",
            stderr(&out)
        );
        assert!(
            s.server.requests().is_empty(),
            "contacted a plain-http URL without the flag"
        );
    }

    #[test]
    fn without_approval_nothing_is_sent() {
        let s = setup();
        let out = run(wallet_cmd(&s.vault, Some(PASS)).args([
            "--allow-http-loopback",
            "present",
            &s.link,
        ]));
        assert!(!out.status.success());
        let summary = String::from_utf8_lossy(&out.stdout);
        assert!(summary.contains(&s.verifier.did), "{summary}");
        assert!(summary.contains("will share:      given_name"), "{summary}");
        assert!(
            stderr(&out).contains("nothing was sent"),
            "{}",
            stderr(&out)
        );
        assert!(s.server.posts().is_empty(), "sent without approval");
        let w = Wallet::open(&s.vault, &pass(PASS), &VaultConfig::default()).unwrap();
        assert_eq!(
            w.history().last().unwrap().outcome,
            PresentationOutcome::Declined
        );
    }

    #[test]
    fn approved_presentation_reaches_the_verifier_bound_to_its_nonce_and_client_id() {
        let s = setup();
        let out = run(wallet_cmd(&s.vault, Some(PASS)).args([
            "--allow-http-loopback",
            "present",
            &s.link,
            "--yes",
        ]));
        assert!(out.status.success(), "{}", stderr(&out));
        let posts = s.server.posts();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].0, "/response");
        let AuthorizationResponse::VpToken { vp_token, .. } =
            AuthorizationResponse::from_form(&posts[0].1).unwrap()
        else {
            panic!("not a vp_token");
        };
        let Presentation::Compact(presented) = &vp_token["pid"][0] else {
            panic!("not an SD-JWT");
        };
        let issuer = credentials::Ed25519SigningKey::from_seed(&[42; 32]).public_key();
        let verified = sd_jwt::verify(
            presented,
            IssuerKey::Pinned(&issuer),
            &VerifyOptions::sd_jwt_vc(
                chrono::Utc::now(),
                KeyBindingPolicy::Required {
                    audience: s.verifier.client_id(),
                    nonce: s.nonce.clone(),
                },
            ),
        )
        .unwrap();
        assert!(verified.is_verified(), "{:?}", verified.report());
        assert!(!verified.claims().unwrap().contains_key("birthdate"));
        let history = super::json(wallet_cmd(&s.vault, Some(PASS)).arg("history"));
        assert_eq!(history[0]["outcome"], "sent");
        assert_eq!(history[0]["verifier"], s.verifier.client_id());
    }
}

mod receive_cmd {
    use std::sync::Arc;

    use super::{json, ok, run, stderr, wallet_cmd};
    use crate::receive::FakeIssuer;
    use crate::support::*;

    /// The in-memory issuer of the receive tests, served over HTTP on loopback.
    fn issuer_server(tx_code: Option<&str>) -> (LocalServer, Arc<FakeIssuer>) {
        let mut shared = None;
        let server = LocalServer::start_with(|base| {
            let mut issuer = FakeIssuer::at(base);
            issuer.tx_code = tx_code.map(str::to_owned);
            let issuer = Arc::new(issuer);
            shared = Some(issuer.clone());
            Arc::new(
                move |method: &str, path: &str, body: &str, bearer: Option<&str>| {
                    let r = issuer.handle(method, path, body, bearer);
                    (
                        r.status,
                        r.content_type.unwrap_or_default(),
                        String::from_utf8(r.body).unwrap(),
                    )
                },
            )
        });
        (server, shared.unwrap())
    }

    fn initialised_vault(dir: &std::path::Path) -> std::path::PathBuf {
        let vault = dir.join("v");
        ok(wallet_cmd(&vault, Some(PASS)).arg("init"));
        vault
    }

    #[test]
    fn receive_stores_a_verified_credential_that_list_shows() {
        let dir = tempfile::tempdir().unwrap();
        let vault = initialised_vault(dir.path());
        let (server, issuer) = issuer_server(None);
        let out = ok(wallet_cmd(&vault, Some(PASS)).args([
            "--allow-http-loopback",
            "receive",
            &issuer.offer_uri(),
        ]));
        assert!(out.contains("Stored credential"), "{out}");
        assert!(
            server
                .requests()
                .iter()
                .any(|(m, p, _)| m == "POST" && p == "/credential")
        );
        let list = json(wallet_cmd(&vault, Some(PASS)).arg("list"));
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["types"][0], "urn:eudi:pid:1");
        assert_eq!(list[0]["format"], "dc+sd-jwt");
    }

    #[test]
    fn receive_over_plain_http_needs_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let vault = initialised_vault(dir.path());
        let (server, issuer) = issuer_server(None);
        let out = run(wallet_cmd(&vault, Some(PASS)).args(["receive", &issuer.offer_uri()]));
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("credential_issuer refused"),
            "{}",
            stderr(&out)
        );
        assert!(server.requests().is_empty());
    }

    #[test]
    fn receive_asks_for_the_transaction_code() {
        let dir = tempfile::tempdir().unwrap();
        let vault = initialised_vault(dir.path());
        let (server, issuer) = issuer_server(Some("123456"));
        let out = run(wallet_cmd(&vault, Some(PASS)).args([
            "--allow-http-loopback",
            "receive",
            &issuer.offer_uri(),
        ]));
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("needs a transaction code"),
            "{}",
            stderr(&out)
        );
        assert!(server.requests().is_empty(), "{:?}", server.requests());
        ok(wallet_cmd(&vault, Some(PASS)).args([
            "--allow-http-loopback",
            "receive",
            &issuer.offer_uri(),
            "--tx-code",
            "123456",
        ]));
        assert_eq!(
            json(wallet_cmd(&vault, Some(PASS)).arg("list"))
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}
