//! Recovery codes: ten single-use codes of 128 random bits each, shown once and stored as
//! SHA-256 digests.
//!
//! Why SHA-256 and not argon2id: a slow hash protects low-entropy secrets from offline
//! guessing. A 128-bit random code has no dictionary to guess from; finding one from its
//! digest means 2^128 work whatever the hash costs, so a fast hash loses nothing and lets a
//! code be found by its digest in one indexed lookup (which also makes "use once" a single
//! conditional update).

use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tradeward_vault::SecretString;
use zeroize::Zeroizing;

/// Codes issued at a time.
pub const COUNT: usize = 10;
/// Random bytes per code.
pub const CODE_BYTES: usize = 16;

/// A freshly issued set: the codes to show once, and the digests to store.
#[derive(Debug)]
pub struct IssuedCodes {
    /// The codes, formatted `xxxxx-xxxxx-xxxxx-xxxxx-xxxxxx` (lower-case base32).
    pub codes: Vec<SecretString>,
    /// Their digests, in the same order.
    pub digests: Vec<Vec<u8>>,
}

/// Issues [`COUNT`] new codes.
pub fn issue() -> IssuedCodes {
    let mut codes = Vec::with_capacity(COUNT);
    let mut digests = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let mut raw = Zeroizing::new([0u8; CODE_BYTES]);
        OsRng.fill_bytes(&mut raw[..]);
        let text = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&raw[..]).to_lowercase());
        let mut shown = String::with_capacity(30);
        for (i, c) in text.chars().enumerate() {
            if i > 0 && i % 5 == 0 && i < 25 {
                shown.push('-');
            }
            shown.push(c);
        }
        digests.push(digest_raw(&raw[..]).to_vec());
        codes.push(SecretString::new(shown));
    }
    IssuedCodes { codes, digests }
}

fn digest_raw(raw: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"tradeward-auth/recovery-code/v1\0");
    h.update(raw);
    h.finalize().into()
}

/// The digest of a code as typed (case, dashes and spaces ignored); `None` when it cannot be
/// a code at all.
pub fn digest(typed: &str) -> Option<[u8; 32]> {
    let normal: Zeroizing<String> = Zeroizing::new(
        typed
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    let raw = Zeroizing::new(data_encoding::BASE32_NOPAD.decode(normal.as_bytes()).ok()?);
    (raw.len() == CODE_BYTES).then(|| digest_raw(&raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ten_distinct_codes_whose_digests_match_what_is_typed() {
        let issued = issue();
        assert_eq!(issued.codes.len(), 10);
        let distinct: HashSet<_> = issued.digests.iter().collect();
        assert_eq!(distinct.len(), 10);
        for (code, stored) in issued.codes.iter().zip(&issued.digests) {
            let c = code.expose();
            assert_eq!(c.len(), 26 + 4, "{c}");
            assert_eq!(c.matches('-').count(), 4);
            assert_eq!(digest(c).map(|d| d.to_vec()).as_ref(), Some(stored));
            let sloppy = c.to_uppercase().replace('-', " ");
            assert_eq!(digest(&sloppy).map(|d| d.to_vec()).as_ref(), Some(stored));
        }
    }

    #[test]
    fn garbage_is_not_a_code() {
        for bad in [
            "",
            "abc",
            "00000-00000-00000-00000-000000",
            "aaaaa-aaaaa-aaaaa-aaaaa-aaaaaaa",
        ] {
            assert_eq!(digest(bad), None, "{bad}");
        }
    }
}
