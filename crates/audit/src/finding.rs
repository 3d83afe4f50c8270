//! What `audit verify` reports when the log or its checkpoints are not what they claim.

use std::fmt;

/// The kind of problem found (for callers and tests that act on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// An entry number is absent: rows were deleted or renumbered.
    EntryMissing,
    /// An entry's contents no longer match its chain hash: the row was edited.
    EntryEdited,
    /// An entry does not follow its predecessor: rows were reordered, inserted or deleted.
    ChainBroken,
    /// An entry has no chain hash.
    Unchained,
    /// A checkpoint's signature does not verify.
    CheckpointSignature,
    /// A checkpoint is signed by a key other than the trusted one.
    CheckpointWrongKey,
    /// The log does not reproduce a checkpoint's root or chain head: history was rewritten.
    CheckpointMismatch,
    /// The log is shorter than a checkpoint says it was.
    Truncated,
    /// A checkpoint in one place is absent from, or differs from, the other.
    CheckpointMissing,
    /// Input that cannot be parsed (checkpoint file line, export line).
    Malformed,
    /// An exported inclusion or consistency proof does not verify.
    ProofInvalid,
}

/// One problem, with the first entry it concerns where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// The first bad entry's seq, when the problem is at an entry.
    pub seq: Option<i64>,
    /// A one-line explanation naming the entry, checkpoint or line.
    pub message: String,
}

impl Finding {
    /// A finding at entry `seq`.
    pub fn at(kind: FindingKind, seq: i64, message: impl Into<String>) -> Self {
        Self {
            kind,
            seq: Some(seq),
            message: message.into(),
        }
    }

    /// A finding not tied to one entry.
    pub fn general(kind: FindingKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            seq: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Finding {}

/// Where a checkpoint came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointOrigin {
    /// The `audit_checkpoints` table.
    Database,
    /// A line of the external checkpoint file.
    File {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
    },
    /// The header of an export.
    Export,
}

impl fmt::Display for CheckpointOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointOrigin::Database => f.write_str("in the database"),
            CheckpointOrigin::File { path, line } => write!(f, "at {path}:{line}"),
            CheckpointOrigin::Export => f.write_str("in the export header"),
        }
    }
}
