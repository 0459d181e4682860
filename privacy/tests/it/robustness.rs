//! Parsers of untrusted input never panic: CSV ingestion and query planning, on arbitrary and
//! on mutated valid inputs (the harness bodies a fuzzer would run).

use privacy::mechanism::Prepared;
use privacy::policy::Subject;
use privacy::query::{Aggregate, Plan, QueryRequest, plan};
use privacy::schema::{Dataset, Schema};
use proptest::prelude::*;

use crate::common::{test_policy, visits_csv, visits_schema};

fn ingest(bytes: &[u8]) {
    let schema = Schema::validate(visits_schema(2)).unwrap();
    if let Err(e) = Dataset::from_csv(schema, bytes) {
        assert!(e.line >= 1);
    }
}

fn plan_json(value: serde_json::Value) {
    let schema = Schema::validate(visits_schema(2)).unwrap();
    if let Ok(request) = serde_json::from_value::<QueryRequest>(value) {
        let subject = Subject {
            analyst: "alice",
            team: "health",
        };
        if let Ok(p) = plan(&request, &schema, &test_policy(), subject, "visits") {
            // calibration and release must not panic either
            if let Ok(prepared) = Prepared::new(&p) {
                let data = Dataset::from_csv(schema, visits_csv(3, 2).as_bytes()).unwrap();
                let cells = prepared.release(&p, &data).unwrap();
                assert_eq!(cells.len(), p.group_count() * histogram_bins(&p));
            }
        }
    }
}

fn histogram_bins(p: &Plan) -> usize {
    match &p.aggregate {
        Aggregate::Histogram { categories, .. } => categories.len(),
        _ => 1,
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        prop_oneof![
            Just("count"),
            Just("sum"),
            Just("mean"),
            Just("histogram"),
            Just("quantile"),
            Just("rows"),
            Just("lab"),
            Just("sex"),
            Just("pid"),
            Just("F"),
            Just("A"),
        ]
        .prop_map(serde_json::Value::from),
        "[a-z_]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("kind"),
                        Just("column"),
                        Just("epsilon"),
                        Just("delta"),
                        Just("filters"),
                        Just("group_by"),
                        Just("quantile"),
                        Just("candidates"),
                        Just("in"),
                        Just("between"),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| {
                serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn csv_ingestion_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        ingest(&bytes);
    }

    #[test]
    fn csv_ingestion_never_panics_on_mutated_csv(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = visits_csv(4, 2).into_bytes();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        ingest(&bytes);
    }

    #[test]
    fn query_planning_never_panics(value in json_value()) {
        plan_json(value);
    }

    #[test]
    fn query_planning_never_panics_on_near_valid_requests(
        kind in prop_oneof![Just("count"), Just("sum"), Just("mean"), Just("histogram"), Just("quantile")],
        column in prop_oneof![Just("lab"), Just("age"), Just("sex"), Just("diagnosis"), Just("raw_score")],
        epsilon in prop_oneof![any::<f64>(), 1e-6f64..100.0],
        quantile in prop_oneof![any::<f64>(), 0.0f64..=1.0, Just(0.0), Just(1.0)],
        candidates in proptest::collection::vec(prop_oneof![any::<f64>(), (0i64..100).prop_map(|v| v as f64 / 10.0)], 0..5),
        between in (prop_oneof![any::<f64>(), 0.0f64..50.0], prop_oneof![any::<f64>(), 50.0f64..130.0]),
    ) {
        plan_json(serde_json::json!({
            "kind": kind, "column": column, "epsilon": epsilon, "quantile": quantile,
            "candidates": candidates, "filters": [{"column": "age", "between": [between.0, between.1]}],
            "group_by": ["sex", "year"]
        }));
    }
}
