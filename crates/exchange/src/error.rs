//! [`ExchangeError`]: what went wrong talking to a venue, split by whether a retry can help.
//!
//! Messages are built from our own words and from short, parsed venue fields (an error code
//! and its message text, truncated). They never quote a raw payload, a URL with its query
//! (which carries signatures and listen keys) or any header value.

use std::fmt;
use std::time::Duration;

use crate::filters::FilterError;

/// Why a retry may help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryKind {
    /// The connection could not be made or broke.
    Connect,
    /// No answer in time. For a write (new order, cancel) the outcome is unknown: query the
    /// order by its client order id before sending it again.
    Timeout,
    /// The venue answered 5xx. Binance documents the execution status of such a request as
    /// unknown: as with [`RetryKind::Timeout`], reconcile before resending a write.
    ServerError(u16),
    /// 429: too much request weight; wait `retry_after`.
    RateLimited,
    /// 418: the IP is banned for continuing after 429s; wait `retry_after`.
    IpBanned,
}

impl fmt::Display for RetryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryKind::Connect => f.write_str("connection failed"),
            RetryKind::Timeout => f.write_str("timed out"),
            RetryKind::ServerError(s) => write!(f, "venue server error {s}"),
            RetryKind::RateLimited => f.write_str("rate limited"),
            RetryKind::IpBanned => f.write_str("IP banned by the venue"),
        }
    }
}

/// A venue operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// Connectivity, timeouts, 5xx, rate limits: trying again later may succeed.
    #[error("{kind}{}: {detail}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    Retryable {
        /// What failed.
        kind: RetryKind,
        /// How long the venue asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// A short description in our own words.
        detail: String,
    },
    /// The venue understood the request and said no (its code and a short message).
    #[error("rejected by the venue (code {code}): {message}")]
    Rejected {
        /// The venue's error code (Binance: negative numbers such as -2010).
        code: i64,
        /// The venue's message, truncated and stripped of control characters.
        message: String,
    },
    /// The venue's answer could not be understood (never quoted).
    #[error("malformed {what} from the venue: {problem}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// What is wrong with it, in our words.
        problem: String,
    },
    /// The order breaks the symbol's exchange filters; nothing was sent.
    #[error("order not sent: {0}")]
    Filter(#[from] FilterError),
    /// The signer refused or failed (its refusal is in the audit log).
    #[error("signer ({code}): {message}")]
    Signer {
        /// The signer's stable error code (`refused_*`, `unknown_credential`, ...).
        code: String,
        /// The signer's message (the signer never puts secrets in messages).
        message: String,
    },
    /// The caller asked for something this adapter cannot do or the configuration is wrong.
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Longest venue message kept in [`ExchangeError::Rejected`].
const MAX_VENUE_MESSAGE: usize = 160;

impl ExchangeError {
    /// Whether retrying (after `retry_after`, if any) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ExchangeError::Retryable { .. })
    }

    /// Whether a write that failed this way may nevertheless have been executed, so the
    /// caller must reconcile (query by client order id) before sending it again.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ExchangeError::Retryable {
                kind: RetryKind::Timeout | RetryKind::ServerError(_),
                ..
            }
        )
    }

    /// The venue's error code, for rejections.
    pub fn venue_code(&self) -> Option<i64> {
        match self {
            ExchangeError::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub(crate) fn retry(kind: RetryKind, detail: impl Into<String>) -> Self {
        ExchangeError::Retryable {
            kind,
            retry_after: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn malformed(what: &'static str, problem: impl Into<String>) -> Self {
        ExchangeError::Malformed {
            what,
            problem: problem.into(),
        }
    }

    /// A rejection with the venue's message cleaned: control characters dropped, truncated.
    pub(crate) fn rejected(code: i64, message: &str) -> Self {
        let mut clean: String = message
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_VENUE_MESSAGE)
            .collect();
        if message.chars().count() > MAX_VENUE_MESSAGE {
            clean.push('…');
        }
        ExchangeError::Rejected {
            code,
            message: clean,
        }
    }

    /// Describes a JSON parse failure without quoting the input: serde_json's own messages
    /// can quote values (`invalid type: string "…"`), so only its category and position are
    /// kept, plus the name of a missing field (which comes from our schema, not the input).
    pub(crate) fn from_json(what: &'static str, e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let msg = e.to_string();
        let problem = if let Some(rest) = msg.strip_prefix("missing field `") {
            let field: String = rest
                .chars()
                .take_while(|c| *c != '`')
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            format!("missing field `{field}`")
        } else {
            let category = match e.classify() {
                Category::Io => "I/O error",
                Category::Syntax => "not valid JSON",
                Category::Data => "a field has the wrong type or value",
                Category::Eof => "truncated JSON",
            };
            category.to_owned()
        };
        ExchangeError::malformed(
            what,
            format!("{problem} (line {}, column {})", e.line(), e.column()),
        )
    }
}

impl From<tradeward_signer::SignerError> for ExchangeError {
    fn from(e: tradeward_signer::SignerError) -> Self {
        match e {
            tradeward_signer::SignerError::Transport(_) => {
                ExchangeError::retry(RetryKind::Connect, "the signer could not be reached")
            }
            other => ExchangeError::Signer {
                code: other.code().to_owned(),
                message: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_never_quote_the_input() {
        let hostile = r#"{"price": "SECRET-VALUE-123"}"#;
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            price: u64,
        }
        let e = serde_json::from_str::<P>(hostile).unwrap_err();
        assert!(
            e.to_string().contains("SECRET-VALUE-123"),
            "serde quotes values"
        );
        let ours = ExchangeError::from_json("order", &e).to_string();
        assert!(!ours.contains("SECRET-VALUE-123"), "{ours}");
        assert!(ours.contains("wrong type"), "{ours}");
    }

    #[test]
    fn missing_fields_are_named() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            price: u64,
        }
        let e = serde_json::from_str::<P>("{}").unwrap_err();
        let ours = ExchangeError::from_json("order", &e).to_string();
        assert!(ours.contains("missing field `price`"), "{ours}");
    }

    #[test]
    fn venue_messages_are_cleaned_and_truncated() {
        let long = format!("bad\n\u{7}{}", "x".repeat(500));
        let ExchangeError::Rejected { message, code } = ExchangeError::rejected(-1013, &long)
        else {
            panic!("not a rejection")
        };
        assert_eq!(code, -1013);
        assert!(message.starts_with("badx"));
        assert!(message.chars().count() <= MAX_VENUE_MESSAGE + 1);
    }

    #[test]
    fn writes_that_timed_out_need_reconciliation() {
        assert!(ExchangeError::retry(RetryKind::Timeout, "t").outcome_unknown());
        assert!(ExchangeError::retry(RetryKind::ServerError(503), "t").outcome_unknown());
        assert!(!ExchangeError::retry(RetryKind::Connect, "t").outcome_unknown());
        assert!(!ExchangeError::rejected(-2010, "no").is_retryable());
    }
}
