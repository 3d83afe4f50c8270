//! The outbox: a bounded queue in front of one worker task that speaks SMTP (lettre over
//! rustls). A request only ever enqueues, which cannot wait: a slow or unreachable relay
//! delays mail, never a login. A full queue drops the new message (counted, logged by kind
//! only). Failed deliveries are retried with growing pauses.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use super::{EmailConfig, EmailConfigError, SmtpSecurity};

/// One message. The body may carry a single-use link, so it is zeroized on drop and `Debug`
/// shows only the kind.
pub struct Email {
    /// What the message is (`new_device`, `password_reset`, ...), for logs and counters.
    pub kind: &'static str,
    /// The recipient's address.
    pub to: String,
    /// The subject line (fixed text per kind: no user data).
    pub subject: String,
    /// The plain-text body.
    pub body: Zeroizing<String>,
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({}, body REDACTED)", self.kind)
    }
}

/// Delivery counters.
#[derive(Debug, Default)]
pub struct OutboxStats {
    /// Accepted by the relay.
    pub sent: AtomicU64,
    /// Given up on after every attempt.
    pub failed: AtomicU64,
    /// Refused because the queue was full or the worker had stopped.
    pub dropped: AtomicU64,
}

/// The sending side of the outbox. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Email>,
    stats: Arc<OutboxStats>,
}

impl Outbox {
    /// Checks the settings, builds the SMTP transport and spawns the worker on the current
    /// tokio runtime. No connection is made until the first message.
    pub fn start(config: &EmailConfig) -> Result<Self, EmailConfigError> {
        config.validate()?;
        let from: Mailbox = config.from.parse().map_err(|_| EmailConfigError {
            setting: "email.from",
            reason: "expected an address like Tradeward <tradeward@example.com>".into(),
        })?;
        let transport = transport(config)?;
        let (tx, rx) = mpsc::channel(config.queue);
        let stats = Arc::new(OutboxStats::default());
        tokio::spawn(worker(rx, transport, from, config.attempts, stats.clone()));
        Ok(Self { tx, stats })
    }

    /// Queues a message; never waits. False when it was dropped (queue full or worker gone).
    pub fn enqueue(&self, email: Email) -> bool {
        let kind = email.kind;
        match self.tx.try_send(email) {
            Ok(()) => true,
            Err(_) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(kind, "email dropped: the outbox is full");
                false
            }
        }
    }

    /// Delivery counters.
    pub fn stats(&self) -> &OutboxStats {
        &self.stats
    }
}

fn transport(config: &EmailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, EmailConfigError> {
    let tls_err = |reason: String| EmailConfigError {
        setting: "email.ca_file",
        reason,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
        .port(config.smtp_port)
        .timeout(Some(config.timeout));
    let tls = match config.security {
        SmtpSecurity::Plain => Tls::None,
        SmtpSecurity::StartTls | SmtpSecurity::Tls => {
            let mut params = TlsParameters::builder(config.smtp_host.clone());
            if let Some(path) = &config.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| tls_err(format!("cannot read {}: {e}", path.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|_| tls_err(format!("{} holds no PEM certificate", path.display())))?;
                params = params.add_root_certificate(cert);
            }
            let params = params
                .build_rustls()
                .map_err(|e| tls_err(format!("TLS setup failed: {e}")))?;
            if config.security == SmtpSecurity::Tls {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        }
    };
    builder = builder.tls(tls);
    if let (Some(user), Some(pass)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_owned()));
    }
    Ok(builder.build())
}

async fn worker(
    mut rx: mpsc::Receiver<Email>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    attempts: u32,
    stats: Arc<OutboxStats>,
) {
    while let Some(email) = rx.recv().await {
        let kind = email.kind;
        let message = match build(&from, &email) {
            Ok(m) => m,
            Err(reason) => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(kind, reason, "email not sent");
                continue;
            }
        };
        drop(email);
        let mut pause = Duration::from_millis(500);
        for attempt in 1..=attempts {
            match transport.send(message.clone()).await {
                Ok(_) => {
                    stats.sent.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(kind, attempt, "email sent");
                    break;
                }
                Err(e) if attempt < attempts && !e.is_permanent() => {
                    // The error describes the relay's answer or the connection, never the body.
                    tracing::warn!(kind, attempt, error = %e, "email delivery failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 4;
                }
                Err(e) => {
                    stats.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(kind, attempt, error = %e, "email not delivered");
                    break;
                }
            }
        }
    }
}

/// The RFC 5322 message: plain UTF-8 text, Date and Message-ID set by lettre.
fn build(from: &Mailbox, email: &Email) -> Result<Message, &'static str> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| "the recipient is not a valid address")?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.to_string())
        .map_err(|_| "the message could not be built")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn enqueue_never_waits_and_counts_drops() {
        // A relay on a port nothing listens on: the worker stays busy retrying the first
        // message while the queue (of one) fills.
        let mut config = EmailConfig::new(
            "127.0.0.1",
            SmtpSecurity::Plain,
            "tw@example.com",
            "https://tw.example.com",
        );
        config.smtp_port = 9;
        config.queue = 1;
        config.timeout = Duration::from_millis(200);
        let outbox = Outbox::start(&config).unwrap();
        let mail = |n: u8| Email {
            kind: "test",
            to: "a@example.com".into(),
            subject: "s".into(),
            body: Zeroizing::new(format!("secret-link-{n}")),
        };
        let started = std::time::Instant::now();
        let accepted: Vec<bool> = (0..50).map(|n| outbox.enqueue(mail(n))).collect();
        assert!(started.elapsed() < Duration::from_millis(100));
        assert!(accepted[0]);
        assert!(accepted.iter().filter(|a| !**a).count() >= 48);
        assert_eq!(
            outbox.stats().dropped.load(Ordering::Relaxed),
            accepted.iter().filter(|a| !**a).count() as u64
        );
        assert_eq!(format!("{:?}", mail(1)), "Email(test, body REDACTED)");
    }
}
