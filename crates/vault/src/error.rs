//! The vault's one error type. Messages name what is wrong (a version, a path, a setting, a
//! PKCS#11 operation) and never carry key material, plaintext or PINs.

use std::path::PathBuf;

/// Everything that can go wrong while sealing, opening or managing keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The wrapped data key did not authenticate under the KEK: the KEK is wrong, or the
    /// wrapped key was corrupted or moved to another record, user, field or KEK version.
    #[error("unwrap failed: wrong KEK or corrupted/moved data (KEK version {version})")]
    UnwrapFailed {
        /// The KEK version the sealed secret names.
        version: u32,
    },
    /// The data key unwrapped but the secret's ciphertext did not authenticate: it was
    /// corrupted or swapped in from another record.
    #[error(
        "secret failed to open: ciphertext or nonce corrupted, or swapped from another record"
    )]
    OpenFailed,
    /// A sealed secret's fields have impossible shapes (wrong nonce length, truncated data).
    #[error("malformed sealed secret: {0}")]
    Malformed(&'static str),
    /// The provider has no KEK of that version (never created, or retired).
    #[error("unknown KEK version {version} for the {provider} key provider")]
    UnknownKekVersion {
        /// The version asked for.
        version: u32,
        /// The provider's kind.
        provider: &'static str,
    },
    /// The current KEK version cannot be retired: new secrets are sealed under it.
    #[error("KEK version {version} is the current version and cannot be retired")]
    RetireCurrent {
        /// The version asked for.
        version: u32,
    },
    /// The operator passphrase does not derive the KEK recorded for this version.
    #[error("wrong passphrase: it does not derive KEK version {version}")]
    WrongPassphrase {
        /// The first version whose key-check value did not match.
        version: u32,
    },
    /// A KEK file, KEK directory or provider parameter file is missing, unsafe or unreadable.
    #[error("KEK file {path}: {reason}")]
    KekFile {
        /// The file or directory concerned.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The PKCS#11 module (shared library) does not exist.
    #[error("PKCS#11 module not found: {path}")]
    Pkcs11ModuleMissing {
        /// The configured module path.
        path: PathBuf,
    },
    /// No initialized token carries the configured label.
    #[error("PKCS#11 token not found: no initialized token labelled {label:?}")]
    Pkcs11TokenNotFound {
        /// The configured token label.
        label: String,
    },
    /// The token rejected the user PIN (CKR_PIN_INCORRECT), or the PIN is locked.
    #[error("PKCS#11 login to token {label:?} failed: {reason}")]
    Pkcs11Login {
        /// The token label.
        label: String,
        /// "wrong PIN" or "PIN locked".
        reason: &'static str,
    },
    /// Any other PKCS#11 failure, with the operation that failed.
    #[error("PKCS#11 {operation} failed: {detail}")]
    Pkcs11 {
        /// The operation (e.g. "C_Encrypt (wrap data key)").
        operation: &'static str,
        /// The library's description of the failure (a return-value name, never data).
        detail: String,
    },
    /// A key-provider setting is missing or invalid.
    #[error("key provider setting `{setting}`: {reason}")]
    Config {
        /// The setting's name as written in the config file.
        setting: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
    /// Encryption itself failed (only for inputs beyond AES-GCM's size limit).
    #[error("encryption failed: {0}")]
    Encrypt(&'static str),
}

impl VaultError {
    /// A KEK file error.
    pub(crate) fn kek_file(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::KekFile {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// A configuration error.
    pub(crate) fn config(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Config {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}
