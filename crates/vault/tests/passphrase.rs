//! The passphrase provider: envelope properties, rotation, wrong passphrase, nothing secret on
//! disk.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::sync::Arc;

use common::*;
use tradeward_vault::{KdfParams, PassphraseKeyProvider, SecretBytes, Vault, VaultError};

/// Cheap argon2id costs so the tests run fast; production uses `KdfParams::default()`.
const FAST: KdfParams = KdfParams {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};
const PASSPHRASE: &str = "correct horse battery staple";

fn pass(p: &str) -> SecretBytes {
    SecretBytes::from_slice(p.as_bytes())
}

fn vault(dir: &std::path::Path) -> Vault {
    Vault::new(Arc::new(
        PassphraseKeyProvider::open_or_create(dir, pass(PASSPHRASE), FAST).unwrap(),
    ))
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
    assert_rotation(&vault(&dir));
    // The retired version is gone from the parameter file too.
    let reopened = PassphraseKeyProvider::open(&dir, pass(PASSPHRASE), FAST).unwrap();
    assert_eq!(tradeward_vault::KeyProvider::versions(&reopened), vec![2]);
}

#[test]
fn reopen_with_the_same_passphrase_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let v = vault(&dir);
    v.rotate_kek().unwrap();
    let sealed = v.seal(&ctx(), SECRET).unwrap();
    let reopened = Vault::new(Arc::new(
        PassphraseKeyProvider::open(&dir, pass(PASSPHRASE), FAST).unwrap(),
    ));
    assert_eq!(reopened.current_kek_version(), 2);
    assert_eq!(reopened.open(&ctx(), &sealed).unwrap().expose(), SECRET);
}

#[test]
fn wrong_passphrase_is_reported_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    drop(vault(&dir));
    let err =
        PassphraseKeyProvider::open(&dir, pass("correct horse battery stapler"), FAST).unwrap_err();
    assert!(
        matches!(err, VaultError::WrongPassphrase { version: 1 }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "wrong passphrase: it does not derive KEK version 1"
    );
}

#[test]
fn empty_passphrase_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err =
        PassphraseKeyProvider::open_or_create(&tmp.path().join("kek"), pass(""), FAST).unwrap_err();
    assert!(err.to_string().contains("passphrase"), "{err}");
}

#[test]
fn nothing_secret_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let v = vault(&dir);
    v.rotate_kek().unwrap();
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["kek-params.json".to_string()]);
    let text = fs::read_to_string(dir.join("kek-params.json")).unwrap();
    assert!(!text.contains("horse"));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let versions = json["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["kdf"], "argon2id");
    assert_eq!(versions[0]["cost"]["m_cost_kib"], 64);
    assert_ne!(
        versions[0]["salt"], versions[1]["salt"],
        "every version has its own salt"
    );
}

#[test]
fn tampered_params_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    drop(vault(&dir));
    let path = dir.join("kek-params.json");
    let text = fs::read_to_string(&path).unwrap();
    // Changing the salt derives another key: reported as a wrong passphrase for that version.
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let salt = json["versions"][0]["salt"].as_str().unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        if salt.starts_with('0') { "1" } else { "0" },
        &salt[1..]
    );
    fs::write(&path, text.replace(&salt, &flipped)).unwrap();
    assert!(matches!(
        PassphraseKeyProvider::open(&dir, pass(PASSPHRASE), FAST),
        Err(VaultError::WrongPassphrase { .. })
    ));
    fs::write(&path, "{not json").unwrap();
    let err = PassphraseKeyProvider::open(&dir, pass(PASSPHRASE), FAST).unwrap_err();
    assert!(
        matches!(&err, VaultError::KekFile { path: p, .. } if p == &path),
        "{err}"
    );
}
