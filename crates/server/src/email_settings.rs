//! `[server.email]`: the SMTP relay the server sends its notices through (new-device logins
//! with a lockdown link, password resets, factor and email changes, new exchange keys,
//! sign-up confirmations). Without this section no mail is sent, and the flows that need mail
//! (password reset by email, email change, open sign-up) answer `email_not_configured`.
//!
//! ```toml
//! [server.email]
//! smtp_host = "smtp.example.com"
//! smtp_port = 587                # default: 587 starttls, 465 tls, 25 plain
//! security = "starttls"          # starttls (default) | tls | plain (loopback relays only)
//! username = "tradeward"         # optional; the password comes from the environment
//! password_file = "/run/secrets/smtp"   # or TRADEWARD_EMAIL_PASSWORD
//! from = "Tradeward <tradeward@example.com>"
//! ca_file = "/etc/tradeward/relay-ca.pem"   # optional extra CA for the relay
//! ```
//!
//! TLS is rustls with the webpki roots (plus `ca_file`); the password never appears in the
//! file itself, in logs or in errors.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tradeward_auth::email::{EmailConfig, Outbox, SmtpSecurity};
use tradeward_auth::{AuthService, Mailer};
use tradeward_vault::SecretString;

use crate::error::ServerError;

/// The environment variable holding the SMTP password (when `password_file` is not set).
pub const PASSWORD_ENV: &str = "TRADEWARD_EMAIL_PASSWORD";

/// `[server.email]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// The relay's host name (checked against its certificate).
    pub smtp_host: String,
    /// The relay's port (default by `security`: 587, 465 or 25).
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` or `plain` (refused unless the relay is on loopback).
    pub security: Option<String>,
    /// SMTP AUTH user name.
    pub username: Option<String>,
    /// A file holding the SMTP password (else `TRADEWARD_EMAIL_PASSWORD`).
    pub password_file: Option<PathBuf>,
    /// The sender, e.g. `Tradeward <tradeward@example.com>`.
    pub from: String,
    /// Extra CA certificates (PEM) to trust for the relay.
    pub ca_file: Option<PathBuf>,
    /// Longest SMTP conversation, seconds (default 20).
    pub timeout_secs: Option<u64>,
    /// Messages that may wait in the outbox (default 1,000).
    pub queue: Option<usize>,
}

impl EmailSettings {
    /// The checked relay settings; links in messages start with `public_url`.
    pub fn email_config(&self, public_url: &str) -> Result<EmailConfig, ServerError> {
        let bad = |setting: &'static str, reason: String| ServerError::Config { setting, reason };
        let security = SmtpSecurity::parse(self.security.as_deref().unwrap_or("starttls"))
            .map_err(|e| bad(e.setting, e.reason))?;
        let mut c = EmailConfig::new(&self.smtp_host, security, &self.from, public_url);
        if let Some(port) = self.smtp_port {
            c.smtp_port = port;
        }
        c.username = self.username.clone();
        if self.username.is_some() {
            let password = match &self.password_file {
                Some(path) => std::fs::read_to_string(path)
                    .map(|s| s.trim_end_matches(['\r', '\n']).to_owned())
                    .map_err(|e| {
                        bad(
                            "server.email.password_file",
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?,
                None => std::env::var(PASSWORD_ENV).map_err(|_| {
                    bad(
                        "server.email.username",
                        format!("needs a password: set {PASSWORD_ENV} or password_file"),
                    )
                })?,
            };
            c.password = Some(SecretString::new(password));
        }
        c.ca_file = self.ca_file.clone();
        if let Some(t) = self.timeout_secs {
            c.timeout = Duration::from_secs(t);
        }
        if let Some(q) = self.queue {
            c.queue = q;
        }
        c.validate().map_err(|e| bad(e.setting, e.reason))?;
        Ok(c)
    }

    /// Starts the outbox (on the current tokio runtime) and gives `auth` its mailer.
    pub fn attach(&self, auth: AuthService, public_url: &str) -> Result<AuthService, ServerError> {
        let config = self.email_config(public_url)?;
        let outbox = Outbox::start(&config).map_err(|e| ServerError::Config {
            setting: e.setting,
            reason: e.reason,
        })?;
        Ok(auth.with_mailer(Mailer::new(outbox, &config.public_url)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(v: serde_json::Value) -> EmailSettings {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn settings_are_checked_and_name_the_bad_one() {
        use serde_json::json;
        let s =
            parse(json!({"smtp_host": "smtp.example.com", "from": "Tradeward <tw@example.com>"}));
        let c = s.email_config("https://tw.example.com").unwrap();
        assert_eq!((c.smtp_port, c.security), (587, SmtpSecurity::StartTls));
        let plain = parse(
            json!({"smtp_host": "smtp.example.com", "security": "plain", "from": "tw@example.com"}),
        );
        let err = plain
            .email_config("https://tw.example.com")
            .unwrap_err()
            .to_string();
        assert!(err.contains("email.security"), "{err}");
        let bad = parse(json!({"smtp_host": "h", "security": "ssl", "from": "tw@example.com"}));
        assert!(bad.email_config("https://x").is_err());
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "relay-password-123\n").unwrap();
        let with_pw = parse(json!({"smtp_host": "h", "security": "tls", "username": "u",
            "password_file": pw, "from": "tw@example.com"}));
        let c = with_pw.email_config("https://x.example.com").unwrap();
        assert_eq!(c.smtp_port, 465);
        assert_eq!(c.password.as_ref().unwrap().expose(), "relay-password-123");
        assert!(!format!("{c:?}").contains("relay-password-123"));
        assert!(serde_json::from_value::<EmailSettings>(
            json!({"smtp_host": "h", "from": "a@b", "extra": 1})
        )
        .is_err());
    }
}
