//! `audit verify` over a database: gathers the checkpoints (database and external file),
//! authenticates them, then walks the log in pages through the [`ChainVerifier`].
//!
//! Fetching the next page overlaps with hashing the current one (a reader task feeds a small
//! channel), so the walk runs at the speed of the slower of the two.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ed25519_dalek::VerifyingKey;
use tradeward_store::{AuditHash, ChainedAuditRow, Store, StoreError};

use crate::chain_verifier::{ChainVerifier, PendingCheckpoint};
use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::checkpoint_file::CheckpointFile;
use crate::finding::{CheckpointOrigin, Finding, FindingKind};

/// What to verify against.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The key checkpoints must be signed by. When absent, the key of the first checkpoint in
    /// the external file is trusted; failing that, the database's (which proves nothing
    /// against someone who can write the database: see [`KeySource`]).
    pub trusted_key: Option<VerifyingKey>,
    /// The external checkpoint file.
    pub checkpoint_file: Option<PathBuf>,
    /// Rows per page (default 10,000).
    pub page_size: Option<i64>,
}

/// Where the trusted key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// Given by the operator.
    Pinned,
    /// The external checkpoint file.
    ExternalFile,
    /// Only the database: checkpoints are self-consistent but not authenticated.
    DatabaseOnly,
    /// There were no checkpoints at all.
    None,
}

/// A clean verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// The Merkle tree head of the whole log.
    pub root: AuditHash,
    /// The chain hash of the last entry.
    pub chain_head: AuditHash,
    /// Distinct checkpoints checked.
    pub checkpoints: usize,
    /// How many of them came from the external file.
    pub external_checkpoints: usize,
    /// The largest checkpointed size (entries after it are covered by the chain only).
    pub last_checkpoint_size: u64,
    /// Where the trusted key came from.
    pub key_source: KeySource,
}

/// Verification could not complete, or found a problem.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The log or a checkpoint is not what it claims.
    #[error("{0}")]
    Tampered(Finding),
    /// Reading the database failed.
    #[error("cannot read the audit log: {0}")]
    Store(#[from] StoreError),
    /// Reading the checkpoint file failed.
    #[error("cannot read checkpoint file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<Finding> for VerifyError {
    fn from(f: Finding) -> Self {
        VerifyError::Tampered(f)
    }
}

fn checkpoint_finding(err: CheckpointError, origin: &CheckpointOrigin, tree_size: u64) -> Finding {
    let kind = match err {
        CheckpointError::WrongKey { .. } => FindingKind::CheckpointWrongKey,
        CheckpointError::BadSignature => FindingKind::CheckpointSignature,
        CheckpointError::Malformed(_) => FindingKind::Malformed,
    };
    Finding::general(
        kind,
        format!("the checkpoint at tree size {tree_size} {origin} is {err}"),
    )
}

/// The checkpoints to check during a walk, authenticated.
#[derive(Debug, Clone)]
pub struct Gathered {
    /// One per tree size, by size.
    pub pending: Vec<PendingCheckpoint>,
    /// Where the trusted key came from.
    pub key_source: KeySource,
    /// How many came from the external file.
    pub external: usize,
    /// A checkpoint present in one place and absent from the other. Reported after the walk,
    /// so that a truncated or rewritten log is named first (it is the more telling finding).
    pub missing: Option<Finding>,
}

/// Gathers, authenticates and reconciles the checkpoints of the database and the file.
pub async fn gather_checkpoints(
    store: &Store,
    options: &VerifyOptions,
) -> Result<Gathered, VerifyError> {
    let mut file_checkpoints = Vec::new();
    if let Some(path) = &options.checkpoint_file {
        let file = CheckpointFile::new(path);
        let shown = path.display().to_string();
        let (good, bad) = file.read().map_err(|source| VerifyError::File {
            path: shown.clone(),
            source,
        })?;
        if let Some(b) = bad.first() {
            return Err(Finding::general(
                FindingKind::Malformed,
                format!("{shown}:{} is not a valid checkpoint: {}", b.line, b.reason),
            )
            .into());
        }
        for g in good {
            let origin = CheckpointOrigin::File {
                path: shown.clone(),
                line: g.line,
            };
            file_checkpoints.push((g.checkpoint, origin));
        }
    }
    let mut db_checkpoints = Vec::new();
    for row in store.audit_checkpoints().await? {
        let origin = CheckpointOrigin::Database;
        let size = u64::try_from(row.tree_size).unwrap_or(0);
        let c =
            SignedCheckpoint::from_row(&row).map_err(|e| checkpoint_finding(e, &origin, size))?;
        db_checkpoints.push((c, origin));
    }

    let (trusted, source) = match (
        &options.trusted_key,
        file_checkpoints.first(),
        db_checkpoints.first(),
    ) {
        (Some(k), _, _) => (Some(*k), KeySource::Pinned),
        (None, Some((c, origin)), _) => (
            Some(
                c.claimed_key()
                    .map_err(|e| checkpoint_finding(e, origin, c.checkpoint.tree_size))?,
            ),
            KeySource::ExternalFile,
        ),
        (None, None, Some((c, origin))) => (
            Some(
                c.claimed_key()
                    .map_err(|e| checkpoint_finding(e, origin, c.checkpoint.tree_size))?,
            ),
            KeySource::DatabaseOnly,
        ),
        (None, None, None) => (None, KeySource::None),
    };
    if let Some(key) = &trusted {
        for (c, origin) in file_checkpoints.iter().chain(db_checkpoints.iter()) {
            c.verify(key)
                .map_err(|e| checkpoint_finding(e, origin, c.checkpoint.tree_size))?;
        }
    }

    // Reconcile: every checkpoint in the file must be in the database and vice versa (when a
    // file is kept), identical in both.
    let external = file_checkpoints.len();
    let mut by_size: BTreeMap<u64, (SignedCheckpoint, CheckpointOrigin)> = BTreeMap::new();
    for (c, origin) in &file_checkpoints {
        let size = c.checkpoint.tree_size;
        if let Some((other, other_origin)) = by_size.get(&size) {
            if other != c {
                return Err(conflict(size, other_origin, origin).into());
            }
        } else {
            by_size.insert(size, (c.clone(), origin.clone()));
        }
    }
    let db_sizes: BTreeMap<u64, &SignedCheckpoint> = db_checkpoints
        .iter()
        .map(|(c, _)| (c.checkpoint.tree_size, c))
        .collect();
    let mut missing = None;
    if options.checkpoint_file.is_some() {
        for (size, (c, origin)) in &by_size {
            match db_sizes.get(size) {
                None => {
                    missing = missing.or(Some(Finding::general(
                        FindingKind::CheckpointMissing,
                        format!(
                            "the checkpoint at tree size {size} {origin} is missing from the \
                             database: checkpoints were deleted"
                        ),
                    )))
                }
                Some(d) if *d != c => {
                    return Err(conflict(*size, origin, &CheckpointOrigin::Database).into())
                }
                Some(_) => {}
            }
        }
        if let Some(size) = db_sizes.keys().find(|s| !by_size.contains_key(s)) {
            missing = missing.or(Some(Finding::general(
                FindingKind::CheckpointMissing,
                format!(
                    "the checkpoint at tree size {size} in the database is missing from the \
                     external file: it was not made by the checkpointer, or the file lost lines"
                ),
            )));
        }
    } else {
        for (c, origin) in db_checkpoints {
            by_size.entry(c.checkpoint.tree_size).or_insert((c, origin));
        }
    }
    let pending = by_size
        .into_values()
        .map(|(checkpoint, origin)| PendingCheckpoint { checkpoint, origin })
        .collect();
    Ok(Gathered {
        pending,
        key_source: source,
        external,
        missing,
    })
}

fn conflict(size: u64, a: &CheckpointOrigin, b: &CheckpointOrigin) -> Finding {
    Finding::general(
        FindingKind::CheckpointMissing,
        format!("the checkpoints at tree size {size} {a} and {b} differ"),
    )
}

/// Verifies the whole log in `store`. `progress(done, total)` is called after every page.
pub async fn verify_store(
    store: &Store,
    options: &VerifyOptions,
    mut progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, VerifyError> {
    let Gathered {
        pending,
        key_source,
        external,
        missing,
    } = gather_checkpoints(store, options).await?;
    let checkpoints = pending.len();
    let last_checkpoint_size = pending
        .iter()
        .map(|p| p.checkpoint.checkpoint.tree_size)
        .max()
        .unwrap_or(0);
    let (_, max_seq) = store.audit_extent().await?;
    let total = u64::try_from(max_seq).unwrap_or(0);
    let mut verifier = ChainVerifier::new(pending);
    let page = options.page_size.unwrap_or(10_000).max(1);

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<ChainedAuditRow>, StoreError>>(2);
    let reader_store = store.clone();
    let reader = tokio::spawn(async move {
        let mut after = 0;
        loop {
            let rows = reader_store.audit_chain_page(after, page).await;
            let done = match &rows {
                Ok(r) => {
                    after = r.last().map_or(after, |l| l.seq);
                    (r.len() as i64) < page
                }
                Err(_) => true,
            };
            if tx.send(rows).await.is_err() || done {
                break;
            }
        }
    });
    let result = async {
        while let Some(rows) = rx.recv().await {
            for r in rows? {
                verifier.push(
                    r.seq,
                    &r.row,
                    r.prev_hash.as_deref(),
                    r.chain_hash.as_deref(),
                )?;
            }
            progress(verifier.size(), total.max(verifier.size()));
        }
        Ok::<_, VerifyError>(())
    }
    .await;
    reader.abort();
    result?;
    let root = verifier.frontier().root();
    let (entries, chain_head) = verifier.finish()?;
    if let Some(finding) = missing {
        return Err(finding.into());
    }
    Ok(VerifyReport {
        entries,
        root,
        chain_head,
        checkpoints,
        external_checkpoints: external,
        last_checkpoint_size,
        key_source,
    })
}
