//! Binance (and simulator) orders: parameters from the query and the form body together.

use super::params::{max_price, quoted, side, symbol, Params};
use super::{EndpointError, TradeIntent};
use crate::schemes::{RequestBody, UnsignedRequest};

const SINGLE_ORDER: &[&str] = &[
    "/api/v3/order",
    "/api/v3/order/test",
    "/api/v3/order/cancelReplace",
    "/api/v3/sor/order",
    "/api/v3/sor/order/test",
];

pub(super) fn intent(req: &UnsignedRequest) -> Result<TradeIntent, EndpointError> {
    let params = match &req.body {
        RequestBody::None => Params::collect([req.query.as_slice()])?,
        RequestBody::Form(body) => Params::collect([req.query.as_slice(), body.as_slice()])?,
        RequestBody::Json(_) => {
            return Err(EndpointError::Body(
                "Binance takes form parameters, not JSON".into(),
            ))
        }
    };
    let path = req.path.as_str();
    if SINGLE_ORDER.contains(&path) {
        single(&params)
    } else if path == "/api/v3/orderList/oco" {
        oco(
            &params,
            &[
                "abovePrice",
                "belowPrice",
                "aboveStopPrice",
                "belowStopPrice",
            ],
        )
    } else if path == "/api/v3/order/oco" {
        oco(&params, &["price", "stopPrice", "stopLimitPrice"])
    } else {
        Err(EndpointError::Unsupported(format!(
            "Binance {path} order lists"
        )))
    }
}

fn single(p: &Params<'_>) -> Result<TradeIntent, EndpointError> {
    let order_type = p.require("type")?;
    let needs_price = match order_type {
        "LIMIT" | "LIMIT_MAKER" | "STOP_LOSS_LIMIT" | "TAKE_PROFIT_LIMIT" => true,
        "MARKET" | "STOP_LOSS" | "TAKE_PROFIT" => false,
        other => {
            return Err(EndpointError::invalid(
                "type",
                format!("{} is not a Binance order type", quoted(other)),
            ))
        }
    };
    let quantity = p.decimal("quantity")?;
    let quote_quantity = p.decimal("quoteOrderQty")?;
    match (quantity, quote_quantity) {
        (Some(_), Some(_)) => {
            return Err(EndpointError::invalid(
                "quoteOrderQty",
                "cannot be given together with quantity",
            ))
        }
        (None, None) if order_type == "MARKET" => {
            return Err(EndpointError::Missing("quantity or quoteOrderQty".into()))
        }
        (None, None) => return Err(EndpointError::Missing("quantity".into())),
        (None, Some(_)) if order_type != "MARKET" => {
            return Err(EndpointError::invalid(
                "quoteOrderQty",
                "is only accepted for MARKET orders",
            ))
        }
        _ => {}
    }
    let limit = p.decimal("price")?;
    if needs_price && limit.is_none() {
        return Err(EndpointError::Missing("price".into()));
    }
    Ok(TradeIntent {
        symbol: symbol("symbol", p.require("symbol")?)?,
        side: side("side", p.require("side")?)?,
        quantity,
        price: max_price([limit, p.decimal("stopPrice")?]),
        quote_quantity,
        order_type: order_type.to_owned(),
    })
}

fn oco(p: &Params<'_>, price_names: &[&str]) -> Result<TradeIntent, EndpointError> {
    let mut prices = Vec::with_capacity(price_names.len());
    for name in price_names {
        prices.push(p.decimal(name)?);
    }
    let price = max_price(prices);
    if price.is_none() {
        return Err(EndpointError::Missing(price_names.join(" or ")));
    }
    Ok(TradeIntent {
        symbol: symbol("symbol", p.require("symbol")?)?,
        side: side("side", p.require("side")?)?,
        quantity: Some(
            p.decimal("quantity")?
                .ok_or_else(|| EndpointError::Missing("quantity".into()))?,
        ),
        price,
        quote_quantity: None,
        order_type: "OCO".to_owned(),
    })
}
