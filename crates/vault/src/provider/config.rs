//! The `[vault]` key-provider section of the config file, and building a provider from it.
//!
//! Secrets are never in the config: the passphrase and the PIN come from an environment
//! variable (or, for the PIN, a file readable only by its owner) named in the config.
//!
//! ```toml
//! [vault.key_provider]
//! kind = "local"              # or "passphrase", "pkcs11"
//! dir = "/var/lib/tradeward-kek"
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::fsutil;
use super::local::LocalKeyProvider;
use super::passphrase::{KdfParams, PassphraseKeyProvider};
use super::pkcs11::{Pkcs11Config, Pkcs11KeyProvider, DEFAULT_KEY_LABEL_PREFIX};
use super::KeyProvider;
use crate::error::VaultError;
use crate::secret::SecretBytes;

/// Which key provider to use, and where it finds its keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum KeyProviderConfig {
    /// KEK files in a private directory.
    Local {
        /// The KEK directory (outside the config and data directories).
        dir: PathBuf,
        /// Create the directory and a first KEK when missing (default false: a mistyped
        /// path must not silently start a new, empty key set).
        #[serde(default)]
        create_if_missing: bool,
    },
    /// KEKs derived from an operator passphrase.
    Passphrase {
        /// Directory of the (non-secret) argon2id parameter file.
        dir: PathBuf,
        /// Environment variable holding the passphrase.
        passphrase_env: String,
        /// Cost of KEK versions created from now on.
        #[serde(default)]
        kdf: Option<KdfParams>,
        /// Create the directory and a first KEK when missing.
        #[serde(default)]
        create_if_missing: bool,
    },
    /// KEKs inside a PKCS#11 token.
    Pkcs11 {
        /// Path of the PKCS#11 module.
        module: PathBuf,
        /// Label of the token.
        token_label: String,
        /// Environment variable holding the user PIN (exactly one of `pin_env`, `pin_file`).
        #[serde(default)]
        pin_env: Option<String>,
        /// File holding the user PIN, mode 0600 or stricter.
        #[serde(default)]
        pin_file: Option<PathBuf>,
        /// Prefix of KEK object labels (default `tradeward-kek`).
        #[serde(default = "default_prefix")]
        key_label_prefix: String,
        /// Generate a first KEK in the token when it has none.
        #[serde(default)]
        create_if_missing: bool,
    },
}

fn default_prefix() -> String {
    DEFAULT_KEY_LABEL_PREFIX.to_owned()
}

impl KeyProviderConfig {
    /// Builds the provider, reading the passphrase or PIN from where the config points.
    pub fn build(&self) -> Result<Arc<dyn KeyProvider>, VaultError> {
        match self {
            Self::Passphrase { passphrase_env, .. } => {
                let passphrase = secret_from_env("passphrase_env", passphrase_env)?;
                self.build_with_passphrase(passphrase)
            }
            _ => self.build_with_passphrase(SecretBytes::new(Vec::new())),
        }
    }

    /// Builds the provider with a passphrase the caller obtained itself (for instance read
    /// from standard input by the CLI). Ignored by providers other than `passphrase`.
    pub fn build_with_passphrase(
        &self,
        passphrase: SecretBytes,
    ) -> Result<Arc<dyn KeyProvider>, VaultError> {
        Ok(match self {
            Self::Local {
                dir,
                create_if_missing,
            } => {
                check_dir_setting("dir", dir)?;
                Arc::new(if *create_if_missing {
                    LocalKeyProvider::open_or_create(dir)?
                } else {
                    LocalKeyProvider::open(dir)?
                })
            }
            Self::Passphrase {
                dir,
                kdf,
                create_if_missing,
                ..
            } => {
                check_dir_setting("dir", dir)?;
                if passphrase.is_empty() {
                    return Err(VaultError::config(
                        "passphrase_env",
                        "the passphrase is empty",
                    ));
                }
                let params = kdf.unwrap_or_default();
                Arc::new(if *create_if_missing {
                    PassphraseKeyProvider::open_or_create(dir, passphrase, params)?
                } else {
                    PassphraseKeyProvider::open(dir, passphrase, params)?
                })
            }
            Self::Pkcs11 {
                module,
                token_label,
                pin_env,
                pin_file,
                key_label_prefix,
                create_if_missing,
            } => {
                if token_label.is_empty() {
                    return Err(VaultError::config("token_label", "is empty"));
                }
                let pin = match (pin_env, pin_file) {
                    (Some(var), None) => secret_from_env("pin_env", var)?,
                    (None, Some(path)) => pin_from_file(path)?,
                    _ => {
                        return Err(VaultError::config(
                            "pin_env",
                            "set exactly one of `pin_env` and `pin_file`",
                        ))
                    }
                };
                let config = Pkcs11Config {
                    module_path: module.clone(),
                    token_label: token_label.clone(),
                    pin,
                    key_label_prefix: key_label_prefix.clone(),
                };
                Arc::new(if *create_if_missing {
                    Pkcs11KeyProvider::open_or_create(config)?
                } else {
                    Pkcs11KeyProvider::open(config)?
                })
            }
        })
    }
}

fn check_dir_setting(setting: &str, dir: &Path) -> Result<(), VaultError> {
    if dir.as_os_str().is_empty() {
        return Err(VaultError::config(setting, "is empty"));
    }
    Ok(())
}

fn secret_from_env(setting: &str, var: &str) -> Result<SecretBytes, VaultError> {
    if var.is_empty() {
        return Err(VaultError::config(setting, "names no environment variable"));
    }
    let value = std::env::var_os(var).ok_or_else(|| {
        VaultError::config(setting, format!("environment variable {var} is not set"))
    })?;
    let secret = SecretBytes::new(std::os::unix::ffi::OsStringExt::into_vec(value));
    if secret.is_empty() {
        return Err(VaultError::config(
            setting,
            format!("environment variable {var} is empty"),
        ));
    }
    Ok(secret)
}

fn pin_from_file(path: &Path) -> Result<SecretBytes, VaultError> {
    let raw = fsutil::read_private_file(path, 4096)?;
    // Editors add a trailing newline; a PIN never ends in one.
    let end = raw
        .iter()
        .rposition(|b| *b != b'\n' && *b != b'\r')
        .map_or(0, |i| i + 1);
    if end == 0 {
        return Err(VaultError::config(
            "pin_file",
            format!("{} is empty", path.display()),
        ));
    }
    Ok(SecretBytes::from_slice(&raw[..end]))
}
