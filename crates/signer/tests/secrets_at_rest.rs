//! Threats S1 and S2: a full copy of the database (raw SQLite file, `pg_dump`), the audit log
//! and every log line yield no secret; ciphertexts swapped between rows open for neither.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use tradeward_audit::StoreAuditSink;
use tradeward_domain::Venue;
use tradeward_signer::schemes::{HttpMethod, RequestBody, UnsignedRequest};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer, SignerError};
use tradeward_store::{AuditFilter, NewUser, Store};
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

const OKX_KEY: &str = "okx-key-5f2c1d9e-7a31-4c4e-9d1b-secretish";
const OKX_SECRET: &str = "A1B2C3D4E5F60718293A4B5C6D7E8F90";
const OKX_PASSPHRASE: &str = "correct horse battery staple 42";

/// Collects everything every tracing subscriber layer would print, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .unwrap();
    captured
}

fn account_request() -> UnsignedRequest {
    UnsignedRequest {
        method: HttpMethod::Get,
        host: Some("api.binance.com".into()),
        path: "/api/v3/account".into(),
        query: vec![],
        body: RequestBody::None,
    }
}

/// Stores two credentials, signs with them (including a refusal), and returns the signer
/// pieces so the caller can inspect every place a secret could have leaked to.
async fn exercise(store: Store, kek_dir: &std::path::Path) -> (Signer, StoreAuditSink, String) {
    let user = store
        .create_user(&NewUser {
            email: "victim@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let vault = Vault::new(Arc::new(LocalKeyProvider::open_or_create(kek_dir).unwrap()));
    let audit = StoreAuditSink::spawn(store.clone());
    let signer = Signer::new(store, vault, Arc::new(audit.clone()));
    let ctx = CallContext::component("web").for_user(user);
    let input = input(
        user,
        Venue::Binance,
        API_KEY,
        SECRET,
        CredentialLimits::default(),
    );
    let debug_of_input = format!("{input:?}");
    let binance = signer.store_credential(&ctx, input).await.unwrap();
    let okx = signer
        .store_credential(
            &ctx,
            CredentialInput {
                owner: user,
                venue: Venue::Okx,
                label: "okx".into(),
                scheme: None,
                api_key: SecretBytes::new(OKX_KEY.as_bytes().to_vec()),
                secret: SecretBytes::new(OKX_SECRET.as_bytes().to_vec()),
                passphrase: Some(SecretBytes::new(OKX_PASSPHRASE.as_bytes().to_vec())),
                limits: CredentialLimits::default(),
                permissions: "{}".into(),
            },
        )
        .await
        .unwrap();
    let signed = signer
        .sign(&engine_ctx(user), binance.id, &account_request())
        .await
        .unwrap();
    let okx_balance = UnsignedRequest {
        method: HttpMethod::Get,
        host: Some("www.okx.com".into()),
        path: "/api/v5/account/balance".into(),
        query: vec![],
        body: RequestBody::None,
    };
    signer
        .sign(&engine_ctx(user), okx.id, &okx_balance)
        .await
        .unwrap();
    let mut withdraw = account_request();
    withdraw.method = HttpMethod::Post;
    withdraw.path = "/sapi/v1/capital/withdraw/apply".into();
    assert!(matches!(
        signer.sign(&engine_ctx(user), binance.id, &withdraw).await,
        Err(SignerError::Refused(_))
    ));
    audit.flush().await.unwrap();
    let debug = format!("{debug_of_input} {signer:?} {binance:?} {okx:?} {signed:?}");
    (signer, audit, debug)
}

/// The api key travels in a header of the signed request by design (the exchange needs it),
/// so it is excluded from the response check but nowhere else.
fn all_secrets() -> Vec<&'static str> {
    vec![API_KEY, SECRET, OKX_KEY, OKX_SECRET, OKX_PASSPHRASE]
}

async fn audit_text(store: &Store) -> Vec<u8> {
    let rows = store
        .audit_events(&AuditFilter {
            limit: Some(10_000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        rows.len() >= 5,
        "credential adds, signatures and the refusal are audited"
    );
    format!("{rows:?}").into_bytes()
}

#[tokio::test]
async fn sqlite_file_and_logs_hold_no_secret() {
    let logs = capture_logs();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&data).await.unwrap();
    let (signer, _audit, debug) = exercise(store.clone(), &dir.path().join("kek")).await;
    let audit = audit_text(&store).await;
    drop(signer);
    store.close().await;

    let mut raw = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        raw.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(raw.len() > 4096, "the database files were read");
    assert!(
        contains(&raw, b"victim@example.com"),
        "the scan sees plaintext columns"
    );
    assert_no_secret(&raw, &all_secrets(), "the raw SQLite files");
    assert_no_secret(&audit, &all_secrets(), "the audit log");
    let log_bytes = logs.0.lock().unwrap().clone();
    assert_no_secret(&log_bytes, &all_secrets(), "the captured logs");
    // Debug output of inputs, the signer and results hides the secrets too; the signed request
    // carries the API key header by design, so only the secret parts are checked there.
    assert_no_secret(
        debug.as_bytes(),
        &[SECRET, OKX_SECRET, OKX_PASSPHRASE],
        "Debug output",
    );
}

#[tokio::test]
async fn pg_dump_and_logs_hold_no_secret() {
    let logs = capture_logs();
    let dir = tempfile::tempdir().unwrap();
    let url = tradeward_store::testing::fresh_postgres_url()
        .await
        .unwrap();
    let store = Store::open(&url).await.unwrap();
    let (_signer, _audit, _debug) = exercise(store.clone(), &dir.path().join("kek")).await;
    let audit = audit_text(&store).await;
    let dump = std::process::Command::new("pg_dump")
        .arg("--no-owner")
        .arg(&url)
        .output()
        .expect("pg_dump must be installed");
    assert!(
        dump.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(
        contains(&dump.stdout, b"victim@example.com"),
        "the dump holds the data"
    );
    assert!(
        contains(&dump.stdout, b"sealed_secrets"),
        "the dump holds the sealed secrets table"
    );
    assert_no_secret(&dump.stdout, &all_secrets(), "pg_dump");
    assert_no_secret(&audit, &all_secrets(), "the audit log");
    assert_no_secret(&logs.0.lock().unwrap(), &all_secrets(), "the captured logs");
}

#[tokio::test]
async fn swapped_ciphertexts_open_for_neither_credential() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&data).await.unwrap();
    let h = harness(store.clone(), tempfile::tempdir().unwrap()).await;
    let ctx = CallContext::component("web").for_user(h.user);
    let a = h
        .signer
        .store_credential(
            &ctx,
            input(
                h.user,
                Venue::Binance,
                API_KEY,
                SECRET,
                CredentialLimits::default(),
            ),
        )
        .await
        .unwrap();
    let b = h
        .signer
        .store_credential(
            &ctx,
            input(
                h.user,
                Venue::Binance,
                "another-api-key-0123456789",
                "another-secret-abcdef",
                CredentialLimits::default(),
            ),
        )
        .await
        .unwrap();
    h.signer
        .sign(&engine_ctx(h.user), a.id, &account_request())
        .await
        .unwrap();
    h.signer
        .sign(&engine_ctx(h.user), b.id, &account_request())
        .await
        .unwrap();

    // The attacker with database write access swaps the two secrets' sealed payloads.
    let url = format!("sqlite://{}", data.join("tradeward.db").display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let read = "SELECT ciphertext, nonce, wrapped_dek FROM sealed_secrets WHERE record_id = $1 AND field = 'secret'";
    let mut payloads = Vec::new();
    for id in [a.id, b.id] {
        use sqlx::Row;
        let row = sqlx::query(read)
            .bind(id.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
        payloads.push((
            row.get::<Vec<u8>, _>(0),
            row.get::<Vec<u8>, _>(1),
            row.get::<Vec<u8>, _>(2),
        ));
    }
    let write = "UPDATE sealed_secrets SET ciphertext = $1, nonce = $2, wrapped_dek = $3 \
                 WHERE record_id = $4 AND field = 'secret'";
    for (id, (c, n, w)) in [(b.id, &payloads[0]), (a.id, &payloads[1])] {
        let done = sqlx::query(write)
            .bind(c)
            .bind(n)
            .bind(w)
            .bind(id.to_string())
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }
    pool.close().await;

    // A fresh signer (nothing cached) must refuse to use either.
    let fresh = Signer::new(store, h.signer.vault().clone(), h.audit.clone());
    for id in [a.id, b.id] {
        let err = fresh
            .sign(&engine_ctx(h.user), id, &account_request())
            .await
            .unwrap_err();
        assert!(matches!(err, SignerError::Vault(_)), "{err:?}");
    }
}
