//! Helpers for tests (here and in other crates) that need a real database of each backend.
//!
//! PostgreSQL tests get a fresh database each, named `tw_test_<uuid>`, on the server named by
//! `TRADEWARD_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`); the test
//! script drops leftovers before each run. A missing server is a test failure, never a skip.

use sqlx::{Connection, Executor};

use crate::{Store, StoreError};

/// The PostgreSQL admin URL tests connect to.
pub fn postgres_admin_url() -> String {
    std::env::var("TRADEWARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty PostgreSQL database and returns its URL.
pub async fn fresh_postgres_url() -> Result<String, StoreError> {
    sqlx::any::install_default_drivers();
    let admin = postgres_admin_url();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .map_err(|source| StoreError::Connect {
            backend: "postgres",
            source,
        })?;
    let name = format!("tw_test_{}", uuid::Uuid::new_v4().simple());
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .map_err(|source| StoreError::Query {
            op: "create test database",
            source,
        })?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Ok(format!("{base}/{name}"))
}

/// A migrated store on a fresh PostgreSQL database.
pub async fn fresh_postgres() -> Result<Store, StoreError> {
    Store::open(&fresh_postgres_url().await?).await
}

/// A migrated SQLite store in `dir` (a file, so tests can inspect the raw bytes).
pub async fn fresh_sqlite(dir: &std::path::Path) -> Result<Store, StoreError> {
    Store::open(&format!("sqlite://{}", dir.join("tradeward.db").display())).await
}
