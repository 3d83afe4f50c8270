//! TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 6 digits, 30-second steps, accepting one
//! step either side for clock drift.
//!
//! [`verify`] computes all three candidate codes and compares each in constant time before
//! deciding, and returns the matching time step only if it is later than the last one used;
//! the caller then records that step with a conditional update so a code is never accepted
//! twice, even by two racing requests.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha1::Sha1;
use subtle::{Choice, ConstantTimeEq};
use tradeward_vault::{SecretBytes, SecretString};

/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Seconds per time step.
pub const STEP_SECS: i64 = 30;
/// Seed length: 160 bits, RFC 4226's recommendation for HMAC-SHA-1.
pub const SEED_LEN: usize = 20;

/// A fresh random seed.
pub fn generate_seed() -> SecretBytes {
    let mut seed = vec![0u8; SEED_LEN];
    OsRng.fill_bytes(&mut seed);
    SecretBytes::new(seed)
}

/// HOTP value (RFC 4226 §5.3): dynamic truncation of HMAC-SHA-1, reduced to `digits`.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 10u32.pow(digits)
}

/// The time step containing `unix_secs`.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

fn code_bytes(seed: &[u8], step: i64) -> [u8; DIGITS as usize] {
    let value = hotp(seed, step.max(0) as u64, DIGITS);
    let mut out = [b'0'; DIGITS as usize];
    let mut v = value;
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out
}

/// The 6-digit code at `unix_secs` (for enrolment checks and tests).
pub fn code_at(seed: &[u8], unix_secs: i64) -> SecretString {
    let bytes = code_bytes(seed, step_at(unix_secs));
    SecretString::new(bytes.iter().map(|&b| char::from(b)).collect())
}

/// Checks `code` at `unix_secs`. Returns the matching step if the code is valid for the
/// current step or one either side *and* that step is later than `last_used_step`.
/// Spaces in the code are ignored; anything but six digits is refused.
pub fn verify(seed: &[u8], code: &str, unix_secs: i64, last_used_step: i64) -> Option<i64> {
    let digits: Vec<u8> = code.bytes().filter(|b| *b != b' ').collect();
    if digits.len() != DIGITS as usize || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let now = step_at(unix_secs);
    let mut found: Option<i64> = None;
    // Every candidate is computed and compared; the earliest acceptable match wins.
    for step in [now + 1, now, now - 1] {
        let matches: Choice = code_bytes(seed, step).ct_eq(&digits[..]);
        if bool::from(matches) && step > last_used_step {
            found = Some(step);
        }
    }
    found
}

/// The base32 form of a seed that authenticator apps accept for manual entry.
pub fn seed_base32(seed: &[u8]) -> SecretString {
    SecretString::new(data_encoding::BASE32_NOPAD.encode(seed))
}

/// The `otpauth://` URI (Key Uri Format) for a QR code.
pub fn otpauth_uri(issuer: &str, account: &str, seed: &[u8]) -> SecretString {
    let secret = seed_base32(seed);
    SecretString::new(format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        percent_encode(issuer),
        percent_encode(account),
        secret.expose(),
        percent_encode(issuer),
    ))
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let vectors = [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (t, want) in vectors {
            assert_eq!(hotp(RFC_SEED, step_at(t) as u64, 8), want, "T = {t}");
            // The 6-digit code is the same truncation reduced mod 10^6.
            assert_eq!(
                code_at(RFC_SEED, t).expose(),
                format!("{:06}", want % 1_000_000),
                "T = {t}"
            );
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let want = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, w) in want.iter().enumerate() {
            assert_eq!(hotp(RFC_SEED, counter as u64, 6), *w, "counter {counter}");
        }
    }

    #[test]
    fn one_step_of_drift_either_side_and_no_more() {
        let t = 1_111_111_111;
        let now = step_at(t);
        let code = |secs: i64| code_at(RFC_SEED, secs).expose().to_owned();
        assert_eq!(verify(RFC_SEED, &code(t), t, -1), Some(now));
        assert_eq!(verify(RFC_SEED, &code(t - 30), t, -1), Some(now - 1));
        assert_eq!(verify(RFC_SEED, &code(t + 30), t, -1), Some(now + 1));
        assert_eq!(verify(RFC_SEED, &code(t - 60), t, -1), None);
        assert_eq!(verify(RFC_SEED, &code(t + 60), t, -1), None);
        // Spaces are fine, other shapes are not.
        let c = code(t);
        assert_eq!(
            verify(RFC_SEED, &format!("{} {}", &c[..3], &c[3..]), t, -1),
            Some(now)
        );
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(verify(RFC_SEED, bad, t, -1), None, "{bad:?}");
        }
    }

    #[test]
    fn a_used_step_is_never_accepted_again() {
        let t = 1_234_567_890;
        let now = step_at(t);
        let c = code_at(RFC_SEED, t);
        assert_eq!(verify(RFC_SEED, c.expose(), t, now - 1), Some(now));
        assert_eq!(verify(RFC_SEED, c.expose(), t, now), None, "same step");
        assert_eq!(
            verify(RFC_SEED, c.expose(), t + 30, now),
            None,
            "replayed a step later"
        );
        let prev = code_at(RFC_SEED, t - 30);
        assert_eq!(
            verify(RFC_SEED, prev.expose(), t, now),
            None,
            "older than the last used"
        );
    }

    #[test]
    fn otpauth_uri_follows_the_key_uri_format() {
        let uri = otpauth_uri("Trade Ward", "alice+1@example.com", RFC_SEED);
        assert_eq!(
            uri.expose(),
            "otpauth://totp/Trade%20Ward:alice%2B1%40example.com?\
             secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Trade%20Ward&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(generate_seed().len(), 20);
    }
}
