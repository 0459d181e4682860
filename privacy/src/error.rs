//! The crate's error type: typed variants, each with a stable machine-readable code.

use crate::budget::EpsilonError;
use crate::schema::{CsvError, SchemaError};

/// Why a query was refused. Every reason is decided from the request, the public schema and the
/// access policy only: never from the data, so a refusal reveals nothing about any record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The request asked for record-level output.
    #[error("raw rows are never released; only differentially private aggregates are answered")]
    RawRows,
    /// The request used an `identifier` column.
    #[error("column `{0}` is an identifier: it only bounds contributions and is never released")]
    IdentifierColumn(String),
    /// The policy does not allow this analyst to use the column's tag.
    #[error("the access policy does not allow column `{column}` (tag `{tag}`)")]
    TagNotPermitted {
        column: String,
        tag: crate::schema::Tag,
    },
    /// The policy does not allow this analyst to query the dataset at all.
    #[error("the access policy does not allow queries on this dataset")]
    DatasetNotPermitted,
    /// The column is not in the schema.
    #[error("unknown column `{0}`")]
    UnknownColumn(String),
    /// A sum/mean/quantile over a column without public bounds.
    #[error("column `{0}` has no public bounds: its sum or mean is not differentially private")]
    Unbounded(String),
    /// The column's type cannot be used by this query (e.g. free text).
    #[error("column `{column}` cannot be used this way: {expected}")]
    WrongColumnType {
        column: String,
        expected: &'static str,
    },
    /// Filters and group keys are limited to `public` and `quasi_identifier` columns.
    #[error(
        "column `{0}` may not be used to filter or group: only public or quasi-identifier columns can"
    )]
    NotFilterable(String),
    /// A filter or candidate value that is not in the public metadata.
    #[error("value for column `{column}` is invalid: {problem}")]
    InvalidValue {
        column: String,
        problem: &'static str,
    },
    /// The query kind is not one this service answers.
    #[error("unsupported query kind `{0}`; supported: count, sum, mean, histogram, quantile")]
    UnsupportedKind(String),
    /// Too many output cells.
    #[error("the query has {0} output cells; at most {max} are allowed", max = crate::query::MAX_CELLS)]
    TooManyCells(usize),
    /// Quantile parameters are invalid.
    #[error("invalid quantile request: {0}")]
    InvalidQuantile(&'static str),
    /// A field the query kind does not take, or a missing required one.
    #[error("invalid query: {0}")]
    Malformed(&'static str),
    /// The epsilon is not a usable privacy parameter.
    #[error("invalid epsilon: {0}")]
    Epsilon(EpsilonError),
    /// A delta was supplied but is not a usable privacy parameter.
    #[error("invalid delta: must be finite and in (0, 1)")]
    InvalidDelta,
    /// Every mechanism here is pure epsilon-DP: a delta would be charged for nothing.
    #[error("this query is answered by a pure epsilon-DP mechanism: do not send a delta")]
    DeltaNotApplicable,
}

impl Refusal {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::RawRows => "raw_rows_refused",
            Refusal::IdentifierColumn(_) => "identifier_column_refused",
            Refusal::TagNotPermitted { .. } => "tag_not_permitted",
            Refusal::DatasetNotPermitted => "dataset_not_permitted",
            Refusal::UnknownColumn(_) => "unknown_column",
            Refusal::Unbounded(_) => "unbounded_column",
            Refusal::WrongColumnType { .. } => "wrong_column_type",
            Refusal::NotFilterable(_) => "column_not_filterable",
            Refusal::InvalidValue { .. } => "invalid_value",
            Refusal::UnsupportedKind(_) => "unsupported_query",
            Refusal::TooManyCells(_) => "too_many_cells",
            Refusal::InvalidQuantile(_) => "invalid_quantile",
            Refusal::Malformed(_) => "malformed_query",
            Refusal::Epsilon(_) => "invalid_epsilon",
            Refusal::InvalidDelta => "invalid_delta",
            Refusal::DeltaNotApplicable => "delta_not_applicable",
        }
    }
}

/// Which budget a refused debit would have exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetScope {
    /// The analyst's budget on this dataset.
    Analyst,
    /// The dataset's global cap across all analysts.
    Dataset,
}

impl std::fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BudgetScope::Analyst => "the analyst's budget on this dataset",
            BudgetScope::Dataset => "the dataset's global cap",
        })
    }
}

/// Errors of the privacy service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The query was refused before touching data; nothing was spent.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The query does not fit in the remaining budget; nothing was spent.
    #[error("insufficient privacy budget: the query would exceed {0}")]
    BudgetExhausted(BudgetScope),
    /// Invalid dataset schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Invalid CSV content, with the line and column at fault.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// Invalid epsilon in an admin request (budget or cap).
    #[error("invalid epsilon: {0}")]
    Epsilon(#[from] EpsilonError),
    /// A name (dataset, analyst, team) is not of the allowed form.
    #[error(
        "invalid {0}: use 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"
    )]
    InvalidName(&'static str),
    /// Invalid access policy document.
    #[error("invalid policy: {0}")]
    InvalidPolicy(&'static str),
    /// The dataset does not exist (or the caller may not know it exists).
    #[error("unknown dataset")]
    UnknownDataset,
    /// The analyst does not exist.
    #[error("unknown analyst")]
    UnknownAnalyst,
    /// The dataset or analyst already exists.
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// Missing or invalid credentials.
    #[error("missing or invalid credentials")]
    Unauthorized,
    /// Too many failed authentication attempts.
    #[error("too many failed authentication attempts; retry later")]
    RateLimited,
    /// The store file is damaged, locked by another process or of another format version.
    #[error("storage error: {0}")]
    Storage(#[from] StorageError),
    /// A dataset file no longer matches its registered digest.
    #[error("dataset file for `{0}` is missing or does not match its registered digest")]
    DatasetCorrupt(String),
    /// An I/O error on the data directory.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// OpenDP refused to build or run a mechanism (after the debit, the budget stays spent).
    #[error("mechanism error")]
    Mechanism(String),
    /// The request body is not valid JSON of the expected shape.
    #[error("invalid request body: {0}")]
    InvalidJson(String),
    /// The request body is larger than allowed.
    #[error("request body too large")]
    BodyTooLarge,
    /// The admin token is missing or too short to be a credential.
    #[error("PRIVACY_ADMIN_TOKEN must be set to at least 16 characters")]
    WeakAdminToken,
    /// A background task failed.
    #[error("internal error")]
    Internal,
}

/// Errors of the embedded store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// redb reported an error (damaged file, lock held by another process, I/O).
    #[error(transparent)]
    Redb(#[from] redb::Error),
    /// The file was written by another format version of this service.
    #[error("store format version {found} is not the supported version {expected}")]
    FormatVersion { found: u64, expected: u64 },
    /// A stored record could not be decoded.
    #[error("stored record is damaged")]
    Corrupt,
    /// A counter would overflow.
    #[error("budget counter overflow")]
    Overflow,
}

macro_rules! redb_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::Storage(StorageError::Redb(redb::Error::from(e)))
            }
        }
    )*};
}
redb_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl Error {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Refused(r) => r.code(),
            Error::BudgetExhausted(_) => "budget_exhausted",
            Error::Schema(_) => "invalid_schema",
            Error::Csv(_) => "invalid_csv",
            Error::Epsilon(_) => "invalid_epsilon",
            Error::InvalidName(_) => "invalid_name",
            Error::InvalidPolicy(_) => "invalid_policy",
            Error::UnknownDataset => "unknown_dataset",
            Error::UnknownAnalyst => "unknown_analyst",
            Error::AlreadyExists(_) => "already_exists",
            Error::Unauthorized => "unauthorized",
            Error::RateLimited => "rate_limited",
            Error::Storage(_) => "storage_error",
            Error::DatasetCorrupt(_) => "dataset_corrupt",
            Error::Io(_) => "io_error",
            Error::Mechanism(_) => "mechanism_error",
            Error::InvalidJson(_) => "invalid_json",
            Error::BodyTooLarge => "body_too_large",
            Error::WeakAdminToken => "weak_admin_token",
            Error::Internal => "internal_error",
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
