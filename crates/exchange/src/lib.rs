//! Venue adapters: how Tradeward talks to exchanges, without ever holding a secret.
//!
//! The crate is split the way the trust boundaries run:
//! - [`ExecutionClient`] and [`MarketDataClient`] are venue-neutral traits over Tradeward's
//!   own vocabulary ([`OrderRequest`], [`OrderReport`], [`MarketEvent`], ...). Callers never
//!   see a venue's JSON.
//! - [`binance`] speaks the Binance Spot dialect (the built-in simulator speaks it too): REST
//!   through `reqwest` with rustls, WebSocket streams through `tokio-tungstenite`. Every
//!   private request is built unsigned and handed to the signer
//!   ([`tradeward_signer::remote::SignerApi`]); the adapter holds no secret.
//! - [`filters`] applies tick, step and notional rules before anything is sent.
//! - [`hub`] shares one upstream subscription per (venue, symbol) among all subscribers,
//!   detects gaps and stale markets, and asks the upstream to resync.
//!
//! Errors ([`ExchangeError`]) are split by whether a retry can help, and never carry a
//! secret or a raw venue payload. Time ([`Clock`]) and randomness (the reconnect backoff's
//! RNG) come in from outside so tests are deterministic.

pub mod backoff;
pub mod binance;
pub mod clock;
pub mod coinbase;
mod error;
pub mod filters;
pub mod hub;
pub mod key_check;
pub mod kraken;
mod traits;
mod types;

pub use backoff::{Backoff, BackoffConfig};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ExchangeError, RetryKind};
pub use filters::{FilterError, Rounding, SymbolFilters};
pub use key_check::{check_key, KeyPermissions, KeyPolicy, KeyVerdict};
pub use traits::{ExecutionClient, FeedItem, MarketDataClient, MarketSubscription, StreamKind};
pub use types::{
    Balance, ClientOrderId, ClientOrderIdError, ExchangeRules, ExecutionType, Fill, MarketData,
    MarketEvent, MarketId, OrderKind, OrderReport, OrderRequest, OrderStatus, OrderType,
    OrderUpdate, SymbolRules, TimeInForce, UserEvent,
};
