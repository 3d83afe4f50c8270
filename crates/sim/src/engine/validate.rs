//! Validation of new orders: parameter combinations, symbol filters, client order ids,
//! LIMIT_MAKER crossing and stop-trigger checks, and the funds an order must lock.

use super::book::{dcmp, positive};
use super::engine::Engine;
use super::market::Market;
use super::order::NewOrder;
use super::reject::{FilterKind, RejectReason};
use super::text::ShortStr;
use super::types::{AccountId, OrderType, Side, TimeInForce};
use rust_decimal::Decimal;
use std::cmp::Ordering::{Greater, Less};

/// A request that passed validation, with the numbers execution needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checked {
    pub market: usize,
    pub qty: Decimal,
    pub quote_qty: Decimal,
    pub price: Decimal,
    pub stop_price: Decimal,
    pub tif: TimeInForce,
    pub client_id: Option<ShortStr>,
}

const CLIENT_ID_RANGE: &str = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$";

/// A client order id in Binance's charset and length, as stored.
pub(crate) fn parse_client_id(s: &str) -> Option<ShortStr> {
    client_id_ok(s).then(|| ShortStr::new(s)).flatten()
}

/// The rejection of a malformed client order id.
pub(crate) fn illegal_client_id() -> RejectReason {
    RejectReason::IllegalChars("newClientOrderId", CLIENT_ID_RANGE)
}

fn client_id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 36
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'))
}

fn is_multiple(x: Decimal, unit: Decimal) -> bool {
    if unit.is_zero() {
        return true;
    }
    // Fast exact path: at a common scale s, x = a·10⁻ˢ and unit = b·10⁻ˢ, so x is a multiple
    // of unit exactly when b divides a. Decimal's `%` costs several times more.
    let s = x.scale().max(unit.scale());
    let at_scale = |d: Decimal| {
        10i128
            .checked_pow(s - d.scale())
            .and_then(|p| d.mantissa().checked_mul(p))
            .and_then(|m| i64::try_from(m).ok())
    };
    if let (Some(a), Some(b)) = (at_scale(x), at_scale(unit)) {
        if let Some(r) = a.checked_rem(b) {
            return r == 0;
        }
    }
    (x % unit).is_zero()
}

pub(crate) fn check_price(m: &Market, p: Decimal) -> Result<(), RejectReason> {
    if !positive(p) {
        return Err(RejectReason::InvalidPrice);
    }
    if let Some(ok) = m.price_grid.and_then(|g| g.admits(p)) {
        return if ok {
            Ok(())
        } else {
            Err(RejectReason::FilterFailure(FilterKind::PriceFilter))
        };
    }
    let i = &m.info;
    if dcmp(p, i.min_price) == Less
        || dcmp(p, i.max_price) == Greater
        || !is_multiple(p - i.min_price, i.tick_size)
    {
        return Err(RejectReason::FilterFailure(FilterKind::PriceFilter));
    }
    Ok(())
}

pub(crate) fn check_qty(m: &Market, q: Decimal, kind: FilterKind) -> Result<(), RejectReason> {
    if !positive(q) {
        return Err(RejectReason::InvalidQuantity);
    }
    if let Some(ok) = m.qty_grid.and_then(|g| g.admits(q)) {
        return if ok {
            Ok(())
        } else {
            Err(RejectReason::FilterFailure(kind))
        };
    }
    let i = &m.info;
    if dcmp(q, i.min_qty) == Less
        || dcmp(q, i.max_qty) == Greater
        || !is_multiple(q - i.min_qty, i.step_size)
    {
        return Err(RejectReason::FilterFailure(kind));
    }
    Ok(())
}

fn check_notional(m: &Market, notional: Decimal) -> Result<(), RejectReason> {
    if dcmp(notional, m.info.min_notional) == Less {
        return Err(RejectReason::FilterFailure(FilterKind::Notional));
    }
    Ok(())
}

/// True when a stop with this side/type/stop price would fire at `last`.
pub(crate) fn stop_triggers(
    order_type: OrderType,
    side: Side,
    stop: Decimal,
    last: Decimal,
) -> bool {
    if rises(order_type, side) {
        last >= stop
    } else {
        last <= stop
    }
}

/// Stops that fire on a rising price: STOP_LOSS* BUY and TAKE_PROFIT* SELL.
pub(crate) fn rises(order_type: OrderType, side: Side) -> bool {
    let stop_loss = matches!(order_type, OrderType::StopLoss | OrderType::StopLossLimit);
    (stop_loss && side == Side::Buy) || (!stop_loss && side == Side::Sell)
}

impl Engine {
    /// Everything Binance checks before accepting an order, except funds.
    pub(crate) fn check_new(
        &self,
        account: AccountId,
        req: &NewOrder,
    ) -> Result<Checked, RejectReason> {
        let mi = self.market_index(&req.symbol)?;
        let m = &self.markets[mi];
        if !self.ledger.exists(account) {
            return Err(RejectReason::Internal);
        }
        let t = req.order_type;
        let needs_tif = matches!(
            t,
            OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit
        );
        let tif = match (needs_tif, req.time_in_force) {
            (true, None) => return Err(RejectReason::MandatoryParamMissing("timeInForce")),
            (true, Some(tif)) => tif,
            (false, _) => TimeInForce::Gtc,
        };
        if t.has_limit_price() && req.price.is_none() {
            return Err(RejectReason::MandatoryParamMissing("price"));
        }
        if !t.has_limit_price() && req.price.is_some() {
            return Err(RejectReason::ParamNotRequired("price"));
        }
        if t.is_stop() && req.stop_price.is_none() {
            return Err(RejectReason::MandatoryParamMissing("stopPrice"));
        }
        if !t.is_stop() && req.stop_price.is_some() {
            return Err(RejectReason::ParamNotRequired("stopPrice"));
        }
        if t == OrderType::Market {
            match (req.quantity, req.quote_order_qty) {
                (None, None) => {
                    return Err(RejectReason::OneOfParamsRequired(
                        "quantity",
                        "quoteOrderQty",
                    ))
                }
                (Some(_), Some(_)) => return Err(RejectReason::InvalidParamCombination),
                _ => {}
            }
        } else {
            if req.quote_order_qty.is_some() {
                return Err(RejectReason::ParamNotRequired("quoteOrderQty"));
            }
            if req.quantity.is_none() {
                return Err(RejectReason::MandatoryParamMissing("quantity"));
            }
        }
        let client_id = match &req.new_client_order_id {
            None => None,
            Some(s) => Some(parse_client_id(s).ok_or_else(illegal_client_id)?),
        };

        // One scale for every price of a market keeps book-key comparisons on Decimal's fast
        // same-scale path (and prints prices uniformly).
        let price = req.price.map_or(Decimal::ZERO, |p| m.canonical_price(p));
        let stop_price = req
            .stop_price
            .map_or(Decimal::ZERO, |p| m.canonical_price(p));
        if t.has_limit_price() {
            check_price(m, price)?;
        }
        if t.is_stop() {
            check_price(m, stop_price)?;
        }
        let mut qty = Decimal::ZERO;
        let mut quote_qty = Decimal::ZERO;
        if let Some(q) = req.quantity {
            // MARKET_LOT_SIZE has the same bounds as LOT_SIZE here, and Binance reports a
            // MARKET order's step failure as LOT_SIZE, so one check serves both.
            check_qty(m, q, FilterKind::LotSize)?;
            qty = q;
        }
        if let Some(qq) = req.quote_order_qty {
            if qq <= Decimal::ZERO {
                return Err(RejectReason::InvalidQuantity);
            }
            quote_qty = qq;
        }
        // NOTIONAL: limit price for priced orders, stop price for stop-market ones, and for a
        // MARKET order the last price (Binance uses its average price; close enough here).
        let notional = if t.has_limit_price() {
            super::dmath::mul(price, qty)
        } else if t.is_stop() {
            super::dmath::mul(stop_price, qty)
        } else if quote_qty > Decimal::ZERO {
            quote_qty
        } else {
            m.last_price * qty
        };
        check_notional(m, notional)?;

        if let Some(cid) = client_id {
            if self
                .users
                .get(account.idx())
                .is_some_and(|u| u.open_by_client.contains_key(&cid))
            {
                return Err(RejectReason::DuplicateOrder);
            }
        }
        if t == OrderType::LimitMaker {
            let opp = m.book.best(req.side.opposite());
            let crosses = match (req.side, opp) {
                (Side::Buy, Some((ask, _))) => price >= ask,
                (Side::Sell, Some((bid, _))) => price <= bid,
                _ => false,
            };
            if crosses {
                return Err(RejectReason::WouldMatchAndTake);
            }
        }
        if t.is_stop() && stop_triggers(t, req.side, stop_price, m.last_price) {
            return Err(RejectReason::StopWouldTriggerImmediately);
        }
        Ok(Checked {
            market: mi,
            qty,
            quote_qty,
            price,
            stop_price,
            tif,
            client_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_charset_matches_binance() {
        assert!(client_id_ok("abc-DEF_1.2:3/4"));
        assert!(!client_id_ok(""));
        assert!(!client_id_ok("has space"));
        assert!(!client_id_ok(&"a".repeat(37)));
    }

    #[test]
    fn multiples_exact_across_scales() {
        use rust_decimal_macros::dec;
        assert!(is_multiple(dec!(50000.01), dec!(0.01)));
        assert!(is_multiple(dec!(50000.010), dec!(0.01)));
        assert!(!is_multiple(dec!(50000.015), dec!(0.01)));
        assert!(is_multiple(dec!(0.00030), dec!(0.00001)));
        assert!(!is_multiple(dec!(0.000305), dec!(0.00001)));
        assert!(is_multiple(dec!(15), dec!(5)));
        assert!(!is_multiple(dec!(12), dec!(5)));
        assert!(is_multiple(dec!(-10), dec!(5)));
        assert!(is_multiple(dec!(7), Decimal::ZERO));
        // Too large for the fast path: Decimal's own remainder decides.
        let big = Decimal::MAX;
        assert_eq!(is_multiple(big, dec!(0.5)), (big % dec!(0.5)).is_zero());
        let tiny = Decimal::new(3, 28);
        assert_eq!(is_multiple(dec!(1), tiny), (dec!(1) % tiny).is_zero());
    }

    #[test]
    fn stop_direction_table() {
        // Binance: price above market for STOP_LOSS BUY and TAKE_PROFIT SELL.
        assert!(rises(OrderType::StopLoss, Side::Buy));
        assert!(rises(OrderType::TakeProfitLimit, Side::Sell));
        assert!(!rises(OrderType::StopLossLimit, Side::Sell));
        assert!(!rises(OrderType::TakeProfit, Side::Buy));
    }
}
