//! Known answers from Certificate Transparency's published RFC 6962 test data, plus agreement
//! with a naive transcription of the RFC for every tree up to 40 leaves.

use super::*;
use sha2::{Digest, Sha256};

/// The CT reference leaves: "", 00, 10, 2021, 3031, 40414243, 5051525354555657,
/// 606162636465666768696a6b6c6d6e6f.
fn ct_leaves() -> Vec<AuditHash> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| {
        let mut d = vec![0u8];
        d.extend(hex::decode(h).unwrap());
        Sha256::digest(&d).into()
    })
    .collect()
}

fn h(s: &str) -> AuditHash {
    hex::decode(s).unwrap().try_into().unwrap()
}

const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn empty_tree_head_is_sha256_of_nothing() {
    assert_eq!(
        hex::encode(empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(Frontier::new().root(), empty_root());
    assert_eq!(Tree::new(vec![]).root(), empty_root());
}

#[test]
fn ct_tree_heads_for_sizes_1_to_8() {
    let leaves = ct_leaves();
    let mut f = Frontier::new();
    for (n, want) in CT_ROOTS.iter().enumerate() {
        f.push(leaves[n]);
        assert_eq!(hex::encode(f.root()), *want, "frontier, size {}", n + 1);
        assert_eq!(hex::encode(root_of(&leaves[..=n])), *want);
        assert_eq!(hex::encode(Tree::new(leaves[..=n].to_vec()).root()), *want);
    }
}

#[test]
fn ct_inclusion_paths() {
    let tree = Tree::new(ct_leaves());
    let cases: [(u64, &[&str]); 2] = [
        (
            0,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    let root = h(CT_ROOTS[7]);
    for (index, want) in cases {
        let path = tree.inclusion_proof(index).unwrap();
        let got: Vec<String> = path.iter().map(hex::encode).collect();
        assert_eq!(got, want, "leaf {index}");
        assert!(verify_inclusion(
            &tree.leaves()[index as usize],
            index,
            8,
            &path,
            &root
        ));
    }
}

#[test]
fn ct_consistency_proofs() {
    let leaves = ct_leaves();
    let cases: [(usize, usize, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (m, n, want) in cases {
        let proof = consistency_proof(m, &leaves[..n]).unwrap();
        let got: Vec<String> = proof.iter().map(hex::encode).collect();
        assert_eq!(got, want, "({m}, {n})");
        assert!(verify_consistency(
            m as u64,
            n as u64,
            &proof,
            &h(CT_ROOTS[m - 1]),
            &h(CT_ROOTS[n - 1])
        ));
    }
}

// ---- a naive transcription of RFC 6962 §2.1.1 PATH, for cross-checking -------------------

fn naive_path(m: usize, d: &[AuditHash]) -> Vec<AuditHash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n);
    if m < k {
        let mut p = naive_path(m, &d[..k]);
        p.push(root_of(&d[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &d[k..]);
        p.push(root_of(&d[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<AuditHash> {
    (0..n as u32)
        .map(|i| Sha256::digest(i.to_be_bytes()).into())
        .collect()
}

#[test]
fn every_tree_up_to_40_agrees_with_the_naive_definition() {
    for n in 1..=40usize {
        let d = leaves(n);
        let tree = Tree::new(d.clone());
        let root = root_of(&d);
        assert_eq!(tree.root(), root, "n={n}");
        let mut f = Frontier::new();
        d.iter().for_each(|l| f.push(*l));
        assert_eq!(f.root(), root, "n={n}");
        let back = Frontier::from_bytes(n as u64, &f.to_bytes()).unwrap();
        assert_eq!(back.root(), root);
        for i in 0..n {
            let path = tree.inclusion_proof(i as u64).unwrap();
            assert_eq!(path, naive_path(i, &d), "PATH({i}, D[{n}])");
            assert!(verify_inclusion(&d[i], i as u64, n as u64, &path, &root));
            // The same path proves nothing against a grown tree's root, or for another leaf.
            let grown = root_of(&leaves(n + 1));
            assert!(!verify_inclusion(
                &d[i],
                i as u64,
                n as u64 + 1,
                &path,
                &grown
            ));
            if n > 1 {
                let other = (i + 1) % n;
                assert!(!verify_inclusion(
                    &d[other], i as u64, n as u64, &path, &root
                ));
            }
        }
        assert!(tree.inclusion_proof(n as u64).is_none());
        for m in 1..=n {
            let proof = consistency_proof(m, &d).unwrap();
            let old = root_of(&d[..m]);
            assert!(
                verify_consistency(m as u64, n as u64, &proof, &old, &root),
                "({m}, {n})"
            );
            if m < n {
                // A proof against a rewritten old tree, or another new tree, fails.
                let mut bad = d[..m].to_vec();
                bad[0][0] ^= 1;
                assert!(!verify_consistency(
                    m as u64,
                    n as u64,
                    &proof,
                    &root_of(&bad),
                    &root
                ));
                let grown = root_of(&leaves(n + 1));
                assert!(!verify_consistency(
                    m as u64,
                    n as u64 + 1,
                    &proof,
                    &old,
                    &grown
                ));
            }
        }
    }
}

#[test]
fn malformed_frontier_bytes_are_refused() {
    assert!(Frontier::from_bytes(3, &[0u8; 32]).is_none());
    assert!(Frontier::from_bytes(3, &[0u8; 64]).is_some());
    assert!(consistency_proof(5, &leaves(4)).is_none());
}
