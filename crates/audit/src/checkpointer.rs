//! Making checkpoints: catch up with the log (checking the chain as it goes, so the signer
//! never signs over a broken chain), sign the head, write it to the database (which settles
//! races between checkpointers), then to the external file.
//!
//! On start it resumes from the latest database checkpoint when that checkpoint is signed by
//! this key and its stored frontier reproduces the signed root; otherwise it rereads the log.

use std::path::PathBuf;

use tradeward_store::{Store, AUDIT_GENESIS};

use crate::chain_verifier::ChainVerifier;
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::checkpoint_file::CheckpointFile;
use crate::checkpoint_key::CheckpointSigner;
use crate::merkle::Frontier;
use crate::AuditError;

/// Rows read per page while catching up.
const PAGE: i64 = 10_000;

/// Makes signed checkpoints of one store's log.
#[derive(Debug)]
pub struct Checkpointer {
    store: Store,
    signer: CheckpointSigner,
    file: Option<CheckpointFile>,
    verifier: ChainVerifier,
    last_size: u64,
}

impl Checkpointer {
    /// A checkpointer for `store`, signing with `signer`, appending to `file` if given.
    pub async fn open(
        store: Store,
        signer: CheckpointSigner,
        file: Option<PathBuf>,
    ) -> Result<Self, AuditError> {
        let mut verifier = ChainVerifier::default();
        let mut last_size = 0;
        if let Some(row) = store.latest_audit_checkpoint().await? {
            match resume_point(&row, &signer) {
                Some((frontier, head)) => {
                    last_size = frontier.size();
                    verifier = ChainVerifier::resume(frontier, head);
                }
                None => tracing::warn!(
                    tree_size = row.tree_size,
                    "latest audit checkpoint does not verify under this key; rereading the log"
                ),
            }
        }
        Ok(Self {
            store,
            signer,
            file: file.map(CheckpointFile::new),
            verifier,
            last_size,
        })
    }

    /// The public key checkpoints are signed with.
    pub fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.signer.public_key()
    }

    /// Reads and checks every entry appended since the last call.
    pub async fn catch_up(&mut self) -> Result<u64, AuditError> {
        loop {
            let after = i64::try_from(self.verifier.size()).unwrap_or(i64::MAX);
            let rows = self.store.audit_chain_page(after, PAGE).await?;
            for r in &rows {
                self.verifier
                    .push(
                        r.seq,
                        &r.row,
                        r.prev_hash.as_deref(),
                        r.chain_hash.as_deref(),
                    )
                    .map_err(AuditError::Tampered)?;
            }
            if (rows.len() as i64) < PAGE {
                return Ok(self.verifier.size());
            }
        }
    }

    /// Catches up and, if the log grew since the last checkpoint, makes one at `at_us`.
    /// Returns it, or `None` when there was nothing new to cover (or another checkpointer, in
    /// this process or another one, already covered this size).
    pub async fn checkpoint(&mut self, at_us: i64) -> Result<Option<SignedCheckpoint>, AuditError> {
        let size = self.catch_up().await?;
        if size == 0 || size <= self.last_size {
            return Ok(None);
        }
        // Several processes may hold the key (a separate signer, CLI commands): one checkpoint
        // per size, so two different signatures over one size never reach the file.
        if let Some(latest) = self.store.latest_audit_checkpoint().await? {
            if u64::try_from(latest.tree_size).unwrap_or(0) >= size {
                self.last_size = size;
                return Ok(None);
            }
        }
        let signed = self.signer.sign(Checkpoint {
            tree_size: size,
            root_hash: self.verifier.frontier().root(),
            chain_head: self.verifier.head(),
            at_us,
        });
        // The database first: its unique tree size settles a race with another checkpointer
        // (the loser writes nothing anywhere). The file append after it is synchronous, so a
        // task cancelled at an await (a runtime shutting down) cannot leave one without the
        // other.
        match self
            .store
            .insert_audit_checkpoint(&signed.to_row(self.verifier.frontier().to_bytes()))
            .await
        {
            Ok(()) => {}
            Err(tradeward_store::StoreError::Conflict(_)) => {
                self.last_size = size;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(file) = &self.file {
            file.append(&signed)?;
        }
        self.last_size = size;
        Ok(Some(signed))
    }
}

fn resume_point(
    row: &tradeward_store::AuditCheckpointRow,
    signer: &CheckpointSigner,
) -> Option<(Frontier, [u8; 32])> {
    let signed = SignedCheckpoint::from_row(row).ok()?;
    signed.verify(&signer.public_key()).ok()?;
    let c = signed.checkpoint;
    let frontier = Frontier::from_bytes(c.tree_size, &row.frontier)?;
    if frontier.root() != c.root_hash || (c.tree_size == 0 && c.chain_head != AUDIT_GENESIS) {
        return None;
    }
    Some((frontier, c.chain_head))
}
