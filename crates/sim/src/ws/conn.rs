//! One WebSocket connection: forwards engine events to its subscriptions, answers
//! SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, pings every `ping_interval_secs`, closes
//! connections that stop answering, and obeys the WebSocket faults (drops and stalls).

use super::streams::{self, Kind, Stream};
use crate::engine::{EngineEvent, KlineInterval};
use crate::state::{lock, AppState, Batch};
use axum::extract::ws::{Message, WebSocket};
use rand::Rng;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

/// Binance closes every connection after 24 hours.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

struct Conn {
    st: AppState,
    subs: Vec<Stream>,
    combined: bool,
    /// Last push per partial-depth subscription.
    last_partial: Vec<Instant>,
}

/// Why the loop ended.
enum Exit {
    Close,
    Drop,
}

pub(super) async fn run(mut socket: WebSocket, st: AppState, subs: Vec<Stream>, combined: bool) {
    let mut rx = st.bus.subscribe();
    let mut kill = st.ws_kill.subscribe();
    let ping_every = Duration::from_secs(st.ws.ping_interval_secs);
    let pong_timeout = Duration::from_secs(st.ws.pong_timeout_secs);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut partial = tokio::time::interval(Duration::from_millis(100));
    let started = Instant::now();
    let mut last_pong = Instant::now();
    let n = subs.len();
    let mut c = Conn {
        st,
        subs,
        combined,
        last_partial: vec![Instant::now() - Duration::from_secs(10); n],
    };
    let exit = loop {
        if c.st.faults().ws_stall {
            // Stalled: the socket stays open but nothing is read or written.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => continue,
                _ = kill.changed() => break Exit::Drop,
            }
        }
        tokio::select! {
            biased;
            batch = rx.recv() => match batch {
                Ok(b) => {
                    // A stall that began while waiting holds this batch back too.
                    if !wait_unstalled(&c.st, &mut kill).await { break Exit::Drop; }
                    if let Err(e) = c.forward(&mut socket, &b).await { break e; }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break Exit::Close,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let answer = c.control(t.as_str());
                    if socket.send(Message::Text(answer.to_string().into())).await.is_err() { break Exit::Drop; }
                }
                Some(Ok(Message::Pong(_))) | Some(Ok(Message::Ping(_))) => last_pong = Instant::now(),
                Some(Ok(Message::Binary(_))) => {}
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break Exit::Drop,
            },
            _ = ping.tick() => {
                if last_pong.elapsed() > pong_timeout || started.elapsed() > MAX_LIFETIME {
                    break Exit::Close;
                }
                if socket.send(Message::Ping(axum::body::Bytes::from_static(b"sim"))).await.is_err() { break Exit::Drop; }
            },
            _ = partial.tick(), if c.has_partial() => {
                if let Err(e) = c.push_partials(&mut socket).await { break e; }
            },
            _ = kill.changed() => break Exit::Drop,
        }
    };
    if let Exit::Close = exit {
        let _ = socket.send(Message::Close(None)).await;
    }
    // Exit::Drop: the socket is dropped without a close frame, like a cut connection.
}

impl Conn {
    fn has_partial(&self) -> bool {
        self.subs
            .iter()
            .any(|s| matches!(s.kind, Kind::DepthPartial { .. }))
    }

    fn wrap(&self, stream: &Stream, data: Value) -> String {
        if self.combined {
            json!({"stream": stream.name, "data": data}).to_string()
        } else {
            data.to_string()
        }
    }

    async fn send(&self, socket: &mut WebSocket, text: String) -> Result<(), Exit> {
        socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|_| Exit::Drop)?;
        let rate = self.st.faults().ws_drop_rate;
        if rate > 0.0 && rand::thread_rng().gen_bool(rate) {
            return Err(Exit::Drop);
        }
        Ok(())
    }

    async fn forward(&mut self, socket: &mut WebSocket, batch: &Arc<Batch>) -> Result<(), Exit> {
        if self.subs.is_empty() {
            return Ok(());
        }
        let now_ms = batch.at_us / 1000;
        let mut out = Vec::new();
        for e in &batch.events {
            for s in &self.subs {
                let kline = || match (&s.kind, e) {
                    (Kind::Kline(iv), EngineEvent::Trade(_)) => {
                        current_kline(&self.st, &s.symbol, *iv)
                    }
                    _ => None,
                };
                if let Some(v) = streams::render(s, e, now_ms, kline) {
                    out.push(self.wrap(s, v));
                }
            }
        }
        for text in out {
            self.send(socket, text).await?;
        }
        Ok(())
    }

    async fn push_partials(&mut self, socket: &mut WebSocket) -> Result<(), Exit> {
        let mut out = Vec::new();
        for (i, s) in self.subs.iter().enumerate() {
            let Kind::DepthPartial { levels, ms } = s.kind else {
                continue;
            };
            if self.last_partial[i].elapsed() < Duration::from_millis(ms.saturating_sub(5)) {
                continue;
            }
            self.last_partial[i] = Instant::now();
            let snap = lock(&self.st.engine).depth(&s.symbol, levels);
            if let Ok(d) = snap {
                out.push(self.wrap(s, streams::partial_depth(&d)));
            }
        }
        for text in out {
            self.send(socket, text).await?;
        }
        Ok(())
    }

    /// Answers one client message.
    fn control(&mut self, text: &str) -> Value {
        let err = |code: i32, msg: &str, id: &Value| json!({"error": {"code": code, "msg": msg}, "id": id});
        let Ok(req) = serde_json::from_str::<Value>(text) else {
            return err(3, "Invalid JSON: expected value", &Value::Null);
        };
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        if !(id.is_null() || id.is_u64() || id.is_string()) {
            return err(
                2,
                "Invalid request: request ID must be an unsigned integer",
                &Value::Null,
            );
        }
        let method = req.get("method").and_then(Value::as_str).unwrap_or("");
        let names: Vec<&str> = match req.get("params") {
            None => Vec::new(),
            Some(Value::Array(a)) => {
                match a.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
                    Some(n) => n,
                    None => return err(1, "Invalid value type: expected string", &id),
                }
            }
            Some(_) => return err(1, "Invalid value type: expected array", &id),
        };
        match method {
            "SUBSCRIBE" => match super::resolve(&self.st, &names) {
                Ok(new) => {
                    for s in new {
                        if !self.subs.iter().any(|x| x.name == s.name) {
                            if self.subs.len() >= self.st.ws.max_streams {
                                return err(2, "Invalid request: too many streams", &id);
                            }
                            self.subs.push(s);
                            self.last_partial.push(Instant::now() - Duration::from_secs(10));
                        }
                    }
                    json!({"result": null, "id": id})
                }
                Err(e) => err(2, &format!("Invalid request: {e}"), &id),
            },
            "UNSUBSCRIBE" => {
                let mut i = 0;
                while i < self.subs.len() {
                    if names.contains(&self.subs[i].name.as_str()) {
                        self.subs.remove(i);
                        self.last_partial.remove(i);
                    } else {
                        i += 1;
                    }
                }
                json!({"result": null, "id": id})
            }
            "LIST_SUBSCRIPTIONS" => json!({"result": self.subs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), "id": id}),
            other => err(
                2,
                &format!("Invalid request: unknown variant `{other}`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`"),
                &id,
            ),
        }
    }
}

/// Waits while WebSocket stalls are on; false when the connection is to be dropped.
async fn wait_unstalled(st: &AppState, kill: &mut tokio::sync::watch::Receiver<u64>) -> bool {
    while st.faults().ws_stall {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = kill.changed() => return false,
        }
    }
    true
}

fn current_kline(st: &AppState, symbol: &str, iv: KlineInterval) -> Option<crate::engine::Kline> {
    lock(&st.engine)
        .klines(symbol, iv, None, None, 1)
        .ok()?
        .pop()
}
