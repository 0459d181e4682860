//! The durable store (redb): analysts, hashed tokens, datasets, policy, budgets and the
//! release ledger.
//!
//! **Check-and-debit is one redb write transaction, committed with `Durability::Immediate`
//! before any answer is computed.** redb serialises write transactions, so concurrent debits
//! cannot both see the same remaining budget.

use std::path::Path;

use rand::RngCore;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::budget::{BudgetEpsilon, Units};
use crate::error::{BudgetScope, Error, Result, StorageError};
use crate::policy::Policy;
use crate::schema::SchemaDoc;

/// The store format version this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const ANALYSTS: TableDefinition<&str, &[u8]> = TableDefinition::new("analysts");
const TOKENS: TableDefinition<&[u8], &str> = TableDefinition::new("token_hashes");
const DATASETS: TableDefinition<&str, &[u8]> = TableDefinition::new("datasets");
const DATASET_CAPS: TableDefinition<&str, u64> = TableDefinition::new("dataset_caps");
const DATASET_SPENT: TableDefinition<&str, u64> = TableDefinition::new("dataset_spent");
const BUDGETS: TableDefinition<(&str, &str), u64> = TableDefinition::new("analyst_budgets");
const SPENT: TableDefinition<(&str, &str), u64> = TableDefinition::new("analyst_spent");
const RELEASES: TableDefinition<u64, &[u8]> = TableDefinition::new("releases");
const POLICY: TableDefinition<&str, &[u8]> = TableDefinition::new("policy");

/// A token shown once at creation; stored only as its SHA-256. `Debug` is redacted.
pub struct Token(Zeroizing<String>);

impl Token {
    fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        Self(Zeroizing::new(format!(
            "pdp_{}",
            hex::encode(bytes.as_ref())
        )))
    }

    /// The secret token text (give it to the analyst; it is not stored).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// SHA-256 of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A stored analyst.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analyst {
    /// Id.
    pub id: String,
    /// Team (policy subject `team:<team>`).
    pub team: String,
    /// Hex SHA-256 of the current token.
    #[serde(rename = "token_sha256")]
    token_hash: String,
}

/// A registered dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRecord {
    /// Name.
    pub name: String,
    /// Schema document.
    pub schema: SchemaDoc,
    /// Hex SHA-256 of the stored CSV file.
    pub csv_sha256: String,
    /// Number of rows.
    pub rows: u64,
    /// Registration time (Unix seconds).
    pub registered_at: u64,
}

/// One release in the audit ledger: who, what, what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Sequence number.
    pub id: u64,
    /// Analyst id.
    pub analyst: String,
    /// Dataset name.
    pub dataset: String,
    /// The query as requested.
    pub query: serde_json::Value,
    /// Epsilon charged.
    pub epsilon: f64,
    /// Exact charge in nano-epsilon.
    pub charge_units: Units,
    /// Debit time (Unix seconds).
    pub at: u64,
}

/// Budget status of one analyst on one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BudgetStatus {
    /// The analyst's budget on the dataset.
    pub analyst_budget: f64,
    /// Spent by the analyst on the dataset.
    pub analyst_spent: f64,
    /// Remaining for the analyst (also bounded by the dataset's remaining cap).
    pub analyst_remaining: f64,
    /// The dataset's global cap.
    pub dataset_cap: f64,
    /// Spent on the dataset by all analysts.
    pub dataset_spent: f64,
    /// Remaining under the dataset's cap.
    pub dataset_remaining: f64,
}

/// The outcome of a committed debit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Debit {
    /// Release id in the ledger.
    pub release_id: u64,
    /// Budget after the debit.
    pub status: BudgetStatus,
}

fn status(budget: u64, spent: u64, cap: u64, dataset_spent: u64) -> BudgetStatus {
    let e = |u: u64| Units(u).epsilon();
    let dataset_remaining = cap.saturating_sub(dataset_spent);
    BudgetStatus {
        analyst_budget: e(budget),
        analyst_spent: e(spent),
        analyst_remaining: e(budget.saturating_sub(spent).min(dataset_remaining)),
        dataset_cap: e(cap),
        dataset_spent: e(dataset_spent),
        dataset_remaining: e(dataset_remaining),
    }
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|_| Error::Storage(StorageError::Corrupt))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|_| Error::Internal)
}

/// Validates a name (dataset, analyst, team).
pub fn check_name(kind: &'static str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName(kind))
    }
}

/// The store.
pub struct Store {
    db: Database,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Opens (or creates) the store file. A damaged file, a file locked by another process or
    /// a file of another format version is refused, never re-initialised.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let found = meta.get("format_version")?.map(|v| v.value());
            match found {
                Some(v) if v != FORMAT_VERSION => {
                    return Err(Error::Storage(StorageError::FormatVersion {
                        found: v,
                        expected: FORMAT_VERSION,
                    }));
                }
                Some(_) => {}
                None => {
                    meta.insert("format_version", FORMAT_VERSION)?;
                }
            }
            txn.open_table(ANALYSTS)?;
            txn.open_table(TOKENS)?;
            txn.open_table(DATASETS)?;
            txn.open_table(DATASET_CAPS)?;
            txn.open_table(DATASET_SPENT)?;
            txn.open_table(BUDGETS)?;
            txn.open_table(SPENT)?;
            txn.open_table(RELEASES)?;
            txn.open_table(POLICY)?;
        }
        txn.commit()?;
        Ok(Self { db })
    }

    /// Creates an analyst and returns its token (shown once).
    pub fn create_analyst(&self, id: &str, team: &str) -> Result<Token> {
        check_name("analyst id", id)?;
        check_name("team", team)?;
        let token = Token::generate();
        let hash = token_hash(token.expose());
        let txn = self.db.begin_write()?;
        {
            let mut analysts = txn.open_table(ANALYSTS)?;
            if analysts.get(id)?.is_some() {
                return Err(Error::AlreadyExists("analyst"));
            }
            let record = Analyst {
                id: id.to_owned(),
                team: team.to_owned(),
                token_hash: hex::encode(hash),
            };
            analysts.insert(id, encode(&record)?.as_slice())?;
            txn.open_table(TOKENS)?.insert(hash.as_slice(), id)?;
        }
        txn.commit()?;
        Ok(token)
    }

    /// Replaces an analyst's token; the old one stops working.
    pub fn rotate_token(&self, id: &str) -> Result<Token> {
        let token = Token::generate();
        let hash = token_hash(token.expose());
        let txn = self.db.begin_write()?;
        {
            let mut analysts = txn.open_table(ANALYSTS)?;
            let mut record: Analyst = match analysts.get(id)? {
                Some(v) => decode(v.value())?,
                None => return Err(Error::UnknownAnalyst),
            };
            let old = hex::decode(&record.token_hash).map_err(|_| StorageError::Corrupt)?;
            let mut tokens = txn.open_table(TOKENS)?;
            tokens.remove(old.as_slice())?;
            tokens.insert(hash.as_slice(), id)?;
            record.token_hash = hex::encode(hash);
            analysts.insert(id, encode(&record)?.as_slice())?;
        }
        txn.commit()?;
        Ok(token)
    }

    /// Finds the analyst holding `token`, comparing digests in constant time.
    pub fn authenticate(&self, token: &str) -> Result<Option<Analyst>> {
        let hash = token_hash(token);
        let txn = self.db.begin_read()?;
        let tokens = txn.open_table(TOKENS)?;
        let Some(id) = tokens.get(hash.as_slice())? else {
            return Ok(None);
        };
        let analysts = txn.open_table(ANALYSTS)?;
        let Some(record) = analysts.get(id.value())? else {
            return Ok(None);
        };
        let analyst: Analyst = decode(record.value())?;
        let stored = hex::decode(&analyst.token_hash).map_err(|_| StorageError::Corrupt)?;
        if bool::from(stored.as_slice().ct_eq(hash.as_slice())) {
            Ok(Some(analyst))
        } else {
            Ok(None)
        }
    }

    /// Looks an analyst up by id.
    pub fn analyst(&self, id: &str) -> Result<Option<Analyst>> {
        let txn = self.db.begin_read()?;
        let analysts = txn.open_table(ANALYSTS)?;
        analysts.get(id)?.map(|v| decode(v.value())).transpose()
    }

    /// Registers a dataset with its global cap. Datasets are immutable once registered.
    pub fn register_dataset(&self, record: &DatasetRecord, cap: BudgetEpsilon) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut datasets = txn.open_table(DATASETS)?;
            if datasets.get(record.name.as_str())?.is_some() {
                return Err(Error::AlreadyExists("dataset"));
            }
            datasets.insert(record.name.as_str(), encode(record)?.as_slice())?;
            txn.open_table(DATASET_CAPS)?
                .insert(record.name.as_str(), cap.cap().0)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Whether a dataset name is registered.
    pub fn has_dataset(&self, name: &str) -> Result<bool> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(DATASETS)?.get(name)?.is_some())
    }

    /// All registered datasets.
    pub fn datasets(&self) -> Result<Vec<DatasetRecord>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(DATASETS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (_, v) = entry?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    /// Sets a dataset's global cap.
    pub fn set_dataset_cap(&self, dataset: &str, cap: BudgetEpsilon) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            if txn.open_table(DATASETS)?.get(dataset)?.is_none() {
                return Err(Error::UnknownDataset);
            }
            txn.open_table(DATASET_CAPS)?.insert(dataset, cap.cap().0)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Sets an analyst's budget on a dataset (total, including what was already spent).
    pub fn set_budget(&self, analyst: &str, dataset: &str, budget: BudgetEpsilon) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            if txn.open_table(ANALYSTS)?.get(analyst)?.is_none() {
                return Err(Error::UnknownAnalyst);
            }
            if txn.open_table(DATASETS)?.get(dataset)?.is_none() {
                return Err(Error::UnknownDataset);
            }
            txn.open_table(BUDGETS)?
                .insert((analyst, dataset), budget.cap().0)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Current budget status.
    pub fn budget(&self, analyst: &str, dataset: &str) -> Result<BudgetStatus> {
        let txn = self.db.begin_read()?;
        let get2 = |t: TableDefinition<(&str, &str), u64>| -> Result<u64> {
            Ok(txn
                .open_table(t)?
                .get((analyst, dataset))?
                .map(|v| v.value())
                .unwrap_or(0))
        };
        let budget = get2(BUDGETS)?;
        let spent = get2(SPENT)?;
        let get1 = |t: TableDefinition<&str, u64>| -> Result<u64> {
            Ok(txn
                .open_table(t)?
                .get(dataset)?
                .map(|v| v.value())
                .unwrap_or(0))
        };
        Ok(status(
            budget,
            spent,
            get1(DATASET_CAPS)?,
            get1(DATASET_SPENT)?,
        ))
    }

    /// Atomically checks both budgets and debits `charge`, recording the release. Commits
    /// durably before returning; on refusal nothing is written.
    pub fn debit(
        &self,
        analyst: &str,
        dataset: &str,
        charge: Units,
        query: &serde_json::Value,
        now: u64,
    ) -> Result<Debit> {
        let txn = self.db.begin_write()?;
        let outcome = (|| -> Result<Debit> {
            let budget = txn
                .open_table(BUDGETS)?
                .get((analyst, dataset))?
                .map(|v| v.value())
                .unwrap_or(0);
            let mut spent_table = txn.open_table(SPENT)?;
            let spent = spent_table
                .get((analyst, dataset))?
                .map(|v| v.value())
                .unwrap_or(0);
            let cap = txn
                .open_table(DATASET_CAPS)?
                .get(dataset)?
                .map(|v| v.value())
                .unwrap_or(0);
            let mut dataset_spent_table = txn.open_table(DATASET_SPENT)?;
            let dataset_spent = dataset_spent_table
                .get(dataset)?
                .map(|v| v.value())
                .unwrap_or(0);

            let new_spent = spent.checked_add(charge.0).ok_or(StorageError::Overflow)?;
            let new_dataset_spent = dataset_spent
                .checked_add(charge.0)
                .ok_or(StorageError::Overflow)?;
            if new_spent > budget {
                return Err(Error::BudgetExhausted(BudgetScope::Analyst));
            }
            if new_dataset_spent > cap {
                return Err(Error::BudgetExhausted(BudgetScope::Dataset));
            }
            spent_table.insert((analyst, dataset), new_spent)?;
            dataset_spent_table.insert(dataset, new_dataset_spent)?;
            let mut releases = txn.open_table(RELEASES)?;
            let release_id = releases.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
            let record = Release {
                id: release_id,
                analyst: analyst.to_owned(),
                dataset: dataset.to_owned(),
                query: query.clone(),
                epsilon: charge.epsilon(),
                charge_units: charge,
                at: now,
            };
            releases.insert(release_id, encode(&record)?.as_slice())?;
            Ok(Debit {
                release_id,
                status: status(budget, new_spent, cap, new_dataset_spent),
            })
        })();
        match outcome {
            Ok(debit) => {
                // Durability::Immediate is redb's default: commit returns once it is on disk.
                txn.commit()?;
                Ok(debit)
            }
            Err(e) => {
                txn.abort()?;
                Err(e)
            }
        }
    }

    /// The release ledger, optionally for one dataset, oldest first.
    pub fn releases(&self, dataset: Option<&str>) -> Result<Vec<Release>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RELEASES)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (_, v) = entry?;
            let release: Release = decode(v.value())?;
            if dataset.is_none_or(|d| d == release.dataset) {
                out.push(release);
            }
        }
        Ok(out)
    }

    /// The access policy (empty: everything denied).
    pub fn policy(&self) -> Result<Policy> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(POLICY)?;
        match table.get("current")? {
            Some(v) => decode(v.value()),
            None => Ok(Policy::default()),
        }
    }

    /// Replaces the access policy.
    pub fn set_policy(&self, policy: &Policy) -> Result<()> {
        policy.validate()?;
        let txn = self.db.begin_write()?;
        txn.open_table(POLICY)?
            .insert("current", encode(policy)?.as_slice())?;
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::QueryEpsilon;

    fn record(name: &str) -> DatasetRecord {
        DatasetRecord {
            name: name.into(),
            schema: SchemaDoc {
                columns: vec![],
                max_rows_per_person: 1,
                description: None,
            },
            csv_sha256: String::new(),
            rows: 0,
            registered_at: 0,
        }
    }

    #[test]
    fn tokens_authenticate_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let token = store.create_analyst("alice", "health").unwrap();
        assert!(format!("{token:?}").contains("redacted"));
        let a = store.authenticate(token.expose()).unwrap().unwrap();
        assert_eq!(a.id, "alice");
        assert!(store.authenticate("pdp_wrong").unwrap().is_none());
        let new = store.rotate_token("alice").unwrap();
        assert!(store.authenticate(token.expose()).unwrap().is_none());
        assert!(store.authenticate(new.expose()).unwrap().is_some());
        assert!(matches!(
            store.create_analyst("alice", "x"),
            Err(Error::AlreadyExists(_))
        ));
    }

    #[test]
    fn debit_respects_both_budgets_and_refusals_spend_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        store.create_analyst("a", "t").unwrap();
        store.create_analyst("b", "t").unwrap();
        store
            .register_dataset(&record("d"), BudgetEpsilon::new(1.5).unwrap())
            .unwrap();
        store
            .set_budget("a", "d", BudgetEpsilon::new(1.0).unwrap())
            .unwrap();
        store
            .set_budget("b", "d", BudgetEpsilon::new(1.0).unwrap())
            .unwrap();
        let half = QueryEpsilon::new(0.4).unwrap().charge();
        let q = serde_json::json!({});
        store.debit("a", "d", half, &q, 0).unwrap();
        store.debit("a", "d", half, &q, 0).unwrap();
        assert!(matches!(
            store.debit("a", "d", half, &q, 0),
            Err(Error::BudgetExhausted(BudgetScope::Analyst))
        ));
        store.debit("b", "d", half, &q, 0).unwrap();
        assert!(matches!(
            store.debit("b", "d", half, &q, 0),
            Err(Error::BudgetExhausted(BudgetScope::Dataset))
        ));
        assert_eq!(store.releases(Some("d")).unwrap().len(), 3);
        let s = store.budget("b", "d").unwrap();
        assert!(s.analyst_spent > 0.39 && s.analyst_spent < 0.41);
    }

    #[test]
    fn refuses_other_format_version_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        std::fs::write(
            &path,
            b"this is not a redb file, it is just some text padding ...",
        )
        .unwrap();
        assert!(Store::open(&path).is_err());
        let path2 = dir.path().join("v.redb");
        {
            let db = Database::create(&path2).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META)
                .unwrap()
                .insert("format_version", 99)
                .unwrap();
            txn.commit().unwrap();
        }
        assert!(matches!(
            Store::open(&path2),
            Err(Error::Storage(StorageError::FormatVersion {
                found: 99,
                ..
            }))
        ));
    }
}
