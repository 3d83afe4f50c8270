//! Key-encryption-key (KEK) providers: where the KEK lives and how data keys are wrapped.
//!
//! A provider holds one or more numbered KEK versions. New data keys are wrapped under the
//! current version; older versions keep unwrapping until they are retired, which is what makes
//! a resumable rotation possible (`Vault::rewrap` row by row, then `retire_version`).

use std::fmt::Debug;

use crate::datakey::DataKey;
use crate::error::VaultError;

pub mod config;
mod fsutil;
pub mod local;
pub mod passphrase;
pub mod pkcs11;
mod soft;

/// A source of KEKs that can wrap and unwrap data keys.
///
/// `aad` is the associated data the vault binds to the wrapped key (record context and KEK
/// version); a provider must authenticate it, so a wrapped key moved elsewhere fails to unwrap.
pub trait KeyProvider: Send + Sync + Debug {
    /// Short name of the provider (`local`, `passphrase`, `pkcs11`), for messages and audit.
    fn kind(&self) -> &'static str;

    /// The version new data keys are wrapped under.
    fn current_version(&self) -> u32;

    /// Wraps `dek` under KEK `version`.
    fn wrap_key(&self, version: u32, dek: &DataKey, aad: &[u8]) -> Result<Vec<u8>, VaultError>;

    /// Unwraps a data key wrapped under KEK `version`. Any authentication failure is
    /// [`VaultError::UnwrapFailed`].
    fn unwrap_key(&self, version: u32, wrapped: &[u8], aad: &[u8]) -> Result<DataKey, VaultError>;

    /// Creates a new KEK version and makes it current; returns it. Older versions stay usable
    /// for unwrapping.
    fn create_next_version(&self) -> Result<u32, VaultError>;

    /// Destroys KEK `version` (never the current one). Data keys still wrapped under it become
    /// unrecoverable, so call it only once every row has been re-wrapped.
    fn retire_version(&self, version: u32) -> Result<(), VaultError>;

    /// The versions that can currently unwrap, ascending.
    fn versions(&self) -> Vec<u32>;
}
