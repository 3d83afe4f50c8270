//! The verification core: feed entries in order; it recomputes each leaf and chain hash, grows
//! the Merkle frontier, and checks every checkpoint the moment the log reaches its size.
//!
//! It is pure computation (no I/O) so the database walk, the checkpointer's catch-up, the
//! export reader and the benchmark all share it.

use std::collections::VecDeque;

use tradeward_store::{audit_chain_next, audit_leaf_hash, AuditHash, AuditRow, AUDIT_GENESIS};

use crate::checkpoint::SignedCheckpoint;
use crate::finding::{CheckpointOrigin, Finding, FindingKind};
use crate::merkle::Frontier;

/// A checkpoint waiting for the log to reach its size.
#[derive(Debug, Clone)]
pub struct PendingCheckpoint {
    /// The checkpoint (its signature is checked before it gets here).
    pub checkpoint: SignedCheckpoint,
    /// Where it came from.
    pub origin: CheckpointOrigin,
}

/// Streams entries, checking the chain, the tree and the checkpoints.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    head: AuditHash,
    frontier: Frontier,
    pending: VecDeque<PendingCheckpoint>,
    last_good_checkpoint: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl ChainVerifier {
    /// Starts at entry 1 with `checkpoints` to check (any order).
    pub fn new(mut checkpoints: Vec<PendingCheckpoint>) -> Self {
        checkpoints.sort_by_key(|c| c.checkpoint.checkpoint.tree_size);
        Self {
            next_seq: 1,
            head: AUDIT_GENESIS,
            frontier: Frontier::new(),
            pending: checkpoints.into(),
            last_good_checkpoint: 0,
        }
    }

    /// Resumes after a trusted state: `frontier` covers entries 1..=frontier.size() and `head`
    /// is the chain hash of the last of them.
    pub fn resume(frontier: Frontier, head: AuditHash) -> Self {
        Self {
            // Sizes come from i64 sequence numbers.
            next_seq: i64::try_from(frontier.size())
                .unwrap_or(i64::MAX)
                .saturating_add(1),
            head,
            last_good_checkpoint: frontier.size(),
            frontier,
            pending: VecDeque::new(),
        }
    }

    /// How many entries have been checked (counting any resumed prefix).
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The chain hash of the last entry checked.
    pub fn head(&self) -> AuditHash {
        self.head
    }

    /// The Merkle frontier so far.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// Checks the next entry; returns its leaf hash.
    pub fn push(
        &mut self,
        seq: i64,
        row: &AuditRow,
        prev_hash: Option<&[u8]>,
        chain_hash: Option<&[u8]>,
    ) -> Result<AuditHash, Finding> {
        let expected = self.next_seq;
        if seq != expected {
            return Err(if seq > expected {
                let missing = if seq == expected + 1 {
                    format!("entry {expected} is missing")
                } else {
                    format!("entries {expected}..{} are missing", seq - 1)
                };
                Finding::at(
                    FindingKind::EntryMissing,
                    expected,
                    format!("{missing} (the next entry present is {seq}): rows were deleted"),
                )
            } else {
                Finding::at(
                    FindingKind::ChainBroken,
                    seq,
                    format!("entry {seq} appears again after entry {}", expected - 1),
                )
            });
        }
        let (Some(prev), Some(stored)) = (prev_hash, chain_hash) else {
            return Err(Finding::at(
                FindingKind::Unchained,
                seq,
                format!("entry {seq} has no chain hash (it was written outside the audit log's append path)"),
            ));
        };
        if prev != self.head {
            return Err(Finding::at(
                FindingKind::ChainBroken,
                seq,
                format!(
                    "entry {seq} does not follow entry {}: its prev_hash differs from that entry's \
                     chain hash (rows were reordered, inserted or deleted)",
                    seq - 1
                ),
            ));
        }
        let leaf = audit_leaf_hash(seq, row);
        let chained = audit_chain_next(&self.head, &leaf);
        if stored != chained {
            return Err(Finding::at(
                FindingKind::EntryEdited,
                seq,
                format!("entry {seq} does not match its chain hash: the row was edited"),
            ));
        }
        self.head = chained;
        self.frontier.push(leaf);
        self.next_seq += 1;
        self.check_reached()?;
        Ok(leaf)
    }

    /// Checks every checkpoint whose size the log has reached.
    fn check_reached(&mut self) -> Result<(), Finding> {
        let size = self.frontier.size();
        while let Some(p) = self.pending.front() {
            let c = &p.checkpoint.checkpoint;
            if c.tree_size > size {
                break;
            }
            if c.tree_size < size {
                // Only possible for a checkpoint below a resumed prefix; it was covered then.
                self.pending.pop_front();
                continue;
            }
            if c.root_hash != self.frontier.root() || c.chain_head != self.head {
                let what = if c.root_hash != self.frontier.root() {
                    "root hash"
                } else {
                    "chain head"
                };
                let first = self.last_good_checkpoint + 1;
                return Err(Finding::at(
                    FindingKind::CheckpointMismatch,
                    i64::try_from(first).unwrap_or(i64::MAX),
                    format!(
                        "entries {first}..={size} do not reproduce the {what} of the checkpoint at \
                         tree size {size} {}: history in that range was rewritten",
                        p.origin
                    ),
                ));
            }
            self.last_good_checkpoint = size;
            self.pending.pop_front();
        }
        Ok(())
    }

    /// Ends the walk: any checkpoint beyond the log's end means the log was truncated.
    pub fn finish(mut self) -> Result<(u64, AuditHash), Finding> {
        self.check_reached()?;
        if let Some(p) = self.pending.front() {
            let size = self.frontier.size();
            return Err(Finding::at(
                FindingKind::Truncated,
                i64::try_from(size + 1).unwrap_or(i64::MAX),
                format!(
                    "the log ends at entry {size} but the checkpoint {} covers {} entries: the log \
                     was truncated",
                    p.origin, p.checkpoint.checkpoint.tree_size
                ),
            ));
        }
        Ok((self.frontier.size(), self.head))
    }
}
