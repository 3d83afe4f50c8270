//! Coinbase Advanced Trade: production, and the built-in simulator's Coinbase front.
//!
//! Same template as the other venues: `config` (endpoints, timeouts), `common` (parsers of
//! Coinbase's JSON), `http` (REST signed by the signer with a per-request JWT), `execution`
//! (the [`crate::ExecutionClient`]). Fixtures from Coinbase's documentation live in
//! `crates/exchange/test_data/coinbase/`. Not yet here: the WebSocket market-data feed.
//!
//! Safe retries come from the venue: Coinbase answers an order whose `client_order_id` was
//! already used with the existing order instead of creating another, so resending an order
//! after an unknown outcome with the same client order id cannot place it twice.

pub mod common;
mod config;
mod execution;
pub mod http;

pub use config::CoinbaseConfig;
pub use execution::CoinbaseExecution;
pub use http::CoinbaseHttp;
