//! The PKCS#11 provider against a real SoftHSM2 token. Each test makes its own token directory
//! and sets SOFTHSM2_CONF for its process (safe because nextest runs each test in its own
//! process). A missing SoftHSM2 fails these tests; it is never skipped.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use tradeward_vault::provider::pkcs11::shared_context;
use tradeward_vault::{
    KeyProvider, Pkcs11Config, Pkcs11KeyProvider, SealedSecret, Vault, VaultError,
};

const TOKEN: &str = "tradeward-test";

fn config(module: PathBuf, user_pin: &str) -> Pkcs11Config {
    Pkcs11Config {
        module_path: module,
        token_label: TOKEN.into(),
        pin: pin(user_pin),
        key_label_prefix: "tradeward-kek".into(),
    }
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let module = softhsm_module();
    let tmp = tempfile::tempdir().unwrap();
    softhsm_token(tmp.path(), TOKEN);
    (tmp, module)
}

fn vault(module: &Path) -> Vault {
    Vault::new(Arc::new(
        Pkcs11KeyProvider::open_or_create(config(module.to_path_buf(), USER_PIN)).unwrap(),
    ))
}

#[test]
fn envelope_properties() {
    let (_tmp, module) = setup();
    assert_envelope_properties(&vault(&module));
}

#[test]
fn rotation_rewrap_and_retire() {
    let (_tmp, module) = setup();
    assert_rotation(&vault(&module));
}

#[test]
fn kek_objects_are_sensitive_and_not_extractable() {
    use cryptoki::object::{Attribute, AttributeType, ObjectClass};
    use cryptoki::session::UserType;
    let (_tmp, module) = setup();
    let v = vault(&module);
    v.rotate_kek().unwrap();
    let ctx = shared_context(&module).unwrap();
    let slot = ctx.get_slots_with_initialized_token().unwrap()[0];
    let session = ctx.open_ro_session(slot).unwrap();
    // Already logged in through the provider's session (login is per application).
    let _ = session.login(
        UserType::User,
        Some(&cryptoki::types::AuthPin::new(USER_PIN.into())),
    );
    for version in [1, 2] {
        let label = format!("tradeward-kek-v{version}");
        let handles = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(label.clone().into_bytes()),
            ])
            .unwrap();
        assert_eq!(handles.len(), 1, "{label}");
        let attrs = session
            .get_attributes(
                handles[0],
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::Token,
                ],
            )
            .unwrap();
        assert!(
            attrs
                .iter()
                .any(|a| matches!(a, Attribute::Sensitive(true))),
            "{label}: {attrs:?}"
        );
        assert!(
            attrs
                .iter()
                .any(|a| matches!(a, Attribute::Extractable(false))),
            "{label}: {attrs:?}"
        );
        assert!(
            attrs.iter().any(|a| matches!(a, Attribute::Token(true))),
            "{label}: {attrs:?}"
        );
    }
}

#[test]
fn reconnect_opens_and_open_requires_a_key() {
    let (_tmp, module) = setup();
    let err = Pkcs11KeyProvider::open(config(module.clone(), USER_PIN)).unwrap_err();
    assert!(
        err.to_string()
            .contains("no key labelled tradeward-kek-v<N>"),
        "{err}"
    );
    let sealed = vault(&module).seal(&ctx(), SECRET).unwrap();
    let again = Vault::new(Arc::new(
        Pkcs11KeyProvider::open(config(module, USER_PIN)).unwrap(),
    ));
    assert_eq!(again.open(&ctx(), &sealed).unwrap().expose(), SECRET);
}

#[test]
fn wrong_pin_is_a_clear_error() {
    let (_tmp, module) = setup();
    let err = Pkcs11KeyProvider::open_or_create(config(module, "not-the-pin")).unwrap_err();
    assert!(
        matches!(
            &err,
            VaultError::Pkcs11Login {
                reason: "wrong PIN",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "PKCS#11 login to token \"tradeward-test\" failed: wrong PIN"
    );
    assert!(!err.to_string().contains("not-the-pin"));
}

#[test]
fn missing_module_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("libnothere.so");
    let err = Pkcs11KeyProvider::open_or_create(config(missing.clone(), USER_PIN)).unwrap_err();
    assert!(
        matches!(&err, VaultError::Pkcs11ModuleMissing { path } if path == &missing),
        "{err}"
    );
    assert!(err.to_string().contains("libnothere.so"));
}

#[test]
fn unknown_token_is_a_clear_error() {
    let (_tmp, module) = setup();
    let mut cfg = config(module, USER_PIN);
    cfg.token_label = "no-such-token".into();
    let err = Pkcs11KeyProvider::open_or_create(cfg).unwrap_err();
    assert!(
        matches!(&err, VaultError::Pkcs11TokenNotFound { label } if label == "no-such-token"),
        "{err}"
    );
}

#[test]
fn moved_ciphertext_fails_and_tag_failure_maps_to_unwrap_failed() {
    let (_tmp, module) = setup();
    let v = vault(&module);
    let a = v.seal(&ctx(), SECRET).unwrap();
    let other = SealContext::new("user-1", "cred-2", "binance", "secret");
    let b = v.seal(&other, b"second credential").unwrap();
    // Whole row moved to another record.
    assert!(matches!(
        v.open(&other, &a),
        Err(VaultError::UnwrapFailed { version: 1 })
    ));
    // Only the ciphertext moved: the DEK unwraps, the secret does not open.
    let moved = SealedSecret {
        ciphertext: b.ciphertext.clone(),
        nonce: b.nonce.clone(),
        ..a.clone()
    };
    assert!(matches!(
        v.open(&ctx(), &moved),
        Err(VaultError::OpenFailed)
    ));
    // The session that saw CKR_GENERAL_ERROR stays usable.
    assert_eq!(v.open(&ctx(), &a).unwrap().expose(), SECRET);
}

#[test]
fn concurrent_use_from_many_threads() {
    let (_tmp, module) = setup();
    let v = vault(&module);
    let sealed = v.seal(&ctx(), SECRET).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (v, sealed) = (v.clone(), sealed.clone());
            s.spawn(move || {
                for _ in 0..50 {
                    assert_eq!(v.open(&ctx(), &sealed).unwrap().expose(), SECRET);
                    let fresh = v.seal(&ctx(), SECRET).unwrap();
                    assert_eq!(v.open(&ctx(), &fresh).unwrap().expose(), SECRET);
                }
            });
        }
    });
}

#[test]
fn provider_reports_kind_and_versions() {
    let (_tmp, module) = setup();
    let p = Pkcs11KeyProvider::open_or_create(config(module, USER_PIN)).unwrap();
    assert_eq!(p.kind(), "pkcs11");
    assert_eq!(p.versions(), vec![1]);
    assert_eq!(p.current_version(), 1);
    let shown = format!("{p:?}");
    assert!(!shown.contains(USER_PIN), "{shown}");
}

use tradeward_vault::SealContext;
