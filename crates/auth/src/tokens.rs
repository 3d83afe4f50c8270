//! Bearer tokens: 256 random bits, base64url, with a short prefix naming the kind (so leaked
//! tokens are recognisable by secret scanners). Only a SHA-256 digest is stored; the digest is
//! domain-separated by kind, so a value of one kind never matches a row of another.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tradeward_vault::SecretString;
use zeroize::Zeroizing;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A browser session (cookie).
    Session,
    /// A personal API token.
    Api,
    /// A login in progress (second factor, password change, enrolment, setup link).
    Challenge,
    /// A link sent by email (lockdown, password reset, email-change revert, sign-up).
    EmailLink,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "tws_",
            TokenKind::Api => "twp_",
            TokenKind::Challenge => "twc_",
            TokenKind::EmailLink => "twe_",
        }
    }
}

/// A bearer token. Zeroized on drop; `Debug` shows only its kind.
pub struct Token {
    kind: TokenKind,
    value: SecretString,
}

impl Token {
    /// A fresh random token.
    pub fn generate(kind: TokenKind) -> Self {
        let mut raw = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut raw[..]);
        let mut value = String::with_capacity(4 + 43);
        value.push_str(kind.prefix());
        URL_SAFE_NO_PAD.encode_string(&raw[..], &mut value);
        Self {
            kind,
            value: SecretString::new(value),
        }
    }

    /// The value to hand to the client, once.
    pub fn expose(&self) -> &str {
        self.value.expose()
    }

    /// The digest stored for it.
    pub fn digest(&self) -> [u8; 32] {
        digest(self.kind, self.value.expose())
    }

    /// Its kind.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({:?}, REDACTED)", self.kind)
    }
}

/// The stored digest of a presented token value: SHA-256 over a kind label and the value.
/// A 256-bit random value needs no salt or slow hash: it cannot be guessed from its digest.
pub fn digest(kind: TokenKind, value: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"tradeward-auth/token/v1\0");
    h.update(kind.prefix().as_bytes());
    h.update(b"\0");
    h.update(value.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_prefixed_and_distinct() {
        let a = Token::generate(TokenKind::Session);
        let b = Token::generate(TokenKind::Session);
        assert!(a.expose().starts_with("tws_"));
        assert_eq!(a.expose().len(), 4 + 43);
        let raw = URL_SAFE_NO_PAD.decode(&a.expose()[4..]).unwrap_or_default();
        assert_eq!(raw.len(), 32);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.digest(), digest(TokenKind::Session, a.expose()));
        assert_ne!(a.digest(), digest(TokenKind::Api, a.expose()));
        let shown = format!("{a:?}");
        assert_eq!(shown, "Token(Session, REDACTED)");
    }

    #[test]
    fn digest_is_pinned() {
        // SHA-256("tradeward-auth/token/v1\0tws_\0abc"), a stored format.
        let mut h = Sha256::new();
        h.update(b"tradeward-auth/token/v1\0tws_\0abc");
        let want: [u8; 32] = h.finalize().into();
        assert_eq!(digest(TokenKind::Session, "abc"), want);
    }
}
