//! The one AES-256-GCM construction both layers use (secret under DEK, DEK under a software
//! KEK): 96-bit random nonce, 128-bit tag appended to the ciphertext. Kept in one place so the
//! known-answer test below covers exactly the calls the vault makes.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rand::rngs::OsRng;
use rand::RngCore;

use crate::error::VaultError;

/// GCM nonce length in bytes.
pub(crate) const NONCE_LEN: usize = 12;
/// GCM tag length in bytes.
pub(crate) const TAG_LEN: usize = 16;

/// A cipher keyed with `key` (runs the AES key schedule and derives the GHASH key).
pub(crate) fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(key.into())
}

/// A fresh random nonce. Random 96-bit nonces are safe here because every DEK encrypts
/// exactly one message, and a KEK wraps far fewer than 2^32 keys.
pub(crate) fn random_nonce() -> Result<[u8; NONCE_LEN], VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|e| VaultError::Random(e.to_string()))?;
    Ok(nonce)
}

/// Encrypts `plaintext`; returns ciphertext followed by the tag.
pub(crate) fn encrypt(
    cipher: &Aes256Gcm,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_in_place_detached(&Nonce::from(*nonce), aad, &mut out)
        .map_err(|_| VaultError::Encrypt("plaintext or associated data too long for AES-GCM"))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Decrypts `sealed` (ciphertext then tag) into `out`, which must be exactly the plaintext
/// length. Returns false on any authentication or length failure, leaving `out` unspecified
/// (callers hold it in a zeroizing buffer).
pub(crate) fn decrypt_into(
    cipher: &Aes256Gcm,
    nonce: &[u8],
    aad: &[u8],
    sealed: &[u8],
    out: &mut [u8],
) -> bool {
    let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(nonce) else {
        return false;
    };
    if sealed.len() != out.len() + TAG_LEN {
        return false;
    }
    let (ct, tag) = sealed.split_at(out.len());
    let Ok(tag) = <[u8; TAG_LEN]>::try_from(tag) else {
        return false;
    };
    out.copy_from_slice(ct);
    cipher
        .decrypt_in_place_detached(&Nonce::from(nonce), aad, out, &Tag::from(tag))
        .is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // The GCM specification's (McGrew & Viega) Test Case 16: AES-256, 96-bit IV, with AAD.
    // Cross-checked with Python `cryptography`'s AESGCM.
    const KEY: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    const IV: &str = "cafebabefacedbaddecaf888";
    const PT: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    const AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    const CT: &str = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
    const TAG: &str = "76fc6ece0f4e1768cddf8853bb2d551b";

    fn key() -> [u8; 32] {
        hex::decode(KEY).unwrap().try_into().unwrap()
    }

    #[test]
    fn known_answer_encrypt() {
        let nonce: [u8; 12] = hex::decode(IV).unwrap().try_into().unwrap();
        let out = encrypt(
            &cipher(&key()),
            &nonce,
            &hex::decode(AAD).unwrap(),
            &hex::decode(PT).unwrap(),
        )
        .unwrap();
        assert_eq!(hex::encode(out), format!("{CT}{TAG}"));
    }

    #[test]
    fn known_answer_decrypt_and_tamper() {
        let sealed = hex::decode(format!("{CT}{TAG}")).unwrap();
        let (nonce, aad) = (hex::decode(IV).unwrap(), hex::decode(AAD).unwrap());
        let mut out = vec![0u8; sealed.len() - TAG_LEN];
        assert!(decrypt_into(
            &cipher(&key()),
            &nonce,
            &aad,
            &sealed,
            &mut out
        ));
        assert_eq!(hex::encode(&out), PT);
        let mut bad = sealed.clone();
        bad[0] ^= 1;
        assert!(!decrypt_into(&cipher(&key()), &nonce, &aad, &bad, &mut out));
        assert!(!decrypt_into(
            &cipher(&key()),
            &nonce,
            &aad[1..],
            &sealed,
            &mut out
        ));
        assert!(!decrypt_into(
            &cipher(&key()),
            &nonce[1..],
            &aad,
            &sealed,
            &mut out
        ));
        let mut short = vec![0u8; 3];
        assert!(!decrypt_into(
            &cipher(&key()),
            &nonce,
            &aad,
            &sealed,
            &mut short
        ));
    }
}
