//! Coinbase authenticated account and order calls: accounts, key permissions, fee summary,
//! create order, batch cancel, list orders, get order.

use super::auth::{authenticate, Need};
use super::market::query;
use super::{find_product, order_uuid, parse_order_uuid, product_id, CbError};
use crate::auth::ApiAccount;
use crate::dialect::time::rfc3339_us;
use crate::engine::{
    FilterKind, NewOrder, Order, OrderRef, OrderStatus, OrderType, RejectReason, Side, SymbolInfo,
    TimeInForce, MAX_QUERY_LIMIT,
};
use crate::state::{lock, AppState};
use axum::extract::{Extension, Path, Request, State};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
use std::sync::Arc;

type R = Result<Json<Value>, CbError>;

fn d(v: Decimal) -> String {
    v.normalize().to_string()
}

/// Authenticates `req` and reads its body.
async fn open(
    st: &AppState,
    req: Request,
    need: Need,
) -> Result<(Arc<ApiAccount>, Vec<(String, String)>, axum::body::Bytes), CbError> {
    let peer = crate::api::request::peer_ip(&req);
    let (parts, body) = req.into_parts();
    let acct = authenticate(
        st,
        &parts.headers,
        &parts.method,
        parts.uri.path(),
        peer,
        need,
    )?;
    let q = query(parts.uri.query().map(str::to_owned))?;
    let body =
        crate::api::request::read_body(body, st.server.max_body_bytes, st.server.body_timeout_secs)
            .await
            .map_err(|_| CbError::invalid("body too large or too slow"))?;
    Ok((acct, q, body))
}

pub(super) async fn key_permissions(State(st): State<AppState>, req: Request) -> R {
    // Any valid key may ask about itself.
    let peer = crate::api::request::peer_ip(&req);
    let acct = authenticate(
        &st,
        req.headers(),
        req.method(),
        req.uri().path(),
        peer,
        Need::Any,
    )?;
    Ok(Json(json!({
        "can_view": acct.can_read,
        "can_trade": acct.can_trade,
        "can_transfer": acct.can_withdraw,
        "portfolio_uuid": format!("00000000-0000-4000-8000-{:012x}", acct.account.0),
        "portfolio_type": "DEFAULT",
    })))
}

pub(super) async fn transaction_summary(State(st): State<AppState>, req: Request) -> R {
    open(&st, req, Need::View).await?;
    let fees = lock(&st.engine).config().fees.clone();
    Ok(Json(json!({
        "total_volume": 0,
        "total_fees": 0,
        "fee_tier": {
            "pricing_tier": "Advanced 1",
            "usd_from": "0",
            "usd_to": "1000",
            "taker_fee_rate": d(fees.taker),
            "maker_fee_rate": d(fees.maker),
            "aop_from": "",
            "aop_to": "",
        },
        "margin_rate": null,
        "goods_and_services_tax": null,
        "advanced_trade_only_volume": 0,
        "advanced_trade_only_fees": 0,
        "coinbase_pro_volume": 0,
        "coinbase_pro_fees": 0,
    })))
}

pub(super) async fn accounts(State(st): State<AppState>, req: Request) -> R {
    let (acct, _, _) = open(&st, req, Need::View).await?;
    let created = rfc3339_us(acct.created_ms * 1000);
    let list: Vec<Value> = lock(&st.engine)
        .balances(acct.account)
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({
                "uuid": format!("{:08x}-0000-4000-8000-{:012x}", acct.account.0, i),
                "name": format!("{} Wallet", b.asset),
                "currency": b.asset.as_str(),
                "available_balance": {"value": d(b.free), "currency": b.asset.as_str()},
                "default": true,
                "active": true,
                "created_at": created,
                "updated_at": created,
                "deleted_at": null,
                "type": "ACCOUNT_TYPE_CRYPTO",
                "ready": true,
                "hold": {"value": d(b.locked), "currency": b.asset.as_str()},
                "retail_portfolio_id": format!("00000000-0000-4000-8000-{:012x}", acct.account.0),
            })
        })
        .collect();
    Ok(Json(
        json!({ "accounts": list, "has_next": false, "cursor": "", "size": list.len() }),
    ))
}

fn dec(v: &Value, name: &str) -> Result<Option<Decimal>, CbError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s))
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
        {
            Decimal::from_str(s)
                .ok()
                .filter(|x| *x > Decimal::ZERO)
                .map(Some)
                .ok_or_else(|| CbError::invalid(format!("{name} is not a positive decimal")))
        }
        Some(_) => Err(CbError::invalid(format!("{name} must be a decimal string"))),
    }
}

/// Coinbase's `order_configuration` to the engine's order.
fn parse_config(
    cfg: &Value,
    side: Side,
    s: &SymbolInfo,
    client_id: &str,
) -> Result<NewOrder, CbError> {
    let obj = cfg.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
        CbError::invalid("order_configuration must hold exactly one configuration")
    })?;
    let (kind, c) = obj
        .iter()
        .next()
        .ok_or_else(|| CbError::invalid("empty order_configuration"))?;
    let mut o = NewOrder {
        symbol: s.symbol.to_string(),
        side,
        order_type: OrderType::Limit,
        time_in_force: None,
        quantity: dec(c, "base_size")?,
        quote_order_qty: None,
        price: dec(c, "limit_price")?,
        stop_price: None,
        new_client_order_id: Some(client_id.to_owned()),
    };
    match kind.as_str() {
        "market_market_ioc" => {
            o.order_type = OrderType::Market;
            o.quote_order_qty = dec(c, "quote_size")?;
            o.price = None;
        }
        "limit_limit_gtc" => {
            if c.get("post_only").and_then(Value::as_bool) == Some(true) {
                o.order_type = OrderType::LimitMaker;
            } else {
                o.time_in_force = Some(TimeInForce::Gtc);
            }
        }
        "limit_limit_fok" => o.time_in_force = Some(TimeInForce::Fok),
        "sor_limit_ioc" => o.time_in_force = Some(TimeInForce::Ioc),
        "stop_limit_stop_limit_gtc" => {
            o.stop_price = dec(c, "stop_price")?;
            o.time_in_force = Some(TimeInForce::Gtc);
            let up = match c.get("stop_direction").and_then(Value::as_str) {
                Some("STOP_DIRECTION_STOP_UP") => true,
                Some("STOP_DIRECTION_STOP_DOWN") => false,
                _ => return Err(CbError::invalid("stop_direction is required")),
            };
            // A stop that fires on a rise is a buy's stop-loss and a sell's take-profit.
            o.order_type = match (side, up) {
                (Side::Buy, true) | (Side::Sell, false) => OrderType::StopLossLimit,
                _ => OrderType::TakeProfitLimit,
            };
        }
        _ => return Err(CbError::invalid("UNSUPPORTED_ORDER_CONFIGURATION")),
    }
    Ok(o)
}

fn failure_reason(r: &RejectReason) -> (&'static str, &'static str) {
    match r {
        RejectReason::InsufficientBalance => (
            "INSUFFICIENT_FUND",
            "Insufficient balance in source account",
        ),
        RejectReason::FilterFailure(FilterKind::PriceFilter) | RejectReason::InvalidPrice => {
            ("INVALID_PRICE_PRECISION", "Invalid price precision")
        }
        RejectReason::FilterFailure(FilterKind::Notional | FilterKind::MinNotional) => {
            ("INVALID_LIMIT_PRICE", "Order size is too small")
        }
        RejectReason::FilterFailure(_) | RejectReason::InvalidQuantity => {
            ("INVALID_SIZE_PRECISION", "Invalid size precision")
        }
        RejectReason::WouldMatchAndTake => (
            "INVALID_LIMIT_PRICE_POST_ONLY",
            "Post-only order would cross",
        ),
        RejectReason::StopWouldTriggerImmediately => {
            ("INVALID_STOP_PRICE", "Stop price would trigger immediately")
        }
        RejectReason::TradingDisabled => ("ORDER_ENTRY_DISABLED", "Order entry disabled"),
        RejectReason::InvalidSymbol => ("INVALID_PRODUCT_ID", "Invalid product id"),
        _ => ("INVALID_REQUEST", "Invalid request"),
    }
}

fn valid_client_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The engine keeps client ids of at most 36 characters; Coinbase's may be longer (ccxt
/// sends `ccxt-` + a UUID). A longer id is stored as `h` + 35 hex digits of its SHA-256, and
/// the original is remembered for display.
fn engine_client_id(ids: &LongIds, id: &str) -> String {
    if id.len() <= 36 {
        return id.to_owned();
    }
    use sha2::Digest;
    let short = format!(
        "h{}",
        &hex::encode(sha2::Sha256::digest(id.as_bytes()))[..35]
    );
    crate::state::lock(&ids.0).insert(short.clone(), id.to_owned());
    short
}

/// Client ids too long for the engine, by their stored form.
#[derive(Debug, Default)]
pub struct LongIds(std::sync::Mutex<std::collections::HashMap<String, String>>);

fn shown_client_id(ids: &LongIds, stored: &str) -> String {
    crate::state::lock(&ids.0)
        .get(stored)
        .cloned()
        .unwrap_or_else(|| stored.to_owned())
}

pub(super) async fn create_order(
    State(st): State<AppState>,
    Extension(ids): Extension<Arc<LongIds>>,
    req: Request,
) -> R {
    let (acct, _, body) = open(&st, req, Need::Trade).await?;
    let v: Value =
        serde_json::from_slice(&body).map_err(|_| CbError::invalid("body is not JSON"))?;
    let shown_id = v
        .get("client_order_id")
        .and_then(Value::as_str)
        .filter(|c| valid_client_id(c))
        .ok_or_else(|| CbError::invalid("client_order_id: 1 to 128 letters, digits, '-' or '_'"))?;
    let client_id = engine_client_id(&ids, shown_id);
    let client_id = client_id.as_str();
    let pid = v
        .get("product_id")
        .and_then(Value::as_str)
        .ok_or_else(|| CbError::invalid("product_id is required"))?;
    let side = match v.get("side").and_then(Value::as_str) {
        Some("BUY") => Side::Buy,
        Some("SELL") => Side::Sell,
        _ => return Err(CbError::invalid("side must be BUY or SELL")),
    };
    let cfg = v
        .get("order_configuration")
        .cloned()
        .ok_or_else(|| CbError::invalid("order_configuration is required"))?;
    let symbols = lock(&st.engine).symbols();
    let fail = |error: &str, message: &str| {
        Json(json!({
            "success": false,
            "failure_reason": "UNKNOWN_FAILURE_REASON",
            "order_id": "",
            "error_response": {
                "error": error,
                "message": message,
                "error_details": "",
                "new_order_failure_reason": error,
            },
            "order_configuration": cfg,
        }))
    };
    let Some((m, s)) = find_product(&symbols, pid) else {
        return Ok(fail("INVALID_PRODUCT_ID", "Invalid product id"));
    };
    let order = parse_config(&cfg, side, s, client_id)?;
    let now = st.now_ms();
    let placed = {
        let mut eng = lock(&st.engine);
        // Coinbase: a client_order_id already used answers with that order, creating nothing
        // (so a retry after a lost answer is safe).
        match eng.order(
            acct.account,
            s.symbol.as_str(),
            &OrderRef::ClientId(client_id.into()),
        ) {
            Ok(existing) => Ok(existing),
            Err(_) => match eng.place_order(acct.account, &order, now) {
                Ok(mut r) => {
                    st.publish(std::mem::take(&mut r.events));
                    Ok(r.order)
                }
                Err(e) => Err(e),
            },
        }
    };
    match placed {
        Ok(o) => {
            let id = order_uuid(m, o.order_id);
            Ok(Json(json!({
                "success": true,
                "failure_reason": "UNKNOWN_FAILURE_REASON",
                "order_id": id,
                "success_response": {
                    "order_id": id,
                    "product_id": pid,
                    "side": side.as_str(),
                    "client_order_id": shown_client_id(&ids, o.client_order_id.as_str()),
                },
                "order_configuration": cfg,
            })))
        }
        Err(e) => {
            let (error, message) = failure_reason(&e);
            Ok(fail(error, message))
        }
    }
}

fn status_str(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => "OPEN",
        OrderStatus::Filled => "FILLED",
        OrderStatus::Canceled => "CANCELLED",
        OrderStatus::Rejected => "FAILED",
        OrderStatus::Expired | OrderStatus::ExpiredInMatch => "EXPIRED",
    }
}

fn order_json(ids: &LongIds, o: &Order, m: usize, s: &SymbolInfo) -> Value {
    let base = if o.orig_qty.is_zero() {
        None
    } else {
        Some(d(o.orig_qty))
    };
    let (order_type, config) = match o.order_type {
        OrderType::Market => (
            "MARKET",
            match &base {
                Some(b) => json!({"market_market_ioc": {"base_size": b}}),
                None => json!({"market_market_ioc": {"quote_size": d(o.orig_quote_order_qty)}}),
            },
        ),
        OrderType::LimitMaker => (
            "LIMIT",
            json!({"limit_limit_gtc": {"base_size": base, "limit_price": d(o.price), "post_only": true}}),
        ),
        OrderType::Limit => match o.time_in_force {
            TimeInForce::Gtc => (
                "LIMIT",
                json!({"limit_limit_gtc": {"base_size": base, "limit_price": d(o.price), "post_only": false}}),
            ),
            TimeInForce::Fok => (
                "LIMIT",
                json!({"limit_limit_fok": {"base_size": base, "limit_price": d(o.price)}}),
            ),
            TimeInForce::Ioc => (
                "LIMIT",
                json!({"sor_limit_ioc": {"base_size": base, "limit_price": d(o.price)}}),
            ),
        },
        t => {
            let up = matches!(
                (o.side, t),
                (Side::Buy, OrderType::StopLoss | OrderType::StopLossLimit)
                    | (
                        Side::Sell,
                        OrderType::TakeProfit | OrderType::TakeProfitLimit
                    )
            );
            (
                "STOP_LIMIT",
                json!({"stop_limit_stop_limit_gtc": {
                    "base_size": base, "limit_price": d(o.price), "stop_price": d(o.stop_price),
                    "stop_direction": if up { "STOP_DIRECTION_STOP_UP" } else { "STOP_DIRECTION_STOP_DOWN" },
                }}),
            )
        }
    };
    let avg = if o.executed_qty > Decimal::ZERO {
        o.cummulative_quote_qty / o.executed_qty
    } else {
        Decimal::ZERO
    };
    let pct = if o.orig_qty > Decimal::ZERO {
        (o.executed_qty * Decimal::from(100) / o.orig_qty).round_dp(2)
    } else if o.executed_qty > Decimal::ZERO {
        Decimal::from(100)
    } else {
        Decimal::ZERO
    };
    let trigger = if !o.order_type.is_stop() {
        "INVALID_ORDER_TYPE"
    } else if o.is_working {
        "STOP_TRIGGERED"
    } else {
        "STOP_PENDING"
    };
    json!({
        "order_id": order_uuid(m, o.order_id),
        "product_id": product_id(s),
        "user_id": format!("sim-{}", o.account.0),
        "order_configuration": config,
        "side": o.side.as_str(),
        "client_order_id": shown_client_id(ids, o.client_order_id.as_str()),
        "status": status_str(o),
        "time_in_force": match o.time_in_force {
            TimeInForce::Gtc => "GOOD_UNTIL_CANCELLED",
            TimeInForce::Ioc => "IMMEDIATE_OR_CANCEL",
            TimeInForce::Fok => "FILL_OR_KILL",
        },
        "created_time": rfc3339_us(o.time * 1000),
        "completion_percentage": d(pct),
        "filled_size": d(o.executed_qty),
        "average_filled_price": d(avg),
        "fee": "",
        "number_of_fills": if o.executed_qty > Decimal::ZERO { "1" } else { "0" },
        "filled_value": d(o.cummulative_quote_qty),
        "pending_cancel": false,
        "size_in_quote": base.is_none(),
        "total_fees": "0",
        "size_inclusive_of_fees": false,
        "total_value_after_fees": d(o.cummulative_quote_qty),
        "trigger_status": trigger,
        "order_type": order_type,
        "reject_reason": "",
        "settled": !o.status.is_open(),
        "product_type": "SPOT",
        "reject_message": "",
        "cancel_message": "",
        "order_placement_source": "RETAIL_ADVANCED",
        "outstanding_hold_amount": "0",
        "is_liquidation": false,
        "last_fill_time": null,
        "edit_history": [],
        "leverage": "",
        "margin_type": "UNKNOWN_MARGIN_TYPE",
        "retail_portfolio_id": "",
    })
}

pub(super) async fn get_order(
    State(st): State<AppState>,
    Extension(ids): Extension<Arc<LongIds>>,
    Path(id): Path<String>,
    req: Request,
) -> R {
    let (acct, _, _) = open(&st, req, Need::View).await?;
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let (m, oid) = parse_order_uuid(&id).ok_or_else(|| CbError::not_found("order not found"))?;
    let s = symbols
        .get(m)
        .ok_or_else(|| CbError::not_found("order not found"))?;
    let o = eng
        .order(acct.account, s.symbol.as_str(), &OrderRef::Id(oid))
        .map_err(|_| CbError::not_found("order not found"))?;
    Ok(Json(json!({ "order": order_json(&ids, &o, m, s) })))
}

pub(super) async fn list_orders(
    State(st): State<AppState>,
    Extension(ids): Extension<Arc<LongIds>>,
    req: Request,
) -> R {
    let (acct, q, _) = open(&st, req, Need::View).await?;
    let all = |k: &str| -> Vec<&str> {
        q.iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let statuses = all("order_status");
    let mut products = all("product_ids");
    products.extend(all("product_id"));
    let limit: usize = match q.iter().find(|(k, _)| k == "limit") {
        None => 1000,
        Some((_, l)) => l
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| CbError::invalid("limit must be 1 to 1000"))?,
    };
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let mut out: Vec<(u64, Value)> = Vec::new();
    for (m, s) in symbols.iter().enumerate() {
        if !products.is_empty() && !products.contains(&product_id(s).as_str()) {
            continue;
        }
        let list = eng
            .all_orders(
                acct.account,
                s.symbol.as_str(),
                None,
                None,
                None,
                MAX_QUERY_LIMIT,
            )
            .map_err(|_| CbError::invalid("bad product"))?;
        for o in list {
            if statuses.is_empty() || statuses.contains(&status_str(&o)) {
                out.push((o.time, order_json(&ids, &o, m, s)));
            }
        }
    }
    // Newest first, as Coinbase lists them.
    out.sort_by_key(|o| std::cmp::Reverse(o.0));
    let orders: Vec<Value> = out.into_iter().take(limit).map(|(_, v)| v).collect();
    Ok(Json(
        json!({ "orders": orders, "sequence": "0", "has_next": false, "cursor": "" }),
    ))
}

pub(super) async fn batch_cancel(State(st): State<AppState>, req: Request) -> R {
    let (acct, _, body) = open(&st, req, Need::Trade).await?;
    let v: Value =
        serde_json::from_slice(&body).map_err(|_| CbError::invalid("body is not JSON"))?;
    let ids: Vec<String> = v
        .get("order_ids")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty() && a.len() <= 100)
        .ok_or_else(|| CbError::invalid("order_ids: 1 to 100 ids"))?;
    let now = st.now_ms();
    let mut eng = lock(&st.engine);
    let symbols = eng.symbols();
    let mut results = Vec::new();
    for id in ids {
        let done = parse_order_uuid(&id)
            .and_then(|(m, oid)| symbols.get(m).map(|s| (s, oid)))
            .and_then(|(s, oid)| {
                eng.cancel_order(
                    acct.account,
                    s.symbol.as_str(),
                    &OrderRef::Id(oid),
                    None,
                    now,
                )
                .ok()
            });
        let ok = match done {
            Some((_, events)) => {
                st.publish(events);
                true
            }
            None => false,
        };
        results.push(json!({
            "success": ok,
            "failure_reason": if ok { "UNKNOWN_CANCEL_FAILURE_REASON" } else { "UNKNOWN_CANCEL_ORDER" },
            "order_id": id,
        }));
    }
    Ok(Json(json!({ "results": results })))
}
