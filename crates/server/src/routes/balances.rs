//! `GET /balances`: each of the caller's keys' balances, read from its venue through the
//! signer (a signed read, audited like every signature), cached for a moment, and valued
//! in USDT at the last watched prices.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::Serialize;
use tradeward_auth::Scope;
use tradeward_domain::{UserId, Venue};
use tradeward_exchange::binance::BinanceExecution;
use tradeward_exchange::{ExchangeError, ExecutionClient};
use tradeward_signer::CallContext;
use tradeward_store::CredentialRow;
use utoipa::ToSchema;

use super::dto::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authenticated;
use crate::markets::{CachedBalances, Markets};
use crate::metrics::METRICS;
use crate::state::AppState;

/// The currency valuations are given in.
pub const VALUATION_CURRENCY: &str = "USDT";

/// One asset's balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssetBalance {
    /// Asset code (`BTC`).
    pub asset: String,
    /// Available (decimal string).
    #[schema(value_type = String)]
    #[serde(with = "rust_decimal::serde::str")]
    pub free: Decimal,
    /// Held by open orders (decimal string).
    #[schema(value_type = String)]
    #[serde(with = "rust_decimal::serde::str")]
    pub locked: Decimal,
    /// Value of free + locked in the valuation currency, when a price is known.
    #[schema(value_type = Option<String>)]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    /// When the venue reported it (RFC 3339).
    pub updated_at: String,
}

/// A failure to read one key's balances (the others are still reported).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceProblem {
    /// Stable code: `venue_not_connected`, `venue_unavailable`, `venue_rejected`, `signer_refused`.
    pub code: &'static str,
    /// For a person.
    pub message: String,
}

/// One key's balances.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialBalances {
    /// The key's id.
    pub credential_id: String,
    /// Its venue.
    pub venue: String,
    /// Its label.
    pub label: String,
    /// Non-zero balances, by asset.
    pub balances: Vec<AssetBalance>,
    /// Sum of the valued balances.
    #[schema(value_type = String)]
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    /// Why the balances could not be read, if they could not.
    pub error: Option<BalanceProblem>,
}

/// `GET /balances`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Portfolio {
    /// Per key.
    pub credentials: Vec<CredentialBalances>,
    /// The valuation currency (`USDT`).
    pub currency: &'static str,
    /// Total value of every valued balance.
    #[schema(value_type = String)]
    #[serde(with = "rust_decimal::serde::str")]
    pub total_value: Decimal,
    /// Assets held but left out of the total (no watched market prices them).
    pub unpriced_assets: Vec<String>,
}

fn problem(e: &ExchangeError) -> BalanceProblem {
    let code = match e {
        ExchangeError::Retryable { .. } => "venue_unavailable",
        ExchangeError::Rejected { .. } => "venue_rejected",
        ExchangeError::Signer { .. } => "signer_refused",
        _ => "venue_error",
    };
    // The adapter's messages are in our own words and never quote a payload or a secret.
    BalanceProblem {
        code,
        message: e.to_string(),
    }
}

async fn read(
    state: &AppState,
    markets: &Markets,
    user: UserId,
    venue: Venue,
    row: &CredentialRow,
) -> Result<CachedBalances, ExchangeError> {
    let http = markets
        .venue(venue)
        .ok_or_else(|| ExchangeError::Invalid(format!("{venue} is not connected to this server")))?
        .clone();
    markets
        .balances()
        .get_or_fetch(row.id, || async {
            let ctx = CallContext::component("web").for_user(user);
            let client = BinanceExecution::new(http, state.signer_arc(), row.id, ctx);
            let result = client.balances().await;
            METRICS.balance_read(result.is_ok());
            Ok(CachedBalances {
                balances: result?,
                read_at_ms: markets.now_ms(),
            })
        })
        .await
}

fn value_of(markets: &Markets, venue: Venue, asset: &str, amount: Decimal) -> Option<Decimal> {
    if asset == VALUATION_CURRENCY {
        return Some(amount);
    }
    markets
        .price_of(venue, asset, VALUATION_CURRENCY)
        .or_else(|| {
            // Quoted the other way round (USDT/XXX): divide.
            markets
                .price_of(venue, VALUATION_CURRENCY, asset)
                .filter(|p| !p.is_zero())
                .map(|p| Decimal::ONE / p)
        })
        .map(|p| (amount * p).round_dp(8))
}

/// The portfolio of `user`: every key's balances, valued. Failing venues are reported per
/// key; only a store failure fails the whole answer.
pub async fn portfolio(state: &AppState, user: UserId) -> Result<Portfolio, ApiError> {
    let rows = state.store().credentials_of(user).await?;
    let mut out = Portfolio {
        credentials: Vec::with_capacity(rows.len()),
        currency: VALUATION_CURRENCY,
        total_value: Decimal::ZERO,
        unpriced_assets: Vec::new(),
    };
    for row in &rows {
        let mut entry = CredentialBalances {
            credential_id: row.id.to_string(),
            venue: row.venue.clone(),
            label: row.label.clone(),
            balances: Vec::new(),
            value: Decimal::ZERO,
            error: None,
        };
        let venue = row.venue.parse::<Venue>().ok();
        match (state.markets(), venue) {
            (Some(markets), Some(venue)) => match read(state, markets, user, venue, row).await {
                Ok(cached) => {
                    let updated_at = rfc3339(i64::try_from(cached.read_at_ms).unwrap_or(0) * 1000);
                    for b in cached.balances {
                        let amount = b.free + b.locked;
                        if amount.is_zero() {
                            continue;
                        }
                        let value = value_of(markets, venue, &b.asset, amount);
                        match value {
                            Some(v) => entry.value += v,
                            None if !out.unpriced_assets.contains(&b.asset) => {
                                out.unpriced_assets.push(b.asset.clone());
                            }
                            None => {}
                        }
                        entry.balances.push(AssetBalance {
                            asset: b.asset,
                            free: b.free,
                            locked: b.locked,
                            value,
                            updated_at: updated_at.clone(),
                        });
                    }
                    entry.balances.sort_by(|a, b| a.asset.cmp(&b.asset));
                }
                Err(e) => entry.error = Some(problem(&e)),
            },
            _ => {
                entry.error = Some(BalanceProblem {
                    code: "venue_not_connected",
                    message: format!("{} is not connected to this server", row.venue),
                });
            }
        }
        out.total_value += entry.value;
        out.credentials.push(entry);
    }
    out.unpriced_assets.sort();
    Ok(out)
}

/// The caller's balances per key and asset, and their total value.
#[utoipa::path(get, path = "/api/v1/balances", tag = "balances",
    responses((status = 200, body = Portfolio), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<Portfolio>, ApiError> {
    if !who.0.has_scope(Scope::Read) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "this token lacks the read scope",
        ));
    }
    portfolio(&state, who.0.user_id).await.map(Json)
}
