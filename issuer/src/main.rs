//! `issuer`: parse the command line, bind, call [`issuer::run`].

use anyhow::Context as _;
use clap::Parser as _;
use issuer::config::{Cli, Command, TokenAction};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let listen = args.listen;
            let config = args.into_config(
                std::env::var("ISSUER_ADMIN_TOKEN").ok(),
                std::env::var("ISSUER_KEY_SECRET").ok(),
            )?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            issuer::run(config, listener, shutdown_signal()).await?;
        }
        Command::Token {
            action: TokenAction::Create { data, role, label },
        } => {
            let now = chrono::Utc::now().timestamp();
            let (id, token) = issuer::create_token_offline(&data, role.into(), &label, now)?;
            println!("token id: {id}\ntoken (shown once): {}", token.as_str());
        }
        Command::KeyFile { path } => {
            issuer::keyring::KeySecret::create_key_file(&path)?;
            println!("key file written to {}", path.display());
        }
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
