//! Parsing key material. Every intermediate copy (decoded base64, repaired PEM text) lives in a
//! `Zeroizing` buffer; parsed keys (`ed25519_dalek::SigningKey`, `p256::SecretKey`) zeroize
//! themselves on drop. Errors are fixed texts: nothing derived from the secret is ever shown.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use zeroize::Zeroizing;

use super::SchemeError;

fn bad(scheme: &'static str, reason: &'static str) -> SchemeError {
    SchemeError::MalformedSecret { scheme, reason }
}

/// A secret used as HMAC key by its ASCII bytes (Binance, OKX, Bybit): it must be printable
/// ASCII with no whitespace, which catches a stray newline pasted with it.
pub(crate) fn ascii_secret<'a>(
    scheme: &'static str,
    secret: &'a [u8],
) -> Result<&'a [u8], SchemeError> {
    if secret.is_empty() {
        return Err(bad(scheme, "it is empty"));
    }
    if !secret.iter().all(u8::is_ascii_graphic) {
        return Err(bad(
            scheme,
            "it contains whitespace, control or non-ASCII characters",
        ));
    }
    Ok(secret)
}

/// A base64 (standard alphabet, padded) secret, decoded into a zeroizing buffer. Surrounding
/// whitespace is ignored.
pub(crate) fn base64_secret(
    scheme: &'static str,
    secret: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SchemeError> {
    let text = secret.trim_ascii();
    // Reserve the full size up front so decoding never reallocates and leaves a copy behind.
    let mut out = Zeroizing::new(Vec::with_capacity(base64::decoded_len_estimate(text.len())));
    STANDARD
        .decode_vec(text, &mut out)
        .map_err(|_| bad(scheme, "not valid base64"))?;
    if out.is_empty() {
        return Err(bad(scheme, "it is empty"));
    }
    Ok(out)
}

/// Text of a PEM key. JSON key files (Coinbase's) hold the PEM with `\n` escapes; a user who
/// pastes the string from such a file gets them repaired into real newlines.
fn pem_text(scheme: &'static str, secret: &[u8]) -> Result<Zeroizing<String>, SchemeError> {
    let text = std::str::from_utf8(secret).map_err(|_| bad(scheme, "the key is not UTF-8 text"))?;
    let text = text.trim();
    let mut owned = Zeroizing::new(String::with_capacity(text.len()));
    if text.contains("\\n") && !text.contains('\n') {
        for (i, part) in text.split("\\n").enumerate() {
            if i > 0 {
                owned.push('\n');
            }
            owned.push_str(part);
        }
    } else {
        owned.push_str(text);
    }
    Ok(owned)
}

fn is_pem(secret: &[u8]) -> bool {
    secret.trim_ascii_start().starts_with(b"-----BEGIN")
}

/// A Binance Ed25519 private key: PKCS#8 PEM (as Binance's key generator writes it), or base64
/// of the PKCS#8 DER, or base64 of the raw 32-byte seed.
pub(crate) fn binance_ed25519(
    scheme: &'static str,
    secret: &[u8],
) -> Result<ed25519_dalek::SigningKey, SchemeError> {
    if is_pem(secret) {
        let pem = pem_text(scheme, secret)?;
        return ed25519_dalek::SigningKey::from_pkcs8_pem(&pem)
            .map_err(|_| bad(scheme, "the Ed25519 key is not a valid PKCS#8 PEM"));
    }
    let der = base64_secret(scheme, secret)?;
    if der.len() == ed25519_dalek::SECRET_KEY_LENGTH {
        return Ok(seed_key(&der));
    }
    ed25519_dalek::SigningKey::from_pkcs8_der(&der).map_err(|_| {
        bad(
            scheme,
            "the Ed25519 key is neither a PKCS#8 PEM nor base64 of a 32-byte seed or PKCS#8 DER",
        )
    })
}

fn seed_key(seed: &[u8]) -> ed25519_dalek::SigningKey {
    let mut bytes = Zeroizing::new([0u8; ed25519_dalek::SECRET_KEY_LENGTH]);
    bytes.copy_from_slice(seed);
    ed25519_dalek::SigningKey::from_bytes(&bytes)
}

/// A Coinbase Ed25519 API key: base64 of 64 bytes (seed then public key, checked to match) as
/// Coinbase issues them, or of the bare 32-byte seed.
pub(crate) fn coinbase_ed25519(
    scheme: &'static str,
    secret: &[u8],
) -> Result<ed25519_dalek::SigningKey, SchemeError> {
    if is_pem(secret) {
        return binance_ed25519(scheme, secret);
    }
    let raw = base64_secret(scheme, secret)?;
    match raw.len() {
        ed25519_dalek::SECRET_KEY_LENGTH => Ok(seed_key(&raw)),
        ed25519_dalek::KEYPAIR_LENGTH => {
            let mut pair = Zeroizing::new([0u8; ed25519_dalek::KEYPAIR_LENGTH]);
            pair.copy_from_slice(&raw);
            ed25519_dalek::SigningKey::from_keypair_bytes(&pair).map_err(|_| {
                bad(
                    scheme,
                    "the Ed25519 key's public half does not match its private half",
                )
            })
        }
        _ => Err(bad(scheme, "the Ed25519 key must decode to 32 or 64 bytes")),
    }
}

/// A Coinbase EC key: SEC1 PEM (`BEGIN EC PRIVATE KEY`, as Coinbase issues them) or PKCS#8
/// PEM (`BEGIN PRIVATE KEY`), on P-256.
pub(crate) fn p256_key(
    scheme: &'static str,
    secret: &[u8],
) -> Result<p256::ecdsa::SigningKey, SchemeError> {
    use p256::pkcs8::DecodePrivateKey as _;
    let pem = pem_text(scheme, secret)?;
    let key = if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
        p256::SecretKey::from_sec1_pem(&pem)
            .map_err(|_| bad(scheme, "the EC key is not a valid SEC1 PEM P-256 key"))?
    } else if pem.contains("-----BEGIN PRIVATE KEY-----") {
        p256::SecretKey::from_pkcs8_pem(&pem)
            .map_err(|_| bad(scheme, "the EC key is not a valid PKCS#8 PEM P-256 key"))?
    } else {
        return Err(bad(
            scheme,
            "expected a PEM EC private key (BEGIN EC PRIVATE KEY or BEGIN PRIVATE KEY)",
        ));
    };
    Ok(p256::ecdsa::SigningKey::from(key))
}
