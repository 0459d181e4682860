//! `wallet`: the holder's wallet on the command line. A thin layer over the `wallet` library.
//!
//! Passphrases come from a prompt (no echo), or for scripts from the environment:
//! `WALLET_PASSPHRASE` (the vault's), `WALLET_NEW_PASSPHRASE` (`passwd`) and
//! `WALLET_BACKUP_PASSPHRASE` (`export`, `import`).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use wallet::display::{printable, printable_list};
use wallet::net::{NetworkPolicy, ReqwestHttp};
use wallet::{
    CredentialRecord, Passphrase, PresentationOutcome, PresentationRecord, VaultConfig, Wallet,
    WalletError,
};

/// The holder's wallet: an encrypted vault of keys, credentials and presentation history.
#[derive(Debug, Parser)]
#[command(
    name = "wallet",
    version,
    about,
    after_help = "Passphrases are asked on the terminal, or taken from WALLET_PASSPHRASE (the vault's), \
WALLET_NEW_PASSPHRASE (passwd) and WALLET_BACKUP_PASSPHRASE (export, import) for scripts.\n\
Exit status: 0 success, 3 wrong passphrase, 1 any other error."
)]
struct Cli {
    /// The vault file (default: `wallet.vault` in the user's data directory).
    #[arg(long, global = true, env = "WALLET_VAULT", value_name = "PATH")]
    vault: Option<PathBuf>,
    /// Allow plain `http://` to loopback hosts (local testing only). Anything else must be
    /// `https://`.
    #[arg(long, global = true)]
    allow_http_loopback: bool,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new, empty vault.
    Init,
    /// Check that the passphrase opens the vault, and show what it holds.
    Unlock,
    /// List the credentials.
    List,
    /// Show one credential (by id or a unique prefix of it).
    Show {
        /// The credential id.
        id: String,
    },
    /// Show the presentation history: what was shared, with whom, when.
    History,
    /// Write an encrypted backup of the whole vault, under its own passphrase.
    Export {
        /// The backup file to create (never overwritten).
        file: PathBuf,
    },
    /// Restore a backup as the vault (which must not exist yet).
    Import {
        /// The backup file.
        file: PathBuf,
    },
    /// Change the vault's passphrase.
    Passwd,
    /// Receive credentials from an OpenID4VCI offer (`openid-credential-offer://`, by value or
    /// by reference). Each is verified before it is stored.
    Receive {
        /// The offer URI.
        offer_uri: String,
        /// The transaction code the issuer sent separately, if the offer needs one (asked on
        /// the terminal otherwise).
        #[arg(long, value_name = "CODE")]
        tx_code: Option<String>,
    },
    /// Answer an OpenID4VP request: shows who asks and what would be shared, and sends only
    /// after approval.
    Present {
        /// The `openid4vp://` request link.
        request_uri: String,
        /// Approve without asking (scripts). Without it, the wallet asks on the terminal, and
        /// with no terminal it declines.
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wallet: {error:#}");
            // A distinct code for the one answer scripts most need to tell apart.
            match error.downcast_ref::<WalletError>() {
                Some(WalletError::WrongPassphrase) => ExitCode::from(3),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn default_vault_path() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "disclose")
        .ok_or_else(|| anyhow!("no home directory; give the vault with --vault PATH"))?;
    Ok(dirs.data_dir().join("wallet.vault"))
}

/// A passphrase from `env`, or else from the terminal (asked twice when `confirm`).
fn passphrase(env: &str, prompt: &str, confirm: bool) -> anyhow::Result<Passphrase> {
    if let Ok(value) = std::env::var(env) {
        return Ok(Passphrase::new(value));
    }
    // Only ask a person: with no terminal on stdin (a script, a test) fail at once rather
    // than wait on a prompt nobody sees.
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: set {env} or run in a terminal");
    }
    let first = rpassword::prompt_password(format!("{prompt}: "))
        .map(Passphrase::new)
        .with_context(|| {
            format!("cannot read the passphrase from the terminal (set {env} for scripts)")
        })?;
    if confirm {
        let second = rpassword::prompt_password(format!("{prompt} (again): "))
            .map(Passphrase::new)
            .context("cannot read the passphrase from the terminal")?;
        if first.as_bytes() != second.as_bytes() {
            bail!("the passphrases differ");
        }
    }
    Ok(first)
}

fn vault_passphrase(confirm: bool) -> anyhow::Result<Passphrase> {
    passphrase("WALLET_PASSPHRASE", "Vault passphrase", confirm)
}

fn open(path: &Path, config: &VaultConfig) -> anyhow::Result<Wallet> {
    let passphrase = vault_passphrase(false)?;
    let delay = Wallet::unlock_delay(path, config);
    if !delay.is_zero() {
        eprintln!(
            "Waiting {} s before trying: earlier unlock attempts failed.",
            delay.as_secs_f32().ceil()
        );
    }
    Ok(Wallet::open(path, &passphrase, config)?)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn ensure_parent(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let path = match &cli.vault {
        Some(path) => path.clone(),
        None => default_vault_path()?,
    };
    let config = VaultConfig::default();
    let now = chrono::Utc::now();
    match cli.command {
        Command::Init => {
            ensure_parent(&path)?;
            let wallet = Wallet::create(&path, &vault_passphrase(true)?, &config, now)?;
            print(
                cli.json,
                json!({"vault": wallet.path(), "created": true}),
                || format!("Created an empty vault at {}", wallet.path().display()),
            );
        }
        Command::Unlock => {
            let wallet = open(&path, &config)?;
            let s = wallet.summary();
            print(
                cli.json,
                json!({"vault": wallet.path(), "keys": s.keys, "credentials": s.credentials, "presentations": s.presentations}),
                || {
                    format!(
                        "Unlocked {}: {} holder keys, {} credentials, {} presentations",
                        wallet.path().display(),
                        s.keys,
                        s.credentials,
                        s.presentations
                    )
                },
            );
        }
        Command::List => {
            let wallet = open(&path, &config)?;
            let rows: Vec<Value> = wallet
                .credentials()
                .iter()
                .map(credential_summary)
                .collect();
            print(cli.json, Value::Array(rows), || {
                list_text(wallet.credentials())
            });
        }
        Command::Show { id } => {
            let wallet = open(&path, &config)?;
            let record = wallet.credential(&id)?;
            let holder = record
                .holder_key
                .as_ref()
                .and_then(|k| wallet.holder_key(k))
                .map(|k| k.did);
            let mut view = credential_summary(record);
            view["holder"] = json!(holder);
            view["claims"] = record.claims.clone();
            print(cli.json, view.clone(), || {
                show_text(record, holder.as_deref())
            });
        }
        Command::History => {
            let wallet = open(&path, &config)?;
            let rows =
                serde_json::to_value(wallet.history()).context("cannot render the history")?;
            print(cli.json, rows, || history_text(wallet.history()));
        }
        Command::Export { file } => {
            let wallet = open(&path, &config)?;
            let backup = passphrase("WALLET_BACKUP_PASSPHRASE", "Backup passphrase", true)?;
            wallet.export_backup(&file, &backup)?;
            print(cli.json, json!({"backup": file}), || {
                format!("Wrote an encrypted backup to {}", file.display())
            });
        }
        Command::Import { file } => {
            let backup = passphrase("WALLET_BACKUP_PASSPHRASE", "Backup passphrase", false)?;
            let vault_passphrase = vault_passphrase(true)?;
            ensure_parent(&path)?;
            let wallet = Wallet::import_backup(&file, &backup, &path, &vault_passphrase, &config)?;
            let s = wallet.summary();
            print(
                cli.json,
                json!({"vault": wallet.path(), "keys": s.keys, "credentials": s.credentials, "presentations": s.presentations}),
                || {
                    format!(
                        "Restored {} credentials and {} presentations into {}",
                        s.credentials,
                        s.presentations,
                        wallet.path().display()
                    )
                },
            );
        }
        Command::Receive { offer_uri, tx_code } => {
            let mut wallet = open(&path, &config)?;
            let policy = NetworkPolicy {
                allow_http_loopback: cli.allow_http_loopback,
            };
            receive(&mut wallet, &offer_uri, tx_code, policy, cli.json)?;
        }
        Command::Present { request_uri, yes } => {
            let mut wallet = open(&path, &config)?;
            let policy = NetworkPolicy {
                allow_http_loopback: cli.allow_http_loopback,
            };
            present(&mut wallet, &request_uri, yes, policy, cli.json)?;
        }
        Command::Passwd => {
            let mut wallet = open(&path, &config)?;
            let new = passphrase("WALLET_NEW_PASSPHRASE", "New vault passphrase", true)?;
            wallet.change_passphrase(&new)?;
            print(
                cli.json,
                json!({"vault": wallet.path(), "passphrase_changed": true}),
                || "Passphrase changed".to_owned(),
            );
        }
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::Write as _;
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn receive(
    wallet: &mut Wallet,
    offer_uri: &str,
    tx_code: Option<String>,
    policy: NetworkPolicy,
    json_out: bool,
) -> anyhow::Result<()> {
    let rt = runtime()?;
    let http = ReqwestHttp::new()?;
    let resolver = wallet::net::did_resolver(policy)?;
    let offer = rt.block_on(wallet::receive::resolve_offer(offer_uri, &http, policy))?;
    let tx_code = match (&offer.tx_code, tx_code) {
        (Some(spec), None) if std::io::stdin().is_terminal() => {
            use std::io::Write as _;
            let hint = spec
                .description
                .as_deref()
                .unwrap_or("sent to you separately by the issuer");
            print!("Transaction code ({hint}): ");
            std::io::stdout().flush()?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Some(line.trim().to_owned())
        }
        (_, given) => given,
    };
    let received = rt.block_on(wallet::receive::receive(
        wallet,
        &offer,
        tx_code.as_deref(),
        &http,
        &resolver,
        policy,
        &mut rand_core::OsRng,
        wallet::clock::SystemClock,
    ))?;
    if json_out {
        println!(
            "{:#}",
            serde_json::to_value(&received).context("cannot render the result")?
        );
    } else {
        for r in &received {
            println!(
                "Stored credential {} ({}, {}) from {}, bound to {}",
                r.id,
                r.format.as_str(),
                printable_list(&r.types),
                printable(&r.issuer),
                r.holder
            );
        }
    }
    Ok(())
}

fn present(
    wallet: &mut Wallet,
    link: &str,
    yes: bool,
    policy: NetworkPolicy,
    json_out: bool,
) -> anyhow::Result<()> {
    let rt = runtime()?;
    let http = ReqwestHttp::new()?;
    let resolver = wallet::net::did_resolver(policy)?;
    let now = chrono::Utc::now();
    let request = rt.block_on(wallet::present::fetch_request(
        link, &http, &resolver, policy, now,
    ))?;
    let pending = wallet::present::plan(wallet, request)?;
    if json_out {
        println!(
            "{:#}",
            serde_json::to_value(pending.summary()).context("cannot render the summary")?
        );
    } else {
        print!("{}", pending.summary());
    }
    let approved = yes || confirm("Share this?")?;
    if !approved {
        wallet::present::decline(wallet, pending, chrono::Utc::now())?;
        if !yes && !std::io::stdin().is_terminal() {
            bail!("not approved: nothing was sent (no terminal to ask; use --yes to approve)");
        }
        eprintln!("Declined: nothing was sent.");
        return Ok(());
    }
    let submitted = rt.block_on(wallet::present::submit(
        wallet,
        pending,
        &http,
        chrono::Utc::now(),
    ))?;
    eprintln!("Sent.");
    if let Some(redirect) = submitted.redirect_uri {
        eprintln!("The verifier continues at {redirect}");
    }
    Ok(())
}

fn print(json: bool, value: Value, text: impl FnOnce() -> String) {
    if json {
        println!("{value:#}");
    } else {
        println!("{}", text());
    }
}

fn credential_summary(c: &CredentialRecord) -> Value {
    json!({
        "id": c.id,
        "format": c.format,
        "types": c.types,
        "issuer": c.issuer,
        "received_at": c.received_at,
    })
}

fn list_text(credentials: &[CredentialRecord]) -> String {
    if credentials.is_empty() {
        return "No credentials.".to_owned();
    }
    let mut out = format!(
        "{:<16}  {:<9}  {:<30}  {:<30}  RECEIVED",
        "ID", "FORMAT", "TYPE", "ISSUER"
    );
    for c in credentials {
        out.push_str(&format!(
            "\n{:<16}  {:<9}  {:<30}  {:<30}  {}",
            c.id,
            c.format.as_str(),
            printable_list(&c.types),
            printable(&c.issuer),
            c.received_at.format("%Y-%m-%d %H:%M"),
        ));
    }
    out
}

fn show_text(c: &CredentialRecord, holder: Option<&str>) -> String {
    let mut out = format!(
        "Credential {}\n  format:   {}\n  type:     {}\n  issuer:   {}\n  holder:   {}\n  received: {}\n  claims:",
        c.id,
        c.format.as_str(),
        printable_list(&c.types),
        printable(&c.issuer),
        holder.unwrap_or("(not bound to a holder key)"),
        c.received_at.to_rfc3339(),
    );
    let mut lines = Vec::new();
    claim_lines(&c.claims, "", &mut lines);
    for line in lines {
        out.push_str(&format!("\n    {line}"));
    }
    out
}

/// `path: value` lines for every leaf claim.
fn claim_lines(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (name, v) in map {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                claim_lines(v, &path, out);
            }
        }
        // Values print as JSON (escaped); names are escaped here.
        other => out.push(format!("{}: {other}", printable(prefix))),
    }
}

fn history_text(history: &[PresentationRecord]) -> String {
    if history.is_empty() {
        return "No presentations.".to_owned();
    }
    let mut out = String::new();
    for (i, p) in history.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let outcome = match p.outcome {
            PresentationOutcome::Sent => "sent",
            PresentationOutcome::Declined => "declined",
            PresentationOutcome::Failed => "failed",
        };
        out.push_str(&format!(
            "{}  {}  to {} (proven by {}) via {}",
            p.at.format("%Y-%m-%d %H:%M:%S"),
            outcome,
            printable(&p.verifier),
            printable(&p.verifier_proven_by),
            printable(&p.response_uri)
        ));
        for s in &p.shared {
            out.push_str(&format!(
                "\n    credential {}: shared [{}], withheld [{}]",
                s.credential,
                printable_list(&s.disclosed),
                printable_list(&s.withheld)
            ));
        }
    }
    out
}
