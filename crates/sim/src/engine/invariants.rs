//! Self-checks used by the tests: the book never crosses, balances never go negative, locked
//! funds equal what open orders need, and level totals match their orders.

use super::engine::Engine;
use super::types::{OrderType, Side};
use rust_decimal::Decimal;

pub(crate) fn check(e: &Engine) -> Result<(), String> {
    let n_assets = e.ledger.assets.len();
    let mut need = vec![vec![Decimal::ZERO; n_assets]; e.ledger.accounts.len()];
    for mk in &e.markets {
        let sym = mk.info.symbol;
        if mk.book.is_crossed() {
            return Err(format!(
                "{sym}: book crossed: bid {:?} ask {:?}",
                mk.book.best(Side::Buy),
                mk.book.best(Side::Sell)
            ));
        }
        for side in [Side::Buy, Side::Sell] {
            for (price, level) in mk.book.side(side) {
                let price = &price.0;
                let live: Vec<_> = level
                    .queue
                    .iter()
                    .filter_map(|id| mk.open.get(id))
                    .filter(|o| o.is_working && o.price == *price && o.side == side)
                    .collect();
                let qty: Decimal = live.iter().map(|o| o.remaining_qty()).sum();
                if qty != level.qty || live.len() as u32 != level.live || level.live == 0 {
                    return Err(format!("{sym}: level {side} {price}: total {} live {} but orders sum {qty} count {}", level.qty, level.live, live.len()));
                }
            }
        }
        for o in mk.open.values() {
            let expected = match (o.side, o.order_type) {
                (Side::Sell, _) => o.remaining_qty(),
                (Side::Buy, OrderType::StopLoss | OrderType::TakeProfit) => Decimal::ZERO,
                (Side::Buy, _) => o.price * o.remaining_qty(),
            };
            if o.locked != expected {
                return Err(format!(
                    "{sym}: order {} ({} {}) locks {} but needs {expected}",
                    o.order_id, o.side, o.order_type, o.locked
                ));
            }
            if o.remaining_qty() <= Decimal::ZERO {
                return Err(format!("{sym}: open order {} has nothing left", o.order_id));
            }
            let asset = if o.side == Side::Buy {
                mk.quote
            } else {
                mk.base
            };
            need[o.account.idx()][asset as usize] += o.locked;
            if o.is_working && mk.book.level(o.side, o.price).is_none() {
                return Err(format!(
                    "{sym}: working order {} not in the book",
                    o.order_id
                ));
            }
        }
    }
    for (ai, acc) in e.ledger.accounts.iter().enumerate() {
        for (si, slot) in acc.slots.iter().enumerate() {
            let asset = e.ledger.assets[si];
            if slot.free < Decimal::ZERO || slot.locked < Decimal::ZERO {
                return Err(format!(
                    "account {ai} {asset}: negative balance free {} locked {}",
                    slot.free, slot.locked
                ));
            }
            if slot.locked != need[ai][si] {
                return Err(format!(
                    "account {ai} {asset}: locked {} but open orders need {}",
                    slot.locked, need[ai][si]
                ));
            }
        }
    }
    Ok(())
}
