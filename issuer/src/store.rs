//! Durable state behind one narrow trait, [`Store`], and its embedded implementation on
//! redb, [`RedbStore`].
//!
//! The trait speaks in domain operations (redeem a pre-authorized code, record an issuance,
//! change a credential's status), each of which is **one atomic transaction that also appends
//! its audit entry**, so a later PostgreSQL implementation has exactly these transactions to
//! reproduce. The store never reads the clock (`now` is passed in, Unix seconds) and draws
//! randomness only from the RNG it is handed.
//!
//! **Every write commits with `Durability::Immediate` before it returns**: a write the API
//! acknowledged survives `kill -9` (shown by `tests/it/crash.rs`). A damaged file or one of
//! another format version is refused, never re-initialised.

use std::path::Path;

use rand::RngCore;
use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    WriteTransaction,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::credential_type::CredentialType;
use crate::error::StoreError;

/// The data format version this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// The database file name under `--data`.
pub const DB_FILE: &str = "issuer.redb";

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const KEYRING: TableDefinition<&str, &[u8]> = TableDefinition::new("keyring");
const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("admin_tokens");
const TYPES: TableDefinition<&str, &[u8]> = TableDefinition::new("credential_types");
const OFFERS: TableDefinition<&str, &[u8]> = TableDefinition::new("offers");
const PRE_AUTH: TableDefinition<&[u8], &str> = TableDefinition::new("pre_authorized_codes");
const GRANTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("access_grants");
const NONCES: TableDefinition<&[u8], i64> = TableDefinition::new("nonces");
const CREDENTIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("credentials");
const LISTS: TableDefinition<u64, &[u8]> = TableDefinition::new("status_lists");
const LIST_BITS: TableDefinition<u64, &[u8]> = TableDefinition::new("status_list_bits");
const LIST_ALLOC: TableDefinition<(u64, u64), ()> = TableDefinition::new("status_allocations");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

const META_VERSION: &str = "format_version";
const META_OPEN_TOKEN_LIST: &str = "open_list_token";
const META_OPEN_BITSTRING_LIST: &str = "open_list_bitstring";

/// The hash that precedes the first audit entry.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who may do what with the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including credential types, tokens and key rotation.
    Admin,
    /// Creating offers, listing credentials, revoking/suspending.
    Operator,
}

impl Role {
    /// The role name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }
}

/// A stored admin API token (only its SHA-256 is stored, as the table key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Short public identifier (used as the audit actor).
    pub id: String,
    /// The role.
    pub role: Role,
    /// A label for humans.
    pub label: String,
    /// Creation time.
    pub created_at: i64,
}

/// The issuer's keys, encrypted (see [`crate::keyring`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyringRecord {
    /// How the wrapping key is derived from the configured secret.
    pub kdf: KdfParams,
    /// All keys ever created, oldest first; the last one not retired signs.
    pub keys: Vec<StoredKey>,
}

/// Wrapping-key derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alg", rename_all = "snake_case")]
pub enum KdfParams {
    /// Argon2id over a passphrase (`ISSUER_KEY_SECRET`).
    Argon2id {
        /// Memory in KiB.
        m_kib: u32,
        /// Iterations.
        t: u32,
        /// Lanes.
        p: u32,
        /// Hex salt (16 bytes).
        salt: String,
    },
    /// HKDF-SHA256 over a random key file's bytes.
    HkdfSha256 {
        /// Hex salt (16 bytes).
        salt: String,
    },
}

/// One encrypted signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    /// Key id, unique in the keyring (`key-1`, `key-2`, ...).
    pub kid: String,
    /// The public key as Multikey.
    pub public_multikey: String,
    /// Creation time.
    pub created_at: i64,
    /// When it stopped signing (rotation), if it did.
    pub retired_at: Option<i64>,
    /// Hex 24-byte XChaCha20-Poly1305 nonce.
    pub nonce: String,
    /// Hex ciphertext of the 32-byte seed.
    pub ciphertext: String,
}

/// A tx_code requirement of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCodeRecord {
    /// Hex SHA-256 of the code.
    pub sha256: String,
    /// Number of characters.
    pub length: u32,
    /// `numeric` or `text`.
    pub input_mode: String,
    /// Guidance for the holder.
    pub description: Option<String>,
}

/// Where an offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    /// Created, code not used.
    Pending,
    /// The pre-authorized code was exchanged for an access token.
    Redeemed,
    /// The credential was issued; the claims are gone from the record.
    Issued,
    /// Too many wrong tx_codes: the code is burned.
    Locked,
    /// Expired before redemption; claims and code were purged.
    Expired,
    /// Cancelled by an operator before redemption; claims and code were purged.
    Cancelled,
}

/// A credential offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferRecord {
    /// Offer id.
    pub id: String,
    /// The credential configuration offered.
    pub configuration_id: String,
    /// The claims to issue; `None` once issued (data minimisation).
    pub claims: Option<Map<String, Value>>,
    /// The tx_code requirement, if any.
    pub tx_code: Option<TxCodeRecord>,
    /// Creation time.
    pub created_at: i64,
    /// The pre-authorized code's expiry.
    pub expires_at: i64,
    /// State.
    pub state: OfferState,
    /// Failed tx_code attempts.
    pub tx_code_failures: u32,
    /// The issued credential, once issued.
    pub credential_id: Option<String>,
    /// The pre-authorized code while it is unused (to render the offer and its QR code
    /// again); cleared when redeemed. Lookups go through its SHA-256.
    pub pre_authorized_code: Option<String>,
    /// Hex SHA-256 of the access token granted for the code, to revoke it if the code is
    /// replayed (RFC 6749 section 4.1.2).
    #[serde(default)]
    pub grant_sha256: Option<String>,
    /// The token id that created it.
    pub created_by: String,
}

/// An access token granted for one offer (stored under the token's SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessGrant {
    /// The offer.
    pub offer_id: String,
    /// The configuration it may obtain.
    pub configuration_id: String,
    /// Expiry.
    pub expires_at: i64,
    /// True once a credential was issued with it.
    pub used: bool,
}

/// Why a pre-authorized code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantRefusal {
    /// No such code.
    Unknown,
    /// Past its expiry.
    Expired,
    /// Already exchanged (replay) or burned.
    AlreadyUsed,
    /// The offer requires a tx_code and none was sent.
    TxCodeRequired,
    /// Wrong tx_code (counted).
    TxCodeMismatch,
}

/// Kind of status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusListKind {
    /// IETF Token Status List (SD-JWT VC), 2 bits per entry.
    Token,
    /// W3C Bitstring Status List (ldp_vc): one revocation and one suspension view.
    Bitstring,
}

/// A status list's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListMeta {
    /// List id.
    pub id: u64,
    /// Kind.
    pub kind: StatusListKind,
    /// Number of entries.
    pub size: u64,
    /// Allocated entries.
    pub allocated: u64,
    /// Bumped on every status change (cache key of the signed publication).
    pub revision: u64,
    /// The key id whose key signs this list's publications: the key that was active when the
    /// list was opened, so the list's signer is always the issuer (DID) of its credentials.
    pub kid: String,
    /// Creation time.
    pub created_at: i64,
}

/// A credential's status entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRef {
    /// Kind of list.
    pub kind: StatusListKind,
    /// List id.
    pub list: u64,
    /// Index in the list.
    pub index: u64,
}

/// A credential's current status. The numeric values are the Token Status List values
/// (draft-ietf-oauth-status-list section 7.1): VALID 0, INVALID 1, SUSPENDED 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialState {
    /// Valid.
    Active,
    /// Revoked (final).
    Revoked,
    /// Suspended (reversible).
    Suspended,
}

impl CredentialState {
    /// The 2-bit status value.
    pub fn value(self) -> u8 {
        match self {
            CredentialState::Active => 0,
            CredentialState::Revoked => 1,
            CredentialState::Suspended => 2,
        }
    }
}

/// An admin status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Active or suspended -> revoked.
    Revoke,
    /// Active -> suspended.
    Suspend,
    /// Suspended -> active.
    Unsuspend,
}

/// What the issuer keeps about an issued credential: no claim values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCredential {
    /// Credential id (also the `jti` / `id` of the credential).
    pub id: String,
    /// The credential configuration, or `vc-api` for VC-API issuance.
    pub configuration_id: String,
    /// `dc+sd-jwt` or `ldp_vc`.
    pub format: String,
    /// The offer it came from.
    pub offer_id: Option<String>,
    /// The holder key (JWK thumbprint URI) or DID.
    pub holder: Option<String>,
    /// Status entry.
    pub status: Option<StatusRef>,
    /// Current status.
    pub state: CredentialState,
    /// Issuance time.
    pub issued_at: i64,
    /// Expiry, if any.
    pub valid_until: Option<i64>,
}

/// What an audit entry records; the store adds sequence, time and chain hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDraft {
    /// Token id, `wallet` (OpenID4VCI) or `system`.
    pub actor: String,
    /// Stable action name (`offer.create`, `credential.revoke`, ...).
    pub action: &'static str,
    /// The object acted on (ids only).
    pub target: Option<String>,
    /// Non-personal details.
    pub details: Value,
}

impl AuditDraft {
    /// A draft with empty details.
    pub fn new(actor: impl Into<String>, action: &'static str, target: Option<String>) -> Self {
        Self {
            actor: actor.into(),
            action,
            target,
            details: Value::Object(Map::new()),
        }
    }

    /// With details.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// One entry of the hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number, from 1, without gaps.
    pub seq: u64,
    /// Time.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// Details.
    pub details: Value,
    /// Hash of the previous entry (genesis: 64 zeros).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash` and this entry's content.
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry.
    pub fn compute_hash(&self) -> String {
        let content = serde_json::json!([
            self.seq,
            self.at,
            self.actor,
            self.action,
            self.target,
            self.details
        ]);
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(content.to_string().as_bytes());
        hex::encode(h.finalize())
    }
}

/// Why an audit chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditChainError {
    /// A sequence number is missing (an entry was deleted) or out of order.
    #[error("audit entry {0} is missing")]
    Gap(u64),
    /// An entry's hash does not match its content (it was changed).
    #[error("audit entry {0} was altered")]
    Altered(u64),
    /// An entry does not link to its predecessor.
    #[error("audit entry {0} does not link to its predecessor")]
    Broken(u64),
}

/// Checks a full audit log, oldest first.
pub fn verify_audit_chain(entries: &[AuditEntry]) -> Result<(), AuditChainError> {
    let mut prev = AUDIT_GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if e.seq != expected_seq {
            return Err(AuditChainError::Gap(expected_seq));
        }
        if e.prev_hash != prev {
            return Err(AuditChainError::Broken(e.seq));
        }
        if e.compute_hash() != e.hash {
            return Err(AuditChainError::Altered(e.seq));
        }
        prev.clone_from(&e.hash);
    }
    Ok(())
}

/// The storage interface of the issuer. Implementations must make each method one atomic,
/// durable transaction.
pub trait Store: Send + Sync + 'static {
    /// The keyring, if created.
    fn keyring(&self) -> Result<Option<KeyringRecord>, StoreError>;
    /// Writes the keyring (creation or rotation) with its audit entry.
    fn save_keyring(
        &self,
        keyring: &KeyringRecord,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Adds a hashed admin token.
    fn add_admin_token(
        &self,
        sha256: [u8; 32],
        record: &TokenRecord,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError>;
    /// All hashed admin tokens.
    fn admin_tokens(&self) -> Result<Vec<([u8; 32], TokenRecord)>, StoreError>;
    /// Deletes the token with public id `id`.
    fn delete_admin_token(&self, id: &str, audit: AuditDraft, now: i64) -> Result<(), StoreError>;

    /// Creates (`replace = false`, refusing an existing id) or replaces a credential type.
    fn put_credential_type(
        &self,
        credential_type: &CredentialType,
        replace: bool,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError>;
    /// All credential types.
    fn credential_types(&self) -> Result<Vec<CredentialType>, StoreError>;

    /// Stores a new offer and its pre-authorized code hash.
    fn create_offer(
        &self,
        offer: &OfferRecord,
        code_sha256: [u8; 32],
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError>;
    /// One offer.
    fn offer(&self, id: &str) -> Result<Option<OfferRecord>, StoreError>;
    /// All offers, by id.
    fn offers(&self) -> Result<Vec<OfferRecord>, StoreError>;
    /// Cancels a pending offer: its claims and code are deleted and the code stops working.
    fn cancel_offer(
        &self,
        id: &str,
        audit: AuditDraft,
        now: i64,
    ) -> Result<OfferRecord, StoreError>;
    /// Exchanges a pre-authorized code for an access grant, single use, atomically.
    fn redeem_pre_authorized_code(
        &self,
        code_sha256: [u8; 32],
        tx_code: Option<&str>,
        token_sha256: [u8; 32],
        token_expires_at: i64,
        now: i64,
    ) -> Result<Result<OfferRecord, GrantRefusal>, StoreError>;
    /// The grant of an access token.
    fn access_grant(&self, token_sha256: [u8; 32]) -> Result<Option<AccessGrant>, StoreError>;

    /// Data minimisation: pending offers past their expiry lose their claims and code (state
    /// `expired`); expired access grants and nonces are deleted. Returns the number of offers
    /// purged; appends an `offer.expire` audit entry when there were any.
    fn purge_expired(&self, now: i64) -> Result<u64, StoreError>;

    /// Stores a fresh nonce (expired ones are dropped by [`Store::purge_expired`]).
    fn put_nonce(&self, sha256: [u8; 32], expires_at: i64, now: i64) -> Result<(), StoreError>;
    /// Consumes a nonce: true if it existed and had not expired. Single use.
    fn consume_nonce(&self, sha256: [u8; 32], now: i64) -> Result<bool, StoreError>;

    /// Allocates an unused, uniformly random index in an open list of `kind` bound to signing
    /// key `kid`, opening a new list of `size` entries when the current one is half full or
    /// belongs to another key.
    fn allocate_status(
        &self,
        kind: StatusListKind,
        size: u64,
        kid: &str,
        rng: &mut dyn RngCore,
        now: i64,
    ) -> Result<StatusRef, StoreError>;
    /// Records an issued credential. With `grant`, marks the access grant used and the offer
    /// issued (dropping its claims) in the same transaction, refusing a grant already used.
    fn record_issuance(
        &self,
        credential: &IssuedCredential,
        grant: Option<[u8; 32]>,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError>;
    /// All issued credentials, by id.
    fn credentials(&self) -> Result<Vec<IssuedCredential>, StoreError>;
    /// One issued credential.
    fn credential(&self, id: &str) -> Result<Option<IssuedCredential>, StoreError>;
    /// Changes a credential's status and its status-list entry in one transaction.
    fn change_status(
        &self,
        id: &str,
        change: StatusChange,
        audit: AuditDraft,
        now: i64,
    ) -> Result<IssuedCredential, StoreError>;
    /// A status list's metadata and its 2-bit entries (Token Status List layout), read from
    /// one snapshot.
    fn status_list(&self, id: u64) -> Result<Option<(StatusListMeta, Vec<u8>)>, StoreError>;
    /// All status lists.
    fn status_lists(&self) -> Result<Vec<StatusListMeta>, StoreError>;

    /// Appends an audit entry on its own.
    fn append_audit(&self, audit: AuditDraft, now: i64) -> Result<AuditEntry, StoreError>;
    /// Audit entries with `seq > after`, at most `limit`, oldest first.
    fn audit_entries(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
}

/// The embedded store.
pub struct RedbStore {
    db: Database,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbStore")
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|_| StoreError::Corrupt("record does not serialize"))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|_| StoreError::Corrupt("record does not decode"))
}

fn write_txn(db: &Database) -> Result<WriteTransaction, StoreError> {
    let mut txn = db.begin_write()?;
    // Immediate is redb's default; set it explicitly: acknowledged writes must be on disk.
    txn.set_durability(Durability::Immediate)
        .map_err(|_| StoreError::Corrupt("durability cannot be set"))?;
    Ok(txn)
}

/// Runs `f` in a write transaction, committing on `Ok` and aborting on `Err`.
fn with_write<T>(
    db: &Database,
    f: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let txn = write_txn(db)?;
    match f(&txn) {
        Ok(v) => {
            txn.commit()?;
            Ok(v)
        }
        Err(e) => {
            txn.abort()?;
            Err(e)
        }
    }
}

fn append_audit_in(
    txn: &WriteTransaction,
    draft: AuditDraft,
    now: i64,
) -> Result<AuditEntry, StoreError> {
    let mut table = txn.open_table(AUDIT)?;
    let (seq, prev_hash) = match table.last()? {
        Some((k, v)) => {
            let last: AuditEntry = decode(v.value())?;
            (k.value() + 1, last.hash)
        }
        None => (1, AUDIT_GENESIS.to_owned()),
    };
    let mut entry = AuditEntry {
        seq,
        at: now,
        actor: draft.actor,
        action: draft.action.to_owned(),
        target: draft.target,
        details: draft.details,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    table.insert(seq, encode(&entry)?.as_slice())?;
    Ok(entry)
}

/// Every value of a JSON-valued table, in key order; empty if the table was never written.
fn read_all_json<K: redb::Key + 'static, T: for<'de> Deserialize<'de>>(
    db: &Database,
    def: TableDefinition<K, &[u8]>,
) -> Result<Vec<T>, StoreError> {
    let txn = db.begin_read()?;
    let table = match txn.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for item in table.iter()? {
        let (_, v) = item?;
        out.push(decode(v.value())?);
    }
    Ok(out)
}

fn read_json<T: for<'de> Deserialize<'de>>(
    txn: &ReadTransaction,
    def: TableDefinition<&str, &[u8]>,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let table = match txn.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    table.get(key)?.map(|v| decode(v.value())).transpose()
}

/// Sets the 2-bit entry `index` (Token Status List layout: entry 0 in the least significant
/// bits of byte 0).
pub fn set_entry(bits: &mut [u8], index: u64, value: u8) {
    let byte = (index / 4) as usize;
    let shift = (index % 4) * 2;
    if let Some(b) = bits.get_mut(byte) {
        *b = (*b & !(0b11 << shift)) | ((value & 0b11) << shift);
    }
}

/// Reads the 2-bit entry `index`.
pub fn entry(bits: &[u8], index: u64) -> u8 {
    let byte = (index / 4) as usize;
    let shift = (index % 4) * 2;
    bits.get(byte).map(|b| (b >> shift) & 0b11).unwrap_or(0)
}

impl RedbStore {
    /// Opens the database under `dir`, creating it (and `dir`, mode 0700) on first start.
    ///
    /// Refuses a file that redb cannot open (damaged, not a redb file), a file without this
    /// service's format marker, and a file of another format version.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.exists() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Redb(redb::Error::Io(e)))?;
            restrict_permissions(dir);
        }
        let existed = path.exists();
        let db = if existed {
            Database::open(&path).map_err(StoreError::Open)?
        } else {
            Database::create(&path).map_err(StoreError::Open)?
        };
        let store = Self { db };
        store.check_or_init_format(existed)?;
        Ok(store)
    }

    fn check_or_init_format(&self, existed: bool) -> Result<(), StoreError> {
        let rtxn = self.db.begin_read()?;
        let version = match rtxn.open_table(META) {
            Ok(t) => t.get(META_VERSION)?.map(|v| v.value()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let table_count = rtxn.list_tables()?.count();
        drop(rtxn);
        match version {
            Some(FORMAT_VERSION) => Ok(()),
            Some(found) => Err(StoreError::FormatVersion {
                found,
                supported: FORMAT_VERSION,
            }),
            // A redb file with tables but no marker belongs to something else.
            None if existed && table_count > 0 => Err(StoreError::Corrupt(
                "not an issuer database (no format marker)",
            )),
            None => with_write(&self.db, |txn| {
                let mut meta = txn.open_table(META)?;
                meta.insert(META_VERSION, FORMAT_VERSION)?;
                Ok(())
            }),
        }
    }

    /// The database file under `dir`.
    pub fn path(dir: &Path) -> std::path::PathBuf {
        dir.join(DB_FILE)
    }

    #[cfg(test)]
    fn write_meta_for_test(&self, key: &str, value: u64) {
        with_write(&self.db, |txn| {
            txn.open_table(META)?.insert(key, value)?;
            Ok(())
        })
        .unwrap();
    }
}

#[cfg(unix)]
fn restrict_permissions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // Best effort: the directory holds the encrypted key and personal data of pending offers.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path) {}

fn meta_key(kind: StatusListKind) -> &'static str {
    match kind {
        StatusListKind::Token => META_OPEN_TOKEN_LIST,
        StatusListKind::Bitstring => META_OPEN_BITSTRING_LIST,
    }
}

/// Attempts at drawing a free index before giving up; lists are at most half full, so the
/// chance of 64 misses is below 2^-64.
const ALLOCATION_ATTEMPTS: usize = 64;

impl Store for RedbStore {
    fn keyring(&self) -> Result<Option<KeyringRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        read_json(&txn, KEYRING, "keyring")
    }

    fn save_keyring(
        &self,
        keyring: &KeyringRecord,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write(&self.db, |txn| {
            txn.open_table(KEYRING)?
                .insert("keyring", encode(keyring)?.as_slice())?;
            append_audit_in(txn, audit, now)?;
            Ok(())
        })
    }

    fn add_admin_token(
        &self,
        sha256: [u8; 32],
        record: &TokenRecord,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write(&self.db, |txn| {
            let mut t = txn.open_table(TOKENS)?;
            if t.get(sha256.as_slice())?.is_some() {
                return Err(StoreError::Conflict);
            }
            t.insert(sha256.as_slice(), encode(record)?.as_slice())?;
            drop(t);
            append_audit_in(txn, audit, now)?;
            Ok(())
        })
    }

    fn admin_tokens(&self) -> Result<Vec<([u8; 32], TokenRecord)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(TOKENS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for item in table.iter()? {
            let (k, v) = item?;
            let hash: [u8; 32] = k
                .value()
                .try_into()
                .map_err(|_| StoreError::Corrupt("token hash length"))?;
            out.push((hash, decode(v.value())?));
        }
        Ok(out)
    }

    fn delete_admin_token(&self, id: &str, audit: AuditDraft, now: i64) -> Result<(), StoreError> {
        with_write(&self.db, |txn| {
            let mut t = txn.open_table(TOKENS)?;
            let mut found = None;
            for item in t.iter()? {
                let (k, v) = item?;
                let record: TokenRecord = decode(v.value())?;
                if record.id == id {
                    found = Some(k.value().to_vec());
                }
            }
            let key = found.ok_or(StoreError::NotFound)?;
            t.remove(key.as_slice())?;
            drop(t);
            append_audit_in(txn, audit, now)?;
            Ok(())
        })
    }

    fn put_credential_type(
        &self,
        credential_type: &CredentialType,
        replace: bool,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write(&self.db, |txn| {
            let mut t = txn.open_table(TYPES)?;
            if !replace && t.get(credential_type.id.as_str())?.is_some() {
                return Err(StoreError::Conflict);
            }
            t.insert(
                credential_type.id.as_str(),
                encode(credential_type)?.as_slice(),
            )?;
            drop(t);
            append_audit_in(txn, audit, now)?;
            Ok(())
        })
    }

    fn credential_types(&self) -> Result<Vec<CredentialType>, StoreError> {
        read_all_json(&self.db, TYPES)
    }

    fn create_offer(
        &self,
        offer: &OfferRecord,
        code_sha256: [u8; 32],
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write(&self.db, |txn| {
            let mut offers = txn.open_table(OFFERS)?;
            if offers.get(offer.id.as_str())?.is_some() {
                return Err(StoreError::Conflict);
            }
            offers.insert(offer.id.as_str(), encode(offer)?.as_slice())?;
            let mut codes = txn.open_table(PRE_AUTH)?;
            if codes.get(code_sha256.as_slice())?.is_some() {
                return Err(StoreError::Conflict);
            }
            codes.insert(code_sha256.as_slice(), offer.id.as_str())?;
            drop((offers, codes));
            append_audit_in(txn, audit, now)?;
            Ok(())
        })
    }

    fn offer(&self, id: &str) -> Result<Option<OfferRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        read_json(&txn, OFFERS, id)
    }

    fn offers(&self) -> Result<Vec<OfferRecord>, StoreError> {
        read_all_json(&self.db, OFFERS)
    }

    fn cancel_offer(
        &self,
        id: &str,
        audit: AuditDraft,
        now: i64,
    ) -> Result<OfferRecord, StoreError> {
        with_write(&self.db, |txn| {
            let mut offers = txn.open_table(OFFERS)?;
            let mut offer: OfferRecord = match offers.get(id)? {
                Some(v) => decode(v.value())?,
                None => return Err(StoreError::NotFound),
            };
            if offer.state != OfferState::Pending {
                return Err(StoreError::InvalidTransition);
            }
            if let Some(code) = offer.pre_authorized_code.take() {
                let hash: [u8; 32] = Sha256::digest(code.as_bytes()).into();
                txn.open_table(PRE_AUTH)?.remove(hash.as_slice())?;
            }
            offer.claims = None;
            offer.state = OfferState::Cancelled;
            offers.insert(id, encode(&offer)?.as_slice())?;
            drop(offers);
            append_audit_in(txn, audit, now)?;
            Ok(offer)
        })
    }

    fn redeem_pre_authorized_code(
        &self,
        code_sha256: [u8; 32],
        tx_code: Option<&str>,
        token_sha256: [u8; 32],
        token_expires_at: i64,
        now: i64,
    ) -> Result<Result<OfferRecord, GrantRefusal>, StoreError> {
        use subtle::ConstantTimeEq as _;
        /// Wrong tx_codes tolerated before the code is burned.
        const MAX_TX_CODE_FAILURES: u32 = 5;
        with_write(&self.db, |txn| {
            let offer_id = {
                let codes = txn.open_table(PRE_AUTH)?;
                match codes.get(code_sha256.as_slice())? {
                    Some(v) => v.value().to_owned(),
                    None => return Ok(Err(GrantRefusal::Unknown)),
                }
            };
            let mut offers = txn.open_table(OFFERS)?;
            let mut offer: OfferRecord = match offers.get(offer_id.as_str())? {
                Some(v) => decode(v.value())?,
                None => return Err(StoreError::Corrupt("code without offer")),
            };
            if offer.state != OfferState::Pending {
                // A replayed code revokes the token granted for it (RFC 6749 section 4.1.2):
                // one of the two presenters is not the holder.
                if offer.state == OfferState::Redeemed
                    && let Some(grant_hex) = &offer.grant_sha256
                    && let Ok(grant_key) = hex::decode(grant_hex)
                {
                    let mut grants = txn.open_table(GRANTS)?;
                    let existing: Option<AccessGrant> = grants
                        .get(grant_key.as_slice())?
                        .map(|v| decode(v.value()))
                        .transpose()?;
                    if let Some(mut g) = existing.filter(|g| !g.used) {
                        g.used = true;
                        grants.insert(grant_key.as_slice(), encode(&g)?.as_slice())?;
                        drop(grants);
                        drop(offers);
                        append_audit_in(
                            txn,
                            AuditDraft::new("wallet", "offer.replay", Some(offer.id.clone())),
                            now,
                        )?;
                    }
                }
                return Ok(Err(GrantRefusal::AlreadyUsed));
            }
            if now >= offer.expires_at {
                return Ok(Err(GrantRefusal::Expired));
            }
            if let Some(required) = &offer.tx_code {
                let Some(given) = tx_code else {
                    return Ok(Err(GrantRefusal::TxCodeRequired));
                };
                let given_hash = hex::encode(Sha256::digest(given.as_bytes()));
                if !bool::from(given_hash.as_bytes().ct_eq(required.sha256.as_bytes())) {
                    offer.tx_code_failures += 1;
                    if offer.tx_code_failures >= MAX_TX_CODE_FAILURES {
                        offer.state = OfferState::Locked;
                        offer.pre_authorized_code = None;
                    }
                    offers.insert(offer.id.as_str(), encode(&offer)?.as_slice())?;
                    // The failure count must persist, so this transaction commits.
                    return Ok(Err(GrantRefusal::TxCodeMismatch));
                }
            }
            offer.state = OfferState::Redeemed;
            offer.pre_authorized_code = None;
            offer.grant_sha256 = Some(hex::encode(token_sha256));
            offers.insert(offer.id.as_str(), encode(&offer)?.as_slice())?;
            let grant = AccessGrant {
                offer_id: offer.id.clone(),
                configuration_id: offer.configuration_id.clone(),
                expires_at: token_expires_at,
                used: false,
            };
            txn.open_table(GRANTS)?
                .insert(token_sha256.as_slice(), encode(&grant)?.as_slice())?;
            drop(offers);
            append_audit_in(
                txn,
                AuditDraft::new("wallet", "offer.redeem", Some(offer.id.clone())),
                now,
            )?;
            Ok(Ok(offer))
        })
    }

    fn access_grant(&self, token_sha256: [u8; 32]) -> Result<Option<AccessGrant>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(GRANTS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        table
            .get(token_sha256.as_slice())?
            .map(|v| decode(v.value()))
            .transpose()
    }

    fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        with_write(&self.db, |txn| {
            let mut offers = txn.open_table(OFFERS)?;
            let mut expired = Vec::new();
            for item in offers.iter()? {
                let (_, v) = item?;
                let offer: OfferRecord = decode(v.value())?;
                if offer.state == OfferState::Pending && offer.expires_at <= now {
                    expired.push(offer);
                }
            }
            let mut codes = txn.open_table(PRE_AUTH)?;
            for mut offer in expired.iter().cloned() {
                if let Some(code) = offer.pre_authorized_code.take() {
                    let hash: [u8; 32] = Sha256::digest(code.as_bytes()).into();
                    codes.remove(hash.as_slice())?;
                }
                offer.claims = None;
                offer.state = OfferState::Expired;
                offers.insert(offer.id.as_str(), encode(&offer)?.as_slice())?;
            }
            let mut grants = txn.open_table(GRANTS)?;
            grants.retain(|_, v| {
                serde_json::from_slice::<AccessGrant>(v).is_ok_and(|g| g.expires_at > now)
            })?;
            txn.open_table(NONCES)?.retain(|_, exp| exp > now)?;
            drop((offers, codes, grants));
            let count = expired.len() as u64;
            if count > 0 {
                let ids: Vec<&str> = expired.iter().map(|o| o.id.as_str()).collect();
                append_audit_in(
                    txn,
                    AuditDraft::new("system", "offer.expire", None)
                        .details(serde_json::json!({ "count": count, "offers": ids })),
                    now,
                )?;
            }
            Ok(count)
        })
    }

    fn put_nonce(&self, sha256: [u8; 32], expires_at: i64, now: i64) -> Result<(), StoreError> {
        let _ = now;
        with_write(&self.db, |txn| {
            txn.open_table(NONCES)?
                .insert(sha256.as_slice(), expires_at)?;
            Ok(())
        })
    }

    fn consume_nonce(&self, sha256: [u8; 32], now: i64) -> Result<bool, StoreError> {
        with_write(&self.db, |txn| {
            let mut t = txn.open_table(NONCES)?;
            let removed = t.remove(sha256.as_slice())?.map(|v| v.value());
            Ok(removed.is_some_and(|exp| now < exp))
        })
    }

    fn allocate_status(
        &self,
        kind: StatusListKind,
        size: u64,
        kid: &str,
        rng: &mut dyn RngCore,
        now: i64,
    ) -> Result<StatusRef, StoreError> {
        with_write(&self.db, |txn| {
            let mut meta = txn.open_table(META)?;
            let mut lists = txn.open_table(LISTS)?;
            let open = meta.get(meta_key(kind))?.map(|v| v.value());
            let mut list: Option<StatusListMeta> = match open {
                Some(id) => match lists.get(id)? {
                    Some(v) => Some(decode(v.value())?),
                    None => return Err(StoreError::Corrupt("open status list missing")),
                },
                None => None,
            };
            if list
                .as_ref()
                .is_none_or(|l| l.allocated * 2 >= l.size || l.kid != kid)
            {
                let id = lists.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
                let fresh = StatusListMeta {
                    id,
                    kind,
                    size,
                    allocated: 0,
                    revision: 0,
                    kid: kid.to_owned(),
                    created_at: now,
                };
                let bytes = vec![0u8; size.div_ceil(4) as usize];
                txn.open_table(LIST_BITS)?.insert(id, bytes.as_slice())?;
                meta.insert(meta_key(kind), id)?;
                list = Some(fresh);
            }
            let Some(mut list) = list else {
                return Err(StoreError::StatusListExhausted);
            };
            let mut alloc = txn.open_table(LIST_ALLOC)?;
            for _ in 0..ALLOCATION_ATTEMPTS {
                // Uniform in [0, size) by rejection sampling (no modulo bias).
                let zone = u64::MAX - (u64::MAX % list.size);
                let draw = rng.next_u64();
                if draw >= zone {
                    continue;
                }
                let index = draw % list.size;
                if alloc.get((list.id, index))?.is_none() {
                    alloc.insert((list.id, index), ())?;
                    list.allocated += 1;
                    lists.insert(list.id, encode(&list)?.as_slice())?;
                    return Ok(StatusRef {
                        kind,
                        list: list.id,
                        index,
                    });
                }
            }
            Err(StoreError::StatusListExhausted)
        })
    }

    fn record_issuance(
        &self,
        credential: &IssuedCredential,
        grant: Option<[u8; 32]>,
        audit: AuditDraft,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write(&self.db, |txn| {
            if let Some(token) = grant {
                let mut grants = txn.open_table(GRANTS)?;
                let mut g: AccessGrant = match grants.get(token.as_slice())? {
                    Some(v) => decode(v.value())?,
                    None => return Err(StoreError::NotFound),
                };
                if g.used {
                    return Err(StoreError::Conflict);
                }
                g.used = true;
                grants.insert(token.as_slice(), encode(&g)?.as_slice())?;
                let mut offers = txn.open_table(OFFERS)?;
                let mut offer: OfferRecord = match offers.get(g.offer_id.as_str())? {
                    Some(v) => decode(v.value())?,
                    None => return Err(StoreError::Corrupt("grant without offer")),
                };
                offer.state = OfferState::Issued;
                offer.claims = None;
                offer.credential_id = Some(credential.id.clone());
                offers.insert(offer.id.as_str(), encode(&offer)?.as_slice())?;
            }
            let mut creds = txn.open_table(CREDENTIALS)?;
            if creds.get(credential.id.as_str())?.is_some() {
                return Err(StoreError::Conflict);
            }
            creds.insert(credential.id.as_str(), encode(credential)?.as_slice())?;
            drop(creds);
            append_audit_in(txn, audit, now)?;
            Ok(())
        })
    }

    fn credentials(&self) -> Result<Vec<IssuedCredential>, StoreError> {
        read_all_json(&self.db, CREDENTIALS)
    }

    fn credential(&self, id: &str) -> Result<Option<IssuedCredential>, StoreError> {
        let txn = self.db.begin_read()?;
        read_json(&txn, CREDENTIALS, id)
    }

    fn change_status(
        &self,
        id: &str,
        change: StatusChange,
        audit: AuditDraft,
        now: i64,
    ) -> Result<IssuedCredential, StoreError> {
        with_write(&self.db, |txn| {
            let mut creds = txn.open_table(CREDENTIALS)?;
            let mut cred: IssuedCredential = match creds.get(id)? {
                Some(v) => decode(v.value())?,
                None => return Err(StoreError::NotFound),
            };
            let next = match (change, cred.state) {
                (StatusChange::Revoke, CredentialState::Active | CredentialState::Suspended) => {
                    CredentialState::Revoked
                }
                (StatusChange::Suspend, CredentialState::Active) => CredentialState::Suspended,
                (StatusChange::Unsuspend, CredentialState::Suspended) => CredentialState::Active,
                _ => return Err(StoreError::InvalidTransition),
            };
            let Some(status) = cred.status else {
                return Err(StoreError::InvalidTransition);
            };
            let mut bits_table = txn.open_table(LIST_BITS)?;
            let mut bits = match bits_table.get(status.list)? {
                Some(v) => v.value().to_vec(),
                None => return Err(StoreError::Corrupt("status list bits missing")),
            };
            set_entry(&mut bits, status.index, next.value());
            bits_table.insert(status.list, bits.as_slice())?;
            let mut lists = txn.open_table(LISTS)?;
            let mut list: StatusListMeta = match lists.get(status.list)? {
                Some(v) => decode(v.value())?,
                None => return Err(StoreError::Corrupt("status list missing")),
            };
            list.revision += 1;
            lists.insert(list.id, encode(&list)?.as_slice())?;
            cred.state = next;
            creds.insert(id, encode(&cred)?.as_slice())?;
            drop((creds, bits_table, lists));
            append_audit_in(txn, audit, now)?;
            Ok(cred)
        })
    }

    fn status_list(&self, id: u64) -> Result<Option<(StatusListMeta, Vec<u8>)>, StoreError> {
        // One read transaction: metadata and bits come from the same committed snapshot, so
        // a reader never sees a half-applied change.
        let txn = self.db.begin_read()?;
        let lists = match txn.open_table(LISTS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(meta) = lists.get(id)? else {
            return Ok(None);
        };
        let meta: StatusListMeta = decode(meta.value())?;
        let bits = txn.open_table(LIST_BITS)?;
        let bytes = bits
            .get(id)?
            .ok_or(StoreError::Corrupt("status list bits missing"))?
            .value()
            .to_vec();
        Ok(Some((meta, bytes)))
    }

    fn status_lists(&self) -> Result<Vec<StatusListMeta>, StoreError> {
        read_all_json(&self.db, LISTS)
    }

    fn append_audit(&self, audit: AuditDraft, now: i64) -> Result<AuditEntry, StoreError> {
        with_write(&self.db, |txn| append_audit_in(txn, audit, now))
    }

    fn audit_entries(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(AUDIT) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for item in table.range(after.saturating_add(1)..)?.take(limit) {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn open() -> (tempfile::TempDir, RedbStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(dir.path()).unwrap();
        (dir, store)
    }

    fn offer(id: &str, tx: Option<&str>) -> OfferRecord {
        OfferRecord {
            id: id.into(),
            configuration_id: "c".into(),
            claims: Some(Map::new()),
            tx_code: tx.map(|t| TxCodeRecord {
                sha256: hex::encode(Sha256::digest(t.as_bytes())),
                length: t.len() as u32,
                input_mode: "numeric".into(),
                description: None,
            }),
            created_at: 0,
            expires_at: 100,
            state: OfferState::Pending,
            tx_code_failures: 0,
            credential_id: None,
            pre_authorized_code: Some("code".into()),
            grant_sha256: None,
            created_by: "t".into(),
        }
    }

    fn draft() -> AuditDraft {
        AuditDraft::new("test", "test.action", None)
    }

    #[test]
    fn reopening_keeps_data_and_version() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = RedbStore::open(dir.path()).unwrap();
            s.append_audit(draft(), 1).unwrap();
        }
        let s = RedbStore::open(dir.path()).unwrap();
        assert_eq!(s.audit_entries(0, 10).unwrap().len(), 1);
    }

    #[test]
    fn other_format_version_is_refused_not_reinitialised() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = RedbStore::open(dir.path()).unwrap();
            s.append_audit(draft(), 1).unwrap();
            s.write_meta_for_test(META_VERSION, 99);
        }
        let err = RedbStore::open(dir.path()).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::FormatVersion {
                    found: 99,
                    supported: 1
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn damaged_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = RedbStore::open(dir.path()).unwrap();
            s.append_audit(draft(), 1).unwrap();
        }
        let path = RedbStore::path(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        // Overwrite the header (magic number and god byte).
        for b in bytes.iter_mut().take(64) {
            *b = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();
        let before = std::fs::read(&path).unwrap();
        assert!(RedbStore::open(dir.path()).is_err());
        // Refusal leaves the file as it was: no silent re-initialisation.
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn foreign_text_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(RedbStore::path(dir.path()), vec![b'x'; 8192]).unwrap();
        assert!(RedbStore::open(dir.path()).is_err());
    }

    #[test]
    fn pre_authorized_code_is_single_use_and_expires() {
        let (_d, s) = open();
        s.create_offer(&offer("o1", None), [1; 32], draft(), 0)
            .unwrap();
        let first = s
            .redeem_pre_authorized_code([1; 32], None, [9; 32], 50, 10)
            .unwrap();
        assert!(first.is_ok());
        let replay = s
            .redeem_pre_authorized_code([1; 32], None, [8; 32], 50, 11)
            .unwrap();
        assert_eq!(replay.unwrap_err(), GrantRefusal::AlreadyUsed);
        assert!(s.access_grant([8; 32]).unwrap().is_none());
        s.create_offer(&offer("o2", None), [2; 32], draft(), 0)
            .unwrap();
        let late = s
            .redeem_pre_authorized_code([2; 32], None, [7; 32], 500, 100)
            .unwrap();
        assert_eq!(late.unwrap_err(), GrantRefusal::Expired);
        let unknown = s
            .redeem_pre_authorized_code([3; 32], None, [7; 32], 500, 1)
            .unwrap();
        assert_eq!(unknown.unwrap_err(), GrantRefusal::Unknown);
    }

    #[test]
    fn tx_code_is_checked_and_burns_after_repeated_failures() {
        let (_d, s) = open();
        s.create_offer(&offer("o", Some("123456")), [1; 32], draft(), 0)
            .unwrap();
        let r = s
            .redeem_pre_authorized_code([1; 32], None, [9; 32], 50, 1)
            .unwrap();
        assert_eq!(r.unwrap_err(), GrantRefusal::TxCodeRequired);
        for _ in 0..5 {
            let r = s
                .redeem_pre_authorized_code([1; 32], Some("000000"), [9; 32], 50, 1)
                .unwrap();
            assert_eq!(r.unwrap_err(), GrantRefusal::TxCodeMismatch);
        }
        // Even the right code is refused now.
        let r = s
            .redeem_pre_authorized_code([1; 32], Some("123456"), [9; 32], 50, 1)
            .unwrap();
        assert_eq!(r.unwrap_err(), GrantRefusal::AlreadyUsed);
    }

    #[test]
    fn expired_offers_lose_their_claims_and_code() {
        let (_d, s) = open();
        let mut claims = Map::new();
        claims.insert("given_name".into(), Value::String("Ada".into()));
        let mut o = offer("old", None);
        o.claims = Some(claims.clone());
        o.pre_authorized_code = Some("old-code".into());
        let old_hash: [u8; 32] = Sha256::digest(b"old-code").into();
        s.create_offer(&o, old_hash, draft(), 0).unwrap();
        let mut fresh = offer("fresh", None);
        fresh.expires_at = 1000;
        fresh.claims = Some(claims);
        s.create_offer(&fresh, [2; 32], draft(), 0).unwrap();
        s.redeem_pre_authorized_code([2; 32], None, [9; 32], 50, 1)
            .unwrap()
            .unwrap();
        s.put_nonce([5; 32], 50, 0).unwrap();
        assert_eq!(s.purge_expired(100).unwrap(), 1);
        let old = s.offer("old").unwrap().unwrap();
        assert_eq!(old.state, OfferState::Expired);
        assert!(old.claims.is_none() && old.pre_authorized_code.is_none());
        // The redeemed offer keeps its claims until issuance; its expired grant is gone.
        assert!(s.offer("fresh").unwrap().unwrap().claims.is_some());
        assert!(s.access_grant([9; 32]).unwrap().is_none());
        assert!(!s.consume_nonce([5; 32], 10).unwrap());
        let r = s
            .redeem_pre_authorized_code(old_hash, None, [8; 32], 500, 10)
            .unwrap();
        assert_eq!(r.unwrap_err(), GrantRefusal::Unknown);
        let last = s.audit_entries(0, 100).unwrap().pop().unwrap();
        assert_eq!(last.action, "offer.expire");
        assert_eq!(s.purge_expired(100).unwrap(), 0);
    }

    #[test]
    fn nonce_is_single_use_and_expires() {
        let (_d, s) = open();
        s.put_nonce([1; 32], 100, 0).unwrap();
        assert!(s.consume_nonce([1; 32], 10).unwrap());
        assert!(!s.consume_nonce([1; 32], 10).unwrap());
        s.put_nonce([2; 32], 100, 0).unwrap();
        assert!(!s.consume_nonce([2; 32], 100).unwrap());
    }

    #[test]
    fn allocation_is_unique_random_and_opens_new_lists_at_half() {
        let (_d, s) = open();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        let mut indices = Vec::new();
        for _ in 0..40 {
            let r = s
                .allocate_status(StatusListKind::Token, 64, "key-1", &mut rng, 0)
                .unwrap();
            assert!(r.index < 64);
            assert!(seen.insert((r.list, r.index)), "duplicate allocation");
            indices.push(r);
        }
        // 32 fit in list 1 (half of 64), then list 2 opens.
        assert_eq!(indices.iter().filter(|r| r.list == 1).count(), 32);
        assert!(indices.iter().skip(32).all(|r| r.list == 2));
        // Not sequential.
        let first: Vec<u64> = indices.iter().take(8).map(|r| r.index).collect();
        assert_ne!(first, (first[0]..first[0] + 8).collect::<Vec<_>>());
    }

    #[test]
    fn a_new_signing_key_opens_a_new_list() {
        let (_d, s) = open();
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let a = s
            .allocate_status(StatusListKind::Token, 64, "key-1", &mut rng, 0)
            .unwrap();
        let b = s
            .allocate_status(StatusListKind::Token, 64, "key-2", &mut rng, 0)
            .unwrap();
        assert_ne!(a.list, b.list);
        let lists = s.status_lists().unwrap();
        assert_eq!(lists[0].kid, "key-1");
        assert_eq!(lists[1].kid, "key-2");
    }

    #[test]
    fn status_changes_follow_the_lifecycle_and_set_list_bits() {
        let (_d, s) = open();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let status = s
            .allocate_status(StatusListKind::Token, 128, "key-1", &mut rng, 0)
            .unwrap();
        let cred = IssuedCredential {
            id: "c1".into(),
            configuration_id: "x".into(),
            format: "dc+sd-jwt".into(),
            offer_id: None,
            holder: None,
            status: Some(status),
            state: CredentialState::Active,
            issued_at: 0,
            valid_until: None,
        };
        s.record_issuance(&cred, None, draft(), 0).unwrap();
        let bits = |s: &RedbStore| {
            entry(
                &s.status_list(status.list).unwrap().unwrap().1,
                status.index,
            )
        };
        assert!(matches!(
            s.change_status("c1", StatusChange::Unsuspend, draft(), 1),
            Err(StoreError::InvalidTransition)
        ));
        s.change_status("c1", StatusChange::Suspend, draft(), 1)
            .unwrap();
        assert_eq!(bits(&s), 2);
        s.change_status("c1", StatusChange::Unsuspend, draft(), 1)
            .unwrap();
        assert_eq!(bits(&s), 0);
        s.change_status("c1", StatusChange::Revoke, draft(), 1)
            .unwrap();
        assert_eq!(bits(&s), 1);
        assert!(matches!(
            s.change_status("c1", StatusChange::Unsuspend, draft(), 1),
            Err(StoreError::InvalidTransition)
        ));
        assert_eq!(s.status_list(status.list).unwrap().unwrap().0.revision, 3);
    }

    #[test]
    fn audit_chain_detects_change_and_deletion() {
        let (_d, s) = open();
        for i in 0..5 {
            s.append_audit(draft().details(serde_json::json!({ "i": i })), i)
                .unwrap();
        }
        let entries = s.audit_entries(0, 100).unwrap();
        verify_audit_chain(&entries).unwrap();
        let mut changed = entries.clone();
        changed[2].details = serde_json::json!({ "i": 99 });
        assert_eq!(
            verify_audit_chain(&changed),
            Err(AuditChainError::Altered(3))
        );
        let mut deleted = entries.clone();
        deleted.remove(2);
        assert_eq!(verify_audit_chain(&deleted), Err(AuditChainError::Gap(3)));
        let mut rehashed = entries.clone();
        rehashed[1].actor = "mallory".into();
        rehashed[1].hash = rehashed[1].compute_hash();
        assert_eq!(
            verify_audit_chain(&rehashed),
            Err(AuditChainError::Broken(3))
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any change to any field of any entry, or removing any entry, is detected.
        #[test]
        fn any_audit_mutation_is_detected(
            which in 0usize..6, field in 0usize..5, removal in proptest::prelude::any::<bool>(),
            text in "[a-z]{1,8}", delta in 1i64..1000,
        ) {
            let entries = {
                let mut prev = AUDIT_GENESIS.to_owned();
                let mut out = Vec::new();
                for i in 0..6u64 {
                    let mut e = AuditEntry {
                        seq: i + 1, at: i as i64, actor: "a".into(), action: "x".into(),
                        target: Some(format!("t{i}")), details: serde_json::json!({"n": i}),
                        prev_hash: prev.clone(), hash: String::new(),
                    };
                    e.hash = e.compute_hash();
                    prev.clone_from(&e.hash);
                    out.push(e);
                }
                out
            };
            proptest::prop_assert!(verify_audit_chain(&entries).is_ok());
            let mut changed = entries.clone();
            if removal && which < 5 {
                changed.remove(which);
            } else {
                let e = &mut changed[which];
                match field {
                    0 => e.at += delta,
                    1 => e.actor.push_str(&text),
                    2 => e.action.push_str(&text),
                    3 => e.target = Some(text.clone()),
                    _ => e.details = serde_json::json!({ "n": text }),
                }
            }
            proptest::prop_assert!(verify_audit_chain(&changed).is_err());
        }
    }

    #[test]
    fn issuance_with_a_grant_is_single_use_and_drops_claims() {
        let (_d, s) = open();
        s.create_offer(&offer("o", None), [1; 32], draft(), 0)
            .unwrap();
        s.redeem_pre_authorized_code([1; 32], None, [9; 32], 50, 1)
            .unwrap()
            .unwrap();
        let mut cred = IssuedCredential {
            id: "c1".into(),
            configuration_id: "c".into(),
            format: "dc+sd-jwt".into(),
            offer_id: Some("o".into()),
            holder: None,
            status: None,
            state: CredentialState::Active,
            issued_at: 0,
            valid_until: None,
        };
        s.record_issuance(&cred, Some([9; 32]), draft(), 2).unwrap();
        cred.id = "c2".into();
        assert!(matches!(
            s.record_issuance(&cred, Some([9; 32]), draft(), 2),
            Err(StoreError::Conflict)
        ));
        let o = s.offer("o").unwrap().unwrap();
        assert_eq!(o.state, OfferState::Issued);
        assert!(o.claims.is_none());
        assert!(s.credential("c2").unwrap().is_none());
    }
}
