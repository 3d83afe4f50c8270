//! The signer's error type. Messages name what is wrong and never carry secret material.

use crate::refusal::Refusal;

/// A signer operation failed or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// Policy refused the request (the refusal is in the audit log).
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// No credential with that id exists.
    #[error("unknown credential {0}")]
    UnknownCredential(String),
    /// The input given to store a credential is invalid.
    #[error("invalid credential: {0}")]
    InvalidCredential(String),
    /// A stored secret could not be opened (wrong KEK, corrupted or moved ciphertext).
    #[error("vault: {0}")]
    Vault(#[from] tradeward_vault::VaultError),
    /// The venue's signing scheme rejected the key material or request.
    #[error("signing: {0}")]
    Scheme(#[from] crate::schemes::SchemeError),
    /// The database failed.
    #[error("store: {0}")]
    Store(#[from] tradeward_store::StoreError),
    /// The audit trail could not be written, so nothing was signed.
    #[error("audit: {0}")]
    Audit(#[from] tradeward_audit::AuditError),
    /// Talking to a remote signer failed.
    #[error("signer connection: {0}")]
    Transport(String),
    /// The remote signer answered with an error (its code and message).
    #[error("{message}")]
    Remote {
        /// The remote error's stable code.
        code: String,
        /// Its message.
        message: String,
    },
}

impl SignerError {
    /// A stable snake_case code (for the wire protocol and APIs).
    pub fn code(&self) -> &'static str {
        match self {
            SignerError::Refused(r) => r.code(),
            SignerError::UnknownCredential(_) => "unknown_credential",
            SignerError::InvalidCredential(_) => "invalid_credential",
            SignerError::Vault(_) => "vault_error",
            SignerError::Scheme(_) => "signing_error",
            SignerError::Store(_) => "store_error",
            SignerError::Audit(_) => "audit_error",
            SignerError::Transport(_) => "transport_error",
            SignerError::Remote { .. } => "remote_error",
        }
    }
}
