//! The `privacy` binary: help, refusing to start without an admin token, the demo seed, the
//! analyst query command, and graceful shutdown on SIGTERM.

use std::process::Command;

use crate::common::start_binary;

fn privacy() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_privacy"));
    cmd.env("RUST_LOG", "warn").env_remove("RUST_BACKTRACE");
    cmd
}

#[test]
fn help_explains_the_options_and_defaults() {
    let out = privacy().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in [
        "serve",
        "admin",
        "seed-demo",
        "demo-data",
        "query",
        "budget",
    ] {
        assert!(text.contains(sub), "{sub} missing from:\n{text}");
    }
    let out = privacy().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("./data/privacy") && text.contains("127.0.0.1:8083"),
        "{text}"
    );
    assert!(text.contains("PRIVACY_ADMIN_TOKEN"), "{text}");
}

#[test]
fn serve_refuses_to_start_without_an_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    for token in [None, Some(""), Some("too-short")] {
        let mut cmd = privacy();
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path());
        match token {
            None => cmd.env_remove("PRIVACY_ADMIN_TOKEN"),
            Some(t) => cmd.env("PRIVACY_ADMIN_TOKEN", t),
        };
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("PRIVACY_ADMIN_TOKEN"), "{stderr}");
    }
}

#[test]
fn seeded_demo_answers_cli_queries_and_shuts_down_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = privacy()
        .arg("seed-demo")
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token:"))
        .unwrap()
        .trim()
        .to_owned();

    let log = dir.path().join("server.log");
    let (mut child, base) = start_binary(&data, &[("RUST_LOG", "debug")], Some(&log));

    let out = privacy()
        .args([
            "query",
            "--url",
            &base,
            "--dataset",
            "patients",
            "--request",
        ])
        .arg(r#"{"kind":"mean","column":"hba1c","epsilon":0.5,"group_by":["sex"]}"#)
        .env("PRIVACY_ANALYST_TOKEN", &token)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("sex=F") && stdout.contains("95% interval"),
        "{stdout}"
    );
    assert!(stdout.contains("budget left: 9.5 of 10"), "{stdout}");

    let out = privacy()
        .args([
            "query",
            "--url",
            &base,
            "--dataset",
            "patients",
            "--request",
        ])
        .arg(r#"{"kind":"histogram","column":"name","epsilon":0.5}"#)
        .env("PRIVACY_ANALYST_TOKEN", &token)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tag_not_permitted"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");

    // the debug log shows the requests and releases, but no token and no personal data
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("released") && log.contains("/datasets/patients/queries"),
        "{log}"
    );
    assert!(!log.contains(&token) && !log.contains("pdp_"));
    let csv = privacy::demo::patients_csv(privacy::demo::DEMO_SEED);
    let first_row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    for personal in &first_row[..3] {
        assert!(!log.contains(personal), "{personal} in the log");
    }

    // seeding again keeps the dataset and the spend, and issues a new token
    let out = privacy()
        .arg("seed-demo")
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let service = privacy::Service::open(&data).unwrap();
    let status = service.store().budget("demo-analyst", "patients").unwrap();
    assert_eq!(status.analyst_spent, 0.5);
    assert!(service.store().authenticate(&token).unwrap().is_none());
}

#[test]
fn admin_subcommands_register_data_and_report_csv_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let files = dir.path().join("files");
    let out = privacy()
        .arg("demo-data")
        .arg("--out")
        .arg(&files)
        .output()
        .unwrap();
    assert!(out.status.success());
    let admin = |args: &[&str]| {
        privacy()
            .arg("admin")
            .arg("--data")
            .arg(&data)
            .args(args)
            .output()
            .unwrap()
    };
    let schema = files.join("patients.schema.json");
    let csv = files.join("patients.csv");
    // a damaged copy: line 4, birth_year not a number
    let mut lines: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut fields: Vec<&str> = lines[3].split(',').collect();
    fields[3] = "nineteen";
    lines[3] = fields.join(",");
    let bad = files.join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let out = admin(&[
        "add-dataset",
        "--name",
        "patients",
        "--schema",
        schema.to_str().unwrap(),
        "--csv",
        bad.to_str().unwrap(),
        "--epsilon-cap",
        "20",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 4") && stderr.contains("birth_year"),
        "{stderr}"
    );

    let out = admin(&[
        "add-dataset",
        "--name",
        "patients",
        "--schema",
        schema.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--epsilon-cap",
        "20",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(&[
        "set-policy",
        "--file",
        files.join("policy.json").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let out = admin(&["create-analyst", "--id", "pat", "--team", "product"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("pdp_"));
    let out = admin(&[
        "set-budget",
        "--analyst",
        "pat",
        "--dataset",
        "patients",
        "--epsilon",
        "NaN",
    ]);
    assert!(!out.status.success());
    let out = admin(&[
        "set-budget",
        "--analyst",
        "pat",
        "--dataset",
        "patients",
        "--epsilon",
        "2",
    ]);
    assert!(out.status.success());
    let out = admin(&["set-cap", "--dataset", "patients", "--epsilon", "15"]);
    assert!(out.status.success());
    let service = privacy::Service::open(&data).unwrap();
    let status = service.store().budget("pat", "patients").unwrap();
    assert_eq!((status.analyst_budget, status.dataset_cap), (2.0, 15.0));
}
