//! Parsers of Binance REST answers: errors, server time, exchange information, account,
//! orders and listen keys.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tradeward_domain::{Symbol, Venue};

use super::de::{dec, non_negative, opt_dec, short_text};
use super::enums::{RawOrderType, RawSide, RawStatus};
use crate::error::ExchangeError;
use crate::filters::SymbolFilters;
use crate::types::{Balance, ExchangeRules, OrderReport, SymbolRules};

fn json<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, ExchangeError> {
    serde_json::from_slice(body).map_err(|e| ExchangeError::from_json(what, &e))
}

#[derive(Deserialize)]
struct RawError {
    code: i64,
    msg: String,
}

/// A Binance error body `{"code": -1121, "msg": "Invalid symbol."}` as (code, message), or
/// `None` if the body is not one.
pub fn parse_error(body: &[u8]) -> Option<(i64, String)> {
    serde_json::from_slice::<RawError>(body)
        .ok()
        .map(|e| (e.code, e.msg))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTime {
    server_time: u64,
}

/// `GET /api/v3/time`: the server's clock in ms.
pub fn parse_server_time(body: &[u8]) -> Result<u64, ExchangeError> {
    Ok(json::<RawTime>("server time", body)?.server_time)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawExchangeInfo {
    #[serde(default)]
    rate_limits: Vec<RawRateLimit>,
    symbols: Vec<RawSymbol>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRateLimit {
    rate_limit_type: String,
    interval: String,
    #[serde(default = "one")]
    interval_num: u32,
    limit: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSymbol {
    symbol: String,
    status: String,
    base_asset: String,
    quote_asset: String,
    #[serde(default)]
    filters: Vec<RawFilter>,
}

#[derive(Deserialize)]
#[serde(tag = "filterType")]
enum RawFilter {
    #[serde(rename = "PRICE_FILTER", rename_all = "camelCase")]
    Price {
        #[serde(deserialize_with = "dec")]
        min_price: Decimal,
        #[serde(deserialize_with = "dec")]
        max_price: Decimal,
        #[serde(deserialize_with = "dec")]
        tick_size: Decimal,
    },
    #[serde(rename = "LOT_SIZE", rename_all = "camelCase")]
    LotSize {
        #[serde(deserialize_with = "dec")]
        min_qty: Decimal,
        #[serde(deserialize_with = "dec")]
        max_qty: Decimal,
        #[serde(deserialize_with = "dec")]
        step_size: Decimal,
    },
    #[serde(rename = "MARKET_LOT_SIZE", rename_all = "camelCase")]
    MarketLotSize {
        #[serde(deserialize_with = "dec")]
        min_qty: Decimal,
        #[serde(deserialize_with = "dec")]
        max_qty: Decimal,
        #[serde(deserialize_with = "dec")]
        step_size: Decimal,
    },
    #[serde(rename = "MIN_NOTIONAL", rename_all = "camelCase")]
    MinNotional {
        #[serde(deserialize_with = "dec")]
        min_notional: Decimal,
        #[serde(default)]
        apply_to_market: bool,
    },
    #[serde(rename = "NOTIONAL", rename_all = "camelCase")]
    Notional {
        #[serde(deserialize_with = "dec")]
        min_notional: Decimal,
        #[serde(default)]
        apply_min_to_market: bool,
        #[serde(default, deserialize_with = "opt_dec")]
        max_notional: Option<Decimal>,
    },
    /// Filters Tradeward does not check itself (PERCENT_PRICE, ICEBERG_PARTS, ...): the venue
    /// still enforces them.
    #[serde(other)]
    Other,
}

fn filters_of(what: &'static str, raw: &[RawFilter]) -> Result<SymbolFilters, ExchangeError> {
    let nn = |field: &str, v: Decimal| non_negative(what, field, v).map(Some);
    let mut f = SymbolFilters::default();
    for filter in raw {
        match filter {
            RawFilter::Price {
                min_price,
                max_price,
                tick_size,
            } => {
                f.min_price = nn("minPrice", *min_price)?;
                f.max_price = nn("maxPrice", *max_price)?;
                f.tick_size = nn("tickSize", *tick_size)?;
            }
            RawFilter::LotSize {
                min_qty,
                max_qty,
                step_size,
            } => {
                f.min_qty = nn("minQty", *min_qty)?;
                f.max_qty = nn("maxQty", *max_qty)?;
                f.step_size = nn("stepSize", *step_size)?;
            }
            RawFilter::MarketLotSize {
                min_qty,
                max_qty,
                step_size,
            } => {
                f.market_min_qty = nn("minQty", *min_qty)?;
                f.market_max_qty = nn("maxQty", *max_qty)?;
                f.market_step_size = nn("stepSize", *step_size)?;
            }
            RawFilter::MinNotional {
                min_notional,
                apply_to_market,
            } => {
                // NOTIONAL supersedes MIN_NOTIONAL when both are listed.
                if f.min_notional.is_none() {
                    f.min_notional = nn("minNotional", *min_notional)?;
                    f.min_notional_applies_to_market = *apply_to_market;
                }
            }
            RawFilter::Notional {
                min_notional,
                apply_min_to_market,
                max_notional,
            } => {
                f.min_notional = nn("minNotional", *min_notional)?;
                f.min_notional_applies_to_market = *apply_min_to_market;
                f.max_notional = match max_notional {
                    Some(m) => nn("maxNotional", *m)?,
                    None => None,
                };
            }
            RawFilter::Other => {}
        }
    }
    Ok(f)
}

/// `GET /api/v3/exchangeInfo` as venue-neutral rules.
///
/// Symbols whose assets Tradeward's [`Symbol`] cannot spell (non-ASCII asset names exist on
/// Binance) or whose name is not `base + quote` are left out rather than failing the whole
/// answer: they cannot be traded through Tradeward anyway.
pub fn parse_exchange_info(body: &[u8]) -> Result<ExchangeRules, ExchangeError> {
    const WHAT: &str = "exchange information";
    let raw: RawExchangeInfo = json(WHAT, body)?;
    let mut symbols = Vec::with_capacity(raw.symbols.len());
    for s in &raw.symbols {
        let Ok(symbol) = Symbol::new(&s.base_asset, &s.quote_asset) else {
            tracing::debug!("exchange information: skipped a symbol with unusual asset names");
            continue;
        };
        if symbol.concatenated() != s.symbol {
            tracing::debug!("exchange information: skipped a symbol not named base+quote");
            continue;
        }
        symbols.push(SymbolRules {
            venue_symbol: s.symbol.clone(),
            symbol,
            trading: s.status == "TRADING",
            filters: filters_of(WHAT, &s.filters)?,
        });
    }
    let request_weight_per_minute = raw
        .rate_limits
        .iter()
        .find(|r| {
            r.rate_limit_type == "REQUEST_WEIGHT" && r.interval == "MINUTE" && r.interval_num == 1
        })
        .map(|r| r.limit);
    Ok(ExchangeRules {
        symbols,
        request_weight_per_minute,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAccount {
    balances: Vec<RawBalance>,
}

#[derive(Deserialize)]
struct RawBalance {
    asset: String,
    #[serde(deserialize_with = "dec")]
    free: Decimal,
    #[serde(deserialize_with = "dec")]
    locked: Decimal,
}

/// Checks and converts one balance entry (REST or stream).
pub(crate) fn balance(
    what: &'static str,
    asset: String,
    free: Decimal,
    locked: Decimal,
) -> Result<Balance, ExchangeError> {
    short_text(what, "asset", &asset, 32)?;
    Ok(Balance {
        asset,
        free: non_negative(what, "free", free)?,
        locked: non_negative(what, "locked", locked)?,
    })
}

/// `GET /api/v3/account`: the balances.
pub fn parse_account(body: &[u8]) -> Result<Vec<Balance>, ExchangeError> {
    const WHAT: &str = "account";
    let raw: RawAccount = json(WHAT, body)?;
    raw.balances
        .into_iter()
        .map(|b| balance(WHAT, b.asset, b.free, b.locked))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOrder {
    symbol: String,
    order_id: u64,
    client_order_id: String,
    /// Cancel answers carry the cancelled order's id here (`clientOrderId` is the cancel's).
    #[serde(default)]
    orig_client_order_id: Option<String>,
    #[serde(deserialize_with = "dec")]
    price: Decimal,
    #[serde(deserialize_with = "dec")]
    orig_qty: Decimal,
    #[serde(deserialize_with = "dec")]
    executed_qty: Decimal,
    #[serde(deserialize_with = "dec")]
    cummulative_quote_qty: Decimal,
    status: RawStatus,
    #[serde(rename = "type")]
    order_type: RawOrderType,
    side: RawSide,
    #[serde(default)]
    update_time: Option<u64>,
    #[serde(default)]
    transact_time: Option<u64>,
}

fn order_report(
    what: &'static str,
    venue: Venue,
    raw: RawOrder,
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<OrderReport, ExchangeError> {
    let symbol = resolve(&raw.symbol)
        .ok_or_else(|| ExchangeError::malformed(what, "`symbol` is not one we asked about"))?;
    let client_order_id = match raw.orig_client_order_id {
        Some(orig) if !orig.is_empty() => orig,
        _ => raw.client_order_id,
    };
    short_text(what, "clientOrderId", &client_order_id, 64)?;
    let executed = non_negative(what, "executedQty", raw.executed_qty)?;
    let orig = non_negative(what, "origQty", raw.orig_qty)?;
    Ok(OrderReport {
        venue,
        symbol,
        venue_order_id: raw.order_id.to_string(),
        client_order_id,
        side: raw.side.into(),
        order_type: raw.order_type.into(),
        status: raw.status.into(),
        price: non_negative(what, "price", raw.price)?,
        orig_qty: orig,
        executed_qty: executed,
        // Binance documents a negative value as "not available" for some old orders.
        cumulative_quote_qty: raw.cummulative_quote_qty.max(Decimal::ZERO),
        update_time_ms: raw.update_time.or(raw.transact_time),
    })
}

/// One order: the answer to a new order (`RESULT`/`FULL`), a query or a cancel. `resolve`
/// maps the venue's symbol spelling to a [`Symbol`] (and refuses symbols not asked about).
pub fn parse_order(
    venue: Venue,
    body: &[u8],
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<OrderReport, ExchangeError> {
    const WHAT: &str = "order";
    order_report(WHAT, venue, json(WHAT, body)?, resolve)
}

/// A list of orders (`GET /api/v3/openOrders`).
pub fn parse_orders(
    venue: Venue,
    body: &[u8],
    resolve: &dyn Fn(&str) -> Option<Symbol>,
) -> Result<Vec<OrderReport>, ExchangeError> {
    const WHAT: &str = "order list";
    let raw: Vec<RawOrder> = json(WHAT, body)?;
    raw.into_iter()
        .map(|o| order_report(WHAT, venue, o, resolve))
        .collect()
}

/// A user-data-stream listen key. Anyone holding it can read the account's private stream,
/// so it is kept out of `Debug` and every error and log.
#[derive(Clone, PartialEq, Eq)]
pub struct ListenKey(String);

impl ListenKey {
    /// The key's text (goes into the stream URL and keepalive requests only).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ListenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ListenKey(<redacted>)")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawListenKey {
    listen_key: String,
}

/// `POST /api/v3/userDataStream`.
pub fn parse_listen_key(body: &[u8]) -> Result<ListenKey, ExchangeError> {
    const WHAT: &str = "listen key";
    let raw: RawListenKey = json(WHAT, body)?;
    let k = raw.listen_key;
    // It becomes a URL path segment: letters and digits only.
    if k.is_empty() || k.len() > 256 || !k.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ExchangeError::malformed(
            WHAT,
            "`listenKey` is empty, too long or not alphanumeric",
        ));
    }
    Ok(ListenKey(k))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawApiRestrictions {
    ip_restrict: bool,
    #[serde(default)]
    enable_reading: bool,
    #[serde(default)]
    enable_withdrawals: bool,
    #[serde(default)]
    enable_internal_transfer: bool,
    #[serde(default)]
    permits_universal_transfer: bool,
    #[serde(default)]
    enable_spot_and_margin_trading: bool,
}

/// `GET /sapi/v1/account/apiRestrictions`: the key's permissions (unknown fields ignored,
/// absent ones read as "not granted").
pub fn parse_api_restrictions(
    venue: Venue,
    body: &[u8],
) -> Result<crate::key_check::KeyPermissions, ExchangeError> {
    let r: RawApiRestrictions = json("API key restrictions", body)?;
    Ok(crate::key_check::KeyPermissions {
        venue,
        can_read: r.enable_reading,
        can_trade: r.enable_spot_and_margin_trading,
        can_withdraw: r.enable_withdrawals,
        can_transfer: r.enable_internal_transfer || r.permits_universal_transfer,
        ip_restricted: Some(r.ip_restrict),
    })
}
