//! The `tradeward` binary end to end: `vault rotate-kek` and `vault status` on a data
//! directory, and one-line errors naming the bad setting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Arc;

use tradeward_audit::MemoryAuditSink;
use tradeward_domain::Venue;
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_store::{NewUser, Store};
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

fn tradeward(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tradeward"))
        .args(args)
        .env_remove("TRADEWARD_CONFIG")
        .output()
        .unwrap()
}

#[tokio::test]
async fn rotate_kek_rewraps_every_data_key_of_a_data_dir() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // The same layout `--data-dir` resolves to: database inside, KEK beside.
    let store = Store::open(&format!("sqlite://{}", data.join("tradeward.db").display()))
        .await
        .unwrap();
    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&root.path().join("data.kek")).unwrap(),
    ));
    let user = store
        .create_user(&NewUser {
            email: "t@example.com".into(),
            role: "user".into(),
            created_at_us: 0,
        })
        .await
        .unwrap();
    let signer = Signer::new(store.clone(), vault, Arc::new(MemoryAuditSink::new()));
    for i in 0..3 {
        signer
            .store_credential(
                &CallContext::component("test"),
                CredentialInput {
                    owner: user,
                    venue: Venue::Sim,
                    label: format!("key {i}"),
                    scheme: None,
                    api_key: SecretBytes::from_slice(format!("sim-api-key-{i:08}").as_bytes()),
                    secret: SecretBytes::from_slice(b"sim-secret-0123456789abcdef"),
                    passphrase: None,
                    limits: CredentialLimits::default(),
                    permissions: "{}".into(),
                },
            )
            .await
            .unwrap();
    }
    store.close().await;

    let dir = data.to_str().unwrap();
    let out = tradeward(&["vault", "rotate-kek", "--data-dir", dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Three credentials × (api key, secret), plus the audit checkpoint signing key that the
    // deployment sealed when it opened: every sealed secret moves.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "KEK rotated: new version 2; 7 data keys re-wrapped"
    );

    let out = tradeward(&["vault", "status", "--data-dir", dir]);
    assert!(out.status.success());
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(status.contains("current KEK version: 2"), "{status}");
    assert!(status.contains("version 2: 7 data keys"), "{status}");

    // The rotation is in the audit log.
    let store = Store::open(&format!("sqlite://{}", data.join("tradeward.db").display()))
        .await
        .unwrap();
    let events = store.audit_events(&Default::default()).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.row.kind.as_str()).collect();
    assert_eq!(kinds, ["vault.rotate_kek.start", "vault.rotate_kek.finish"]);
}

#[test]
fn a_bad_config_is_one_line_naming_the_setting() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("tradeward.toml");
    std::fs::write(&config, "[database]\nurl = \"mysql://nope\"\n[vault]\nkind = \"local\"\ndir = \"/nonexistent-kek\"\n").unwrap();
    let out = tradeward(&["vault", "status", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unsupported database URL"), "{err}");

    std::fs::write(&config, "[vault]\nkind = \"locl\"\n").unwrap();
    let out = tradeward(&[
        "vault",
        "status",
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        root.path().join("d").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("locl"), "{err}");
}
