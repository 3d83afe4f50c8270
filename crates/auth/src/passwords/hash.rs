//! argon2id hashing in PHC string format, with the parameters in force and a re-hash check.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AuthError;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for HashParams {
    /// OWASP's password storage cheat sheet: m = 19 MiB, t = 2, p = 1.
    fn default() -> Self {
        Self::OWASP_MINIMUM
    }
}

impl HashParams {
    /// The least a deployment should use (OWASP).
    pub const OWASP_MINIMUM: HashParams = HashParams {
        m_kib: 19_456,
        t: 2,
        p: 1,
    };

    /// Whether these parameters are at least OWASP's (more memory or passes only add cost).
    pub fn meets_owasp_minimum(&self) -> bool {
        self.m_kib >= Self::OWASP_MINIMUM.m_kib && self.t >= Self::OWASP_MINIMUM.t && self.p >= 1
    }

    fn argon2(&self) -> Result<Argon2<'static>, AuthError> {
        let params =
            Params::new(self.m_kib, self.t, self.p, None).map_err(|_| AuthError::InvalidInput {
                field: "argon2 parameters",
                reason: "out of argon2's range (m >= 8 KiB per lane, t >= 1, p >= 1)",
            })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The password matches.
    pub matched: bool,
    /// The hash was made with other parameters (or another algorithm) than those in force.
    pub needs_rehash: bool,
}

/// Hashes a password with a fresh 128-bit salt. CPU- and memory-heavy: call it through
/// [`super::HashingPool`], never on an async worker thread.
pub fn hash_password(params: &HashParams, password: &[u8]) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = params
        .argon2()?
        .hash_password(password, &salt)
        .map_err(|_| AuthError::Internal("argon2 hashing failed"))?;
    Ok(hash.to_string())
}

/// Checks a password against a PHC string (the parameters come from the string) and says
/// whether it should be re-hashed under `params`. The comparison inside argon2 is constant
/// time.
pub fn verify_password(
    params: &HashParams,
    password: &[u8],
    phc: &str,
) -> Result<Verification, AuthError> {
    let parsed = PasswordHash::new(phc)
        .map_err(|_| AuthError::Internal("stored password hash is malformed"))?;
    let matched = Argon2::default().verify_password(password, &parsed).is_ok();
    let stored = Params::try_from(&parsed).ok();
    let needs_rehash = parsed.algorithm != argon2::ARGON2ID_IDENT
        || parsed.version != Some(Version::V0x13.into())
        || stored.is_none_or(|s| {
            s.m_cost() != params.m_kib || s.t_cost() != params.t || s.p_cost() != params.p
        });
    Ok(Verification {
        matched,
        needs_rehash,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const FAST: HashParams = HashParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    #[test]
    fn defaults_are_owasp() {
        let d = HashParams::default();
        assert_eq!((d.m_kib, d.t, d.p), (19_456, 2, 1));
        assert!(d.meets_owasp_minimum());
        assert!(!FAST.meets_owasp_minimum());
    }

    #[test]
    fn hashes_are_argon2id_phc_and_salted() {
        let a = hash_password(&FAST, b"correct horse battery").unwrap();
        let b = hash_password(&FAST, b"correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{a}");
        assert_ne!(a, b, "fresh salt each time");
        let ok = verify_password(&FAST, b"correct horse battery", &a).unwrap();
        assert_eq!(
            ok,
            Verification {
                matched: true,
                needs_rehash: false
            }
        );
        let bad = verify_password(&FAST, b"correct horse batterY", &a).unwrap();
        assert!(!bad.matched);
    }

    #[test]
    fn known_answer_from_the_reference_implementation() {
        // Produced by the argon2 reference CLI (phc-winner-argon2):
        // echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -e
        let phc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
        let v = verify_password(&HashParams::default(), b"password", phc).unwrap();
        assert!(v.matched);
        assert!(
            v.needs_rehash,
            "m=64 MiB, t=2 differs from the parameters in force"
        );
        assert!(
            !verify_password(&HashParams::default(), b"passwore", phc)
                .unwrap()
                .matched
        );
    }

    #[test]
    fn raised_parameters_ask_for_a_rehash() {
        let old = hash_password(&FAST, b"some long password").unwrap();
        let raised = HashParams { m_kib: 128, ..FAST };
        let v = verify_password(&raised, b"some long password", &old).unwrap();
        assert_eq!(
            v,
            Verification {
                matched: true,
                needs_rehash: true
            }
        );
        // argon2i (not id) is re-hashed too.
        let argon2i =
            "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA";
        assert!(
            verify_password(&FAST, b"password", argon2i)
                .unwrap()
                .needs_rehash
        );
    }

    #[test]
    fn malformed_hashes_are_an_error_not_a_panic() {
        let err = verify_password(&FAST, b"x", "not a phc string").unwrap_err();
        assert_eq!(err.code(), "internal");
        assert!(matches!(
            hash_password(
                &HashParams {
                    m_kib: 1,
                    t: 1,
                    p: 1
                },
                b"x"
            ),
            Err(AuthError::InvalidInput { .. })
        ));
    }
}
