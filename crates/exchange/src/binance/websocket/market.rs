//! [`BinanceMarketData`]: public trade and book-ticker streams over one combined-stream
//! connection per subscription (`/stream?streams=btcusdt@trade/btcusdt@bookTicker`).
//!
//! The connection task owns the socket: it reconnects with backoff and jitter, reports
//! connects and drops in-band, skips malformed frames (logged, never quoted), drops the
//! connection and subscribes afresh when asked to resync, and ends when the subscriber is
//! dropped.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::sync::mpsc;
use tradeward_domain::{Symbol, Venue};

use super::{Conn, Read};
use crate::backoff::Backoff;
use crate::binance::common::parse_market_frame;
use crate::binance::BinanceConfig;
use crate::clock::Clock;
use crate::error::ExchangeError;
use crate::traits::{FeedItem, MarketDataClient, MarketSubscription, StreamKind};

/// Binance allows 1024 streams per connection; the simulator fewer. Keep well below both.
const MAX_STREAMS: usize = 200;

/// Buffered events per subscription before the connection task waits for the consumer.
const CHANNEL_CAPACITY: usize = 4096;

/// A source of RNGs for reconnect jitter (one per connection task).
pub type RngFactory = Arc<dyn Fn() -> Box<dyn RngCore + Send> + Send + Sync>;

/// Public market data of a Binance-dialect venue.
#[derive(Clone)]
pub struct BinanceMarketData {
    config: BinanceConfig,
    clock: Arc<dyn Clock>,
    rng: RngFactory,
}

impl std::fmt::Debug for BinanceMarketData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceMarketData")
            .field("venue", &self.config.venue)
            .field("ws_base", &self.config.ws_base)
            .finish_non_exhaustive()
    }
}

impl BinanceMarketData {
    /// A market-data client with OS-seeded jitter.
    pub fn new(config: BinanceConfig, clock: Arc<dyn Clock>) -> Result<Self, ExchangeError> {
        Self::with_rng(
            config,
            clock,
            Arc::new(|| Box::new(StdRng::from_entropy()) as Box<dyn RngCore + Send>),
        )
    }

    /// A market-data client drawing reconnect jitter from `rng` (tests pin it).
    pub fn with_rng(
        config: BinanceConfig,
        clock: Arc<dyn Clock>,
        rng: RngFactory,
    ) -> Result<Self, ExchangeError> {
        config.validate()?;
        Ok(Self { config, clock, rng })
    }
}

/// The stream name of `kind` for `symbol` (`btcusdt@trade`).
fn stream_name(symbol: &Symbol, kind: StreamKind) -> String {
    let s = symbol.concatenated().to_ascii_lowercase();
    match kind {
        StreamKind::Trades => format!("{s}@trade"),
        StreamKind::BookTicker => format!("{s}@bookTicker"),
    }
}

#[async_trait]
impl MarketDataClient for BinanceMarketData {
    fn venue(&self) -> Venue {
        self.config.venue
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
        let mut names = Vec::new();
        let mut resolve = HashMap::new();
        for s in symbols {
            resolve.insert(s.concatenated(), s.clone());
            for k in kinds {
                let n = stream_name(s, *k);
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        if names.len() > MAX_STREAMS {
            return Err(ExchangeError::Invalid(format!(
                "at most {MAX_STREAMS} streams per subscription"
            )));
        }
        let url = format!("{}/stream?streams={}", self.config.ws_base, names.join("/"));
        let (sub, tx, resync) = MarketSubscription::channel(CHANNEL_CAPACITY);
        let task = MarketTask {
            url,
            config: self.config.clone(),
            clock: self.clock.clone(),
            resolve,
            backoff: Backoff::new(self.config.reconnect, (self.rng)()),
            tx,
            resync,
        };
        tokio::spawn(task.run());
        Ok(sub)
    }
}

struct MarketTask {
    url: String,
    config: BinanceConfig,
    clock: Arc<dyn Clock>,
    resolve: HashMap<String, Symbol>,
    backoff: Backoff,
    tx: mpsc::Sender<FeedItem>,
    resync: mpsc::Receiver<()>,
}

/// Logs skipped frames at counts 1, 2, 4, 8, ... so a flood of garbage is not logged per frame.
fn note_skip(skipped: &mut u64, reason: &str) {
    *skipped += 1;
    if skipped.is_power_of_two() {
        tracing::warn!(
            skipped = *skipped,
            reason,
            "skipped malformed market frames"
        );
    }
}

impl MarketTask {
    async fn run(mut self) {
        let mut skipped = 0u64;
        loop {
            // Drain a resync requested while disconnected: the next connection is fresh anyway.
            while self.resync.try_recv().is_ok() {}
            match Conn::open(&self.url, &self.config).await {
                Ok(conn) => {
                    self.backoff.reset();
                    if self.tx.send(FeedItem::Connected).await.is_err() {
                        conn.close().await;
                        return;
                    }
                    let Some(reason) = self.pump(conn, &mut skipped).await else {
                        return;
                    };
                    if self
                        .tx
                        .send(FeedItem::Disconnected {
                            reason: reason.into(),
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(reason) => tracing::debug!(reason, "market stream connect failed"),
            }
            let delay = self.backoff.next_delay();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.tx.closed() => return,
            }
        }
    }

    /// Forwards frames until the connection ends (`Some(reason)`) or the subscriber is gone
    /// (`None`).
    async fn pump(&mut self, mut conn: Conn, skipped: &mut u64) -> Option<&'static str> {
        let venue = self.config.venue;
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
            let item =
                match parse_market_frame(venue, &text, &|s| self.resolve.get(s).cloned(), now) {
                    Ok(Some(ev)) => FeedItem::Event(ev),
                    Ok(None) => continue,
                    Err(e) => {
                        let reason = e.to_string();
                        note_skip(skipped, &reason);
                        FeedItem::Skipped { reason }
                    }
                };
            if self.tx.send(item).await.is_err() {
                conn.close().await;
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_are_lowercase_binance_names() {
        let s: Symbol = "BTC/USDT".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(stream_name(&s, StreamKind::Trades), "btcusdt@trade");
        assert_eq!(
            stream_name(&s, StreamKind::BookTicker),
            "btcusdt@bookTicker"
        );
    }
}
