//! Audit events and the sinks that record them.
//!
//! Every security-relevant action (each signature, each refusal, later logins and admin
//! actions) becomes an [`AuditEvent`]. Producers hand events to an [`AuditSink`]; the
//! [`StoreAuditSink`] appends them to the database in order, batching commits so that a
//! signer doing 100,000 signatures a second does not wait on one commit per signature.
//! Events carry facts, never secrets: a request summary, never a key or a signature.
//! (The tamper-evident chain and checkpoints build on this log.)

mod event;
mod memory;
mod store_sink;

pub use event::{AuditEvent, Outcome};
pub use memory::MemoryAuditSink;
pub use store_sink::StoreAuditSink;

/// Recording an audit event failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The sink's writer has stopped (shutdown or a fatal database error).
    #[error("the audit log writer has stopped; refusing to act without an audit trail")]
    WriterStopped,
    /// Writing to the database failed.
    #[error("cannot write the audit log: {0}")]
    Store(#[from] tradeward_store::StoreError),
}

/// Where audit events go. Implementations keep events in the order `record` was called.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    /// Records an event. It must be queued in order before this returns; durability may follow
    /// within the sink's flush interval (see [`StoreAuditSink`]).
    fn record(&self, event: AuditEvent) -> Result<(), AuditError>;
}
