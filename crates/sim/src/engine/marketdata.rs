//! Market-data snapshots served over REST: depth, recent trades, 24h stats, klines, and the
//! exchangeInfo filter data of a symbol.

use super::text::ShortStr;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// exchangeInfo data of one symbol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymbolInfo {
    /// Symbol.
    pub symbol: ShortStr,
    /// Base asset.
    pub base_asset: ShortStr,
    /// Quote asset.
    pub quote_asset: ShortStr,
    /// Decimals of the base asset quantities (from the step size).
    pub base_asset_precision: u32,
    /// Decimals of quote amounts (from the tick size).
    pub quote_precision: u32,
    /// PRICE_FILTER minPrice.
    pub min_price: Decimal,
    /// PRICE_FILTER maxPrice.
    pub max_price: Decimal,
    /// PRICE_FILTER tickSize.
    pub tick_size: Decimal,
    /// LOT_SIZE minQty.
    pub min_qty: Decimal,
    /// LOT_SIZE maxQty.
    pub max_qty: Decimal,
    /// LOT_SIZE stepSize.
    pub step_size: Decimal,
    /// NOTIONAL minNotional (applied to MARKET orders too).
    pub min_notional: Decimal,
}

/// Order-book snapshot (`GET /api/v3/depth`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepthSnapshot {
    /// Update id of this state; diffs with `final_update_id` ≤ this are already included.
    pub last_update_id: u64,
    /// Bids, best (highest) first: (price, quantity).
    pub bids: Vec<(Decimal, Decimal)>,
    /// Asks, best (lowest) first.
    pub asks: Vec<(Decimal, Decimal)>,
}

/// A public trade (`GET /api/v3/trades`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicTrade {
    /// Per-symbol trade id.
    pub id: u64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// price × qty.
    pub quote_qty: Decimal,
    /// Time (ms).
    pub time: u64,
    /// True when the buyer was the resting side.
    pub is_buyer_maker: bool,
}

/// Best bid/ask (`GET /api/v3/ticker/bookTicker`); zeros for an empty side.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookTicker {
    /// Symbol.
    pub symbol: ShortStr,
    /// Best bid.
    pub bid_price: Decimal,
    /// Its quantity.
    pub bid_qty: Decimal,
    /// Best ask.
    pub ask_price: Decimal,
    /// Its quantity.
    pub ask_qty: Decimal,
}

/// One candlestick (`GET /api/v3/klines`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kline {
    /// Open time (ms, aligned to the interval).
    pub open_time: u64,
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Close time (open_time + interval − 1).
    pub close_time: u64,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Number of trades.
    pub trades: u64,
    /// Base volume bought by takers.
    pub taker_buy_base_volume: Decimal,
    /// Quote volume bought by takers.
    pub taker_buy_quote_volume: Decimal,
}

/// Rolling 24h statistics (`GET /api/v3/ticker/24hr`), built from 1-minute klines.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticker24h {
    /// Symbol.
    pub symbol: ShortStr,
    /// last − open.
    pub price_change: Decimal,
    /// (last − open) / open × 100, 3 decimals.
    pub price_change_percent: Decimal,
    /// quote volume / volume (0 when no volume).
    pub weighted_avg_price: Decimal,
    /// Last price before the window.
    pub prev_close_price: Decimal,
    /// Last price.
    pub last_price: Decimal,
    /// Quantity of the last trade.
    pub last_qty: Decimal,
    /// Best bid.
    pub bid_price: Decimal,
    /// Best bid quantity.
    pub bid_qty: Decimal,
    /// Best ask.
    pub ask_price: Decimal,
    /// Best ask quantity.
    pub ask_qty: Decimal,
    /// First price in the window.
    pub open_price: Decimal,
    /// High.
    pub high_price: Decimal,
    /// Low.
    pub low_price: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Window start (ms).
    pub open_time: u64,
    /// Window end (ms).
    pub close_time: u64,
    /// First trade id in the window (−1 when none).
    pub first_id: i64,
    /// Last trade id in the window (−1 when none).
    pub last_id: i64,
    /// Number of trades.
    pub count: u64,
}
