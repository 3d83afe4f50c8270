//! # tradeward-vault: envelope encryption of every secret Tradeward holds
//!
//! Exchange API secrets, API keys, passphrases and TOTP seeds are stored only as
//! [`SealedSecret`]s. Each one is sealed in two layers:
//!
//! ```text
//!  plaintext ──AES-256-GCM(DEK, nonce, AAD = secret_aad(ctx))──▶ ciphertext ‖ tag
//!  DEK (fresh 256-bit key per seal) ──KeyProvider.wrap(KEK vN, AAD = dek_aad(ctx, N))──▶ wrapped_dek
//!  stored row: { ciphertext, nonce, wrapped_dek, kek_version = N }
//! ```
//!
//! Both layers authenticate a length-prefixed encoding of the format version and the
//! [`SealContext`] (owner, record id, venue, field); the wrap layer adds the KEK version. A
//! ciphertext or wrapped key copied to another row, user, field or KEK version therefore fails
//! to open ([`VaultError::UnwrapFailed`] or [`VaultError::OpenFailed`]) instead of yielding a
//! secret in the wrong place. The exact byte layout is documented and pinned in `context.rs`.
//!
//! ## Trust boundary
//! The database holds only sealed rows (threat S1: a dump yields nothing). The KEK never
//! enters the database or the config file (S2): it lives in a private key directory
//! ([`LocalKeyProvider`]), is derived from an operator passphrase that is never written down
//! ([`PassphraseKeyProvider`]), or never leaves an HSM ([`Pkcs11KeyProvider`]). Only the signer
//! process holds a [`Vault`] and so only it can open secrets (S6); the web tier gets
//! [`SecretBytes`] at most on the way in, to seal.
//!
//! Plaintext lives only in [`SecretBytes`] / [`SecretString`] / [`DataKey`], which zeroize on
//! drop, print `REDACTED` in `Debug`, and implement neither `Display`, `Serialize` nor `Clone`.
//!
//! ## Rotation
//! [`Vault::rotate_kek`] creates a new KEK version; [`Vault::rewrap`] moves one row's data key
//! to it without decrypting the secret; [`Vault::retire_kek_version`] destroys the old KEK once
//! no row needs it.

mod aead;
mod context;
mod datakey;
mod error;
pub mod provider;
mod secret;
pub mod testing;
mod vault;

pub use context::{SealContext, SealedSecret, FORMAT_VERSION};
pub use datakey::{DataKey, DATA_KEY_LEN};
pub use error::VaultError;
pub use provider::config::KeyProviderConfig;
pub use provider::local::LocalKeyProvider;
pub use provider::passphrase::{KdfParams, PassphraseKeyProvider};
pub use provider::pkcs11::{Pkcs11Config, Pkcs11KeyProvider};
pub use provider::KeyProvider;
pub use secret::{SecretBytes, SecretString};
pub use vault::Vault;
