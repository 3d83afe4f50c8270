//! Events that mutations cause; the server turns them into WebSocket pushes.

use super::order::{Fill, Order};
use super::text::ShortStr;
use super::types::{AccountId, ExecutionType};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// Changed levels of one book side: (price, new total quantity). Inline up to two levels, so
/// the depth diff of an ordinary order allocates nothing; a re-quote spills to the heap.
pub type Levels = SmallVec<[(Decimal, Decimal); 2]>;

/// Changed balances of one account: inline up to two (a trade moves base and quote).
pub type Balances = SmallVec<[super::accounts::Balance; 2]>;

/// One event. Events come out in the order they happened.
// Variants are inline (no Box) on purpose: boxing the large execution report would add an
// allocation per event on the matching hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EngineEvent {
    /// A public trade (`<symbol>@trade`).
    Trade(TradeEvent),
    /// Best bid/ask changed (`<symbol>@bookTicker`).
    BookTicker(BookTickerEvent),
    /// Levels changed (`<symbol>@depth`): absolute quantity per changed level, 0 = removed.
    DepthUpdate(DepthUpdateEvent),
    /// An order of `account` changed (`executionReport` on the user data stream).
    ExecutionReport(ExecutionReportEvent),
    /// Balances of `account` changed (`outboundAccountPosition`).
    AccountPosition(AccountPositionEvent),
}

/// A public trade.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeEvent {
    /// Symbol.
    pub symbol: ShortStr,
    /// Per-symbol trade id.
    pub id: u64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// True when the buyer was the resting side.
    pub buyer_is_maker: bool,
    /// Time (ms).
    pub time: u64,
}

/// Best bid and ask. Prices and quantities are zero when a side is empty.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookTickerEvent {
    /// Symbol.
    pub symbol: ShortStr,
    /// Book update id at this state.
    pub update_id: u64,
    /// Best bid price.
    pub bid_price: Decimal,
    /// Quantity at the best bid.
    pub bid_qty: Decimal,
    /// Best ask price.
    pub ask_price: Decimal,
    /// Quantity at the best ask.
    pub ask_qty: Decimal,
    /// Time (ms).
    pub time: u64,
}

/// A diff of the book: Binance `depthUpdate` (`U` = first, `u` = final update id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepthUpdateEvent {
    /// Symbol.
    pub symbol: ShortStr,
    /// First update id in this event.
    pub first_update_id: u64,
    /// Last update id in this event.
    pub final_update_id: u64,
    /// Changed bid levels (price, new total quantity; 0 = level removed).
    pub bids: Levels,
    /// Changed ask levels.
    pub asks: Levels,
    /// Time (ms).
    pub time: u64,
}

/// An `executionReport`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionReportEvent {
    /// Owner of the order.
    pub account: AccountId,
    /// The order after this execution.
    pub order: Order,
    /// What happened.
    pub execution_type: ExecutionType,
    /// The fill for `Trade` executions.
    pub last_fill: Option<Fill>,
    /// Time (ms).
    pub transaction_time: u64,
}

/// An `outboundAccountPosition`: the balances that changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountPositionEvent {
    /// The account.
    pub account: AccountId,
    /// Changed assets with their new balances.
    pub balances: Balances,
    /// Time (ms).
    pub time: u64,
}
