//! Statistical tests of the mechanisms, each paired with a negative control that must fail
//! the same check. OpenDP's sampler cannot be seeded, so bounds are fixed and generous:
//! 5-sigma bands (two-sided false-failure rate below 1e-6 per check).

use privacy::mechanism::{Cell, Prepared, calibrate, count_measurement, sum_measurement};
use privacy::policy::Subject;
use privacy::query::{Plan, QueryRequest, plan};
use privacy::schema::Dataset;

use crate::common::{test_policy, visits_csv, visits_dataset};

const Z: f64 = 5.0;

/// Moments of the discrete Laplace distribution with scale `t` (P(x) ~ exp(-|x|/t)).
struct DiscreteLaplace {
    var: f64,
    mean_abs: f64,
    var_abs: f64,
}

fn discrete_laplace(t: f64) -> DiscreteLaplace {
    let a = 1.0 / t;
    let q = (-a).exp();
    let var = 2.0 * q / (1.0 - q).powi(2);
    let mean_abs = 1.0 / a.sinh();
    DiscreteLaplace {
        var,
        mean_abs,
        var_abs: var - mean_abs * mean_abs,
    }
}

/// Two-sided calibration check: mean error ~ 0 and mean absolute error ~ E|X|, each within a
/// 5-sigma band. Returns a description of the first failure.
fn calibration_check(errors: &[f64], claimed_scale: f64) -> Result<(), String> {
    let n = errors.len() as f64;
    let d = discrete_laplace(claimed_scale);
    let mean = errors.iter().sum::<f64>() / n;
    let mae = errors.iter().map(|e| e.abs()).sum::<f64>() / n;
    let mean_band = Z * (d.var / n).sqrt();
    let mae_band = Z * (d.var_abs / n).sqrt();
    if mean.abs() > mean_band {
        return Err(format!("mean error {mean} outside +-{mean_band}"));
    }
    if (mae - d.mean_abs).abs() > mae_band {
        return Err(format!(
            "mean absolute error {mae} not within {} +- {mae_band}",
            d.mean_abs
        ));
    }
    Ok(())
}

fn errors_of(n: usize, truth: i64, mut sample: impl FnMut() -> i64) -> Vec<f64> {
    (0..n).map(|_| (sample() - truth) as f64).collect()
}

#[test]
fn count_noise_is_calibrated_and_under_noise_is_caught() {
    // person-level: k = 2 rows per person, eps = 1 => scale 2
    let (m, scale) = calibrate(count_measurement, 2, 1.0).unwrap();
    assert!((scale - 2.0).abs() < 1e-6, "{scale}");
    let data = vec![0i64; 40];
    let errors = errors_of(20_000, 40, || m.invoke(&data).unwrap());
    calibration_check(&errors, scale).unwrap();

    // negative control 1: 10% too little noise, checked against the claimed scale
    let weak = count_measurement(scale * 0.9).unwrap();
    let errors = errors_of(20_000, 40, || weak.invoke(&data).unwrap());
    assert!(calibration_check(&errors, scale).is_err());

    // negative control 2: no noise at all (a one-sided "error is small" test would pass it)
    let exact = count_measurement(0.0).unwrap();
    let errors = errors_of(1_000, 40, || exact.invoke(&data).unwrap());
    assert!(calibration_check(&errors, scale).is_err());

    // negative control 3: biased by one
    let errors = errors_of(20_000, 40, || m.invoke(&data).unwrap() + 1);
    assert!(calibration_check(&errors, scale).is_err());
}

#[test]
fn sum_noise_is_calibrated_with_clamping_and_under_noise_is_caught() {
    // bounds [0, 10], k = 2, eps = 1 => sensitivity 20 => scale 20
    let (m, scale) = calibrate(|s| sum_measurement((0, 10), s), 2, 1.0).unwrap();
    assert!((scale - 20.0).abs() < 1e-5, "{scale}");
    // values outside the bounds are clamped: true clamped sum = 3*10 + 0 + 5 = 35
    let data = vec![50i64, 10, 11, -7, 5];
    let errors = errors_of(20_000, 35, || m.invoke(&data).unwrap());
    calibration_check(&errors, scale).unwrap();

    let weak = sum_measurement((0, 10), scale * 0.9).unwrap();
    let errors = errors_of(20_000, 35, || weak.invoke(&data).unwrap());
    assert!(calibration_check(&errors, scale).is_err());

    // negative control: no clamping (true unclamped sum 69 would be the centre)
    let errors = errors_of(20_000, 35, || m.invoke(&data).unwrap() + 34);
    assert!(calibration_check(&errors, scale).is_err());
}

/// Lower confidence bound (z = 5) of ln(P[S | D'] / P[S | D]).
fn log_ratio_lower_bound(hits_d_prime: usize, hits_d: usize, n: usize) -> f64 {
    let n = n as f64;
    let p1 = hits_d_prime as f64 / n;
    let p0 = hits_d as f64 / n;
    let lo1 = p1 - Z * (p1 * (1.0 - p1) / n).sqrt();
    let hi0 = p0 + Z * (p0 * (1.0 - p0) / n).sqrt();
    (lo1.max(1e-12) / hi0.max(1e-12)).ln()
}

/// Runs `n` releases on D and on D' (one thread each: measurements are `!Send`, so each thread
/// builds its own) and returns the lower bound of the log probability ratio of `event`.
fn audit(
    p: &Plan,
    make: impl Fn() -> Prepared + Sync,
    d: &Dataset,
    d_prime: &Dataset,
    n: usize,
    event: impl Fn(&[Cell]) -> bool + Sync,
) -> f64 {
    let count = |data: &Dataset| {
        let prepared = make();
        (0..n)
            .filter(|_| event(&prepared.release(p, data).unwrap()))
            .count()
    };
    let (hits_d, hits_d_prime) = std::thread::scope(|s| {
        let a = s.spawn(|| count(d));
        let b = s.spawn(|| count(d_prime));
        (a.join().unwrap(), b.join().unwrap())
    });
    let lower = log_ratio_lower_bound(hits_d_prime, hits_d, n);
    eprintln!(
        "audit: P[S|D'] = {hits_d_prime}/{n}, P[S|D] = {hits_d}/{n}, ln-ratio lower bound {lower:.3}"
    );
    lower
}

fn alice() -> Subject<'static> {
    Subject {
        analyst: "alice",
        team: "health",
    }
}

/// Neighbour audit through the service's release path (filter, contribution bounding,
/// calibrated OpenDP measurement): D' adds one person with 5 rows to D; with
/// `max_rows_per_person = 3` the count moves by 3, and the event S = {count >= c + 3} has a
/// probability ratio of exactly e^eps for a correctly calibrated mechanism.
#[test]
fn neighbouring_datasets_audit_stays_below_claimed_epsilon() {
    const N: usize = 60_000;
    let base = visits_csv(30, 2); // 30 persons x 2 rows: count 60
    let mut extra = base.clone();
    for r in 0..5 {
        extra.push_str(&format!("zz,Extra Person,40,F,2023,A,5.{r},1,10.00\n"));
    }
    let d = visits_dataset(3, &base);
    let d_prime = visits_dataset(3, &extra);
    let request: QueryRequest =
        serde_json::from_value(serde_json::json!({"kind": "count", "epsilon": 1.0})).unwrap();
    let p = plan(&request, d.schema(), &test_policy(), alice(), "visits").unwrap();
    let Prepared::Count(_, scale) = Prepared::new(&p).unwrap() else {
        panic!("count plan")
    };
    assert!((scale - 3.0).abs() < 1e-6);

    let event = |cells: &[Cell]| cells[0].value >= 63.0;
    let lower = audit(&p, || Prepared::new(&p).unwrap(), &d, &d_prime, N, event);
    assert!(
        lower <= 1.0,
        "estimated epsilon lower bound {lower} exceeds the claimed 1.0"
    );
    assert!(
        lower > 0.8,
        "the audit should be tight: lower bound {lower}"
    );

    // negative control: 10% too little noise must be caught by the same audit
    let weak = || Prepared::Count(count_measurement(scale * 0.9).unwrap(), scale * 0.9);
    let lower = audit(&p, weak, &d, &d_prime, N, event);
    assert!(
        lower > 1.0,
        "under-noised mechanism not caught: lower bound {lower}"
    );
}

/// Grouped queries: the added person's 3 bounded rows fall into two cells (2 in year 2023,
/// 1 in 2024). The joint event {cell_2023 >= c + 2 and cell_2024 >= c + 1} has ratio e^eps
/// when the cells together are charged for the person's k = 3 rows; a mechanism calibrated
/// as if the person touched only 2 rows is caught.
#[test]
fn grouped_query_audit_accounts_for_a_person_spanning_cells() {
    const N: usize = 30_000;
    let base = visits_csv(30, 2); // per year: 30 rows
    let mut extra = base.clone();
    for year in ["2023", "2023", "2024", "2024"] {
        extra.push_str(&format!("zz,Extra Person,40,F,{year},A,5.0,1,10.00\n"));
    }
    let d = visits_dataset(3, &base);
    let d_prime = visits_dataset(3, &extra);
    let request: QueryRequest = serde_json::from_value(
        serde_json::json!({"kind": "count", "epsilon": 1.0, "group_by": ["year"]}),
    )
    .unwrap();
    let p = plan(&request, d.schema(), &test_policy(), alice(), "visits").unwrap();
    let event = |cells: &[Cell]| cells[0].value >= 32.0 && cells[1].value >= 31.0;
    let lower = audit(&p, || Prepared::new(&p).unwrap(), &d, &d_prime, N, event);
    assert!(
        lower <= 1.0,
        "estimated epsilon lower bound {lower} exceeds the claimed 1.0"
    );
    assert!(
        lower > 0.75,
        "the audit should be tight: lower bound {lower}"
    );

    let weak = || Prepared::Count(count_measurement(2.0).unwrap(), 2.0);
    let lower = audit(&p, weak, &d, &d_prime, N, event);
    assert!(
        lower > 1.0,
        "per-cell under-accounting not caught: lower bound {lower}"
    );
}

/// Fraction of releases whose reported 95% interval contains the true (bounded) value.
fn coverage(request: serde_json::Value, truth: f64, n: usize, shrink: f64) -> f64 {
    let d = visits_dataset(2, &visits_csv(20, 3));
    let request: QueryRequest = serde_json::from_value(request).unwrap();
    let p = plan(&request, d.schema(), &test_policy(), alice(), "visits").unwrap();
    let prepared = Prepared::new(&p).unwrap();
    let covered = (0..n)
        .filter(|_| {
            let cell = &prepared.release(&p, &d).unwrap()[0];
            let [lo, hi] = cell.interval.unwrap();
            let mid = (lo + hi) / 2.0;
            let half = (hi - lo) / 2.0 * shrink;
            (mid - half..=mid + half).contains(&truth)
        })
        .count();
    covered as f64 / n as f64
}

/// The reported 95% intervals cover the truth at least 95% of the time (lower bound 0.93:
/// about 6 sigma below 0.95 with 4000 draws); intervals half as wide must fail the same check.
#[test]
fn reported_intervals_cover_the_truth() {
    const N: usize = 4_000;
    // 20 persons x 3 rows bounded to 2 => 40 rows
    let count = serde_json::json!({"kind": "count", "epsilon": 0.5});
    assert!(coverage(count.clone(), 40.0, N, 1.0) >= 0.93);
    assert!(coverage(count, 40.0, N, 0.5) < 0.93);
    // lab = p % 10 + r/10 for rows r = 0, 1: sum over persons p < 20 = 2*90 + 20*0.1 = 182
    let sum = serde_json::json!({"kind": "sum", "column": "lab", "epsilon": 0.5});
    assert!(coverage(sum.clone(), 182.0, N, 1.0) >= 0.93);
    assert!(coverage(sum, 182.0, N, 0.5) < 0.93);
    let mean = serde_json::json!({"kind": "mean", "column": "lab", "epsilon": 2.0});
    assert!(coverage(mean, 182.0 / 40.0, N, 1.0) >= 0.93);
}
