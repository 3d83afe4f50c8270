//! HMAC helpers over RustCrypto's `hmac`: one function per digest, the message given in parts so
//! no concatenated copy is needed.

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use super::SchemeError;

fn keyed<M: Mac + hmac::digest::KeyInit>(key: &[u8]) -> Result<M, SchemeError> {
    // HMAC accepts keys of any length, so this never fails; the error is mapped, not unwrapped.
    <M as hmac::digest::KeyInit>::new_from_slice(key).map_err(|_| SchemeError::MalformedSecret {
        scheme: "hmac",
        reason: "key length rejected",
    })
}

/// HMAC-SHA256 of the concatenated `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], SchemeError> {
    let mut mac = keyed::<Hmac<Sha256>>(key)?;
    for p in parts {
        mac.update(p);
    }
    Ok(mac.finalize().into_bytes().into())
}

/// HMAC-SHA384 of the concatenated `parts`.
pub fn hmac_sha384(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 48], SchemeError> {
    let mut mac = keyed::<Hmac<Sha384>>(key)?;
    for p in parts {
        mac.update(p);
    }
    Ok(mac.finalize().into_bytes().into())
}

/// HMAC-SHA512 of the concatenated `parts`.
pub fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 64], SchemeError> {
    let mut mac = keyed::<Hmac<Sha512>>(key)?;
    for p in parts {
        mac.update(p);
    }
    Ok(mac.finalize().into_bytes().into())
}
