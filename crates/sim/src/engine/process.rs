//! The market around the users: the house market maker's quotes, price jumps (`trade_at`) and
//! the price process (`tick`).
//!
//! House behaviour: on every price move (`trade_at`, a random-walk or replay step) the house
//! cancels its quotes and places a fresh ladder of `levels` quotes per side around the new
//! reference price. On a static market the price never moves, so `tick` only tops the ladder
//! up: a level whose quote was filled away gets a new quote at the same price with a fresh
//! random size; quotes still open (partly filled or not) stay as they are, keeping their
//! queue place. Re-placing all 40 quotes every tick cost ~12% of the matching bench.

use super::config::PriceProcess;
use super::engine::{Engine, HOUSE_ACCOUNT};
use super::events::EngineEvent;
use super::order::Order;
use super::reject::RejectReason;
use super::text::ShortStr;
use super::types::{OrderStatus, OrderType, Side, TimeInForce};
use rand::Rng;
use rust_decimal::Decimal;

const BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

impl Engine {
    /// The market trades at `price` now (control plane `POST /sim/v1/trade`): resting user
    /// orders the jump crossed fill at their limit prices (best first) against the house,
    /// the public trade at `price` prints, the house re-quotes around it, and pending stops
    /// that the new last price crossed fire into the fresh book. `price` is rounded to the tick.
    pub fn trade_at(
        &mut self,
        symbol: &str,
        price: Decimal,
        now_ms: u64,
    ) -> Result<Vec<EngineEvent>, RejectReason> {
        let m = self.market_index(symbol)?;
        if price <= Decimal::ZERO || price > self.markets[m].info.max_price {
            return Err(RejectReason::InvalidPrice);
        }
        let p = self.markets[m].round_to_tick(price);
        self.begin(m);
        self.jump(m, p, None, now_ms);
        Ok(self.finish(now_ms))
    }

    /// Advances the price process one step for every market and returns the events.
    /// Static markets only have the house ladder topped up (levels filled away re-placed).
    pub fn tick(&mut self, now_ms: u64) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        self.tick_into(now_ms, &mut events);
        events
    }

    /// [`Engine::tick`] into a reusable buffer: appends the events to `events`.
    pub fn tick_into(&mut self, now_ms: u64, events: &mut Vec<EngineEvent>) {
        self.with_sink(events, |e| e.step(now_ms));
    }

    fn step(&mut self, now_ms: u64) {
        for m in 0..self.markets.len() {
            self.begin(m);
            match &self.config.price_process {
                PriceProcess::Static => {
                    let mk = &self.markets[m];
                    if mk.house_ladder.is_empty() {
                        // No ladder yet (e.g. a snapshot from before ladders were kept).
                        self.requote(m, now_ms);
                        self.run_stops(m, now_ms);
                    } else if mk.house_orders.len() < mk.house_ladder.len() {
                        self.top_up_house(m, now_ms);
                        self.run_stops(m, now_ms);
                    }
                }
                PriceProcess::RandomWalk { volatility } => {
                    let vol = *volatility;
                    // Sum of three uniforms on (−1, 1): mean 0, variance 1, bell-shaped; drawn
                    // as integers so no float ever touches a price.
                    let z: i64 = (0..3)
                        .map(|_| self.rng.gen_range(-1_000_000i64..=1_000_000))
                        .sum();
                    let z = Decimal::new(z, 6);
                    let mk = &self.markets[m];
                    let next = mk.reference_price * (Decimal::ONE + vol * z);
                    let next = mk.round_to_tick(next).min(mk.info.max_price);
                    self.jump(m, next, None, now_ms);
                }
                PriceProcess::Replay { tapes } => {
                    let symbol = self.markets[m].info.symbol;
                    let row = tapes
                        .iter()
                        .find(|(s, _)| s.as_str() == symbol.as_str())
                        .and_then(|(_, rows)| {
                            (!rows.is_empty())
                                .then(|| rows[self.markets[m].replay_pos % rows.len()].clone())
                        });
                    if let Some(row) = row {
                        self.markets[m].replay_pos += 1;
                        let mk = &self.markets[m];
                        let p = mk.round_to_tick(row.price).min(mk.info.max_price);
                        let q = mk.floor_to_step(row.qty).max(mk.info.min_qty);
                        self.jump(m, p, Some(q), now_ms);
                    }
                }
            }
        }
        self.finish_in_place(now_ms);
    }

    /// The reference price the house quotes around.
    pub fn reference_price(&self, symbol: &str) -> Result<Decimal, RejectReason> {
        Ok(self.market(symbol)?.reference_price)
    }

    fn jump(&mut self, m: usize, price: Decimal, qty: Option<Decimal>, now: u64) {
        self.cancel_house(m, now);
        // Resting user orders the move went through trade against the house.
        for side in [Side::Buy, Side::Sell] {
            let (crossed, _) = self.simulate_walk(m, side.opposite(), Some(price), None, None);
            if crossed > Decimal::ZERO {
                self.place_house(m, side.opposite(), price, crossed, TimeInForce::Ioc, now);
            }
        }
        let q = match qty {
            Some(q) => q,
            None => self.random_size(m, price, Decimal::new(1, 2)),
        };
        let buyer_is_maker = self.rng.gen_bool(0.5);
        let mk = &mut self.markets[m];
        if q > Decimal::ZERO {
            mk.record_trade(price, q, price * q, buyer_is_maker, now);
        }
        mk.last_price = price;
        mk.reference_price = price;
        self.requote(m, now);
        self.run_stops(m, now);
    }

    fn cancel_house(&mut self, m: usize, now: u64) {
        let ids = std::mem::take(&mut self.markets[m].house_orders);
        for id in ids {
            self.remove_open(m, id, OrderStatus::Canceled, None, now);
        }
    }

    /// Re-places the ladder levels that have no open house quote any more (takers filled
    /// them away) with fresh sizes, at the ladder's prices. Quotes still open, even partly
    /// filled, keep their size and their place in the queue, like a real market maker's.
    fn top_up_house(&mut self, m: usize, now: u64) {
        let (lo, hi) = (
            self.config.house.min_level_notional,
            self.config.house.max_level_notional,
        );
        for i in 0..self.markets[m].house_ladder.len() {
            let mk = &self.markets[m];
            let (side, price, id) = mk.house_ladder[i];
            if mk.open.get(&id).is_some() {
                continue;
            }
            let id = self
                .place_house_level(m, side, price, lo, hi, now)
                .unwrap_or(0);
            self.markets[m].house_ladder[i].2 = id;
        }
    }

    /// One house quote of a random notional in `[lo, hi]` at `price`: `Err` when its size
    /// falls outside the lot filter (nothing placed), else the id of the quote if it rests.
    fn place_house_level(
        &mut self,
        m: usize,
        side: Side,
        price: Decimal,
        lo: Decimal,
        hi: Decimal,
        now: u64,
    ) -> Result<u64, ()> {
        let notional = self.random_notional(lo, hi);
        let qty = self.markets[m].floor_to_step(notional / price);
        let info = &self.markets[m].info;
        let qty = qty.min(info.max_qty);
        if qty >= info.min_qty {
            Ok(self
                .place_house(m, side, price, qty, TimeInForce::Gtc, now)
                .unwrap_or(0))
        } else {
            Err(())
        }
    }

    /// Replaces the house quotes with `levels` fresh levels each side of the reference price.
    pub(crate) fn requote(&mut self, m: usize, now: u64) {
        self.cancel_house(m, now);
        self.markets[m].house_ladder.clear();
        let h = self.config.house.clone();
        let reference = self.markets[m].reference_price;
        let tick = self.markets[m].info.tick_size;
        let mut last_bid: Option<Decimal> = None;
        let mut last_ask: Option<Decimal> = None;
        for i in 0..h.levels {
            let off = (h.first_level_bps + h.level_spacing_bps * Decimal::from(i)) / BPS;
            let mk = &self.markets[m];
            let mut bid = mk.floor_to_tick(reference * (Decimal::ONE - off));
            let mut ask = mk.ceil_to_tick(reference * (Decimal::ONE + off));
            if ask <= reference {
                ask = reference + tick;
            }
            if bid >= reference {
                bid = reference - tick;
            }
            if let Some(b) = last_bid {
                bid = bid.min(b - tick);
            }
            if let Some(a) = last_ask {
                ask = ask.max(a + tick);
            }
            last_bid = Some(bid);
            last_ask = Some(ask);
            for (side, price) in [(Side::Buy, bid), (Side::Sell, ask)] {
                if price < mk_min_price(self, m) || price > self.markets[m].info.max_price {
                    continue;
                }
                let (lo, hi) = (h.min_level_notional, h.max_level_notional);
                if let Ok(id) = self.place_house_level(m, side, price, lo, hi, now) {
                    self.markets[m].house_ladder.push((side, price, id));
                }
            }
        }
    }

    fn random_notional(&mut self, lo: Decimal, hi: Decimal) -> Decimal {
        if hi <= lo {
            return lo;
        }
        let u = Decimal::new(self.rng.gen_range(0..=1_000_000i64), 6);
        lo + (hi - lo) * u
    }

    fn random_size(&mut self, m: usize, price: Decimal, fraction: Decimal) -> Decimal {
        let h = &self.config.house;
        let (lo, hi) = (
            h.min_level_notional * fraction,
            h.max_level_notional * fraction,
        );
        let notional = self.random_notional(lo, hi);
        let mk = &self.markets[m];
        mk.floor_to_step(notional / price).max(mk.info.min_qty)
    }

    /// A house LIMIT order, bypassing filters; skipped when the house lacks funds. Returns
    /// its id when it rests in the book.
    fn place_house(
        &mut self,
        m: usize,
        side: Side,
        price: Decimal,
        qty: Decimal,
        tif: TimeInForce,
        now: u64,
    ) -> Option<u64> {
        let mk = &self.markets[m];
        let (asset, amount) = match side {
            Side::Buy => (mk.quote, price * qty),
            Side::Sell => (mk.base, qty),
        };
        if self.ledger.lock(HOUSE_ACCOUNT, asset, amount).is_err() {
            return None;
        }
        let mk = &mut self.markets[m];
        let order_id = mk.next_order_id;
        mk.next_order_id += 1;
        let o = Order {
            symbol: mk.info.symbol,
            order_id,
            account: HOUSE_ACCOUNT,
            client_order_id: ShortStr::empty(),
            side,
            order_type: OrderType::Limit,
            time_in_force: tif,
            price,
            orig_qty: qty,
            executed_qty: Decimal::ZERO,
            cummulative_quote_qty: Decimal::ZERO,
            orig_quote_order_qty: Decimal::ZERO,
            stop_price: Decimal::ZERO,
            status: OrderStatus::New,
            time: now,
            update_time: now,
            is_working: true,
            working_time: now,
            locked: amount,
        };
        let mut fills = Vec::new();
        // House quotes have no client-id bookkeeping either way.
        let o = self.execute(m, o, now, &mut fills, false);
        o.status.is_open().then_some(o.order_id)
    }
}

fn mk_min_price(e: &Engine, m: usize) -> Decimal {
    e.markets[m].info.min_price
}
