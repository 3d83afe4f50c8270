//! SIGNED trading endpoints: order (POST, GET, DELETE), order/test, openOrders (GET,
//! DELETE), allOrders, myTrades. Each order request is recorded in the order log with its
//! arrival time for `GET /sim/v1/orders`.

use super::error::ApiError;
use super::json::{self, RespType};
use super::params::Params;
use super::request::Req;
use crate::auth::Need;
use crate::config::random_alnum;
use crate::engine::{NewOrder, OrderRef, OrderType, Side, TimeInForce};
use crate::state::{lock, AppState, OrderLogEntry};
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

const CLIENT_ID_RANGE: &str = "^[a-zA-Z0-9-_]{1,36}$";

fn client_id(p: &Params, name: &str) -> Result<Option<String>, ApiError> {
    match p.get(name) {
        None => Ok(None),
        Some(v)
            if v.len() <= 36
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(v.to_string()))
        }
        Some(_) => Err(ApiError::illegal(name, CLIENT_ID_RANGE)),
    }
}

/// Parses the order parameters into the engine's request and the response type.
fn parse_new_order(p: &Params) -> Result<(NewOrder, RespType), ApiError> {
    let symbol = p.req_symbol()?.to_string();
    let side = Side::parse(p.req("side")?).ok_or_else(|| ApiError::bad(-1117, "Invalid side."))?;
    let order_type = OrderType::parse(p.req("type")?)
        .ok_or_else(|| ApiError::bad(-1116, "Invalid orderType."))?;
    let time_in_force = match p.get("timeInForce") {
        None => None,
        Some(t) => Some(
            TimeInForce::parse(t).ok_or_else(|| ApiError::bad(-1115, "Invalid timeInForce."))?,
        ),
    };
    let resp = match p.get("newOrderRespType") {
        None if matches!(order_type, OrderType::Limit | OrderType::Market) => RespType::Full,
        None => RespType::Ack,
        Some("ACK") => RespType::Ack,
        Some("RESULT") => RespType::Result,
        Some("FULL") => RespType::Full,
        Some(_) => return Err(ApiError::illegal("newOrderRespType", "ACK, RESULT, FULL")),
    };
    for unsupported in ["icebergQty", "trailingDelta", "strategyId", "strategyType"] {
        if p.has(unsupported) {
            return Err(ApiError::bad(
                -1128,
                "Combination of optional parameters invalid.",
            ));
        }
    }
    if let Some(stp) = p.get("selfTradePreventionMode") {
        if stp != "NONE" {
            return Err(ApiError::bad(
                -1013,
                "This symbol does not allow the specified self-trade prevention mode.",
            ));
        }
    }
    Ok((
        NewOrder {
            symbol,
            side,
            order_type,
            time_in_force,
            quantity: p.decimal("quantity")?,
            quote_order_qty: p.decimal("quoteOrderQty")?,
            price: p.decimal("price")?,
            stop_price: p.decimal("stopPrice")?,
            new_client_order_id: client_id(p, "newClientOrderId")?,
        },
        resp,
    ))
}

/// `POST /api/v3/order`.
pub async fn new_order(State(st): State<AppState>, req: Req) -> Response {
    place(&st, &req, false)
}

/// `POST /api/v3/order/test`.
pub async fn test_order(State(st): State<AppState>, req: Req) -> Response {
    place(&st, &req, true)
}

fn place(st: &AppState, req: &Req, test: bool) -> Response {
    let received_at_us = st.now_us();
    let p = &req.params;
    let symbol = p.get("symbol").map(str::to_string);
    let mut entry = OrderLogEntry {
        seq: 0,
        received_at_us,
        market_event_at_us: symbol.as_deref().and_then(|s| st.market_event_at(s)),
        path: if test {
            "/api/v3/order/test"
        } else {
            "/api/v3/order"
        },
        symbol,
        side: p.get("side").map(str::to_string),
        order_type: p.get("type").map(str::to_string),
        client_order_id: p.get("newClientOrderId").map(str::to_string),
        order_id: None,
        status: 200,
        code: None,
    };
    let result = place_inner(st, req, test, &mut entry);
    let resp = match result {
        Ok(r) => r,
        Err(e) => {
            entry.status = e.status.as_u16();
            entry.code = Some(e.code);
            e.into_response()
        }
    };
    st.log_order(entry);
    resp
}

fn place_inner(
    st: &AppState,
    req: &Req,
    test: bool,
    entry: &mut OrderLogEntry,
) -> Result<Response, ApiError> {
    let acct = req.auth(st, Need::Trade)?;
    let (order, rt) = parse_new_order(&req.params)?;
    if test {
        lock(&st.engine).test_order(acct.account, &order)?;
        return Ok(Json(serde_json::json!({})).into_response());
    }
    let counts = st.limiter.order(acct.account, st.now_ms())?;
    let now = st.now_ms();
    let result = {
        let mut eng = lock(&st.engine);
        let mut r = eng.place_order(acct.account, &order, now)?;
        st.publish(std::mem::take(&mut r.events));
        r
    };
    entry.order_id = Some(result.order.order_id);
    entry.client_order_id = Some(result.order.client_order_id.to_string());
    let mut resp = Json(json::new_order(&result.order, &result.fills, rt, now)).into_response();
    let h = resp.headers_mut();
    h.insert("x-mbx-order-count-10s", HeaderValue::from(counts.ten_s));
    h.insert("x-mbx-order-count-1d", HeaderValue::from(counts.day));
    Ok(resp)
}

/// `orderId` or `origClientOrderId` (-1102 when neither).
fn order_ref(p: &Params) -> Result<OrderRef, ApiError> {
    if let Some(id) = p.uint("orderId")? {
        return Ok(OrderRef::Id(id));
    }
    match client_id(p, "origClientOrderId")? {
        Some(c) => Ok(OrderRef::ClientId(c)),
        None => Err(ApiError::bad(
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
        )),
    }
}

/// `GET /api/v3/order`.
pub async fn query_order(State(st): State<AppState>, req: Req) -> Result<Json<Value>, ApiError> {
    let acct = req.auth(&st, Need::Read)?;
    let symbol = req.params.req_symbol()?;
    let which = order_ref(&req.params)?;
    let o = lock(&st.engine).order(acct.account, symbol, &which)?;
    Ok(Json(json::order(&o)))
}

/// `DELETE /api/v3/order`.
pub async fn cancel_order(State(st): State<AppState>, req: Req) -> Result<Json<Value>, ApiError> {
    let acct = req.auth(&st, Need::Trade)?;
    let symbol = req.params.req_symbol()?;
    let which = order_ref(&req.params)?;
    let cancel_id = client_id(&req.params, "newClientOrderId")?.unwrap_or_else(|| random_alnum(22));
    let now = st.now_ms();
    let o = {
        let mut eng = lock(&st.engine);
        // The cancel's own client id (given or generated) goes to the executionReport too,
        // so the stream's "c" matches this response's clientOrderId, like Binance.
        let (o, events) = eng.cancel_order(acct.account, symbol, &which, Some(&cancel_id), now)?;
        st.publish(events);
        o
    };
    Ok(Json(json::canceled(&o, &cancel_id, now)))
}

/// `GET /api/v3/openOrders`.
pub async fn open_orders(State(st): State<AppState>, req: Req) -> Result<Json<Value>, ApiError> {
    let acct = req.auth(&st, Need::Read)?;
    let symbol = req.params.symbol()?;
    let list = lock(&st.engine).open_orders(acct.account, symbol)?;
    Ok(Json(Value::Array(list.iter().map(json::order).collect())))
}

/// `DELETE /api/v3/openOrders`.
pub async fn cancel_all(State(st): State<AppState>, req: Req) -> Result<Json<Value>, ApiError> {
    let acct = req.auth(&st, Need::Trade)?;
    let symbol = req.params.req_symbol()?;
    let now = st.now_ms();
    let list = {
        let mut eng = lock(&st.engine);
        let (list, events) = eng.cancel_all(acct.account, symbol, now)?;
        st.publish(events);
        list
    };
    Ok(Json(Value::Array(
        list.iter()
            .map(|o| json::canceled(o, &random_alnum(22), now))
            .collect(),
    )))
}

/// `GET /api/v3/allOrders`.
pub async fn all_orders(State(st): State<AppState>, req: Req) -> Result<Json<Value>, ApiError> {
    let acct = req.auth(&st, Need::Read)?;
    let p = &req.params;
    let symbol = p.req_symbol()?;
    let limit = p.limit(500, 1000)?;
    let list = lock(&st.engine).all_orders(
        acct.account,
        symbol,
        p.uint("orderId")?,
        p.uint("startTime")?,
        p.uint("endTime")?,
        limit,
    )?;
    Ok(Json(Value::Array(list.iter().map(json::order).collect())))
}

/// `GET /api/v3/myTrades`.
pub async fn my_trades(State(st): State<AppState>, req: Req) -> Result<Json<Value>, ApiError> {
    let acct = req.auth(&st, Need::Read)?;
    let p = &req.params;
    let symbol = p.req_symbol()?;
    let limit = p.limit(500, 1000)?;
    let order_id = p.uint("orderId")?;
    if order_id.is_some() && p.has("fromId") {
        return Err(ApiError::bad(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let mut list = lock(&st.engine).my_trades(
        acct.account,
        symbol,
        p.uint("fromId")?,
        p.uint("startTime")?,
        p.uint("endTime")?,
        if order_id.is_some() {
            super::market::HISTORY_MAX
        } else {
            limit
        },
    )?;
    if let Some(id) = order_id {
        list.retain(|t| t.order_id == id);
        list.truncate(limit);
    }
    Ok(Json(Value::Array(
        list.iter().map(json::my_trade).collect(),
    )))
}
