//! The exchange core: order books, matching, accounts and balances, price process. No I/O.
//!
//! API NOTE for the server layer: the public surface is [`Engine`] (see `engine.rs`,
//! `trading.rs`, `process.rs`, `queries.rs` for its methods) and the re-exported data types
//! below. It is pure: pass `now_ms` in, get `Vec<EngineEvent>` (or a result carrying them)
//! out of every mutation. The hot operations also come in an allocation-free form that
//! appends to buffers the caller keeps and reuses: [`Engine::place_order_into`] (an
//! [`Output`]: events and fills), [`Engine::cancel_order_into`] and [`Engine::tick_into`]
//! (a `Vec<EngineEvent>`). [`Engine::close_klines`] reports candles as their interval ends
//! (for `"x": true` kline updates); call it on a timer. Account ids are dense: [`HOUSE_ACCOUNT`] (0) is the market maker,
//! [`FEE_ACCOUNT`] (1) collects commissions, ordinary accounts come from
//! [`Engine::add_account`]. The whole `Engine` is `Serialize + Deserialize` for snapshots.
//!
//! Performance (the `matching` bench, steady state of 20K open orders, see its doc comment):
//! about 4,965 instructions per order (cachegrind; 7,550 two rounds ago), 0.9–1.15M
//! orders/s on one core of the 2-core dev machine depending on its load, 1.0–1.2M per CPU
//! second of the bench thread (see BENCHMARKS.md). What keeps it there: events are written
//! once into the caller's buffer (`*_into`), depth levels and balances ride inline in events
//! (no per-event allocation), filters are checked as integer grids, Decimal arithmetic and
//! comparisons take integer fast paths (same scale, and across scales in i128: `dmath`,
//! `book::dcmp`), takers touch the client-id map only if they rest, book keys compare
//! mantissas, open orders live in a slab indexed by an id window, and the static
//! house only tops up the ladder levels takers filled instead of re-placing all of them.
//!
//! Binance semantics kept on purpose: a LIMIT_MAKER that would cross is -2010 "Order would
//! immediately match and take." (what Binance Spot answers), a stop whose trigger is already
//! met is -2010 "Stop price would trigger immediately.", cancel-all with nothing open is -2011.
//! A stop-market BUY locks nothing while pending (its cost is unknown); if the account cannot
//! pay when it fires, it EXPIRES.

mod accounts;
mod book;
mod candles;
pub mod config;
mod dmath;
#[allow(clippy::module_inception)]
mod engine;
pub mod events;
mod grid;
mod invariants;
mod market;
pub mod marketdata;
mod matching;
mod open;
mod ops;
pub mod order;
mod process;
mod queries;
pub mod reject;
mod setup;
pub mod text;
mod trading;
pub mod types;
mod validate;

pub use accounts::Balance;
pub use config::{EngineConfig, FeeConfig, HouseConfig, MarketConfig, PriceProcess, ReplayTrade};
pub use engine::{Engine, FEE_ACCOUNT, HOUSE_ACCOUNT};
pub use events::{
    AccountPositionEvent, Balances, BookTickerEvent, DepthUpdateEvent, EngineEvent,
    ExecutionDetail, ExecutionReportEvent, KlineClosedEvent, Levels, TradeEvent,
};
pub use marketdata::{BookTicker, DepthSnapshot, Kline, PublicTrade, SymbolInfo, Ticker24h};
pub use order::{AccountTrade, Fill, NewOrder, Order, OrderRef, OrderResult, Output};
pub use reject::{ConfigError, FilterKind, RejectReason};
pub use text::ShortStr;
pub use trading::MAX_QUERY_LIMIT;
pub use types::{
    AccountId, ExecutionType, KlineInterval, OrderStatus, OrderType, Side, TimeInForce,
};
