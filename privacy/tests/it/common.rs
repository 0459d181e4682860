//! Shared fixtures.

use std::path::Path;

use privacy::Service;
use privacy::budget::BudgetEpsilon;
use privacy::policy::Policy;
use privacy::schema::{Dataset, Schema, SchemaDoc};
use privacy::store::Analyst;

/// A small visits schema: identifier, pii, phi, pci, quasi-identifier and public columns.
pub fn visits_schema(max_rows_per_person: u32) -> SchemaDoc {
    serde_json::from_value(serde_json::json!({
        "max_rows_per_person": max_rows_per_person,
        "columns": [
            {"name": "pid", "tag": "identifier", "type": "text"},
            {"name": "name", "tag": "pii", "type": "text"},
            {"name": "age", "tag": "quasi_identifier", "type": "numeric", "bounds": [0, 120]},
            {"name": "sex", "tag": "quasi_identifier", "type": "categorical", "categories": ["F", "M"]},
            {"name": "year", "tag": "public", "type": "categorical", "categories": ["2023", "2024"]},
            {"name": "diagnosis", "tag": "phi", "type": "categorical", "categories": ["A", "B", "C"]},
            {"name": "lab", "tag": "phi", "type": "numeric", "decimals": 1, "bounds": [0, 10]},
            {"name": "raw_score", "tag": "phi", "type": "numeric"},
            {"name": "amount", "tag": "pci", "type": "numeric", "decimals": 2, "bounds": [0, 100]}
        ]
    }))
    .unwrap()
}

/// `persons` persons with `rows_each` rows each; values are a function of the indices.
pub fn visits_csv(persons: usize, rows_each: usize) -> String {
    let mut out = String::from("pid,name,age,sex,year,diagnosis,lab,raw_score,amount\n");
    for p in 0..persons {
        for r in 0..rows_each {
            out.push_str(&format!(
                "p{p},Person {p},{},{},{},{},{}.{},{},{}.50\n",
                20 + p % 60,
                if p % 2 == 0 { "F" } else { "M" },
                if r % 2 == 0 { "2023" } else { "2024" },
                ["A", "B", "C"][p % 3],
                p % 10,
                r % 10,
                p * 7,
                p % 90,
            ));
        }
    }
    out
}

/// A dataset in memory.
pub fn visits_dataset(max_rows_per_person: u32, csv: &str) -> Dataset {
    Dataset::from_csv(
        Schema::validate(visits_schema(max_rows_per_person)).unwrap(),
        csv.as_bytes(),
    )
    .unwrap()
}

/// Policy: team `health` may use public, quasi-identifier and phi columns; team `billing`
/// public and pci; nobody pii.
pub fn test_policy() -> Policy {
    serde_json::from_value(serde_json::json!({"rules": [
        {"effect": "allow", "subjects": ["team:health"], "resources": ["*"], "actions": ["query"],
         "tags": ["public", "quasi_identifier", "phi"]},
        {"effect": "allow", "subjects": ["team:billing"], "resources": ["*"], "actions": ["query"],
         "tags": ["public", "pci"]},
        {"effect": "deny", "subjects": ["*"], "resources": ["*"], "actions": ["query"], "tags": ["pii"]}
    ]}))
    .unwrap()
}

/// A service over a temp dir with dataset `visits` (cap `cap`), the test policy, and analyst
/// `alice` (team health) with `budget`. Returns the service, alice and her token.
pub fn service_with(dir: &Path, budget: f64, cap: f64) -> (Service, Analyst, String) {
    let service = Service::open(dir).unwrap();
    service
        .add_dataset(
            "visits",
            visits_schema(2),
            visits_csv(50, 3).as_bytes(),
            cap,
        )
        .unwrap();
    service.store().set_policy(&test_policy()).unwrap();
    let token = service.store().create_analyst("alice", "health").unwrap();
    service
        .store()
        .set_budget("alice", "visits", BudgetEpsilon::new(budget).unwrap())
        .unwrap();
    let alice = service
        .store()
        .authenticate(token.expose())
        .unwrap()
        .unwrap();
    (service, alice, token.expose().to_owned())
}

/// Admin token used by the tests.
pub const ADMIN: &str = "test-admin-token-0123456789";

/// One HTTP call from synchronous code.
pub fn call_blocking(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<(u16, serde_json::Value), privacy::client::ClientError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(privacy::client::call(base, method, path, token, body))
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real `privacy serve` binary, its log (stderr) going to `log` if given.
pub fn spawn_binary_logging(
    dir: &Path,
    port: u16,
    extra_env: &[(&str, &str)],
    log: Option<&Path>,
) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_privacy"));
    cmd.args(["serve", "--data"])
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("PRIVACY_ADMIN_TOKEN", ADMIN)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(match log {
            Some(path) => std::process::Stdio::from(std::fs::File::create(path).unwrap()),
            None => std::process::Stdio::null(),
        });
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits until `GET /health` answers; false if the child exits first.
fn try_wait_healthy(base: &str, child: &mut std::process::Child) -> bool {
    for _ in 0..600 {
        if let Ok((200, _)) = call_blocking(base, "GET", "/health", None, None) {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("server did not become healthy");
}

/// Starts the real binary on a free port and waits until it is healthy; retries with another
/// port if the chosen one was taken in the meantime. Returns the child and its base URL.
pub fn start_binary(
    dir: &Path,
    extra_env: &[(&str, &str)],
    log: Option<&Path>,
) -> (std::process::Child, String) {
    for _ in 0..5 {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = spawn_binary_logging(dir, port, extra_env, log);
        if try_wait_healthy(&base, &mut child) {
            return (child, base);
        }
    }
    panic!("the server did not start");
}
