//! What the engine service can fail with: the caller's trigger was refused (nothing stored),
//! a venue or credential problem, or storage failed.

use tradeward_domain::CredentialId;

use crate::error::ArmError;

/// An engine service operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The books refused the trigger (nothing was stored).
    #[error("trigger refused: {0}")]
    Arm(#[from] ArmError),
    /// The credential does not exist or belongs to someone else (nothing was stored).
    #[error("credential {0} not found")]
    UnknownCredential(CredentialId),
    /// The venue does not list the symbol, or its rules are unusable (nothing was stored).
    #[error("market {market}: {reason}")]
    Market {
        /// The market.
        market: String,
        /// What is wrong.
        reason: String,
    },
    /// The venue could not be reached or answered with an error.
    #[error("venue: {0}")]
    Venue(String),
    /// The market's rules are invalid or registered twice.
    #[error("market rules: {0}")]
    Rules(#[from] crate::error::RulesError),
    /// The store failed; for an arm, the trigger was not acknowledged and is not armed.
    #[error("store: {0}")]
    Store(#[from] tradeward_store::StoreError),
    /// A stored row could not be decoded back.
    #[error("stored trigger {id} is unreadable: {reason}")]
    Corrupt {
        /// The trigger.
        id: uuid::Uuid,
        /// What is wrong.
        reason: String,
    },
}
