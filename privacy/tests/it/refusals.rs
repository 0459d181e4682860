//! Refusals: decided from the request, schema and policy only; they spend nothing and do not
//! depend on the data.

use privacy::error::{Error, Refusal};
use privacy::schema::Tag;

use crate::common::{service_with, test_policy, visits_csv, visits_schema};

fn refusal(r: privacy::Result<privacy::service::Answer>) -> Refusal {
    match r {
        Err(Error::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// (request, expected refusal) for analyst alice (team health).
fn refused_requests() -> Vec<(serde_json::Value, Refusal)> {
    use serde_json::json;
    vec![
        (json!({"kind": "rows", "epsilon": 1.0}), Refusal::RawRows),
        (
            json!({"kind": "SELECT", "epsilon": 1.0, "columns": ["name"]}),
            Refusal::RawRows,
        ),
        (json!({"kind": "export", "epsilon": 1.0}), Refusal::RawRows),
        (
            json!({"kind": "histogram", "column": "pid", "epsilon": 1.0}),
            Refusal::IdentifierColumn("pid".into()),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "group_by": ["pid"]}),
            Refusal::IdentifierColumn("pid".into()),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "filters": [{"column": "pid", "in": ["p1"]}]}),
            Refusal::IdentifierColumn("pid".into()),
        ),
        (
            json!({"kind": "sum", "column": "amount", "epsilon": 1.0}),
            Refusal::TagNotPermitted {
                column: "amount".into(),
                tag: Tag::Pci,
            },
        ),
        (
            json!({"kind": "histogram", "column": "name", "epsilon": 1.0}),
            Refusal::TagNotPermitted {
                column: "name".into(),
                tag: Tag::Pii,
            },
        ),
        (
            json!({"kind": "sum", "column": "salary", "epsilon": 1.0}),
            Refusal::UnknownColumn("salary".into()),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "group_by": ["nope"]}),
            Refusal::UnknownColumn("nope".into()),
        ),
        (
            json!({"kind": "sum", "column": "raw_score", "epsilon": 1.0}),
            Refusal::Unbounded("raw_score".into()),
        ),
        (
            json!({"kind": "mean", "column": "raw_score", "epsilon": 1.0}),
            Refusal::Unbounded("raw_score".into()),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "filters": [{"column": "diagnosis", "in": ["A"]}]}),
            Refusal::NotFilterable("diagnosis".into()),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "group_by": ["diagnosis"]}),
            Refusal::NotFilterable("diagnosis".into()),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "group_by": ["age"]}),
            Refusal::WrongColumnType {
                column: "age".into(),
                expected: "a categorical column with a public category set is required",
            },
        ),
        (
            json!({"kind": "histogram", "column": "lab", "epsilon": 1.0}),
            Refusal::WrongColumnType {
                column: "lab".into(),
                expected: "a categorical column with a public category set is required",
            },
        ),
        (
            json!({"kind": "quantile", "column": "lab", "epsilon": 1.0, "quantile": 0.5}),
            Refusal::InvalidQuantile("public `candidates` are required"),
        ),
        (
            json!({"kind": "count", "column": "lab", "epsilon": 1.0}),
            Refusal::Malformed("a count takes no column: it counts rows after filtering"),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "delta": 1e-6}),
            Refusal::DeltaNotApplicable,
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "delta": 2.0}),
            Refusal::InvalidDelta,
        ),
        (
            json!({"kind": "median_of_everything", "epsilon": 1.0}),
            Refusal::UnsupportedKind("median_of_everything".into()),
        ),
        (
            json!({"kind": "count", "epsilon": 1.0, "filters": [{"column": "sex", "in": ["Q"]}]}),
            Refusal::InvalidValue {
                column: "sex".into(),
                problem: "not in the public category set",
            },
        ),
    ]
}

#[test]
fn refused_queries_spend_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (service, alice, _) = service_with(dir.path(), 5.0, 10.0);
    for (request, expected) in refused_requests() {
        assert_eq!(
            refusal(service.query(&alice, "visits", &request)),
            expected,
            "{request}"
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
fn refusal_reasons_do_not_depend_on_the_data() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let (a, alice_a, _) = service_with(dir_a.path(), 5.0, 10.0);
    // same schema, different data
    let b = privacy::Service::open(dir_b.path()).unwrap();
    b.add_dataset(
        "visits",
        visits_schema(2),
        visits_csv(3, 1).as_bytes(),
        10.0,
    )
    .unwrap();
    b.store().set_policy(&test_policy()).unwrap();
    b.store().create_analyst("alice", "health").unwrap();
    let alice_b = b.store().analyst("alice").unwrap().unwrap();
    for (request, _) in refused_requests() {
        let ra = a.query(&alice_a, "visits", &request).unwrap_err();
        let rb = b.query(&alice_b, "visits", &request).unwrap_err();
        assert_eq!((ra.code(), ra.to_string()), (rb.code(), rb.to_string()));
    }
}

#[test]
fn analysts_without_access_cannot_tell_unknown_from_forbidden() {
    let dir = tempfile::tempdir().unwrap();
    let (service, _, _) = service_with(dir.path(), 5.0, 10.0);
    service
        .store()
        .create_analyst("mallory", "outsiders")
        .unwrap();
    let mallory = service.store().analyst("mallory").unwrap().unwrap();
    let q = serde_json::json!({"kind": "count", "epsilon": 1.0});
    let forbidden = service.query(&mallory, "visits", &q).unwrap_err();
    let unknown = service.query(&mallory, "no-such-dataset", &q).unwrap_err();
    assert_eq!(forbidden.to_string(), unknown.to_string());
    assert!(matches!(
        forbidden,
        Error::Refused(Refusal::DatasetNotPermitted)
    ));
}

#[test]
fn the_billing_team_may_sum_amounts_but_not_health_values() {
    let dir = tempfile::tempdir().unwrap();
    let (service, _, _) = service_with(dir.path(), 5.0, 10.0);
    service.store().create_analyst("bob", "billing").unwrap();
    service
        .store()
        .set_budget(
            "bob",
            "visits",
            privacy::budget::BudgetEpsilon::new(2.0).unwrap(),
        )
        .unwrap();
    let bob = service.store().analyst("bob").unwrap().unwrap();
    let ok = service
        .query(
            &bob,
            "visits",
            &serde_json::json!({"kind": "sum", "column": "amount", "epsilon": 1.0, "group_by": ["year"]}),
        )
        .unwrap();
    assert_eq!(ok.results.len(), 2);
    let denied = service.query(
        &bob,
        "visits",
        &serde_json::json!({"kind": "mean", "column": "lab", "epsilon": 1.0}),
    );
    assert_eq!(
        refusal(denied),
        Refusal::TagNotPermitted {
            column: "lab".into(),
            tag: Tag::Phi
        }
    );
    // a quasi-identifier filter is not in bob's tags either
    let denied = service.query(
        &bob,
        "visits",
        &serde_json::json!({"kind": "count", "epsilon": 1.0, "filters": [{"column": "sex", "in": ["F"]}]}),
    );
    assert_eq!(
        refusal(denied),
        Refusal::TagNotPermitted {
            column: "sex".into(),
            tag: Tag::QuasiIdentifier
        }
    );
}
