//! The vault through the library API: round trips, damage, passphrases, backups, locking.

use std::fs;

use wallet::{
    FileKind, KdfParams, PresentationOutcome, PresentationRecord, SharedCredential, VaultConfig,
    Wallet, WalletError, failed_unlock_attempts,
};

use crate::support::*;

const HEADER_LEN: usize = 125;

fn history_entry() -> PresentationRecord {
    PresentationRecord {
        at: now(),
        verifier: "x509_san_dns:verifier.example".into(),
        verifier_proven_by: "x509_san_dns".into(),
        response_uri: "https://verifier.example/response".into(),
        shared: vec![SharedCredential {
            credential: wallet::CredentialId::new("x".into()),
            disclosed: vec!["given_name".into()],
            withheld: vec!["birthdate".into()],
        }],
        outcome: PresentationOutcome::Sent,
    }
}

#[test]
fn everything_survives_lock_and_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let mut w = new_wallet(&path);
    let key = w
        .generate_holder_key(wallet::DidMethod::Key, &mut rng(1), now())
        .unwrap();
    let mut cred = sd_jwt_credential("Erika");
    cred.holder_key = Some(key.id.clone());
    let id = w
        .store_credential(cred.clone(), &mut rng(2), now())
        .unwrap();
    w.record_presentation(history_entry()).unwrap();
    w.lock();

    let w = Wallet::open(&path, &pass(PASS), &TEST_CONFIG).unwrap();
    assert_eq!(w.holder_keys().len(), 1);
    assert_eq!(w.holder_keys()[0].did, key.did);
    assert_eq!(w.holder_keys()[0].credential.as_ref(), Some(&id));
    let stored = w.credential(id.as_str()).unwrap();
    assert_eq!(stored.claims, cred.claims);
    assert_eq!(stored.credential, cred.credential);
    assert_eq!(stored.holder_key, Some(key.id));
    assert_eq!(w.history(), &[history_entry()]);
}

#[test]
fn nothing_is_stored_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let mut w = new_wallet(&path);
    let key = w
        .generate_holder_key(wallet::DidMethod::Key, &mut rng(1), now())
        .unwrap();
    w.store_credential(sd_jwt_credential("Erika"), &mut rng(2), now())
        .unwrap();
    let bytes = fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for needle in [
        "Erika",
        "Mustermann",
        "issuer.example",
        "did:key",
        "given_name",
        key.id.as_str(),
    ] {
        assert!(!text.contains(needle), "{needle} in the clear");
    }
    let public = &key.public_key.to_multicodec()[2..];
    assert!(!bytes.windows(public.len()).any(|w| w == public));
}

#[test]
fn every_save_uses_a_fresh_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let mut w = new_wallet(&path);
    let mut nonces = vec![fs::read(&path).unwrap()[93..117].to_vec()];
    for i in 0..5 {
        w.record_presentation(history_entry()).unwrap();
        let nonce = fs::read(&path).unwrap()[93..117].to_vec();
        assert!(!nonces.contains(&nonce), "nonce reused at save {i}");
        nonces.push(nonce);
    }
}

#[test]
fn wrong_passphrase_is_one_generic_error_counted_until_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    new_wallet(&path).lock();
    let before = fs::read(&path).unwrap();
    for (attempt, guess) in [
        "wrong",
        "",
        "correct horse battery ",
        "CORRECT HORSE BATTERY",
    ]
    .iter()
    .enumerate()
    {
        let err = Wallet::open(&path, &pass(guess), &TEST_CONFIG).unwrap_err();
        assert!(matches!(err, WalletError::WrongPassphrase), "{err:?}");
        assert_eq!(err.to_string(), "wrong passphrase");
        assert_eq!(failed_unlock_attempts(&path), attempt as u32 + 1);
    }
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "a failed unlock changed the vault"
    );
    Wallet::open(&path, &pass(PASS), &TEST_CONFIG).unwrap();
    assert_eq!(failed_unlock_attempts(&path), 0);
}

/// Every kind of damage is reported as what it is, and the file is left exactly as it was:
/// neither opening it nor creating a vault at its path overwrites it.
#[test]
fn damaged_truncated_empty_and_foreign_files_are_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let good_path = dir.path().join("good");
    let mut w = new_wallet(&good_path);
    w.store_credential(sd_jwt_credential("Erika"), &mut rng(2), now())
        .unwrap();
    w.lock();
    let good = fs::read(&good_path).unwrap();

    let flip = |at: usize| {
        let mut b = good.clone();
        b[at] ^= 0x20;
        b
    };
    // Iterations 1 -> 2: still within bounds, so the KDF runs and derives another key.
    let mut more_iterations = good.clone();
    more_iterations[24] = 2;
    let mut newer = good.clone();
    newer[13..15].copy_from_slice(&2u16.to_be_bytes());
    type Case = (&'static str, Vec<u8>, fn(&WalletError) -> bool);
    let cases: Vec<Case> = vec![
        ("ciphertext", flip(HEADER_LEN + 10), |e| {
            matches!(e, WalletError::Damaged)
        }),
        ("tag", flip(good.len() - 1), |e| {
            matches!(e, WalletError::Damaged)
        }),
        ("nonce", flip(100), |e| matches!(e, WalletError::Damaged)),
        ("salt", flip(30), |e| {
            matches!(e, WalletError::WrongPassphrase)
        }),
        ("kdf iterations", more_iterations, |e| {
            matches!(e, WalletError::WrongPassphrase)
        }),
        ("kdf memory", flip(17), |e| {
            matches!(e, WalletError::KdfParamsOutOfBounds)
        }),
        ("kind", flip(15), |e| matches!(e, WalletError::Damaged)),
        ("magic", flip(1), |e| matches!(e, WalletError::NotAVault)),
        ("version", newer, |e| {
            matches!(e, WalletError::UnsupportedVersion(2))
        }),
        ("truncated header", good[..60].to_vec(), |e| {
            matches!(e, WalletError::Truncated)
        }),
        ("truncated body", good[..good.len() - 5].to_vec(), |e| {
            matches!(e, WalletError::Truncated)
        }),
        ("empty", Vec::new(), |e| matches!(e, WalletError::Empty)),
        ("foreign", b"{\"not\": \"a vault\"}".to_vec(), |e| {
            matches!(e, WalletError::NotAVault)
        }),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name.replace(' ', "-"));
        fs::write(&path, &bytes).unwrap();
        let err = Wallet::open(&path, &pass(PASS), &TEST_CONFIG).unwrap_err();
        assert!(expected(&err), "{name}: {err:?}");
        let err = Wallet::create(&path, &pass(PASS), &TEST_CONFIG, now()).unwrap_err();
        assert!(
            matches!(err, WalletError::AlreadyExists(_)),
            "{name}: {err:?}"
        );
        assert_eq!(fs::read(&path).unwrap(), bytes, "{name}: file was changed");
    }
}

#[test]
fn a_second_opener_is_refused_while_the_vault_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let w = new_wallet(&path);
    assert!(matches!(
        Wallet::open(&path, &pass(PASS), &TEST_CONFIG),
        Err(WalletError::InUse)
    ));
    drop(w);
    Wallet::open(&path, &pass(PASS), &TEST_CONFIG).unwrap();
}

#[test]
fn missing_vault_is_not_found_and_create_refuses_short_passphrases() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    assert!(matches!(
        Wallet::open(&path, &pass(PASS), &TEST_CONFIG),
        Err(WalletError::NotFound(_))
    ));
    // Nothing is left behind next to a vault that does not exist.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(matches!(
        Wallet::create(&path, &pass("short"), &TEST_CONFIG, now()),
        Err(WalletError::PassphraseTooShort { .. })
    ));
    assert!(!path.exists());
}

#[test]
fn change_passphrase_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let mut w = new_wallet(&path);
    let id = w
        .store_credential(sd_jwt_credential("Erika"), &mut rng(2), now())
        .unwrap();
    let old_salt = fs::read(&path).unwrap()[29..61].to_vec();
    assert!(matches!(
        w.change_passphrase(&pass("short")),
        Err(WalletError::PassphraseTooShort { .. })
    ));
    w.change_passphrase(&pass("a brand new passphrase"))
        .unwrap();
    assert_ne!(
        fs::read(&path).unwrap()[29..61],
        old_salt,
        "salt not renewed"
    );
    w.lock();
    assert!(matches!(
        Wallet::open(&path, &pass(PASS), &TEST_CONFIG),
        Err(WalletError::WrongPassphrase)
    ));
    let w = Wallet::open(&path, &pass("a brand new passphrase"), &TEST_CONFIG).unwrap();
    w.credential(id.as_str()).unwrap();
}

#[test]
fn backup_restores_a_working_wallet_under_its_own_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let backup = dir.path().join("backup");
    let mut w = new_wallet(&path);
    let key = w
        .generate_holder_key(wallet::DidMethod::Jwk, &mut rng(1), now())
        .unwrap();
    let id = w
        .store_credential(sd_jwt_credential("Erika"), &mut rng(2), now())
        .unwrap();
    w.record_presentation(history_entry()).unwrap();
    w.export_backup(&backup, &pass("the backup passphrase"))
        .unwrap();
    // A backup never overwrites a file.
    assert!(matches!(
        w.export_backup(&backup, &pass("the backup passphrase")),
        Err(WalletError::AlreadyExists(_))
    ));
    let signature_before = {
        use credentials::Signer as _;
        w.signer(&key.id).unwrap().sign(b"msg")
    };
    drop(w);

    // The backup is not a vault, and its passphrase is its own.
    assert!(matches!(
        Wallet::open(&backup, &pass("the backup passphrase"), &TEST_CONFIG),
        Err(WalletError::WrongKind {
            expected: FileKind::Vault,
            found: FileKind::Backup
        })
    ));
    let restored_path = dir.path().join("restored");
    assert!(matches!(
        Wallet::import_backup(
            &backup,
            &pass(PASS),
            &restored_path,
            &pass("restored pass"),
            &TEST_CONFIG
        ),
        Err(WalletError::WrongPassphrase)
    ));
    // Import never overwrites an existing vault.
    assert!(matches!(
        Wallet::import_backup(
            &backup,
            &pass("the backup passphrase"),
            &path,
            &pass("restored pass"),
            &TEST_CONFIG
        ),
        Err(WalletError::AlreadyExists(_))
    ));
    let restored = Wallet::import_backup(
        &backup,
        &pass("the backup passphrase"),
        &restored_path,
        &pass("restored pass"),
        &TEST_CONFIG,
    )
    .unwrap();
    drop(restored);
    let restored = Wallet::open(&restored_path, &pass("restored pass"), &TEST_CONFIG).unwrap();
    assert_eq!(restored.holder_keys()[0].did, key.did);
    assert_eq!(
        restored.credential(id.as_str()).unwrap().claims["given_name"],
        "Erika"
    );
    assert_eq!(restored.history().len(), 1);
    // The restored key signs like the original (Ed25519 is deterministic).
    use credentials::Signer as _;
    assert_eq!(
        restored.signer(&key.id).unwrap().sign(b"msg"),
        signature_before
    );
}

#[test]
fn default_configuration_uses_at_least_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let config = VaultConfig::default();
    let w = Wallet::create(&path, &pass(PASS), &config, now()).unwrap();
    assert_eq!(w.kdf_params(), KdfParams::DEFAULT);
    drop(w);
    let header = fs::read(&path).unwrap();
    let memory_kib = u32::from_be_bytes(header[17..21].try_into().unwrap());
    assert!(memory_kib >= 64 * 1024);
    Wallet::open(&path, &pass(PASS), &config).unwrap();
    // A vault made with test parameters is refused by the real configuration.
    let weak = dir.path().join("weak");
    new_wallet(&weak).lock();
    assert!(matches!(
        Wallet::open(&weak, &pass(PASS), &config),
        Err(WalletError::KdfParamsOutOfBounds)
    ));
}

#[test]
fn credentials_are_found_by_unique_prefix_and_removed_with_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let mut w = new_wallet(&path);
    let key = w
        .generate_holder_key(wallet::DidMethod::Key, &mut rng(1), now())
        .unwrap();
    let mut cred = sd_jwt_credential("Erika");
    cred.holder_key = Some(key.id.clone());
    let a = w.store_credential(cred, &mut rng(2), now()).unwrap();
    let b = w
        .store_credential(sd_jwt_credential("Max"), &mut rng(3), now())
        .unwrap();
    assert_eq!(w.credential(&a.as_str()[..6]).unwrap().id, a);
    assert!(matches!(
        w.credential("zz-none"),
        Err(WalletError::UnknownCredential(_))
    ));
    assert!(matches!(
        w.credential(""),
        Err(WalletError::UnknownCredential(_))
    ));
    w.remove_credential(&a).unwrap();
    assert!(
        w.holder_key(&key.id).is_none(),
        "key of a removed credential kept"
    );
    drop(w);
    let w = Wallet::open(&path, &pass(PASS), &TEST_CONFIG).unwrap();
    assert_eq!(w.credentials().len(), 1);
    assert_eq!(w.credentials()[0].id, b);
}

/// Saves replace the file by renaming a complete new one over it (a new inode every time),
/// never by rewriting it in place, so a crash cannot leave half a vault.
#[cfg(unix)]
#[test]
fn saves_replace_the_file_by_rename() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let mut w = new_wallet(&path);
    for _ in 0..3 {
        // Holding the old file open keeps its inode number from being reused.
        let old = fs::File::open(&path).unwrap();
        let old_len = old.metadata().unwrap().len();
        w.record_presentation(history_entry()).unwrap();
        assert_ne!(
            old.metadata().unwrap().ino(),
            fs::metadata(&path).unwrap().ino(),
            "vault rewritten in place"
        );
        // The old file, still open, was not touched.
        assert_eq!(old.metadata().unwrap().len(), old_len);
    }
    // Only the owner may read it.
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o077, 0);
}

#[test]
fn the_wait_before_an_unlock_grows_with_failures_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    new_wallet(&path).lock();
    let config = VaultConfig {
        throttle: wallet::Throttle {
            base: std::time::Duration::from_millis(1),
            max: std::time::Duration::from_millis(3),
        },
        ..TEST_CONFIG
    };
    assert!(Wallet::unlock_delay(&path, &config).is_zero());
    let _ = Wallet::open(&path, &pass("nope"), &config);
    assert_eq!(
        Wallet::unlock_delay(&path, &config),
        std::time::Duration::from_millis(1)
    );
    let _ = Wallet::open(&path, &pass("nope"), &config);
    assert_eq!(
        Wallet::unlock_delay(&path, &config),
        std::time::Duration::from_millis(2)
    );
    let _ = Wallet::open(&path, &pass("nope"), &config);
    assert_eq!(
        Wallet::unlock_delay(&path, &config),
        std::time::Duration::from_millis(3)
    );
    // A restart of the process does not reset it; only a success does.
    Wallet::open(&path, &pass(PASS), &config).unwrap();
    assert!(Wallet::unlock_delay(&path, &config).is_zero());
}
