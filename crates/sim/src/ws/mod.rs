//! WebSocket market and user data streams: `/ws/<stream>`, `/ws` (subscribe later) and
//! `/stream?streams=a/b` (combined, each payload wrapped as `{"stream", "data"}`).

mod conn;
pub mod streams;

use crate::api::error::ApiError;
use crate::state::{lock, AppState};
use axum::extract::{Path, Query, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use streams::Stream;

/// Largest client frame (SUBSCRIBE messages are small).
const MAX_FRAME: usize = 64 * 1024;

/// The WebSocket routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ws", get(raw_none))
        .route("/ws/{stream}", get(raw))
        .route("/stream", get(combined))
}

/// Resolves stream names; the first bad one is refused like Binance's REST would.
pub(crate) fn resolve(st: &AppState, names: &[&str]) -> Result<Vec<Stream>, String> {
    let now = st.now_ms();
    let symbols: Vec<String> = lock(&st.engine)
        .symbols()
        .iter()
        .map(|s| s.symbol.to_string())
        .collect();
    let keys = lock(&st.listen_keys);
    let mut out = Vec::new();
    for n in names {
        let s = streams::parse(n, |k| {
            keys.get(k)
                .filter(|l| l.expires_ms > now)
                .map(|l| l.account)
        })
        .ok_or_else(|| format!("Invalid stream name: {n}"))?;
        if !s.symbol.is_empty() && !symbols.contains(&s.symbol) {
            return Err(format!("Invalid symbol in stream: {n}"));
        }
        out.push(s);
    }
    Ok(out)
}

fn refuse(msg: String) -> Response {
    ApiError::bad(-1121, msg).into_response()
}

async fn raw_none(State(st): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let st2 = st.clone();
    ws.max_message_size(MAX_FRAME)
        .on_upgrade(move |s| conn::run(s, st2, Vec::new(), false))
}

async fn raw(
    State(st): State<AppState>,
    Path(stream): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    match resolve(&st, &[stream.as_str()]) {
        Ok(subs) => ws
            .max_message_size(MAX_FRAME)
            .on_upgrade(move |s| conn::run(s, st, subs, false)),
        Err(e) => refuse(e),
    }
}

#[derive(Deserialize)]
struct CombinedQuery {
    #[serde(default)]
    streams: String,
}

async fn combined(
    State(st): State<AppState>,
    Query(q): Query<CombinedQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let names: Vec<&str> = q.streams.split('/').filter(|s| !s.is_empty()).collect();
    if names.len() > st.ws.max_streams {
        return refuse(format!(
            "at most {} streams per connection",
            st.ws.max_streams
        ));
    }
    match resolve(&st, &names) {
        Ok(subs) => ws
            .max_message_size(MAX_FRAME)
            .on_upgrade(move |s| conn::run(s, st, subs, true)),
        Err(e) => refuse(e),
    }
}
