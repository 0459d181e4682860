//! The issuer's signing keys, encrypted at rest.
//!
//! Each Ed25519 seed is sealed with XChaCha20-Poly1305 under a wrapping key derived from the
//! configured secret: Argon2id (64 MiB, t=3, p=1) for a passphrase (`ISSUER_KEY_SECRET`),
//! HKDF-SHA256 for a random key file (`--key-file`, at least 32 bytes, not readable by group
//! or others). Every seal uses a fresh random 24-byte nonce; the key id and public key are the
//! associated data, so a sealed seed cannot be moved to another key slot. Argon2 parameters
//! read back from the store are bounded so a tampered record cannot exhaust memory.
//!
//! Rotation adds a key and retires the previous one: retired keys never sign credentials
//! again (they keep signing the status lists opened while they were active) and stay in the
//! DID document (did:web) or remain self-resolving (did:key), so credentials signed earlier
//! keep verifying. Seeds, wrapping keys and secrets live in `Zeroizing` memory and
//! are never logged or returned.

use std::path::Path;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use credentials::{Ed25519SigningKey, PublicKey, Signer as _};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::store::{AuditDraft, KdfParams, KeyringRecord, Store, StoredKey};

/// Argon2id memory for new keyrings (KiB).
pub const ARGON2_M_KIB: u32 = 64 * 1024;
/// Argon2id iterations for new keyrings.
pub const ARGON2_T: u32 = 3;
/// Argon2id lanes for new keyrings.
pub const ARGON2_P: u32 = 1;
/// Upper bounds accepted when reading parameters back.
const ARGON2_MAX_M_KIB: u32 = 1024 * 1024;
const ARGON2_MAX_T: u32 = 16;
const ARGON2_MAX_P: u32 = 16;
/// Lower bound (OWASP: 19 MiB, t=2).
const ARGON2_MIN_M_KIB: u32 = 19 * 1024;

const AAD_PREFIX: &str = "disclose-issuer-key/v1";
const HKDF_INFO: &[u8] = b"disclose-issuer-key-wrapping/v1";

/// The configured secret that protects the keys.
pub enum KeySecret {
    /// A passphrase (Argon2id).
    Passphrase(Zeroizing<String>),
    /// The bytes of a random key file (HKDF-SHA256).
    KeyFile(Zeroizing<Vec<u8>>),
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySecret::Passphrase(_) => f.write_str("KeySecret::Passphrase(<redacted>)"),
            KeySecret::KeyFile(_) => f.write_str("KeySecret::KeyFile(<redacted>)"),
        }
    }
}

impl KeySecret {
    /// A passphrase; refuses one shorter than 16 characters.
    pub fn passphrase(secret: Zeroizing<String>) -> Result<Self, KeyringError> {
        if secret.chars().count() < 16 {
            return Err(KeyringError::WeakSecret);
        }
        Ok(KeySecret::Passphrase(secret))
    }

    /// Reads a key file: at least 32 bytes, and (on Unix) not readable by group or others.
    pub fn from_key_file(path: &Path) -> Result<Self, KeyringError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(|_| KeyringError::KeyFile("cannot be read"))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(KeyringError::KeyFile(
                    "is accessible by group or others (chmod 600)",
                ));
            }
        }
        let bytes = Zeroizing::new(
            std::fs::read(path).map_err(|_| KeyringError::KeyFile("cannot be read"))?,
        );
        if bytes.len() < 32 {
            return Err(KeyringError::KeyFile("is shorter than 32 bytes"));
        }
        Ok(KeySecret::KeyFile(bytes))
    }

    /// Writes a fresh random 32-byte key file with mode 0600, refusing to overwrite.
    pub fn create_key_file(path: &Path) -> Result<(), KeyringError> {
        use std::io::Write as _;
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|_| KeyringError::KeyFile("cannot be created (does it exist?)"))?;
        file.write_all(bytes.as_ref())
            .and_then(|()| file.sync_all())
            .map_err(|_| KeyringError::KeyFile("cannot be written"))?;
        Ok(())
    }
}

/// Why the keys could not be opened or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The passphrase is too short.
    #[error("the key secret must have at least 16 characters")]
    WeakSecret,
    /// The key file is unusable.
    #[error("the key file {0}")]
    KeyFile(&'static str),
    /// The keyring was created with the other kind of secret.
    #[error("the keyring was created with a {expected}; configure that instead")]
    SecretKindMismatch {
        /// `passphrase (ISSUER_KEY_SECRET)` or `key file (--key-file)`.
        expected: &'static str,
    },
    /// The secret does not decrypt the keys (wrong secret or altered record).
    #[error("the configured secret does not decrypt the issuer keys")]
    WrongSecret,
    /// Stored KDF parameters are out of bounds.
    #[error("the stored key-derivation parameters are out of bounds")]
    BadParameters,
    /// The stored keyring is inconsistent.
    #[error("the stored keyring is inconsistent: {0}")]
    Corrupt(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One key of the keyring, public view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Public key.
    pub public_key: PublicKey,
    /// Creation time.
    pub created_at: i64,
    /// Retirement time.
    pub retired_at: Option<i64>,
}

/// The unlocked keyring: the active signing key and the public part of all keys.
pub struct Keyring {
    record: KeyringRecord,
    wrapping_key: Zeroizing<[u8; 32]>,
    active: Arc<Ed25519SigningKey>,
    active_kid: String,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active_kid", &self.active_kid)
            .finish_non_exhaustive()
    }
}

fn hex32(text: &str) -> Result<Vec<u8>, KeyringError> {
    hex::decode(text).map_err(|_| KeyringError::Corrupt("hex"))
}

fn derive_wrapping_key(
    secret: &KeySecret,
    kdf: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
    let mut out = Zeroizing::new([0u8; 32]);
    match (secret, kdf) {
        (
            KeySecret::Passphrase(p),
            KdfParams::Argon2id {
                m_kib,
                t,
                p: lanes,
                salt,
            },
        ) => {
            if !(ARGON2_MIN_M_KIB..=ARGON2_MAX_M_KIB).contains(m_kib)
                || !(1..=ARGON2_MAX_T).contains(t)
                || !(1..=ARGON2_MAX_P).contains(lanes)
            {
                return Err(KeyringError::BadParameters);
            }
            let params = argon2::Params::new(*m_kib, *t, *lanes, Some(32))
                .map_err(|_| KeyringError::BadParameters)?;
            let argon =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            argon
                .hash_password_into(p.as_bytes(), &hex32(salt)?, out.as_mut())
                .map_err(|_| KeyringError::BadParameters)?;
        }
        (KeySecret::KeyFile(bytes), KdfParams::HkdfSha256 { salt }) => {
            let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(&hex32(salt)?), bytes);
            hk.expand(HKDF_INFO, out.as_mut())
                .map_err(|_| KeyringError::BadParameters)?;
        }
        (_, KdfParams::Argon2id { .. }) => {
            return Err(KeyringError::SecretKindMismatch {
                expected: "passphrase (ISSUER_KEY_SECRET)",
            });
        }
        (_, KdfParams::HkdfSha256 { .. }) => {
            return Err(KeyringError::SecretKindMismatch {
                expected: "key file (--key-file)",
            });
        }
    }
    Ok(out)
}

fn aad(kid: &str, multikey: &str) -> Vec<u8> {
    format!("{AAD_PREFIX}|{kid}|{multikey}").into_bytes()
}

fn seal(
    wrapping_key: &[u8; 32],
    kid: &str,
    key: &Ed25519SigningKey,
    now: i64,
    rng: &mut dyn RngCore,
) -> Result<StoredKey, KeyringError> {
    let multikey = key.public_key().to_multikey();
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(wrapping_key.into());
    let seed = key.to_seed();
    let ciphertext = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: seed.as_ref(),
                aad: &aad(kid, &multikey),
            },
        )
        .map_err(|_| KeyringError::Corrupt("encryption failed"))?;
    Ok(StoredKey {
        kid: kid.to_owned(),
        public_multikey: multikey,
        created_at: now,
        retired_at: None,
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

fn unseal(wrapping_key: &[u8; 32], stored: &StoredKey) -> Result<Ed25519SigningKey, KeyringError> {
    let nonce: [u8; 24] = hex32(&stored.nonce)?
        .try_into()
        .map_err(|_| KeyringError::Corrupt("nonce length"))?;
    let cipher = XChaCha20Poly1305::new(wrapping_key.into());
    let seed = Zeroizing::new(
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &hex32(&stored.ciphertext)?,
                    aad: &aad(&stored.kid, &stored.public_multikey),
                },
            )
            .map_err(|_| KeyringError::WrongSecret)?,
    );
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
        seed.as_slice()
            .try_into()
            .map_err(|_| KeyringError::Corrupt("seed length"))?,
    );
    let key = Ed25519SigningKey::from_seed(&seed);
    if key.public_key().to_multikey() != stored.public_multikey {
        return Err(KeyringError::Corrupt(
            "public key does not match the sealed seed",
        ));
    }
    Ok(key)
}

impl Keyring {
    /// Unlocks the stored keyring, or creates one with a fresh key on first start.
    pub fn open_or_create(
        store: &dyn Store,
        secret: &KeySecret,
        rng: &mut dyn RngCore,
        now: i64,
    ) -> Result<Self, KeyringError> {
        if let Some(record) = store.keyring()? {
            let wrapping_key = derive_wrapping_key(secret, &record.kdf)?;
            let active = record
                .keys
                .iter()
                .rev()
                .find(|k| k.retired_at.is_none())
                .ok_or(KeyringError::Corrupt("no active key"))?;
            // Every key must unseal: a wrong secret is caught on the first one, an altered
            // record on whichever was altered.
            for k in &record.keys {
                unseal(&wrapping_key, k)?;
            }
            let signing = unseal(&wrapping_key, active)?;
            let active_kid = active.kid.clone();
            return Ok(Self {
                record,
                wrapping_key,
                active: Arc::new(signing),
                active_kid,
            });
        }
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let kdf = match secret {
            KeySecret::Passphrase(_) => KdfParams::Argon2id {
                m_kib: ARGON2_M_KIB,
                t: ARGON2_T,
                p: ARGON2_P,
                salt: hex::encode(salt),
            },
            KeySecret::KeyFile(_) => KdfParams::HkdfSha256 {
                salt: hex::encode(salt),
            },
        };
        let wrapping_key = derive_wrapping_key(secret, &kdf)?;
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        let key = Ed25519SigningKey::from_seed(&seed);
        let stored = seal(&wrapping_key, "key-1", &key, now, rng)?;
        let record = KeyringRecord {
            kdf,
            keys: vec![stored],
        };
        store.save_keyring(
            &record,
            AuditDraft::new("system", "key.create", Some("key-1".into())),
            now,
        )?;
        Ok(Self {
            record,
            wrapping_key,
            active: Arc::new(key),
            active_kid: "key-1".into(),
        })
    }

    /// Creates a new key, retires the current one, and stores both durably (with its audit
    /// entry) before the new key is used.
    pub fn rotate(
        &mut self,
        store: &dyn Store,
        actor: &str,
        rng: &mut dyn RngCore,
        now: i64,
    ) -> Result<(), KeyringError> {
        let kid = format!("key-{}", self.record.keys.len() + 1);
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        let key = Ed25519SigningKey::from_seed(&seed);
        let mut record = self.record.clone();
        for k in &mut record.keys {
            if k.retired_at.is_none() {
                k.retired_at = Some(now);
            }
        }
        record
            .keys
            .push(seal(&self.wrapping_key, &kid, &key, now, rng)?);
        store.save_keyring(
            &record,
            AuditDraft::new(actor, "key.rotate", Some(kid.clone())).details(
                serde_json::json!({ "retired": self.active_kid, "public_key": key.public_key().to_multikey() }),
            ),
            now,
        )?;
        self.record = record;
        self.active = Arc::new(key);
        self.active_kid = kid;
        Ok(())
    }

    /// The active signing key.
    pub fn active(&self) -> Arc<Ed25519SigningKey> {
        Arc::clone(&self.active)
    }

    /// The signing key `kid` (active or retired), unsealed on demand. Retired keys never sign
    /// credentials; they keep signing the status lists of the credentials they signed.
    pub fn signing_key(&self, kid: &str) -> Result<Arc<Ed25519SigningKey>, KeyringError> {
        if kid == self.active_kid {
            return Ok(self.active());
        }
        let stored = self
            .record
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(KeyringError::Corrupt("unknown key id"))?;
        Ok(Arc::new(unseal(&self.wrapping_key, stored)?))
    }

    /// The active key id.
    pub fn active_kid(&self) -> &str {
        &self.active_kid
    }

    /// All keys, oldest first.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.record
            .keys
            .iter()
            .filter_map(|k| {
                Some(KeyInfo {
                    kid: k.kid.clone(),
                    public_key: PublicKey::from_multikey(&k.public_multikey).ok()?,
                    created_at: k.created_at,
                    retired_at: k.retired_at,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RedbStore;
    use rand::SeedableRng;

    fn key_file(dir: &Path) -> KeySecret {
        let path = dir.join("k");
        KeySecret::create_key_file(&path).unwrap();
        KeySecret::from_key_file(&path).unwrap()
    }

    #[test]
    fn key_survives_restart_and_is_not_stored_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let secret = key_file(dir.path());
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let public = {
            let store = RedbStore::open(&dir.path().join("db")).unwrap();
            let kr = Keyring::open_or_create(&store, &secret, &mut rng, 0).unwrap();
            let seed = kr.active().to_seed();
            let file = std::fs::read(RedbStore::path(&dir.path().join("db"))).unwrap();
            assert!(
                !file.windows(32).any(|w| w == seed.as_slice()),
                "seed stored in clear"
            );
            assert!(
                !file
                    .windows(64)
                    .any(|w| w == hex::encode(seed.as_slice()).as_bytes())
            );
            kr.active().public_key()
        };
        let store = RedbStore::open(&dir.path().join("db")).unwrap();
        let kr = Keyring::open_or_create(&store, &secret, &mut rng, 1).unwrap();
        assert_eq!(kr.active().public_key(), public);
    }

    #[test]
    fn wrong_secret_and_wrong_kind_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("db")).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        Keyring::open_or_create(&store, &key_file(dir.path()), &mut rng, 0).unwrap();
        let other = KeySecret::KeyFile(Zeroizing::new(vec![7u8; 32]));
        assert!(matches!(
            Keyring::open_or_create(&store, &other, &mut rng, 0),
            Err(KeyringError::WrongSecret)
        ));
        let pass =
            KeySecret::passphrase(Zeroizing::new("a long enough passphrase".into())).unwrap();
        assert!(matches!(
            Keyring::open_or_create(&store, &pass, &mut rng, 0),
            Err(KeyringError::SecretKindMismatch { .. })
        ));
    }

    #[test]
    fn passphrase_keyring_uses_argon2id_and_bounds_stored_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("db")).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let pass = KeySecret::passphrase(Zeroizing::new("correct horse battery".into())).unwrap();
        let kr = Keyring::open_or_create(&store, &pass, &mut rng, 0).unwrap();
        let public = kr.active().public_key();
        let mut record = store.keyring().unwrap().unwrap();
        assert!(matches!(
            record.kdf,
            KdfParams::Argon2id {
                m_kib: ARGON2_M_KIB,
                ..
            }
        ));
        assert_eq!(
            Keyring::open_or_create(&store, &pass, &mut rng, 0)
                .unwrap()
                .active()
                .public_key(),
            public
        );
        // A tampered header asking for 4 GiB is refused before any allocation.
        if let KdfParams::Argon2id { m_kib, .. } = &mut record.kdf {
            *m_kib = 4 * 1024 * 1024;
        }
        store
            .save_keyring(&record, AuditDraft::new("t", "t", None), 0)
            .unwrap();
        assert!(matches!(
            Keyring::open_or_create(&store, &pass, &mut rng, 0),
            Err(KeyringError::BadParameters)
        ));
        assert!(matches!(
            KeySecret::passphrase(Zeroizing::new("short".into())),
            Err(KeyringError::WeakSecret)
        ));
    }

    #[test]
    fn sealed_seed_cannot_be_moved_to_another_slot() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("db")).unwrap();
        let secret = key_file(dir.path());
        let mut rng = rand::rngs::StdRng::seed_from_u64(6);
        let mut kr = Keyring::open_or_create(&store, &secret, &mut rng, 0).unwrap();
        kr.rotate(&store, "admin", &mut rng, 5).unwrap();
        let mut record = store.keyring().unwrap().unwrap();
        let first = record.keys[0].clone();
        record.keys[1].nonce = first.nonce;
        record.keys[1].ciphertext = first.ciphertext;
        store
            .save_keyring(&record, AuditDraft::new("t", "t", None), 0)
            .unwrap();
        assert!(matches!(
            Keyring::open_or_create(&store, &secret, &mut rng, 0),
            Err(KeyringError::WrongSecret)
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Any single-byte change to a sealed seed, its nonce, or the bound key id or public key
        /// is refused: never a silently different key.
        #[test]
        fn any_change_to_a_sealed_key_is_refused(target in 0usize..4, pos in 0usize..64, flip in 1u8..=255) {
            let wrapping = [9u8; 32];
            let key = Ed25519SigningKey::from_seed(&[4; 32]);
            let sealed = seal(&wrapping, "key-1", &key, 0, &mut rand::rngs::StdRng::seed_from_u64(1)).unwrap();
            let mut changed = sealed.clone();
            let mutate_hex = |h: &str| {
                let mut b = hex::decode(h).unwrap();
                let i = pos % b.len();
                b[i] ^= flip;
                hex::encode(b)
            };
            match target {
                0 => changed.ciphertext = mutate_hex(&sealed.ciphertext),
                1 => changed.nonce = mutate_hex(&sealed.nonce),
                2 => changed.kid = format!("key-{}", 2 + pos),
                _ => changed.public_multikey = Ed25519SigningKey::from_seed(&[flip; 32]).public_key().to_multikey(),
            }
            proptest::prop_assume!(changed != sealed);
            proptest::prop_assert!(unseal(&wrapping, &changed).is_err());
            proptest::prop_assert_eq!(unseal(&wrapping, &sealed).unwrap().public_key(), key.public_key());
        }
    }

    #[test]
    fn rotation_retires_but_keeps_old_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("db")).unwrap();
        let secret = key_file(dir.path());
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let mut kr = Keyring::open_or_create(&store, &secret, &mut rng, 0).unwrap();
        let old = kr.active().public_key();
        kr.rotate(&store, "admin", &mut rng, 10).unwrap();
        assert_ne!(kr.active().public_key(), old);
        assert_eq!(kr.active_kid(), "key-2");
        let keys = kr.keys();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].public_key, old);
        assert_eq!(keys[0].retired_at, Some(10));
        assert_eq!(kr.signing_key("key-1").unwrap().public_key(), old);
        assert!(kr.signing_key("key-9").is_err());
        let reopened = Keyring::open_or_create(&store, &secret, &mut rng, 11).unwrap();
        assert_eq!(reopened.active().public_key(), kr.active().public_key());
        assert_eq!(reopened.keys().len(), 2);
    }

    #[test]
    fn key_file_with_open_permissions_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, [1u8; 32]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            KeySecret::from_key_file(&path),
            Err(KeyringError::KeyFile(_))
        ));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, [1u8; 16]).unwrap();
        assert!(matches!(
            KeySecret::from_key_file(&path),
            Err(KeyringError::KeyFile(_))
        ));
    }
}
