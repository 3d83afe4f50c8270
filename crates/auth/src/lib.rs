//! # tradeward-auth: accounts and authentication that survive phishing, reused passwords and
//! a stolen mailbox
//!
//! Threat model scenarios S3, S4, S5, S7 and S9. This crate holds the logic; `tradeward-store`
//! holds the rows (hashes and sealed bytes only) and the HTTP layer stays thin on top of
//! [`AuthService`].
//!
//! - [`passwords`]: the policy (12..=128 characters, no common or breached password, not the
//!   email's local part) and argon2id hashing on a bounded worker pool.
//! - [`totp`]: RFC 6238 (SHA-1, 6 digits, 30 s, ±1 step), constant-time, no step used twice.
//! - [`recovery`]: ten single-use 128-bit codes, stored as SHA-256.
//! - [`tokens`]: 256-bit bearer tokens (sessions, personal tokens, login challenges), stored
//!   only as SHA-256 digests.
//! - [`throttle`]: growing delays per account and per address, never a permanent lock.
//! - [`email`]: SMTP (lettre over rustls) behind a non-blocking outbox, and the messages;
//!   the notices and emailed links (lockdown, reset, email-change revert, sign-up) are
//!   [`AuthService`] methods driven by a [`Mailer`].
//! - [`webauthn`]: passkeys and security keys (webauthn-rs), the phishing-resistant factor;
//!   signature counters checked, ceremony state kept server-side.
//! - [`AuthService`]: the login flow, sessions, step-up, personal tokens, second-factor
//!   enrolment, forced resets; every event audited.
//!
//! Time and randomness: every operation takes `now_us` (µs since the Unix epoch) from the
//! caller, so tests are deterministic; randomness comes from the OS generator.
//!
//! Secrets (passwords, codes, tokens, seeds) travel only in [`tradeward_vault::SecretString`],
//! [`tradeward_vault::SecretBytes`] or [`tokens::Token`], which zeroize on drop and print
//! `REDACTED`; no error, log line or audit event carries one.

mod config;
pub mod email;
mod error;
pub mod passwords;
pub mod recovery;
mod service;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod webauthn;

pub use config::AuthConfig;
pub use error::{AuthError, PasswordRejection};
pub use service::{
    Actor, AuthService, CreatedUser, LoginOutcome, NewApiToken, NewSession, PasskeyRegistered,
    Principal, RequestContext, Role, Scope, SecondFactorMethod, TotpEnrollment, Via,
};
pub use service::{LinkLockdown, Mailer};
