//! `/triggers`: server-side conditional orders (stops, take-profits, trailing stops, OCO and
//! one-triggers-other brackets), held by the trigger engine and placed through the signer when
//! they fire, so the engine never holds a secret.
//!
//! Arming needs the trade scope and a second factor enrolled (S3): a phished password alone
//! cannot plant an order. A trigger is stored before `201` is answered; bad input (a stop on
//! the wrong side of the market, a quantity off the venue's step, an unknown symbol, someone
//! else's credential) is refused with a clear error and nothing is armed.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradeward_auth::{Principal, Scope};
use tradeward_domain::{CredentialId, Side, Symbol, Venue};
use tradeward_engine::service::{
    new_trigger_id, parse_trigger_id, EngineService, ServiceError, TriggerView,
};
use tradeward_engine::{
    FollowUp, Leg, LegStatus, LimitPrice, MarketKey, Missed, OrderKind, OrderPlan, PriceSource,
    Trail, TriggerBody, TriggerId, TriggerSpec,
};
use tradeward_store::TriggerState;
use utoipa::{IntoParams, ToSchema};

use super::dto::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authenticated};
use crate::state::AppState;

/// How far a trailing stop follows the price: exactly one of the two.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrailBody {
    /// A price distance (decimal string, a whole number of ticks).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub amount: Option<Decimal>,
    /// A percentage of the best price since activation (0 < p < 100).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub percent: Option<Decimal>,
}

/// One conditional order (a leg of an `oco`, or a bracket's follow-up).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegBody {
    /// `stop_market`, `stop_limit`, `take_profit_market`, `take_profit_limit`,
    /// `trailing_stop`, or (as a follow-up only) `oco` with `legs`.
    pub kind: String,
    /// `buy` or `sell`.
    pub side: Option<String>,
    /// Base quantity (decimal string, a multiple of the venue's step).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Decimal>,
    /// The trigger level of stops and take-profits.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub stop_price: Option<Decimal>,
    /// The limit price of `*_limit` kinds (or give `limit_offset`).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub limit_price: Option<Decimal>,
    /// The limit as a distance from the stop, toward a fill (buy: above, sell: below).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub limit_offset: Option<Decimal>,
    /// How a `trailing_stop` follows the price.
    pub trail: Option<TrailBody>,
    /// A `trailing_stop` starts following only once the price reaches this.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub activation_price: Option<Decimal>,
    /// The price watched: `last` (default), `bid` or `ask`.
    pub price_source: Option<String>,
    /// The two legs of an `oco` follow-up.
    #[schema(no_recursion)]
    pub legs: Option<Vec<LegBody>>,
}

/// `POST /triggers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrigger {
    /// The credential (of the caller) the order is placed with; its venue is the market's.
    pub credential_id: String,
    /// `BASE/QUOTE`.
    pub symbol: String,
    /// One of the leg kinds, or `oco` (give `legs`: two legs, the first to fire cancels the
    /// other).
    pub kind: String,
    /// `buy` or `sell` (single legs).
    pub side: Option<String>,
    /// Base quantity (single legs).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Decimal>,
    /// Trigger level (stops and take-profits).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub stop_price: Option<Decimal>,
    /// Limit price (`*_limit`).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub limit_price: Option<Decimal>,
    /// Limit as a distance from the stop (`*_limit`).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub limit_offset: Option<Decimal>,
    /// Trailing distance (`trailing_stop`).
    pub trail: Option<TrailBody>,
    /// Activation price (`trailing_stop`).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub activation_price: Option<Decimal>,
    /// `last` (default), `bid` or `ask`.
    pub price_source: Option<String>,
    /// The legs of an `oco`.
    pub legs: Option<Vec<LegBody>>,
    /// One-triggers-other: armed only when this trigger fires (one leg, or `oco` with legs).
    pub then: Option<LegBody>,
    /// Your own reference (at most 64 characters).
    pub client_id: Option<String>,
}

/// A leg still armed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveLeg {
    /// Leg number (0 = first; a bracket's follow-ups are 1 and 2).
    pub leg: u8,
    /// `armed`, `waiting` (a follow-up), `awaiting_activation` or `trailing`.
    pub status: &'static str,
    /// A trailing stop's best price since activation.
    #[schema(value_type = Option<String>)]
    pub extreme: Option<String>,
}

/// An order a trigger placed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerOrder {
    /// Which leg placed it.
    pub leg: u8,
    /// The deterministic client order id it was sent with.
    pub client_order_id: String,
    /// `decided`, `pending_new`, `new`, `partially_filled`, `filled`, `cancelled`,
    /// `rejected`, `expired`.
    pub state: &'static str,
    /// The venue's id.
    pub venue_order_id: Option<String>,
    /// Filled quantity.
    pub executed_qty: Option<String>,
}

/// A trigger.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerInfo {
    /// Its id.
    pub id: String,
    /// The credential it trades with.
    pub credential_id: Option<String>,
    /// The venue.
    pub venue: String,
    /// `BASE/QUOTE`.
    pub symbol: String,
    /// `armed`, `firing`, `fired`, `cancelled`, `missed`, `rejected`.
    pub state: &'static str,
    /// For a person, e.g. "missed while trading was disabled".
    pub status_text: &'static str,
    /// Your reference.
    pub client_id: Option<String>,
    /// The trigger as armed (engine spec).
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
    /// Legs still armed.
    pub live_legs: Vec<LiveLeg>,
    /// Orders placed.
    pub orders: Vec<TriggerOrder>,
    /// When armed.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// `GET /triggers` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Most recent first; at most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn engine(state: &AppState) -> Result<Arc<EngineService>, ApiError> {
    state.engine().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "engine_unavailable",
            "the trigger engine is not running on this server (no venue configured)",
        )
    })
}

fn require_scope(p: &Principal, scope: Scope) -> Result<(), ApiError> {
    if p.has_scope(scope) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        format!("this token lacks the {} scope", scope.as_str()),
    ))
}

pub(crate) fn service_error(e: ServiceError) -> ApiError {
    match e {
        ServiceError::Arm(e) => unprocessable("invalid_trigger", e.to_string()),
        ServiceError::UnknownCredential(_) => ApiError::not_found("credential"),
        ServiceError::Market { .. } => unprocessable("unknown_symbol", e.to_string()),
        ServiceError::Venue(_) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "venue_unavailable",
            "the venue could not be reached; nothing was armed",
        ),
        other => ApiError::internal(&other),
    }
}

fn parse_side(s: Option<&str>) -> Result<Side, ApiError> {
    match s {
        Some("buy") => Ok(Side::Buy),
        Some("sell") => Ok(Side::Sell),
        Some(_) => Err(unprocessable("invalid_field", "side: expected buy or sell")),
        None => Err(unprocessable("missing_field", "side is required")),
    }
}

fn parse_source(s: Option<&str>) -> Result<PriceSource, ApiError> {
    match s {
        None | Some("last") => Ok(PriceSource::Last),
        Some("bid") => Ok(PriceSource::Bid),
        Some("ask") => Ok(PriceSource::Ask),
        Some(_) => Err(unprocessable(
            "invalid_field",
            "price_source: expected last, bid or ask",
        )),
    }
}

fn required(v: Option<Decimal>, field: &str) -> Result<Decimal, ApiError> {
    v.ok_or_else(|| {
        unprocessable(
            "missing_field",
            format!("{field} is required for this kind"),
        )
    })
}

fn limit(b: &LegBody) -> Result<LimitPrice, ApiError> {
    match (b.limit_price, b.limit_offset) {
        (Some(p), None) => Ok(LimitPrice::Price(p)),
        (None, Some(o)) => Ok(LimitPrice::Offset(o)),
        _ => Err(unprocessable(
            "missing_field",
            "give exactly one of limit_price and limit_offset",
        )),
    }
}

/// One leg from its body; `kind` must be a leg kind (not `oco`).
fn leg(b: &LegBody) -> Result<Leg, ApiError> {
    let kind = match b.kind.as_str() {
        "stop_market" => OrderKind::StopMarket {
            stop: required(b.stop_price, "stop_price")?,
        },
        "stop_limit" => OrderKind::StopLimit {
            stop: required(b.stop_price, "stop_price")?,
            limit: limit(b)?,
        },
        "take_profit_market" => OrderKind::TakeProfitMarket {
            trigger: required(b.stop_price, "stop_price")?,
        },
        "take_profit_limit" => OrderKind::TakeProfitLimit {
            trigger: required(b.stop_price, "stop_price")?,
            limit: limit(b)?,
        },
        "trailing_stop" => {
            let t = b
                .trail
                .as_ref()
                .ok_or_else(|| unprocessable("missing_field", "trail is required"))?;
            let trail = match (t.amount, t.percent) {
                (Some(a), None) => Trail::Amount(a),
                (None, Some(p)) => Trail::Percent(p),
                _ => {
                    return Err(unprocessable(
                        "invalid_field",
                        "trail: give exactly one of amount and percent",
                    ))
                }
            };
            OrderKind::TrailingStop {
                trail,
                activation: b.activation_price,
            }
        }
        _ => {
            return Err(unprocessable(
                "invalid_field",
                "kind: expected stop_market, stop_limit, take_profit_market, \
                 take_profit_limit, trailing_stop or oco",
            ))
        }
    };
    Ok(Leg {
        side: parse_side(b.side.as_deref())?,
        quantity: required(b.quantity, "quantity")?,
        source: parse_source(b.price_source.as_deref())?,
        kind,
    })
}

fn two_legs(legs: Option<&Vec<LegBody>>) -> Result<(Leg, Leg), ApiError> {
    match legs.map(Vec::as_slice) {
        Some([a, b]) => Ok((leg(a)?, leg(b)?)),
        _ => Err(unprocessable(
            "invalid_field",
            "legs: an oco needs exactly two legs",
        )),
    }
}

fn plan(req: &NewTrigger) -> Result<OrderPlan, ApiError> {
    let head = LegBody {
        kind: req.kind.clone(),
        side: req.side.clone(),
        quantity: req.quantity,
        stop_price: req.stop_price,
        limit_price: req.limit_price,
        limit_offset: req.limit_offset,
        trail: req.trail.clone(),
        activation_price: req.activation_price,
        price_source: req.price_source.clone(),
        legs: req.legs.clone(),
    };
    match (req.kind.as_str(), &req.then) {
        ("oco", None) => {
            let (first, second) = two_legs(req.legs.as_ref())?;
            Ok(OrderPlan::Oco { first, second })
        }
        ("oco", Some(_)) => Err(unprocessable(
            "invalid_field",
            "then: a bracket's entry is one leg, not an oco",
        )),
        (_, None) => Ok(OrderPlan::Single(leg(&head)?)),
        (_, Some(then)) => {
            let then = if then.kind == "oco" {
                let (first, second) = two_legs(then.legs.as_ref())?;
                FollowUp::Oco { first, second }
            } else {
                FollowUp::Single(leg(then)?)
            };
            Ok(OrderPlan::Oto {
                primary: leg(&head)?,
                then,
            })
        }
    }
}

fn order_state(s: tradeward_store::OrderState) -> &'static str {
    s.as_str()
}

fn trigger_state(s: TriggerState) -> (&'static str, &'static str) {
    match s {
        TriggerState::Armed => ("armed", "armed: waiting for its condition"),
        TriggerState::Firing => ("firing", "fired: its order is being placed"),
        TriggerState::Fired => ("fired", "fired: its order reached the venue"),
        TriggerState::Cancelled => ("cancelled", "cancelled"),
        TriggerState::Missed => ("missed", Missed::STATUS),
        TriggerState::Rejected => ("rejected", "fired, but the venue refused its order"),
    }
}

fn info(v: TriggerView) -> TriggerInfo {
    let (state, status_text) = trigger_state(v.row.state);
    let live_legs = v
        .live
        .as_ref()
        .map(|a| {
            a.legs
                .iter()
                .map(|l| {
                    let (status, extreme) = match l.status {
                        LegStatus::Armed => ("armed", None),
                        LegStatus::Waiting => ("waiting", None),
                        LegStatus::AwaitingActivation => ("awaiting_activation", None),
                        LegStatus::Trailing { extreme } => ("trailing", Some(extreme.to_string())),
                    };
                    LiveLeg {
                        leg: l.leg,
                        status,
                        extreme,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    TriggerInfo {
        id: v.row.id.hyphenated().to_string(),
        credential_id: v.row.credential_id.map(|c| c.to_string()),
        venue: v.row.venue,
        symbol: v.row.symbol,
        state,
        status_text,
        client_id: v.spec.as_ref().and_then(|s| s.client_id.clone()),
        spec: serde_json::from_str(&v.row.spec).unwrap_or(serde_json::Value::Null),
        live_legs,
        orders: v
            .orders
            .into_iter()
            .map(|o| TriggerOrder {
                leg: o.leg,
                client_order_id: o.client_order_id,
                state: order_state(o.state),
                venue_order_id: o.venue_order_id,
                executed_qty: o.executed_qty,
            })
            .collect(),
        created_at: rfc3339(v.row.created_at_us),
        updated_at: rfc3339(v.row.updated_at_us),
    }
}

/// Arms a trigger. Answers once it is stored.
#[utoipa::path(post, path = "/api/v1/triggers", tag = "triggers",
    request_body = NewTrigger,
    responses((status = 201, body = TriggerInfo), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(req): ApiJson<NewTrigger>,
) -> Result<(StatusCode, Json<TriggerInfo>), ApiError> {
    let principal = &who.0;
    require_scope(principal, Scope::Trade)?;
    if !state.auth().has_second_factor(principal.user_id).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "second_factor_required",
            "enrol a second factor (POST /api/v1/me/totp) before trading",
        ));
    }
    let engine = engine(&state)?;
    let credential: CredentialId = req
        .credential_id
        .parse()
        .map_err(|_| ApiError::not_found("credential"))?;
    let row = state
        .store()
        .credential(credential)
        .await?
        .filter(|c| c.owner_id == principal.user_id)
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let venue: Venue = row
        .venue
        .parse()
        .map_err(|_| ApiError::internal(&"stored credential has an unknown venue"))?;
    let symbol: Symbol = req.symbol.parse().map_err(|_| {
        unprocessable(
            "invalid_field",
            "symbol: expected BASE/QUOTE, e.g. BTC/USDT",
        )
    })?;
    let spec = TriggerSpec {
        id: new_trigger_id(),
        owner: principal.user_id,
        market: MarketKey { venue, symbol },
        client_id: req.client_id.clone(),
        body: TriggerBody::Order {
            credential,
            plan: plan(&req)?,
        },
    };
    let id = spec.id;
    engine.arm(spec).await.map_err(service_error)?;
    let view = engine
        .trigger(principal.user_id, id)
        .await
        .map_err(service_error)?
        .ok_or_else(|| ApiError::internal(&"armed trigger not found"))?;
    Ok((StatusCode::CREATED, Json(info(view))))
}

/// The caller's triggers, newest first.
#[utoipa::path(get, path = "/api/v1/triggers", tag = "triggers", params(ListQuery),
    responses((status = 200, body = Vec<TriggerInfo>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Authenticated,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<TriggerInfo>>, ApiError> {
    require_scope(&who.0, Scope::Read)?;
    let engine = engine(&state)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let views = engine
        .list(who.0.user_id, limit)
        .await
        .map_err(service_error)?;
    Ok(Json(views.into_iter().map(info).collect()))
}

/// One of the caller's triggers.
#[utoipa::path(get, path = "/api/v1/triggers/{id}", tag = "triggers",
    params(("id" = String, Path, description = "trigger id")),
    responses((status = 200, body = TriggerInfo), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Authenticated,
    Path(id): Path<String>,
) -> Result<Json<TriggerInfo>, ApiError> {
    require_scope(&who.0, Scope::Read)?;
    let engine = engine(&state)?;
    let id = parse_id(&id)?;
    let view = engine
        .trigger(who.0.user_id, id)
        .await
        .map_err(service_error)?
        .ok_or_else(|| ApiError::not_found("trigger"))?;
    Ok(Json(info(view)))
}

fn parse_id(id: &str) -> Result<TriggerId, ApiError> {
    parse_trigger_id(id).ok_or_else(|| ApiError::not_found("trigger"))
}

/// Cancels one of the caller's armed triggers (another user's id is simply not found; one
/// that already fired, was missed or cancelled answers 409).
#[utoipa::path(delete, path = "/api/v1/triggers/{id}", tag = "triggers",
    params(("id" = String, Path, description = "trigger id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    who: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_scope(&who.0, Scope::Trade)?;
    let engine = engine(&state)?;
    let id = parse_id(&id)?;
    if engine
        .cancel(who.0.user_id, id)
        .await
        .map_err(service_error)?
    {
        return Ok(StatusCode::NO_CONTENT);
    }
    match engine
        .trigger(who.0.user_id, id)
        .await
        .map_err(service_error)?
    {
        None => Err(ApiError::not_found("trigger")),
        Some(v) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_armed",
            format!(
                "the trigger is no longer armed ({})",
                trigger_state(v.row.state).0
            ),
        )),
    }
}
