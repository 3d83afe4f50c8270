//! Shared set-up for the signer's integration tests: a real store (SQLite or PostgreSQL), a
//! real vault with the local KEK provider, and an in-memory audit sink to assert on.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use tradeward_audit::MemoryAuditSink;
use tradeward_domain::{UserId, Venue};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_store::{NewUser, Store};
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

#[allow(missing_debug_implementations)]
pub struct Harness {
    pub signer: Signer,
    pub store: Store,
    pub audit: Arc<MemoryAuditSink>,
    pub user: UserId,
    pub dirs: tempfile::TempDir,
}

pub const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
pub const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

pub async fn harness(store: Store, dirs: tempfile::TempDir) -> Harness {
    let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
    let vault = Vault::new(Arc::new(provider));
    let audit = Arc::new(MemoryAuditSink::new());
    let user = store
        .create_user(&NewUser {
            email: "trader@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let signer = Signer::new(store.clone(), vault, audit.clone());
    Harness {
        signer,
        store,
        audit,
        user,
        dirs,
    }
}

pub async fn sqlite_harness() -> Harness {
    let dirs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dirs.path().join("data")).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&dirs.path().join("data"))
        .await
        .unwrap();
    harness(store, dirs).await
}

pub async fn postgres_harness() -> (Harness, String) {
    let dirs = tempfile::tempdir().unwrap();
    let url = tradeward_store::testing::fresh_postgres_url()
        .await
        .unwrap();
    let store = Store::open(&url).await.unwrap();
    (harness(store, dirs).await, url)
}

pub fn input(
    owner: UserId,
    venue: Venue,
    key: &str,
    secret: &str,
    limits: CredentialLimits,
) -> CredentialInput {
    CredentialInput {
        owner,
        venue,
        label: "main".into(),
        scheme: None,
        api_key: SecretBytes::new(key.as_bytes().to_vec()),
        secret: SecretBytes::new(secret.as_bytes().to_vec()),
        passphrase: None,
        limits,
        permissions: "{}".into(),
    }
}

pub fn engine_ctx(user: UserId) -> CallContext {
    CallContext {
        component: "engine".into(),
        user_id: Some(user),
        session_id: Some("sess-1".into()),
        source_addr: Some("203.0.113.7".into()),
    }
}

/// Every spelling of `secret` an attacker might grep for.
pub fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    vec![
        secret.to_vec(),
        hex::encode(secret).into_bytes(),
        hex::encode_upper(secret).into_bytes(),
        b64.trim_end_matches('=').as_bytes().to_vec(),
        b64url.into_bytes(),
    ]
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts that no encoding of any secret occurs in `haystack`, naming where it was found.
pub fn assert_no_secret(haystack: &[u8], secrets: &[&str], place: &str) {
    for s in secrets {
        for enc in encodings(s.as_bytes()) {
            assert!(!contains(haystack, &enc), "a secret was found in {place}");
        }
    }
}
