//! `GET /api/v1/stream`: a WebSocket of live prices.
//!
//! - **Who**: the session cookie or a personal token with the read scope, checked at the
//!   upgrade and again every [`RECHECK`] (a revoked session or token stops receiving within
//!   that time; the socket is closed with code 4401).
//! - **From where**: a browser always sends `Origin` on a WebSocket handshake and cookies
//!   ride along with it from any site, so an `Origin` that is not ours is refused (403)
//!   before the upgrade. Clients that send no `Origin` (scripts) must hold the cookie or a
//!   token themselves.
//! - **What**: markets named `venue:BASE/QUOTE`, in the `markets` query parameter
//!   (comma-separated) and/or in messages `{"op": "subscribe" | "unsubscribe", "markets":
//!   [...]}`. The server answers `{"type": "subscribed", "markets": [...]}`, then the last
//!   known price of each new market and every new trade price as `{"type": "price", "venue",
//!   "symbol", "price", "time_ms"}`. Bad requests get `{"type": "error", "code", "message"}`
//!   and the connection stays open.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::broadcast;
use tradeward_auth::Scope;
use tradeward_exchange::MarketId;

use super::markets::parse_market;
use crate::cookies;
use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::markets::{Markets, PriceUpdate};
use crate::metrics::METRICS;
use crate::state::AppState;

/// How often a connection's credential is checked again.
const RECHECK: Duration = Duration::from_secs(30);
/// Largest message a client may send.
const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// Most markets one connection may follow.
const MAX_MARKETS: usize = 64;

/// The upgrade's query.
#[derive(Debug, Default, Deserialize)]
pub struct StreamQuery {
    /// `venue:BASE/QUOTE`, comma-separated.
    #[serde(default)]
    markets: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientMessage {
    op: String,
    markets: Vec<String>,
}

/// Whether the request's `Origin` (when present) is this server's.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let origin = origin.to_str().unwrap_or("");
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    origin == state.http().public_url || host.is_some_and(|h| origin == format!("https://{h}"))
}

/// The credential the upgrade presented, to check it again later.
enum Presented {
    Cookie(String),
    Bearer(String),
}

fn presented(headers: &HeaderMap) -> Option<Presented> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        return v
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Presented::Bearer(t.trim().to_owned()));
    }
    cookies::read(headers, cookies::SESSION_COOKIE)
        .filter(|t| !t.is_empty())
        .map(Presented::Cookie)
}

async fn still_valid(state: &AppState, who: &Presented) -> bool {
    let now = state.now_us();
    match who {
        Presented::Cookie(t) => state.auth().authenticate_session(t, now).await.is_ok(),
        Presented::Bearer(t) => state.auth().authenticate_api_token(t, now).await.is_ok(),
    }
}

fn parse_markets<'a>(
    markets: &Markets,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<MarketId>, ApiError> {
    let mut out = Vec::new();
    for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
        let (venue, symbol) = name.split_once(':').ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "markets: each must be venue:BASE/QUOTE, e.g. sim:BTC/USDT",
            )
        })?;
        let (venue, symbol) = parse_market(venue, symbol)?;
        if markets.board(venue, &symbol).is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_market",
                format!("{venue}:{symbol} is not a market this server follows"),
            ));
        }
        out.push(MarketId { venue, symbol });
    }
    Ok(out)
}

/// Opens the price stream.
#[utoipa::path(get, path = "/api/v1/stream", tag = "markets",
    params(("markets" = Option<String>, Query, description = "venue:BASE/QUOTE, comma-separated")),
    responses((status = 101, description = "WebSocket: JSON messages, see the module docs"),
              (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    who: Authenticated,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    if !origin_allowed(&state, &headers) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_mismatch",
            "this WebSocket was opened from another site",
        ));
    }
    if !who.0.has_scope(Scope::Read) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "this token lacks the read scope",
        ));
    }
    let upgrade = upgrade.map_err(|_| {
        ApiError::bad_request(
            "websocket_required",
            "this endpoint speaks WebSocket: send an Upgrade request",
        )
    })?;
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request("invalid_query", "the only query parameter is markets")
    })?;
    let markets = state.markets().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "markets_unavailable",
            "this server is not connected to any venue's market data",
        )
    })?;
    let initial = parse_markets(&markets, query.markets.as_deref().unwrap_or("").split(','))?;
    let credential = presented(&headers).ok_or_else(ApiError::unauthenticated)?;
    // Subscribe before the handshake completes so no update after it is missed.
    let rx = markets.subscribe();
    Ok(upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            METRICS.ws_open();
            run(socket, state, markets, rx, initial, credential).await;
            METRICS.ws_close();
        })
        .into_response())
}

fn error_message(e: &ApiError) -> String {
    serde_json::json!({"type": "error", "code": e.code(), "message": e.message()}).to_string()
}

async fn send(socket: &mut WebSocket, text: String) -> bool {
    METRICS.ws_message();
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// Adds markets, answering `subscribed` and each new market's last price.
async fn add(
    socket: &mut WebSocket,
    markets: &Markets,
    subscribed: &mut HashSet<MarketId>,
    new: Vec<MarketId>,
) -> bool {
    if subscribed.len() + new.len() > MAX_MARKETS {
        let e = ApiError::bad_request(
            "too_many_markets",
            format!("a connection may follow at most {MAX_MARKETS} markets"),
        );
        return send(socket, error_message(&e)).await;
    }
    let mut snapshots = Vec::new();
    for m in &new {
        if subscribed.insert(m.clone()) {
            if let Some((price, t)) = markets
                .board(m.venue, &m.symbol)
                .and_then(|b| b.last_price())
            {
                snapshots.push(serde_json::json!({
                    "type": "price", "venue": m.venue.as_str(), "symbol": m.symbol.to_string(),
                    "price": price.to_string(), "time_ms": t,
                }));
            }
        }
    }
    let names: Vec<String> = subscribed
        .iter()
        .map(|m| format!("{}:{}", m.venue.as_str(), m.symbol))
        .collect();
    if !send(
        socket,
        serde_json::json!({"type": "subscribed", "markets": names}).to_string(),
    )
    .await
    {
        return false;
    }
    for s in snapshots {
        if !send(socket, s.to_string()).await {
            return false;
        }
    }
    true
}

async fn run(
    mut socket: WebSocket,
    state: AppState,
    markets: Arc<Markets>,
    mut rx: broadcast::Receiver<Arc<PriceUpdate>>,
    initial: Vec<MarketId>,
    credential: Presented,
) {
    let mut subscribed = HashSet::new();
    if !initial.is_empty() && !add(&mut socket, &markets, &mut subscribed, initial).await {
        return;
    }
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + RECHECK, RECHECK);
    loop {
        tokio::select! {
            update = rx.recv() => match update {
                Ok(u) => {
                    if subscribed.contains(&u.market) && !send(&mut socket, u.json.to_string()).await {
                        return;
                    }
                }
                // A slow client skips to the newest prices rather than slowing the others.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                let reply = match crate::extract::parse::<ClientMessage>(text.as_bytes()) {
                    Ok(msg) => match (msg.op.as_str(), parse_markets(&markets, msg.markets.iter().map(String::as_str))) {
                        (_, Err(e)) => Some(error_message(&e)),
                        ("subscribe", Ok(new)) => {
                            if !add(&mut socket, &markets, &mut subscribed, new).await {
                                return;
                            }
                            None
                        }
                        ("unsubscribe", Ok(gone)) => {
                            for m in &gone {
                                subscribed.remove(m);
                            }
                            let names: Vec<String> = subscribed.iter().map(|m| format!("{}:{}", m.venue.as_str(), m.symbol)).collect();
                            Some(serde_json::json!({"type": "subscribed", "markets": names}).to_string())
                        }
                        _ => Some(error_message(&ApiError::bad_request("invalid_op", "op must be subscribe or unsubscribe"))),
                    },
                    Err(e) => Some(error_message(&e)),
                };
                if let Some(r) = reply {
                    if !send(&mut socket, r).await {
                        return;
                    }
                }
            }
            _ = recheck.tick() => {
                if !still_valid(&state, &credential).await {
                    let _ = socket.send(Message::Close(Some(CloseFrame {
                        code: 4401,
                        reason: "the session or token is no longer valid".into(),
                    }))).await;
                    return;
                }
            }
        }
    }
}
