//! DEK wrapping under a KEK held in process memory (the local and passphrase providers).
//!
//! Wrapped layout: `nonce (12) | AES-256-GCM(KEK, DEK) (32) | tag (16)`, 60 bytes, with the
//! caller's associated data (context and KEK version, see `context.rs`).

use std::fmt;

use aes_gcm::Aes256Gcm;
use zeroize::Zeroizing;

use crate::aead::{self, NONCE_LEN, TAG_LEN};
use crate::datakey::{DataKey, DATA_KEY_LEN};
use crate::error::VaultError;

/// Length of a software-wrapped DEK.
pub(crate) const WRAPPED_LEN: usize = NONCE_LEN + DATA_KEY_LEN + TAG_LEN;

/// A KEK with its AES key schedule computed once, so unwrapping costs one short decryption.
/// The schedule is zeroized on drop (the `aes` crate's `zeroize` feature).
pub(crate) struct SoftKek {
    cipher: Aes256Gcm,
}

impl SoftKek {
    /// Keys a KEK from its 32 bytes; the caller zeroizes its copy.
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: aead::cipher(key),
        }
    }

    pub(crate) fn wrap(&self, dek: &DataKey, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let nonce = aead::random_nonce()?;
        let sealed = aead::encrypt(&self.cipher, &nonce, aad, dek.expose())?;
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub(crate) fn unwrap(
        &self,
        version: u32,
        wrapped: &[u8],
        aad: &[u8],
    ) -> Result<DataKey, VaultError> {
        if wrapped.len() != WRAPPED_LEN {
            return Err(VaultError::UnwrapFailed { version });
        }
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let mut key = Zeroizing::new([0u8; DATA_KEY_LEN]);
        if !aead::decrypt_into(&self.cipher, nonce, aad, sealed, &mut key[..]) {
            return Err(VaultError::UnwrapFailed { version });
        }
        Ok(DataKey::from_bytes(*key))
    }
}

impl fmt::Debug for SoftKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SoftKek(REDACTED)")
    }
}
