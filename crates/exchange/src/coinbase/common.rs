//! Parsers of Coinbase Advanced Trade answers. Amounts are decimal strings; unknown fields
//! are ignored; errors name what is wrong, never quote the payload.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tradeward_domain::{Side, Symbol, Venue};

use crate::binance::common::de::{dec, opt_dec};
use crate::error::ExchangeError;
use crate::filters::SymbolFilters;
use crate::key_check::KeyPermissions;
use crate::types::{Balance, ExchangeRules, OrderReport, OrderStatus, OrderType, SymbolRules};

/// Stable codes for Coinbase's error names, for [`ExchangeError::venue_code`].
pub mod codes {
    /// `INVALID_ARGUMENT` (HTTP 400).
    pub const INVALID_ARGUMENT: i64 = 400;
    /// `UNAUTHENTICATED` / a bare 401.
    pub const UNAUTHENTICATED: i64 = 401;
    /// `PERMISSION_DENIED`.
    pub const PERMISSION_DENIED: i64 = 403;
    /// `NOT_FOUND`.
    pub const NOT_FOUND: i64 = 404;
    /// An order refused for funds (`INSUFFICIENT_FUND`).
    pub const INSUFFICIENT_FUND: i64 = 1001;
    /// Another order refusal (`INVALID_*`, `UNSUPPORTED_ORDER_CONFIGURATION`, ...).
    pub const ORDER_REFUSED: i64 = 1002;
    /// A cancel that did not happen (`UNKNOWN_CANCEL_ORDER`, ...).
    pub const CANCEL_REFUSED: i64 = 1003;
}

fn json<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, ExchangeError> {
    serde_json::from_slice(body).map_err(|e| ExchangeError::from_json(what, &e))
}

#[derive(Deserialize)]
struct RawError {
    error: String,
    #[serde(default)]
    message: Option<String>,
}

/// A Coinbase error body (`{"error": "NOT_FOUND", "message": "..."}`) as an error, or `None`
/// if the body is not one.
pub fn parse_error(body: &[u8]) -> Option<ExchangeError> {
    let e: RawError = serde_json::from_slice(body).ok()?;
    let code = match e.error.as_str() {
        "INVALID_ARGUMENT" => codes::INVALID_ARGUMENT,
        "UNAUTHENTICATED" => codes::UNAUTHENTICATED,
        "PERMISSION_DENIED" => codes::PERMISSION_DENIED,
        "NOT_FOUND" => codes::NOT_FOUND,
        _ => 0,
    };
    let text = match &e.message {
        Some(m) if !m.is_empty() => format!("{}: {m}", e.error),
        _ => e.error.clone(),
    };
    Some(ExchangeError::rejected(code, &text))
}

#[derive(Deserialize)]
struct RawProduct {
    product_id: String,
    #[serde(deserialize_with = "dec")]
    base_increment: Decimal,
    #[serde(deserialize_with = "dec")]
    quote_increment: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    price_increment: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    quote_min_size: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    base_min_size: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    base_max_size: Option<Decimal>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    trading_disabled: bool,
    #[serde(default)]
    cancel_only: bool,
    #[serde(default)]
    is_disabled: bool,
    #[serde(default)]
    product_type: Option<String>,
}

#[derive(Deserialize)]
struct RawProducts {
    products: Vec<RawProduct>,
}

/// `GET /api/v3/brokerage/products`: spot products' rules (others are left out).
pub fn parse_products(body: &[u8]) -> Result<ExchangeRules, ExchangeError> {
    let raw: RawProducts = json("products", body)?;
    let mut rules = ExchangeRules::default();
    for p in raw.products {
        if p.product_type.as_deref().is_some_and(|t| t != "SPOT") {
            continue;
        }
        let Some((b, q)) = p.product_id.split_once('-') else {
            continue;
        };
        let Ok(symbol) = Symbol::new(b, q) else {
            continue;
        };
        let pos = |d: Decimal| (d > Decimal::ZERO).then_some(d);
        rules.symbols.push(SymbolRules {
            symbol,
            venue_symbol: p.product_id.clone(),
            trading: p.status.as_deref().is_none_or(|s| s == "online")
                && !p.trading_disabled
                && !p.cancel_only
                && !p.is_disabled,
            filters: SymbolFilters {
                tick_size: p.price_increment.and_then(pos).or(pos(p.quote_increment)),
                step_size: pos(p.base_increment),
                min_qty: p.base_min_size.and_then(pos),
                max_qty: p.base_max_size.and_then(pos),
                min_notional: p.quote_min_size.and_then(pos),
                ..SymbolFilters::default()
            },
        });
    }
    Ok(rules)
}

#[derive(Deserialize)]
struct RawAmount {
    #[serde(deserialize_with = "dec")]
    value: Decimal,
}

#[derive(Deserialize)]
struct RawAccount {
    currency: String,
    available_balance: RawAmount,
    #[serde(default)]
    hold: Option<RawAmount>,
}

#[derive(Deserialize)]
struct RawAccounts {
    accounts: Vec<RawAccount>,
}

/// `GET /api/v3/brokerage/accounts`: one balance per currency.
pub fn parse_accounts(body: &[u8]) -> Result<Vec<Balance>, ExchangeError> {
    let raw: RawAccounts = json("accounts", body)?;
    raw.accounts
        .into_iter()
        .map(|a| {
            let locked = a.hold.map(|h| h.value).unwrap_or_default();
            if a.available_balance.value < Decimal::ZERO || locked < Decimal::ZERO {
                return Err(ExchangeError::malformed("accounts", "negative balance"));
            }
            if a.currency.is_empty() || a.currency.len() > 20 {
                return Err(ExchangeError::malformed("accounts", "bad currency code"));
            }
            Ok(Balance {
                asset: a.currency,
                free: a.available_balance.value,
                locked,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct RawSuccess {
    order_id: String,
}

#[derive(Deserialize)]
struct RawFailure {
    error: String,
}

#[derive(Deserialize)]
struct RawCreate {
    success: bool,
    #[serde(default)]
    success_response: Option<RawSuccess>,
    #[serde(default)]
    error_response: Option<RawFailure>,
}

/// `POST /api/v3/brokerage/orders`: the order id, or the refusal (`success: false`).
pub fn parse_create_order(body: &[u8]) -> Result<String, ExchangeError> {
    let r: RawCreate = json("new order", body)?;
    if r.success {
        let id = r
            .success_response
            .map(|s| s.order_id)
            .filter(|id| valid_id(id))
            .ok_or_else(|| ExchangeError::malformed("new order", "no usable order id"))?;
        return Ok(id);
    }
    let error = r
        .error_response
        .map(|e| e.error)
        .unwrap_or_else(|| "UNKNOWN_FAILURE_REASON".into());
    let code = if error.starts_with("INSUFFICIENT_FUND") {
        codes::INSUFFICIENT_FUND
    } else {
        codes::ORDER_REFUSED
    };
    Err(ExchangeError::rejected(code, &error))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[derive(Deserialize)]
struct RawConfigBody {
    #[serde(default, deserialize_with = "opt_dec")]
    base_size: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    limit_price: Option<Decimal>,
    #[serde(default)]
    post_only: Option<bool>,
}

#[derive(Deserialize)]
struct RawOrder {
    order_id: String,
    product_id: String,
    side: String,
    #[serde(default)]
    client_order_id: String,
    status: String,
    order_configuration: serde_json::Map<String, serde_json::Value>,
    #[serde(deserialize_with = "dec")]
    filled_size: Decimal,
    #[serde(deserialize_with = "dec")]
    filled_value: Decimal,
    #[serde(default)]
    created_time: Option<String>,
}

fn order_report(o: RawOrder) -> Result<OrderReport, ExchangeError> {
    const WHAT: &str = "order";
    if !valid_id(&o.order_id) || o.client_order_id.len() > 128 {
        return Err(ExchangeError::malformed(WHAT, "bad order id"));
    }
    let symbol = o
        .product_id
        .split_once('-')
        .and_then(|(b, q)| Symbol::new(b, q).ok())
        .ok_or_else(|| ExchangeError::malformed(WHAT, "bad product id"))?;
    let side = match o.side.as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ExchangeError::malformed(WHAT, "unknown side")),
    };
    let (kind, body) = o
        .order_configuration
        .into_iter()
        .next()
        .ok_or_else(|| ExchangeError::malformed(WHAT, "no order configuration"))?;
    let cfg: RawConfigBody =
        serde_json::from_value(body).map_err(|e| ExchangeError::from_json(WHAT, &e))?;
    let order_type = match kind.as_str() {
        "market_market_ioc" => OrderType::Market,
        "limit_limit_gtc" | "limit_limit_gtd" if cfg.post_only == Some(true) => {
            OrderType::LimitMaker
        }
        "limit_limit_gtc" | "limit_limit_gtd" | "limit_limit_fok" | "sor_limit_ioc" => {
            OrderType::Limit
        }
        "stop_limit_stop_limit_gtc" | "stop_limit_stop_limit_gtd" => OrderType::StopLossLimit,
        _ => {
            return Err(ExchangeError::malformed(
                WHAT,
                "unknown order configuration",
            ))
        }
    };
    if o.filled_size < Decimal::ZERO || o.filled_value < Decimal::ZERO {
        return Err(ExchangeError::malformed(WHAT, "negative amount"));
    }
    let status = match o.status.as_str() {
        "OPEN" if o.filled_size > Decimal::ZERO => OrderStatus::PartiallyFilled,
        "OPEN" => OrderStatus::New,
        "PENDING" | "QUEUED" => OrderStatus::PendingNew,
        "CANCEL_QUEUED" => OrderStatus::PendingCancel,
        "FILLED" => OrderStatus::Filled,
        "CANCELLED" => OrderStatus::Canceled,
        "EXPIRED" => OrderStatus::Expired,
        "FAILED" => OrderStatus::Rejected,
        _ => return Err(ExchangeError::malformed(WHAT, "unknown status")),
    };
    Ok(OrderReport {
        venue: Venue::Coinbase,
        symbol,
        venue_order_id: o.order_id,
        client_order_id: o.client_order_id,
        side,
        order_type,
        status,
        price: cfg.limit_price.unwrap_or_default(),
        orig_qty: cfg.base_size.unwrap_or(o.filled_size),
        executed_qty: o.filled_size,
        cumulative_quote_qty: o.filled_value,
        update_time_ms: o
            .created_time
            .as_deref()
            .and_then(crate::kraken::common::stream::rfc3339_ms),
    })
}

#[derive(Deserialize)]
struct RawOrderOne {
    order: RawOrder,
}

/// `GET /api/v3/brokerage/orders/historical/{id}`.
pub fn parse_order(body: &[u8]) -> Result<OrderReport, ExchangeError> {
    order_report(json::<RawOrderOne>("order", body)?.order)
}

#[derive(Deserialize)]
struct RawOrderList {
    orders: Vec<RawOrder>,
}

/// `GET /api/v3/brokerage/orders/historical/batch`.
pub fn parse_orders(body: &[u8]) -> Result<Vec<OrderReport>, ExchangeError> {
    json::<RawOrderList>("orders", body)?
        .orders
        .into_iter()
        .map(order_report)
        .collect()
}

#[derive(Deserialize)]
struct RawCancelResult {
    success: bool,
    #[serde(default)]
    failure_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawCancel {
    results: Vec<RawCancelResult>,
}

/// `POST /api/v3/brokerage/orders/batch_cancel` for one order: `Ok` when it was cancelled.
pub fn parse_cancel(body: &[u8]) -> Result<(), ExchangeError> {
    let r: RawCancel = json("cancel", body)?;
    let first = r
        .results
        .into_iter()
        .next()
        .ok_or_else(|| ExchangeError::malformed("cancel", "no result"))?;
    if first.success {
        Ok(())
    } else {
        Err(ExchangeError::rejected(
            codes::CANCEL_REFUSED,
            first
                .failure_reason
                .as_deref()
                .unwrap_or("UNKNOWN_CANCEL_FAILURE_REASON"),
        ))
    }
}

#[derive(Deserialize)]
struct RawPermissions {
    can_view: bool,
    can_trade: bool,
    can_transfer: bool,
}

/// `GET /api/v3/brokerage/key_permissions`. Coinbase's `can_transfer` is the right to send
/// funds off the account; the answer says nothing about address restrictions.
pub fn parse_key_permissions(body: &[u8]) -> Result<KeyPermissions, ExchangeError> {
    let p: RawPermissions = json("key permissions", body)?;
    Ok(KeyPermissions {
        venue: Venue::Coinbase,
        can_read: p.can_view,
        can_trade: p.can_trade,
        can_withdraw: p.can_transfer,
        can_transfer: p.can_transfer,
        ip_restricted: None,
    })
}
