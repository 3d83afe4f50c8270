//! Where a Kraken-dialect venue lives and how patiently to talk to it.

use std::time::Duration;

use tradeward_domain::Venue;

use crate::backoff::BackoffConfig;
use crate::binance::check_url;
use crate::error::ExchangeError;

/// Endpoints, limits and timeouts of a Kraken-dialect venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrakenConfig {
    /// Always [`Venue::Kraken`] (the credential's venue, stamped on every event).
    pub venue: Venue,
    /// REST base URL without trailing slash (`https://api.kraken.com`); paths are `/0/...`.
    pub rest_base: String,
    /// The WebSocket v2 URL (`wss://ws.kraken.com/v2`).
    pub ws_url: String,
    /// Whole-request timeout for REST calls.
    pub request_timeout: Duration,
    /// Largest REST response body accepted.
    pub max_response_bytes: usize,
    /// Largest WebSocket message accepted.
    pub max_ws_message_bytes: usize,
    /// Reconnect backoff of WebSocket streams.
    pub reconnect: BackoffConfig,
    /// A stream silent for this long is reconnected (Kraken sends a heartbeat every second
    /// while subscribed).
    pub ws_idle_timeout: Duration,
    /// We ping the server this often.
    pub ws_ping_interval: Duration,
    /// Kraken's REST call counter: its ceiling (Starter tier 15, Intermediate 20, Pro 20).
    pub rate_counter_max: u32,
    /// How fast the counter decays, in hundredths of a call per second (Starter 33,
    /// Intermediate 50, Pro 100).
    pub rate_decay_centi_per_sec: u32,
}

impl KrakenConfig {
    fn with_urls(rest: &str, ws: &str) -> Self {
        Self {
            venue: Venue::Kraken,
            rest_base: rest.trim_end_matches('/').to_owned(),
            ws_url: ws.trim_end_matches('/').to_owned(),
            request_timeout: Duration::from_secs(10),
            max_response_bytes: 32 * 1024 * 1024,
            max_ws_message_bytes: 1024 * 1024,
            reconnect: BackoffConfig::default(),
            ws_idle_timeout: Duration::from_secs(30),
            ws_ping_interval: Duration::from_secs(20),
            rate_counter_max: 15,
            rate_decay_centi_per_sec: 33,
        }
    }

    /// Kraken Spot production.
    pub fn production() -> Self {
        Self::with_urls("https://api.kraken.com", "wss://ws.kraken.com/v2")
    }

    /// The built-in simulator's Kraken front at `base` / `ws_base` (e.g.
    /// `SimHandle::base_url()` and `ws_url()`).
    pub fn sim(base: &str, ws_base: &str) -> Self {
        let ws = format!("{}/kraken/v2", ws_base.trim_end_matches('/'));
        Self::with_urls(base, &ws)
    }

    /// Checks the settings (TLS required except to a loopback simulator).
    pub fn validate(&self) -> Result<(), ExchangeError> {
        if self.venue != Venue::Kraken {
            return Err(ExchangeError::Invalid(format!(
                "the Kraken adapter cannot serve venue {}",
                self.venue
            )));
        }
        check_url(&self.rest_base, "https://", "http://")?;
        check_url(&self.ws_url, "wss://", "ws://")?;
        if self.max_response_bytes == 0 || self.max_ws_message_bytes == 0 {
            return Err(ExchangeError::Invalid(
                "size limits must be positive".into(),
            ));
        }
        if self.rate_counter_max == 0 || self.rate_decay_centi_per_sec == 0 {
            return Err(ExchangeError::Invalid(
                "the rate counter ceiling and decay must be positive".into(),
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
    fn tls_is_required_except_on_loopback() {
        assert!(KrakenConfig::production().validate().is_ok());
        assert!(KrakenConfig::sim("http://127.0.0.1:9", "ws://127.0.0.1:9")
            .validate()
            .is_ok());
        let mut c = KrakenConfig::production();
        c.rest_base = "http://api.kraken.com".into();
        assert!(c.validate().is_err());
        let mut c = KrakenConfig::production();
        c.venue = Venue::Binance;
        assert!(c.validate().is_err());
    }
}
