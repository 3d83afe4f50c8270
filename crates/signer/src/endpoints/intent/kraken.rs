//! Kraken `AddOrder`: form body `pair`, `type`, `ordertype`, `volume`, `price`, `price2`,
//! `oflags` (`viqc` = volume in quote currency).

use super::params::{max_price, quoted, side, symbol, Params};
use super::{EndpointError, TradeIntent};
use crate::schemes::{RequestBody, UnsignedRequest};

pub(super) fn intent(req: &UnsignedRequest) -> Result<TradeIntent, EndpointError> {
    if req.path != "/0/private/AddOrder" {
        return Err(EndpointError::Unsupported(format!(
            "Kraken {} does not state pair, side and amount together",
            req.path
        )));
    }
    if !req.query.is_empty() {
        return Err(EndpointError::Body(
            "Kraken order parameters belong in the form body".into(),
        ));
    }
    let p = match &req.body {
        RequestBody::Form(body) => Params::collect([body.as_slice()])?,
        RequestBody::None => return Err(EndpointError::Missing("pair".into())),
        RequestBody::Json(_) => {
            return Err(EndpointError::Body(
                "Kraken orders must be form-encoded".into(),
            ))
        }
    };
    let order_type = p.require("ordertype")?;
    let price = match order_type {
        "market" => None,
        "limit" | "iceberg" | "stop-loss" | "take-profit" => {
            Some(absolute(&p, "price")?.ok_or_else(|| EndpointError::Missing("price".into()))?)
        }
        "stop-loss-limit" | "take-profit-limit" => {
            let trigger =
                absolute(&p, "price")?.ok_or_else(|| EndpointError::Missing("price".into()))?;
            let limit =
                absolute(&p, "price2")?.ok_or_else(|| EndpointError::Missing("price2".into()))?;
            max_price([Some(trigger), Some(limit)])
        }
        // Trailing offsets are relative to the market: the reference price values them.
        "trailing-stop" | "trailing-stop-limit" => None,
        other => {
            return Err(EndpointError::invalid(
                "ordertype",
                format!("{} is not a supported Kraken order type", quoted(other)),
            ))
        }
    };
    let volume = p
        .decimal("volume")?
        .ok_or_else(|| EndpointError::Missing("volume".into()))?;
    let in_quote = p
        .get("oflags")
        .is_some_and(|flags| flags.split(',').any(|f| f == "viqc"));
    Ok(TradeIntent {
        symbol: symbol("pair", p.require("pair")?)?,
        side: side("type", p.require("type")?)?,
        quantity: (!in_quote).then_some(volume),
        price,
        quote_quantity: in_quote.then_some(volume),
        order_type: order_type.to_owned(),
    })
}

/// An absolute price. Kraken also accepts offsets (`+5`, `-2%`, `#1`); those are refused here
/// because their value depends on the market at execution time.
fn absolute(p: &Params<'_>, name: &str) -> Result<Option<rust_decimal::Decimal>, EndpointError> {
    match p.get(name) {
        Some(v) if v.starts_with(['+', '-', '#']) || v.ends_with('%') => Err(
            EndpointError::Unsupported(format!("Kraken relative price {name}={}", quoted(v))),
        ),
        _ => p.decimal(name),
    }
}
