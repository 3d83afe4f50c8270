//! Parsers of Kraken REST answers. Every answer is the envelope
//! `{"error": ["E<Class>:<text>", ...], "result": {...}}`: a non-empty error list becomes an
//! [`ExchangeError`] (see [`super::classify_errors`]) before the result is looked at.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tradeward_domain::{Side, Symbol, Venue};

use super::{asset_code, classify_errors, from_cl_ord_id};
use crate::binance::common::de::{dec, opt_dec};
use crate::error::ExchangeError;
use crate::filters::SymbolFilters;
use crate::types::{Balance, ExchangeRules, OrderReport, OrderStatus, OrderType, SymbolRules};

#[derive(Deserialize)]
struct ErrorsOnly {
    #[serde(default)]
    error: Vec<String>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    result: Option<T>,
}

/// The error of a Kraken answer, if it carries one (`None` for a success or a body that is
/// not an envelope at all: the result parser then reports it as malformed).
pub fn parse_envelope_error(body: &[u8]) -> Option<ExchangeError> {
    let e = serde_json::from_slice::<ErrorsOnly>(body).ok()?;
    (!e.error.is_empty()).then(|| classify_errors(&e.error))
}

fn result<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, ExchangeError> {
    if let Some(e) = parse_envelope_error(body) {
        return Err(e);
    }
    serde_json::from_slice::<Envelope<T>>(body)
        .map_err(|e| ExchangeError::from_json(what, &e))?
        .result
        .ok_or_else(|| ExchangeError::malformed(what, "no result"))
}

#[derive(Deserialize)]
struct RawTime {
    unixtime: u64,
}

/// `Time`: the server's clock in ms.
pub fn parse_server_time(body: &[u8]) -> Result<u64, ExchangeError> {
    let t: RawTime = result("server time", body)?;
    t.unixtime
        .checked_mul(1000)
        .ok_or_else(|| ExchangeError::malformed("server time", "out of range"))
}

#[derive(Deserialize)]
struct RawPair {
    altname: String,
    #[serde(default)]
    wsname: Option<String>,
    base: String,
    quote: String,
    pair_decimals: u32,
    lot_decimals: u32,
    #[serde(default, deserialize_with = "opt_dec")]
    ordermin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    costmin: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    tick_size: Option<Decimal>,
    #[serde(default)]
    status: Option<String>,
}

/// One unit in the `dp`-th decimal place (`2` → `0.01`); `None` beyond Decimal's scale.
fn step(dp: u32) -> Option<Decimal> {
    (dp <= 28).then(|| Decimal::new(1, dp))
}

/// `AssetPairs`: the rules of every pair, and the names Kraken may use for each (the
/// result's key, the altname) mapped to Tradeward's symbol. Pairs whose assets do not make a
/// symbol (dark pools, `.d` suffixes) are left out rather than failing the whole answer.
pub fn parse_asset_pairs(
    body: &[u8],
) -> Result<(ExchangeRules, Vec<(String, Symbol)>), ExchangeError> {
    let raw: BTreeMap<String, RawPair> = result("asset pairs", body)?;
    let mut rules = ExchangeRules::default();
    let mut names = Vec::new();
    for (key, p) in raw {
        // The WebSocket name (`XBT/USD`) splits base and quote unambiguously; fall back to the
        // asset codes.
        let (base, quote) = match p.wsname.as_deref().and_then(|w| w.split_once('/')) {
            Some((b, q)) => (asset_code(b), asset_code(q)),
            None => (asset_code(&p.base), asset_code(&p.quote)),
        };
        let Ok(symbol) = Symbol::new(&base, &quote) else {
            continue;
        };
        let tick = p
            .tick_size
            .filter(|t| *t > Decimal::ZERO)
            .or(step(p.pair_decimals));
        let filters = SymbolFilters {
            tick_size: tick,
            step_size: step(p.lot_decimals),
            min_qty: p.ordermin,
            min_notional: p.costmin,
            ..SymbolFilters::default()
        };
        names.push((key.clone(), symbol.clone()));
        names.push((p.altname.clone(), symbol.clone()));
        rules.symbols.push(SymbolRules {
            symbol,
            venue_symbol: key,
            trading: p.status.as_deref().is_none_or(|s| s == "online"),
            filters,
        });
    }
    Ok((rules, names))
}

#[derive(Deserialize)]
struct RawBalanceEx {
    #[serde(deserialize_with = "dec")]
    balance: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    hold_trade: Option<Decimal>,
}

/// `BalanceEx`: per asset, available (`balance - hold_trade`) and held by orders.
pub fn parse_balance_ex(body: &[u8]) -> Result<Vec<Balance>, ExchangeError> {
    let raw: BTreeMap<String, RawBalanceEx> = result("balances", body)?;
    raw.into_iter()
        .map(|(asset, b)| {
            let locked = b.hold_trade.unwrap_or_default();
            let free = b
                .balance
                .checked_sub(locked)
                .filter(|f| *f >= Decimal::ZERO)
                .ok_or_else(|| ExchangeError::malformed("balances", "hold exceeds balance"))?;
            if locked < Decimal::ZERO {
                return Err(ExchangeError::malformed("balances", "negative hold"));
            }
            Ok(Balance {
                asset: asset_code(&asset),
                free,
                locked,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct RawAdded {
    txid: Vec<String>,
}

/// `AddOrder`: the new order's txid.
pub fn parse_txid(body: &[u8]) -> Result<String, ExchangeError> {
    let r: RawAdded = result("new order", body)?;
    r.txid
        .into_iter()
        .next()
        .filter(|t| valid_txid(t))
        .ok_or_else(|| ExchangeError::malformed("new order", "no usable txid"))
}

fn valid_txid(t: &str) -> bool {
    !t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[derive(Deserialize)]
struct RawCancel {
    count: u64,
}

/// `CancelOrder`: how many orders were cancelled.
pub fn parse_cancel(body: &[u8]) -> Result<u64, ExchangeError> {
    Ok(result::<RawCancel>("cancel", body)?.count)
}

#[derive(Deserialize)]
struct RawDescr {
    pair: String,
    #[serde(rename = "type")]
    side: String,
    ordertype: String,
    #[serde(default, deserialize_with = "opt_dec")]
    price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    price2: Option<Decimal>,
}

#[derive(Deserialize)]
struct RawOrder {
    status: String,
    #[serde(default)]
    opentm: Option<f64>,
    #[serde(default)]
    closetm: Option<f64>,
    descr: RawDescr,
    #[serde(deserialize_with = "dec")]
    vol: Decimal,
    #[serde(deserialize_with = "dec")]
    vol_exec: Decimal,
    #[serde(deserialize_with = "dec")]
    cost: Decimal,
    #[serde(default)]
    oflags: Option<String>,
    #[serde(default)]
    cl_ord_id: Option<String>,
    #[serde(default)]
    userref: Option<serde_json::Value>,
}

/// Seconds (Kraken's float timestamps) to ms; `None` for nonsense.
fn secs_to_ms(s: Option<f64>) -> Option<u64> {
    s.filter(|s| s.is_finite() && *s >= 0.0 && *s < 1.0e11)
        .map(|s| (s * 1000.0).round() as u64)
}

fn order_report(
    venue: Venue,
    txid: &str,
    o: RawOrder,
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<OrderReport, ExchangeError> {
    const WHAT: &str = "order";
    if !valid_txid(txid) {
        return Err(ExchangeError::malformed(WHAT, "bad txid"));
    }
    let symbol = resolve(&o.descr.pair)
        .ok_or_else(|| ExchangeError::malformed(WHAT, "order on an unknown pair"))?;
    let side = match o.descr.side.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(ExchangeError::malformed(WHAT, "unknown side")),
    };
    let post = o
        .oflags
        .as_deref()
        .is_some_and(|f| f.split(',').any(|x| x == "post"));
    let (order_type, price) = match o.descr.ordertype.as_str() {
        "limit" | "iceberg" if post => (OrderType::LimitMaker, o.descr.price),
        "limit" | "iceberg" => (OrderType::Limit, o.descr.price),
        "market" => (OrderType::Market, None),
        "stop-loss" | "trailing-stop" => (OrderType::StopLoss, None),
        "take-profit" => (OrderType::TakeProfit, None),
        "stop-loss-limit" | "trailing-stop-limit" => (OrderType::StopLossLimit, o.descr.price2),
        "take-profit-limit" => (OrderType::TakeProfitLimit, o.descr.price2),
        _ => return Err(ExchangeError::malformed(WHAT, "unknown order type")),
    };
    if o.vol < Decimal::ZERO || o.vol_exec < Decimal::ZERO || o.cost < Decimal::ZERO {
        return Err(ExchangeError::malformed(WHAT, "negative amount"));
    }
    let status = match o.status.as_str() {
        "pending" => OrderStatus::PendingNew,
        "open" if o.vol_exec > Decimal::ZERO => OrderStatus::PartiallyFilled,
        "open" => OrderStatus::New,
        "closed" if o.vol_exec >= o.vol => OrderStatus::Filled,
        "closed" | "expired" => OrderStatus::Expired,
        "canceled" => OrderStatus::Canceled,
        _ => return Err(ExchangeError::malformed(WHAT, "unknown status")),
    };
    let client_order_id = match (&o.cl_ord_id, &o.userref) {
        (Some(c), _) if !c.is_empty() => from_cl_ord_id(c),
        (_, Some(serde_json::Value::Number(n))) if n.as_i64() != Some(0) => n.to_string(),
        _ => String::new(),
    };
    if client_order_id.len() > 64 {
        return Err(ExchangeError::malformed(WHAT, "client order id too long"));
    }
    Ok(OrderReport {
        venue,
        symbol,
        venue_order_id: txid.to_owned(),
        client_order_id,
        side,
        order_type,
        status,
        price: price.unwrap_or_default(),
        orig_qty: o.vol,
        executed_qty: o.vol_exec,
        cumulative_quote_qty: o.cost,
        update_time_ms: secs_to_ms(o.closetm).or(secs_to_ms(o.opentm)),
    })
}

/// `QueryOrders`: the orders by txid.
pub fn parse_order_map(
    venue: Venue,
    body: &[u8],
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<Vec<OrderReport>, ExchangeError> {
    let raw: BTreeMap<String, RawOrder> = result("orders", body)?;
    raw.into_iter()
        .map(|(txid, o)| order_report(venue, &txid, o, resolve))
        .collect()
}

#[derive(Deserialize)]
struct RawPage {
    #[serde(default)]
    open: Option<BTreeMap<String, RawOrder>>,
    #[serde(default)]
    closed: Option<BTreeMap<String, RawOrder>>,
}

/// `OpenOrders` (`{"open": {...}}`) or `ClosedOrders` (`{"closed": {...}, "count": n}`).
pub fn parse_orders_page(
    venue: Venue,
    body: &[u8],
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<Vec<OrderReport>, ExchangeError> {
    let page: RawPage = result("orders", body)?;
    let map = page
        .open
        .or(page.closed)
        .ok_or_else(|| ExchangeError::malformed("orders", "neither open nor closed orders"))?;
    let mut out: Vec<OrderReport> = map
        .into_iter()
        .map(|(txid, o)| order_report(venue, &txid, o, resolve))
        .collect::<Result<_, _>>()?;
    // Newest first, as Kraken lists them (a map loses the order).
    out.sort_by_key(|o| std::cmp::Reverse(o.update_time_ms));
    Ok(out)
}

/// What `GetApiKeyInfo` says about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrakenKeyInfo {
    /// Permission names (`query-funds`, `modify-trades`, `withdraw-funds`, ...).
    pub permissions: Vec<String>,
    /// Addresses allowed to use the key (empty: any address).
    pub ip_allowlist: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKeyInfo {
    permissions: Vec<String>,
    #[serde(default)]
    ip_allowlist: Vec<String>,
}

/// `GetApiKeyInfo`.
pub fn parse_api_key_info(body: &[u8]) -> Result<KrakenKeyInfo, ExchangeError> {
    let r: RawKeyInfo = result("API key info", body)?;
    let clean = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .filter(|s| s.len() <= 64)
            .map(|s| s.chars().filter(|c| !c.is_control()).collect())
            .collect()
    };
    Ok(KrakenKeyInfo {
        permissions: clean(r.permissions),
        ip_allowlist: clean(r.ip_allowlist),
    })
}
