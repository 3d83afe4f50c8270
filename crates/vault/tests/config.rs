//! `KeyProviderConfig`: parsing from TOML and building providers, with errors that name the
//! bad setting.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use common::*;
use tradeward_vault::{KeyProviderConfig, Vault, VaultError};

fn parse(text: &str) -> Result<KeyProviderConfig, toml::de::Error> {
    toml::from_str(text)
}

#[test]
fn parses_every_kind() {
    let local = parse("kind = \"local\"\ndir = \"/var/lib/tw-kek\"\n").unwrap();
    assert_eq!(
        local,
        KeyProviderConfig::Local {
            dir: "/var/lib/tw-kek".into(),
            create_if_missing: false
        }
    );
    let pass = parse("kind = \"passphrase\"\ndir = \"/k\"\npassphrase_env = \"TW_PASS\"\nkdf = { m_cost_kib = 1024, t_cost = 2, p_cost = 1 }\n").unwrap();
    assert!(
        matches!(pass, KeyProviderConfig::Passphrase { ref passphrase_env, kdf: Some(k), .. } if passphrase_env == "TW_PASS" && k.m_cost_kib == 1024)
    );
    let p11 = parse("kind = \"pkcs11\"\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"tw\"\npin_env = \"TW_PIN\"\n").unwrap();
    assert!(
        matches!(p11, KeyProviderConfig::Pkcs11 { ref key_label_prefix, .. } if key_label_prefix == "tradeward-kek")
    );
}

#[test]
fn rejects_unknown_kind_and_unknown_or_secret_fields() {
    assert!(parse("kind = \"vaultish\"\ndir = \"/k\"\n")
        .unwrap_err()
        .to_string()
        .contains("vaultish"));
    // A passphrase written into the config is refused, not silently ignored.
    let err = parse(
        "kind = \"passphrase\"\ndir = \"/k\"\npassphrase_env = \"X\"\npassphrase = \"hunter2\"\n",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown field `passphrase`"),
        "{err}"
    );
    let err = parse("kind = \"pkcs11\"\nmodule = \"/m.so\"\ntoken_label = \"t\"\npin = \"1234\"\n")
        .unwrap_err();
    assert!(err.to_string().contains("unknown field `pin`"), "{err}");
}

#[test]
fn local_build_refuses_missing_dir_unless_asked_to_create() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kek");
    let cfg = KeyProviderConfig::Local {
        dir: dir.clone(),
        create_if_missing: false,
    };
    assert!(matches!(cfg.build(), Err(VaultError::KekFile { .. })));
    let cfg = KeyProviderConfig::Local {
        dir,
        create_if_missing: true,
    };
    let vault = Vault::new(cfg.build().unwrap());
    assert_eq!(vault.provider_kind(), "local");
    assert_envelope_properties(&vault);
}

#[test]
fn passphrase_build_reads_the_env_var_and_names_it_when_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = |var: &str| KeyProviderConfig::Passphrase {
        dir: tmp.path().join("kek"),
        passphrase_env: var.into(),
        kdf: Some(tradeward_vault::KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        }),
        create_if_missing: true,
    };
    let err = cfg("TW_TEST_PASSPHRASE_UNSET").build().unwrap_err();
    assert!(
        matches!(&err, VaultError::Config { setting, .. } if setting == "passphrase_env"),
        "{err}"
    );
    assert!(err.to_string().contains("TW_TEST_PASSPHRASE_UNSET"));
    // Safe: nextest runs each test in its own process.
    std::env::set_var("TW_TEST_PASSPHRASE", "a long operator passphrase");
    let vault = Vault::new(cfg("TW_TEST_PASSPHRASE").build().unwrap());
    assert_eq!(vault.provider_kind(), "passphrase");
    let sealed = vault.seal(&ctx(), SECRET).unwrap();
    std::env::set_var("TW_TEST_PASSPHRASE", "another passphrase");
    assert!(matches!(
        cfg("TW_TEST_PASSPHRASE").build(),
        Err(VaultError::WrongPassphrase { version: 1 })
    ));
    let again = Vault::new(
        cfg("X")
            .build_with_passphrase(pin("a long operator passphrase"))
            .unwrap(),
    );
    assert_eq!(again.open(&ctx(), &sealed).unwrap().expose(), SECRET);
}

#[test]
fn pkcs11_build_needs_exactly_one_pin_source() {
    let cfg =
        |pin_env: Option<&str>, pin_file: Option<std::path::PathBuf>| KeyProviderConfig::Pkcs11 {
            module: "/nonexistent/lib.so".into(),
            token_label: "t".into(),
            pin_env: pin_env.map(Into::into),
            pin_file,
            key_label_prefix: "tradeward-kek".into(),
            create_if_missing: true,
        };
    for bad in [cfg(None, None), cfg(Some("A"), Some("/p".into()))] {
        let err = bad.build().unwrap_err();
        assert!(
            matches!(&err, VaultError::Config { setting, .. } if setting == "pin_env"),
            "{err}"
        );
    }
    let err = cfg(Some("TW_TEST_PIN_UNSET"), None).build().unwrap_err();
    assert!(err.to_string().contains("TW_TEST_PIN_UNSET"), "{err}");
}

#[test]
fn pkcs11_build_with_pin_file_against_softhsm() {
    let module = softhsm_module();
    let tmp = tempfile::tempdir().unwrap();
    softhsm_token(tmp.path(), "cfg-token");
    let pin_file = tmp.path().join("pin");
    fs::write(&pin_file, format!("{USER_PIN}\n")).unwrap();
    fs::set_permissions(&pin_file, fs::Permissions::from_mode(0o644)).unwrap();
    let cfg = KeyProviderConfig::Pkcs11 {
        module,
        token_label: "cfg-token".into(),
        pin_env: None,
        pin_file: Some(pin_file.clone()),
        key_label_prefix: "tradeward-kek".into(),
        create_if_missing: true,
    };
    // A PIN file others can read is refused, naming the file and its mode.
    let err = cfg.build().unwrap_err();
    assert!(
        err.to_string().contains("0644") && err.to_string().contains("pin"),
        "{err}"
    );
    fs::set_permissions(&pin_file, fs::Permissions::from_mode(0o600)).unwrap();
    let provider: Arc<dyn tradeward_vault::KeyProvider> = cfg.build().unwrap();
    let vault = Vault::new(provider);
    assert_eq!(vault.provider_kind(), "pkcs11");
    let sealed = vault.seal(&ctx(), SECRET).unwrap();
    assert_eq!(vault.open(&ctx(), &sealed).unwrap().expose(), SECRET);
}
