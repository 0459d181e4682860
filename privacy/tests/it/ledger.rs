//! Budget ledger: caps never exceeded (property), concurrency, crash durability, and invalid
//! epsilons.

use std::sync::{Arc, Barrier};

use privacy::budget::{BudgetEpsilon, EpsilonError, QueryEpsilon, Units};
use privacy::error::{BudgetScope, Error, Refusal};
use privacy::policy::Subject;
use privacy::query::{QueryRequest, plan};
use privacy::schema::Schema;
use privacy::store::{DatasetRecord, Store};
use proptest::prelude::*;

use crate::common::{ADMIN, call_blocking, service_with, start_binary, test_policy, visits_schema};

fn record(name: &str) -> DatasetRecord {
    DatasetRecord {
        name: name.into(),
        schema: visits_schema(1),
        csv_sha256: String::new(),
        rows: 0,
        registered_at: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Whatever the sequence of requested epsilons (valid or not), the accepted charges never
    /// exceed an analyst's budget or the dataset's cap, the ledger's counters equal the sum of
    /// accepted charges, and a refusal changes nothing.
    #[test]
    fn accepted_spend_never_exceeds_the_caps(
        budgets in proptest::collection::vec(0.0f64..4.0, 2),
        cap in 0.0f64..6.0,
        ops in proptest::collection::vec(
            (0usize..2, prop_oneof![
                0.0f64..2.5,
                Just(f64::NAN), Just(f64::INFINITY), Just(0.0), Just(-1.0), Just(1e-310),
                Just(1e-6), Just(1e-9)
            ]),
            1..14,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        store.register_dataset(&record("d"), BudgetEpsilon::new(cap).unwrap()).unwrap();
        let names = ["a", "b"];
        for (name, budget) in names.iter().zip(&budgets) {
            store.create_analyst(name, "t").unwrap();
            store.set_budget(name, "d", BudgetEpsilon::new(*budget).unwrap()).unwrap();
        }
        let mut accepted = [0u64; 2];
        let q = serde_json::json!({});
        for (who, eps) in ops {
            let Ok(eps) = QueryEpsilon::new(eps) else { continue };
            let before = store.releases(None).unwrap().len();
            match store.debit(names[who], "d", eps.charge(), &q, 0) {
                Ok(_) => accepted[who] += eps.charge().0,
                Err(Error::BudgetExhausted(_)) => {
                    prop_assert_eq!(store.releases(None).unwrap().len(), before);
                }
                Err(e) => panic!("{e}"),
            }
            for (i, name) in names.iter().enumerate() {
                prop_assert!(accepted[i] <= BudgetEpsilon::new(budgets[i]).unwrap().cap().0);
                let s = store.budget(name, "d").unwrap();
                prop_assert_eq!(s.analyst_spent, Units(accepted[i]).epsilon());
            }
            prop_assert!(accepted[0] + accepted[1] <= BudgetEpsilon::new(cap).unwrap().cap().0);
        }
    }
}

#[test]
fn concurrent_queries_where_only_k_fit_give_exactly_k_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (service, alice, _) = service_with(dir.path(), 5.0, 100.0);
    let service = Arc::new(service);
    let n = 16;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (service, alice, barrier) = (service.clone(), alice.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                service.query(
                    &alice,
                    "visits",
                    &serde_json::json!({"kind": "count", "epsilon": 1.0}),
                )
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let answered = results.iter().filter(|r| r.is_ok()).count();
    let exhausted = results
        .iter()
        .filter(|r| matches!(r, Err(Error::BudgetExhausted(BudgetScope::Analyst))))
        .count();
    assert_eq!(answered, 5);
    assert_eq!(exhausted, n - 5);
    let status = service.store().budget("alice", "visits").unwrap();
    assert_eq!(status.analyst_spent, 5.0);
    assert_eq!(status.analyst_remaining, 0.0);
    assert_eq!(service.store().releases(Some("visits")).unwrap().len(), 5);
    // release ids are distinct
    let mut ids: Vec<u64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|a| a.release_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

#[test]
fn dataset_cap_binds_across_analysts() {
    let dir = tempfile::tempdir().unwrap();
    let (service, alice, _) = service_with(dir.path(), 10.0, 3.0);
    service.store().create_analyst("bob", "health").unwrap();
    service
        .store()
        .set_budget("bob", "visits", BudgetEpsilon::new(10.0).unwrap())
        .unwrap();
    let bob = service.store().analyst("bob").unwrap().unwrap();
    let q = serde_json::json!({"kind": "count", "epsilon": 1.0});
    service.query(&alice, "visits", &q).unwrap();
    service.query(&bob, "visits", &q).unwrap();
    service.query(&alice, "visits", &q).unwrap();
    assert!(matches!(
        service.query(&bob, "visits", &q),
        Err(Error::BudgetExhausted(BudgetScope::Dataset))
    ));
    // a repeated identical query was charged each time
    assert_eq!(
        service
            .store()
            .budget("alice", "visits")
            .unwrap()
            .analyst_spent,
        2.0
    );
}

#[test]
fn nan_infinite_zero_negative_and_subnormal_epsilons_are_refused() {
    let schema = Schema::validate(visits_schema(1)).unwrap();
    let policy = test_policy();
    let subject = Subject {
        analyst: "alice",
        team: "health",
    };
    let cases = [
        (f64::NAN, EpsilonError::NaN),
        (f64::INFINITY, EpsilonError::Infinite),
        (f64::NEG_INFINITY, EpsilonError::Infinite),
        (0.0, EpsilonError::NotPositive),
        (-0.0, EpsilonError::NotPositive),
        (-1.0, EpsilonError::NotPositive),
        (1e-310, EpsilonError::TooSmall),
        (f64::from_bits(1), EpsilonError::TooSmall),
        (5e-7, EpsilonError::TooSmall),
        (1e3, EpsilonError::TooLarge),
    ];
    for (eps, expected) in cases {
        let request = QueryRequest {
            kind: "count".into(),
            column: None,
            epsilon: eps,
            delta: None,
            filters: vec![],
            group_by: vec![],
            quantile: None,
            candidates: None,
        };
        assert_eq!(
            plan(&request, &schema, &policy, subject, "visits").unwrap_err(),
            Refusal::Epsilon(expected),
            "{eps}"
        );
    }

    // through the service (JSON carries the finite ones): refused, nothing spent
    let dir = tempfile::tempdir().unwrap();
    let (service, alice, _) = service_with(dir.path(), 5.0, 10.0);
    for eps in [
        serde_json::json!(0.0),
        serde_json::json!(-1.0),
        serde_json::json!(1e-310),
        serde_json::json!(f64::NAN), // serialises as null
        serde_json::json!("NaN"),
    ] {
        let r = service.query(
            &alice,
            "visits",
            &serde_json::json!({"kind": "count", "epsilon": eps}),
        );
        assert!(
            matches!(
                r,
                Err(Error::Refused(Refusal::Epsilon(_))) | Err(Error::InvalidJson(_))
            ),
            "{eps}: {r:?}"
        );
    }
    assert_eq!(
        service
            .store()
            .budget("alice", "visits")
            .unwrap()
            .analyst_spent,
        0.0
    );
    assert!(service.store().releases(None).unwrap().is_empty());
}

#[test]
fn a_process_killed_between_debit_and_answer_keeps_the_debit() {
    let dir = tempfile::tempdir().unwrap();
    let token = {
        let (_, _, token) = service_with(dir.path(), 10.0, 10.0);
        token
    };
    let q = serde_json::json!({"kind": "sum", "column": "lab", "epsilon": 0.75});
    for round in 1..=3u32 {
        let (mut child, base) =
            start_binary(dir.path(), &[("PRIVACY_TEST_CRASH_AFTER_DEBIT", "1")], None);
        let r = call_blocking(
            &base,
            "POST",
            "/datasets/visits/queries",
            Some(&token),
            Some(&q),
        );
        assert!(r.is_err(), "no answer may be released: {r:?}");
        let status = child.wait().unwrap();
        assert!(!status.success(), "the hook aborts the process");

        let (mut child, base) = start_binary(dir.path(), &[], None);
        let (code, budget) =
            call_blocking(&base, "GET", "/datasets/visits/budget", Some(&token), None).unwrap();
        assert_eq!(code, 200);
        assert_eq!(budget["analyst_spent"], f64::from(round) * 0.75, "{budget}");
        let (code, releases) =
            call_blocking(&base, "GET", "/admin/releases", Some(ADMIN), None).unwrap();
        assert_eq!(code, 200);
        assert_eq!(
            releases["releases"].as_array().unwrap().len(),
            round as usize
        );
        assert_eq!(releases["releases"][0]["query"], q);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// kill -9 at an arbitrary point of a stream of queries, repeatedly: the store reopens, every
/// acknowledged answer is in the release log, and the spend equals the logged charges.
#[test]
fn the_ledger_survives_kill_9_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let token = {
        let (_, _, token) = service_with(dir.path(), 100.0, 100.0);
        token
    };
    let q = serde_json::json!({"kind": "count", "epsilon": 0.25, "group_by": ["sex"]});
    let mut acknowledged = 0usize;
    for _ in 0..3 {
        let (mut child, base) = start_binary(dir.path(), &[], None);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients: Vec<_> = (0..3)
            .map(|_| {
                let (base, token, q, stop) = (base.clone(), token.clone(), q.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut ok = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        match call_blocking(
                            &base,
                            "POST",
                            "/datasets/visits/queries",
                            Some(&token),
                            Some(&q),
                        ) {
                            Ok((200, _)) => ok += 1,
                            Ok((code, body)) => panic!("{code}: {body}"),
                            Err(_) => break, // the server is gone
                        }
                    }
                    ok
                })
            })
            .collect();
        // let some queries through, then kill without warning while others are in flight
        let mut enough = false;
        for _ in 0..2000 {
            let (_, releases) =
                call_blocking(&base, "GET", "/admin/releases", Some(ADMIN), None).unwrap();
            if releases["releases"].as_array().unwrap().len() >= acknowledged + 4 {
                enough = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(enough, "queries did not go through");
        child.kill().unwrap();
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for c in clients {
            acknowledged += c.join().unwrap();
        }

        let store = Store::open(&dir.path().join("privacy.redb")).unwrap();
        let releases = store.releases(Some("visits")).unwrap();
        assert!(
            releases.len() >= acknowledged,
            "{} < {acknowledged}",
            releases.len()
        );
        let charged: u64 = releases.iter().map(|r| r.charge_units.0).sum();
        let status = store.budget("alice", "visits").unwrap();
        assert_eq!(status.analyst_spent, Units(charged).epsilon());
        assert_eq!(status.dataset_spent, Units(charged).epsilon());
        acknowledged = releases.len();
    }
}

#[test]
fn each_release_is_recorded_with_who_what_cost_and_the_injected_time() {
    let dir = tempfile::tempdir().unwrap();
    {
        let _ = service_with(dir.path(), 5.0, 10.0);
    }
    let options = privacy::ServiceOptions::default().with_clock(Arc::new(|| 1_767_225_600));
    let service = privacy::Service::open_with(dir.path(), options).unwrap();
    let alice = service.store().analyst("alice").unwrap().unwrap();
    let q = serde_json::json!({"kind": "histogram", "column": "diagnosis", "epsilon": 0.3});
    let answer = service.query(&alice, "visits", &q).unwrap();
    assert_eq!(answer.results.len(), 3);
    let releases = service.store().releases(None).unwrap();
    assert_eq!(releases.len(), 1);
    let r = &releases[0];
    assert_eq!(
        (r.id, r.analyst.as_str(), r.dataset.as_str()),
        (answer.release_id, "alice", "visits")
    );
    assert_eq!(r.query, q);
    assert_eq!(r.charge_units, Units(300_000_000));
    assert_eq!(r.at, 1_767_225_600);
}
