//! Audit events, the sinks that record them, and the tamper-evident log they form.
//!
//! Every security-relevant action (each signature, each refusal, logins and admin actions)
//! becomes an [`AuditEvent`]. Producers hand events to an [`AuditSink`]; the
//! [`StoreAuditSink`] appends them to the database in order, batching commits so that a
//! signer doing 100,000 signatures a second does not wait on one commit per signature.
//! Events carry facts, never secrets: a request summary, never a key or a signature.
//!
//! ## Tamper evidence (threat S8)
//! - Each row commits to its predecessor: `chain = SHA-256(prev_chain || leaf)`, with
//!   `leaf = SHA-256(0x00 || canonical entry bytes)` (computed by the store on append).
//! - The leaves also form an RFC 6962 Merkle tree ([`merkle`]), so an entry's inclusion and
//!   the log's append-only growth are provable with logarithmic proofs ([`export`]).
//! - A [`Checkpointer`] signs `{tree_size, root, chain_head, time}` with an Ed25519 key that
//!   the vault seals ([`CheckpointSigner`]: only a process holding the KEK can sign) and writes
//!   each checkpoint to an external file ([`CheckpointFile`]) before the database.
//! - [`verify_store`] recomputes everything and checks every checkpoint from both places
//!   against a trusted public key; it names the first bad entry ([`Finding`]).

mod chain_verifier;
mod checkpoint;
mod checkpoint_file;
mod checkpoint_key;
mod checkpointer;
mod event;
pub mod export;
mod finding;
mod incident;
mod memory;
pub mod merkle;
pub mod report;
mod store_sink;
mod verify;

pub use chain_verifier::{ChainVerifier, PendingCheckpoint};
pub use checkpoint::{
    key_fingerprint, parse_public_key, Checkpoint, CheckpointError, SignedCheckpoint,
};
pub use checkpoint_file::{BadLine, CheckpointFile, FileCheckpoint};
pub use checkpoint_key::CheckpointSigner;
pub use checkpointer::Checkpointer;
pub use event::{AuditEvent, Outcome};
pub use export::{export_store, verify_export, ExportReport};
pub use finding::{CheckpointOrigin, Finding, FindingKind};
pub use incident::{lockdown_event, LOCKDOWN_KIND};
pub use memory::MemoryAuditSink;
pub use store_sink::{CheckpointPolicy, StoreAuditSink};
pub use verify::{
    gather_checkpoints, verify_store, Gathered, KeySource, VerifyError, VerifyOptions, VerifyReport,
};

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
    /// Sealing or opening the checkpoint key failed.
    #[error("cannot use the audit checkpoint key: {0}")]
    Vault(#[from] tradeward_vault::VaultError),
    /// The checkpoint key is unusable.
    #[error("the audit checkpoint key is unusable: {0}")]
    CheckpointKey(String),
    /// Writing the external checkpoint file failed.
    #[error("cannot write checkpoint file {path}: {source}")]
    CheckpointFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The checkpointer found the log broken and refused to sign over it.
    #[error("refusing to checkpoint a tampered audit log: {0}")]
    Tampered(Finding),
    /// A checkpoint asked for was not made.
    #[error("audit checkpoint failed: {0}")]
    CheckpointFailed(String),
}

/// Where audit events go. Implementations keep events in the order `record` was called.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    /// Records an event. It must be queued in order before this returns; durability may follow
    /// within the sink's flush interval (see [`StoreAuditSink`]).
    fn record(&self, event: AuditEvent) -> Result<(), AuditError>;
}
