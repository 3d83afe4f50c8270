//! # tradeward-server: the HTTP API, over TLS
//!
//! The only crate that knows HTTP and JSON DTOs. It stays thin: accounts and authentication
//! live in `tradeward-auth`, exchange secrets only ever pass through here on their way into
//! the signer (write-only), and every answer is either a DTO or
//! `{"error": {"code", "message"}}`.
//!
//! - [`config`]: the `[server]` settings, validated.
//! - [`tls`]: rustls (ring, TLS 1.2+), certificates from files or a self-signed localhost one.
//! - [`listener`]: the accept loop with handshake and header deadlines.
//! - [`hygiene`]: security headers, Origin check, limits, request logs without secrets.
//! - [`extract`]: JSON bodies, client address, the session cookie / bearer token and CSRF.
//! - [`routes`]: `/api/v1/...`; [`openapi`]: the generated OpenAPI 3 document.
//! - [`markets`]: live venues (balances through the signer, prices for charts and the
//!   WebSocket stream); [`metrics`]: `/metrics`, `/healthz`, `/readyz`.
//! - [`ui`]: the server-rendered web pages (sign-in steps, dashboard).
//!
//! Threats: S3 (2FA needed for keys), S4/S5 (step-up, session list and revocation, cookie
//! hygiene), S9 (throttling is the auth crate's; here, the client address it is keyed by).

pub mod clock;
pub mod config;
pub mod cookies;
pub mod email_settings;
pub mod error;
pub mod extract;
pub mod hygiene;
pub mod listener;
pub mod markets;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod tls;
pub mod ui;

pub use clock::{Clock, SystemClock};
pub use config::{ServerConfig, TlsMode};
pub use error::{ApiError, ServerError};
pub use listener::BoundServer;
pub use routes::router;
pub use state::{AppState, HttpSettings};
pub use tls::ServerCert;

impl HttpSettings {
    /// The HTTP settings of a `[server]` section.
    pub fn from_config(config: &ServerConfig) -> Self {
        Self {
            public_url: config.public_url(),
            max_body_bytes: config.max_body_bytes,
            request_timeout: config.request_timeout(),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }
}
