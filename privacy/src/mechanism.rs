//! OpenDP measurements: calibration (from public parameters only) and release.
//!
//! Every release runs as: filter on public columns -> **bound contributions to
//! `max_rows_per_person` rows per person** -> partition by public group keys -> an OpenDP
//! measurement per cell (clamp, sum/count/count-by-categories, discrete Laplace; or the private
//! quantile over public candidates).
//!
//! Person-level privacy: after bounding, removing or adding one person changes at most `k`
//! rows in total across all cells, so the measurements are calibrated for an input distance of
//! `k` under the symmetric distance. Cells are disjoint; every measurement used here has a
//! privacy map linear in the input distance (`eps(d) = d * eps(1)`), so the cells together cost
//! `sum_g eps(d_g) = eps(sum_g d_g) <= eps(k)`. Calibration checks both `map(k) <= eps` and
//! `k * map(1) <= eps`.
//!
//! Measurements are `!Send`: build and invoke them on one thread (the service does both inside
//! one `spawn_blocking` task).

use opendp::core::Measurement;
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::error::Fallible;
use opendp::measurements::{make_laplace, make_private_quantile};
use opendp::measures::MaxDivergence;
use opendp::metrics::{L1Distance, SymmetricDistance};
use opendp::transformations::{make_clamp, make_count, make_count_by_categories, make_sum};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::query::{Aggregate, Plan, PlannedFilter};
use crate::schema::{ColumnData, Dataset, unscale};

/// The input domain of every measurement: a vector of (scaled) integers.
pub type Input = VectorDomain<AtomDomain<i64>>;
/// A pure-DP measurement over [`Input`] under the symmetric distance.
pub type Meas<TO> = Measurement<Input, SymmetricDistance, MaxDivergence, TO>;

/// Confidence level of reported intervals.
pub const CONFIDENCE: f64 = 0.95;

fn opendp_err(e: opendp::error::Error) -> Error {
    Error::Mechanism(e.variant.to_string())
}

/// Count of rows plus discrete Laplace noise of the given scale.
pub fn count_measurement(scale: f64) -> Fallible<Meas<i64>> {
    let t = make_count::<i64, i64>(VectorDomain::new(AtomDomain::default()), SymmetricDistance)?;
    let m = make_laplace(
        t.output_domain.clone(),
        t.output_metric.clone(),
        scale,
        None,
    )?;
    t >> m
}

/// Clamp to `bounds`, sum, plus discrete Laplace noise of the given scale.
pub fn sum_measurement(bounds: (i64, i64), scale: f64) -> Fallible<Meas<i64>> {
    let clamp = make_clamp(
        VectorDomain::new(AtomDomain::<i64>::default()),
        SymmetricDistance,
        bounds,
    )?;
    let sum = make_sum(clamp.output_domain.clone(), clamp.output_metric.clone())?;
    let t = (clamp >> sum)?;
    let m = make_laplace(
        t.output_domain.clone(),
        t.output_metric.clone(),
        scale,
        None,
    )?;
    t >> m
}

/// Counts of category indices `0..categories` plus discrete Laplace noise on each.
pub fn histogram_measurement(categories: usize, scale: f64) -> Fallible<Meas<Vec<i64>>> {
    let keys: Vec<i64> = (0..categories as i64).collect();
    let t = make_count_by_categories::<L1Distance<i64>, i64, i64>(
        VectorDomain::new(AtomDomain::default()),
        SymmetricDistance,
        keys,
        false,
    )?;
    let m = make_laplace(
        t.output_domain.clone(),
        t.output_metric.clone(),
        scale,
        None,
    )?;
    t >> m
}

/// OpenDP's private quantile over public candidates.
pub fn quantile_measurement(candidates: Vec<i64>, alpha: f64, scale: f64) -> Fallible<Meas<i64>> {
    make_private_quantile(
        VectorDomain::new(AtomDomain::default()),
        SymmetricDistance,
        MaxDivergence,
        candidates,
        alpha,
        scale,
    )
}

/// Finds the smallest scale (up to 1e-6 relative) for which the measurement built by `build`
/// spends at most `epsilon` at input distance `k`, using only its privacy map (no data).
pub fn calibrate<TO>(
    build: impl Fn(f64) -> Fallible<Meas<TO>>,
    k: u32,
    epsilon: f64,
) -> Result<(Meas<TO>, f64)> {
    let probe = build(1.0).map_err(opendp_err)?;
    let at_scale_one = probe.map(&k).map_err(opendp_err)?;
    if !(at_scale_one.is_finite() && at_scale_one > 0.0) {
        return Err(Error::Mechanism("privacy map is not finite".into()));
    }
    let mut scale = at_scale_one / epsilon;
    let mut step = 1e-12;
    for _ in 0..16 {
        let m = build(scale).map_err(opendp_err)?;
        let at_k = m.map(&k).map_err(opendp_err)?;
        let at_one = m.map(&1).map_err(opendp_err)?;
        if at_k <= epsilon && at_one * f64::from(k) <= epsilon {
            return Ok((m, scale));
        }
        scale *= 1.0 + step;
        step *= 10.0;
    }
    Err(Error::Mechanism(
        "could not calibrate the noise scale".into(),
    ))
}

/// Half-width of the `1 - alpha` interval of discrete Laplace noise with this scale.
pub fn discrete_laplace_half_width(scale: f64, alpha: f64) -> f64 {
    opendp::accuracy::discrete_laplacian_scale_to_accuracy(scale, alpha)
        .unwrap_or(f64::INFINITY)
        .floor()
}

/// A calibrated mechanism, built from public parameters only.
pub enum Prepared {
    /// Count.
    Count(Meas<i64>, f64),
    /// Sum.
    Sum(Meas<i64>, f64),
    /// Mean: (sum, sum scale, count, count scale), each at half the epsilon.
    Mean(Meas<i64>, f64, Meas<i64>, f64),
    /// Histogram.
    Histogram(Meas<Vec<i64>>, f64),
    /// Quantile.
    Quantile(Meas<i64>),
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prepared")
    }
}

/// One output cell of an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// Group key values (empty without `group_by`; includes the bin for histograms).
    pub group: serde_json::Map<String, serde_json::Value>,
    /// The differentially private value.
    pub value: f64,
    /// Half-width of the 95% interval of the noise, when it has a closed form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub half_width: Option<f64>,
    /// 95% interval for the true (bounded, clamped) value, when available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
}

impl Prepared {
    /// Calibrates the plan's mechanism so that it spends at most the plan's epsilon.
    pub fn new(plan: &Plan) -> Result<Self> {
        let k = plan.max_rows_per_person;
        let eps = plan.epsilon.mechanism_epsilon();
        Ok(match &plan.aggregate {
            Aggregate::Count => {
                let (m, s) = calibrate(count_measurement, k, eps)?;
                Prepared::Count(m, s)
            }
            Aggregate::Sum { bounds, .. } => {
                let bounds = *bounds;
                let (m, s) = calibrate(|s| sum_measurement(bounds, s), k, eps)?;
                Prepared::Sum(m, s)
            }
            Aggregate::Mean { bounds, .. } => {
                let bounds = *bounds;
                let (ms, ss) = calibrate(|s| sum_measurement(bounds, s), k, eps / 2.0)?;
                let (mc, sc) = calibrate(count_measurement, k, eps / 2.0)?;
                Prepared::Mean(ms, ss, mc, sc)
            }
            Aggregate::Histogram { categories, .. } => {
                let n = categories.len();
                let (m, s) = calibrate(|s| histogram_measurement(n, s), k, eps)?;
                Prepared::Histogram(m, s)
            }
            Aggregate::Quantile {
                candidates, alpha, ..
            } => {
                let (c, a) = (candidates.clone(), *alpha);
                let (m, _) = calibrate(|s| quantile_measurement(c.clone(), a, s), k, eps)?;
                Prepared::Quantile(m)
            }
        })
    }

    /// Runs the mechanism on the data. **This spends privacy budget without recording it**:
    /// the service calls it only after the debit is committed.
    pub fn release(&self, plan: &Plan, dataset: &Dataset) -> Result<Vec<Cell>> {
        let cells = cell_inputs(plan, dataset);
        let mut out = Vec::new();
        for (group, data) in cells {
            match (self, &plan.aggregate) {
                (Prepared::Count(m, scale), _) => {
                    let v = m.invoke(&data).map_err(opendp_err)? as f64;
                    out.push(with_interval(
                        group,
                        v,
                        discrete_laplace_half_width(*scale, 0.05),
                    ));
                }
                (Prepared::Sum(m, scale), Aggregate::Sum { decimals, .. }) => {
                    let v = unscale(m.invoke(&data).map_err(opendp_err)? as f64, *decimals);
                    let hw = unscale(discrete_laplace_half_width(*scale, 0.05), *decimals);
                    out.push(with_interval(group, v, hw));
                }
                (
                    Prepared::Mean(ms, ss, mc, sc),
                    Aggregate::Mean {
                        bounds, decimals, ..
                    },
                ) => {
                    let s = ms.invoke(&data).map_err(opendp_err)? as f64;
                    let c = mc.invoke(&data).map_err(opendp_err)? as f64;
                    // each interval at 97.5% so that both hold together with >= 95%
                    let a_s = discrete_laplace_half_width(*ss, 0.025);
                    let a_c = discrete_laplace_half_width(*sc, 0.025);
                    let (lo, hi) = (bounds.0 as f64, bounds.1 as f64);
                    let value = if c >= 1.0 {
                        (s / c).clamp(lo, hi)
                    } else {
                        (lo + hi) / 2.0
                    };
                    let interval = if c - a_c >= 1.0 {
                        let candidates = [
                            (s - a_s) / (c + a_c),
                            (s - a_s) / (c - a_c),
                            (s + a_s) / (c + a_c),
                            (s + a_s) / (c - a_c),
                        ];
                        let min = candidates.iter().copied().fold(f64::INFINITY, f64::min);
                        let max = candidates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        [min.clamp(lo, hi), max.clamp(lo, hi)]
                    } else {
                        [lo, hi]
                    };
                    out.push(Cell {
                        group,
                        value: unscale(value, *decimals),
                        half_width: None,
                        interval: Some([
                            unscale(interval[0], *decimals),
                            unscale(interval[1], *decimals),
                        ]),
                    });
                }
                (Prepared::Histogram(m, scale), Aggregate::Histogram { column, categories }) => {
                    let counts = m.invoke(&data).map_err(opendp_err)?;
                    let name = dataset.schema().columns()[*column].name.clone();
                    let hw = discrete_laplace_half_width(*scale, 0.05);
                    for (category, count) in categories.iter().zip(counts) {
                        let mut g = group.clone();
                        g.insert(name.clone(), serde_json::Value::from(category.clone()));
                        out.push(with_interval(g, count as f64, hw));
                    }
                }
                (Prepared::Quantile(m), Aggregate::Quantile { decimals, .. }) => {
                    let v = m.invoke(&data).map_err(opendp_err)?;
                    out.push(Cell {
                        group,
                        value: unscale(v as f64, *decimals),
                        half_width: None,
                        interval: None,
                    });
                }
                _ => return Err(Error::Internal),
            }
        }
        Ok(out)
    }
}

fn with_interval(group: serde_json::Map<String, serde_json::Value>, value: f64, hw: f64) -> Cell {
    Cell {
        group,
        value,
        half_width: Some(hw),
        interval: Some([value - hw, value + hw]),
    }
}

/// A filter with its column resolved once per query.
enum RowFilter<'a> {
    OneOf(&'a [u16], &'a [bool]),
    Between(&'a [i64], i64, i64),
    /// The planned column is not of the filter's type: no row passes (as before).
    Never,
}

impl RowFilter<'_> {
    #[inline]
    fn pass(&self, row: usize) -> bool {
        match self {
            RowFilter::OneOf(v, keep) => keep[usize::from(v[row])],
            RowFilter::Between(v, lower, upper) => (*lower..=*upper).contains(&v[row]),
            RowFilter::Never => false,
        }
    }
}

/// A per-person row counter: `u8` when the bound fits (always, with schema bounds 1..=100),
/// `u32` otherwise.
trait Counter: Copy + Default + PartialOrd + std::ops::AddAssign + From<u8> {}
impl Counter for u8 {}
impl Counter for u32 {}

/// Filters rows, bounds each person's contribution to the first `k` remaining rows (in file
/// order) and calls `keep(row, cell)` for every kept row, in file order. Persons are the dense
/// indices computed at load ([`Dataset::persons`]), so the bound is a counter array indexed by
/// person, not a hash map.
fn bound_rows(plan: &Plan, dataset: &Dataset, keep: impl FnMut(usize, usize)) {
    match u8::try_from(plan.max_rows_per_person) {
        Ok(k) => bound_rows_with::<u8>(plan, dataset, k, keep),
        Err(_) => bound_rows_with::<u32>(plan, dataset, plan.max_rows_per_person, keep),
    }
}

fn bound_rows_with<C: Counter>(
    plan: &Plan,
    dataset: &Dataset,
    k: C,
    mut keep: impl FnMut(usize, usize),
) {
    let filters: Vec<RowFilter<'_>> = plan
        .filters
        .iter()
        .map(|f| match f {
            PlannedFilter::OneOf { column, keep } => match dataset.column_data(*column) {
                ColumnData::Categorical(v) => RowFilter::OneOf(v, keep),
                _ => RowFilter::Never,
            },
            PlannedFilter::Between {
                column,
                lower,
                upper,
            } => match dataset.column_data(*column) {
                ColumnData::Numeric(v) => RowFilter::Between(v, *lower, *upper),
                _ => RowFilter::Never,
            },
        })
        .collect();
    // (column values, or None for a non-categorical column: index 0 as before; arity)
    let groups: Vec<(Option<&[u16]>, usize)> = plan
        .groups
        .iter()
        .map(|g| match dataset.column_data(g.column) {
            ColumnData::Categorical(v) => (Some(v.as_slice()), g.categories.len()),
            _ => (None, g.categories.len()),
        })
        .collect();
    let mut kept: Vec<C> = vec![C::default(); dataset.person_count()];
    let one = C::from(1);
    let persons = dataset.persons();
    match (filters.as_slice(), groups.as_slice()) {
        // The common shapes, without the per-row loops over filters and groups.
        ([], []) => {
            for (row, &person) in persons.iter().enumerate() {
                let n = &mut kept[person as usize];
                if *n < k {
                    *n += one;
                    keep(row, 0);
                }
            }
        }
        ([], [(Some(v), _)]) => {
            for (row, (&person, &g)) in persons.iter().zip(v.iter()).enumerate() {
                let n = &mut kept[person as usize];
                if *n < k {
                    *n += one;
                    keep(row, usize::from(g));
                }
            }
        }
        _ => {
            'rows: for (row, &person) in persons.iter().enumerate() {
                for f in &filters {
                    if !f.pass(row) {
                        continue 'rows;
                    }
                }
                let n = &mut kept[person as usize];
                if *n >= k {
                    continue;
                }
                *n += one;
                let mut cell = 0usize;
                for (values, arity) in &groups {
                    let index = values.map_or(0, |v| usize::from(v[row]));
                    cell = cell * arity + index;
                }
                keep(row, cell);
            }
        }
    }
}

/// The group key values of each cell of the public key product, in cell order.
fn group_keys(plan: &Plan) -> Vec<serde_json::Map<String, serde_json::Value>> {
    (0..plan.group_count())
        .map(|mut cell| {
            let mut key = Vec::with_capacity(plan.groups.len());
            for g in plan.groups.iter().rev() {
                key.push((
                    g.name.clone(),
                    g.categories[cell % g.categories.len()].clone(),
                ));
                cell /= g.categories.len();
            }
            key.into_iter()
                .rev()
                .map(|(k, v)| (k, serde_json::Value::from(v)))
                .collect()
        })
        .collect()
}

/// Filters rows, bounds each person's contribution to the first `k` remaining rows (in file
/// order; a person's kept rows depend only on that person's rows), and partitions them by the
/// group keys. Returns every cell of the public key product, empty or not.
pub fn partition(
    plan: &Plan,
    dataset: &Dataset,
) -> Vec<(serde_json::Map<String, serde_json::Value>, Vec<usize>)> {
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); plan.group_count()];
    bound_rows(plan, dataset, |row, cell| cells[cell].push(row));
    group_keys(plan).into_iter().zip(cells).collect()
}

/// What [`partition`] followed by reading the aggregated column gives, without the row lists:
/// the measurement input of each cell (the kept rows' values in file order; for a count, one
/// zero per kept row, as only the length matters).
fn cell_inputs(
    plan: &Plan,
    dataset: &Dataset,
) -> Vec<(serde_json::Map<String, serde_json::Value>, Vec<i64>)> {
    let group_count = plan.group_count();
    let column = match &plan.aggregate {
        Aggregate::Sum { column, .. }
        | Aggregate::Mean { column, .. }
        | Aggregate::Histogram { column, .. }
        | Aggregate::Quantile { column, .. } => Some(dataset.column_data(*column)),
        Aggregate::Count => None,
    };
    let inputs: Vec<Vec<i64>> = match column {
        None => {
            let mut counts = vec![0usize; group_count];
            bound_rows(plan, dataset, |_, cell| counts[cell] += 1);
            counts.into_iter().map(|n| vec![0; n]).collect()
        }
        Some(ColumnData::Numeric(v)) => {
            let mut cells = vec![Vec::new(); group_count];
            bound_rows(plan, dataset, |row, cell| cells[cell].push(v[row]));
            cells
        }
        Some(ColumnData::Categorical(v)) => {
            let mut cells = vec![Vec::new(); group_count];
            bound_rows(plan, dataset, |row, cell| {
                cells[cell].push(i64::from(v[row]));
            });
            cells
        }
        Some(ColumnData::NotLoaded) => vec![Vec::new(); group_count],
    };
    group_keys(plan).into_iter().zip(inputs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, Subject};
    use crate::query::{QueryRequest, plan};
    use crate::schema::{Schema, SchemaDoc};

    #[test]
    fn partition_filters_then_bounds_contributions_then_groups() {
        let doc: SchemaDoc = serde_json::from_value(serde_json::json!({
            "max_rows_per_person": 2,
            "columns": [
                {"name": "id", "tag": "identifier", "type": "text"},
                {"name": "g", "tag": "public", "type": "categorical", "categories": ["x", "y", "z"]},
                {"name": "v", "tag": "public", "type": "numeric", "bounds": [0, 10]}
            ]
        }))
        .unwrap();
        // a: 4 rows (one filtered out), b: 1 row, c: 2 rows
        let csv = "id,g,v\na,x,1\na,y,99\na,y,2\na,x,3\nb,y,4\nc,x,5\nc,x,6\n";
        let d = Dataset::from_csv(Schema::validate(doc).unwrap(), csv.as_bytes()).unwrap();
        let policy: Policy = serde_json::from_value(serde_json::json!({"rules": [
            {"effect": "allow", "subjects": ["*"], "resources": ["*"], "actions": ["query"]}
        ]}))
        .unwrap();
        let request: QueryRequest = serde_json::from_value(serde_json::json!({
            "kind": "count", "epsilon": 1.0, "group_by": ["g"],
            "filters": [{"column": "v", "between": [0, 10]}]
        }))
        .unwrap();
        let subject = Subject {
            analyst: "t",
            team: "t",
        };
        let p = plan(&request, d.schema(), &policy, subject, "d").unwrap();
        let cells = partition(&p, &d);
        let summary: Vec<(String, Vec<usize>)> = cells
            .into_iter()
            .map(|(g, rows)| (g["g"].as_str().unwrap().to_owned(), rows))
            .collect();
        // a keeps rows 0 and 2 (row 1 filtered, row 3 beyond k = 2); b row 4; c rows 5, 6
        assert_eq!(
            summary,
            vec![
                ("x".to_owned(), vec![0, 5, 6]),
                ("y".to_owned(), vec![2, 4]),
                ("z".to_owned(), vec![]),
            ]
        );
    }
    /// The straightforward bounding this module used before persons were indexed at load (a
    /// hash map of rows kept per person, filters and groups resolved per row): the oracle for
    /// the indexed scan.
    fn partition_reference(plan: &Plan, dataset: &Dataset) -> Vec<Vec<usize>> {
        let mut cells: Vec<Vec<usize>> = vec![Vec::new(); plan.group_count()];
        let mut kept: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
        'rows: for (row, person) in dataset.persons().iter().enumerate() {
            for f in &plan.filters {
                let pass = match f {
                    PlannedFilter::OneOf { column, keep } => match dataset.column_data(*column) {
                        ColumnData::Categorical(v) => keep[usize::from(v[row])],
                        _ => false,
                    },
                    PlannedFilter::Between {
                        column,
                        lower,
                        upper,
                    } => match dataset.column_data(*column) {
                        ColumnData::Numeric(v) => (*lower..=*upper).contains(&v[row]),
                        _ => false,
                    },
                };
                if !pass {
                    continue 'rows;
                }
            }
            let n = kept.entry(*person).or_insert(0);
            if *n >= plan.max_rows_per_person {
                continue;
            }
            *n += 1;
            let mut cell = 0usize;
            for g in &plan.groups {
                let index = match dataset.column_data(g.column) {
                    ColumnData::Categorical(v) => usize::from(v[row]),
                    _ => 0,
                };
                cell = cell * g.categories.len() + index;
            }
            cells[cell].push(row);
        }
        cells
    }

    #[test]
    fn indexed_bounding_equals_the_reference_on_random_datasets() {
        use rand::{Rng, SeedableRng};
        let policy: Policy = serde_json::from_value(serde_json::json!({"rules": [
            {"effect": "allow", "subjects": ["*"], "resources": ["*"], "actions": ["query"]}
        ]}))
        .unwrap();
        let subject = Subject {
            analyst: "t",
            team: "t",
        };
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0x0106);
        let mut nonempty_differs_from_unbounded = 0;
        for round in 0..300 {
            let k: u32 = rng.gen_range(1..=5);
            let doc: SchemaDoc = serde_json::from_value(serde_json::json!({
                "max_rows_per_person": k,
                "columns": [
                    {"name": "id", "tag": "identifier", "type": "text"},
                    {"name": "g", "tag": "public", "type": "categorical",
                     "categories": ["x", "y", "z"]},
                    {"name": "h", "tag": "public", "type": "categorical",
                     "categories": ["u", "v"]},
                    {"name": "v", "tag": "public", "type": "numeric", "bounds": [0, 20]}
                ]
            }))
            .unwrap();
            let rows = rng.gen_range(0..200);
            let people = rng.gen_range(1..40);
            let mut csv = String::from("id,g,h,v\n");
            for _ in 0..rows {
                csv.push_str(&format!(
                    "p{},{},{},{}\n",
                    rng.gen_range(0..people),
                    ["x", "y", "z"][rng.gen_range(0..3)],
                    ["u", "v"][rng.gen_range(0..2)],
                    rng.gen_range(0..=20)
                ));
            }
            let d = Dataset::from_csv(Schema::validate(doc).unwrap(), csv.as_bytes()).unwrap();
            let mut filters = Vec::new();
            if rng.gen_bool(0.5) {
                let lo = rng.gen_range(0..=20);
                filters.push(
                    serde_json::json!({"column": "v", "between": [lo, rng.gen_range(lo..=20)]}),
                );
            }
            if rng.gen_bool(0.5) {
                filters.push(serde_json::json!({"column": "g", "in": ["x", "z"]}));
            }
            let group_by = match rng.gen_range(0..4) {
                0 => vec![],
                1 => vec!["g"],
                2 => vec!["h", "g"],
                _ => vec!["h"],
            };
            let kind = ["count", "sum", "mean", "histogram"][round % 4];
            let mut request = serde_json::json!({
                "kind": kind, "epsilon": 1.0, "group_by": group_by, "filters": filters
            });
            if kind != "count" {
                request["column"] = serde_json::json!(if kind == "histogram" { "h" } else { "v" });
            }
            let request: QueryRequest = serde_json::from_value(request).unwrap();
            let p = plan(&request, d.schema(), &policy, subject, "d").unwrap();

            let expected = partition_reference(&p, &d);
            let got = partition(&p, &d);
            assert_eq!(got.len(), expected.len());
            for ((_, rows), want) in got.iter().zip(&expected) {
                assert_eq!(rows, want, "round {round}");
            }
            // the measurement inputs are the reference rows' values, cell by cell
            let inputs = cell_inputs(&p, &d);
            for (((group, data), (g, _)), want) in inputs.iter().zip(&got).zip(&expected) {
                assert_eq!(group, g);
                let values: Vec<i64> = match &p.aggregate {
                    Aggregate::Count => vec![0; want.len()],
                    Aggregate::Histogram { column, .. } => match d.column_data(*column) {
                        ColumnData::Categorical(v) => {
                            want.iter().map(|&r| i64::from(v[r])).collect()
                        }
                        _ => unreachable!(),
                    },
                    Aggregate::Sum { column, .. } | Aggregate::Mean { column, .. } => {
                        match d.column_data(*column) {
                            ColumnData::Numeric(v) => want.iter().map(|&r| v[r]).collect(),
                            _ => unreachable!(),
                        }
                    }
                    Aggregate::Quantile { .. } => unreachable!(),
                };
                assert_eq!(data, &values, "round {round}");
            }
            let kept: usize = expected.iter().map(Vec::len).sum();
            if kept > 0 && kept < d.rows() {
                nonempty_differs_from_unbounded += 1;
            }
        }
        // the random cases exercise the bound and the filters, not only trivial datasets
        assert!(nonempty_differs_from_unbounded > 100);
    }

    /// OpenDP must sample with OpenSSL's CSPRNG (feature `use-openssl`, a default feature):
    /// without it, it silently falls back to a non-cryptographic RNG. The `openssl` dependency
    /// of opendp exists only with that feature, so the lock file shows whether it is on.
    #[test]
    fn opendp_samples_with_the_openssl_csprng() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap();
        let block = lock
            .split("[[package]]")
            .find(|b| b.contains("name = \"opendp\""))
            .unwrap();
        assert!(
            block.contains("\"openssl\""),
            "opendp is built without use-openssl"
        );
        // The opendp dependency lines (this crate's and the workspace's) must keep the default
        // features; other dependencies (criterion) may turn theirs off.
        let manifests = [
            include_str!("../Cargo.toml"),
            include_str!("../../Cargo.toml"),
        ];
        let opendp_lines: Vec<&str> = manifests
            .iter()
            .flat_map(|m| m.lines())
            .filter(|l| l.trim_start().starts_with("opendp"))
            .collect();
        assert_eq!(opendp_lines.len(), 2, "{opendp_lines:?}");
        for line in opendp_lines {
            assert!(!line.contains("default-features"), "{line}");
        }
    }
}
