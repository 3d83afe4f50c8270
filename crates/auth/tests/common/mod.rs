//! Shared set-up for the auth integration tests: a service over a real store, a local-KEK
//! vault and an in-memory audit log, with cheap argon2 parameters so tests stay fast.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::process::Command;
use std::sync::Arc;

use tradeward_audit::MemoryAuditSink;
use tradeward_auth::passwords::HashParams;
use tradeward_auth::{AuthConfig, AuthService, LoginOutcome, NewSession, RequestContext};
use tradeward_store::Store;
use tradeward_vault::{LocalKeyProvider, SecretString, Vault};

pub const FAST: HashParams = HashParams {
    m_kib: 256,
    t: 1,
    p: 1,
};
pub const T0: i64 = 1_750_000_000_000_000;
pub const SEC: i64 = 1_000_000;

pub struct Env {
    pub auth: AuthService,
    pub audit: Arc<MemoryAuditSink>,
    pub store: Store,
    pub dir: tempfile::TempDir,
}

pub async fn env_with(store: Store, dir: tempfile::TempDir, config: AuthConfig) -> Env {
    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let audit = Arc::new(MemoryAuditSink::new());
    let auth = AuthService::new(store.clone(), vault, audit.clone(), config)
        .await
        .unwrap();
    Env {
        auth,
        audit,
        store,
        dir,
    }
}

pub fn fast_config() -> AuthConfig {
    AuthConfig {
        hash: FAST,
        ..AuthConfig::default()
    }
}

pub async fn sqlite_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = tradeward_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    env_with(store, dir, fast_config()).await
}

pub async fn postgres_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = tradeward_store::testing::fresh_postgres()
        .await
        .expect("PostgreSQL must be reachable for the suite");
    env_with(store, dir, fast_config()).await
}

pub fn pw(text: &str) -> SecretString {
    SecretString::new(text.to_owned())
}

pub fn from(addr: &str) -> RequestContext {
    RequestContext {
        addr: Some(addr.parse::<IpAddr>().unwrap()),
        user_agent: Some("integration-test".into()),
    }
}

pub fn authenticated(outcome: LoginOutcome) -> NewSession {
    match outcome {
        LoginOutcome::Authenticated(s) => s,
        other => panic!("expected a session, got {other:?}"),
    }
}

/// The TOTP code at `unix_secs` as computed by an independent implementation (PyOTP).
pub fn pyotp_code(base32_secret: &str, unix_secs: i64) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, pyotp; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
            base32_secret,
            &unix_secs.to_string(),
        ])
        .output()
        .expect("python3 must be installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "pyotp failed (scripts/test installs it from tests/compat/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
