//! `privacy`: the differential-privacy service and its admin / analyst CLI.
//! Parses configuration and calls into the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use privacy::budget::BudgetEpsilon;
use privacy::schema::SchemaDoc;
use privacy::{ServerConfig, Service, ServiceOptions};
use zeroize::Zeroizing;

/// Differentially private aggregate queries over PII/PHI-tagged data, with a durable
/// per-analyst privacy budget.
#[derive(Debug, Parser)]
#[command(name = "privacy", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service. Requires PRIVACY_ADMIN_TOKEN (at least 16 characters).
    Serve {
        /// Data directory holding the store (privacy.redb) and the dataset files.
        #[arg(long, default_value = "./data/privacy")]
        data: PathBuf,
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8083")]
        listen: SocketAddr,
    },
    /// Administer a data directory directly (stop the server first: it locks the store; or
    /// use the /admin HTTP API).
    Admin {
        /// Data directory.
        #[arg(long, default_value = "./data/privacy", global = true)]
        data: PathBuf,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Register the synthetic patients dataset, the demo policy and a demo analyst; prints
    /// the analyst's token (a new one on every run).
    SeedDemo {
        /// Data directory.
        #[arg(long, default_value = "./data/privacy")]
        data: PathBuf,
    },
    /// Write the synthetic patients CSV, its schema and the demo policy to a directory.
    DemoData {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run a query as an analyst and print the answer, its 95% interval and the budget left.
    Query {
        /// Service base URL (plain http).
        #[arg(long, default_value = "http://127.0.0.1:8083")]
        url: String,
        /// Analyst token.
        #[arg(long, env = "PRIVACY_ANALYST_TOKEN", hide_env_values = true)]
        token: String,
        /// Dataset name.
        #[arg(long)]
        dataset: String,
        /// The query as JSON, e.g. '{"kind":"count","epsilon":0.5}', or @FILE.
        #[arg(long)]
        request: String,
        /// Print the raw JSON answer.
        #[arg(long)]
        json: bool,
    },
    /// Print an analyst's remaining budget on a dataset.
    Budget {
        /// Service base URL (plain http).
        #[arg(long, default_value = "http://127.0.0.1:8083")]
        url: String,
        /// Analyst token.
        #[arg(long, env = "PRIVACY_ANALYST_TOKEN", hide_env_values = true)]
        token: String,
        /// Dataset name.
        #[arg(long)]
        dataset: String,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Register a dataset from a CSV file and a JSON schema file.
    AddDataset {
        /// Dataset name (a-z, 0-9, '-', '_').
        #[arg(long)]
        name: String,
        /// JSON schema file (every column tagged).
        #[arg(long)]
        schema: PathBuf,
        /// CSV file with a header line.
        #[arg(long)]
        csv: PathBuf,
        /// Global epsilon cap across all analysts.
        #[arg(long)]
        epsilon_cap: f64,
    },
    /// Create an analyst and print its token (shown once).
    CreateAnalyst {
        /// Analyst id.
        #[arg(long)]
        id: String,
        /// Team (policy subject `team:<team>`).
        #[arg(long)]
        team: String,
    },
    /// Set an analyst's total epsilon budget on a dataset.
    SetBudget {
        /// Analyst id.
        #[arg(long)]
        analyst: String,
        /// Dataset name.
        #[arg(long)]
        dataset: String,
        /// Epsilon.
        #[arg(long)]
        epsilon: f64,
    },
    /// Set a dataset's global epsilon cap.
    SetCap {
        /// Dataset name.
        #[arg(long)]
        dataset: String,
        /// Epsilon.
        #[arg(long)]
        epsilon: f64,
    },
    /// Replace the access policy with a JSON file.
    SetPolicy {
        /// Policy file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Print the release ledger (who, what, cost).
    Releases {
        /// Only this dataset.
        #[arg(long)]
        dataset: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { data, listen } => serve(data, listen),
        Command::Admin { data, command } => admin(data, command),
        Command::SeedDemo { data } => {
            let seed = privacy::demo::seed(&data)?;
            println!("dataset:        {}", seed.dataset);
            println!("analyst:        {}", seed.analyst_id);
            println!("epsilon budget: {}", seed.analyst_budget);
            println!("token:          {}", seed.analyst_token.expose());
            Ok(())
        }
        Command::DemoData { out } => {
            std::fs::create_dir_all(&out)?;
            std::fs::write(
                out.join("patients.csv"),
                privacy::demo::patients_csv(privacy::demo::DEMO_SEED),
            )?;
            std::fs::write(
                out.join("patients.schema.json"),
                serde_json::to_string_pretty(&privacy::demo::patients_schema())?,
            )?;
            std::fs::write(
                out.join("policy.json"),
                serde_json::to_string_pretty(&privacy::demo::demo_policy())?,
            )?;
            println!("wrote patients.csv, patients.schema.json, policy.json");
            Ok(())
        }
        Command::Query {
            url,
            token,
            dataset,
            request,
            json,
        } => {
            let token = Zeroizing::new(token);
            let text = match request.strip_prefix('@') {
                Some(file) => std::fs::read_to_string(file).context("reading the request file")?,
                None => request,
            };
            let body: serde_json::Value =
                serde_json::from_str(&text).context("the request is not JSON")?;
            let path = format!("/datasets/{dataset}/queries");
            let (status, answer) = runtime()?.block_on(privacy::client::call(
                &url,
                "POST",
                &path,
                Some(&token),
                Some(&body),
            ))?;
            if status != 200 {
                bail!("refused ({status}): {}", error_text(&answer));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&answer)?);
            } else {
                print_answer(&answer);
            }
            Ok(())
        }
        Command::Budget {
            url,
            token,
            dataset,
        } => {
            let token = Zeroizing::new(token);
            let path = format!("/datasets/{dataset}/budget");
            let (status, answer) = runtime()?.block_on(privacy::client::call(
                &url,
                "GET",
                &path,
                Some(&token),
                None,
            ))?;
            if status != 200 {
                bail!("refused ({status}): {}", error_text(&answer));
            }
            println!("{}", serde_json::to_string_pretty(&answer)?);
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn error_text(answer: &serde_json::Value) -> String {
    format!(
        "{}: {}",
        answer["code"].as_str().unwrap_or("error"),
        answer["message"].as_str().unwrap_or("")
    )
}

fn print_answer(answer: &serde_json::Value) {
    println!(
        "{} on {}{} (epsilon charged {}, {}% intervals, at most {} rows per person)",
        answer["kind"].as_str().unwrap_or(""),
        answer["dataset"].as_str().unwrap_or(""),
        answer["column"]
            .as_str()
            .map(|c| format!(".{c}"))
            .unwrap_or_default(),
        answer["epsilon_charged"],
        answer["confidence"].as_f64().unwrap_or(0.95) * 100.0,
        answer["max_rows_per_person"],
    );
    for cell in answer["results"].as_array().into_iter().flatten() {
        let group = cell["group"]
            .as_object()
            .map(|g| {
                g.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let label = if group.is_empty() {
            "all".to_owned()
        } else {
            group
        };
        let interval = match cell["interval"].as_array() {
            Some(i) if i.len() == 2 => format!("  95% interval [{}, {}]", i[0], i[1]),
            _ => String::new(),
        };
        let hw = cell["half_width"]
            .as_f64()
            .map(|h| format!(" ± {h}"))
            .unwrap_or_default();
        println!("  {label}: {}{hw}{interval}", cell["value"]);
    }
    let b = &answer["budget"];
    println!(
        "budget left: {} of {} (dataset cap left: {})",
        b["analyst_remaining"], b["analyst_budget"], b["dataset_remaining"]
    );
}

fn serve(data: PathBuf, listen: SocketAddr) -> anyhow::Result<()> {
    let admin_token = match std::env::var("PRIVACY_ADMIN_TOKEN") {
        Ok(t) if t.trim().chars().count() >= 16 => Zeroizing::new(t),
        _ => bail!("PRIVACY_ADMIN_TOKEN must be set to at least 16 characters; refusing to start"),
    };
    let mut options = ServiceOptions::default();
    // Test-only crash hook: honoured only in debug builds (the crash test runs the debug
    // binary); release builds ignore it.
    if cfg!(debug_assertions)
        && std::env::var("PRIVACY_TEST_CRASH_AFTER_DEBIT").as_deref() == Ok("1")
    {
        tracing::warn!("PRIVACY_TEST_CRASH_AFTER_DEBIT=1: aborting after every debit (test only)");
        options.dangerous().abort_after_debit(true);
    }
    let config = ServerConfig {
        data_dir: data,
        listen,
        admin_token,
        options,
    };
    runtime()?.block_on(privacy::run(config, privacy::http::shutdown_signal()))?;
    Ok(())
}

fn admin(data: PathBuf, command: AdminCommand) -> anyhow::Result<()> {
    let service =
        Service::open(&data).context("opening the data directory (is a server running on it?)")?;
    let store = service.store();
    match command {
        AdminCommand::AddDataset {
            name,
            schema,
            csv,
            epsilon_cap,
        } => {
            let schema: SchemaDoc = serde_json::from_slice(&std::fs::read(&schema)?)
                .context("the schema file is not a valid schema document")?;
            let csv = std::fs::read(&csv)?;
            let info = service.add_dataset(&name, schema, &csv, epsilon_cap)?;
            println!("registered dataset {}", info.name);
        }
        AdminCommand::CreateAnalyst { id, team } => {
            let token = store.create_analyst(&id, &team)?;
            println!("created analyst {id}; token (shown once):");
            println!("{}", token.expose());
        }
        AdminCommand::SetBudget {
            analyst,
            dataset,
            epsilon,
        } => {
            store.set_budget(&analyst, &dataset, BudgetEpsilon::new(epsilon)?)?;
            println!("budget of {analyst} on {dataset} set to {epsilon}");
        }
        AdminCommand::SetCap { dataset, epsilon } => {
            store.set_dataset_cap(&dataset, BudgetEpsilon::new(epsilon)?)?;
            println!("cap of {dataset} set to {epsilon}");
        }
        AdminCommand::SetPolicy { file } => {
            let policy = serde_json::from_slice(&std::fs::read(&file)?)
                .context("the policy file is not a valid policy document")?;
            store.set_policy(&policy)?;
            println!("policy replaced");
        }
        AdminCommand::Releases { dataset } => {
            let releases = store.releases(dataset.as_deref())?;
            println!("{}", serde_json::to_string_pretty(&releases)?);
        }
    }
    Ok(())
}
