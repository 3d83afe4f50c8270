//! The user data stream: a listen key from the signer-signed REST call, a WebSocket to
//! `/ws/<listenKey>`, keepalives every `listen_key_keepalive`, and a fresh key and connection
//! whenever the key expires or the connection drops (with backoff and jitter).
//!
//! After every (re)connect a [`UserEvent::Connected`] is delivered: events may have been
//! missed while down, so the consumer reconciles open orders and balances over REST.

use std::sync::Arc;

use rand::RngCore;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Conn, Read};
use crate::backoff::Backoff;
use crate::binance::common::{parse_user_frame, ListenKey, UserFrame};
use crate::binance::BinanceExecution;
use crate::types::UserEvent;

/// Buffered user events before the stream task waits for the consumer.
const CHANNEL_CAPACITY: usize = 1024;

/// A running user data stream. Dropping it stops the stream (and closes the listen key on a
/// best-effort basis).
#[derive(Debug)]
pub struct UserStream {
    /// Order and balance updates, and connection changes.
    pub events: mpsc::Receiver<UserEvent>,
    task: JoinHandle<()>,
}

impl Drop for UserStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the user data stream of `exec`'s credential, drawing reconnect jitter from `rng`.
pub fn spawn_user_stream(exec: Arc<BinanceExecution>, rng: Box<dyn RngCore + Send>) -> UserStream {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let backoff = Backoff::new(exec.http().config().reconnect, rng);
    let task = tokio::spawn(run(exec, tx, backoff));
    UserStream { events: rx, task }
}

/// Why a connection ended.
enum End {
    /// Reconnect (with a fresh key when `new_key`).
    Reconnect { reason: &'static str, new_key: bool },
    /// The consumer is gone.
    Stop,
}

async fn run(exec: Arc<BinanceExecution>, tx: mpsc::Sender<UserEvent>, mut backoff: Backoff) {
    let mut key: Option<ListenKey> = None;
    loop {
        if tx.is_closed() {
            break;
        }
        // Symbols must resolve before order updates can be understood.
        if let Err(e) = exec.ensure_symbols().await {
            tracing::warn!(error = %e, "user stream: loading symbols failed");
        } else {
            if key.is_none() {
                match exec.create_listen_key().await {
                    Ok(k) => key = Some(k),
                    Err(e) => tracing::warn!(error = %e, "user stream: listen key creation failed"),
                }
            }
            if let Some(k) = &key {
                let url = format!("{}/ws/{}", exec.http().config().ws_base, k.expose());
                match Conn::open(&url, exec.http().config()).await {
                    Ok(conn) => {
                        backoff.reset();
                        if tx.send(UserEvent::Connected).await.is_err() {
                            conn.close().await;
                            break;
                        }
                        match pump(&exec, k, conn, &tx).await {
                            End::Stop => break,
                            End::Reconnect { reason, new_key } => {
                                if new_key {
                                    key = None;
                                }
                                let gone = tx
                                    .send(UserEvent::Disconnected {
                                        reason: reason.into(),
                                    })
                                    .await
                                    .is_err();
                                if gone {
                                    break;
                                }
                            }
                        }
                    }
                    // The key may be the reason (expired): get a fresh one next time.
                    Err(reason) => {
                        tracing::debug!(reason, "user stream connect failed");
                        key = None;
                    }
                }
            }
        }
        let delay = backoff.next_delay();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = tx.closed() => break,
        }
    }
    if let Some(k) = key {
        let _ = exec.close_listen_key(&k).await;
    }
}

async fn pump(
    exec: &BinanceExecution,
    key: &ListenKey,
    mut conn: Conn,
    tx: &mpsc::Sender<UserEvent>,
) -> End {
    let venue = exec.http().config().venue;
    let period = exec.http().config().listen_key_keepalive;
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        let frame = tokio::select! {
            r = conn.next() => r,
            _ = keepalive.tick() => {
                if let Err(e) = exec.keepalive_listen_key(key).await {
                    tracing::warn!(error = %e, "user stream: keepalive failed");
                    if !e.is_retryable() {
                        conn.close().await;
                        return End::Reconnect { reason: "the listen key was refused", new_key: true };
                    }
                }
                continue;
            }
            _ = tx.closed() => {
                conn.close().await;
                return End::Stop;
            }
        };
        let text = match frame {
            Read::Text(t) => t,
            Read::Closed(reason) => {
                return End::Reconnect {
                    reason,
                    new_key: false,
                }
            }
        };
        match parse_user_frame(venue, &text, &|s| exec.resolve_symbol(s)) {
            Ok(Some(UserFrame::Event(ev))) => {
                if tx.send(ev).await.is_err() {
                    conn.close().await;
                    return End::Stop;
                }
            }
            Ok(Some(UserFrame::ListenKeyExpired)) => {
                conn.close().await;
                return End::Reconnect {
                    reason: "the listen key expired",
                    new_key: true,
                };
            }
            Ok(None) => {}
            // A malformed private frame cannot be passed on: tell the consumer to reconcile.
            Err(e) => {
                tracing::warn!(error = %e, "user stream: skipped a malformed frame");
                let ev = UserEvent::ReconcileNeeded {
                    reason: e.to_string(),
                };
                if tx.send(ev).await.is_err() {
                    conn.close().await;
                    return End::Stop;
                }
            }
        }
    }
}
