//! Errors: [`ServerError`] for start-up (configuration, certificates, sockets) and
//! [`ApiError`], the one shape every failed request answers with:
//! `{"error": {"code": "<snake_case>", "message": "..."}}` and a fitting status.
//!
//! Internal failures are logged with their detail and answered with a generic message: the
//! person at the other end learns a stable code, never a database or vault message.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tradeward_auth::AuthError;
use tradeward_signer::SignerError;
use utoipa::ToSchema;

/// The server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A setting is invalid.
    #[error("invalid setting {setting}: {reason}")]
    Config {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The certificate or key could not be loaded or generated.
    #[error("TLS: {0}")]
    Tls(String),
    /// A file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Building the authentication service failed.
    #[error("authentication service: {0}")]
    Auth(#[from] AuthError),
}

/// The error body's inner object.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: String,
    /// For a person.
    pub message: String,
}

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// A failed request.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: Cow::Borrowed(code),
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "not signed in, or the session has expired",
        )
    }

    /// 404 `not_found` naming what.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 500 `internal`; `detail` goes to the log only.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the event is logged",
        )
    }

    /// Adds a `Retry-After`.
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message (for a person; never carries a secret).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up, at least 1.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let status = match &e {
            AuthError::WeakPassword(_) | AuthError::InvalidInput { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AuthError::InvalidChallenge
            | AuthError::InvalidWebauthn(_)
            | AuthError::InvalidCode
            | AuthError::InvalidCredentials
            | AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AuthError::StepUpRequired
            | AuthError::WebauthnRequired
            | AuthError::Forbidden
            | AuthError::SignupDisabled => StatusCode::FORBIDDEN,
            AuthError::InvalidLink => StatusCode::GONE,
            AuthError::EmailNotConfigured => StatusCode::NOT_IMPLEMENTED,
            AuthError::NotFound(_) => StatusCode::NOT_FOUND,
            AuthError::EmailTaken => StatusCode::CONFLICT,
            AuthError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => return ApiError::internal(&e),
        };
        let mut err = ApiError {
            status,
            code: Cow::Borrowed(e.code()),
            message: e.to_string(),
            retry_after: None,
        };
        if let AuthError::Throttled { retry_after } = e {
            err.retry_after = Some(retry_after);
        }
        if matches!(e, AuthError::Busy) {
            err.retry_after = Some(Duration::from_secs(1));
        }
        err
    }
}

impl From<SignerError> for ApiError {
    fn from(e: SignerError) -> Self {
        match &e {
            SignerError::Refused(r) => ApiError {
                status: StatusCode::FORBIDDEN,
                code: Cow::Borrowed(r.code()),
                message: e.to_string(),
                retry_after: None,
            },
            SignerError::UnknownCredential(_) => ApiError::not_found("credential"),
            // The signer's intake messages name the field, never its value.
            SignerError::InvalidCredential(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_credential",
                e.to_string(),
            ),
            SignerError::Scheme(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_key_material",
                "the API secret (or private key) is not in a form this venue's signing scheme \
                 accepts",
            ),
            SignerError::Transport(_) => {
                tracing::error!(error = %e, "signer unreachable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "signer_unavailable",
                    "the signer is unreachable; try again shortly",
                )
            }
            SignerError::Remote { code, .. } => match code.as_str() {
                "invalid_credential" => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_credential",
                    e.to_string(),
                ),
                "signing_error" => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_key_material",
                    "the API secret (or private key) is not in a form this venue's signing \
                     scheme accepts",
                ),
                "unknown_credential" => ApiError::not_found("credential"),
                _ => ApiError::internal(&e),
            },
            _ => ApiError::internal(&e),
        }
    }
}

impl From<tradeward_store::StoreError> for ApiError {
    fn from(e: tradeward_store::StoreError) -> Self {
        ApiError::internal(&e)
    }
}

impl From<tradeward_audit::AuditError> for ApiError {
    fn from(e: tradeward_audit::AuditError) -> Self {
        ApiError::internal(&e)
    }
}

/// The answer for any path that matches no route.
pub async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// The answer for a known path with the wrong method.
pub async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn body_shape_and_retry_after() {
        let r = ApiError::from(AuthError::Throttled {
            retry_after: Duration::from_millis(1500),
        })
        .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        let bytes = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["code"], "throttled");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again"));
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let e = ApiError::from(AuthError::Internal("stored role is corrupt"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code(), "internal");
        assert!(!e.message.contains("corrupt"));
    }
}
