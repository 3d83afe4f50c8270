//! The signer: the only component that ever holds a plaintext exchange secret.
//!
//! Credentials go in write-only ([`Signer::store_credential`]); nothing ever returns a secret.
//! Every signature is preceded by policy (endpoint class, per-credential limits, trading
//! switches) and followed by an audit event; every refusal is audited with its reason.

pub mod endpoints;
pub mod schemes;
