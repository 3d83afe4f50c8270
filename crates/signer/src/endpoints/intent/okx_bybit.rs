//! OKX `/api/v5/trade/order` and Bybit `/v5/order/create`: one JSON order each. Both venues
//! size spot market buys in quote currency unless told otherwise (`tgtCcy`, `marketUnit`).

use super::json::{decimal, object, required, str_field};
use super::params::{max_price, quoted, side, symbol};
use super::{EndpointError, TradeIntent};
use crate::schemes::{RequestBody, UnsignedRequest};
use tradeward_domain::Side;

fn json_object(
    req: &UnsignedRequest,
    venue: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, EndpointError> {
    match &req.body {
        RequestBody::Json(text) => object(text),
        _ => Err(EndpointError::Body(format!(
            "{venue} orders are JSON bodies"
        ))),
    }
}

pub(super) fn okx_intent(req: &UnsignedRequest) -> Result<TradeIntent, EndpointError> {
    if req.path != "/api/v5/trade/order" {
        return Err(EndpointError::Unsupported(format!(
            "OKX {} (batch, amend and algo orders)",
            req.path
        )));
    }
    let body = json_object(req, "OKX")?;
    let inst = symbol("instId", required(&body, "instId")?)?;
    let side = side("side", required(&body, "side")?)?;
    let order_type = required(&body, "ordType")?;
    let size = decimal(&body, "sz")?.ok_or_else(|| EndpointError::Missing("sz".into()))?;
    let px = decimal(&body, "px")?;
    let is_market = order_type == "market";
    if !is_market && order_type != "optimal_limit_ioc" && px.is_none() {
        return Err(EndpointError::Missing("px".into()));
    }
    // A spot pair is BASE-QUOTE; derivatives add a suffix and are sized in contracts.
    let spot = inst.split('-').count() == 2;
    let in_quote = match str_field(&body, "tgtCcy")? {
        Some("quote_ccy") => true,
        Some("base_ccy") => false,
        Some(other) => {
            return Err(EndpointError::invalid(
                "tgtCcy",
                format!("{} is not base_ccy or quote_ccy", quoted(other)),
            ))
        }
        None => spot && is_market && side == Side::Buy,
    };
    Ok(TradeIntent {
        symbol: inst,
        side,
        quantity: (!in_quote).then_some(size),
        price: px,
        quote_quantity: in_quote.then_some(size),
        order_type: order_type.to_owned(),
    })
}

pub(super) fn bybit_intent(req: &UnsignedRequest) -> Result<TradeIntent, EndpointError> {
    if req.path != "/v5/order/create" {
        return Err(EndpointError::Unsupported(format!(
            "Bybit {} (batch and amend)",
            req.path
        )));
    }
    let body = json_object(req, "Bybit")?;
    let category = required(&body, "category")?;
    let side = side("side", required(&body, "side")?)?;
    let order_type = required(&body, "orderType")?;
    let qty = decimal(&body, "qty")?.ok_or_else(|| EndpointError::Missing("qty".into()))?;
    let price = decimal(&body, "price")?;
    match order_type {
        "Limit" if price.is_none() => return Err(EndpointError::Missing("price".into())),
        "Limit" | "Market" => {}
        other => {
            return Err(EndpointError::invalid(
                "orderType",
                format!("{} is not Limit or Market", quoted(other)),
            ))
        }
    }
    let in_quote = match (category, str_field(&body, "marketUnit")?) {
        (_, Some("quoteCoin")) => true,
        (_, Some("baseCoin")) => false,
        (_, Some(other)) => {
            return Err(EndpointError::invalid(
                "marketUnit",
                format!("{} is not baseCoin or quoteCoin", quoted(other)),
            ))
        }
        // Inverse contracts are sized in the quote currency (USD).
        ("inverse", None) => true,
        ("spot", None) => order_type == "Market" && side == Side::Buy,
        (_, None) => false,
    };
    Ok(TradeIntent {
        symbol: symbol("symbol", required(&body, "symbol")?)?,
        side,
        quantity: (!in_quote).then_some(qty),
        price: max_price([price, decimal(&body, "triggerPrice")?]),
        quote_quantity: in_quote.then_some(qty),
        order_type: order_type.to_owned(),
    })
}
