//! Signed checkpoints: `{tree_size, root_hash, chain_head, at_us}` signed with Ed25519.
//!
//! The signed message is a fixed binary encoding (label, format version, big-endian integers,
//! raw hashes), never JSON, so no serializer quirk can change what a signature covers. On disk
//! and in the database the checkpoint also carries the public key that signed it; a verifier
//! never trusts that field by itself but compares it with a key it trusts (pinned, or from
//! the external checkpoint file), so a checkpoint signed by another key is named as such.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use tradeward_store::{AuditCheckpointRow, AuditHash};

const CHECKPOINT_LABEL: &[u8] = b"tradeward-audit/checkpoint";
const CHECKPOINT_FORMAT: u8 = 1;

/// What a checkpoint states about the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// How many entries it covers (entries 1..=tree_size).
    pub tree_size: u64,
    /// The RFC 6962 tree head over those entries' leaf hashes.
    pub root_hash: AuditHash,
    /// The chain hash of entry `tree_size`.
    pub chain_head: AuditHash,
    /// When it was made, µs since the Unix epoch.
    pub at_us: i64,
}

impl Checkpoint {
    /// The exact bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + CHECKPOINT_LABEL.len() + 1 + 8 + 64 + 8);
        out.extend_from_slice(&(CHECKPOINT_LABEL.len() as u64).to_be_bytes());
        out.extend_from_slice(CHECKPOINT_LABEL);
        out.push(CHECKPOINT_FORMAT);
        out.extend_from_slice(&self.tree_size.to_be_bytes());
        out.extend_from_slice(&self.root_hash);
        out.extend_from_slice(&self.chain_head);
        out.extend_from_slice(&self.at_us.to_be_bytes());
        out
    }
}

/// A checkpoint with its signature and the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The statement.
    pub checkpoint: Checkpoint,
    /// The Ed25519 public key that signed it (as claimed; see [`SignedCheckpoint::verify`]).
    pub public_key: [u8; 32],
    /// The Ed25519 signature over [`Checkpoint::signed_bytes`].
    pub signature: [u8; 64],
}

/// Why a checkpoint was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// It names a key other than the trusted one.
    #[error("signed by another key ({found}…), not the trusted key ({trusted}…)")]
    WrongKey {
        /// The first bytes of the key it names, hex.
        found: String,
        /// The first bytes of the trusted key, hex.
        trusted: String,
    },
    /// The signature does not verify under the trusted key.
    #[error("not validly signed (the checkpoint was altered or forged)")]
    BadSignature,
    /// It could not be parsed.
    #[error("malformed: {0}")]
    Malformed(String),
}

/// The first 8 bytes of a key, hex: enough to tell keys apart in a message.
pub fn key_fingerprint(key: &[u8; 32]) -> String {
    hex::encode(&key[..8])
}

impl SignedCheckpoint {
    /// Checks that it is signed by `trusted`.
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<(), CheckpointError> {
        if &self.public_key != trusted.as_bytes() {
            return Err(CheckpointError::WrongKey {
                found: key_fingerprint(&self.public_key),
                trusted: key_fingerprint(trusted.as_bytes()),
            });
        }
        trusted
            .verify(
                &self.checkpoint.signed_bytes(),
                &Signature::from_bytes(&self.signature),
            )
            .map_err(|_| CheckpointError::BadSignature)
    }

    /// The key it claims, if that is a valid Ed25519 point.
    pub fn claimed_key(&self) -> Result<VerifyingKey, CheckpointError> {
        VerifyingKey::from_bytes(&self.public_key)
            .map_err(|_| CheckpointError::Malformed("public_key is not an Ed25519 key".into()))
    }

    /// One line of the external checkpoint file (no trailing newline).
    pub fn to_json_line(&self) -> String {
        let wire = Wire {
            tree_size: self.checkpoint.tree_size,
            root_hash: hex::encode(self.checkpoint.root_hash),
            chain_head: hex::encode(self.checkpoint.chain_head),
            at_us: self.checkpoint.at_us,
            public_key: hex::encode(self.public_key),
            signature: hex::encode(self.signature),
        };
        // Serializing a struct of integers and strings cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Parses one line of the external checkpoint file.
    pub fn from_json_line(line: &str) -> Result<Self, CheckpointError> {
        let wire: Wire =
            serde_json::from_str(line).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        wire.try_into()
    }

    /// The JSON value (for embedding in an export header).
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.to_json_line()).unwrap_or_default()
    }

    /// Parses the JSON value written by [`SignedCheckpoint::to_json_value`].
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, CheckpointError> {
        let wire: Wire =
            serde_json::from_value(value).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        wire.try_into()
    }

    /// The database row, with the frontier that lets a checkpointer resume.
    pub fn to_row(&self, frontier: Vec<u8>) -> AuditCheckpointRow {
        AuditCheckpointRow {
            // Tree sizes come from i64 sequence numbers, so they fit.
            tree_size: i64::try_from(self.checkpoint.tree_size).unwrap_or(i64::MAX),
            root_hash: self.checkpoint.root_hash.to_vec(),
            chain_head: self.checkpoint.chain_head.to_vec(),
            at_us: self.checkpoint.at_us,
            public_key: self.public_key.to_vec(),
            signature: self.signature.to_vec(),
            frontier,
        }
    }

    /// Reads a database row.
    pub fn from_row(row: &AuditCheckpointRow) -> Result<Self, CheckpointError> {
        Ok(Self {
            checkpoint: Checkpoint {
                tree_size: u64::try_from(row.tree_size)
                    .map_err(|_| CheckpointError::Malformed("negative tree_size".into()))?,
                root_hash: fixed(&row.root_hash, "root_hash")?,
                chain_head: fixed(&row.chain_head, "chain_head")?,
                at_us: row.at_us,
            },
            public_key: fixed(&row.public_key, "public_key")?,
            signature: fixed(&row.signature, "signature")?,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    tree_size: u64,
    root_hash: String,
    chain_head: String,
    at_us: i64,
    public_key: String,
    signature: String,
}

impl TryFrom<Wire> for SignedCheckpoint {
    type Error = CheckpointError;

    fn try_from(w: Wire) -> Result<Self, CheckpointError> {
        Ok(Self {
            checkpoint: Checkpoint {
                tree_size: w.tree_size,
                root_hash: hex_fixed(&w.root_hash, "root_hash")?,
                chain_head: hex_fixed(&w.chain_head, "chain_head")?,
                at_us: w.at_us,
            },
            public_key: hex_fixed(&w.public_key, "public_key")?,
            signature: hex_fixed(&w.signature, "signature")?,
        })
    }
}

fn fixed<const N: usize>(bytes: &[u8], field: &str) -> Result<[u8; N], CheckpointError> {
    bytes.try_into().map_err(|_| {
        CheckpointError::Malformed(format!("{field} has {} bytes, expected {N}", bytes.len()))
    })
}

/// Decodes `N` bytes of hex, naming `field` when it is not.
pub(crate) fn hex_fixed<const N: usize>(
    text: &str,
    field: &str,
) -> Result<[u8; N], CheckpointError> {
    let bytes = hex::decode(text)
        .map_err(|e| CheckpointError::Malformed(format!("{field} is not hex: {e}")))?;
    fixed(&bytes, field)
}

/// Parses a public key given as 64 hex digits.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, CheckpointError> {
    let bytes: [u8; 32] = hex_fixed(text.trim(), "public key")?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| CheckpointError::Malformed("public key is not an Ed25519 key".into()))
}
