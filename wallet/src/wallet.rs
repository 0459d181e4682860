//! The unlocked wallet: the API the CLI and the desktop app call.
//!
//! A [`Wallet`] is an open, decrypted vault. It holds the vault's lock for as long as it
//! lives, and every change is written (atomically, under a fresh nonce) before the method
//! that made it returns: a key handed to an issuer, a stored credential, a history entry are
//! on disk when the call succeeds. Dropping the wallet (or [`Wallet::lock`]) zeroizes the key
//! and the holder keys and releases the lock.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use credentials::PublicKey;
use rand_core::CryptoRngCore;

use crate::contents::{
    Contents, CredentialId, CredentialRecord, NewCredential, PresentationRecord,
};
use crate::error::WalletError;
use crate::holder::{DidMethod, HolderKey, HolderSigner, KeyId, KeyRecord};
use crate::passphrase::Passphrase;
use crate::storage::{self, AttemptCounter, Throttle, VaultLock};
use crate::vault::{self, DerivedKey, FileKind, KdfParams, KdfPolicy};

/// How vaults are created and opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VaultConfig {
    /// The KDF parameters of new vaults, new passphrases and backups.
    pub kdf: KdfParams,
    /// The bounds every header is checked against before the KDF runs.
    pub policy: KdfPolicy,
    /// The slow-down after failed unlocks.
    pub throttle: Throttle,
}

impl VaultConfig {
    /// Tiny KDF cost and no waiting, for tests. **Insecure**: vaults written with it do not
    /// open under the default configuration.
    pub const fn insecure_for_tests() -> Self {
        VaultConfig {
            kdf: KdfParams::INSECURE_FOR_TESTS,
            policy: KdfPolicy::insecure_for_tests(),
            throttle: Throttle::NONE,
        }
    }
}

/// Counts of what a wallet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Holder keys.
    pub keys: usize,
    /// Credentials.
    pub credentials: usize,
    /// Presentation history entries.
    pub presentations: usize,
}

/// An unlocked wallet.
pub struct Wallet {
    path: PathBuf,
    key: DerivedKey,
    config: VaultConfig,
    contents: Contents,
    // Declared last: released after the rest is dropped.
    _lock: VaultLock,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("path", &self.path)
            .field("summary", &self.summary())
            .finish_non_exhaustive()
    }
}

fn random_id(rng: &mut impl CryptoRngCore) -> String {
    let mut bytes = [0u8; 8];
    rng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Wallet {
    /// Creates a new, empty vault at `path` and returns it unlocked. Refuses to touch an
    /// existing file, a passphrase shorter than the minimum, and KDF parameters outside the
    /// policy.
    pub fn create(
        path: &Path,
        passphrase: &Passphrase,
        config: &VaultConfig,
        now: DateTime<Utc>,
    ) -> Result<Self, WalletError> {
        passphrase.check_new()?;
        let lock = VaultLock::acquire(path)?;
        if path.exists() {
            return Err(WalletError::AlreadyExists(path.to_path_buf()));
        }
        let key = DerivedKey::new(passphrase, config.kdf, &config.policy)?;
        let wallet = Wallet {
            path: path.to_path_buf(),
            key,
            config: *config,
            contents: Contents::new(now),
            _lock: lock,
        };
        let plaintext = wallet.contents.to_bytes()?;
        let file = vault::seal(&wallet.key, FileKind::Vault, &plaintext)?;
        storage::write_atomic(path, &file, true)?;
        AttemptCounter::new(path).reset()?;
        Ok(wallet)
    }

    /// Unlocks the vault at `path`.
    ///
    /// Waits first according to the failures recorded since the last success (see
    /// [`Throttle`]); a wrong passphrase is [`WalletError::WrongPassphrase`] and is recorded.
    /// A damaged, truncated or foreign file is reported as such and left untouched.
    pub fn open(
        path: &Path,
        passphrase: &Passphrase,
        config: &VaultConfig,
    ) -> Result<Self, WalletError> {
        // No lock file is left next to a vault that does not exist.
        if !path.exists() {
            return Err(WalletError::NotFound(path.to_path_buf()));
        }
        let lock = VaultLock::acquire(path)?;
        let file = storage::read_file(path)?;
        let counter = AttemptCounter::new(path);
        let delay = config.throttle.delay(counter.failures());
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let opened = match vault::open(&file, FileKind::Vault, passphrase, &config.policy) {
            Ok(opened) => opened,
            Err(WalletError::WrongPassphrase) => {
                // If the counter cannot be written the answer is still "wrong passphrase".
                let _ = counter.record_failure();
                return Err(WalletError::WrongPassphrase);
            }
            Err(other) => return Err(other),
        };
        let contents = Contents::from_bytes(&opened.plaintext)?;
        counter.reset()?;
        storage::remove_stale_temporaries(path);
        Ok(Wallet {
            path: path.to_path_buf(),
            key: opened.key,
            config: *config,
            contents,
            _lock: lock,
        })
    }

    /// How long [`Wallet::open`] will wait before trying a passphrase on the vault at `path`,
    /// given the failures recorded so far (for a UI to say so rather than look frozen).
    pub fn unlock_delay(path: &Path, config: &VaultConfig) -> std::time::Duration {
        config.throttle.delay(AttemptCounter::new(path).failures())
    }

    /// Restores a backup made by [`Wallet::export_backup`] as a new vault at `vault_path`
    /// under `vault_passphrase`, and returns it unlocked. Refuses to overwrite an existing
    /// vault.
    pub fn import_backup(
        backup: &Path,
        backup_passphrase: &Passphrase,
        vault_path: &Path,
        vault_passphrase: &Passphrase,
        config: &VaultConfig,
    ) -> Result<Self, WalletError> {
        vault_passphrase.check_new()?;
        let lock = VaultLock::acquire(vault_path)?;
        if vault_path.exists() {
            return Err(WalletError::AlreadyExists(vault_path.to_path_buf()));
        }
        let file = storage::read_file(backup)?;
        let opened = vault::open(&file, FileKind::Backup, backup_passphrase, &config.policy)?;
        let contents = Contents::from_bytes(&opened.plaintext)?;
        let key = DerivedKey::new(vault_passphrase, config.kdf, &config.policy)?;
        let sealed = vault::seal(&key, FileKind::Vault, &opened.plaintext)?;
        storage::write_atomic(vault_path, &sealed, true)?;
        AttemptCounter::new(vault_path).reset()?;
        Ok(Wallet {
            path: vault_path.to_path_buf(),
            key,
            config: *config,
            contents,
            _lock: lock,
        })
    }

    /// Locks the wallet: zeroizes the key and holder keys in memory and releases the vault.
    pub fn lock(self) {
        drop(self);
    }

    fn persist(&self) -> Result<(), WalletError> {
        let plaintext = self.contents.to_bytes()?;
        let file = vault::seal(&self.key, FileKind::Vault, &plaintext)?;
        storage::write_atomic(&self.path, &file, false)
    }

    /// Re-encrypts the vault under a new passphrase (new salt, and the configuration's KDF
    /// parameters, which upgrades older ones). The old passphrase stops working once this
    /// returns.
    pub fn change_passphrase(&mut self, new_passphrase: &Passphrase) -> Result<(), WalletError> {
        new_passphrase.check_new()?;
        let key = DerivedKey::new(new_passphrase, self.config.kdf, &self.config.policy)?;
        let plaintext = self.contents.to_bytes()?;
        let file = vault::seal(&key, FileKind::Vault, &plaintext)?;
        storage::write_atomic(&self.path, &file, false)?;
        self.key = key;
        Ok(())
    }

    /// Writes an encrypted backup of the whole vault to `destination`, under its own
    /// passphrase. Refuses to overwrite an existing file.
    pub fn export_backup(
        &self,
        destination: &Path,
        backup_passphrase: &Passphrase,
    ) -> Result<(), WalletError> {
        backup_passphrase.check_new()?;
        let key = DerivedKey::new(backup_passphrase, self.config.kdf, &self.config.policy)?;
        let plaintext = self.contents.to_bytes()?;
        let file = vault::seal(&key, FileKind::Backup, &plaintext)?;
        storage::write_atomic(destination, &file, true)
    }

    /// The vault file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When the vault was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.contents.created_at
    }

    /// The KDF parameters the vault is currently encrypted with.
    pub fn kdf_params(&self) -> KdfParams {
        self.key.kdf()
    }

    /// Counts of keys, credentials and history entries.
    pub fn summary(&self) -> Summary {
        Summary {
            keys: self.contents.keys.len(),
            credentials: self.contents.credentials.len(),
            presentations: self.contents.history.len(),
        }
    }

    // Holder keys.

    /// Generates a new Ed25519 holder key named by a DID of `method`, and stores it before
    /// returning (so a key given to an issuer is never lost). Call it once per credential:
    /// a fresh key per credential keeps verifiers from linking presentations by key.
    pub fn generate_holder_key(
        &mut self,
        method: DidMethod,
        rng: &mut impl CryptoRngCore,
        now: DateTime<Utc>,
    ) -> Result<HolderKey, WalletError> {
        let id = KeyId(random_id(rng));
        let record = KeyRecord::generate(id, method, rng, now);
        let info = record.info();
        self.contents.keys.push(record);
        if let Err(e) = self.persist() {
            self.contents.keys.pop();
            return Err(e);
        }
        Ok(info)
    }

    /// Deletes a holder key that no credential is bound to (a key generated for a credential
    /// that was then refused). Bound keys are left alone.
    pub fn discard_unbound_key(&mut self, id: &KeyId) -> Result<(), WalletError> {
        let Some(position) = self
            .contents
            .keys
            .iter()
            .position(|k| &k.id == id && k.credential.is_none())
        else {
            return Ok(());
        };
        let removed = self.contents.keys.remove(position);
        if let Err(e) = self.persist() {
            self.contents.keys.insert(position, removed);
            return Err(e);
        }
        Ok(())
    }

    /// All holder keys (public parts).
    pub fn holder_keys(&self) -> Vec<HolderKey> {
        self.contents.keys.iter().map(KeyRecord::info).collect()
    }

    /// One holder key by id.
    pub fn holder_key(&self, id: &KeyId) -> Option<HolderKey> {
        self.key_record(id).map(KeyRecord::info)
    }

    /// The holder key with this public key, if the wallet has it (to check that a received
    /// credential's `cnf` is ours).
    pub fn holder_key_for_public_key(&self, public_key: &PublicKey) -> Option<HolderKey> {
        self.contents
            .keys
            .iter()
            .find(|k| &k.public_key() == public_key)
            .map(KeyRecord::info)
    }

    /// The holder key named by a DID URL (`kid`, `verificationMethod`) or a bare DID.
    pub fn holder_key_for_did(&self, did_or_url: &str) -> Option<HolderKey> {
        self.contents
            .keys
            .iter()
            .map(KeyRecord::info)
            .find(|k| k.verification_method == did_or_url || k.did == did_or_url)
    }

    fn key_record(&self, id: &KeyId) -> Option<&KeyRecord> {
        self.contents.keys.iter().find(|k| &k.id == id)
    }

    /// A signer for a holder key. The key bytes stay inside the wallet.
    pub fn signer(&self, id: &KeyId) -> Result<HolderSigner<'_>, WalletError> {
        self.key_record(id)
            .map(KeyRecord::signer)
            .ok_or_else(|| WalletError::UnknownKey(id.to_string()))
    }

    // Credentials.

    /// Stores a credential the caller has received **and verified** (signature, issuer,
    /// status, key binding), binding `holder_key` to it. Written before returning.
    pub fn store_credential(
        &mut self,
        credential: NewCredential,
        rng: &mut impl CryptoRngCore,
        now: DateTime<Utc>,
    ) -> Result<CredentialId, WalletError> {
        if let Some(key) = &credential.holder_key
            && self.key_record(key).is_none()
        {
            return Err(WalletError::UnknownKey(key.to_string()));
        }
        let id = CredentialId(random_id(rng));
        let before = self.contents.clone();
        if let Some(key) = &credential.holder_key
            && let Some(record) = self.contents.keys.iter_mut().find(|k| &k.id == key)
        {
            record.credential = Some(id.clone());
        }
        self.contents.credentials.push(CredentialRecord {
            id: id.clone(),
            format: credential.format,
            credential: credential.credential,
            issuer: credential.issuer,
            types: credential.types,
            claims: credential.claims,
            holder_key: credential.holder_key,
            received_at: now,
        });
        if let Err(e) = self.persist() {
            self.contents = before;
            return Err(e);
        }
        Ok(id)
    }

    /// All credentials, oldest first.
    pub fn credentials(&self) -> &[CredentialRecord] {
        &self.contents.credentials
    }

    /// A credential by its id, or by a prefix of it that matches exactly one credential.
    pub fn credential(&self, id_or_prefix: &str) -> Result<&CredentialRecord, WalletError> {
        if let Some(exact) = self
            .contents
            .credentials
            .iter()
            .find(|c| c.id.0 == id_or_prefix)
        {
            return Ok(exact);
        }
        let mut matches = self
            .contents
            .credentials
            .iter()
            .filter(|c| !id_or_prefix.is_empty() && c.id.0.starts_with(id_or_prefix));
        match (matches.next(), matches.next()) {
            (Some(one), None) => Ok(one),
            (Some(_), Some(_)) => Err(WalletError::AmbiguousCredential(id_or_prefix.to_owned())),
            _ => Err(WalletError::UnknownCredential(id_or_prefix.to_owned())),
        }
    }

    /// Deletes a credential and the holder key bound to it (a key of a deleted credential
    /// has no further use). History entries that mention it are kept. Written before
    /// returning.
    pub fn remove_credential(
        &mut self,
        id: &CredentialId,
    ) -> Result<CredentialRecord, WalletError> {
        let position = self
            .contents
            .credentials
            .iter()
            .position(|c| &c.id == id)
            .ok_or_else(|| WalletError::UnknownCredential(id.to_string()))?;
        let before = self.contents.clone();
        let removed = self.contents.credentials.remove(position);
        self.contents
            .keys
            .retain(|k| k.credential.as_ref() != Some(id));
        if let Err(e) = self.persist() {
            self.contents = before;
            return Err(e);
        }
        Ok(removed)
    }

    // History.

    /// Appends a presentation (sent, declined or failed) to the history. Written before
    /// returning.
    pub fn record_presentation(&mut self, record: PresentationRecord) -> Result<(), WalletError> {
        self.contents.history.push(record);
        if let Err(e) = self.persist() {
            self.contents.history.pop();
            return Err(e);
        }
        Ok(())
    }

    /// The presentation history, oldest first.
    pub fn history(&self) -> &[PresentationRecord] {
        &self.contents.history
    }
}
