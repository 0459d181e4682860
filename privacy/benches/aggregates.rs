//! A differentially private count and mean, grouped, over 1,000,000 rows, against the same
//! aggregates computed without privacy on the same values.
//!
//! Groups (read by `scripts/bench`):
//! - `dp/{count,mean}_by_region`: plan (policy, shape), calibrate the OpenDP measurement, and
//!   release: what the service does per query minus the durable budget debit.
//! - `plain/{count,mean}_by_region`: a straightforward group-by over the same column vectors.
//! - `dp_parts/partition`: filter, per-person contribution bounding and grouping alone (the
//!   part of the DP path the plain aggregate does not do).

// Benchmarks build fixtures that are known to be valid: a failure is a broken fixture and
// should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group};
use privacy::mechanism::{Prepared, partition};
use privacy::policy::{Policy, Subject};
use privacy::query::{QueryRequest, plan};
use privacy::schema::{Dataset, MAX_ROWS, Schema, SchemaDoc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const REGIONS: [&str; 5] = ["north", "south", "east", "west", "central"];
const ROWS: usize = MAX_ROWS; // 1,000,000

struct Data {
    dataset: Dataset,
    region: Vec<u16>,
    systolic: Vec<i64>,
}

fn data() -> Data {
    let doc: SchemaDoc = serde_json::from_value(serde_json::json!({
        "max_rows_per_person": 3,
        "columns": [
            {"name": "person", "tag": "identifier", "type": "text"},
            {"name": "region", "tag": "quasi_identifier", "type": "categorical",
             "categories": REGIONS},
            {"name": "systolic_bp", "tag": "phi", "type": "numeric", "bounds": [80, 220]}
        ]
    }))
    .unwrap();
    let schema = Schema::validate(doc).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut csv = String::with_capacity(ROWS * 24);
    csv.push_str("person,region,systolic_bp\n");
    let (mut region, mut systolic) = (Vec::with_capacity(ROWS), Vec::with_capacity(ROWS));
    for row in 0..ROWS {
        // Two rows per person: contribution bounding (3 per person) keeps every row, so the
        // private and plain aggregates see the same data.
        let r: u16 = rng.gen_range(0..5);
        let bp: i64 = rng.gen_range(90..=200);
        writeln!(csv, "p{},{},{bp}", row / 2, REGIONS[usize::from(r)]).unwrap();
        region.push(r);
        systolic.push(bp);
    }
    let dataset = Dataset::from_csv(schema, csv.as_bytes()).unwrap();
    assert_eq!(dataset.rows(), ROWS);
    Data {
        dataset,
        region,
        systolic,
    }
}

fn request(kind: &str) -> QueryRequest {
    QueryRequest {
        kind: kind.into(),
        column: (kind == "mean").then(|| "systolic_bp".into()),
        epsilon: 1.0,
        delta: None,
        filters: Vec::new(),
        group_by: vec!["region".into()],
        quantile: None,
        candidates: None,
    }
}

fn aggregates(c: &mut Criterion) {
    let d = data();
    let policy: Policy = serde_json::from_value(serde_json::json!({"rules": [
        {"effect": "allow", "subjects": ["*"], "resources": ["*"], "actions": ["query"]}
    ]}))
    .unwrap();
    let subject = Subject {
        analyst: "bench",
        team: "bench",
    };
    let dp = |kind: &str| {
        let p = plan(
            &request(kind),
            d.dataset.schema(),
            &policy,
            subject,
            "bench",
        )
        .unwrap();
        let prepared = Prepared::new(&p).unwrap();
        prepared.release(&p, &d.dataset).unwrap()
    };
    assert_eq!(dp("count").len(), REGIONS.len());

    let mut g = c.benchmark_group("dp");
    // Slow iterations: the same count per sample rather than 1, 2, ... 10.
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("count_by_region", |b| b.iter(|| dp(black_box("count"))));
    g.bench_function("mean_by_region", |b| b.iter(|| dp(black_box("mean"))));
    g.finish();

    let mut g = c.benchmark_group("plain");
    // Slow iterations: the same count per sample rather than 1, 2, ... 10.
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("count_by_region", |b| {
        b.iter(|| {
            let mut counts = [0u64; REGIONS.len()];
            for &r in black_box(&d.region) {
                counts[usize::from(r)] += 1;
            }
            counts
        })
    });
    g.bench_function("mean_by_region", |b| {
        b.iter(|| {
            let (mut sums, mut counts) = ([0i64; REGIONS.len()], [0u64; REGIONS.len()]);
            for (&r, &v) in black_box(&d.region).iter().zip(black_box(&d.systolic)) {
                sums[usize::from(r)] += v.clamp(80, 220);
                counts[usize::from(r)] += 1;
            }
            let mut means = [0f64; REGIONS.len()];
            for i in 0..REGIONS.len() {
                means[i] = sums[i] as f64 / counts[i].max(1) as f64;
            }
            means
        })
    });
    g.finish();

    let p = plan(
        &request("count"),
        d.dataset.schema(),
        &policy,
        subject,
        "bench",
    )
    .unwrap();
    let mut g = c.benchmark_group("dp_parts");
    // Slow iterations: the same count per sample rather than 1, 2, ... 10.
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("partition", |b| {
        b.iter(|| partition(black_box(&p), &d.dataset))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = aggregates
}

/// `criterion_main!`, then the process's peak resident memory (`VmHWM`, the 1M-row dataset
/// loaded as the service loads it) to `BENCH_OUT` when set.
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if let Ok(path) = std::env::var("BENCH_OUT") {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let hwm = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .map(|v| v.trim().trim_end_matches(" kB").trim().to_owned())
            .unwrap();
        std::fs::write(path, hwm).unwrap();
    }
}
