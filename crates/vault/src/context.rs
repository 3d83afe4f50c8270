//! Where a secret belongs, and the exact bytes that bind a ciphertext to that place.
//!
//! Both AES-GCM layers take associated data built here:
//! - the secret layer: `label "tradeward-vault/secret" | format | owner | record_id | venue | field`
//! - the DEK-wrap layer: `label "tradeward-vault/dek" | format | owner | record_id | venue | field
//!   | kek_version (u32 big-endian)`
//!
//! Every variable-length item is prefixed with its length as a u64 big-endian, so no two
//! different contexts can encode to the same bytes (`("ab","c")` vs `("a","bc")`). The distinct
//! labels keep a value authenticated for one layer from ever verifying in the other. The
//! encoding is a stored format: `tests` pin it byte for byte.

/// Version of the sealed format (the AAD layout and algorithms). Bumped on any change.
pub const FORMAT_VERSION: u8 = 1;

const SECRET_LABEL: &[u8] = b"tradeward-vault/secret";
const DEK_LABEL: &[u8] = b"tradeward-vault/dek";

/// The place a secret belongs to. Every field is bound into both AES-GCM layers, so a sealed
/// secret moved to another owner, record, venue or field does not open.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SealContext {
    /// The owning user's id.
    pub owner: String,
    /// The record (e.g. credential id) the secret belongs to.
    pub record_id: String,
    /// The venue (e.g. `binance`), or a purpose for non-exchange secrets (e.g. `totp`).
    pub venue: String,
    /// Which field of the record (e.g. `secret`, `api_key`, `totp_seed`).
    pub field: String,
}

impl SealContext {
    /// A context from borrowed parts.
    pub fn new(owner: &str, record_id: &str, venue: &str, field: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            record_id: record_id.to_owned(),
            venue: venue.to_owned(),
            field: field.to_owned(),
        }
    }

    fn encode(&self, label: &[u8], extra: usize) -> Vec<u8> {
        let parts = [
            label,
            self.owner.as_bytes(),
            self.record_id.as_bytes(),
            self.venue.as_bytes(),
            self.field.as_bytes(),
        ];
        let len: usize = parts.iter().map(|p| 8 + p.len()).sum::<usize>() + 1 + extra;
        let mut out = Vec::with_capacity(len);
        push(&mut out, label);
        out.push(FORMAT_VERSION);
        for part in &parts[1..] {
            push(&mut out, part);
        }
        out
    }

    /// Associated data of the secret layer (AES-256-GCM under the DEK).
    pub fn secret_aad(&self) -> Vec<u8> {
        self.encode(SECRET_LABEL, 0)
    }

    /// Associated data the KEK provider binds to the wrapped DEK of version `kek_version`.
    pub fn dek_aad(&self, kek_version: u32) -> Vec<u8> {
        let mut out = self.encode(DEK_LABEL, 4);
        out.extend_from_slice(&kek_version.to_be_bytes());
        out
    }
}

fn push(out: &mut Vec<u8>, item: &[u8]) {
    // usize -> u64 is lossless on every platform Rust supports.
    out.extend_from_slice(&(item.len() as u64).to_be_bytes());
    out.extend_from_slice(item);
}

/// A sealed secret as stored in the database. Public data: useless without the KEK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// AES-256-GCM ciphertext of the secret, followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
    /// The 12-byte GCM nonce of the secret layer.
    pub nonce: Vec<u8>,
    /// The DEK as wrapped by the key provider (provider-specific layout).
    pub wrapped_dek: Vec<u8>,
    /// The KEK version that wrapped the DEK.
    pub kek_version: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SealContext {
        SealContext::new("u1", "r2", "binance", "secret")
    }

    #[test]
    fn secret_aad_layout_is_pinned() {
        let mut want = Vec::new();
        want.extend_from_slice(&22u64.to_be_bytes());
        want.extend_from_slice(b"tradeward-vault/secret");
        want.push(1);
        for p in ["u1", "r2", "binance", "secret"] {
            want.extend_from_slice(&(p.len() as u64).to_be_bytes());
            want.extend_from_slice(p.as_bytes());
        }
        assert_eq!(ctx().secret_aad(), want);
    }

    #[test]
    fn dek_aad_layout_is_pinned() {
        let aad = ctx().dek_aad(0x0102_0304);
        assert_eq!(&aad[..8], &19u64.to_be_bytes());
        assert_eq!(&aad[8..27], b"tradeward-vault/dek");
        assert_eq!(aad[27], FORMAT_VERSION);
        assert_eq!(&aad[aad.len() - 4..], &[1, 2, 3, 4]);
        assert_eq!(aad.len(), 8 + 19 + 1 + (8 + 2) * 2 + 8 + 7 + 8 + 6 + 4);
    }

    #[test]
    fn encoding_is_unambiguous() {
        let a = SealContext::new("ab", "c", "v", "f");
        let b = SealContext::new("a", "bc", "v", "f");
        assert_ne!(a.secret_aad(), b.secret_aad());
        assert_ne!(a.dek_aad(1), b.dek_aad(1));
        assert_ne!(ctx().dek_aad(1), ctx().dek_aad(2));
        assert_ne!(
            ctx().secret_aad(),
            ctx().dek_aad(1)[..ctx().secret_aad().len()].to_vec()
        );
    }
}
