//! The service core: datasets on disk, the store, and the query flow
//! (plan -> calibrate -> atomic durable debit -> release).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::budget::BudgetEpsilon;
use crate::error::{Error, Refusal, Result};
use crate::mechanism::{CONFIDENCE, Cell, Prepared};
use crate::policy::{Action, Subject};
use crate::query::{QueryRequest, plan};
use crate::schema::{Dataset, Schema, SchemaDoc};
use crate::store::{Analyst, BudgetStatus, DatasetRecord, Store, check_name};

/// A clock: Unix seconds.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Options of the service.
#[derive(Clone, Default)]
pub struct ServiceOptions {
    abort_after_debit: bool,
    clock: Option<Clock>,
}

impl std::fmt::Debug for ServiceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceOptions")
            .field("abort_after_debit", &self.abort_after_debit)
            .field("clock", &self.clock.as_ref().map(|_| "injected"))
            .finish()
    }
}

impl ServiceOptions {
    /// Uses `clock` (Unix seconds) for registration and release times instead of the system
    /// clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Dangerous, test-only options.
    pub fn dangerous(&mut self) -> DangerousOptions<'_> {
        DangerousOptions(self)
    }
}

/// Options that break the service on purpose, for crash tests.
#[derive(Debug)]
pub struct DangerousOptions<'a>(&'a mut ServiceOptions);

impl DangerousOptions<'_> {
    /// Abort the process right after a debit is committed, before the answer is computed.
    pub fn abort_after_debit(&mut self, on: bool) -> &mut Self {
        self.0.abort_after_debit = on;
        self
    }
}

/// The answer to a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// Release id in the audit ledger.
    pub release_id: u64,
    /// Dataset name.
    pub dataset: String,
    /// Query kind.
    pub kind: &'static str,
    /// Aggregated column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Epsilon charged (the requested epsilon, rounded up to the next nano-epsilon).
    pub epsilon_charged: f64,
    /// Delta charged (always 0: every mechanism is pure epsilon-DP).
    pub delta_charged: f64,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Contribution bound applied (rows per person).
    pub max_rows_per_person: u32,
    /// One cell per group (one cell without `group_by`).
    pub results: Vec<Cell>,
    /// Budget after this query.
    pub budget: BudgetStatus,
}

/// Public description of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetInfo {
    /// Name.
    pub name: String,
    /// Schema (tags and public metadata).
    pub schema: SchemaDoc,
}

/// The service.
#[derive(Debug)]
pub struct Service {
    dir: PathBuf,
    store: Store,
    datasets: RwLock<HashMap<String, Arc<Dataset>>>,
    /// Serialises registrations: two uploads of one name must not both write its file.
    registration: Mutex<()>,
    options: ServiceOptions,
}

fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes a file atomically: temp file, fsync, rename, fsync the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or(Error::Internal)?;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

impl Service {
    /// Opens the data directory (created if missing): the store and every dataset, each
    /// checked against its registered digest.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with(dir, ServiceOptions::default())
    }

    /// Opens with options.
    pub fn open_with(dir: &Path, options: ServiceOptions) -> Result<Self> {
        std::fs::create_dir_all(dir.join("datasets"))?;
        let store = Store::open(&dir.join("privacy.redb"))?;
        let mut datasets = HashMap::new();
        for record in store.datasets()? {
            let bytes = std::fs::read(Self::csv_path(dir, &record.name))
                .map_err(|_| Error::DatasetCorrupt(record.name.clone()))?;
            if hex::encode(Sha256::digest(&bytes)) != record.csv_sha256 {
                return Err(Error::DatasetCorrupt(record.name.clone()));
            }
            let schema = Schema::validate(record.schema.clone())?;
            let dataset = Dataset::from_csv(schema, &bytes)?;
            datasets.insert(record.name.clone(), Arc::new(dataset));
        }
        Ok(Self {
            dir: dir.to_owned(),
            store,
            datasets: RwLock::new(datasets),
            registration: Mutex::new(()),
            options,
        })
    }

    fn now(&self) -> u64 {
        match &self.options.clock {
            Some(clock) => clock(),
            None => system_now(),
        }
    }

    fn csv_path(dir: &Path, name: &str) -> PathBuf {
        dir.join("datasets").join(format!("{name}.csv"))
    }

    /// The store (analysts, budgets, policy, ledger).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Registers a dataset from CSV bytes with a schema and a global epsilon cap. A bad schema
    /// or CSV is rejected with the line and column at fault; nothing is stored then.
    pub fn add_dataset(
        &self,
        name: &str,
        schema: SchemaDoc,
        csv: &[u8],
        epsilon_cap: f64,
    ) -> Result<DatasetInfo> {
        check_name("dataset name", name)?;
        let cap = BudgetEpsilon::new(epsilon_cap)?;
        let schema = Schema::validate(schema)?;
        let dataset = Dataset::from_csv(schema, csv)?;
        let _registering = self.registration.lock().map_err(|_| Error::Internal)?;
        if self.store.has_dataset(name)? {
            return Err(Error::AlreadyExists("dataset"));
        }
        write_atomic(&Self::csv_path(&self.dir, name), csv)?;
        let record = DatasetRecord {
            name: name.to_owned(),
            schema: dataset.schema().doc().clone(),
            csv_sha256: hex::encode(Sha256::digest(csv)),
            rows: dataset.rows() as u64,
            registered_at: self.now(),
        };
        self.store.register_dataset(&record, cap)?;
        self.datasets
            .write()
            .map_err(|_| Error::Internal)?
            .insert(name.to_owned(), Arc::new(dataset));
        Ok(DatasetInfo {
            name: name.to_owned(),
            schema: record.schema,
        })
    }

    fn dataset(&self, name: &str) -> Result<Arc<Dataset>> {
        self.datasets
            .read()
            .map_err(|_| Error::Internal)?
            .get(name)
            .cloned()
            .ok_or(Error::UnknownDataset)
    }

    /// Datasets this analyst may query.
    pub fn datasets_for(&self, analyst: &Analyst) -> Result<Vec<DatasetInfo>> {
        let policy = self.store.policy()?;
        let subject = Subject {
            analyst: &analyst.id,
            team: &analyst.team,
        };
        let map = self.datasets.read().map_err(|_| Error::Internal)?;
        let mut out: Vec<DatasetInfo> = map
            .iter()
            .filter(|(name, _)| policy.allows(subject, name, Action::Query, None))
            .map(|(name, d)| DatasetInfo {
                name: name.clone(),
                schema: d.schema().doc().clone(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// A dataset's public description, if this analyst may query it.
    pub fn dataset_for(&self, analyst: &Analyst, name: &str) -> Result<DatasetInfo> {
        self.permitted(analyst, name)?;
        let d = self.dataset(name)?;
        Ok(DatasetInfo {
            name: name.to_owned(),
            schema: d.schema().doc().clone(),
        })
    }

    fn permitted(&self, analyst: &Analyst, dataset: &str) -> Result<()> {
        let subject = Subject {
            analyst: &analyst.id,
            team: &analyst.team,
        };
        if self
            .store
            .policy()?
            .allows(subject, dataset, Action::Query, None)
        {
            Ok(())
        } else {
            Err(Refusal::DatasetNotPermitted.into())
        }
    }

    /// The analyst's budget on a dataset.
    pub fn budget_for(&self, analyst: &Analyst, dataset: &str) -> Result<BudgetStatus> {
        self.permitted(analyst, dataset)?;
        self.dataset(dataset)?;
        self.store.budget(&analyst.id, dataset)
    }

    /// Answers a query. Blocking (OpenDP measurements are `!Send`; call from a blocking
    /// thread). The request JSON is parsed here so that the audit ledger records it verbatim.
    ///
    /// Order: parse, plan (all refusals), calibrate (public parameters only), debit (one
    /// durable transaction: a refusal spends nothing), release.
    pub fn query(
        &self,
        analyst: &Analyst,
        dataset_name: &str,
        request: &serde_json::Value,
    ) -> Result<Answer> {
        if request
            .get("kind")
            .and_then(|k| k.as_str())
            .is_some_and(crate::query::is_raw_kind)
        {
            return Err(Refusal::RawRows.into());
        }
        let parsed: QueryRequest = serde_json::from_value(request.clone())
            .map_err(|e| Error::InvalidJson(e.to_string()))?;
        let subject = Subject {
            analyst: &analyst.id,
            team: &analyst.team,
        };
        let policy = self.store.policy()?;
        if !policy.allows(subject, dataset_name, Action::Query, None) {
            // Decided before looking the dataset up: unknown and forbidden look the same.
            return Err(Refusal::DatasetNotPermitted.into());
        }
        let dataset = self.dataset(dataset_name)?;
        let plan = plan(&parsed, dataset.schema(), &policy, subject, dataset_name)?;
        let prepared = Prepared::new(&plan)?;
        let charge = plan.epsilon.charge();
        let debit = self
            .store
            .debit(&analyst.id, dataset_name, charge, request, self.now())?;
        if self.options.abort_after_debit {
            // Test-only crash hook (see ServiceOptions::dangerous).
            std::process::abort();
        }
        let results = prepared.release(&plan, &dataset)?;
        tracing::info!(
            release = debit.release_id,
            dataset = dataset_name,
            kind = plan.kind,
            epsilon = charge.epsilon(),
            "released"
        );
        Ok(Answer {
            release_id: debit.release_id,
            dataset: dataset_name.to_owned(),
            kind: plan.kind,
            column: plan.column_name.clone(),
            epsilon_charged: charge.epsilon(),
            delta_charged: 0.0,
            confidence: CONFIDENCE,
            max_rows_per_person: plan.max_rows_per_person,
            results,
            budget: debit.status,
        })
    }
}
