//! Query requests and their planning.
//!
//! [`plan`] turns an untrusted [`QueryRequest`] into a [`Plan`] using only the request, the
//! public schema and the access policy. **Every refusal is decided here, before any data is
//! touched**, so the reason never depends on the data.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::budget::QueryEpsilon;
use crate::error::Refusal;
use crate::policy::{Action, Policy, Subject};
use crate::schema::{ColumnKind, Schema, Tag, scale_exact};

/// Largest number of output cells (groups x histogram bins).
pub const MAX_CELLS: usize = 1000;
/// Largest number of filters.
pub const MAX_FILTERS: usize = 16;
/// Largest number of group-by keys.
pub const MAX_GROUP_KEYS: usize = 3;
/// Largest number of quantile candidates.
pub const MAX_CANDIDATES: usize = 1024;

/// Query kinds that would release records: refused with [`Refusal::RawRows`].
const RAW_KINDS: &[&str] = &[
    "rows", "raw", "select", "records", "export", "sample", "dump", "list", "get", "lookup",
];

/// Whether a query kind asks for records (always refused).
pub fn is_raw_kind(kind: &str) -> bool {
    RAW_KINDS.contains(&kind.trim().to_ascii_lowercase().as_str())
}

/// A filter on a `public` or `quasi_identifier` column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Column name.
    pub column: String,
    /// Categorical: keep rows whose value is one of these categories.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<String>>,
    /// Numeric: keep rows whose value is in `[lower, upper]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<[f64; 2]>,
}

/// A query request (JSON body of `POST /datasets/{name}/queries`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// `count`, `sum`, `mean`, `histogram` or `quantile`.
    pub kind: String,
    /// The aggregated column (not for `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Epsilon to spend: finite, in [1e-6, 100].
    pub epsilon: f64,
    /// Delta: no mechanism here needs one (all are pure epsilon-DP); if sent it must be valid
    /// and is then refused as not applicable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// Row filters (on public or quasi-identifier columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// Group keys (public or quasi-identifier categorical columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    /// `quantile` only: which quantile, in [0, 1] (0.5 is the median).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
    /// `quantile` only: public candidate values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<f64>>,
}

/// The aggregate, with the column's public metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    /// Number of rows (after contribution bounding).
    Count,
    /// Clamped sum.
    Sum {
        /// Column index.
        column: usize,
        /// Scaled bounds.
        bounds: (i64, i64),
        /// Decimals.
        decimals: u8,
    },
    /// Clamped sum divided by count (each with half the epsilon).
    Mean {
        /// Column index.
        column: usize,
        /// Scaled bounds.
        bounds: (i64, i64),
        /// Decimals.
        decimals: u8,
    },
    /// Counts over a public category set.
    Histogram {
        /// Column index.
        column: usize,
        /// Category names.
        categories: Vec<String>,
    },
    /// Quantile over public candidates (exponential-mechanism style, via OpenDP).
    Quantile {
        /// Column index.
        column: usize,
        /// Decimals.
        decimals: u8,
        /// Quantile in [0, 1].
        alpha: f64,
        /// Scaled candidates.
        candidates: Vec<i64>,
    },
}

/// A planned filter.
#[derive(Debug, Clone, PartialEq)]
pub enum PlannedFilter {
    /// Categorical membership: `keep[category_index]`.
    OneOf {
        /// Column index.
        column: usize,
        /// Whether each category is kept.
        keep: Vec<bool>,
    },
    /// Numeric range (scaled, inclusive).
    Between {
        /// Column index.
        column: usize,
        /// Lower.
        lower: i64,
        /// Upper.
        upper: i64,
    },
}

/// A group key.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupKey {
    /// Column index.
    pub column: usize,
    /// Column name.
    pub name: String,
    /// Public categories.
    pub categories: Vec<String>,
}

/// A validated query, ready to be calibrated and run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Kind name (for the answer).
    pub kind: &'static str,
    /// Aggregated column name.
    pub column_name: Option<String>,
    /// What to compute.
    pub aggregate: Aggregate,
    /// Epsilon to spend.
    pub epsilon: QueryEpsilon,
    /// Filters.
    pub filters: Vec<PlannedFilter>,
    /// Group keys (cartesian product of their public categories).
    pub groups: Vec<GroupKey>,
    /// Contribution bound: rows per person.
    pub max_rows_per_person: u32,
}

impl Plan {
    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.iter().map(|g| g.categories.len()).product()
    }
}

/// (column index, decimals, scaled bounds)
type NumericColumn = (usize, u8, Option<(i64, i64)>);

struct Planner<'a> {
    schema: &'a Schema,
    policy: &'a Policy,
    subject: Subject<'a>,
    dataset: &'a str,
}

impl Planner<'_> {
    /// Resolves a column the query uses and checks it may be used at all.
    fn column(&self, name: &str) -> Result<(usize, &crate::schema::Column), Refusal> {
        let (index, column) = self
            .schema
            .column(name)
            .ok_or_else(|| Refusal::UnknownColumn(name.to_owned()))?;
        if column.tag == Tag::Identifier {
            return Err(Refusal::IdentifierColumn(name.to_owned()));
        }
        if !self
            .policy
            .allows(self.subject, self.dataset, Action::Query, Some(column.tag))
        {
            return Err(Refusal::TagNotPermitted {
                column: name.to_owned(),
                tag: column.tag,
            });
        }
        Ok((index, column))
    }

    fn numeric(&self, name: &str, need_bounds: bool) -> Result<NumericColumn, Refusal> {
        let (index, column) = self.column(name)?;
        match column.kind {
            ColumnKind::Numeric { decimals, bounds } => {
                if need_bounds && bounds.is_none() {
                    return Err(Refusal::Unbounded(name.to_owned()));
                }
                Ok((index, decimals, bounds))
            }
            _ => Err(Refusal::WrongColumnType {
                column: name.to_owned(),
                expected: "a numeric column is required",
            }),
        }
    }

    fn categorical(&self, name: &str) -> Result<(usize, Vec<String>), Refusal> {
        let (index, column) = self.column(name)?;
        match &column.kind {
            ColumnKind::Categorical { categories } => Ok((index, categories.clone())),
            _ => Err(Refusal::WrongColumnType {
                column: name.to_owned(),
                expected: "a categorical column with a public category set is required",
            }),
        }
    }
}

/// Plans a query: checks the kind, the privacy parameters, the policy and the query's shape.
pub fn plan(
    request: &QueryRequest,
    schema: &Schema,
    policy: &Policy,
    subject: Subject<'_>,
    dataset: &str,
) -> Result<Plan, Refusal> {
    let kind_name = request.kind.trim().to_ascii_lowercase();
    if is_raw_kind(&kind_name) {
        return Err(Refusal::RawRows);
    }
    let kind: &'static str = match kind_name.as_str() {
        "count" => "count",
        "sum" => "sum",
        "mean" => "mean",
        "histogram" => "histogram",
        "quantile" => "quantile",
        _ => return Err(Refusal::UnsupportedKind(truncate(&request.kind))),
    };
    let epsilon = QueryEpsilon::new(request.epsilon).map_err(Refusal::Epsilon)?;
    if let Some(delta) = request.delta {
        if !(delta.is_finite() && delta > 0.0 && delta < 1.0) {
            return Err(Refusal::InvalidDelta);
        }
        return Err(Refusal::DeltaNotApplicable);
    }
    if !policy.allows(subject, dataset, Action::Query, None) {
        return Err(Refusal::DatasetNotPermitted);
    }
    let planner = Planner {
        schema,
        policy,
        subject,
        dataset,
    };
    if kind != "quantile" && (request.quantile.is_some() || request.candidates.is_some()) {
        return Err(Refusal::Malformed(
            "`quantile` and `candidates` apply only to quantile queries",
        ));
    }
    let column = |what: &'static str| request.column.as_deref().ok_or(Refusal::Malformed(what));
    let aggregate = match kind {
        "count" => {
            if request.column.is_some() {
                return Err(Refusal::Malformed(
                    "a count takes no column: it counts rows after filtering",
                ));
            }
            Aggregate::Count
        }
        "sum" | "mean" => {
            let (index, decimals, bounds) =
                planner.numeric(column("sum and mean need a `column`")?, true)?;
            let bounds = bounds.ok_or(Refusal::Malformed("bounds"))?;
            if kind == "sum" {
                Aggregate::Sum {
                    column: index,
                    bounds,
                    decimals,
                }
            } else {
                Aggregate::Mean {
                    column: index,
                    bounds,
                    decimals,
                }
            }
        }
        "histogram" => {
            let (index, categories) =
                planner.categorical(column("a histogram needs a `column`")?)?;
            Aggregate::Histogram {
                column: index,
                categories,
            }
        }
        _ => {
            let (index, decimals, _) =
                planner.numeric(column("a quantile needs a `column`")?, false)?;
            let alpha = request.quantile.ok_or(Refusal::InvalidQuantile(
                "`quantile` (in [0, 1]) is required",
            ))?;
            if !(alpha.is_finite() && (0.0..=1.0).contains(&alpha)) {
                return Err(Refusal::InvalidQuantile("`quantile` must be in [0, 1]"));
            }
            let raw = request
                .candidates
                .as_ref()
                .ok_or(Refusal::InvalidQuantile("public `candidates` are required"))?;
            if raw.is_empty() || raw.len() > MAX_CANDIDATES {
                return Err(Refusal::InvalidQuantile(
                    "1 to 1024 candidates are required",
                ));
            }
            let mut candidates = Vec::with_capacity(raw.len());
            let mut seen = HashSet::new();
            for c in raw {
                let v = scale_exact(*c, decimals).ok_or(Refusal::InvalidQuantile(
                    "candidates must be finite with at most the column's decimals",
                ))?;
                if !seen.insert(v) {
                    return Err(Refusal::InvalidQuantile("candidates must be distinct"));
                }
                candidates.push(v);
            }
            candidates.sort_unstable();
            Aggregate::Quantile {
                column: index,
                decimals,
                alpha,
                candidates,
            }
        }
    };

    if request.filters.len() > MAX_FILTERS {
        return Err(Refusal::Malformed("at most 16 filters"));
    }
    let mut filters = Vec::with_capacity(request.filters.len());
    for f in &request.filters {
        let (index, column) = planner.column(&f.column)?;
        if !column.tag.filterable() {
            return Err(Refusal::NotFilterable(f.column.clone()));
        }
        let invalid = |problem| Refusal::InvalidValue {
            column: f.column.clone(),
            problem,
        };
        match (&column.kind, &f.one_of, &f.between) {
            (ColumnKind::Categorical { categories }, Some(values), None) => {
                if values.is_empty() {
                    return Err(invalid("`in` needs at least one category"));
                }
                let mut keep = vec![false; categories.len()];
                for v in values {
                    let i = categories
                        .iter()
                        .position(|c| c == v)
                        .ok_or_else(|| invalid("not in the public category set"))?;
                    keep[i] = true;
                }
                filters.push(PlannedFilter::OneOf {
                    column: index,
                    keep,
                });
            }
            (ColumnKind::Numeric { decimals, .. }, None, Some([lo, hi])) => {
                let lower = scale_exact(*lo, *decimals)
                    .ok_or_else(|| invalid("`between` bounds must be finite numbers"))?;
                let upper = scale_exact(*hi, *decimals)
                    .ok_or_else(|| invalid("`between` bounds must be finite numbers"))?;
                if lower > upper {
                    return Err(invalid("`between` needs lower <= upper"));
                }
                filters.push(PlannedFilter::Between {
                    column: index,
                    lower,
                    upper,
                });
            }
            (ColumnKind::Text, _, _) => {
                return Err(Refusal::WrongColumnType {
                    column: f.column.clone(),
                    expected: "text columns cannot be filtered",
                });
            }
            _ => {
                return Err(invalid(
                    "use `in` for categorical columns and `between` for numeric ones",
                ));
            }
        }
    }

    if request.group_by.len() > MAX_GROUP_KEYS {
        return Err(Refusal::Malformed("at most 3 group-by keys"));
    }
    let mut groups = Vec::with_capacity(request.group_by.len());
    for name in &request.group_by {
        let (_, column) = planner.column(name)?;
        if !column.tag.filterable() {
            return Err(Refusal::NotFilterable(name.clone()));
        }
        let (index, categories) = planner.categorical(name)?;
        if groups.iter().any(|g: &GroupKey| g.column == index) {
            return Err(Refusal::Malformed("group-by keys must be distinct"));
        }
        groups.push(GroupKey {
            column: index,
            name: name.clone(),
            categories,
        });
    }
    let mut cells = groups
        .iter()
        .try_fold(1usize, |acc, g| acc.checked_mul(g.categories.len()))
        .unwrap_or(usize::MAX);
    if let Aggregate::Histogram { categories, .. } = &aggregate {
        cells = cells.saturating_mul(categories.len());
    }
    if cells > MAX_CELLS {
        return Err(Refusal::TooManyCells(cells));
    }
    Ok(Plan {
        kind,
        column_name: request.column.clone(),
        aggregate,
        epsilon,
        filters,
        groups,
        max_rows_per_person: schema.max_rows_per_person(),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}
