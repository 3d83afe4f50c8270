//! The data-encryption key (DEK): 256 random bits, fresh for every seal, zeroized on drop.

use std::fmt;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::VaultError;

/// Length of a data key in bytes (AES-256).
pub const DATA_KEY_LEN: usize = 32;

/// A 256-bit data key. Never stored in the clear: only wrapped by a [`crate::KeyProvider`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; DATA_KEY_LEN]);

impl DataKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, VaultError> {
        let mut key = Self([0u8; DATA_KEY_LEN]);
        OsRng
            .try_fill_bytes(&mut key.0)
            .map_err(|e| VaultError::Random(e.to_string()))?;
        Ok(key)
    }

    /// Wraps key bytes a provider has just unwrapped. The caller zeroizes its own copy.
    pub fn from_bytes(bytes: [u8; DATA_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Copies an unwrapped key out of a slice; `None` if it is not exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut key = Self([0u8; DATA_KEY_LEN]);
        if bytes.len() != DATA_KEY_LEN {
            return None;
        }
        key.0.copy_from_slice(bytes);
        Some(key)
    }

    /// The key bytes, for a provider to wrap. Never log them.
    pub fn expose(&self) -> &[u8; DATA_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(REDACTED)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fresh_keys_differ_and_debug_is_redacted() {
        let a = DataKey::generate().unwrap();
        let b = DataKey::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), &[0u8; 32]);
        let shown = format!("{a:?}");
        assert_eq!(shown, "DataKey(REDACTED)");
        assert!(!shown.contains(&hex::encode(&a.expose()[..3])));
    }

    #[test]
    fn from_slice_checks_length() {
        assert!(DataKey::from_slice(&[1u8; 31]).is_none());
        assert!(DataKey::from_slice(&[1u8; 33]).is_none());
        assert_eq!(
            DataKey::from_slice(&[7u8; 32]).unwrap().expose(),
            &[7u8; 32]
        );
    }
}
