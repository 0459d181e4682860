//! A process killed with SIGKILL while saving, many times, always leaves a vault that opens
//! with the old or the new content.
//!
//! The child is this test binary itself, run with `--exact kill::save_loop_child` and an
//! environment variable naming the vault: it opens the vault and changes it in a loop, each
//! change one real save. Before each save it prints the state it is about to write
//! (`next ...`) and after the save returns, the state written (`saved ...`). The parent kills
//! it at a random moment and checks the vault holds exactly the last saved state or the one
//! in flight.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::Rng as _;
use serde_json::json;
use wallet::{CredentialFormat, NewCredential, Wallet};

use crate::support::*;

const CHILD_ENV: &str = "DISCLOSE_WALLET_SAVE_LOOP_VAULT";

fn generations(w: &Wallet) -> BTreeSet<u64> {
    w.credentials()
        .iter()
        .map(|c| c.claims["generation"].as_u64().unwrap())
        .collect()
}

fn show(set: &BTreeSet<u64>) -> String {
    set.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

fn parse(list: &str) -> BTreeSet<u64> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

/// The child's body. Does nothing unless the parent test spawned it.
#[test]
fn save_loop_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut w = Wallet::open(Path::new(&path), &pass(PASS), &TEST_CONFIG).unwrap();
    let mut rng = rand::thread_rng();
    let mut state = generations(&w);
    // Large enough that writing the file is a good part of each save, so kills often land
    // in the middle of one.
    let padding = "p".repeat(128 * 1024);
    // The harness has printed "test kill::save_loop_child ... " without a newline.
    println!();
    println!("saved {}", show(&state));
    // Bounded: the parent normally kills it long before.
    for _ in 0..5_000 {
        if state.len() < 3 {
            let generation = state.iter().max().map_or(1, |g| g + 1);
            state.insert(generation);
            println!("next {}", show(&state));
            let credential = NewCredential {
                format: CredentialFormat::DcSdJwt,
                credential: json!(padding),
                issuer: "https://issuer.example".into(),
                types: vec!["t".into()],
                claims: json!({ "generation": generation }),
                holder_key: None,
            };
            w.store_credential(credential, &mut rng, now()).unwrap();
        } else {
            let oldest = state.pop_first().unwrap();
            println!("next {}", show(&state));
            let id = w
                .credentials()
                .iter()
                .find(|c| c.claims["generation"] == oldest)
                .unwrap()
                .id
                .clone();
            w.remove_credential(&id).unwrap();
        }
        println!("saved {}", show(&state));
    }
}

#[test]
fn sigkill_during_saves_leaves_the_old_or_the_new_vault() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    new_wallet(&path).lock();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::thread_rng();
    let mut total_saves = 0usize;
    let mut interrupted_in_flight = 0usize;
    for round in 0..30 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "kill::save_loop_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Read the child's lines as they come; kill it at a random moment after it has
        // opened the vault and started saving (so every round kills a save loop, however
        // slow the machine).
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|e| panic!("round {round}: the child never started saving: {e}"));
            let started = line.starts_with("saved ");
            lines.push(line);
            if started {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..60)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        let out = lines.join("\n");

        let mut saved: Option<BTreeSet<u64>> = None;
        let mut in_flight: Option<BTreeSet<u64>> = None;
        for line in out.lines() {
            if let Some(rest) = line.strip_prefix("saved ") {
                saved = Some(parse(rest));
                in_flight = None;
                total_saves += 1;
            } else if let Some(rest) = line.strip_prefix("next ") {
                in_flight = Some(parse(rest));
            }
        }

        let w = Wallet::open(&path, &pass(PASS), &TEST_CONFIG)
            .unwrap_or_else(|e| panic!("round {round}: vault does not open after SIGKILL: {e:?}"));
        let now_state = generations(&w);
        drop(w);
        match (&saved, &in_flight) {
            // Killed before the child even opened the vault: nothing may have changed, and
            // the state is whatever the previous round left.
            (None, _) => {}
            (Some(saved), None) => assert_eq!(&now_state, saved, "round {round}"),
            (Some(saved), Some(next)) => {
                assert!(
                    &now_state == saved || &now_state == next,
                    "round {round}: vault holds {now_state:?}, neither old {saved:?} nor new {next:?}"
                );
                interrupted_in_flight += 1;
            }
        }
        // No temporary file survives the next open.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
    // The test is only meaningful if the kills really landed among saves. Nearly all of the
    // child's loop is spent between `next` and `saved`, so over 30 rounds this holds unless
    // the kills never reach a save at all.
    assert!(total_saves >= 30, "only {total_saves} saves happened");
    assert!(interrupted_in_flight > 0, "no kill landed during a save");
}
