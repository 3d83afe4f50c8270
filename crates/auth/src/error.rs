//! Errors with stable snake_case codes for the HTTP layer. No variant carries a secret, and
//! messages are safe to show to the person who made the request.

use std::time::Duration;

/// Why a password was refused by the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordRejection {
    /// Fewer than the minimum number of characters.
    TooShort {
        /// The minimum, in characters.
        min: usize,
    },
    /// More than the maximum number of characters.
    TooLong {
        /// The maximum, in characters.
        max: usize,
    },
    /// On the list of common and breached passwords.
    Common,
    /// Contains the local part of the account's email address.
    ContainsEmail,
    /// The same as the password being replaced.
    Reused,
}

impl PasswordRejection {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            PasswordRejection::TooShort { .. } => "password_too_short",
            PasswordRejection::TooLong { .. } => "password_too_long",
            PasswordRejection::Common => "password_common",
            PasswordRejection::ContainsEmail => "password_contains_email",
            PasswordRejection::Reused => "password_reused",
        }
    }
}

impl std::fmt::Display for PasswordRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordRejection::TooShort { min } => {
                write!(f, "it must be at least {min} characters long")
            }
            PasswordRejection::TooLong { max } => {
                write!(f, "it must be at most {max} characters long")
            }
            PasswordRejection::Common => {
                f.write_str("it is on the list of common and breached passwords")
            }
            PasswordRejection::ContainsEmail => f.write_str("it contains your email address"),
            PasswordRejection::Reused => f.write_str("it is the password being replaced"),
        }
    }
}

/// An authentication operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The new password does not meet the policy.
    #[error("the password was refused: {0}")]
    WeakPassword(PasswordRejection),
    /// The login challenge is unknown, already used, expired, or for another step.
    #[error("this login step is unknown, used or expired; log in again")]
    InvalidChallenge,
    /// A second-factor or recovery code is wrong or was already used.
    #[error("the code is wrong or was already used")]
    InvalidCode,
    /// The email or password is wrong (step-up; logins answer with an outcome instead).
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// No valid session or token.
    #[error("not signed in, or the session has expired")]
    Unauthenticated,
    /// The action needs a full authentication within the last few minutes.
    #[error("this action needs you to confirm your password and second factor again")]
    StepUpRequired,
    /// The actor may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The requested object does not exist (or is not the actor's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The email is taken.
    #[error("an account with this email already exists")]
    EmailTaken,
    /// An emailed link is unknown, already used, expired or for another purpose.
    #[error("this link is unknown, already used or expired")]
    InvalidLink,
    /// The action sends email, and no `[email]` relay is configured.
    #[error("email is not configured on this server")]
    EmailNotConfigured,
    /// Open sign-up is off.
    #[error("sign-up is disabled on this server")]
    SignupDisabled,
    /// An input is malformed.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which input.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Too many failures: wait before trying again.
    #[error("too many attempts; try again in {} s", retry_after.as_secs().max(1))]
    Throttled {
        /// How long to wait.
        retry_after: Duration,
    },
    /// A WebAuthn response was refused (wrong challenge, origin, signature or counter, or
    /// not parseable). The reason is fixed text, never data from the response.
    #[error("the security key or passkey response was refused: {0}")]
    InvalidWebauthn(&'static str),
    /// Policy requires WebAuthn here (an administrator under the WebAuthn policy, or an
    /// account whose only second factor is a passkey): a TOTP or recovery code cannot do.
    #[error("this needs your passkey or security key")]
    WebauthnRequired,
    /// The password-hashing queue is full.
    #[error("the server is busy; try again shortly")]
    Busy,
    /// The database failed.
    #[error("storage error: {0}")]
    Store(#[from] tradeward_store::StoreError),
    /// Sealing or opening a TOTP seed failed.
    #[error("vault error: {0}")]
    Vault(#[from] tradeward_vault::VaultError),
    /// The audit log refused the event; the action is not done without it.
    #[error("audit error: {0}")]
    Audit(#[from] tradeward_audit::AuditError),
    /// An internal invariant failed (named, never with secret data).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl AuthError {
    /// Stable snake_case code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::WeakPassword(r) => r.code(),
            AuthError::InvalidChallenge => "invalid_challenge",
            AuthError::InvalidCode => "invalid_code",
            AuthError::InvalidCredentials => "invalid_credentials",
            AuthError::Unauthenticated => "unauthenticated",
            AuthError::StepUpRequired => "step_up_required",
            AuthError::Forbidden => "forbidden",
            AuthError::NotFound(_) => "not_found",
            AuthError::EmailTaken => "email_taken",
            AuthError::SignupDisabled => "signup_disabled",
            AuthError::InvalidLink => "invalid_link",
            AuthError::EmailNotConfigured => "email_not_configured",
            AuthError::InvalidInput { .. } => "invalid_input",
            AuthError::Throttled { .. } => "throttled",
            AuthError::Busy => "busy",
            AuthError::InvalidWebauthn(_) => "invalid_webauthn_response",
            AuthError::WebauthnRequired => "webauthn_required",
            AuthError::Store(_)
            | AuthError::Vault(_)
            | AuthError::Audit(_)
            | AuthError::Internal(_) => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_stable() {
        let cases = [
            (
                AuthError::WeakPassword(PasswordRejection::Common),
                "password_common",
            ),
            (AuthError::InvalidChallenge, "invalid_challenge"),
            (AuthError::StepUpRequired, "step_up_required"),
            (
                AuthError::Throttled {
                    retry_after: Duration::from_secs(3),
                },
                "throttled",
            ),
            (AuthError::Internal("x"), "internal"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
        assert_eq!(
            AuthError::WeakPassword(PasswordRejection::TooShort { min: 12 }).to_string(),
            "the password was refused: it must be at least 12 characters long"
        );
    }
}
