//! Other venues' wire dialects on the same engine: each is an HTTP (and WebSocket) front that
//! translates its venue's paths, parameters, signatures, shapes and error strings to and from
//! [`crate::engine`]. The Binance dialect lives in [`crate::api`] and [`crate::ws`].
//!
//! - [`kraken`]: Kraken Spot REST (`/0/public/*`, `/0/private/*`) and WebSocket v2
//!   (`/kraken/v2`).
//! - [`coinbase`]: Coinbase Advanced Trade REST (`/api/v3/brokerage/*`, JWT bearer tokens).
//!
//! Accounts are shared: one `[[account]]` is reachable through every dialect with the same
//! API key, each dialect reading the account's secret by its venue's rules.

pub mod coinbase;
pub mod kraken;
pub mod time;

use crate::state::AppState;
use axum::Router;

/// The routes of every non-Binance dialect.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(kraken::router())
        .merge(coinbase::router())
}
