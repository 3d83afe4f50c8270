//! Account endpoints: `GET /api/v3/account`, `GET /sapi/v1/account/apiRestrictions` and the
//! user data stream's listen keys (`/api/v3/userDataStream`).

use super::error::ApiError;
use super::json::d8;
use super::request::Req;
use crate::auth::Need;
use crate::config::random_alnum;
use crate::state::{lock, AppState, ListenKey};
use axum::extract::State;
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};

type R = Result<Json<Value>, ApiError>;

/// Listen keys live 60 minutes unless kept alive.
const LISTEN_KEY_MS: u64 = 60 * 60 * 1000;

/// `GET /api/v3/account`.
pub async fn account(State(st): State<AppState>, req: Req) -> R {
    let acct = req.auth(&st, Need::Read)?;
    let omit_zero = match req.params.get("omitZeroBalances") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::illegal("omitZeroBalances", "true, false")),
    };
    let (balances, fees) = {
        let eng = lock(&st.engine);
        (eng.balances(acct.account), eng.config().fees.clone())
    };
    let bps = |r: Decimal| {
        (r * Decimal::from(10_000))
            .trunc()
            .to_string()
            .parse::<i64>()
            .unwrap_or(0)
    };
    let list: Vec<Value> = balances
        .iter()
        .filter(|b| !(omit_zero && b.free.is_zero() && b.locked.is_zero()))
        .map(|b| json!({"asset": b.asset.as_str(), "free": d8(b.free), "locked": d8(b.locked)}))
        .collect();
    Ok(Json(json!({
        "makerCommission": bps(fees.maker),
        "takerCommission": bps(fees.taker),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {"maker": d8(fees.maker), "taker": d8(fees.taker), "buyer": d8(Decimal::ZERO), "seller": d8(Decimal::ZERO)},
        "canTrade": acct.can_trade,
        "canWithdraw": acct.can_withdraw,
        "canDeposit": true,
        "brokered": false,
        "requireSelfTradePrevention": false,
        "preventSor": false,
        "updateTime": st.now_ms(),
        "accountType": "SPOT",
        "balances": list,
        "permissions": ["SPOT"],
        "uid": 1_000_000 + u64::from(acct.account.0),
    })))
}

/// `GET /sapi/v1/account/apiRestrictions`.
pub async fn api_restrictions(State(st): State<AppState>, req: Req) -> R {
    let acct = req.auth(&st, Need::Read)?;
    Ok(Json(json!({
        "ipRestrict": acct.ip_restrict,
        "createTime": acct.created_ms,
        "enableReading": acct.can_read,
        "enableWithdrawals": acct.can_withdraw,
        "enableInternalTransfer": false,
        "enableMargin": false,
        "enableFutures": false,
        "permitsUniversalTransfer": false,
        "enableVanillaOptions": false,
        "enableFixApiTrade": false,
        "enableFixReadOnly": false,
        "enableSpotAndMarginTrading": acct.can_trade,
        "enablePortfolioMarginTrading": false,
    })))
}

/// `POST /api/v3/userDataStream`: the account's listen key (the existing one, extended, if any).
pub async fn listen_key_create(State(st): State<AppState>, req: Req) -> R {
    let acct = st.keys.by_header(&req.headers, req.peer)?;
    let now = st.now_ms();
    let mut keys = lock(&st.listen_keys);
    keys.retain(|_, k| k.expires_ms > now);
    let existing = keys
        .iter()
        .find(|(_, k)| k.account == acct.account)
        .map(|(s, _)| s.clone());
    let key = existing.unwrap_or_else(|| random_alnum(60));
    keys.insert(
        key.clone(),
        ListenKey {
            account: acct.account,
            expires_ms: now + LISTEN_KEY_MS,
        },
    );
    Ok(Json(json!({ "listenKey": key })))
}

fn with_key(
    st: &AppState,
    req: &Req,
    f: impl FnOnce(&mut std::collections::HashMap<String, ListenKey>, &str),
) -> R {
    let acct = st.keys.by_header(&req.headers, req.peer)?;
    let key = req.params.req("listenKey")?;
    let now = st.now_ms();
    let mut keys = lock(&st.listen_keys);
    match keys.get(key) {
        Some(k) if k.account == acct.account && k.expires_ms > now => {
            f(&mut keys, key);
            Ok(Json(json!({})))
        }
        _ => Err(ApiError::bad(-1125, "This listenKey does not exist.")),
    }
}

/// `PUT /api/v3/userDataStream`: keepalive.
pub async fn listen_key_keepalive(State(st): State<AppState>, req: Req) -> R {
    let until = st.now_ms() + LISTEN_KEY_MS;
    with_key(&st, &req, |keys, k| {
        if let Some(e) = keys.get_mut(k) {
            e.expires_ms = until;
        }
    })
}

/// `DELETE /api/v3/userDataStream`.
pub async fn listen_key_close(State(st): State<AppState>, req: Req) -> R {
    with_key(&st, &req, |keys, k| {
        keys.remove(k);
    })
}
