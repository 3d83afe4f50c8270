//! Why a request could not be signed. Messages name the scheme and the problem, never any
//! secret material or the text of a secret.

/// A signing scheme rejected its key material or the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemeError {
    /// The secret (or private key) cannot be used by the scheme; `reason` is a fixed text that
    /// never quotes the secret.
    #[error("{scheme} secret is unusable: {reason}")]
    MalformedSecret {
        /// The scheme's stable name.
        scheme: &'static str,
        /// What is wrong, e.g. "not valid base64".
        reason: &'static str,
    },
    /// The scheme needs a passphrase and none was given.
    #[error("{0} keys need a passphrase")]
    MissingPassphrase(&'static str),
    /// The passphrase cannot be sent in an HTTP header.
    #[error("{0} passphrase must be printable ASCII")]
    MalformedPassphrase(&'static str),
    /// The API key cannot be sent in an HTTP header.
    #[error("API key must be non-empty printable ASCII")]
    MalformedApiKey,
    /// The request cannot be signed as given (the message names the field).
    #[error("cannot sign request: {0}")]
    MalformedRequest(String),
    /// The operation does not exist for this scheme.
    #[error("scheme {scheme} does not support {operation}")]
    Unsupported {
        /// The scheme's stable name.
        scheme: &'static str,
        /// What was asked for.
        operation: &'static str,
    },
}

impl SchemeError {
    pub(crate) fn request(msg: impl Into<String>) -> Self {
        SchemeError::MalformedRequest(msg.into())
    }
}
