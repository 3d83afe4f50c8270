//! Kraken order shapes: `AddOrder` parameters to the engine's [`NewOrder`], and engine
//! [`Order`]s to Kraken's order-info objects (`OpenOrders`, `ClosedOrders`, `QueryOrders`).

use super::ids::{decimals_of, fixed, secs};
use super::{KrakenError, Params};
use crate::engine::{NewOrder, Order, OrderStatus, OrderType, Side, SymbolInfo, TimeInForce};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

fn decimal(p: &Params, name: &str) -> Result<Option<Decimal>, KrakenError> {
    match p.get(name) {
        None | Some("") => Ok(None),
        Some(v) => {
            // Kraken also takes relative prices (`+1`, `#5`, `2%`); the sim does not.
            let ok = v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            let d = ok
                .then(|| Decimal::from_str(v).ok())
                .flatten()
                .filter(|d| *d > Decimal::ZERO)
                .ok_or_else(|| KrakenError::invalid(name))?;
            Ok(Some(d))
        }
    }
}

/// Kraken's `cl_ord_id` grammar: a long UUID (36 with dashes), a short UUID (32 hex) or free
/// text of up to 18 characters (the sim takes letters, digits, `-` and `_`, what its engine
/// stores).
pub(super) fn valid_cl_ord_id(s: &str) -> bool {
    let hex = |c: u8| c.is_ascii_hexdigit();
    let long_uuid = s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == b'-'
            } else {
                hex(c)
            }
        });
    let short_uuid = s.len() == 32 && s.bytes().all(hex);
    let free = !s.is_empty()
        && s.len() <= 18
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    long_uuid || short_uuid || free
}

/// Parses `AddOrder`'s parameters for market `s`.
pub(super) fn parse_add_order(p: &Params, s: &SymbolInfo) -> Result<NewOrder, KrakenError> {
    let side = match p.req("type")? {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(KrakenError::invalid("type")),
    };
    let ordertype = p.req("ordertype")?;
    let volume = decimal(p, "volume")?.ok_or_else(|| KrakenError::invalid("volume"))?;
    let price = decimal(p, "price")?;
    let price2 = decimal(p, "price2")?;
    let flags: Vec<&str> = p
        .get("oflags")
        .map(|f| f.split(',').filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    for f in &flags {
        if !matches!(*f, "post" | "viqc" | "fcib" | "fciq" | "nompp") {
            return Err(KrakenError::invalid("oflags"));
        }
    }
    let post = flags.contains(&"post");
    let viqc = flags.contains(&"viqc");
    let tif = match p.get("timeinforce") {
        None | Some("GTC") => TimeInForce::Gtc,
        Some("IOC") => TimeInForce::Ioc,
        // GTD needs expiretm, which the engine has no notion of.
        Some(_) => return Err(KrakenError::invalid("timeinforce")),
    };
    if p.get("leverage").is_some_and(|l| l != "none") {
        return Err(KrakenError::new("EGeneral:Permission denied"));
    }
    if p.get("trigger").is_some_and(|t| t != "last") {
        return Err(KrakenError::invalid("trigger"));
    }
    let need_price = || price.ok_or_else(|| KrakenError::invalid("price"));
    let need_price2 = || price2.ok_or_else(|| KrakenError::invalid("price2"));
    let (order_type, limit, stop, tif) = match ordertype {
        "limit" if post && tif == TimeInForce::Ioc => {
            return Err(KrakenError::invalid("timeinforce"))
        }
        "limit" if post => (OrderType::LimitMaker, Some(need_price()?), None, None),
        "limit" => (OrderType::Limit, Some(need_price()?), None, Some(tif)),
        "market" => (OrderType::Market, None, None, None),
        "stop-loss" => (OrderType::StopLoss, None, Some(need_price()?), None),
        "take-profit" => (OrderType::TakeProfit, None, Some(need_price()?), None),
        "stop-loss-limit" => (
            OrderType::StopLossLimit,
            Some(need_price2()?),
            Some(need_price()?),
            Some(tif),
        ),
        "take-profit-limit" => (
            OrderType::TakeProfitLimit,
            Some(need_price2()?),
            Some(need_price()?),
            Some(tif),
        ),
        _ => return Err(KrakenError::invalid("ordertype")),
    };
    if viqc && order_type != OrderType::Market {
        return Err(KrakenError::invalid("oflags"));
    }
    let cl = match p.get("cl_ord_id") {
        None => None,
        Some(c) if valid_cl_ord_id(c) => Some(c.to_owned()),
        Some(_) => return Err(KrakenError::invalid("cl_ord_id")),
    };
    if cl.is_some() && p.get("userref").is_some() {
        return Err(KrakenError::invalid("userref"));
    }
    if let Some(u) = p.get("userref") {
        u.parse::<i32>()
            .map_err(|_| KrakenError::invalid("userref"))?;
    }
    let (quantity, quote_order_qty) = if viqc {
        (None, Some(volume))
    } else {
        (Some(volume), None)
    };
    Ok(NewOrder {
        symbol: s.symbol.to_string(),
        side,
        order_type,
        time_in_force: tif,
        quantity,
        quote_order_qty,
        price: limit,
        stop_price: stop,
        new_client_order_id: cl,
    })
}

fn ordertype_str(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit | OrderType::LimitMaker => "limit",
        OrderType::Market => "market",
        OrderType::StopLoss => "stop-loss",
        OrderType::StopLossLimit => "stop-loss-limit",
        OrderType::TakeProfit => "take-profit",
        OrderType::TakeProfitLimit => "take-profit-limit",
    }
}

fn side_str(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// Kraken's one-line description (`buy 1.25000000 BTCUSDT @ limit 27500.0`).
pub(super) fn describe(
    side: Side,
    order_type: OrderType,
    volume: Decimal,
    price: Option<Decimal>,
    stop: Option<Decimal>,
    s: &SymbolInfo,
) -> String {
    let pdp = decimals_of(s.tick_size);
    let px = |d: Option<Decimal>| fixed(d.unwrap_or_default(), pdp);
    let head = format!("{} {} {}", side_str(side), fixed(volume, 8), s.symbol);
    match order_type {
        OrderType::Market => format!("{head} @ market"),
        OrderType::Limit | OrderType::LimitMaker => format!("{head} @ limit {}", px(price)),
        OrderType::StopLoss => format!("{head} @ stop loss {}", px(stop)),
        OrderType::TakeProfit => format!("{head} @ take profit {}", px(stop)),
        OrderType::StopLossLimit => {
            format!("{head} @ stop loss {} -> limit {}", px(stop), px(price))
        }
        OrderType::TakeProfitLimit => {
            format!("{head} @ take profit {} -> limit {}", px(stop), px(price))
        }
    }
}

/// Kraken's status of an engine order.
pub(super) fn status_str(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => "open",
        OrderStatus::Filled => "closed",
        OrderStatus::Canceled => "canceled",
        // A market or IOC order that traded and then ran out of book is "closed" at
        // Kraken; one that never traded is "expired".
        OrderStatus::Expired | OrderStatus::ExpiredInMatch | OrderStatus::Rejected
            if o.executed_qty > Decimal::ZERO =>
        {
            "closed"
        }
        _ => "expired",
    }
}

/// The order-info object Kraken returns for one order.
pub(super) fn order_info(o: &Order, s: &SymbolInfo) -> Value {
    let pdp = decimals_of(s.tick_size);
    let limit = (o.price > Decimal::ZERO).then_some(o.price);
    let stop = (o.stop_price > Decimal::ZERO).then_some(o.stop_price);
    // A quote-quantity market order reports its volume in quote (viqc) until it trades.
    let volume = if o.orig_qty.is_zero() {
        o.orig_quote_order_qty
    } else {
        o.orig_qty
    };
    let avg = if o.executed_qty > Decimal::ZERO {
        o.cummulative_quote_qty / o.executed_qty
    } else {
        Decimal::ZERO
    };
    let (descr_price, descr_price2) = match o.order_type {
        OrderType::StopLossLimit | OrderType::TakeProfitLimit => (stop, limit),
        OrderType::StopLoss | OrderType::TakeProfit => (stop, None),
        _ => (limit, None),
    };
    let mut oflags = vec!["fciq"];
    if o.order_type == OrderType::LimitMaker {
        oflags.push("post");
    }
    if o.orig_quote_order_qty > Decimal::ZERO {
        oflags.push("viqc");
    }
    let status = status_str(o);
    let mut v = json!({
        "refid": null,
        "userref": 0,
        "cl_ord_id": o.client_order_id.as_str(),
        "status": status,
        "opentm": secs(o.time),
        "starttm": 0,
        "expiretm": 0,
        "descr": {
            "pair": s.symbol.as_str(),
            "type": side_str(o.side),
            "ordertype": ordertype_str(o.order_type),
            "price": fixed(descr_price.unwrap_or_default(), pdp),
            "price2": fixed(descr_price2.unwrap_or_default(), pdp),
            "leverage": "none",
            "order": describe(o.side, o.order_type, volume, limit, stop, s),
            "close": "",
        },
        "vol": fixed(volume, 8),
        "vol_exec": fixed(o.executed_qty, 8),
        "cost": fixed(o.cummulative_quote_qty, pdp + 8),
        "fee": fixed(Decimal::ZERO, 8),
        "price": fixed(avg, pdp),
        "stopprice": fixed(stop.unwrap_or_default(), pdp),
        "limitprice": fixed(limit.unwrap_or_default(), pdp),
        "misc": "",
        "oflags": oflags.join(","),
        "timeinforce": o.time_in_force.as_str(),
    });
    if status != "open" {
        v["closetm"] = json!(secs(o.update_time));
        v["reason"] = match status {
            "canceled" => json!("User requested"),
            "expired" => json!("Insufficient liquidity"),
            _ => Value::Null,
        };
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cl_ord_id_grammar() {
        assert!(valid_cl_ord_id("6d1b345e-2821-40e2-ad83-4ecb18a06876"));
        assert!(valid_cl_ord_id("30c74be77d5346fcacd8dd2fa2b4fe07"));
        assert!(valid_cl_ord_id("my-order-1"));
        for bad in [
            "",
            "a b",
            "x".repeat(19).as_str(),
            "6d1b345e_2821-40e2-ad83-4ecb18a06876",
        ] {
            assert!(!valid_cl_ord_id(bad), "{bad}");
        }
    }
}
