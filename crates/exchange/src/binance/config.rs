//! Where a Binance-dialect venue lives and how patiently to talk to it.

use std::time::Duration;

use tradeward_domain::Venue;

use crate::backoff::BackoffConfig;
use crate::error::ExchangeError;

/// Endpoints, limits and timeouts of one Binance-dialect venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinanceConfig {
    /// Which venue this is: [`Venue::Binance`] or [`Venue::Sim`] (decides the signer's
    /// credential venue and the venue stamped on every event).
    pub venue: Venue,
    /// REST base URL without trailing slash (`https://api.binance.com`).
    pub rest_base: String,
    /// WebSocket base URL without trailing slash (`wss://stream.binance.com:9443`).
    pub ws_base: String,
    /// `recvWindow` sent with signed requests (ms, at most 60 000).
    pub recv_window_ms: u64,
    /// Whole-request timeout for REST calls.
    pub request_timeout: Duration,
    /// Largest REST response body accepted.
    pub max_response_bytes: usize,
    /// Largest WebSocket message accepted.
    pub max_ws_message_bytes: usize,
    /// Reconnect backoff of WebSocket streams.
    pub reconnect: BackoffConfig,
    /// A stream that delivers no frame at all (not even a ping) for this long is considered
    /// dead and reconnected.
    pub ws_idle_timeout: Duration,
    /// We ping the server this often (Binance pings us every 20 s; pinging back keeps
    /// middleboxes from timing the connection out).
    pub ws_ping_interval: Duration,
    /// Listen-key keepalive period (Binance: keys expire after 60 min; docs advise 30).
    pub listen_key_keepalive: Duration,
}

impl BinanceConfig {
    fn with_urls(venue: Venue, rest: &str, ws: &str) -> Self {
        Self {
            venue,
            rest_base: rest.trim_end_matches('/').to_owned(),
            ws_base: ws.trim_end_matches('/').to_owned(),
            recv_window_ms: 5_000,
            request_timeout: Duration::from_secs(10),
            max_response_bytes: 32 * 1024 * 1024,
            max_ws_message_bytes: 1024 * 1024,
            reconnect: BackoffConfig::default(),
            ws_idle_timeout: Duration::from_secs(60),
            ws_ping_interval: Duration::from_secs(20),
            listen_key_keepalive: Duration::from_secs(30 * 60),
        }
    }

    /// The built-in simulator at `rest_base` / `ws_base` (e.g. `SimHandle::base_url()`).
    pub fn sim(rest_base: &str, ws_base: &str) -> Self {
        Self::with_urls(Venue::Sim, rest_base, ws_base)
    }

    /// Binance Spot production.
    pub fn production() -> Self {
        Self::with_urls(
            Venue::Binance,
            "https://api.binance.com",
            "wss://stream.binance.com:9443",
        )
    }

    /// Binance Spot testnet.
    pub fn testnet() -> Self {
        Self::with_urls(
            Venue::Binance,
            "https://testnet.binance.vision",
            "wss://stream.testnet.binance.vision",
        )
    }

    /// Checks the settings. Plain `http`/`ws` is allowed only to a loopback host (the local
    /// simulator): everything else must use TLS, which is always certificate-verified.
    pub fn validate(&self) -> Result<(), ExchangeError> {
        if !matches!(self.venue, Venue::Binance | Venue::Sim) {
            return Err(ExchangeError::Invalid(format!(
                "the Binance adapter cannot serve venue {}",
                self.venue
            )));
        }
        check_url(&self.rest_base, "https://", "http://")?;
        check_url(&self.ws_base, "wss://", "ws://")?;
        if self.recv_window_ms == 0 || self.recv_window_ms > 60_000 {
            return Err(ExchangeError::Invalid(
                "recv_window_ms must be 1 to 60000".into(),
            ));
        }
        if self.max_response_bytes == 0 || self.max_ws_message_bytes == 0 {
            return Err(ExchangeError::Invalid(
                "size limits must be positive".into(),
            ));
        }
        Ok(())
    }

    /// Whether the REST base is plain HTTP (then only loopback, see [`Self::validate`]).
    pub(crate) fn plain_http(&self) -> bool {
        self.rest_base.starts_with("http://")
    }
}

/// The host part of `rest` (after the scheme), without port or path.
fn host_of(rest: &str) -> &str {
    let authority = rest.split('/').next().unwrap_or("");
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

/// Checks a venue URL: TLS (`secure`) anywhere, plain (`plain`) only to a loopback host; no
/// query, fragment or user info. Shared by every venue's configuration.
pub(crate) fn check_url(url: &str, secure: &str, plain: &str) -> Result<(), ExchangeError> {
    let (rest, tls) = if let Some(r) = url.strip_prefix(secure) {
        (r, true)
    } else if let Some(r) = url.strip_prefix(plain) {
        (r, false)
    } else {
        return Err(ExchangeError::Invalid(format!(
            "venue URL must start with {secure} (or {plain} to a loopback simulator)"
        )));
    };
    let host = host_of(rest);
    if host.is_empty() || rest.contains(['?', '#', '@', ' ']) {
        return Err(ExchangeError::Invalid(
            "venue URL must be scheme://host[:port][/path] without query, fragment or user info"
                .into(),
        ));
    }
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false);
    if !tls && !loopback {
        return Err(ExchangeError::Invalid(format!(
            "unencrypted {plain} is only allowed to a loopback simulator; use {secure}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_required_except_on_loopback() {
        assert!(BinanceConfig::production().validate().is_ok());
        assert!(BinanceConfig::testnet().validate().is_ok());
        assert!(
            BinanceConfig::sim("http://127.0.0.1:8080", "ws://127.0.0.1:8080")
                .validate()
                .is_ok()
        );
        assert!(BinanceConfig::sim("http://[::1]:80", "ws://localhost:80")
            .validate()
            .is_ok());
        for (rest, ws) in [
            ("http://api.binance.com", "wss://stream.binance.com:9443"),
            ("https://api.binance.com", "ws://stream.binance.com:9443"),
            ("http://127.0.0.1.evil.com", "ws://127.0.0.1"),
            ("ftp://127.0.0.1", "ws://127.0.0.1"),
            ("https://user@api.binance.com", "wss://x"),
            ("https://api.binance.com?x=1", "wss://x"),
        ] {
            let mut c = BinanceConfig::production();
            c.rest_base = rest.into();
            c.ws_base = ws.into();
            assert!(c.validate().is_err(), "{rest} {ws}");
        }
    }

    #[test]
    fn recv_window_is_bounded() {
        let mut c = BinanceConfig::production();
        c.recv_window_ms = 60_001;
        assert!(c.validate().is_err());
    }
}
