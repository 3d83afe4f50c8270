//! The Kraken Spot dialect: production, and the built-in simulator's Kraken front.
//!
//! Same template as [`crate::binance`]: `config` (endpoints and timeouts), `common` (serde
//! types and parsers of Kraken's JSON, REST and WebSocket v2), `http` (the REST transport:
//! signing through the signer, Kraken's call-counter rate limit, server time), `websocket`
//! (WebSocket v2 market data), `execution` (the [`crate::ExecutionClient`]). Fixtures taken
//! from Kraken's documentation live in `crates/exchange/test_data/kraken/`.
//!
//! Nonces: the signer stamps every private call with a nonce derived from its clock in
//! microseconds and strictly increasing within the process, so nonces keep increasing across
//! restarts as long as the host clock does not step back (Kraken refuses a nonce at or below
//! the key's last with `EAPI:Invalid nonce`; the error is reported, never retried blindly).

pub mod common;
mod config;
mod execution;
pub mod http;
pub mod websocket;

pub use config::KrakenConfig;
pub use execution::{key_permissions_of, KrakenExecution};
pub use http::KrakenHttp;
pub use websocket::KrakenMarketData;
