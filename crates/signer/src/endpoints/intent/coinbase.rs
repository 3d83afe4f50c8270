//! Coinbase orders: Advanced Trade (`product_id`, `side`, one `order_configuration`) and
//! Exchange (`product_id`, `side`, `type`, `size` / `funds`, `price`, `stop_price`).

use serde_json::{Map, Value};

use super::json::{decimal, object, required};
use super::params::{max_price, quoted, side, symbol};
use super::{EndpointError, TradeIntent};
use crate::schemes::{RequestBody, UnsignedRequest};

/// Advanced Trade order configurations and whether each needs a limit price.
const CONFIGS: &[(&str, bool)] = &[
    ("market_market_ioc", false),
    ("market_market_fok", false),
    ("sor_limit_ioc", true),
    ("limit_limit_gtc", true),
    ("limit_limit_gtd", true),
    ("limit_limit_fok", true),
    ("twap_limit_gtd", true),
    ("stop_limit_stop_limit_gtc", true),
    ("stop_limit_stop_limit_gtd", true),
    ("trigger_bracket_gtc", true),
    ("trigger_bracket_gtd", true),
];

pub(super) fn intent(req: &UnsignedRequest) -> Result<TradeIntent, EndpointError> {
    let body = match &req.body {
        RequestBody::Json(text) => object(text)?,
        _ => {
            return Err(EndpointError::Body(
                "Coinbase orders are JSON bodies".into(),
            ))
        }
    };
    match req.path.as_str() {
        "/api/v3/brokerage/orders" | "/api/v3/brokerage/orders/preview" => advanced(&body),
        "/orders" => exchange(&body),
        other => Err(EndpointError::Unsupported(format!(
            "Coinbase {other} does not state product, side and size together"
        ))),
    }
}

fn advanced(body: &Map<String, Value>) -> Result<TradeIntent, EndpointError> {
    let configs = match body.get("order_configuration") {
        Some(Value::Object(c)) => c,
        Some(_) => {
            return Err(EndpointError::invalid(
                "order_configuration",
                "must be an object",
            ))
        }
        None => return Err(EndpointError::Missing("order_configuration".into())),
    };
    let mut entries = configs.iter();
    let (name, config) = match (entries.next(), entries.next()) {
        (Some(only), None) => only,
        (None, _) => return Err(EndpointError::invalid("order_configuration", "is empty")),
        (Some(_), Some(_)) => {
            return Err(EndpointError::invalid(
                "order_configuration",
                "must hold exactly one configuration",
            ))
        }
    };
    let needs_limit = CONFIGS
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, l)| *l)
        .ok_or_else(|| {
            EndpointError::Unsupported(format!("Coinbase order configuration {}", quoted(name)))
        })?;
    let Value::Object(config) = config else {
        return Err(EndpointError::invalid(name, "must be an object"));
    };
    let base = decimal(config, "base_size")?;
    let quote = decimal(config, "quote_size")?;
    if base.is_some() == quote.is_some() {
        return Err(EndpointError::invalid(
            name,
            "must give exactly one of base_size and quote_size",
        ));
    }
    let limit = decimal(config, "limit_price")?;
    if needs_limit && limit.is_none() {
        return Err(EndpointError::Missing(format!("{name}.limit_price")));
    }
    Ok(TradeIntent {
        symbol: symbol("product_id", required(body, "product_id")?)?,
        side: side("side", required(body, "side")?)?,
        quantity: base,
        price: max_price([
            limit,
            decimal(config, "stop_price")?,
            decimal(config, "stop_trigger_price")?,
        ]),
        quote_quantity: quote,
        order_type: name.clone(),
    })
}

fn exchange(body: &Map<String, Value>) -> Result<TradeIntent, EndpointError> {
    let order_type = required(body, "type")?;
    let size = decimal(body, "size")?;
    let funds = decimal(body, "funds")?;
    let limit = decimal(body, "price")?;
    match order_type {
        "limit" => {
            if limit.is_none() {
                return Err(EndpointError::Missing("price".into()));
            }
            if size.is_none() || funds.is_some() {
                return Err(EndpointError::invalid(
                    "size",
                    "a limit order is sized by size alone",
                ));
            }
        }
        "market" | "stop" => {
            if size.is_some() == funds.is_some() {
                return Err(EndpointError::invalid(
                    "size",
                    "give exactly one of size and funds",
                ));
            }
        }
        other => {
            return Err(EndpointError::invalid(
                "type",
                format!("{} is not a Coinbase order type", quoted(other)),
            ))
        }
    }
    Ok(TradeIntent {
        symbol: symbol("product_id", required(body, "product_id")?)?,
        side: side("side", required(body, "side")?)?,
        quantity: size,
        price: max_price([limit, decimal(body, "stop_price")?]),
        quote_quantity: funds,
        order_type: order_type.to_owned(),
    })
}
