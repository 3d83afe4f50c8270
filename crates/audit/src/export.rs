//! `audit export`: the log's entries with their inclusion proofs, as JSON lines, checkable
//! offline by [`verify_export`] against nothing but a trusted public key.
//!
//! Line 1 is a header: the format, the signed checkpoint every proof leads to, and each earlier
//! checkpoint with a consistency proof that the log only grew from it. Each further line is
//! one entry (1..=tree_size) with its stored hashes and its RFC 6962 audit path.

use std::io::{BufRead, Write};

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use tradeward_store::{AuditHash, AuditRow, Store};

use crate::chain_verifier::{ChainVerifier, PendingCheckpoint};
use crate::checkpoint::{hex_fixed, SignedCheckpoint};
use crate::finding::{CheckpointOrigin, Finding, FindingKind};
use crate::merkle::{consistency_proof, verify_consistency, verify_inclusion, Tree};
use crate::verify::VerifyError;

/// The format tag on line 1.
pub const EXPORT_FORMAT: &str = "tradeward-audit-export/1";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    checkpoint: serde_json::Value,
    earlier: Vec<Earlier>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Earlier {
    checkpoint: serde_json::Value,
    consistency: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    seq: i64,
    at_us: i64,
    kind: String,
    component: String,
    outcome: String,
    user_id: Option<String>,
    session_id: Option<String>,
    credential_id: Option<String>,
    source_addr: Option<String>,
    reason: Option<String>,
    detail: String,
    prev_hash: String,
    chain_hash: String,
    inclusion: Vec<String>,
}

/// What an export held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Entries written or checked.
    pub entries: u64,
    /// The checkpoint they are proven against.
    pub checkpoint: SignedCheckpoint,
    /// Earlier checkpoints proven consistent with it.
    pub earlier: usize,
}

/// Writes entries 1..=`checkpoint.tree_size` of `store` with inclusion proofs against
/// `checkpoint`, and consistency proofs from each of `earlier`. The entries are verified
/// against the checkpoint first, so a tampered log is refused rather than exported.
pub async fn export_store(
    store: &Store,
    checkpoint: &SignedCheckpoint,
    earlier: &[SignedCheckpoint],
    out: &mut impl Write,
) -> Result<ExportReport, VerifyError> {
    let size = checkpoint.checkpoint.tree_size;
    let limit = i64::try_from(size).unwrap_or(i64::MAX);
    let mut checks: Vec<PendingCheckpoint> = earlier
        .iter()
        .map(|c| PendingCheckpoint {
            checkpoint: c.clone(),
            origin: CheckpointOrigin::Database,
        })
        .collect();
    checks.push(PendingCheckpoint {
        checkpoint: checkpoint.clone(),
        origin: CheckpointOrigin::Database,
    });
    // Pass 1: verify and collect leaf hashes.
    let mut verifier = ChainVerifier::new(checks);
    let mut leaves = Vec::new();
    let mut after = 0;
    'pages: loop {
        let rows = store.audit_chain_page(after, 10_000).await?;
        for r in &rows {
            if r.seq > limit {
                break 'pages;
            }
            leaves.push(verifier.push(
                r.seq,
                &r.row,
                r.prev_hash.as_deref(),
                r.chain_hash.as_deref(),
            )?);
            after = r.seq;
        }
        if rows.len() < 10_000 {
            break;
        }
    }
    verifier.finish()?;
    if leaves.len() as u64 != size {
        return Err(Finding::general(
            FindingKind::Truncated,
            format!(
                "the log holds {} entries but the checkpoint covers {size}",
                leaves.len()
            ),
        )
        .into());
    }
    let tree = Tree::new(leaves);
    let header = Header {
        format: EXPORT_FORMAT.into(),
        checkpoint: checkpoint.to_json_value(),
        earlier: earlier
            .iter()
            .filter(|c| c.checkpoint.tree_size < size)
            .map(|c| Earlier {
                checkpoint: c.to_json_value(),
                consistency: consistency_proof(c.checkpoint.tree_size as usize, tree.leaves())
                    .unwrap_or_default()
                    .iter()
                    .map(hex::encode)
                    .collect(),
            })
            .collect(),
    };
    let io = |e: std::io::Error| VerifyError::File {
        path: "export output".into(),
        source: e,
    };
    let earlier_count = header.earlier.len();
    write_line(out, &header).map_err(io)?;
    // Pass 2: write each entry with its proof.
    let mut after = 0;
    loop {
        let rows = store.audit_chain_page(after, 10_000).await?;
        for r in &rows {
            if r.seq > limit {
                break;
            }
            let index = u64::try_from(r.seq - 1).unwrap_or(u64::MAX);
            let entry = Entry {
                seq: r.seq,
                at_us: r.row.at_us,
                kind: r.row.kind.clone(),
                component: r.row.component.clone(),
                outcome: r.row.outcome.clone(),
                user_id: r.row.user_id.clone(),
                session_id: r.row.session_id.clone(),
                credential_id: r.row.credential_id.clone(),
                source_addr: r.row.source_addr.clone(),
                reason: r.row.reason.clone(),
                detail: r.row.detail.clone(),
                prev_hash: hex::encode(r.prev_hash.as_deref().unwrap_or_default()),
                chain_hash: hex::encode(r.chain_hash.as_deref().unwrap_or_default()),
                inclusion: tree
                    .inclusion_proof(index)
                    .unwrap_or_default()
                    .iter()
                    .map(hex::encode)
                    .collect(),
            };
            write_line(out, &entry).map_err(io)?;
            after = r.seq;
        }
        if rows.len() < 10_000 || after >= limit {
            break;
        }
    }
    out.flush().map_err(io)?;
    Ok(ExportReport {
        entries: size,
        checkpoint: checkpoint.clone(),
        earlier: earlier_count,
    })
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

fn malformed(line: usize, what: impl std::fmt::Display) -> Finding {
    Finding::general(
        FindingKind::Malformed,
        format!("export line {line} is malformed: {what}"),
    )
}

/// Reads an export back and checks everything in it: the checkpoint's signature under
/// `trusted` (or, when `None`, under the key the export names — which only shows the export
/// is self-consistent), each consistency proof, and each entry's chain link and inclusion proof.
pub fn verify_export(
    input: impl BufRead,
    trusted: Option<&VerifyingKey>,
) -> Result<ExportReport, VerifyError> {
    let mut lines = input.split(b'\n').enumerate();
    let header_bytes = match lines.next() {
        Some((_, Ok(b))) => b,
        Some((_, Err(e))) => return Err(io_err(e)),
        None => return Err(malformed(1, "the export is empty").into()),
    };
    let header: Header = serde_json::from_slice(&header_bytes).map_err(|e| malformed(1, e))?;
    if header.format != EXPORT_FORMAT {
        return Err(malformed(1, format!("unknown format {:?}", header.format)).into());
    }
    let checkpoint =
        SignedCheckpoint::from_json_value(header.checkpoint).map_err(|e| malformed(1, e))?;
    let key = match trusted {
        Some(k) => *k,
        None => checkpoint.claimed_key().map_err(|e| malformed(1, e))?,
    };
    let c = checkpoint.checkpoint;
    checkpoint.verify(&key).map_err(|e| {
        let kind = match e {
            crate::checkpoint::CheckpointError::WrongKey { .. } => FindingKind::CheckpointWrongKey,
            _ => FindingKind::CheckpointSignature,
        };
        Finding::general(
            kind,
            format!(
                "the export's checkpoint at tree size {} is {e}",
                c.tree_size
            ),
        )
    })?;
    let earlier = header.earlier.len();
    for e in header.earlier {
        let old = SignedCheckpoint::from_json_value(e.checkpoint).map_err(|e| malformed(1, e))?;
        old.verify(&key).map_err(|err| {
            Finding::general(
                FindingKind::CheckpointSignature,
                format!(
                    "the export's earlier checkpoint at tree size {} is {err}",
                    old.checkpoint.tree_size
                ),
            )
        })?;
        let proof = e
            .consistency
            .iter()
            .map(|h| hex_fixed::<32>(h, "consistency proof"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed(1, e))?;
        if !verify_consistency(
            old.checkpoint.tree_size,
            c.tree_size,
            &proof,
            &old.checkpoint.root_hash,
            &c.root_hash,
        ) {
            return Err(Finding::general(
                FindingKind::ProofInvalid,
                format!(
                    "the checkpoint at tree size {} is not consistent with the one at {}: the \
                     log was rewritten between them",
                    old.checkpoint.tree_size, c.tree_size
                ),
            )
            .into());
        }
    }

    let mut verifier = ChainVerifier::default();
    for (i, bytes) in lines {
        let line = i + 1;
        let bytes = bytes.map_err(io_err)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: Entry = serde_json::from_slice(&bytes).map_err(|e| malformed(line, e))?;
        let prev: AuditHash = hex_fixed(&e.prev_hash, "prev_hash").map_err(|err| {
            Finding::at(
                FindingKind::Malformed,
                e.seq,
                format!("entry {} (line {line}): {err}", e.seq),
            )
        })?;
        let chain: AuditHash = hex_fixed(&e.chain_hash, "chain_hash").map_err(|err| {
            Finding::at(
                FindingKind::Malformed,
                e.seq,
                format!("entry {} (line {line}): {err}", e.seq),
            )
        })?;
        let path = e
            .inclusion
            .iter()
            .map(|h| hex_fixed::<32>(h, "inclusion proof"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| {
                Finding::at(
                    FindingKind::Malformed,
                    e.seq,
                    format!("entry {} (line {line}): {err}", e.seq),
                )
            })?;
        if u64::try_from(e.seq).unwrap_or(u64::MAX) > c.tree_size {
            return Err(Finding::at(
                FindingKind::ProofInvalid,
                e.seq,
                format!(
                    "entry {} (line {line}) is beyond the checkpoint's {} entries",
                    e.seq, c.tree_size
                ),
            )
            .into());
        }
        let seq = e.seq;
        let row = AuditRow {
            at_us: e.at_us,
            kind: e.kind,
            component: e.component,
            outcome: e.outcome,
            user_id: e.user_id,
            session_id: e.session_id,
            credential_id: e.credential_id,
            source_addr: e.source_addr,
            reason: e.reason,
            detail: e.detail,
        };
        let leaf = verifier.push(seq, &row, Some(&prev), Some(&chain))?;
        let index = u64::try_from(seq - 1).unwrap_or(u64::MAX);
        if !verify_inclusion(&leaf, index, c.tree_size, &path, &c.root_hash) {
            return Err(Finding::at(
                FindingKind::ProofInvalid,
                seq,
                format!("entry {seq} (line {line}): its inclusion proof does not lead to the checkpoint's root"),
            )
            .into());
        }
    }
    let (entries, head) = verifier.finish()?;
    if entries != c.tree_size || head != c.chain_head {
        return Err(Finding::at(
            FindingKind::Truncated,
            i64::try_from(entries + 1).unwrap_or(i64::MAX),
            format!(
                "the export holds {entries} entries but its checkpoint covers {}: entries were removed",
                c.tree_size
            ),
        )
        .into());
    }
    Ok(ExportReport {
        entries,
        checkpoint,
        earlier,
    })
}

fn io_err(source: std::io::Error) -> VerifyError {
    VerifyError::File {
        path: "export".into(),
        source,
    }
}
