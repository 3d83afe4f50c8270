//! Short inline strings (symbols, assets, client order ids) that never allocate.
//!
//! The matching hot path clones orders into events; a `String` per order would make every
//! clone an allocation, so these identifiers live inline in a fixed buffer instead.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Longest identifier we store: Binance caps `newClientOrderId` at 36 characters.
pub const SHORT_STR_CAP: usize = 36;

/// An ASCII string of at most [`SHORT_STR_CAP`] bytes, stored inline (`Copy`, no heap).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShortStr {
    len: u8,
    buf: [u8; SHORT_STR_CAP],
}

impl ShortStr {
    /// Builds one from `s`; `None` when `s` is longer than [`SHORT_STR_CAP`] bytes.
    pub fn new(s: &str) -> Option<Self> {
        let bytes = s.as_bytes();
        if bytes.len() > SHORT_STR_CAP {
            return None;
        }
        let mut buf = [0u8; SHORT_STR_CAP];
        buf[..bytes.len()].copy_from_slice(bytes);
        Some(Self {
            len: bytes.len() as u8,
            buf,
        })
    }

    /// The empty string.
    pub const fn empty() -> Self {
        Self {
            len: 0,
            buf: [0u8; SHORT_STR_CAP],
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ever filled from a `&str` (whole, never split) or from ASCII bytes, so the
        // prefix is valid UTF-8; fall back to "" rather than panic if that ever broke.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    /// Builds one from ASCII bytes (used for generated ids); non-ASCII input yields `None`.
    pub(crate) fn from_ascii(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > SHORT_STR_CAP || !bytes.is_ascii() {
            return None;
        }
        let mut buf = [0u8; SHORT_STR_CAP];
        buf[..bytes.len()].copy_from_slice(bytes);
        Some(Self {
            len: bytes.len() as u8,
            buf,
        })
    }

    /// The bytes of the text (no UTF-8 check: the cheap form for comparisons).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::hash::Hash for ShortStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Only the used bytes: hashing the whole buffer costs more than the lookup itself.
        state.write(&self.buf[..self.len as usize]);
    }
}

impl Default for ShortStr {
    fn default() -> Self {
        Self::empty()
    }
}

impl std::ops::Deref for ShortStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for ShortStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ShortStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ShortStr {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for ShortStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Serialize for ShortStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ShortStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ShortStr::new(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "string longer than {SHORT_STR_CAP} bytes: {:?}",
                s.chars().take(40).collect::<String>()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_limits_length() {
        let s = ShortStr::new("BTCUSDT").unwrap();
        assert_eq!(s.as_str(), "BTCUSDT");
        assert_eq!(s, "BTCUSDT");
        assert!(ShortStr::new(&"x".repeat(36)).is_some());
        assert!(ShortStr::new(&"x".repeat(37)).is_none());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"BTCUSDT\"");
        let back: ShortStr = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert!(serde_json::from_str::<ShortStr>(&format!("\"{}\"", "y".repeat(37))).is_err());
    }
}
