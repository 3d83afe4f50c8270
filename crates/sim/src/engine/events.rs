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
    /// A candle's interval ended (`<symbol>@kline_<interval>` with `"x": true`); from
    /// [`Engine::close_klines`](super::Engine::close_klines).
    KlineClosed(KlineClosedEvent),
}

/// A candle whose interval has ended, with its final values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KlineClosedEvent {
    /// Symbol.
    pub symbol: ShortStr,
    /// Interval of the candle.
    pub interval: super::types::KlineInterval,
    /// The candle.
    pub kline: super::marketdata::Kline,
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
    /// The fill of a `Trade` execution, or the client id of the cancel request.
    pub detail: ExecutionDetail,
    /// Time (ms).
    pub transaction_time: u64,
}

/// What an execution report carries beyond the order. One field for both (a cancel never
/// fills) keeps the event as small as the fill alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum ExecutionDetail {
    /// Nothing more (NEW, EXPIRED, a cancel without its own client id).
    #[default]
    None,
    /// The fill of a `Trade` execution.
    Fill(Fill),
    /// A cancel request's own `newClientOrderId`: Binance reports it in `c` and the
    /// order's client id in `C`.
    Cancel(ShortStr),
}

impl ExecutionReportEvent {
    /// The fill of a `Trade` execution.
    pub fn last_fill(&self) -> Option<Fill> {
        match self.detail {
            ExecutionDetail::Fill(f) => Some(f),
            _ => None,
        }
    }

    /// Binance's `c`: the cancel request's client id for a cancel that had one, else the
    /// order's client id.
    pub fn client_order_id(&self) -> ShortStr {
        match self.detail {
            ExecutionDetail::Cancel(id) => id,
            _ => self.order.client_order_id,
        }
    }

    /// Binance's `C`: the order's client id when the report is for a cancel that had its
    /// own client id, else empty.
    pub fn orig_client_order_id(&self) -> ShortStr {
        match self.detail {
            ExecutionDetail::Cancel(_) => self.order.client_order_id,
            _ => ShortStr::empty(),
        }
    }
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
