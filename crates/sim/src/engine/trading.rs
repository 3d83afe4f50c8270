//! The trading API of [`Engine`]: place, test, cancel and query orders, and account trades.

use super::book::positive;
use super::engine::Engine;
use super::events::EngineEvent;
use super::order::{AccountTrade, Fill, NewOrder, Order, OrderRef, OrderResult, Output};
use super::reject::RejectReason;
use super::text::ShortStr;
use super::types::{AccountId, ExecutionType, OrderStatus, OrderType, Side};
use super::validate::rises;
use rand::Rng;
use rust_decimal::Decimal;

/// Binance's `limit` cap for list queries.
pub const MAX_QUERY_LIMIT: usize = 1000;

impl Engine {
    /// Places an order (`POST /api/v3/order`). On success the order may be resting, pending
    /// (stops), filled or expired; the result carries its fills and every event it caused
    /// (including stops it set off). A rejection changes nothing.
    pub fn place_order(
        &mut self,
        account: AccountId,
        req: &NewOrder,
        now_ms: u64,
    ) -> Result<OrderResult, RejectReason> {
        let mut out = Output::default();
        let order = self.place_order_into(account, req, now_ms, &mut out)?;
        Ok(OrderResult {
            order,
            fills: out.fills,
            events: out.events,
        })
    }

    /// [`Engine::place_order`] into reusable buffers: appends the events and this order's
    /// fills to `out` and returns the order as it stands now. A rejection appends nothing.
    pub fn place_order_into(
        &mut self,
        account: AccountId,
        req: &NewOrder,
        now_ms: u64,
        out: &mut Output,
    ) -> Result<Order, RejectReason> {
        let Output { events, fills } = out;
        self.with_sink(events, |e| e.place(account, req, now_ms, fills))
    }

    fn place(
        &mut self,
        account: AccountId,
        req: &NewOrder,
        now_ms: u64,
        fills: &mut Vec<Fill>,
    ) -> Result<Order, RejectReason> {
        let c = self.check_new(account, req)?;
        let m = c.market;
        self.begin(m);
        let (lock_asset, lock_amount) = self.funds_needed(m, req.side, req.order_type, &c);
        if !lock_amount.is_zero() && self.ledger.lock(account, lock_asset, lock_amount).is_err() {
            self.abort();
            return Err(RejectReason::InsufficientBalance);
        }
        let client_order_id = match c.client_id {
            Some(id) => id,
            None => self.generate_client_id(),
        };
        let mk = &mut self.markets[m];
        let order_id = mk.next_order_id;
        mk.next_order_id += 1;
        let is_stop = req.order_type.is_stop();
        let o = Order {
            symbol: mk.info.symbol,
            order_id,
            account,
            client_order_id,
            side: req.side,
            order_type: req.order_type,
            time_in_force: c.tif,
            price: c.price,
            orig_qty: c.qty,
            executed_qty: Decimal::ZERO,
            cummulative_quote_qty: Decimal::ZERO,
            orig_quote_order_qty: c.quote_qty,
            stop_price: c.stop_price,
            status: OrderStatus::New,
            time: now_ms,
            update_time: now_ms,
            is_working: !is_stop,
            working_time: if is_stop { 0 } else { now_ms },
            locked: lock_amount,
        };
        self.report(&o, ExecutionType::New, None, now_ms);
        let order = if is_stop {
            // A pending stop is open from now on; other orders are registered by `execute`
            // if they rest.
            self.register_open(m, &o);
            let mk = &mut self.markets[m];
            let key = (o.stop_price, o.order_id);
            if rises(o.order_type, o.side) {
                mk.stops_rise.insert(key);
            } else {
                mk.stops_fall.insert(key);
            }
            mk.open.insert(o.order_id, o);
            o
        } else {
            self.execute(m, o, now_ms, fills, false)
        };
        self.run_stops(m, now_ms);
        self.finish_in_place(now_ms);
        // A stop set off by this order's own trades may have changed nothing of it, but a
        // resting order may have traded since: report its latest state.
        Ok(self.markets[m]
            .open
            .get(&order.order_id)
            .copied()
            .unwrap_or(order))
    }

    /// Validates an order like `place_order` would, funds included, without placing it
    /// (`POST /api/v3/order/test`).
    pub fn test_order(&self, account: AccountId, req: &NewOrder) -> Result<(), RejectReason> {
        let c = self.check_new(account, req)?;
        let (asset, amount) = self.funds_needed(c.market, req.side, req.order_type, &c);
        if self.ledger.slot(account, asset).free < amount {
            return Err(RejectReason::InsufficientBalance);
        }
        Ok(())
    }

    /// Cancels one open order (`DELETE /api/v3/order`). Unknown, closed or someone else's
    /// orders give -2011. `cancel_client_id` is the cancel request's own `newClientOrderId`:
    /// when given, the CANCELED executionReport carries it (Binance's `c`, with the order's
    /// client id in `C`); a malformed one is -1100 and cancels nothing.
    pub fn cancel_order(
        &mut self,
        account: AccountId,
        symbol: &str,
        which: &OrderRef,
        cancel_client_id: Option<&str>,
        now_ms: u64,
    ) -> Result<(Order, Vec<EngineEvent>), RejectReason> {
        let mut events = Vec::new();
        let o = self.cancel_order_into(
            account,
            symbol,
            which,
            cancel_client_id,
            now_ms,
            &mut events,
        )?;
        Ok((o, events))
    }

    /// [`Engine::cancel_order`] into a reusable buffer: appends the events to `events` and
    /// returns the cancelled order. A rejection appends nothing.
    pub fn cancel_order_into(
        &mut self,
        account: AccountId,
        symbol: &str,
        which: &OrderRef,
        cancel_client_id: Option<&str>,
        now_ms: u64,
        events: &mut Vec<EngineEvent>,
    ) -> Result<Order, RejectReason> {
        let m = self.market_index(symbol)?;
        let cancel_id = match cancel_client_id {
            None => None,
            Some(s) => Some(
                super::validate::parse_client_id(s)
                    .ok_or_else(super::validate::illegal_client_id)?,
            ),
        };
        let id = self
            .find_open(account, m, which)
            .ok_or(RejectReason::UnknownOrderOnCancel)?;
        self.with_sink(events, |e| {
            e.begin(m);
            let Some(o) = e.remove_open(m, id, OrderStatus::Canceled, cancel_id, now_ms) else {
                e.abort();
                return Err(RejectReason::UnknownOrderOnCancel);
            };
            e.finish_in_place(now_ms);
            Ok(o)
        })
    }

    /// Cancels every open order of the account on `symbol` (`DELETE /api/v3/openOrders`);
    /// -2011 when there is none, like Binance.
    pub fn cancel_all(
        &mut self,
        account: AccountId,
        symbol: &str,
        now_ms: u64,
    ) -> Result<(Vec<Order>, Vec<EngineEvent>), RejectReason> {
        let m = self.market_index(symbol)?;
        let mut ids: Vec<u64> = self.markets[m]
            .open
            .values()
            .filter(|o| o.account == account)
            .map(|o| o.order_id)
            .collect();
        if ids.is_empty() {
            return Err(RejectReason::UnknownOrderOnCancel);
        }
        ids.sort_unstable();
        self.begin(m);
        let orders = ids
            .into_iter()
            .filter_map(|id| self.remove_open(m, id, OrderStatus::Canceled, None, now_ms))
            .collect();
        Ok((orders, self.finish(now_ms)))
    }

    /// One order of the account, open or closed (`GET /api/v3/order`); -2013 when unknown.
    pub fn order(
        &self,
        account: AccountId,
        symbol: &str,
        which: &OrderRef,
    ) -> Result<Order, RejectReason> {
        let m = self.market_index(symbol)?;
        if let Some(id) = self.find_open(account, m, which) {
            if let Some(o) = self.markets[m].open.get(&id) {
                return Ok(*o);
            }
        }
        let closed = self
            .users
            .get(account.idx())
            .and_then(|u| u.closed.get(m))
            .ok_or(RejectReason::OrderDoesNotExist)?;
        let found = match which {
            OrderRef::Id(id) => closed
                .binary_search_by_key(id, |o| o.order_id)
                .ok()
                .and_then(|i| closed.get(i)),
            OrderRef::ClientId(cid) => closed
                .iter()
                .rev()
                .find(|o| o.client_order_id.as_bytes() == cid.as_bytes()),
        };
        found.copied().ok_or(RejectReason::OrderDoesNotExist)
    }

    /// Open orders of the account, on one symbol or all (`GET /api/v3/openOrders`), oldest first.
    pub fn open_orders(
        &self,
        account: AccountId,
        symbol: Option<&str>,
    ) -> Result<Vec<Order>, RejectReason> {
        let markets: Vec<usize> = match symbol {
            Some(s) => vec![self.market_index(s)?],
            None => (0..self.markets.len()).collect(),
        };
        let mut out = Vec::new();
        for m in markets {
            let count = self
                .users
                .get(account.idx())
                .and_then(|u| u.open_count.get(m))
                .copied()
                .unwrap_or(0);
            if count == 0 {
                continue;
            }
            let mut these: Vec<Order> = self.markets[m]
                .open
                .values()
                .filter(|o| o.account == account)
                .copied()
                .collect();
            these.sort_unstable_by_key(|o| o.order_id);
            out.extend(these);
        }
        Ok(out)
    }

    /// Orders of the account on `symbol`, open and closed (`GET /api/v3/allOrders`): from
    /// `from_order_id` upwards when given, else the most recent; within the optional time
    /// window; at most `limit` (capped at 1000), oldest first.
    pub fn all_orders(
        &self,
        account: AccountId,
        symbol: &str,
        from_order_id: Option<u64>,
        start_ms: Option<u64>,
        end_ms: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Order>, RejectReason> {
        let m = self.market_index(symbol)?;
        let mut all: Vec<Order> = self
            .users
            .get(account.idx())
            .and_then(|u| u.closed.get(m))
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default();
        all.extend(
            self.markets[m]
                .open
                .values()
                .filter(|o| o.account == account)
                .copied(),
        );
        all.sort_unstable_by_key(|o| o.order_id);
        all.retain(|o| {
            from_order_id.is_none_or(|f| o.order_id >= f)
                && start_ms.is_none_or(|s| o.time >= s)
                && end_ms.is_none_or(|e| o.time <= e)
        });
        Ok(take_window(all, from_order_id.is_some(), limit))
    }

    /// Fills of the account on `symbol` (`GET /api/v3/myTrades`), same windowing rules as
    /// `all_orders` with `from_trade_id`.
    pub fn my_trades(
        &self,
        account: AccountId,
        symbol: &str,
        from_trade_id: Option<u64>,
        start_ms: Option<u64>,
        end_ms: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AccountTrade>, RejectReason> {
        let m = self.market_index(symbol)?;
        let all: Vec<AccountTrade> = self
            .users
            .get(account.idx())
            .and_then(|u| u.trades.get(m))
            .map(|t| {
                t.iter()
                    .filter(|t| {
                        from_trade_id.is_none_or(|f| t.fill.trade_id >= f)
                            && start_ms.is_none_or(|s| t.time >= s)
                            && end_ms.is_none_or(|e| t.time <= e)
                    })
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        Ok(take_window(all, from_trade_id.is_some(), limit))
    }

    fn find_open(&self, account: AccountId, m: usize, which: &OrderRef) -> Option<u64> {
        match which {
            OrderRef::Id(id) => self.markets[m]
                .open
                .get(id)
                .filter(|o| o.account == account)
                .map(|o| o.order_id),
            OrderRef::ClientId(cid) => {
                let key = ShortStr::new(cid)?;
                let (mi, id) = *self.users.get(account.idx())?.open_by_client.get(&key)?;
                (mi as usize == m).then_some(id)
            }
        }
    }

    /// (asset index, amount) an order must lock when placed.
    pub(crate) fn funds_needed(
        &self,
        m: usize,
        side: Side,
        t: OrderType,
        c: &super::validate::Checked,
    ) -> (u32, Decimal) {
        let mk = &self.markets[m];
        match (side, t) {
            (Side::Sell, OrderType::Market) if positive(c.quote_qty) => (
                mk.base,
                self.simulate_walk(m, side, None, None, Some(c.quote_qty)).0,
            ),
            (Side::Sell, _) => (mk.base, c.qty),
            (Side::Buy, OrderType::Market) if positive(c.quote_qty) => (mk.quote, c.quote_qty),
            (Side::Buy, OrderType::Market) => (
                mk.quote,
                self.simulate_walk(m, side, None, Some(c.qty), None).1,
            ),
            // A stop-market BUY's cost is unknown until it fires; its funds are checked then.
            (Side::Buy, OrderType::StopLoss | OrderType::TakeProfit) => (mk.quote, Decimal::ZERO),
            (Side::Buy, _) => (mk.quote, super::dmath::mul(c.price, c.qty)),
        }
    }

    fn generate_client_id(&mut self) -> ShortStr {
        // 64 characters of Binance's client-id charset: 6 bits per character, so digits come
        // from shifts, not divisions.
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        // 22 characters, 11 from each of two random u64 (the 11th of each takes its last 4
        // bits): all 128 random bits are used.
        let mut buf = [0u8; 22];
        for half in buf.chunks_mut(11) {
            let mut n: u64 = self.rng.gen();
            for b in half {
                *b = ALPHABET[(n & 63) as usize];
                n >>= 6;
            }
        }
        ShortStr::from_ascii(&buf).unwrap_or_default()
    }

    /// Fires pending stops crossed by the last price, repeatedly (a fired stop's trades move
    /// the price and may fire others), oldest order first within one round.
    pub(crate) fn run_stops(&mut self, m: usize, now: u64) {
        loop {
            let mk = &mut self.markets[m];
            let last = mk.last_price;
            let rise_due = mk.stops_rise.first().is_some_and(|(s, _)| *s <= last);
            let fall_due = mk.stops_fall.last().is_some_and(|(s, _)| *s >= last);
            if !rise_due && !fall_due {
                return;
            }
            let mut fired: Vec<(Decimal, u64)> =
                mk.stops_rise.range(..=(last, u64::MAX)).copied().collect();
            fired.extend(mk.stops_fall.range((last, 0)..).copied());
            if fired.is_empty() {
                return;
            }
            fired.sort_unstable_by_key(|(_, id)| *id);
            for key in &fired {
                mk.stops_rise.remove(key);
                mk.stops_fall.remove(key);
            }
            for (_, id) in fired {
                self.trigger(m, id, now);
            }
        }
    }

    fn trigger(&mut self, m: usize, id: u64, now: u64) {
        let Some(mut o) = self.markets[m].open.remove(&id) else {
            return;
        };
        o.is_working = true;
        o.working_time = now;
        o.update_time = now;
        if o.side == Side::Buy && !o.order_type.has_limit_price() {
            let cost = self
                .simulate_walk(m, Side::Buy, None, Some(o.remaining_qty()), None)
                .1;
            let quote = self.markets[m].quote;
            if self.ledger.lock(o.account, quote, cost).is_err() {
                o.status = OrderStatus::Expired;
                self.report(&o, ExecutionType::Expired, None, now);
                self.close(m, &o);
                return;
            }
            o.locked = cost;
        }
        let mut fills: Vec<Fill> = Vec::new();
        self.execute(m, o, now, &mut fills, true);
    }
}

fn take_window<T>(mut all: Vec<T>, from_start: bool, limit: usize) -> Vec<T> {
    let limit = limit.clamp(1, MAX_QUERY_LIMIT);
    if all.len() > limit {
        if from_start {
            all.truncate(limit);
        } else {
            all.drain(..all.len() - limit);
        }
    }
    all
}
