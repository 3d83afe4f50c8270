//! The password policy (NIST SP 800-63B, OWASP ASVS 2.1): length and a blocklist, no
//! composition rules. Lengths are counted in Unicode scalar values, so a passphrase in any
//! script is measured as its user sees it.

use crate::error::PasswordRejection;
use crate::passwords::common::is_common;

/// Fewest characters allowed.
pub const MIN_CHARS: usize = 12;
/// Most characters allowed (argon2 copes with more; the bound keeps requests small).
pub const MAX_CHARS: usize = 128;

/// Checks a new password for the account `email`. The first failed rule is named.
pub fn check_password(password: &str, email: &str) -> Result<(), PasswordRejection> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordRejection::TooShort { min: MIN_CHARS });
    }
    if chars > MAX_CHARS {
        return Err(PasswordRejection::TooLong { max: MAX_CHARS });
    }
    if is_common(password) {
        return Err(PasswordRejection::Common);
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    // A local part of one or two letters would refuse half the dictionary; three is enough to
    // catch "alice" in "alice2024alice!".
    if local.chars().count() >= 3 && password.to_lowercase().contains(&local) {
        return Err(PasswordRejection::ContainsEmail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passwords::common_password_count;

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(
            check_password("elevenchars", "a@b.c"),
            Err(PasswordRejection::TooShort { min: 12 })
        );
        assert_eq!(check_password("twelve chars", "a@b.c"), Ok(()));
        // 12 characters of 2 bytes each: long enough even though the count of bytes is 24.
        assert_eq!(check_password("éééééééééééé", "a@b.c"), Ok(()));
        assert!(check_password("ééééééééééé", "a@b.c").is_err());
        assert_eq!(check_password(&"x".repeat(128), "a@b.c"), Ok(()));
        assert_eq!(
            check_password(&"x".repeat(129), "a@b.c"),
            Err(PasswordRejection::TooLong { max: 128 })
        );
    }

    #[test]
    fn no_composition_rules() {
        for ok in [
            "all lower case words",
            "123498765432109",
            "ÜNÏCÔDÉ PÄSSWÖRD",
        ] {
            assert_eq!(check_password(ok, "someone@example.com"), Ok(()), "{ok}");
        }
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert!(
            common_password_count() >= 40_000,
            "{}",
            common_password_count()
        );
        // Long entries of both lists: Django's (breach corpora) and zxcvbn's (xato).
        for common in [
            "1qaz2wsx3edc4rfv",
            "mailcreated5240",
            "Q1W2E3R4T5Y6",
            "startfinding",
        ] {
            assert_eq!(
                check_password(common, "x@example.com"),
                Err(PasswordRejection::Common),
                "{common}"
            );
        }
    }

    #[test]
    fn the_email_local_part_is_refused() {
        assert_eq!(
            check_password("my name is Alice.Smith!", "alice.smith@example.com"),
            Err(PasswordRejection::ContainsEmail)
        );
        assert_eq!(
            check_password("my name is al, hello", "al@example.com"),
            Ok(())
        );
    }
}
