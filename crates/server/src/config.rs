//! The `[server]` section of the deployment's configuration: where to listen, which
//! certificate to serve, HTTP limits, and the authentication policy. Each setting has its
//! default and the reason for it; [`ServerConfig::validate`] names the bad one.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tradeward_auth::webauthn::WebauthnConfig;
use tradeward_auth::AuthConfig;

use crate::error::ServerError;

/// `[server]` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on (default `127.0.0.1:8443`: nothing is exposed until asked).
    pub listen: SocketAddr,
    /// The URL users reach the server at, for setup links and the CSRF origin check (default
    /// `https://localhost:<port of listen>`).
    pub public_url: Option<String>,
    /// PEM certificate chain. With `tls_key`; when both are absent a self-signed certificate
    /// for localhost is generated once and kept in `self_signed_dir`.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Where the generated self-signed certificate lives (default: `DATA_DIR.tls` beside the
    /// data directory, like the KEK: outside it, so a data backup carries no TLS key).
    pub self_signed_dir: Option<PathBuf>,
    /// Serve plain HTTP, for a TLS-terminating reverse proxy on the same host. Refused unless
    /// `listen` is a loopback address; a warning is logged at start.
    pub plain_http_behind_proxy: bool,
    /// Proxies whose `X-Forwarded-For` is believed (the client is the right-most address not
    /// in this list). Empty (default): the TCP peer is the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Largest request body, bytes (default 64 KiB: every request here is a small JSON
    /// object; a large body is only ever an attack on memory).
    pub max_body_bytes: usize,
    /// Longest time a request may take, seconds (default 30).
    pub request_timeout_secs: u64,
    /// Longest time a client may take to send its request headers or finish the TLS handshake,
    /// seconds (default 10; slow clients must not hold connections open).
    pub header_timeout_secs: u64,
    /// Every user must enrol a second factor before their first login completes (default
    /// false; trading and adding API keys still require one).
    pub require_second_factor: bool,
    /// Anyone may create an account (default false).
    pub open_signup: bool,
    /// Administrators must have and use a WebAuthn passkey or security key (threat S7): an
    /// admin without one registers it before any login completes, and codes no longer do for
    /// admins (default false).
    pub require_webauthn_for_admins: bool,
    /// `[server.email]`: the SMTP relay for notices and emailed links (default: none, no
    /// mail is sent). See [`crate::email_settings`].
    pub email: Option<crate::email_settings::EmailSettings>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            public_url: None,
            tls_cert: None,
            tls_key: None,
            self_signed_dir: None,
            plain_http_behind_proxy: false,
            trusted_proxies: Vec::new(),
            max_body_bytes: 64 * 1024,
            request_timeout_secs: 30,
            header_timeout_secs: 10,
            require_second_factor: false,
            open_signup: false,
            require_webauthn_for_admins: false,
            email: None,
        }
    }
}

/// How the server terminates TLS, once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Certificate and key from files.
    Files {
        /// PEM chain.
        cert: PathBuf,
        /// PEM key.
        key: PathBuf,
    },
    /// A self-signed localhost certificate kept (and made on first run) in this directory.
    SelfSigned {
        /// Its directory.
        dir: PathBuf,
    },
    /// Plain HTTP on loopback behind a TLS-terminating proxy.
    PlainBehindProxy,
}

impl ServerConfig {
    /// Checks every setting and decides the TLS mode. `data_dir` gives the default place of
    /// the self-signed certificate.
    pub fn validate(&self, data_dir: Option<&Path>) -> Result<TlsMode, ServerError> {
        let bad = |setting: &'static str, reason: String| ServerError::Config { setting, reason };
        if self.max_body_bytes < 1024 || self.max_body_bytes > 16 * 1024 * 1024 {
            return Err(bad(
                "server.max_body_bytes",
                "must be between 1024 and 16777216".into(),
            ));
        }
        if self.request_timeout_secs == 0 || self.header_timeout_secs == 0 {
            return Err(bad(
                "server.request_timeout_secs / header_timeout_secs",
                "must be at least 1".into(),
            ));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("https://") || url.starts_with("http://localhost")) {
                return Err(bad(
                    "server.public_url",
                    format!("{url:?} must start with https://"),
                ));
            }
            // WebAuthn binds credentials to this URL's host.
            WebauthnConfig::for_public_url(url, false)
                .map_err(|e| bad("server.public_url", format!("{url:?} cannot be used: {e}")))?;
        }
        if self.plain_http_behind_proxy {
            if !self.listen.ip().is_loopback() {
                return Err(bad(
                    "server.plain_http_behind_proxy",
                    format!(
                        "plain HTTP is allowed only on a loopback address, not {}",
                        self.listen
                    ),
                ));
            }
            if self.tls_cert.is_some() || self.tls_key.is_some() {
                return Err(bad(
                    "server.plain_http_behind_proxy",
                    "cannot be combined with tls_cert / tls_key".into(),
                ));
            }
            return Ok(TlsMode::PlainBehindProxy);
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(TlsMode::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (Some(_), None) | (None, Some(_)) => Err(bad(
                "server.tls_cert / server.tls_key",
                "give both or neither".into(),
            )),
            (None, None) => {
                let dir = match (&self.self_signed_dir, data_dir) {
                    (Some(d), _) => d.clone(),
                    (None, Some(data)) => sibling(data, ".tls")?,
                    (None, None) => {
                        return Err(bad(
                            "server.tls_cert",
                            "no certificate configured: set tls_cert and tls_key, or \
                             self_signed_dir, or give --data-dir"
                                .into(),
                        ))
                    }
                };
                Ok(TlsMode::SelfSigned { dir })
            }
        }
    }

    /// The public URL, with its default.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("https://localhost:{}", self.listen.port()),
        }
    }

    /// The authentication settings this section implies, on the documented defaults.
    pub fn auth_config(&self) -> AuthConfig {
        AuthConfig {
            require_second_factor: self.require_second_factor,
            open_signup: self.open_signup,
            // `validate` checked the URL; the default public URL always parses.
            webauthn: WebauthnConfig::for_public_url(
                &self.public_url(),
                self.require_webauthn_for_admins,
            )
            .unwrap_or_else(|_| WebauthnConfig {
                require_for_admins: self.require_webauthn_for_admins,
                ..WebauthnConfig::default()
            }),
            ..AuthConfig::default()
        }
    }

    /// [`ServerConfig::request_timeout_secs`] as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// [`ServerConfig::header_timeout_secs`] as a duration.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }
}

/// `DIR` + `suffix` as a sibling of `DIR`.
fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf, ServerError> {
    let abs = if dir.is_absolute() {
        dir.to_owned()
    } else {
        std::env::current_dir()
            .map_err(|e| ServerError::Io {
                what: "reading the current directory".into(),
                source: e,
            })?
            .join(dir)
    };
    let mut name = abs
        .file_name()
        .ok_or_else(|| ServerError::Config {
            setting: "--data-dir",
            reason: format!("{} has no final component", dir.display()),
        })?
        .to_owned();
    name.push(suffix);
    Ok(abs.with_file_name(name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_give_a_self_signed_cert_beside_the_data_dir() {
        let c = ServerConfig::default();
        assert_eq!(
            c.validate(Some(Path::new("/srv/tw/data"))).unwrap(),
            TlsMode::SelfSigned {
                dir: PathBuf::from("/srv/tw/data.tls")
            }
        );
        assert_eq!(c.public_url(), "https://localhost:8443");
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let mut c = ServerConfig {
            plain_http_behind_proxy: true,
            ..ServerConfig::default()
        };
        assert_eq!(c.validate(None).unwrap(), TlsMode::PlainBehindProxy);
        c.listen = "0.0.0.0:8080".parse().unwrap();
        let err = c.validate(None).unwrap_err().to_string();
        assert!(err.contains("server.plain_http_behind_proxy"), "{err}");
    }

    #[test]
    fn webauthn_relying_party_follows_the_public_url() {
        let c = ServerConfig {
            public_url: Some("https://trade.example.com:9443/".into()),
            require_webauthn_for_admins: true,
            ..ServerConfig::default()
        };
        c.validate(Some(Path::new("/srv/tw/data"))).unwrap();
        let w = c.auth_config().webauthn;
        assert_eq!(w.rp_id, "trade.example.com");
        assert_eq!(w.origin, "https://trade.example.com:9443");
        assert!(!w.allow_any_port);
        assert!(w.require_for_admins);
        let d = ServerConfig::default().auth_config().webauthn;
        assert_eq!(
            (d.rp_id.as_str(), d.origin.as_str(), d.require_for_admins),
            ("localhost", "https://localhost:8443", false)
        );
        let bad = ServerConfig {
            public_url: Some("https://".into()),
            ..ServerConfig::default()
        };
        let err = bad.validate(None).unwrap_err().to_string();
        assert!(err.contains("server.public_url"), "{err}");
    }

    #[test]
    fn half_a_certificate_is_named() {
        let c = ServerConfig {
            tls_cert: Some("/x.pem".into()),
            ..ServerConfig::default()
        };
        let err = c.validate(None).unwrap_err().to_string();
        assert!(err.contains("server.tls_cert / server.tls_key"), "{err}");
        let value = serde_json::json!({"listen": "127.0.0.1:1", "listen_port": 3});
        let err = serde_json::from_value::<ServerConfig>(value)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `listen_port`"), "{err}");
    }
}
