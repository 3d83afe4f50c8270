//! Where a Coinbase-dialect venue lives and how patiently to talk to it.

use std::time::Duration;

use tradeward_domain::Venue;

use crate::binance::check_url;
use crate::error::ExchangeError;

/// Endpoints and timeouts of a Coinbase Advanced Trade venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinbaseConfig {
    /// REST base URL without trailing slash (`https://api.coinbase.com`).
    pub rest_base: String,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: usize,
}

impl CoinbaseConfig {
    /// Coinbase production.
    pub fn production() -> Self {
        Self::sim("https://api.coinbase.com")
    }

    /// The simulator's Coinbase front at `base` (e.g. `SimHandle::base_url()`).
    pub fn sim(base: &str) -> Self {
        Self {
            rest_base: base.trim_end_matches('/').to_owned(),
            request_timeout: Duration::from_secs(10),
            max_response_bytes: 32 * 1024 * 1024,
        }
    }

    /// The venue (always Coinbase).
    pub fn venue(&self) -> Venue {
        Venue::Coinbase
    }

    /// `host[:port]` of the REST base: the host the JWT's `uri` claim names.
    pub fn host(&self) -> &str {
        let rest = self
            .rest_base
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&self.rest_base);
        rest.split('/').next().unwrap_or(rest)
    }

    /// Checks the settings (TLS required except to a loopback simulator).
    pub fn validate(&self) -> Result<(), ExchangeError> {
        check_url(&self.rest_base, "https://", "http://")?;
        if self.max_response_bytes == 0 {
            return Err(ExchangeError::Invalid(
                "size limits must be positive".into(),
            ));
        }
        Ok(())
    }

    pub(crate) fn plain_http(&self) -> bool {
        self.rest_base.starts_with("http://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_tls() {
        assert_eq!(CoinbaseConfig::production().host(), "api.coinbase.com");
        assert_eq!(
            CoinbaseConfig::sim("http://127.0.0.1:8080").host(),
            "127.0.0.1:8080"
        );
        assert!(CoinbaseConfig::production().validate().is_ok());
        assert!(CoinbaseConfig::sim("http://api.coinbase.com")
            .validate()
            .is_err());
    }
}
