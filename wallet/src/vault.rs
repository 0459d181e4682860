//! The vault container: one encrypted file.
//!
//! Layout of format version 1 (integers big-endian). The whole header is the AEAD's
//! associated data, so no header byte can change without the decryption failing.
//!
//! | offset | size | field                                                        |
//! |--------|------|--------------------------------------------------------------|
//! | 0      | 13   | magic `\x89DISCLOSE\r\n\x1a\n`                                |
//! | 13     | 2    | format version (1)                                           |
//! | 15     | 1    | kind: 1 vault, 2 backup                                      |
//! | 16     | 1    | KDF: 1 = Argon2id version 0x13                               |
//! | 17     | 4    | Argon2 memory in KiB                                         |
//! | 21     | 4    | Argon2 iterations                                            |
//! | 25     | 4    | Argon2 parallelism                                           |
//! | 29     | 32   | salt                                                         |
//! | 61     | 32   | key check: SHA-256(`disclose-vault/v1/key-check` ‖ key)       |
//! | 93     | 24   | XChaCha20-Poly1305 nonce (fresh for every save)              |
//! | 117    | 8    | ciphertext length, tag included                              |
//! | 125    | n    | ciphertext ‖ 16-byte tag                                     |
//!
//! The magic (PNG-style: a high byte, CR LF, ^Z, LF) makes a foreign file, or one mangled by
//! a text-mode transfer, fail as "not a vault". The key check tells a wrong passphrase (one
//! generic error) from a damaged ciphertext (reported as damaged, never overwritten); it also
//! commits the file to one key, which XChaCha20-Poly1305 alone does not. It gives a guesser
//! nothing the ciphertext does not: every guess still costs one Argon2id derivation.
//!
//! The KDF parameters are checked against a [`KdfPolicy`] before Argon2 runs, so a tampered
//! header cannot make the wallet allocate gigabytes.

use chacha20poly1305::aead::{AeadInPlace as _, KeyInit as _};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore as _};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::error::WalletError;
use crate::passphrase::Passphrase;

/// The file magic.
pub const MAGIC: [u8; 13] = *b"\x89DISCLOSE\r\n\x1a\n";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// The header length of format version 1.
pub const HEADER_LEN: usize = 125;
/// The AEAD tag length.
const TAG_LEN: usize = 16;
/// The largest ciphertext this wallet reads or writes (64 MiB): bounds the read of a file.
pub const MAX_CIPHERTEXT_LEN: u64 = 64 * 1024 * 1024;
const KDF_ARGON2ID_V13: u8 = 1;
const KEY_CHECK_DOMAIN: &[u8] = b"disclose-vault/v1/key-check";

/// Which of the two uses of the container a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A wallet's vault.
    Vault,
    /// An exported backup (encrypted under its own passphrase).
    Backup,
}

impl FileKind {
    fn code(self) -> u8 {
        match self {
            FileKind::Vault => 1,
            FileKind::Backup => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(FileKind::Vault),
            2 => Some(FileKind::Backup),
            _ => None,
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Vault => "wallet vault",
            FileKind::Backup => "wallet backup",
        })
    }
}

/// Argon2id parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The parameters of every new vault: 64 MiB, 3 passes, 4 lanes (RFC 9106 section 4,
    /// second recommended option).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 4,
    };

    /// Tiny parameters that make tests fast. **Insecure**: only usable together with
    /// [`KdfPolicy::insecure_for_tests`], which the default policy is not.
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Bounds on the KDF parameters, applied to a header before any derivation and to the
/// parameters of a new vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfPolicy {
    /// Least memory accepted, KiB.
    pub min_memory_kib: u32,
    /// Most memory accepted, KiB.
    pub max_memory_kib: u32,
    /// Least passes accepted.
    pub min_iterations: u32,
    /// Most passes accepted.
    pub max_iterations: u32,
    /// Most lanes accepted.
    pub max_parallelism: u32,
}

impl KdfPolicy {
    /// The policy of every real wallet: at least 64 MiB and 1 pass, at most 1 GiB, 16 passes
    /// and 16 lanes.
    pub const DEFAULT: KdfPolicy = KdfPolicy {
        min_memory_kib: 64 * 1024,
        max_memory_kib: 1024 * 1024,
        min_iterations: 1,
        max_iterations: 16,
        max_parallelism: 16,
    };

    /// Lets tests use [`KdfParams::INSECURE_FOR_TESTS`]. The maxima stay those of the default
    /// policy. **Insecure**: never use it for a real vault.
    pub const fn insecure_for_tests() -> KdfPolicy {
        KdfPolicy {
            min_memory_kib: 8,
            ..Self::DEFAULT
        }
    }

    /// Checks `params` against the bounds, and against Argon2's own rule that memory is at
    /// least 8 KiB per lane. Allocates nothing.
    pub fn check(&self, params: &KdfParams) -> Result<(), WalletError> {
        let ok = (self.min_memory_kib..=self.max_memory_kib).contains(&params.memory_kib)
            && (self.min_iterations..=self.max_iterations).contains(&params.iterations)
            && (1..=self.max_parallelism).contains(&params.parallelism)
            && u64::from(params.memory_kib) >= 8 * u64::from(params.parallelism);
        if ok {
            Ok(())
        } else {
            Err(WalletError::KdfParamsOutOfBounds)
        }
    }
}

impl Default for KdfPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A parsed header (the first [`HEADER_LEN`] bytes of a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Vault or backup.
    pub kind: FileKind,
    /// The KDF parameters.
    pub kdf: KdfParams,
    /// The KDF salt.
    pub salt: [u8; 32],
    /// The key check value.
    pub key_check: [u8; 32],
    /// The AEAD nonce.
    pub nonce: [u8; 24],
    /// The length of the ciphertext with its tag.
    pub ciphertext_len: u64,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..13].copy_from_slice(&MAGIC);
        out[13..15].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
        out[15] = self.kind.code();
        out[16] = KDF_ARGON2ID_V13;
        out[17..21].copy_from_slice(&self.kdf.memory_kib.to_be_bytes());
        out[21..25].copy_from_slice(&self.kdf.iterations.to_be_bytes());
        out[25..29].copy_from_slice(&self.kdf.parallelism.to_be_bytes());
        out[29..61].copy_from_slice(&self.salt);
        out[61..93].copy_from_slice(&self.key_check);
        out[93..117].copy_from_slice(&self.nonce);
        out[117..125].copy_from_slice(&self.ciphertext_len.to_be_bytes());
        out
    }

    /// Parses and checks the structure of a whole file: magic, version, kind, KDF, and that
    /// the ciphertext is exactly as long as the header says. The KDF parameters are *not*
    /// bounded here (see [`KdfPolicy::check`]).
    pub fn parse(file: &[u8]) -> Result<Header, WalletError> {
        if file.is_empty() {
            return Err(WalletError::Empty);
        }
        if file.len() < MAGIC.len() {
            return Err(if MAGIC.starts_with(file) {
                WalletError::Truncated
            } else {
                WalletError::NotAVault
            });
        }
        if file[..MAGIC.len()] != MAGIC {
            return Err(WalletError::NotAVault);
        }
        let Some(version) = file.get(13..15) else {
            return Err(WalletError::Truncated);
        };
        let version = u16::from_be_bytes([version[0], version[1]]);
        if version != FORMAT_VERSION {
            return Err(WalletError::UnsupportedVersion(version));
        }
        let Some(header) = file.get(..HEADER_LEN) else {
            return Err(WalletError::Truncated);
        };
        let kind = FileKind::from_code(header[15]).ok_or(WalletError::Damaged)?;
        if header[16] != KDF_ARGON2ID_V13 {
            return Err(WalletError::UnsupportedKdf(header[16]));
        }
        let u32_at = |at: usize| {
            u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&header[29..61]);
        let mut key_check = [0u8; 32];
        key_check.copy_from_slice(&header[61..93]);
        let mut nonce = [0u8; 24];
        nonce.copy_from_slice(&header[93..117]);
        let mut len = [0u8; 8];
        len.copy_from_slice(&header[117..125]);
        let ciphertext_len = u64::from_be_bytes(len);
        if !(TAG_LEN as u64..=MAX_CIPHERTEXT_LEN).contains(&ciphertext_len) {
            return Err(WalletError::Damaged);
        }
        let body = (file.len() - HEADER_LEN) as u64;
        if body < ciphertext_len {
            return Err(WalletError::Truncated);
        }
        if body > ciphertext_len {
            return Err(WalletError::Damaged);
        }
        Ok(Header {
            kind,
            kdf: KdfParams {
                memory_kib: u32_at(17),
                iterations: u32_at(21),
                parallelism: u32_at(25),
            },
            salt,
            key_check,
            nonce,
            ciphertext_len,
        })
    }
}

/// A key derived from a passphrase, with the salt and parameters it was derived with.
pub struct DerivedKey {
    key: Zeroizing<[u8; 32]>,
    kdf: KdfParams,
    salt: [u8; 32],
}

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DerivedKey")
            .field("kdf", &self.kdf)
            .finish_non_exhaustive()
    }
}

impl DerivedKey {
    /// Derives a key under a fresh random salt. `policy` bounds `kdf` (a real wallet cannot be
    /// created with weak parameters).
    pub fn new(
        passphrase: &Passphrase,
        kdf: KdfParams,
        policy: &KdfPolicy,
    ) -> Result<Self, WalletError> {
        let mut salt = [0u8; 32];
        OsRng.fill_bytes(&mut salt);
        Self::derive(passphrase, kdf, salt, policy)
    }

    fn derive(
        passphrase: &Passphrase,
        kdf: KdfParams,
        salt: [u8; 32],
        policy: &KdfPolicy,
    ) -> Result<Self, WalletError> {
        // Bounds first: nothing is allocated for parameters outside them.
        policy.check(&kdf)?;
        let params = argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
            .map_err(|_| WalletError::KdfParamsOutOfBounds)?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
            .map_err(|_| WalletError::KdfParamsOutOfBounds)?;
        Ok(Self { key, kdf, salt })
    }

    fn key_check(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(KEY_CHECK_DOMAIN);
        hasher.update(self.key.as_ref());
        hasher.finalize().into()
    }

    /// The KDF parameters.
    pub fn kdf(&self) -> KdfParams {
        self.kdf
    }
}

/// Encrypts `plaintext` into a complete file of `kind`, with a fresh random nonce.
pub fn seal(key: &DerivedKey, kind: FileKind, plaintext: &[u8]) -> Result<Vec<u8>, WalletError> {
    let ciphertext_len = plaintext.len() as u64 + TAG_LEN as u64;
    if ciphertext_len > MAX_CIPHERTEXT_LEN {
        return Err(WalletError::TooLarge);
    }
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let header = Header {
        kind,
        kdf: key.kdf,
        salt: key.salt,
        key_check: key.key_check(),
        nonce,
        ciphertext_len,
    }
    .encode();
    // Allocate once: the plaintext is encrypted in place and no copy of it is left behind by
    // a reallocation.
    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&header);
    out.extend_from_slice(plaintext);
    let cipher = cipher(key)?;
    let tag = cipher
        .encrypt_in_place_detached(&XNonce::from(nonce), &header, &mut out[HEADER_LEN..])
        .map_err(|_| WalletError::TooLarge)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

fn cipher(key: &DerivedKey) -> Result<XChaCha20Poly1305, WalletError> {
    // The key is always 32 bytes; the error arm is unreachable.
    XChaCha20Poly1305::new_from_slice(key.key.as_ref()).map_err(|_| WalletError::Damaged)
}

/// A decrypted file: its plaintext and the key that opened it (kept for later saves).
pub struct Opened {
    /// The decrypted contents.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The key, salt and parameters of the file.
    pub key: DerivedKey,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Parses `file`, checks it is of `kind` and that its KDF parameters are within `policy`,
/// derives the key and decrypts.
pub fn open(
    file: &[u8],
    kind: FileKind,
    passphrase: &Passphrase,
    policy: &KdfPolicy,
) -> Result<Opened, WalletError> {
    let header = Header::parse(file)?;
    if header.kind != kind {
        return Err(WalletError::WrongKind {
            expected: kind,
            found: header.kind,
        });
    }
    let key = DerivedKey::derive(passphrase, header.kdf, header.salt, policy)?;
    if !bool::from(key.key_check().ct_eq(&header.key_check)) {
        return Err(WalletError::WrongPassphrase);
    }
    let (aad, body) = file.split_at(HEADER_LEN);
    let (ciphertext, tag) = body.split_at(body.len() - TAG_LEN);
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| WalletError::Damaged)?;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    cipher(&key)?
        .decrypt_in_place_detached(
            &XNonce::from(header.nonce),
            aad,
            plaintext.as_mut_slice(),
            &Tag::from(tag),
        )
        .map_err(|_| WalletError::Damaged)?;
    Ok(Opened { plaintext, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned())
    }

    const POLICY: KdfPolicy = KdfPolicy::insecure_for_tests();

    fn sealed(plaintext: &[u8]) -> Vec<u8> {
        let key = DerivedKey::new(
            &pass("correct horse"),
            KdfParams::INSECURE_FOR_TESTS,
            &POLICY,
        )
        .unwrap();
        seal(&key, FileKind::Vault, plaintext).unwrap()
    }

    #[test]
    fn round_trip() {
        let file = sealed(b"hello vault");
        let opened = open(&file, FileKind::Vault, &pass("correct horse"), &POLICY).unwrap();
        assert_eq!(opened.plaintext.as_slice(), b"hello vault");
        assert_eq!(file.len(), HEADER_LEN + 11 + TAG_LEN);
    }

    #[test]
    fn wrong_passphrase_is_the_generic_error() {
        let file = sealed(b"x");
        assert!(matches!(
            open(&file, FileKind::Vault, &pass("battery staple"), &POLICY),
            Err(WalletError::WrongPassphrase)
        ));
    }

    #[test]
    fn fresh_nonce_for_every_seal() {
        let key = DerivedKey::new(
            &pass("correct horse"),
            KdfParams::INSECURE_FOR_TESTS,
            &POLICY,
        )
        .unwrap();
        let a = seal(&key, FileKind::Vault, b"same").unwrap();
        let b = seal(&key, FileKind::Vault, b"same").unwrap();
        assert_ne!(a[93..117], b[93..117], "nonce reused");
        assert_ne!(a[HEADER_LEN..], b[HEADER_LEN..]);
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let file = sealed(b"some secret contents");
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            let result = open(&bad, FileKind::Vault, &pass("correct horse"), &POLICY);
            assert!(result.is_err(), "flip at byte {i} accepted");
        }
    }

    #[test]
    fn tampered_regions_give_their_errors() {
        let file = sealed(b"some secret contents");
        let flip = |at: usize| {
            let mut bad = file.clone();
            bad[at] ^= 0x40;
            open(&bad, FileKind::Vault, &pass("correct horse"), &POLICY).err()
        };
        // Ciphertext, tag and nonce: the key is right, the AEAD fails: damaged.
        assert!(matches!(flip(HEADER_LEN + 3), Some(WalletError::Damaged)));
        assert!(matches!(flip(file.len() - 1), Some(WalletError::Damaged)));
        assert!(matches!(flip(100), Some(WalletError::Damaged)));
        // Salt and key check: a different key, indistinguishable from a wrong passphrase.
        assert!(matches!(flip(40), Some(WalletError::WrongPassphrase)));
        assert!(matches!(flip(70), Some(WalletError::WrongPassphrase)));
        // Magic, version, kind, KDF id.
        assert!(matches!(flip(2), Some(WalletError::NotAVault)));
        assert!(matches!(
            flip(14),
            Some(WalletError::UnsupportedVersion(0x41))
        ));
        assert!(matches!(flip(15), Some(WalletError::Damaged)));
        assert!(matches!(flip(16), Some(WalletError::UnsupportedKdf(0x41))));
        // Length field: the file no longer matches it.
        assert!(matches!(flip(124), Some(WalletError::Truncated)));
    }

    #[test]
    fn truncation_at_every_length_is_reported() {
        let file = sealed(b"contents");
        assert!(matches!(Header::parse(&[]), Err(WalletError::Empty)));
        for len in 1..file.len() {
            let err = open(
                &file[..len],
                FileKind::Vault,
                &pass("correct horse"),
                &POLICY,
            )
            .unwrap_err();
            assert!(
                matches!(err, WalletError::Truncated),
                "length {len}: {err:?}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_damage() {
        let mut file = sealed(b"contents");
        file.push(0);
        assert!(matches!(Header::parse(&file), Err(WalletError::Damaged)));
    }

    #[test]
    fn foreign_files_are_not_vaults() {
        for foreign in [
            &b"{\"json\": true}"[..],
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            b"PK\x03\x04 zip",
            b"x",
        ] {
            assert!(
                matches!(Header::parse(foreign), Err(WalletError::NotAVault)),
                "{foreign:?}"
            );
        }
    }

    #[test]
    fn newer_version_is_refused_clearly() {
        let mut file = sealed(b"contents");
        file[13..15].copy_from_slice(&2u16.to_be_bytes());
        assert!(matches!(
            Header::parse(&file),
            Err(WalletError::UnsupportedVersion(2))
        ));
    }

    #[test]
    fn backup_is_not_opened_as_vault() {
        let key = DerivedKey::new(
            &pass("correct horse"),
            KdfParams::INSECURE_FOR_TESTS,
            &POLICY,
        )
        .unwrap();
        let file = seal(&key, FileKind::Backup, b"b").unwrap();
        assert!(matches!(
            open(&file, FileKind::Vault, &pass("correct horse"), &POLICY),
            Err(WalletError::WrongKind {
                expected: FileKind::Vault,
                found: FileKind::Backup
            })
        ));
    }

    fn with_kdf(file: &[u8], memory: u32, iterations: u32, parallelism: u32) -> Vec<u8> {
        let mut bad = file.to_vec();
        bad[17..21].copy_from_slice(&memory.to_be_bytes());
        bad[21..25].copy_from_slice(&iterations.to_be_bytes());
        bad[25..29].copy_from_slice(&parallelism.to_be_bytes());
        bad
    }

    #[test]
    fn absurd_kdf_parameters_are_refused_before_derivation() {
        let file = sealed(b"contents");
        // If any of these reached Argon2 the test would allocate terabytes or run for hours.
        for (m, t, p) in [
            (u32::MAX, 1, 1),
            (1024 * 1024 + 1, 1, 1),
            (64, u32::MAX, 1),
            (64, 17, 1),
            (64, 0, 1),
            (64 * 1024, 1, 0),
            (64 * 1024, 1, 17),
            (64 * 1024, 1, u32::MAX),
            (8, 1, 2),
        ] {
            let bad = with_kdf(&file, m, t, p);
            assert!(
                matches!(
                    open(&bad, FileKind::Vault, &pass("correct horse"), &POLICY),
                    Err(WalletError::KdfParamsOutOfBounds)
                ),
                "({m}, {t}, {p})"
            );
        }
    }

    #[test]
    fn default_policy_refuses_weak_parameters() {
        // A vault written with test parameters does not open under the real policy, and no
        // real vault can be created with them.
        let file = sealed(b"contents");
        assert!(matches!(
            open(
                &file,
                FileKind::Vault,
                &pass("correct horse"),
                &KdfPolicy::DEFAULT
            ),
            Err(WalletError::KdfParamsOutOfBounds)
        ));
        assert!(matches!(
            DerivedKey::new(
                &pass("correct horse"),
                KdfParams::INSECURE_FOR_TESTS,
                &KdfPolicy::DEFAULT
            ),
            Err(WalletError::KdfParamsOutOfBounds)
        ));
        KdfPolicy::DEFAULT.check(&KdfParams::DEFAULT).unwrap();
        const { assert!(KdfParams::DEFAULT.memory_kib >= 64 * 1024) };
        const { assert!(KdfPolicy::DEFAULT.min_memory_kib >= 64 * 1024) };
        assert_eq!(
            KdfPolicy::DEFAULT.max_memory_kib,
            KdfPolicy::insecure_for_tests().max_memory_kib
        );
    }

    #[test]
    fn oversized_ciphertext_length_is_refused() {
        let mut file = sealed(b"contents");
        file[117..125].copy_from_slice(&(MAX_CIPHERTEXT_LEN + 1).to_be_bytes());
        assert!(matches!(Header::parse(&file), Err(WalletError::Damaged)));
    }

    proptest::proptest! {
        /// Untrusted input: any bytes parse to a header or a typed error, never a panic, and
        /// opening never succeeds by accident.
        #[test]
        fn arbitrary_files_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = Header::parse(&bytes);
            proptest::prop_assert!(open(&bytes, FileKind::Vault, &pass("correct horse"), &POLICY).is_err());
        }

        /// A valid magic and version followed by arbitrary bytes: still a typed error.
        #[test]
        fn arbitrary_headers_never_panic(rest in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
            bytes.extend_from_slice(&rest);
            proptest::prop_assert!(open(&bytes, FileKind::Vault, &pass("correct horse"), &POLICY).is_err());
        }

        #[test]
        fn any_byte_change_is_refused(at in 0usize..(HEADER_LEN + 40), value in proptest::prelude::any::<u8>()) {
            let file = sealed(&[7u8; 24]);
            proptest::prop_assume!(file[at] != value);
            let mut bad = file.clone();
            bad[at] = value;
            proptest::prop_assert!(open(&bad, FileKind::Vault, &pass("correct horse"), &POLICY).is_err());
        }
    }
}
