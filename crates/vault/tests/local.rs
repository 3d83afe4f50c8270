//! The local (KEK file) provider: envelope properties, rotation, file modes and refusals.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use common::*;
use tradeward_vault::{LocalKeyProvider, Vault, VaultError};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn vault(dir: &std::path::Path) -> Vault {
    Vault::new(Arc::new(LocalKeyProvider::open_or_create(dir).unwrap()))
}

#[test]
fn envelope_properties() {
    let tmp = tempfile::tempdir().unwrap();
    assert_envelope_properties(&vault(&tmp.path().join("kek")));
}

#[test]
fn rotation_rewrap_and_retire() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let v = vault(&dir);
    assert_rotation(&v);
    assert!(!dir.join("kek-v1.key").exists());
    assert!(dir.join("kek-v2.key").exists());
}

#[test]
fn creates_private_dir_and_key_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join("kek");
    let v = vault(&dir);
    assert_eq!(mode(&dir), 0o700);
    let key = dir.join("kek-v1.key");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(fs::read(&key).unwrap().len(), 32);
    v.rotate_kek().unwrap();
    assert_eq!(mode(&dir.join("kek-v2.key")), 0o600);
    // No temporary files left behind.
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn reopen_sees_the_same_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let sealed = vault(&dir).seal(&ctx(), SECRET).unwrap();
    let reopened = Vault::new(Arc::new(LocalKeyProvider::open(&dir).unwrap()));
    assert_eq!(reopened.open(&ctx(), &sealed).unwrap().expose(), SECRET);
}

#[test]
fn another_process_rotation_is_picked_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let a = vault(&dir);
    let b = Vault::new(Arc::new(LocalKeyProvider::open(&dir).unwrap()));
    assert_eq!(a.rotate_kek().unwrap(), 2);
    let sealed = a.seal(&ctx(), SECRET).unwrap();
    assert_eq!(b.open(&ctx(), &sealed).unwrap().expose(), SECRET);
    // b never reuses a version a created.
    assert_eq!(b.rotate_kek().unwrap(), 3);
}

#[test]
fn open_refuses_a_missing_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let err = LocalKeyProvider::open(&missing).unwrap_err();
    assert!(
        matches!(&err, VaultError::KekFile { path, .. } if path == &missing),
        "{err}"
    );
    assert!(!missing.exists());
}

#[test]
fn open_refuses_a_dir_without_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let err = LocalKeyProvider::open(&dir).unwrap_err();
    assert!(err.to_string().contains("no KEK files"), "{err}");
}

#[test]
fn refuses_key_file_readable_by_others_naming_path_and_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    drop(vault(&dir));
    let key = dir.join("kek-v1.key");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o640)).unwrap();
    let err = LocalKeyProvider::open(&dir).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, VaultError::KekFile { path, .. } if path == &key),
        "{msg}"
    );
    assert!(msg.contains("0640") && msg.contains("kek-v1.key"), "{msg}");
}

#[test]
fn refuses_dir_open_to_others() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    drop(vault(&dir));
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let err = LocalKeyProvider::open(&dir).unwrap_err();
    assert!(err.to_string().contains("0755"), "{err}");
}

#[test]
fn refuses_key_file_of_wrong_length() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    drop(vault(&dir));
    fs::write(dir.join("kek-v1.key"), [7u8; 31]).unwrap();
    let err = LocalKeyProvider::open(&dir).unwrap_err();
    assert!(
        err.to_string().contains("31 bytes, expected exactly 32"),
        "{err}"
    );
}

#[test]
fn wrong_kek_file_is_a_clear_unwrap_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let sealed = vault(&dir).seal(&ctx(), SECRET).unwrap();
    // Replace the KEK with another valid-looking key (a restore from the wrong backup).
    fs::write(dir.join("kek-v1.key"), [9u8; 32]).unwrap();
    let err = Vault::new(Arc::new(LocalKeyProvider::open(&dir).unwrap()))
        .open(&ctx(), &sealed)
        .unwrap_err();
    assert!(matches!(err, VaultError::UnwrapFailed { version: 1 }));
    assert_eq!(
        err.to_string(),
        "unwrap failed: wrong KEK or corrupted/moved data (KEK version 1)"
    );
}

#[test]
fn errors_and_debug_never_show_secret_material() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let v = vault(&dir);
    let kek = fs::read(dir.join("kek-v1.key")).unwrap();
    let opened = v.open(&ctx(), &v.seal(&ctx(), SECRET).unwrap()).unwrap();
    let shown = format!("{v:?} {opened:?}");
    assert!(
        !shown.contains(&hex::encode(&kek[..4])) && !shown.contains(&format!("{:?}", &kek[..4])),
        "{shown}"
    );
    assert!(!shown.contains("NhqPtmd"), "{shown}");
    assert!(shown.contains("REDACTED"));
}

#[test]
fn concurrent_open_from_many_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let v = vault(&tmp.path().join("kek"));
    let sealed = v.seal(&ctx(), SECRET).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (v, sealed) = (v.clone(), sealed.clone());
            s.spawn(move || {
                for _ in 0..200 {
                    assert_eq!(v.open(&ctx(), &sealed).unwrap().expose(), SECRET);
                }
            });
        }
    });
}
