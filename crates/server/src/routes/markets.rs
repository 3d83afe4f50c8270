//! `/markets`: the watched markets with their last price, and a market's recent price path
//! (what the dashboard's chart draws).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradeward_domain::{Symbol, Venue};
use utoipa::{IntoParams, ToSchema};

use super::dto::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authenticated;
use crate::markets::Markets;
use crate::state::AppState;

/// A watched market.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketInfo {
    /// Venue.
    pub venue: String,
    /// `BASE/QUOTE`.
    pub symbol: String,
    /// Last trade price (decimal string), if any yet.
    #[schema(value_type = Option<String>)]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub price: Option<Decimal>,
    /// When that price traded (RFC 3339).
    pub price_at: Option<String>,
}

/// One point of a price path.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// Start of the one-second slot, ms since the epoch.
    pub time_ms: u64,
    /// Last price in the slot (decimal string).
    #[schema(value_type = String)]
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
}

/// Which market's history.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Venue (`sim`, `binance`, ...).
    pub venue: String,
    /// `BASE/QUOTE`.
    pub symbol: String,
}

fn connected(state: &AppState) -> Result<&Markets, ApiError> {
    state.markets().map(AsRef::as_ref).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "markets_unavailable",
            "this server is not connected to any venue's market data",
        )
    })
}

/// Parses `venue` and `symbol` from a request, with errors that name the parameter.
pub fn parse_market(venue: &str, symbol: &str) -> Result<(Venue, Symbol), ApiError> {
    let v = venue.parse::<Venue>().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "venue: expected one of binance, kraken, coinbase, okx, bybit, sim",
        )
    })?;
    let s = symbol.parse::<Symbol>().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "symbol: expected BASE/QUOTE, e.g. BTC/USDT",
        )
    })?;
    Ok((v, s))
}

/// The watched markets and their last prices.
#[utoipa::path(get, path = "/api/v1/markets", tag = "markets",
    responses((status = 200, body = Vec<MarketInfo>), (status = 401, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _who: Authenticated,
) -> Result<Json<Vec<MarketInfo>>, ApiError> {
    let markets = connected(&state)?;
    Ok(Json(
        markets
            .boards()
            .iter()
            .map(|b| {
                let last = b.last_price();
                MarketInfo {
                    venue: b.market.venue.as_str().to_owned(),
                    symbol: b.market.symbol.to_string(),
                    price: last.map(|(p, _)| p),
                    price_at: last.map(|(_, t)| rfc3339(i64::try_from(t).unwrap_or(0) * 1000)),
                }
            })
            .collect(),
    ))
}

/// A market's recent price path (one point per second, up to ten minutes).
#[utoipa::path(get, path = "/api/v1/markets/history", tag = "markets", params(HistoryQuery),
    responses((status = 200, body = Vec<HistoryPoint>), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    _who: Authenticated,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<HistoryPoint>>, ApiError> {
    let Query(q) = query.map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "give exactly the query parameters venue and symbol",
        )
    })?;
    let (venue, symbol) = parse_market(&q.venue, &q.symbol)?;
    let board = connected(&state)?
        .board(venue, &symbol)
        .ok_or_else(|| ApiError::not_found("market"))?;
    Ok(Json(
        board
            .history()
            .into_iter()
            .map(|p| HistoryPoint {
                time_ms: p.time_ms,
                price: p.price,
            })
            .collect(),
    ))
}
