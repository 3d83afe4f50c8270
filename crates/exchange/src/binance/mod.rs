//! The Binance Spot dialect: production, testnet, and the built-in simulator (the default).
//!
//! Layout follows one template per venue: `config` (endpoints and timeouts), `common`
//! (serde types and parsers of the venue's JSON, shared by REST and streams), `http` (the
//! REST transport: signing through the signer, request weight, server time), `websocket`
//! (market streams and the user data stream), `execution` (the [`crate::ExecutionClient`]).

pub mod common;
mod config;
mod execution;
pub mod http;
pub mod websocket;

pub(crate) use config::check_url;
pub use config::BinanceConfig;
pub use execution::BinanceExecution;
pub use http::BinanceHttp;
pub use websocket::market::BinanceMarketData;
pub use websocket::user::{spawn_user_stream, UserStream};
