//! Email: the SMTP settings, the outbox that sends without ever holding up a request, and the
//! messages (threats S3 and S4: the user hears of a new device, a reset, a factor change, an
//! email change or a new exchange key, and can act on it from the message).
//!
//! - [`EmailConfig`]: relay, port, security (STARTTLS, implicit TLS, or plain for a relay on
//!   the loopback interface only), credentials, sender, the public URL links point at.
//! - [`Outbox`]: a bounded queue and one worker task speaking SMTP through lettre over rustls.
//!   Enqueueing never waits; a full queue drops the message and counts it.
//! - [`messages`]: the texts. Bodies carry single-use link tokens, so an [`Email`] zeroizes its
//!   body and never prints it; nothing here logs a body or a link.

pub mod messages;
mod outbox;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use tradeward_vault::SecretString;

pub use outbox::{Email, Outbox, OutboxStats};

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (no fallback to plain).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No encryption: only for a relay on the loopback interface (a local MTA, tests).
    Plain,
}

impl SmtpSecurity {
    /// Parses the config spelling: `starttls`, `tls` or `plain`.
    pub fn parse(text: &str) -> Result<Self, EmailConfigError> {
        match text {
            "starttls" => Ok(SmtpSecurity::StartTls),
            "tls" => Ok(SmtpSecurity::Tls),
            "plain" => Ok(SmtpSecurity::Plain),
            other => Err(EmailConfigError {
                setting: "email.security",
                reason: format!("{other:?} is not one of starttls, tls, plain"),
            }),
        }
    }
}

/// A setting of `[email]` is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct EmailConfigError {
    /// Which setting.
    pub setting: &'static str,
    /// What is wrong (never a secret).
    pub reason: String,
}

/// The `[email]` settings. `Debug` shows no password.
#[derive(Debug)]
pub struct EmailConfig {
    /// The SMTP relay's host name (checked against its certificate) or address.
    pub smtp_host: String,
    /// The relay's port (default 587 for STARTTLS, 465 for TLS, 25 for plain).
    pub smtp_port: u16,
    /// How the connection is protected (default STARTTLS).
    pub security: SmtpSecurity,
    /// SMTP AUTH user name, if the relay needs one.
    pub username: Option<String>,
    /// SMTP AUTH password (from `TRADEWARD_EMAIL_PASSWORD` or a file, never the config).
    pub password: Option<SecretString>,
    /// The sender, e.g. `Tradeward <tradeward@example.com>`.
    pub from: String,
    /// The URL users reach the server at; every link in a message starts with it.
    pub public_url: String,
    /// A PEM file of extra CA certificates to trust for the relay (a private CA); the
    /// webpki roots are trusted as well.
    pub ca_file: Option<PathBuf>,
    /// Longest time one SMTP conversation may take (default 20 s).
    pub timeout: Duration,
    /// Messages that may wait in the outbox before new ones are dropped (default 1,000).
    pub queue: usize,
    /// Delivery attempts per message, with growing pauses between them (default 3).
    pub attempts: u32,
}

impl EmailConfig {
    /// Settings with the defaults for everything but the relay, the sender and the URL.
    pub fn new(smtp_host: &str, security: SmtpSecurity, from: &str, public_url: &str) -> Self {
        Self {
            smtp_host: smtp_host.to_owned(),
            smtp_port: match security {
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Tls => 465,
                SmtpSecurity::Plain => 25,
            },
            security,
            username: None,
            password: None,
            from: from.to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            ca_file: None,
            timeout: Duration::from_secs(20),
            queue: 1000,
            attempts: 3,
        }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), EmailConfigError> {
        let bad = |setting, reason: &str| EmailConfigError {
            setting,
            reason: reason.to_owned(),
        };
        if self.smtp_host.trim().is_empty() {
            return Err(bad("email.smtp_host", "must not be empty"));
        }
        if self.smtp_port == 0 {
            return Err(bad("email.smtp_port", "must be 1..=65535"));
        }
        if self.security == SmtpSecurity::Plain && !is_loopback(&self.smtp_host) {
            return Err(bad(
                "email.security",
                "plain SMTP is allowed only to a relay on the loopback interface \
                 (localhost, 127.0.0.1, ::1); use starttls or tls",
            ));
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(bad(
                "email.username",
                "give both a user name and a password (TRADEWARD_EMAIL_PASSWORD), or neither",
            ));
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(bad(
                "email.from",
                "expected an address like Tradeward <tradeward@example.com>",
            ));
        }
        if !(self.public_url.starts_with("https://")
            || self.public_url.starts_with("http://localhost"))
        {
            return Err(bad("email.public_url", "must start with https://"));
        }
        if self.queue == 0 || self.attempts == 0 || self.timeout.is_zero() {
            return Err(bad(
                "email.queue / attempts / timeout_secs",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_only_on_loopback_and_credentials_in_pairs() {
        let ok = EmailConfig::new(
            "127.0.0.1",
            SmtpSecurity::Plain,
            "Tradeward <tw@example.com>",
            "https://tw.example.com/",
        );
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(ok.public_url, "https://tw.example.com");
        assert_eq!(ok.smtp_port, 25);
        let remote = EmailConfig::new(
            "smtp.example.com",
            SmtpSecurity::Plain,
            "tw@example.com",
            "https://tw.example.com",
        );
        assert_eq!(remote.validate().unwrap_err().setting, "email.security");
        let mut half = EmailConfig::new(
            "smtp.example.com",
            SmtpSecurity::StartTls,
            "tw@example.com",
            "https://tw.example.com",
        );
        assert_eq!(half.smtp_port, 587);
        half.username = Some("tw".into());
        assert_eq!(half.validate().unwrap_err().setting, "email.username");
        half.password = Some(SecretString::new("hunter2-but-long".into()));
        assert_eq!(half.validate(), Ok(()));
        assert!(!format!("{half:?}").contains("hunter2"));
        let bad_from = EmailConfig::new("::1", SmtpSecurity::Plain, "not an address", "https://x");
        assert_eq!(bad_from.validate().unwrap_err().setting, "email.from");
        assert_eq!(SmtpSecurity::parse("tls"), Ok(SmtpSecurity::Tls));
        assert!(SmtpSecurity::parse("ssl").is_err());
    }
}
