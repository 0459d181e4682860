//! Single-use nonces with expiry, persisted in `redb` so that a replayed presentation is
//! refused after a restart as well (security.md, key binding: "single-use nonce").
//!
//! A nonce is issued with an expiry. Consuming it is one write transaction that moves it from
//! the `issued` table to the `used` table: a second consumption finds it in `used`
//! ([`NonceError::Replayed`]); an unknown or expired nonce is refused too. Used nonces are
//! kept until their expiry has passed (after that an expired nonce is refused anyway) and are
//! then purged.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore as _;
use redb::{
    Database, ReadableDatabase as _, ReadableTable as _, ReadableTableMetadata as _,
    TableDefinition,
};

use crate::error::StoreError;

const ISSUED: TableDefinition<&str, i64> = TableDefinition::new("nonces_issued");
const USED: TableDefinition<&str, i64> = TableDefinition::new("nonces_used");

/// Longest nonce accepted for lookup (a bound on untrusted input).
pub const MAX_NONCE_LEN: usize = 128;

/// Why a nonce was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// This verifier never issued it (or it was purged long after expiry).
    #[error("unknown nonce")]
    Unknown,
    /// Issued, but its lifetime has passed.
    #[error("nonce expired")]
    Expired,
    /// Already consumed by an earlier presentation.
    #[error("nonce already used")]
    Replayed,
}

/// The nonce store.
#[derive(Clone)]
pub struct NonceStore {
    db: Arc<Database>,
}

impl std::fmt::Debug for NonceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceStore")
    }
}

impl NonceStore {
    /// A store in `db` (tables are created on first use).
    pub fn new(db: Arc<Database>) -> Result<Self, StoreError> {
        let txn = db.begin_write()?;
        txn.open_table(ISSUED)?;
        txn.open_table(USED)?;
        txn.commit()?;
        Ok(Self { db })
    }

    /// Issues a fresh nonce (256 random bits, base64url) valid until `now + lifetime`.
    pub fn issue(&self, now: DateTime<Utc>, lifetime: TimeDelta) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let nonce = credentials::base64url::encode(bytes);
        let expires = (now + lifetime).timestamp();
        let txn = self.db.begin_write()?;
        txn.open_table(ISSUED)?.insert(nonce.as_str(), expires)?;
        txn.commit()?;
        Ok(nonce)
    }

    /// Consumes `nonce` at `now`: succeeds once for an issued, unexpired nonce. The change is
    /// durable when this returns (redb commits with immediate durability).
    pub fn consume(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(), NonceError>, StoreError> {
        if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
            return Ok(Err(NonceError::Unknown));
        }
        let txn = self.db.begin_write()?;
        let outcome = {
            let mut issued = txn.open_table(ISSUED)?;
            let mut used = txn.open_table(USED)?;
            if used.get(nonce)?.is_some() {
                Err(NonceError::Replayed)
            } else {
                match issued.remove(nonce)?.map(|g| g.value()) {
                    None => Err(NonceError::Unknown),
                    Some(expires) => {
                        used.insert(nonce, expires)?;
                        if now.timestamp() >= expires {
                            Err(NonceError::Expired)
                        } else {
                            Ok(())
                        }
                    }
                }
            }
        };
        txn.commit()?;
        Ok(outcome)
    }

    /// Whether `nonce` was issued, is unexpired and unused (does not consume it).
    pub fn is_pending(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let issued = txn.open_table(ISSUED)?;
        Ok(issued
            .get(nonce)?
            .is_some_and(|e| now.timestamp() < e.value()))
    }

    /// Removes every record whose expiry lies more than `grace` in the past; returns how
    /// many. A purged nonce is refused as unknown.
    pub fn purge(&self, now: DateTime<Utc>, grace: TimeDelta) -> Result<usize, StoreError> {
        let cutoff = (now - grace).timestamp();
        let txn = self.db.begin_write()?;
        let mut removed = 0;
        for def in [ISSUED, USED] {
            let mut table = txn.open_table(def)?;
            let before = table.len()?;
            table.retain(|_, expires| expires >= cutoff)?;
            removed += usize::try_from(before - table.len()?).unwrap_or(0);
        }
        txn.commit()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &tempfile::TempDir) -> NonceStore {
        let db = Database::create(dir.path().join("v.redb")).unwrap();
        NonceStore::new(Arc::new(db)).unwrap()
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_nonce_is_consumed_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir);
        let n = s.issue(t(0), TimeDelta::seconds(60)).unwrap();
        assert!(s.is_pending(&n, t(1)).unwrap());
        assert_eq!(s.consume(&n, t(1)).unwrap(), Ok(()));
        assert_eq!(s.consume(&n, t(2)).unwrap(), Err(NonceError::Replayed));
        assert!(!s.is_pending(&n, t(2)).unwrap());
    }

    #[test]
    fn unknown_and_expired_nonces_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir);
        assert_eq!(
            s.consume("never-issued", t(0)).unwrap(),
            Err(NonceError::Unknown)
        );
        assert_eq!(s.consume("", t(0)).unwrap(), Err(NonceError::Unknown));
        let n = s.issue(t(0), TimeDelta::seconds(60)).unwrap();
        assert_eq!(s.consume(&n, t(60)).unwrap(), Err(NonceError::Expired));
        // An expired nonce stays burnt.
        assert_eq!(s.consume(&n, t(10)).unwrap(), Err(NonceError::Replayed));
    }

    #[test]
    fn replay_is_refused_after_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let n = {
            let s = store(&dir);
            let n = s.issue(t(0), TimeDelta::seconds(600)).unwrap();
            assert_eq!(s.consume(&n, t(1)).unwrap(), Ok(()));
            n
        };
        let s = store(&dir);
        assert_eq!(s.consume(&n, t(2)).unwrap(), Err(NonceError::Replayed));
    }

    #[test]
    fn purge_drops_only_long_expired_records() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir);
        let old = s.issue(t(0), TimeDelta::seconds(10)).unwrap();
        let fresh = s.issue(t(0), TimeDelta::seconds(1000)).unwrap();
        assert_eq!(s.purge(t(100), TimeDelta::seconds(60)).unwrap(), 1);
        assert_eq!(s.consume(&old, t(100)).unwrap(), Err(NonceError::Unknown));
        assert_eq!(s.consume(&fresh, t(100)).unwrap(), Ok(()));
    }
}
