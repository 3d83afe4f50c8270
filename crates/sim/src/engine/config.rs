//! Engine configuration: markets, fees, the house market maker and the price process.
//!
//! These are plain data; the server builds them from its TOML config (it owns parsing and
//! defaults for the file format) and hands them to [`crate::engine::Engine::new`].

use super::reject::ConfigError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One market (symbol) with its exchangeInfo filters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketConfig {
    /// Binance spelling, e.g. "BTCUSDT".
    pub symbol: String,
    /// Base asset, e.g. "BTC".
    pub base: String,
    /// Quote asset, e.g. "USDT".
    pub quote: String,
    /// Reference price the house quotes around at start.
    pub price: Decimal,
    /// PRICE_FILTER tickSize.
    pub tick_size: Decimal,
    /// LOT_SIZE stepSize.
    pub step_size: Decimal,
    /// LOT_SIZE minQty (defaults to step_size when zero).
    pub min_qty: Decimal,
    /// LOT_SIZE maxQty.
    pub max_qty: Decimal,
    /// NOTIONAL minNotional.
    pub min_notional: Decimal,
    /// PRICE_FILTER minPrice (defaults to tick_size when zero).
    pub min_price: Decimal,
    /// PRICE_FILTER maxPrice.
    pub max_price: Decimal,
}

impl MarketConfig {
    /// A market with Binance-like defaults for the optional bounds:
    /// min_qty = step, max_qty = 9000, min_price = tick, max_price = 1,000,000.
    pub fn new(
        symbol: &str,
        base: &str,
        quote: &str,
        price: Decimal,
        tick_size: Decimal,
        step_size: Decimal,
        min_notional: Decimal,
    ) -> Self {
        Self {
            symbol: symbol.into(),
            base: base.into(),
            quote: quote.into(),
            price,
            tick_size,
            step_size,
            min_qty: step_size,
            max_qty: Decimal::from(9000),
            min_notional,
            min_price: tick_size,
            max_price: Decimal::from(1_000_000),
        }
    }
}

/// The house market maker: quotes `levels` price levels each side of the reference price.
/// It re-quotes the whole ladder when the price moves; on a static market `tick` only
/// re-places the levels takers filled away (partly filled quotes keep their queue place).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HouseConfig {
    /// Levels per side (0 disables the house).
    pub levels: u32,
    /// Distance of the first level from the reference price, in basis points.
    pub first_level_bps: Decimal,
    /// Distance between consecutive levels, in basis points.
    pub level_spacing_bps: Decimal,
    /// Smallest size of one level, in quote-currency notional (converted to base at the price).
    pub min_level_notional: Decimal,
    /// Largest size of one level, in quote-currency notional.
    pub max_level_notional: Decimal,
    /// Starting balance of the house for each asset of every market (large, so it never runs
    /// dry; it is part of the conservation property like any account).
    pub balance_per_asset: Decimal,
}

impl Default for HouseConfig {
    fn default() -> Self {
        Self {
            levels: 20,
            first_level_bps: Decimal::new(5, 1),    // 0.5 bps
            level_spacing_bps: Decimal::new(10, 1), // 1 bp
            min_level_notional: Decimal::from(5_000),
            max_level_notional: Decimal::from(50_000),
            balance_per_asset: Decimal::from(1_000_000_000_000u64),
        }
    }
}

/// Commission rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeeConfig {
    /// Rate charged to the resting side (0.001 = 0.1%).
    pub maker: Decimal,
    /// Rate charged to the aggressing side.
    pub taker: Decimal,
}

impl Default for FeeConfig {
    fn default() -> Self {
        Self {
            maker: Decimal::new(1, 3),
            taker: Decimal::new(1, 3),
        }
    }
}

/// One row of a replayed trade tape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayTrade {
    /// Milliseconds (as found in the file; used for ordering only).
    pub timestamp_ms: u64,
    /// Trade price.
    pub price: Decimal,
    /// Trade quantity.
    pub qty: Decimal,
}

impl ReplayTrade {
    /// Parses `timestamp,price,qty` lines (a header line and blank lines are skipped).
    /// The server reads the file; parsing stays here so the engine decides what is valid.
    pub fn parse_csv(text: &str) -> Result<Vec<ReplayTrade>, ConfigError> {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            if cols.len() < 3 {
                return Err(ConfigError(format!(
                    "replay CSV line {}: expected timestamp,price,qty",
                    n + 1
                )));
            }
            let ts = cols[0].parse::<u64>();
            let price = cols[1].parse::<Decimal>();
            let qty = cols[2].parse::<Decimal>();
            match (ts, price, qty) {
                (Ok(t), Ok(p), Ok(q)) if p > Decimal::ZERO && q > Decimal::ZERO => {
                    out.push(ReplayTrade {
                        timestamp_ms: t,
                        price: p,
                        qty: q,
                    })
                }
                _ if n == 0 => continue, // header
                _ => {
                    return Err(ConfigError(format!(
                        "replay CSV line {}: timestamp must be an integer, price and qty positive decimals",
                        n + 1
                    )))
                }
            }
        }
        if out.is_empty() {
            return Err(ConfigError("replay CSV has no trades".into()));
        }
        Ok(out)
    }
}

/// How the reference price of a market moves on each [`crate::engine::Engine::tick`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PriceProcess {
    /// Never moves by itself (only `trade_at` moves it).
    Static,
    /// Multiplicative random walk: each tick the price moves by `volatility` × a seeded
    /// standard-normal-like draw, rounded to the tick size.
    RandomWalk {
        /// Per-tick relative volatility (0.0005 = 5 bps).
        volatility: Decimal,
    },
    /// Replays a tape of trades, one row per tick, looping at the end.
    Replay {
        /// The tape, per symbol; symbols without a tape stay static.
        tapes: Vec<(String, Vec<ReplayTrade>)>,
    },
}

/// Everything [`crate::engine::Engine::new`] needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// Seed of the engine's ChaCha8 RNG (price paths, house sizes, generated ids).
    pub seed: u64,
    /// Markets.
    pub markets: Vec<MarketConfig>,
    /// Commission rates for ordinary accounts (the house pays none).
    pub fees: FeeConfig,
    /// The house market maker.
    pub house: HouseConfig,
    /// The price process.
    pub price_process: PriceProcess,
    /// Public trades kept per market for `recent_trades` (Binance serves up to 1000).
    pub recent_trades_cap: usize,
    /// Closed orders kept per account and market for `all_orders` (open ones are always kept).
    pub order_history_cap: usize,
    /// Fills kept per account and market for `my_trades`.
    pub trade_history_cap: usize,
}

impl EngineConfig {
    /// A config with the given seed and markets and defaults for the rest (static prices).
    pub fn new(seed: u64, markets: Vec<MarketConfig>) -> Self {
        Self {
            seed,
            markets,
            fees: FeeConfig::default(),
            house: HouseConfig::default(),
            price_process: PriceProcess::Static,
            recent_trades_cap: 1000,
            order_history_cap: 10_000,
            trade_history_cap: 10_000,
        }
    }
}
