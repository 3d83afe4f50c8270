//! The authentication settings, each with its default and the reason for it.

use std::time::Duration;

use crate::passwords::HashParams;
use crate::throttle::ThrottlePolicy;
use crate::webauthn::WebauthnConfig;

/// Authentication settings. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// argon2id parameters for new hashes; stored hashes with other parameters are re-hashed
    /// at the next successful login. Default: OWASP's m = 19 MiB, t = 2, p = 1.
    pub hash: HashParams,
    /// Concurrent password hashes (default: the number of cores). Each takes `hash.m_kib` of
    /// memory and one core for tens of milliseconds.
    pub hashing_workers: usize,
    /// Hash requests allowed to wait for a worker before new ones are refused as busy
    /// (default 256), so a login flood cannot queue without bound.
    pub hashing_queue: usize,
    /// A session ends after this long without a request (default 30 min).
    pub session_idle: Duration,
    /// A session ends this long after login whatever its activity (default 12 h).
    pub session_absolute: Duration,
    /// Sensitive actions need a full authentication within this window (default 5 min).
    pub step_up_window: Duration,
    /// A login in progress (second factor, password change, enrolment) expires after this
    /// (default 10 min).
    pub challenge_ttl: Duration,
    /// Wrong codes allowed on one login challenge before the password is asked again
    /// (default 5).
    pub challenge_max_attempts: i64,
    /// A one-time account setup link expires after this (default 72 h).
    pub setup_ttl: Duration,
    /// Every user must enrol a second factor before the first login completes (default
    /// false; trading and API keys still need one, enforced where they are added).
    pub require_second_factor: bool,
    /// Administrators must enrol a second factor (default true, threat S7).
    pub require_second_factor_for_admins: bool,
    /// Anyone may create an account (default false).
    pub open_signup: bool,
    /// Failed-login delays.
    pub throttle: ThrottlePolicy,
    /// The issuer shown in authenticator apps.
    pub totp_issuer: String,
    /// Longest lifetime of a personal API token, in days (default 365).
    pub max_token_days: u32,
    /// WebAuthn (passkeys, security keys): the relying party and the admin policy.
    pub webauthn: WebauthnConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            hash: HashParams::default(),
            hashing_workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            hashing_queue: 256,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            step_up_window: Duration::from_secs(5 * 60),
            challenge_ttl: Duration::from_secs(10 * 60),
            challenge_max_attempts: 5,
            setup_ttl: Duration::from_secs(72 * 3600),
            require_second_factor: false,
            require_second_factor_for_admins: true,
            open_signup: false,
            throttle: ThrottlePolicy::default(),
            totp_issuer: "Tradeward".into(),
            max_token_days: 365,
            webauthn: WebauthnConfig::default(),
        }
    }
}

/// A duration in µs, saturating (durations here are minutes to days).
pub(crate) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
