//! `verifier`: the command line. Parses the configuration, binds, and calls
//! [`verifier::run`]; everything else is in the library.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use verifier::{Scenario, ServiceConfig};

/// The Disclose verifier: checks SD-JWT VC and VC 2.0 Data Integrity presentations with
/// every check mandatory, over OpenID4VP 1.0 and the VC-API.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service: OpenID4VP request_uri/direct_post, presentation request state
    /// and events, VC-API verify endpoints, the relying-party page at `/`, `/health` and
    /// `/openapi.json`. Management endpoints need `Authorization: Bearer
    /// $VERIFIER_ADMIN_TOKEN` (environment variable, at least 16 characters); the service
    /// refuses to start without it.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Directory for the database (`verifier.redb`: requests, single-use nonces) and the
    /// verifier's request-signing key (`verifier-key`). Created if missing.
    #[arg(long, default_value = "./data/verifier")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8082")]
    listen: String,
    /// The URL wallets and browsers use to reach this service; request and response URIs
    /// are built from it. Defaults to `http://<listen>`.
    #[arg(long)]
    public_url: Option<url::Url>,
    /// The relying-party scenario as a JSON file (`title`, `prompt`, `dcql_query`, `policy`,
    /// `claim_labels`, `issuer_names`). Without it: the liquor-store demo asking only for
    /// `age_over_21`, trusting the `--trust-issuer` DIDs.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// An issuer DID the demo scenario trusts (repeatable). Needed without `--scenario`.
    #[arg(long = "trust-issuer")]
    trust_issuer: Vec<String>,
    /// Display name of the trusted issuer(s) on the page (`DID=Name`, repeatable).
    #[arg(long = "issuer-name")]
    issuer_name: Vec<String>,
    /// How long a presentation request (and its nonce) stays valid, in seconds.
    #[arg(long, default_value_t = 300)]
    request_ttl_secs: u32,
    /// Requests per minute per client address on endpoints that create state.
    #[arg(long, default_value_t = 120)]
    rate_limit: u32,
    /// DANGEROUS, local testing only: fetch status lists and did:web documents from
    /// loopback addresses (over plain HTTP too).
    #[arg(long)]
    dangerous_allow_loopback: bool,
}

#[tokio::main]
async fn main() {
    // A one-line error, never a backtrace.
    if let Err(e) = serve().await {
        eprintln!("verifier: {e:#}");
        std::process::exit(1);
    }
}

async fn serve() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let Command::Serve(args) = Cli::parse().command;
    let mut scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<Scenario>(&text).context("parsing the scenario")?
        }
        None => Scenario::liquor_store(args.trust_issuer.clone()),
    };
    if args.scenario.is_some() && !args.trust_issuer.is_empty() {
        scenario
            .policy
            .trusted_issuers
            .extend(args.trust_issuer.iter().cloned());
    }
    for pair in &args.issuer_name {
        let (did, name) = pair
            .split_once('=')
            .context("--issuer-name takes DID=Name")?;
        scenario
            .issuer_names
            .insert(did.to_owned(), name.to_owned());
    }
    // The token comes from the environment only: never a flag, which `ps` would show.
    let admin_token = std::env::var("VERIFIER_ADMIN_TOKEN").unwrap_or_default();
    let public_url = match args.public_url {
        Some(url) => url,
        None => url::Url::parse(&format!("http://{}", args.listen))
            .context("--listen is not host:port")?,
    };
    let mut config = ServiceConfig::new(args.data, public_url, admin_token, scenario);
    config.request_ttl = chrono::TimeDelta::seconds(i64::from(args.request_ttl_secs));
    config.rate_limit_per_minute = args.rate_limit;
    config.dangerous_allow_loopback = args.dangerous_allow_loopback;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    verifier::run(config, listener, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
