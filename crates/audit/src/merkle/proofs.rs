//! Inclusion and consistency proofs: generation from the RFC 6962 definitions (§2.1.1–2.1.2)
//! and verification by the RFC 9162 algorithms (§2.1.3.2, §2.1.4.2).

use tradeward_store::AuditHash;

use super::{node_hash, root_of, split};

/// `PROOF(m, D[n])`: proves the tree of the first `m` leaves is a prefix of the tree of all
/// `leaves`. Empty when `m` is 0 or equals `n`; `None` when `m > n`.
pub fn consistency_proof(m: usize, leaves: &[AuditHash]) -> Option<Vec<AuditHash>> {
    if m > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    if m > 0 && m < leaves.len() {
        subproof(m, leaves, true, &mut out);
    }
    Some(out)
}

fn subproof(m: usize, d: &[AuditHash], whole: bool, out: &mut Vec<AuditHash>) {
    let n = d.len();
    if m == n {
        if !whole {
            out.push(root_of(d));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &d[..k], whole, out);
        out.push(root_of(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root_of(&d[..k]));
    }
}

/// Checks that `path` proves `leaf` is leaf `index` of the tree of `size` leaves with head
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &AuditHash,
    index: u64,
    size: u64,
    path: &[AuditHash],
    root: &AuditHash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fi, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return false;
        }
        if fi & 1 == 1 || fi == sn {
            r = node_hash(p, &r);
            while fi & 1 == 0 && fi != 0 {
                fi >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fi >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// Checks that `proof` shows the tree of `first` leaves with head `first_root` is a prefix of
/// the tree of `second` leaves with head `second_root` (RFC 9162 §2.1.4.2). Growth from the
/// empty tree, or no growth with equal heads and an empty proof, is trivially consistent.
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[AuditHash],
    first_root: &AuditHash,
    second_root: &AuditHash,
) -> bool {
    if first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    if first == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<AuditHash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else {
        return false;
    };
    let (mut fi, mut sn) = (first - 1, second - 1);
    while fi & 1 == 1 {
        fi >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if sn == 0 {
            return false;
        }
        if fi & 1 == 1 || fi == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fi & 1 == 0 && fi != 0 {
                fi >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fi >>= 1;
        sn >>= 1;
    }
    sn == 0 && fr == *first_root && sr == *second_root
}
