//! The Kraken Spot dialect: REST `/0/public/<Method>` (GET or POST) and `/0/private/<Method>`
//! (POST, signed with `API-Key` / `API-Sign` and a strictly increasing nonce), and the
//! WebSocket v2 market-data feed at `/kraken/v2` (`trade` and `ticker` channels).
//!
//! Answers are Kraken's envelope `{"error": [...], "result": {...}}` with HTTP 200, errors as
//! Kraken's own strings (`EAPI:Invalid key`, `EAPI:Invalid signature`, `EAPI:Invalid nonce`,
//! `EGeneral:Invalid arguments`, `EOrder:Insufficient funds`, ...). Pairs are named as the
//! sim's markets (`BTCUSDT`, also the altname; `BTC/USDT` on WebSockets), assets as the
//! sim's (`BTC`, `USDT`).

mod auth;
pub mod ids;
mod orders;
mod private;
mod public;
mod ws;

use crate::engine::RejectReason;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::Extension;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Kraken-only state: the last nonce seen per API key.
#[derive(Debug, Default)]
pub struct KrakenState {
    nonces: Mutex<HashMap<String, u64>>,
}

/// A Kraken error answer: one of Kraken's error strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrakenError(pub String);

impl KrakenError {
    fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// `EGeneral:Invalid arguments` naming the argument, as Kraken does (`...:volume`).
    fn invalid(arg: &str) -> Self {
        Self(format!("EGeneral:Invalid arguments:{arg}"))
    }
}

impl IntoResponse for KrakenError {
    fn into_response(self) -> Response {
        // Kraken answers errors with HTTP 200 and the envelope's error list.
        Json(json!({ "error": [self.0] })).into_response()
    }
}

impl From<RejectReason> for KrakenError {
    fn from(r: RejectReason) -> Self {
        use RejectReason::*;
        KrakenError::new(match r {
            InvalidSymbol => "EQuery:Unknown asset pair".to_owned(),
            FilterFailure(crate::engine::FilterKind::PriceFilter) | InvalidPrice => {
                "EOrder:Invalid price".to_owned()
            }
            FilterFailure(crate::engine::FilterKind::Notional)
            | FilterFailure(crate::engine::FilterKind::MinNotional) => {
                "EOrder:Cost minimum not met".to_owned()
            }
            FilterFailure(_) | InvalidQuantity => "EOrder:Order minimum not met".to_owned(),
            InsufficientBalance => "EOrder:Insufficient funds".to_owned(),
            WouldMatchAndTake => "EOrder:Post only order".to_owned(),
            StopWouldTriggerImmediately => "EOrder:Invalid price".to_owned(),
            DuplicateOrder => "EOrder:Duplicate order".to_owned(),
            UnknownOrderOnCancel | OrderDoesNotExist => "EOrder:Unknown order".to_owned(),
            MandatoryParamMissing(p) | ParamNotRequired(p) | IllegalChars(p, _) => {
                format!("EGeneral:Invalid arguments:{p}")
            }
            OneOfParamsRequired(..) | InvalidParamCombination => {
                "EGeneral:Invalid arguments".to_owned()
            }
            TradingDisabled => "EGeneral:Permission denied".to_owned(),
            MarketClosed => "EOrder:Market in cancel_only mode".to_owned(),
            Internal => "EGeneral:Internal error".to_owned(),
        })
    }
}

type KResult = Result<Json<Value>, KrakenError>;

fn ok(result: Value) -> KResult {
    Ok(Json(json!({ "error": [], "result": result })))
}

/// Request parameters (query or form body), in order.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    fn form(raw: &[u8]) -> Result<Self, KrakenError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw)
            .map(Params)
            .map_err(|_| KrakenError::new("EGeneral:Invalid arguments"))
    }

    /// A JSON object body (Kraken accepts JSON for some private calls); values as text.
    fn json(raw: &[u8]) -> Result<Self, KrakenError> {
        let v: serde_json::Map<String, Value> = serde_json::from_slice(raw)
            .map_err(|_| KrakenError::new("EGeneral:Invalid arguments"))?;
        Ok(Params(
            v.into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, s)
                })
                .collect(),
        ))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn req(&self, name: &str) -> Result<&str, KrakenError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| KrakenError::invalid(name))
    }

    fn flag(&self, name: &str) -> Result<bool, KrakenError> {
        match self.get(name) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(_) => Err(KrakenError::invalid(name)),
        }
    }
}

/// The Kraken routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/0/public/{method}",
            get(public::handle_get).post(public::handle_post),
        )
        .route("/0/private/{method}", post(private::handle))
        .route("/kraken/v2", get(ws::upgrade))
        .layer(Extension(Arc::new(KrakenState::default())))
}

/// Reads a body into parameters by its content type.
fn body_params(headers: &axum::http::HeaderMap, body: &Bytes) -> Result<Params, KrakenError> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        Params::json(body)
    } else {
        Params::form(body)
    }
}
