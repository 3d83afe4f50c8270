//! Secret holders: byte and string buffers that zeroize on drop and never print their contents.
//!
//! Deliberately absent: `Display`, `Serialize` and `Clone`. A secret leaves these types only
//! through `expose()`, so every place that touches plaintext is greppable. `Clone` is left out
//! because every copy is one more buffer to zeroize; a caller that truly needs two copies can
//! say so with `SecretBytes::from_slice(s.expose())`.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secret bytes (an exchange API secret, a TOTP seed, a PIN). Zeroized on drop.
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`. Earlier reallocations of that vector are the caller's to
    /// have avoided: only the final buffer is zeroized.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new secret buffer.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// The secret itself. Keep the borrow short and never log it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (not secret for our uses: lengths are visible in the ciphertext anyway).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time equality, for comparing anything derived from a secret.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.as_slice().ct_eq(other).into()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(REDACTED)")
    }
}

/// A secret that is known to be UTF-8 (a passphrase). Zeroized on drop.
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `text`.
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The secret itself. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Converts into secret bytes without an unzeroized intermediate copy.
    pub fn into_bytes(mut self) -> SecretBytes {
        let text = std::mem::take(&mut *self.0);
        SecretBytes::new(text.into_bytes())
    }
}

impl From<String> for SecretString {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(REDACTED)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debug_is_redacted_in_every_form() {
        let raw = b"Sup3rS3cretK3y!x".to_vec();
        let secret = SecretBytes::new(raw.clone());
        let shown = format!("{secret:?} {secret:#?}");
        assert!(shown.contains("SecretBytes(REDACTED)"));
        assert!(!shown.contains("Sup3r"));
        assert!(!shown.to_lowercase().contains(&hex::encode(&raw[..4])));
        // Debug of the byte list form would show "83, 117, ...".
        assert!(!shown.contains(&format!("{}, {}", raw[0], raw[1])));

        let text = SecretString::new("hunter2-passphrase".into());
        let shown = format!("{text:?}");
        assert_eq!(shown, "SecretString(REDACTED)");
        assert_eq!(text.into_bytes().expose(), b"hunter2-passphrase");
    }

    #[test]
    fn ct_eq_compares_content() {
        let s = SecretBytes::from_slice(b"abc");
        assert!(s.ct_eq(b"abc"));
        assert!(!s.ct_eq(b"abd"));
        assert!(!s.ct_eq(b"ab"));
    }

    // Compile-time proof that the secret types implement neither Display nor Serialize nor
    // Clone: if one of them gains such an impl, the ambiguous-impl trick below stops compiling.
    macro_rules! assert_not_impl {
        ($ty:ty, $tr:path) => {
            const _: fn() = || {
                trait AmbiguousIfImpl<A> {
                    fn some_item() {}
                }
                impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
                #[allow(dead_code)]
                struct Invalid;
                impl<T: ?Sized + $tr> AmbiguousIfImpl<Invalid> for T {}
                let _ = <$ty as AmbiguousIfImpl<_>>::some_item;
            };
        };
    }
    assert_not_impl!(SecretBytes, std::fmt::Display);
    assert_not_impl!(SecretBytes, serde::Serialize);
    assert_not_impl!(SecretBytes, Clone);
    assert_not_impl!(SecretString, std::fmt::Display);
    assert_not_impl!(SecretString, serde::Serialize);
    assert_not_impl!(SecretString, Clone);
    assert_not_impl!(crate::DataKey, std::fmt::Display);
    assert_not_impl!(crate::DataKey, serde::Serialize);
    assert_not_impl!(crate::DataKey, Clone);
}
