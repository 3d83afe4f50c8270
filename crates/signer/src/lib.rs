//! The signer: the only component that ever holds a plaintext exchange secret.
//!
//! Credentials go in write-only ([`Signer::store_credential`]); nothing ever returns a secret.
//! Every signature is preceded by policy (endpoint class, ownership, per-credential limits,
//! trading switches) and followed by an audit event; every refusal is audited with its reason.
//! Secrets are decrypted per use and zeroized as soon as the signature is made.
//!
//! The signer runs in-process ([`Signer`]) or as its own process behind a Unix socket
//! ([`remote`]), so a deployment can keep the KEK away from the web-facing process.

mod clock;
mod containment;
mod context;
pub mod endpoints;
mod error;
mod limits;
mod refusal;
pub mod remote;
mod rotation;
pub mod schemes;
mod service;
mod switches;

pub use containment::ContainmentPolicy;
pub use context::CallContext;
pub use error::SignerError;
pub use limits::{normalize_symbol, CredentialLimits};
pub use refusal::Refusal;
pub use rotation::{rotate_kek, RotationReport};
pub use service::{mask_api_key, CredentialInput, ReferencePrices, Signer, StoredCredential};
