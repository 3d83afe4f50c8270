//! Per-market state: filters, the book, open orders, pending stops, the public tape and
//! 1-minute klines.

use super::book::{dcmp, Book, ChangedLevels};
use super::dmath::add;
use super::grid::Grid;
use super::marketdata::{Kline, PublicTrade, SymbolInfo};
use super::open::OpenOrders;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// A multiplicative hasher for u64 ids: order ids are sequential, so SipHash's DoS resistance
/// buys nothing here and costs a third of a cancel.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Eight bytes per round: a 22-character client order id is 3 multiplies, not 22.
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 60));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
}

impl IdHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
/// A map with the fast hasher for any key.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Best bid and best ask (price, quantity), each absent when that side is empty.
pub(crate) type Bbo = (Option<(Decimal, Decimal)>, Option<(Decimal, Decimal)>);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Market {
    pub info: SymbolInfo,
    /// PRICE_FILTER and LOT_SIZE as integer grids (built from `info`; absent in snapshots
    /// from before they existed, or when the numbers do not fit: then Decimal checks run).
    #[serde(default)]
    pub price_grid: Option<Grid>,
    #[serde(default)]
    pub qty_grid: Option<Grid>,
    pub base: u32,
    pub quote: u32,
    pub book: Book,
    /// Every open order (resting or pending stop) by id.
    pub open: OpenOrders,
    /// Pending stops that fire when the last price rises to their stop price: (stop, id).
    pub stops_rise: BTreeSet<(Decimal, u64)>,
    /// Pending stops that fire when the last price falls to their stop price.
    pub stops_fall: BTreeSet<(Decimal, u64)>,
    /// Open house quotes.
    pub house_orders: Vec<u64>,
    /// The house ladder of the last full re-quote: (side, price, id of the quote placed
    /// there, 0 when none rests). A static market's `tick` tops up the levels whose quote is
    /// no longer open (order ids are never reused, so "open" means "still that quote").
    #[serde(default)]
    pub house_ladder: Vec<(super::types::Side, Decimal, u64)>,
    pub next_order_id: u64,
    pub next_trade_id: u64,
    pub update_id: u64,
    pub reference_price: Decimal,
    pub last_price: Decimal,
    pub last_qty: Decimal,
    pub tape: VecDeque<PublicTrade>,
    pub tape_cap: usize,
    /// 1-minute klines, oldest first, at most `KLINE_CAP`.
    pub klines: VecDeque<Kline>,
    /// Replay cursor (index of the next tape row).
    pub replay_pos: usize,
    /// Per interval (in `KlineInterval::ALL` order): close time of the latest candle
    /// `close_klines` reported, 0 before the first report.
    #[serde(default)]
    pub klines_closed: [u64; 12],
    /// Levels changed during the current operation (price), per side; drained into a
    /// DepthUpdate at the end of the operation.
    #[serde(skip)]
    pub changed_bids: ChangedLevels,
    #[serde(skip)]
    pub changed_asks: ChangedLevels,
    /// Trades of the current operation, emitted as events in order.
    #[serde(skip)]
    pub pending_trades: Vec<PublicTrade>,
    /// Best bid/ask at the start of the current operation.
    #[serde(skip)]
    pub bbo_before: Option<Bbo>,
}

/// Seven days of 1-minute klines: enough for a 1d kline series and the 24h ticker.
pub(crate) const KLINE_CAP: usize = 7 * 24 * 60;

impl Market {
    /// Records a trade on the tape, the klines and the last price. `quote_qty` is
    /// `price × qty` (the caller has it already).
    pub fn record_trade(
        &mut self,
        price: Decimal,
        qty: Decimal,
        quote_qty: Decimal,
        buyer_is_maker: bool,
        now: u64,
    ) -> PublicTrade {
        let t = PublicTrade {
            id: self.next_trade_id,
            price,
            qty,
            quote_qty,
            time: now,
            is_buyer_maker: buyer_is_maker,
        };
        self.next_trade_id += 1;
        self.last_price = price;
        self.last_qty = qty;
        if self.tape.len() >= self.tape_cap.max(1) {
            self.tape.pop_front();
        }
        self.tape.push_back(t);
        self.add_to_kline(&t);
        self.pending_trades.push(t);
        t
    }

    fn add_to_kline(&mut self, t: &PublicTrade) {
        const MIN: u64 = 60_000;
        let open_time = t.time - t.time % MIN;
        let taker_buy = !t.is_buyer_maker;
        match self.klines.back_mut() {
            Some(k) if k.open_time == open_time => {
                if dcmp(t.price, k.high) == Ordering::Greater {
                    k.high = t.price;
                }
                if dcmp(t.price, k.low) == Ordering::Less {
                    k.low = t.price;
                }
                k.close = t.price;
                k.volume = add(k.volume, t.qty);
                k.quote_volume = add(k.quote_volume, t.quote_qty);
                k.trades += 1;
                if taker_buy {
                    k.taker_buy_base_volume = add(k.taker_buy_base_volume, t.qty);
                    k.taker_buy_quote_volume = add(k.taker_buy_quote_volume, t.quote_qty);
                }
            }
            // A trade stamped before the current candle (a clock that went back) joins the
            // current candle rather than reordering history.
            Some(k) if k.open_time > open_time => {
                k.close = t.price;
                k.high = k.high.max(t.price);
                k.low = k.low.min(t.price);
                k.volume += t.qty;
                k.quote_volume += t.quote_qty;
                k.trades += 1;
            }
            _ => {
                if self.klines.len() >= KLINE_CAP {
                    self.klines.pop_front();
                }
                self.klines.push_back(Kline {
                    open_time,
                    open: t.price,
                    high: t.price,
                    low: t.price,
                    close: t.price,
                    volume: t.qty,
                    close_time: open_time + MIN - 1,
                    quote_volume: t.quote_qty,
                    trades: 1,
                    taker_buy_base_volume: if taker_buy { t.qty } else { Decimal::ZERO },
                    taker_buy_quote_volume: if taker_buy {
                        t.quote_qty
                    } else {
                        Decimal::ZERO
                    },
                });
            }
        }
    }

    /// Rounds `p` to the nearest tick, at least one tick.
    pub fn round_to_tick(&self, p: Decimal) -> Decimal {
        let tick = self.info.tick_size;
        let r = (p / tick).round() * tick;
        self.canonical_price(r.max(tick))
    }

    /// Rounds a quantity down to the step size.
    pub fn floor_to_step(&self, q: Decimal) -> Decimal {
        let step = self.info.step_size;
        ((q / step).floor() * step).normalize()
    }
}

impl Market {
    /// `p` at the market's price scale (that of the tick size) when that loses nothing.
    pub fn canonical_price(&self, p: Decimal) -> Decimal {
        let scale = self.info.tick_size.scale().max(self.info.min_price.scale());
        if p.scale() == scale {
            return p;
        }
        let mut r = p;
        r.rescale(scale);
        if r == p {
            r
        } else {
            p
        }
    }

    /// Largest multiple of the tick at or below `p` (at least one tick).
    pub fn floor_to_tick(&self, p: Decimal) -> Decimal {
        let tick = self.info.tick_size;
        self.canonical_price(((p / tick).floor() * tick).max(tick))
    }

    /// Smallest multiple of the tick at or above `p`.
    pub fn ceil_to_tick(&self, p: Decimal) -> Decimal {
        let tick = self.info.tick_size;
        self.canonical_price(((p / tick).ceil() * tick).max(tick))
    }
}
