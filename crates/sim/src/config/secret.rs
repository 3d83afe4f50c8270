//! [`SecretString`]: an account secret held by the sim (it is the exchange, so it knows its
//! clients' HMAC keys). Zeroized on drop, redacted in Debug, neither Display nor Serialize.

use serde::{Deserialize, Deserializer};
use std::fmt;
use zeroize::Zeroizing;

/// A secret string (an HMAC key, a control-plane token).
#[derive(Clone)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret.
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret's text: only for computing a MAC or printing it once to its owner.
    pub fn expose_secret(&self) -> &str {
        self.0.as_str()
    }

    /// A random alphanumeric secret of `len` characters from the OS RNG.
    pub fn random(len: usize) -> Self {
        Self::new(random_alnum(len))
    }
}

/// `len` random alphanumeric characters (API keys and secrets).
pub(crate) fn random_alnum(len: usize) -> String {
    use rand::{distributions::Alphanumeric, Rng};
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::new(String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::new("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
        assert_eq!(SecretString::random(64).expose_secret().len(), 64);
    }
}
