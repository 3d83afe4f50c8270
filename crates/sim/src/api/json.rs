//! Binance's JSON shapes for the engine's data: numbers as strings with 8 decimals, field
//! names and orders as the Spot API documents them.

use crate::engine::{
    AccountTrade, BookTicker, DepthSnapshot, Fill, Kline, Order, PublicTrade, SymbolInfo, Ticker24h,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// A decimal the way Binance prints it ("0.10000000").
pub fn d8(d: Decimal) -> String {
    let r = d.round_dp_with_strategy(8, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{r:.8}")
}

/// Price levels as `[["price","qty"], ...]`.
pub fn levels(v: &[(Decimal, Decimal)]) -> Value {
    Value::Array(v.iter().map(|(p, q)| json!([d8(*p), d8(*q)])).collect())
}

/// One `exchangeInfo` symbol with its filters.
pub fn symbol(s: &SymbolInfo) -> Value {
    json!({
        "symbol": s.symbol.as_str(),
        "status": "TRADING",
        "baseAsset": s.base_asset.as_str(),
        "baseAssetPrecision": 8,
        "quoteAsset": s.quote_asset.as_str(),
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": false,
        "ocoAllowed": false,
        "otoAllowed": false,
        "quoteOrderQtyMarketAllowed": true,
        "allowTrailingStop": false,
        "cancelReplaceAllowed": false,
        "isSpotTradingAllowed": true,
        "isMarginTradingAllowed": false,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": d8(s.min_price), "maxPrice": d8(s.max_price), "tickSize": d8(s.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": d8(s.min_qty), "maxQty": d8(s.max_qty), "stepSize": d8(s.step_size)},
            {"filterType": "MIN_NOTIONAL", "minNotional": d8(s.min_notional), "applyToMarket": true, "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": d8(s.min_notional), "applyMinToMarket": true,
             "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
            {"filterType": "MARKET_LOT_SIZE", "minQty": d8(Decimal::ZERO), "maxQty": d8(s.max_qty), "stepSize": d8(Decimal::ZERO)},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE"],
    })
}

/// An order as `GET /api/v3/order` and `openOrders` show it.
pub fn order(o: &Order) -> Value {
    json!({
        "symbol": o.symbol.as_str(),
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.client_order_id.as_str(),
        "price": d8(o.price),
        "origQty": d8(o.orig_qty),
        "executedQty": d8(o.executed_qty),
        "cummulativeQuoteQty": d8(o.cummulative_quote_qty),
        "status": o.status.as_str(),
        "timeInForce": o.time_in_force.as_str(),
        "type": o.order_type.as_str(),
        "side": o.side.as_str(),
        "stopPrice": d8(o.stop_price),
        "icebergQty": d8(Decimal::ZERO),
        "time": o.time,
        "updateTime": o.update_time,
        "isWorking": o.is_working,
        "workingTime": if o.is_working { o.working_time as i64 } else { -1 },
        "origQuoteOrderQty": d8(o.orig_quote_order_qty),
        "selfTradePreventionMode": "NONE",
    })
}

/// `newOrderRespType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RespType {
    /// Ids only.
    Ack,
    /// The order.
    Result,
    /// The order and its fills.
    Full,
}

/// The answer to `POST /api/v3/order`.
pub fn new_order(o: &Order, fills: &[Fill], rt: RespType, transact_ms: u64) -> Value {
    let mut v = json!({
        "symbol": o.symbol.as_str(),
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.client_order_id.as_str(),
        "transactTime": transact_ms,
    });
    if rt == RespType::Ack {
        return v;
    }
    if let Value::Object(m) = &mut v {
        m.insert("price".into(), d8(o.price).into());
        m.insert("origQty".into(), d8(o.orig_qty).into());
        m.insert("executedQty".into(), d8(o.executed_qty).into());
        m.insert(
            "origQuoteOrderQty".into(),
            d8(o.orig_quote_order_qty).into(),
        );
        m.insert(
            "cummulativeQuoteQty".into(),
            d8(o.cummulative_quote_qty).into(),
        );
        m.insert("status".into(), o.status.as_str().into());
        m.insert("timeInForce".into(), o.time_in_force.as_str().into());
        m.insert("type".into(), o.order_type.as_str().into());
        m.insert("side".into(), o.side.as_str().into());
        if o.order_type.is_stop() {
            m.insert("stopPrice".into(), d8(o.stop_price).into());
        }
        m.insert(
            "workingTime".into(),
            (if o.is_working {
                o.working_time as i64
            } else {
                -1
            })
            .into(),
        );
        m.insert("selfTradePreventionMode".into(), "NONE".into());
        if rt == RespType::Full {
            let f: Vec<Value> = fills
                .iter()
                .map(|f| {
                    json!({"price": d8(f.price), "qty": d8(f.qty), "commission": d8(f.commission),
                           "commissionAsset": f.commission_asset.as_str(), "tradeId": f.trade_id})
                })
                .collect();
            m.insert("fills".into(), Value::Array(f));
        }
    }
    v
}

/// The answer to `DELETE /api/v3/order` (and each element of `DELETE openOrders`).
pub fn canceled(o: &Order, cancel_client_id: &str, transact_ms: u64) -> Value {
    json!({
        "symbol": o.symbol.as_str(),
        "origClientOrderId": o.client_order_id.as_str(),
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": cancel_client_id,
        "transactTime": transact_ms,
        "price": d8(o.price),
        "origQty": d8(o.orig_qty),
        "executedQty": d8(o.executed_qty),
        "origQuoteOrderQty": d8(o.orig_quote_order_qty),
        "cummulativeQuoteQty": d8(o.cummulative_quote_qty),
        "status": o.status.as_str(),
        "timeInForce": o.time_in_force.as_str(),
        "type": o.order_type.as_str(),
        "side": o.side.as_str(),
        "selfTradePreventionMode": "NONE",
    })
}

/// One `myTrades` element.
pub fn my_trade(t: &AccountTrade) -> Value {
    json!({
        "symbol": t.symbol.as_str(),
        "id": t.fill.trade_id,
        "orderId": t.order_id,
        "orderListId": -1,
        "price": d8(t.fill.price),
        "qty": d8(t.fill.qty),
        "quoteQty": d8(t.fill.quote_qty),
        "commission": d8(t.fill.commission),
        "commissionAsset": t.fill.commission_asset.as_str(),
        "time": t.time,
        "isBuyer": t.side == crate::engine::Side::Buy,
        "isMaker": t.fill.is_maker,
        "isBestMatch": true,
    })
}

/// One public trade (`GET /api/v3/trades`).
pub fn public_trade(t: &PublicTrade) -> Value {
    json!({"id": t.id, "price": d8(t.price), "qty": d8(t.qty), "quoteQty": d8(t.quote_qty),
           "time": t.time, "isBuyerMaker": t.is_buyer_maker, "isBestMatch": true})
}

/// `GET /api/v3/depth`.
pub fn depth(d: &DepthSnapshot) -> Value {
    json!({"lastUpdateId": d.last_update_id, "bids": levels(&d.bids), "asks": levels(&d.asks)})
}

/// `GET /api/v3/ticker/bookTicker`.
pub fn book_ticker(b: &BookTicker) -> Value {
    json!({"symbol": b.symbol.as_str(), "bidPrice": d8(b.bid_price), "bidQty": d8(b.bid_qty),
           "askPrice": d8(b.ask_price), "askQty": d8(b.ask_qty)})
}

/// One kline array.
pub fn kline(k: &Kline) -> Value {
    json!([
        k.open_time,
        d8(k.open),
        d8(k.high),
        d8(k.low),
        d8(k.close),
        d8(k.volume),
        k.close_time,
        d8(k.quote_volume),
        k.trades,
        d8(k.taker_buy_base_volume),
        d8(k.taker_buy_quote_volume),
        "0"
    ])
}

/// `GET /api/v3/ticker/24hr`.
pub fn ticker_24h(t: &Ticker24h) -> Value {
    json!({
        "symbol": t.symbol.as_str(),
        "priceChange": d8(t.price_change),
        "priceChangePercent": format!("{:.3}", t.price_change_percent),
        "weightedAvgPrice": d8(t.weighted_avg_price),
        "prevClosePrice": d8(t.prev_close_price),
        "lastPrice": d8(t.last_price),
        "lastQty": d8(t.last_qty),
        "bidPrice": d8(t.bid_price),
        "bidQty": d8(t.bid_qty),
        "askPrice": d8(t.ask_price),
        "askQty": d8(t.ask_qty),
        "openPrice": d8(t.open_price),
        "highPrice": d8(t.high_price),
        "lowPrice": d8(t.low_price),
        "volume": d8(t.volume),
        "quoteVolume": d8(t.quote_volume),
        "openTime": t.open_time,
        "closeTime": t.close_time,
        "firstId": t.first_id,
        "lastId": t.last_id,
        "count": t.count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_like_binance() {
        assert_eq!(d8(Decimal::new(1, 1)), "0.10000000");
        assert_eq!(d8(Decimal::from(50000)), "50000.00000000");
        assert_eq!(d8(Decimal::new(123456789, 9)), "0.12345679");
    }
}
