//! Presentation requests in `redb`: one JSON record per request, and the wallet-facing key
//! that maps to it. State transitions are single write transactions, so two racing responses
//! cannot both complete a request.

use std::sync::Arc;

use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::StoreError;
use crate::policy::Policy;

const REQUESTS: TableDefinition<&str, &[u8]> = TableDefinition::new("presentation_requests");
const KEYS: TableDefinition<&str, &str> = TableDefinition::new("presentation_request_keys");

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for the wallet.
    Pending,
    /// A response was verified.
    Verified,
    /// A response was received and failed verification (or the wallet declined).
    Rejected,
    /// No response arrived in time.
    Expired,
}

impl RequestState {
    /// Whether the request can still change.
    pub fn is_final(self) -> bool {
        self != RequestState::Pending
    }
}

/// A verified credential as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialView {
    /// The issuer DID.
    pub issuer: String,
    /// `dc+sd-jwt` or `ldp_vc`.
    pub format: String,
    /// The disclosed claims only.
    pub claims: Map<String, Value>,
    /// Claims disclosed without being asked for.
    #[serde(default)]
    pub unrequested_claims: Vec<String>,
}

/// A failed check as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckView {
    /// The credential query id, if the check concerned one credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// What was checked.
    pub check: String,
    /// The stable code.
    pub code: String,
    /// A short explanation (never a claim value).
    pub detail: String,
}

/// One presentation request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The relying party's handle (status, events): unguessable.
    pub id: String,
    /// The wallet's handle (request object, response endpoint): unguessable, distinct from
    /// `id` so that whoever sees the QR code cannot read the outcome.
    pub key: String,
    /// Current state (see [`RequestRecord::effective_state`] for expiry).
    pub state: RequestState,
    /// Creation time (unix seconds).
    pub created_at: i64,
    /// Expiry (unix seconds).
    pub expires_at: i64,
    /// The nonce bound into the presentation.
    pub nonce: String,
    /// The OAuth `state` parameter.
    pub oauth_state: String,
    /// The DCQL query (JSON).
    pub dcql_query: Value,
    /// The policy.
    pub policy: Policy,
    /// Whether the wallet fetched the request object (it may do so once).
    pub fetched: bool,
    /// Verified credentials (state `verified`).
    #[serde(default)]
    pub credentials: Vec<CredentialView>,
    /// Failed checks (state `rejected`).
    #[serde(default)]
    pub failed_checks: Vec<CheckView>,
}

impl RequestRecord {
    /// The state at `now`: a pending request past its expiry is expired.
    pub fn effective_state(&self, now: i64) -> RequestState {
        if self.state == RequestState::Pending && now >= self.expires_at {
            RequestState::Expired
        } else {
            self.state
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Applied.
    Done,
    /// No such request.
    NotFound,
    /// The request is not in a state that allows it.
    Refused,
}

/// The request store.
#[derive(Clone)]
pub struct RequestStore {
    db: Arc<Database>,
}

impl RequestStore {
    /// A store in `db`.
    pub fn new(db: Arc<Database>) -> Result<Self, StoreError> {
        let txn = db.begin_write()?;
        txn.open_table(REQUESTS)?;
        txn.open_table(KEYS)?;
        txn.commit()?;
        Ok(Self { db })
    }

    /// Saves a new record.
    pub fn insert(&self, record: &RequestRecord) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(record).unwrap_or_default();
        let txn = self.db.begin_write()?;
        txn.open_table(REQUESTS)?
            .insert(record.id.as_str(), bytes.as_slice())?;
        txn.open_table(KEYS)?
            .insert(record.key.as_str(), record.id.as_str())?;
        txn.commit()?;
        Ok(())
    }

    /// The record with `id`.
    pub fn get(&self, id: &str) -> Result<Option<RequestRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(REQUESTS)?;
        Ok(table
            .get(id)?
            .and_then(|g| serde_json::from_slice(g.value()).ok()))
    }

    /// The id of the record with wallet key `key`.
    pub fn id_for_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(KEYS)?;
        Ok(table.get(key)?.map(|g| g.value().to_owned()))
    }

    /// Applies `change` to the record in one write transaction if `allowed` holds for it.
    pub fn update(
        &self,
        id: &str,
        allowed: impl FnOnce(&RequestRecord) -> bool,
        change: impl FnOnce(&mut RequestRecord),
    ) -> Result<Transition, StoreError> {
        let txn = self.db.begin_write()?;
        let outcome = {
            let mut table = txn.open_table(REQUESTS)?;
            let current: Option<RequestRecord> = table
                .get(id)?
                .and_then(|g| serde_json::from_slice(g.value()).ok());
            match current {
                None => Transition::NotFound,
                Some(record) if !allowed(&record) => Transition::Refused,
                Some(mut record) => {
                    change(&mut record);
                    let bytes = serde_json::to_vec(&record).unwrap_or_default();
                    table.insert(id, bytes.as_slice())?;
                    Transition::Done
                }
            }
        };
        txn.commit()?;
        Ok(outcome)
    }

    /// Removes records that expired more than `grace_secs` before `now`.
    pub fn purge(&self, now: i64, grace_secs: i64) -> Result<usize, StoreError> {
        let txn = self.db.begin_write()?;
        let mut removed_keys = Vec::new();
        {
            let mut table = txn.open_table(REQUESTS)?;
            table.retain(
                |_, bytes| match serde_json::from_slice::<RequestRecord>(bytes) {
                    Ok(r) if r.expires_at + grace_secs < now => {
                        removed_keys.push(r.key);
                        false
                    }
                    _ => true,
                },
            )?;
        }
        {
            let mut keys = txn.open_table(KEYS)?;
            for key in &removed_keys {
                keys.remove(key.as_str())?;
            }
        }
        txn.commit()?;
        Ok(removed_keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, expires_at: i64) -> RequestRecord {
        RequestRecord {
            id: id.into(),
            key: format!("key-{id}"),
            state: RequestState::Pending,
            created_at: 0,
            expires_at,
            nonce: "n".into(),
            oauth_state: "s".into(),
            dcql_query: Value::Null,
            policy: Policy::trusting(vec!["did:key:z6Mk".into()]),
            fetched: false,
            credentials: Vec::new(),
            failed_checks: Vec::new(),
        }
    }

    #[test]
    fn transitions_apply_once_and_purge_removes_old_records_with_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = RequestStore::new(Arc::new(
            Database::create(dir.path().join("s.redb")).unwrap(),
        ))
        .unwrap();
        store.insert(&record("old", 100)).unwrap();
        store.insert(&record("new", 10_000)).unwrap();
        let pending = |r: &RequestRecord| r.state == RequestState::Pending;
        let verify = |r: &mut RequestRecord| r.state = RequestState::Verified;
        assert_eq!(
            store.update("new", pending, verify).unwrap(),
            Transition::Done
        );
        assert_eq!(
            store.update("new", pending, verify).unwrap(),
            Transition::Refused
        );
        assert_eq!(
            store.update("none", pending, verify).unwrap(),
            Transition::NotFound
        );
        assert_eq!(
            store.get("old").unwrap().unwrap().effective_state(99),
            RequestState::Pending
        );
        assert_eq!(
            store.get("old").unwrap().unwrap().effective_state(100),
            RequestState::Expired
        );
        assert_eq!(store.purge(1000, 500).unwrap(), 1);
        assert!(store.get("old").unwrap().is_none());
        assert!(store.id_for_key("key-old").unwrap().is_none());
        assert_eq!(store.id_for_key("key-new").unwrap().as_deref(), Some("new"));
    }
}
