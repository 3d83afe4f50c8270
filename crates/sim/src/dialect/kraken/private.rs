//! Kraken private REST: `Balance`, `BalanceEx`, `AddOrder`, `CancelOrder`, `CancelAll`,
//! `OpenOrders`, `ClosedOrders`, `QueryOrders` and `GetApiKeyInfo`, each authenticated by
//! [`super::auth`] and run on the shared engine.

use super::auth::{authenticate, Need};
use super::ids::{find_pair, fixed, parse_txid, txid};
use super::orders::{describe, order_info, parse_add_order, valid_cl_ord_id};
use super::{ok, KResult, KrakenError, KrakenState, Params};
use crate::auth::ApiAccount;
use crate::engine::{Order, OrderRef, SymbolInfo, MAX_QUERY_LIMIT};
use crate::state::{lock, AppState};
use axum::extract::{Extension, Path, Request, State};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// `POST /0/private/<method>`.
pub(super) async fn handle(
    State(st): State<AppState>,
    Extension(ks): Extension<Arc<KrakenState>>,
    Path(method): Path<String>,
    req: Request,
) -> KResult {
    let peer = crate::api::request::peer_ip(&req);
    let (parts, body) = req.into_parts();
    let body =
        crate::api::request::read_body(body, st.server.max_body_bytes, st.server.body_timeout_secs)
            .await
            .map_err(|_| KrakenError::new("EGeneral:Invalid arguments"))?;
    let params = super::body_params(&parts.headers, &body)?;
    let need = match method.as_str() {
        "GetApiKeyInfo" => Need::Nothing,
        "Balance" | "BalanceEx" | "OpenOrders" | "ClosedOrders" | "QueryOrders" => Need::Read,
        "AddOrder" | "CancelOrder" | "CancelAll" => Need::Trade,
        _ => return Err(KrakenError::new("EGeneral:Unknown method")),
    };
    let acct = authenticate(
        &st,
        &ks,
        &parts.headers,
        peer,
        parts.uri.path(),
        &body,
        &params,
        need,
    )?;
    match method.as_str() {
        "GetApiKeyInfo" => api_key_info(&st, &acct, &params),
        "Balance" => balance(&st, &acct, false),
        "BalanceEx" => balance(&st, &acct, true),
        "AddOrder" => add_order(&st, &acct, &params),
        "CancelOrder" => cancel_order(&st, &acct, &params),
        "CancelAll" => cancel_all(&st, &acct),
        "OpenOrders" => open_orders(&st, &acct, &params),
        "ClosedOrders" => closed_orders(&st, &acct, &params),
        _ => query_orders(&st, &acct, &params),
    }
}

/// Kraken's permission names (as `GetApiKeyInfo` lists them) for the key's rights.
fn api_key_info(st: &AppState, acct: &ApiAccount, p: &Params) -> KResult {
    let mut perms = Vec::new();
    if acct.can_read {
        perms.extend(["query-funds", "query-open-trades", "query-closed-trades"]);
    }
    if acct.can_trade {
        perms.extend(["modify-trades", "cancel-close-trades"]);
    }
    if acct.can_withdraw {
        perms.extend(["deposit-funds", "withdraw-funds"]);
    }
    let allowlist: Vec<String> = if acct.ip_restrict {
        acct.allowed_ips.iter().map(ToString::to_string).collect()
    } else {
        Vec::new()
    };
    let created = (acct.created_ms / 1000).to_string();
    let now = (st.now_ms() / 1000).to_string();
    ok(json!({
        "apiKeyName": format!("sim-{}", acct.account.0),
        "apiKey": acct.api_key,
        "nonce": p.get("nonce").unwrap_or("0"),
        "nonceWindow": 0,
        "permissions": perms,
        "iban": format!("AA{:02} SIM0 0000 {:04}", acct.account.0 % 100, acct.account.0 % 10_000),
        "validUntil": "0",
        "queryFrom": "0",
        "queryTo": "0",
        "createdTime": created,
        "modifiedTime": created,
        "ipAllowlist": allowlist,
        "lastUsed": now,
    }))
}

fn balance(st: &AppState, acct: &ApiAccount, ex: bool) -> KResult {
    let list = lock(&st.engine).balances(acct.account);
    let mut out = Map::new();
    for b in list {
        let v = if ex {
            json!({
                "balance": fixed(b.free + b.locked, 10),
                "credit": "0.0000",
                "credit_used": "0.0000",
                "hold_trade": fixed(b.locked, 10),
            })
        } else {
            Value::String(fixed(b.free + b.locked, 10))
        };
        out.insert(b.asset.to_string(), v);
    }
    ok(Value::Object(out))
}

fn add_order(st: &AppState, acct: &ApiAccount, p: &Params) -> KResult {
    let symbols = lock(&st.engine).symbols();
    let (m, s) = find_pair(&symbols, p.req("pair")?)
        .ok_or_else(|| KrakenError::new("EQuery:Unknown asset pair"))?;
    let order = parse_add_order(p, s)?;
    let volume = order.quantity.or(order.quote_order_qty).unwrap_or_default();
    let descr = describe(
        order.side,
        order.order_type,
        volume,
        order.price,
        order.stop_price,
        s,
    );
    if p.flag("validate")? {
        lock(&st.engine).test_order(acct.account, &order)?;
        return ok(json!({ "descr": { "order": descr } }));
    }
    let now = st.now_ms();
    let placed = {
        let mut eng = lock(&st.engine);
        let mut r = eng.place_order(acct.account, &order, now)?;
        st.publish(std::mem::take(&mut r.events));
        r.order
    };
    let mut result = json!({
        "descr": { "order": descr },
        "txid": [txid(m, placed.order_id)],
    });
    if let Some(c) = &order.new_client_order_id {
        result["cl_ord_id"] = json!(c);
    }
    ok(result)
}

/// Finds an order of `acct` by txid or client order id, across markets.
fn find(
    st: &AppState,
    acct: &ApiAccount,
    symbols: &[SymbolInfo],
    id: &str,
    by_client: bool,
) -> Option<(usize, Order)> {
    let eng = lock(&st.engine);
    if by_client {
        // An open order wins over closed ones with the same id.
        let mut closed = None;
        for (m, s) in symbols.iter().enumerate() {
            if let Ok(o) = eng.order(
                acct.account,
                s.symbol.as_str(),
                &OrderRef::ClientId(id.into()),
            ) {
                if o.status.is_open() {
                    return Some((m, o));
                }
                closed.get_or_insert((m, o));
            }
        }
        return closed;
    }
    let (m, order_id) = parse_txid(id)?;
    let s = symbols.get(m)?;
    eng.order(acct.account, s.symbol.as_str(), &OrderRef::Id(order_id))
        .ok()
        .map(|o| (m, o))
}

fn cancel_order(st: &AppState, acct: &ApiAccount, p: &Params) -> KResult {
    let symbols = lock(&st.engine).symbols();
    let found = match (p.get("txid"), p.get("cl_ord_id")) {
        // `txid` may also carry a client order id (Kraken accepts either there).
        (Some(t), None) => find(st, acct, &symbols, t, parse_txid(t).is_none()),
        (None, Some(c)) if valid_cl_ord_id(c) => find(st, acct, &symbols, c, true),
        (None, Some(_)) => return Err(KrakenError::invalid("cl_ord_id")),
        _ => return Err(KrakenError::invalid("txid")),
    };
    let (m, o) = found
        .filter(|(_, o)| o.status.is_open())
        .ok_or_else(|| KrakenError::new("EOrder:Unknown order"))?;
    let now = st.now_ms();
    {
        let mut eng = lock(&st.engine);
        let (_, events) = eng.cancel_order(
            acct.account,
            symbols[m].symbol.as_str(),
            &OrderRef::Id(o.order_id),
            None,
            now,
        )?;
        st.publish(events);
    }
    ok(json!({ "count": 1 }))
}

fn cancel_all(st: &AppState, acct: &ApiAccount) -> KResult {
    let now = st.now_ms();
    let mut eng = lock(&st.engine);
    let mut count = 0usize;
    for s in eng.symbols() {
        if let Ok((list, events)) = eng.cancel_all(acct.account, s.symbol.as_str(), now) {
            count += list.len();
            st.publish(events);
        }
    }
    ok(json!({ "count": count }))
}

fn matches_client(o: &Order, p: &Params) -> bool {
    p.get("cl_ord_id")
        .is_none_or(|c| o.client_order_id.as_str() == c)
}

fn open_orders(st: &AppState, acct: &ApiAccount, p: &Params) -> KResult {
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let mut out = Map::new();
    for (m, s) in symbols.iter().enumerate() {
        for o in eng.open_orders(acct.account, Some(s.symbol.as_str()))? {
            if matches_client(&o, p) {
                out.insert(txid(m, o.order_id), order_info(&o, s));
            }
        }
    }
    ok(json!({ "open": out }))
}

/// The 50 most recently closed orders (Kraken's page size), newest first.
fn closed_orders(st: &AppState, acct: &ApiAccount, p: &Params) -> KResult {
    let eng = lock(&st.engine);
    let symbols = eng.symbols();
    let mut all: Vec<(usize, Order)> = Vec::new();
    for (m, s) in symbols.iter().enumerate() {
        let list = eng.all_orders(
            acct.account,
            s.symbol.as_str(),
            None,
            None,
            None,
            MAX_QUERY_LIMIT,
        )?;
        all.extend(
            list.into_iter()
                .filter(|o| !o.status.is_open() && matches_client(o, p))
                .map(|o| (m, o)),
        );
    }
    all.sort_by_key(|o| std::cmp::Reverse(o.1.update_time));
    let count = all.len();
    let mut out = Map::new();
    for (m, o) in all.into_iter().take(50) {
        out.insert(txid(m, o.order_id), order_info(&o, &symbols[m]));
    }
    ok(json!({ "closed": out, "count": count }))
}

fn query_orders(st: &AppState, acct: &ApiAccount, p: &Params) -> KResult {
    let ids = p.req("txid")?;
    let symbols = lock(&st.engine).symbols();
    let mut out = Map::new();
    for (n, id) in ids.split(',').enumerate() {
        if n >= 50 {
            return Err(KrakenError::invalid("txid"));
        }
        let (m, o) = find(st, acct, &symbols, id.trim(), false)
            .ok_or_else(|| KrakenError::new("EOrder:Invalid order"))?;
        out.insert(id.trim().to_owned(), order_info(&o, &symbols[m]));
    }
    ok(Value::Object(out))
}
