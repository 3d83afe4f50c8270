//! Execution: matching a working order against the book, settling trades between accounts
//! (with commissions to the fee account), resting, closing and cancelling orders.
//!
//! Money invariant kept here: every quote/base unit that leaves one account's `locked` lands
//! in another account's `free` or in the fee account, in the same call.

use super::book::{dcmp, positive};
use super::dmath::{add, mul, sub};
use super::engine::{Engine, FEE_ACCOUNT, HOUSE_ACCOUNT};
use super::events::{EngineEvent, ExecutionDetail, ExecutionReportEvent};
use super::order::{AccountTrade, Fill, Order};
use super::text::ShortStr;
use super::types::{ExecutionType, OrderStatus, OrderType, Side, TimeInForce};
use rust_decimal::{Decimal, RoundingStrategy};
use std::cmp::Ordering::{Greater, Less};
use std::collections::hash_map::Entry;

/// Commission precision: Binance reports commissions with 8 decimals.
const FEE_DP: u32 = 8;

fn fee(amount: Decimal, rate: Decimal) -> Decimal {
    if rate.is_zero() {
        return Decimal::ZERO;
    }
    mul(amount, rate).round_dp_with_strategy(FEE_DP, RoundingStrategy::ToZero)
}

impl Engine {
    pub(crate) fn report(
        &mut self,
        o: &Order,
        execution_type: ExecutionType,
        last_fill: Option<Fill>,
        now: u64,
    ) {
        let detail = match last_fill {
            Some(f) => ExecutionDetail::Fill(f),
            None => ExecutionDetail::None,
        };
        self.report_detail(o, execution_type, detail, now);
    }

    fn report_detail(
        &mut self,
        o: &Order,
        execution_type: ExecutionType,
        detail: ExecutionDetail,
        now: u64,
    ) {
        if o.account == HOUSE_ACCOUNT {
            return;
        }
        self.events
            .push(EngineEvent::ExecutionReport(ExecutionReportEvent {
                account: o.account,
                order: *o,
                execution_type,
                detail,
                transaction_time: now,
            }));
    }

    /// Records that the level at `price` now holds `qty` (zero: removed) for the depth event.
    fn mark_level(&mut self, m: usize, side: Side, price: Decimal, qty: Decimal) {
        let mk = &mut self.markets[m];
        let v = match side {
            Side::Buy => &mut mk.changed_bids,
            Side::Sell => &mut mk.changed_asks,
        };
        v.mark(price, qty);
    }

    /// What a walk of the opposite side would execute: (base qty, quote amount). `qty` caps the
    /// base quantity, `quote_budget` the quote amount (quoteOrderQty), `limit` the price.
    pub(crate) fn simulate_walk(
        &self,
        m: usize,
        side: Side,
        limit: Option<Decimal>,
        qty: Option<Decimal>,
        quote_budget: Option<Decimal>,
    ) -> (Decimal, Decimal) {
        let mk = &self.markets[m];
        let mut base = Decimal::ZERO;
        let mut quote = Decimal::ZERO;
        for (price, level) in mk.book.levels(side.opposite()) {
            let price = *price;
            if let Some(l) = limit {
                if (side == Side::Buy && price > l) || (side == Side::Sell && price < l) {
                    break;
                }
            }
            let mut take = level.qty;
            if let Some(q) = qty {
                take = take.min(q - base);
            }
            if let Some(b) = quote_budget {
                take = take.min(mk.floor_to_step((b - quote) / price));
            }
            if take <= Decimal::ZERO {
                break;
            }
            base += take;
            quote += price * take;
        }
        (base, quote)
    }

    /// Matches a working taker order against the book until it is done, the book runs out,
    /// or the limit price stops it. Fills are appended to `fills`.
    pub(crate) fn match_taker(
        &mut self,
        m: usize,
        taker: &mut Order,
        now: u64,
        fills: &mut Vec<Fill>,
    ) {
        let opp = taker.side.opposite();
        let limit = if taker.order_type.has_limit_price() {
            Some(taker.price)
        } else {
            None
        };
        let by_quote =
            taker.order_type == OrderType::Market && positive(taker.orig_quote_order_qty);
        loop {
            let mk = &mut self.markets[m];
            let step = mk.info.step_size;
            // One tree descent per fill: the best level's entry, removed in place when empty.
            let best = match opp {
                Side::Buy => mk.book.bids.last_entry(),
                Side::Sell => mk.book.asks.first_entry(),
            };
            let Some(mut entry) = best else {
                break;
            };
            let price = entry.key().0;
            if let Some(l) = limit {
                let c = dcmp(price, l);
                if (taker.side == Side::Buy && c == Greater)
                    || (taker.side == Side::Sell && c == Less)
                {
                    break;
                }
            }
            let level = entry.get_mut();
            let Some(&maker_id) = level.queue.front() else {
                entry.remove();
                continue;
            };
            let Some(mut maker) = mk.open.get(&maker_id).copied() else {
                level.queue.pop_front(); // tombstone of a cancelled order
                continue;
            };
            let maker_left = maker.remaining_qty();
            let mut q = maker_left;
            if by_quote {
                let left = taker.orig_quote_order_qty - taker.cummulative_quote_qty;
                q = q.min(((left / price) / step).floor() * step);
            } else {
                q = q.min(taker.remaining_qty());
            }
            if !positive(q) {
                break;
            }
            let maker_done = dcmp(q, maker_left).is_eq();
            level.qty = sub(level.qty, q);
            let mut left = level.qty;
            if maker_done {
                level.queue.pop_front();
                level.live = level.live.saturating_sub(1);
                if level.live == 0 {
                    left = Decimal::ZERO;
                    entry.remove();
                }
                mk.open.remove(&maker_id);
            }
            self.mark_level(m, opp, price, left);
            let (maker_fill, taker_fill) = self.settle(m, &mut maker, taker, price, q, now);
            if maker_done {
                self.report(&maker, ExecutionType::Trade, Some(maker_fill), now);
                self.close(m, &maker);
            } else if let Some(slot) = self.markets[m].open.get_mut(&maker_id) {
                *slot = maker;
                self.report(&maker, ExecutionType::Trade, Some(maker_fill), now);
            }
            self.report(taker, ExecutionType::Trade, Some(taker_fill), now);
            fills.push(taker_fill);
        }
    }

    /// Moves money for one trade of `q` at `price` and updates both orders; returns the
    /// (maker, taker) fills.
    fn settle(
        &mut self,
        m: usize,
        maker: &mut Order,
        taker: &mut Order,
        price: Decimal,
        q: Decimal,
        now: u64,
    ) -> (Fill, Fill) {
        let (base, quote) = (self.markets[m].base, self.markets[m].quote);
        let quote_amt = mul(price, q);
        let buyer_is_maker = maker.side == Side::Buy;
        let public = self.markets[m].record_trade(price, q, quote_amt, buyer_is_maker, now);
        let mut out = [None, None];
        for (i, o) in [&mut *maker, &mut *taker].into_iter().enumerate() {
            let is_maker = i == 0;
            let acc = o.account;
            let rate = {
                let a = &self.ledger.accounts[acc.idx()];
                if is_maker {
                    a.maker_fee
                } else {
                    a.taker_fee
                }
            };
            let (commission, commission_asset) = match o.side {
                Side::Buy => {
                    self.ledger.debit_locked(acc, quote, quote_amt);
                    o.locked = sub(o.locked, quote_amt);
                    let c = fee(q, rate);
                    self.ledger.credit(acc, base, sub(q, c));
                    if !c.is_zero() {
                        self.ledger.credit(FEE_ACCOUNT, base, c);
                    }
                    (c, self.markets[m].info.base_asset)
                }
                Side::Sell => {
                    self.ledger.debit_locked(acc, base, q);
                    o.locked = sub(o.locked, q);
                    let c = fee(quote_amt, rate);
                    self.ledger.credit(acc, quote, sub(quote_amt, c));
                    if !c.is_zero() {
                        self.ledger.credit(FEE_ACCOUNT, quote, c);
                    }
                    (c, self.markets[m].info.quote_asset)
                }
            };
            o.executed_qty = add(o.executed_qty, q);
            o.cummulative_quote_qty = add(o.cummulative_quote_qty, quote_amt);
            o.update_time = now;
            let by_quote = o.order_type == OrderType::Market && positive(o.orig_quote_order_qty);
            o.status = if !by_quote && dcmp(o.executed_qty, o.orig_qty).is_ge() {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
            // A BUY with a limit price locked limit × qty; a fill at a better price frees the
            // difference so that locked stays exactly limit × remaining.
            if o.side == Side::Buy && o.order_type.has_limit_price() {
                let need = mul(o.price, o.remaining_qty());
                if dcmp(o.locked, need) == Greater {
                    let excess = sub(o.locked, need);
                    self.ledger.unlock(acc, quote, excess);
                    o.locked = need;
                }
            }
            let fill = Fill {
                trade_id: public.id,
                price,
                qty: q,
                quote_qty: quote_amt,
                commission,
                commission_asset,
                is_maker,
            };
            self.record_account_trade(m, o, fill, now);
            out[i] = Some(fill);
        }
        // Both slots were filled by the two loop iterations above.
        let empty = Fill {
            trade_id: public.id,
            price,
            qty: q,
            quote_qty: quote_amt,
            commission: Decimal::ZERO,
            commission_asset: self.markets[m].info.quote_asset,
            is_maker: false,
        };
        (out[0].unwrap_or(empty), out[1].unwrap_or(empty))
    }

    fn record_account_trade(&mut self, m: usize, o: &Order, fill: Fill, now: u64) {
        if o.account == HOUSE_ACCOUNT {
            return;
        }
        let cap = self.config.trade_history_cap.max(1);
        let symbol = self.markets[m].info.symbol;
        if let Some(list) = self
            .users
            .get_mut(o.account.idx())
            .and_then(|u| u.trades.get_mut(m))
        {
            if list.len() >= cap {
                list.pop_front();
            }
            list.push_back(AccountTrade {
                symbol,
                order_id: o.order_id,
                side: o.side,
                fill,
                time: now,
            });
        }
    }

    /// Registers an order as open for its account (client id, count). Not for house orders.
    pub(crate) fn register_open(&mut self, m: usize, o: &Order) {
        if o.account == HOUSE_ACCOUNT {
            return;
        }
        if let Some(u) = self.users.get_mut(o.account.idx()) {
            u.open_by_client
                .insert(o.client_order_id, (m as u32, o.order_id));
            if let Some(c) = u.open_count.get_mut(m) {
                *c += 1;
            }
        }
    }

    /// Files a finished order (no longer in `open`) into its account's history.
    pub(crate) fn close(&mut self, m: usize, o: &Order) {
        self.close_as(m, o, true);
    }

    /// [`Engine::close`] for an order that was `registered` as open by
    /// [`Engine::register_open`] or not (a taker that never rested): only a registered one
    /// has a client-id entry and an open count to drop, so the others skip that hash probe.
    pub(crate) fn close_as(&mut self, m: usize, o: &Order, registered: bool) {
        if o.account == HOUSE_ACCOUNT {
            let list = &mut self.markets[m].house_orders;
            if let Some(pos) = list.iter().position(|id| *id == o.order_id) {
                list.swap_remove(pos);
            }
            return;
        }
        let cap = self.config.order_history_cap.max(1);
        if let Some(u) = self.users.get_mut(o.account.idx()) {
            if registered {
                // One probe: drop the client id only when it still names this order.
                if let Entry::Occupied(e) = u.open_by_client.entry(o.client_order_id) {
                    if *e.get() == (m as u32, o.order_id) {
                        e.remove();
                    }
                }
                if let Some(c) = u.open_count.get_mut(m) {
                    *c = c.saturating_sub(1);
                }
            }
            if let Some(list) = u.closed.get_mut(m) {
                if list.len() >= cap {
                    list.pop_front();
                }
                list.push_back(*o);
            }
        }
    }

    /// Releases whatever an order still has locked.
    pub(crate) fn release(&mut self, m: usize, o: &mut Order) {
        if positive(o.locked) {
            let asset = match o.side {
                Side::Buy => self.markets[m].quote,
                Side::Sell => self.markets[m].base,
            };
            self.ledger.unlock(o.account, asset, o.locked);
            o.locked = Decimal::ZERO;
        }
    }

    /// Runs a working order (funds already locked, not in `open`): FOK check, matching, then
    /// rest (GTC with a limit price) or expire the remainder. `registered` says whether the
    /// order is already registered as open (a fired stop); a new order is registered only
    /// when it rests, since nothing can look up a taker by client id while it executes and
    /// most takers never rest (that saves two hash-map operations per taker).
    pub(crate) fn execute(
        &mut self,
        m: usize,
        mut o: Order,
        now: u64,
        fills: &mut Vec<Fill>,
        registered: bool,
    ) -> Order {
        let has_limit = o.order_type.has_limit_price();
        if has_limit && o.time_in_force == TimeInForce::Fok {
            let want = o.remaining_qty();
            let (fillable, _) = self.simulate_walk(m, o.side, Some(o.price), Some(want), None);
            if fillable < want {
                self.release(m, &mut o);
                o.status = OrderStatus::Expired;
                o.update_time = now;
                self.report(&o, ExecutionType::Expired, None, now);
                self.close_as(m, &o, registered);
                return o;
            }
        }
        self.match_taker(m, &mut o, now, fills);
        let by_quote = o.order_type == OrderType::Market && positive(o.orig_quote_order_qty);
        if by_quote {
            // Binance reports the executed quantity as origQty of a quoteOrderQty order.
            let spent_all = {
                let left = o.orig_quote_order_qty - o.cummulative_quote_qty;
                let next = self.markets[m].book.best(o.side.opposite()).map(|(p, _)| p);
                match next {
                    Some(p) => self.markets[m].floor_to_step(left / p).is_zero(),
                    None => false,
                }
            };
            o.orig_qty = o.executed_qty;
            self.release(m, &mut o);
            o.update_time = now;
            if spent_all && !o.executed_qty.is_zero() {
                o.status = OrderStatus::Filled;
            } else {
                o.status = OrderStatus::Expired;
                self.report(&o, ExecutionType::Expired, None, now);
            }
            self.close_as(m, &o, registered);
            return o;
        }
        let remaining = o.remaining_qty();
        if remaining.is_zero() {
            o.status = OrderStatus::Filled;
            self.release(m, &mut o); // a market BUY may keep a rounding remainder
            self.close_as(m, &o, registered);
            return o;
        }
        if has_limit && o.time_in_force == TimeInForce::Gtc {
            if !registered {
                self.register_open(m, &o);
            }
            let mk = &mut self.markets[m];
            let total = mk.book.insert(o.side, o.price, o.order_id, remaining);
            mk.open.insert(o.order_id, o);
            if o.account == HOUSE_ACCOUNT {
                mk.house_orders.push(o.order_id);
            }
            self.mark_level(m, o.side, o.price, total);
            return o;
        }
        // IOC, FOK leftovers (cannot happen after the check) and MARKET remainders expire.
        self.release(m, &mut o);
        o.status = OrderStatus::Expired;
        o.update_time = now;
        self.report(&o, ExecutionType::Expired, None, now);
        self.close_as(m, &o, registered);
        o
    }

    /// Removes an open order (resting or pending stop) with the given final status and
    /// releases its funds. `cancel_id` is the cancel request's own client id, if any.
    pub(crate) fn remove_open(
        &mut self,
        m: usize,
        id: u64,
        status: OrderStatus,
        cancel_id: Option<ShortStr>,
        now: u64,
    ) -> Option<Order> {
        let mut o = self.markets[m].open.remove(&id)?;
        let mk = &mut self.markets[m];
        if o.is_working {
            let left = mk.book.remove(o.side, o.price, o.remaining_qty());
            self.mark_level(m, o.side, o.price, left);
        } else {
            let key = (o.stop_price, o.order_id);
            mk.stops_rise.remove(&key);
            mk.stops_fall.remove(&key);
        }
        self.release(m, &mut o);
        o.status = status;
        o.update_time = now;
        let exec = match status {
            OrderStatus::Canceled => ExecutionType::Canceled,
            _ => ExecutionType::Expired,
        };
        let detail = match cancel_id {
            Some(c) => ExecutionDetail::Cancel(c),
            None => ExecutionDetail::None,
        };
        self.report_detail(&o, exec, detail, now);
        self.close(m, &o);
        Some(o)
    }
}
