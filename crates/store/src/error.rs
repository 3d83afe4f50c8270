//! The store's error type: what failed, without echoing row contents (which may be sensitive).

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is neither `sqlite://` nor `postgres://`, or is malformed.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://...")]
    BadUrl(String),
    /// Connecting to the database failed.
    #[error("cannot connect to the {backend} database: {source}")]
    Connect {
        /// Which backend was being opened.
        backend: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Applying the schema migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error during {op}: {source}")]
    Query {
        /// The operation being performed (`insert credential`, ...).
        op: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A row violated a uniqueness rule (e.g. an email already taken).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A stored value could not be decoded (e.g. a decimal column holding garbage).
    #[error("corrupt stored value in {column}: {reason}")]
    Corrupt {
        /// Which column held the bad value.
        column: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The row asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
}

/// Wraps a sqlx error with the operation it happened in, mapping unique violations to `Conflict`.
pub(crate) fn query_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| {
        if let sqlx::Error::Database(db) = &source {
            if db.is_unique_violation() {
                return StoreError::Conflict(op);
            }
        }
        StoreError::Query { op, source }
    }
}
