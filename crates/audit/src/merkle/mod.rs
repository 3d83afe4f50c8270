//! The RFC 6962 / RFC 9162 Merkle tree over the audit log's leaf hashes.
//!
//! `MTH({}) = SHA-256()`, `MTH({d}) = SHA-256(0x00 || d)` (the leaf hash, computed by the
//! store), and `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))` with `k` the largest
//! power of two smaller than `n`. [`Frontier`] computes the head incrementally in O(log n)
//! memory; [`Tree`] keeps every level so it can hand out inclusion proofs; the free functions
//! produce and check inclusion and consistency proofs (RFC 9162 §2.1.3–2.1.4).

mod proofs;

pub use proofs::{consistency_proof, verify_consistency, verify_inclusion};

use sha2::{Digest, Sha256};
use tradeward_store::AuditHash;

/// `SHA-256(0x01 || left || right)`: an interior node.
pub fn node_hash(left: &AuditHash, right: &AuditHash) -> AuditHash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The head of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> AuditHash {
    Sha256::digest([]).into()
}

/// `MTH` of a list of leaf hashes, by the RFC's recursive definition.
pub fn root_of(leaves: &[AuditHash]) -> AuditHash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
pub(crate) fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The compact range of a tree: the roots of its perfect subtrees, largest (leftmost) first.
/// Appending is amortised O(1); the head costs O(log n).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// One root per set bit of `size`, from the highest bit down.
    roots: Vec<AuditHash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves it covers.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: AuditHash) {
        let mut hash = leaf;
        // Each trailing one bit of the old size is a perfect subtree of the same height as the
        // one being carried: merge them, as binary addition carries.
        let mut carry = self.size;
        while carry & 1 == 1 {
            let Some(left) = self.roots.pop() else { break };
            hash = node_hash(&left, &hash);
            carry >>= 1;
        }
        self.roots.push(hash);
        self.size += 1;
    }

    /// The tree head `MTH` of every leaf pushed so far.
    pub fn root(&self) -> AuditHash {
        let mut iter = self.roots.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }

    /// The subtree roots, concatenated (for storage beside a checkpoint).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.roots.iter().flatten().copied().collect()
    }

    /// Rebuilds a frontier of `size` leaves from [`Frontier::to_bytes`]; `None` when the byte
    /// count does not match the number of subtrees `size` implies.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Option<Self> {
        let count = size.count_ones() as usize;
        if bytes.len() != count * 32 {
            return None;
        }
        let roots = bytes
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Some(Self { size, roots })
    }
}

/// A whole tree kept level by level, for handing out inclusion proofs (export).
#[derive(Debug, Clone)]
pub struct Tree {
    /// `levels[0]` are the leaves; each next level pairs the one below, promoting a lone last
    /// node unchanged (which is exactly RFC 6962's split at the largest power of two).
    levels: Vec<Vec<AuditHash>>,
}

impl Tree {
    /// Builds the tree over `leaves`.
    pub fn new(leaves: Vec<AuditHash>) -> Self {
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().map(Vec::as_slice).unwrap_or_default();
            let up = below
                .chunks(2)
                // A chunk is never empty; a lone last node is promoted unchanged.
                .map(|pair| match pair {
                    [l, r] => node_hash(l, r),
                    [one, ..] => *one,
                    [] => empty_root(),
                })
                .collect();
            levels.push(up);
        }
        Self { levels }
    }

    /// How many leaves.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The tree head.
    pub fn root(&self) -> AuditHash {
        match self.levels.last() {
            Some(top) if top.len() == 1 => top[0],
            _ => empty_root(),
        }
    }

    /// The leaf hashes.
    pub fn leaves(&self) -> &[AuditHash] {
        &self.levels[0]
    }

    /// The audit path of leaf `index` (0-based), bottom-up; `None` if out of range.
    pub fn inclusion_proof(&self, index: u64) -> Option<Vec<AuditHash>> {
        let mut i = usize::try_from(index).ok()?;
        if i >= self.levels[0].len() {
            return None;
        }
        let mut path = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                path.push(level[sibling]);
            }
            i >>= 1;
        }
        Some(path)
    }
}

#[cfg(test)]
mod tests;
