//! [`KrakenMarketData`]: public trades and best bid/ask over Kraken WebSocket v2, one
//! connection per subscription, subscribing in-band after each connect.
//!
//! The task reconnects with backoff and jitter, reports connects and drops in-band, skips
//! malformed messages (never quoting them), resubscribes when asked to resync, and ends when
//! the subscriber is dropped. Kraken v2 names pairs `BASE/QUOTE` with `BTC` (not `XBT`), the
//! same spelling as Tradeward's [`Symbol`].

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::json;
use tokio::sync::mpsc;
use tradeward_domain::{Symbol, Venue};

use super::common::parse_ws_message;
use super::KrakenConfig;
use crate::backoff::Backoff;
use crate::binance::websocket::market::RngFactory;
use crate::binance::websocket::{Conn, Read};
use crate::clock::Clock;
use crate::error::ExchangeError;
use crate::traits::{FeedItem, MarketDataClient, MarketSubscription, StreamKind};

/// Symbols per subscription (Kraken takes long lists; keep messages small).
const MAX_SYMBOLS: usize = 200;

/// Buffered events per subscription before the connection task waits for the consumer.
const CHANNEL_CAPACITY: usize = 4096;

/// Public market data of Kraken (or the sim's Kraken front).
#[derive(Clone)]
pub struct KrakenMarketData {
    config: KrakenConfig,
    clock: Arc<dyn Clock>,
    rng: RngFactory,
}

impl std::fmt::Debug for KrakenMarketData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KrakenMarketData")
            .field("ws_url", &self.config.ws_url)
            .finish_non_exhaustive()
    }
}

impl KrakenMarketData {
    /// A market-data client with OS-seeded jitter.
    pub fn new(config: KrakenConfig, clock: Arc<dyn Clock>) -> Result<Self, ExchangeError> {
        Self::with_rng(
            config,
            clock,
            Arc::new(|| Box::new(StdRng::from_entropy()) as Box<dyn RngCore + Send>),
        )
    }

    /// A market-data client drawing reconnect jitter from `rng`.
    pub fn with_rng(
        config: KrakenConfig,
        clock: Arc<dyn Clock>,
        rng: RngFactory,
    ) -> Result<Self, ExchangeError> {
        config.validate()?;
        Ok(Self { config, clock, rng })
    }
}

#[async_trait]
impl MarketDataClient for KrakenMarketData {
    fn venue(&self) -> Venue {
        Venue::Kraken
    }

    async fn subscribe(
        &self,
        symbols: &[Symbol],
        kinds: &[StreamKind],
    ) -> Result<MarketSubscription, ExchangeError> {
        if symbols.is_empty() || kinds.is_empty() {
            return Err(ExchangeError::Invalid(
                "subscribe to at least one symbol and one stream kind".into(),
            ));
        }
        if symbols.len() > MAX_SYMBOLS {
            return Err(ExchangeError::Invalid(format!(
                "at most {MAX_SYMBOLS} symbols per subscription"
            )));
        }
        let resolve: HashMap<String, Symbol> =
            symbols.iter().map(|s| (s.to_string(), s.clone())).collect();
        let names: Vec<String> = symbols.iter().map(ToString::to_string).collect();
        let mut requests = Vec::new();
        for (i, k) in kinds.iter().enumerate() {
            let channel = match k {
                StreamKind::Trades => "trade",
                StreamKind::BookTicker => "ticker",
            };
            let req = json!({
                "method": "subscribe",
                "params": {"channel": channel, "symbol": names, "snapshot": false},
                "req_id": i + 1,
            });
            let text = req.to_string();
            if !requests.contains(&text) {
                requests.push(text);
            }
        }
        let (sub, tx, resync) = MarketSubscription::channel(CHANNEL_CAPACITY);
        let task = Task {
            config: self.config.clone(),
            clock: self.clock.clone(),
            resolve,
            requests,
            backoff: Backoff::new(self.config.reconnect, (self.rng)()),
            tx,
            resync,
        };
        tokio::spawn(task.run());
        Ok(sub)
    }
}

struct Task {
    config: KrakenConfig,
    clock: Arc<dyn Clock>,
    resolve: HashMap<String, Symbol>,
    requests: Vec<String>,
    backoff: Backoff,
    tx: mpsc::Sender<FeedItem>,
    resync: mpsc::Receiver<()>,
}

/// Connects and sends the subscription requests.
async fn open(c: &KrakenConfig, requests: &[String]) -> Result<Conn, &'static str> {
    let mut conn = Conn::open_with(
        &c.ws_url,
        c.request_timeout,
        c.max_ws_message_bytes,
        c.ws_ping_interval,
        c.ws_idle_timeout,
    )
    .await?;
    for r in requests {
        conn.send_text(r.clone()).await?;
    }
    Ok(conn)
}

impl Task {
    async fn run(mut self) {
        let mut skipped = 0u64;
        let mut seq = 0u64;
        loop {
            while self.resync.try_recv().is_ok() {}
            match open(&self.config, &self.requests).await {
                Ok(conn) => {
                    self.backoff.reset();
                    if self.tx.send(FeedItem::Connected).await.is_err() {
                        conn.close().await;
                        return;
                    }
                    let Some(reason) = self.pump(conn, &mut skipped, &mut seq).await else {
                        return;
                    };
                    let item = FeedItem::Disconnected {
                        reason: reason.into(),
                    };
                    if self.tx.send(item).await.is_err() {
                        return;
                    }
                }
                Err(reason) => tracing::debug!(reason, "Kraken market stream connect failed"),
            }
            let delay = self.backoff.next_delay();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.tx.closed() => return,
            }
        }
    }

    async fn pump(
        &mut self,
        mut conn: Conn,
        skipped: &mut u64,
        seq: &mut u64,
    ) -> Option<&'static str> {
        loop {
            let frame = tokio::select! {
                r = conn.next() => r,
                Some(()) = self.resync.recv() => {
                    conn.close().await;
                    return Some("resync requested");
                }
                _ = self.tx.closed() => {
                    conn.close().await;
                    return None;
                }
            };
            let text = match frame {
                Read::Text(t) => t,
                Read::Closed(reason) => return Some(reason),
            };
            let now = self.clock.now_ms();
            let resolve = |s: &str| self.resolve.get(s).cloned();
            let items: Vec<FeedItem> =
                match parse_ws_message(Venue::Kraken, &text, &resolve, now, seq) {
                    Ok(events) => events.into_iter().map(FeedItem::Event).collect(),
                    Err(e) => {
                        let reason = e.to_string();
                        *skipped += 1;
                        if skipped.is_power_of_two() {
                            tracing::warn!(
                                skipped = *skipped,
                                reason,
                                "skipped malformed Kraken messages"
                            );
                        }
                        vec![FeedItem::Skipped { reason }]
                    }
                };
            for item in items {
                if self.tx.send(item).await.is_err() {
                    conn.close().await;
                    return None;
                }
            }
        }
    }
}
