//! Shared helpers for the vault's integration tests: contexts, tamper helpers and SoftHSM2
//! token set-up.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use tradeward_vault::{SealContext, SealedSecret, SecretBytes, Vault, VaultError};

pub const SECRET: &[u8] = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

pub fn ctx() -> SealContext {
    SealContext::new("user-1", "cred-1", "binance", "secret")
}

/// Every single-field change of `ctx()`.
pub fn variants() -> Vec<(&'static str, SealContext)> {
    let base = ctx();
    vec![
        (
            "owner",
            SealContext {
                owner: "user-2".into(),
                ..base.clone()
            },
        ),
        (
            "record_id",
            SealContext {
                record_id: "cred-2".into(),
                ..base.clone()
            },
        ),
        (
            "venue",
            SealContext {
                venue: "kraken".into(),
                ..base.clone()
            },
        ),
        (
            "field",
            SealContext {
                field: "api_key".into(),
                ..base.clone()
            },
        ),
        // Boundary shift: same concatenation, different split.
        (
            "boundary",
            SealContext {
                owner: "user-1c".into(),
                record_id: "red-1".into(),
                ..base
            },
        ),
    ]
}

fn flip(bytes: &mut [u8], at: usize) {
    bytes[at] ^= 0x01;
}

/// The full battery every provider must pass: round trip, moved contexts, swapped rows,
/// flipped bytes in each component, malformed shapes.
pub fn assert_envelope_properties(vault: &Vault) {
    let sealed = vault.seal(&ctx(), SECRET).unwrap();
    assert_eq!(vault.open(&ctx(), &sealed).unwrap().expose(), SECRET);
    assert_eq!(sealed.nonce.len(), 12);
    assert_eq!(sealed.ciphertext.len(), SECRET.len() + 16);
    assert_eq!(sealed.kek_version, vault.current_kek_version());
    assert!(!contains(&sealed.ciphertext, &SECRET[..8]));

    // Two seals of one secret share nothing (fresh DEK and nonce each time).
    let again = vault.seal(&ctx(), SECRET).unwrap();
    assert_ne!(again.ciphertext, sealed.ciphertext);
    assert_ne!(again.wrapped_dek, sealed.wrapped_dek);

    for (name, other) in variants() {
        let err = vault.open(&other, &sealed).unwrap_err();
        assert!(
            matches!(err, VaultError::UnwrapFailed { .. }),
            "{name}: {err}"
        );
    }

    // Swap two rows between contexts: neither opens, even with only one part swapped.
    let other_ctx = SealContext::new("user-2", "cred-9", "binance", "secret");
    let other = vault.seal(&other_ctx, b"another user's secret").unwrap();
    assert!(vault.open(&other_ctx, &sealed).is_err());
    assert!(vault.open(&ctx(), &other).is_err());
    let mixed = SealedSecret {
        wrapped_dek: other.wrapped_dek.clone(),
        ..sealed.clone()
    };
    assert!(matches!(
        vault.open(&ctx(), &mixed),
        Err(VaultError::UnwrapFailed { .. })
    ));
    // Own wrapped DEK with a ciphertext from elsewhere: the DEK unwraps, the ciphertext fails.
    let swapped_ct = SealedSecret {
        ciphertext: other.ciphertext.clone(),
        nonce: other.nonce.clone(),
        ..sealed.clone()
    };
    assert!(matches!(
        vault.open(&ctx(), &swapped_ct),
        Err(VaultError::OpenFailed)
    ));

    for at in [0, sealed.ciphertext.len() / 2, sealed.ciphertext.len() - 1] {
        let mut bad = sealed.clone();
        flip(&mut bad.ciphertext, at);
        assert!(
            matches!(vault.open(&ctx(), &bad), Err(VaultError::OpenFailed)),
            "ciphertext byte {at}"
        );
    }
    for at in [0, 11] {
        let mut bad = sealed.clone();
        flip(&mut bad.nonce, at);
        assert!(
            matches!(vault.open(&ctx(), &bad), Err(VaultError::OpenFailed)),
            "nonce byte {at}"
        );
    }
    for at in 0..sealed.wrapped_dek.len() {
        let mut bad = sealed.clone();
        flip(&mut bad.wrapped_dek, at);
        let err = vault.open(&ctx(), &bad).unwrap_err();
        assert!(
            matches!(err, VaultError::UnwrapFailed { version } if version == sealed.kek_version),
            "wrapped byte {at}: {err}"
        );
    }
    let mut truncated = sealed.clone();
    truncated.wrapped_dek.pop();
    assert!(matches!(
        vault.open(&ctx(), &truncated),
        Err(VaultError::UnwrapFailed { .. })
    ));
    let mut short_nonce = sealed.clone();
    short_nonce.nonce.pop();
    assert!(matches!(
        vault.open(&ctx(), &short_nonce),
        Err(VaultError::Malformed(_))
    ));
    let mut no_tag = sealed.clone();
    no_tag.ciphertext.truncate(15);
    assert!(matches!(
        vault.open(&ctx(), &no_tag),
        Err(VaultError::Malformed(_))
    ));
    let unknown = SealedSecret {
        kek_version: 999,
        ..sealed.clone()
    };
    assert!(matches!(
        vault.open(&ctx(), &unknown),
        Err(VaultError::UnknownKekVersion { version: 999, .. })
    ));

    // Empty secrets are allowed and round-trip.
    let empty = vault.seal(&ctx(), b"").unwrap();
    assert!(vault.open(&ctx(), &empty).unwrap().is_empty());
}

/// Rotation: rewrap moves the DEK to the new version without touching the ciphertext; the old
/// blob opens until its version is retired; a DEK wrapped under v1 cannot be relabelled v2.
pub fn assert_rotation(vault: &Vault) {
    let v1 = vault.current_kek_version();
    let old = vault.seal(&ctx(), SECRET).unwrap();
    let v2 = vault.rotate_kek().unwrap();
    assert_eq!(v2, v1 + 1);
    assert_eq!(vault.current_kek_version(), v2);
    assert_eq!(vault.kek_versions(), vec![v1, v2]);

    let new = vault.rewrap(&ctx(), &old).unwrap();
    assert_eq!(new.kek_version, v2);
    assert_eq!(new.ciphertext, old.ciphertext);
    assert_eq!(new.nonce, old.nonce);
    assert_ne!(new.wrapped_dek, old.wrapped_dek);
    assert_eq!(vault.open(&ctx(), &new).unwrap().expose(), SECRET);
    assert_eq!(vault.open(&ctx(), &old).unwrap().expose(), SECRET);
    // Rewrap refuses a row that does not belong to the context it is given.
    assert!(matches!(
        vault.rewrap(&variants()[0].1, &old),
        Err(VaultError::UnwrapFailed { .. })
    ));

    // The version is bound: relabelling a v1-wrapped DEK as v2 (or back) fails.
    let relabelled = SealedSecret {
        kek_version: v2,
        ..old.clone()
    };
    assert!(matches!(
        vault.open(&ctx(), &relabelled),
        Err(VaultError::UnwrapFailed { .. })
    ));
    let relabelled = SealedSecret {
        kek_version: v1,
        ..new.clone()
    };
    assert!(matches!(
        vault.open(&ctx(), &relabelled),
        Err(VaultError::UnwrapFailed { .. })
    ));

    // New seals use v2.
    assert_eq!(vault.seal(&ctx(), SECRET).unwrap().kek_version, v2);

    assert!(matches!(
        vault.retire_kek_version(v2),
        Err(VaultError::RetireCurrent { .. })
    ));
    vault.retire_kek_version(v1).unwrap();
    assert_eq!(vault.kek_versions(), vec![v2]);
    let err = vault.open(&ctx(), &old).unwrap_err();
    assert!(
        matches!(err, VaultError::UnknownKekVersion { version, .. } if version == v1),
        "{err}"
    );
    assert_eq!(vault.open(&ctx(), &new).unwrap().expose(), SECRET);
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The SoftHSM2 module. Missing SoftHSM2 is a test failure, never a skip: the test script
/// installs it (`apt-get install softhsm2`).
pub fn softhsm_module() -> PathBuf {
    let path = std::env::var_os("TRADEWARD_SOFTHSM2_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"));
    assert!(
        path.is_file(),
        "SoftHSM2 module not found at {}: install softhsm2",
        path.display()
    );
    path
}

pub const USER_PIN: &str = "4711-user-pin";
pub const SO_PIN: &str = "0815-so-pin";

/// A private SoftHSM2 token directory and config for this test process, with one initialized
/// token labelled `label`.
///
/// Sets SOFTHSM2_CONF for the whole process. That is safe only because nextest runs every test
/// in its own process, and the module reads the variable once at C_Initialize; the token is
/// created with softhsm2-util before the module is first loaded in this process.
pub fn softhsm_token(root: &Path, label: &str) {
    tradeward_vault::testing::softhsm_token(root, label, SO_PIN, USER_PIN).unwrap();
}

pub fn pin(p: &str) -> SecretBytes {
    SecretBytes::from_slice(p.as_bytes())
}
