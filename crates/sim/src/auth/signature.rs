//! Binance request signatures: which bytes are signed and how a signature is checked.
//!
//! REST: the signed payload is the raw query string followed directly by the raw body, with
//! the `signature` parameter taken out (Binance has it sent last). HMAC keys sign with
//! lowercase hex HMAC-SHA256; Ed25519 keys with base64 of the Ed25519 signature (which
//! clients percent-encode, so the value is decoded first).

use crate::config::SecretString;
use base64::Engine as _;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// How a key's requests are verified.
#[derive(Clone)]
pub enum VerifyKey {
    /// HMAC-SHA256 with the shared secret.
    Hmac(SecretString),
    /// Ed25519 with the client's public key.
    Ed25519(VerifyingKey),
}

impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyKey::Hmac(_) => f.write_str("VerifyKey::Hmac(<redacted>)"),
            VerifyKey::Ed25519(k) => write!(f, "VerifyKey::Ed25519({})", hex::encode(k.as_bytes())),
        }
    }
}

impl VerifyKey {
    /// True when `signature` (as sent, percent-decoded) signs `payload` under this key.
    /// The HMAC comparison is constant-time (`verify_slice`).
    pub fn verify(&self, payload: &[u8], signature: &str) -> bool {
        match self {
            VerifyKey::Hmac(secret) => {
                let Ok(sig) = hex::decode(signature) else {
                    return false;
                };
                let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
                else {
                    return false;
                };
                mac.update(payload);
                mac.verify_slice(&sig).is_ok()
            }
            VerifyKey::Ed25519(key) => {
                let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(signature) else {
                    return false;
                };
                let Ok(sig) = Signature::from_slice(&raw) else {
                    return false;
                };
                key.verify(payload, &sig).is_ok()
            }
        }
    }
}

/// Parses an Ed25519 public key: PEM SubjectPublicKeyInfo, or base64 of the raw 32 bytes or
/// of the DER SubjectPublicKeyInfo.
pub fn parse_ed25519_public_key(text: &str) -> Result<VerifyingKey, String> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(t)
            .map_err(|_| "not a valid Ed25519 PEM public key".to_string());
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(t)
        .map_err(|_| "neither PEM nor base64".to_string())?;
    if let Ok(bytes) = <[u8; 32]>::try_from(raw.as_slice()) {
        return VerifyingKey::from_bytes(&bytes)
            .map_err(|_| "not a valid Ed25519 point".to_string());
    }
    VerifyingKey::from_public_key_der(&raw)
        .map_err(|_| "not a 32-byte key nor a DER Ed25519 public key".to_string())
}

/// A request's signed payload and the signature found in it.
#[derive(Debug, PartialEq, Eq)]
pub struct SignedParts {
    /// Query (without `signature`) followed by the body (without `signature`).
    pub payload: Vec<u8>,
    /// The signature value, percent-decoded; None when absent or empty.
    pub signature: Option<String>,
}

/// Splits the raw query and body into the signed payload and the signature.
pub fn signed_parts(query: &str, body: &[u8]) -> SignedParts {
    let mut signature = None;
    let mut payload = Vec::with_capacity(query.len() + body.len());
    strip_signature(query.as_bytes(), &mut payload, &mut signature);
    strip_signature(body, &mut payload, &mut signature);
    SignedParts { payload, signature }
}

/// Appends `src` minus any `signature=...` pair to `out`, keeping every other byte as sent.
fn strip_signature(src: &[u8], out: &mut Vec<u8>, signature: &mut Option<String>) {
    let mut first = true;
    for pair in src.split(|b| *b == b'&') {
        if let Some(v) = pair.strip_prefix(b"signature=") {
            let decoded: String = form_decode(v);
            if !decoded.is_empty() {
                *signature = Some(decoded);
            }
            continue;
        }
        if !first {
            out.push(b'&');
        }
        out.extend_from_slice(pair);
        first = false;
    }
}

/// Percent-decodes one form value (`+` is a space).
fn form_decode(v: &[u8]) -> String {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(&[b"v=".as_slice(), v].concat())
        .ok()
        .and_then(|mut p| p.pop())
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    fn hmac_key() -> VerifyKey {
        VerifyKey::Hmac(SecretString::new(SECRET.into()))
    }

    #[test]
    fn binance_published_rest_vectors_verify() {
        // exchange-signing.md, Binance REST ASCII and non-ASCII vectors.
        let q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        assert!(hmac_key().verify(q.as_bytes(), sig));
        let q2 = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert!(hmac_key().verify(
            q2.as_bytes(),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
        ));
        // One changed byte fails.
        assert!(!hmac_key().verify(q.replace("0.1", "0.2").as_bytes(), sig));
        assert!(!hmac_key().verify(q.as_bytes(), "zz"));
    }

    #[test]
    fn payload_is_query_then_body_without_signature() {
        let sig = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";
        // Split between query and body, signature last in the body (Binance's example).
        let parts = signed_parts(
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
            format!("quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature={sig}")
                .as_bytes(),
        );
        assert_eq!(parts.signature.as_deref(), Some(sig));
        let expected: &[u8] = b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(parts.payload, expected);
        // Binance's published example 3 (mixed query string and body) signs exactly these bytes.
        assert!(hmac_key().verify(
            &parts.payload,
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
        ));
        let all_in_query = signed_parts(&format!("a=1&b=2&signature={sig}"), b"");
        assert_eq!(all_in_query.payload, b"a=1&b=2");
        assert!(signed_parts("a=1", b"").signature.is_none());
        assert!(signed_parts("a=1&signature=", b"").signature.is_none());
    }

    #[test]
    fn ed25519_rfc8032_test1() {
        // RFC 8032 section 7.1, TEST 1: empty message.
        let pk = hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .unwrap();
        let sig = hex::decode("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b").unwrap();
        let key = parse_ed25519_public_key(&base64::engine::general_purpose::STANDARD.encode(&pk))
            .unwrap();
        let vk = VerifyKey::Ed25519(key);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&sig);
        assert!(vk.verify(b"", &b64));
        assert!(!vk.verify(b"x", &b64));
        // Percent-encoded base64 as clients send it decodes to the same signature.
        let enc = b64
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let parts = signed_parts(&format!("signature={enc}"), b"");
        assert!(vk.verify(&parts.payload, parts.signature.as_deref().unwrap()));
    }

    #[test]
    fn ed25519_pem_keys_parse() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
        let k = parse_ed25519_public_key(pem).unwrap();
        assert_eq!(
            hex::encode(k.as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert!(parse_ed25519_public_key("not a key!").is_err());
        assert!(parse_ed25519_public_key("AAAA").is_err());
    }

    #[test]
    fn debug_hides_hmac_secret() {
        assert!(!format!("{:?}", hmac_key()).contains(SECRET));
    }
}
