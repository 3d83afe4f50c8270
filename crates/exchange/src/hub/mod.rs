//! The market-data hub: one upstream subscription per (venue, symbol), shared by every
//! subscriber through a `tokio::sync::broadcast` channel.
//!
//! Per market the hub checks the sequence (old events skipped, gaps and malformed frames
//! answered by a resync of the upstream), and tracks when data last arrived: a
//! [`MarketDataHub::sweep`] marks markets silent for longer than `stale_after_ms` stale,
//! tells their subscribers, and reports them. Time comes from the injected [`Clock`], so a
//! test decides when a market goes stale.

mod sequence;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tradeward_domain::{Symbol, Venue};

use crate::clock::Clock;
use crate::error::ExchangeError;
use crate::traits::{FeedItem, MarketDataClient, MarketSubscription, StreamKind};
use crate::types::{MarketEvent, MarketId};
pub use sequence::{SequenceTracker, Verdict};

/// Hub settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// A market with no data for this long is stale.
    pub stale_after_ms: u64,
    /// Events buffered per market for slow subscribers (who then see `Lagged`).
    pub channel_capacity: usize,
    /// Which streams each market subscribes to.
    pub kinds: Vec<StreamKind>,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            stale_after_ms: 30_000,
            channel_capacity: 1024,
            kinds: vec![StreamKind::Trades, StreamKind::BookTicker],
        }
    }
}

/// Why the hub resynced a market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResyncReason {
    /// Trade ids jumped: events were lost.
    Gap {
        /// Expected id.
        expected: u64,
        /// Received id.
        got: u64,
    },
    /// A frame was malformed (the reason never quotes it).
    Malformed(String),
}

/// What subscribers of a market receive.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubEvent {
    /// Market data.
    Market(MarketEvent),
    /// The upstream is (re)connected.
    Connected(MarketId),
    /// The upstream dropped and is reconnecting.
    Disconnected {
        /// The market.
        market: MarketId,
        /// Why.
        reason: String,
    },
    /// The hub asked the upstream to resubscribe; data in between may be missing.
    Resync {
        /// The market.
        market: MarketId,
        /// Why.
        reason: ResyncReason,
    },
    /// No data for longer than the staleness timeout.
    Stale {
        /// The market.
        market: MarketId,
        /// How long it has been silent.
        silent_for_ms: u64,
    },
    /// Data flows again after being stale.
    Fresh(MarketId),
}

/// A market's health, as reported by [`MarketDataHub::status`] and [`MarketDataHub::sweep`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketStatus {
    /// The market.
    pub market: MarketId,
    /// Whether it is stale now.
    pub stale: bool,
    /// When data last arrived (ms), if ever.
    pub last_data_ms: Option<u64>,
    /// Subscribers listening.
    pub subscribers: usize,
}

#[derive(Debug)]
struct MarketState {
    since_ms: u64,
    last_data_ms: Option<u64>,
    stale: bool,
}

#[derive(Debug)]
struct Entry {
    tx: broadcast::Sender<HubEvent>,
    state: Arc<Mutex<MarketState>>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Inner {
    clients: HashMap<Venue, Arc<dyn MarketDataClient>>,
    clock: Arc<dyn Clock>,
    config: HubConfig,
    markets: tokio::sync::Mutex<HashMap<MarketId, Entry>>,
}

/// The hub. Cheap to clone; clones share markets.
#[derive(Debug, Clone)]
pub struct MarketDataHub {
    inner: Arc<Inner>,
}

fn lock(s: &Mutex<MarketState>) -> std::sync::MutexGuard<'_, MarketState> {
    // Every critical section is a few field writes: a panic cannot leave it half-done.
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MarketDataHub {
    /// A hub over one client per venue.
    pub fn new(
        clients: Vec<Arc<dyn MarketDataClient>>,
        clock: Arc<dyn Clock>,
        config: HubConfig,
    ) -> Self {
        let clients = clients.into_iter().map(|c| (c.venue(), c)).collect();
        Self {
            inner: Arc::new(Inner {
                clients,
                clock,
                config,
                markets: tokio::sync::Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Subscribes to a market: joins the existing upstream subscription or opens one.
    pub async fn subscribe(
        &self,
        venue: Venue,
        symbol: &Symbol,
    ) -> Result<broadcast::Receiver<HubEvent>, ExchangeError> {
        let market = MarketId {
            venue,
            symbol: symbol.clone(),
        };
        let mut markets = self.inner.markets.lock().await;
        if let Some(e) = markets.get(&market) {
            if !e.task.is_finished() {
                return Ok(e.tx.subscribe());
            }
        }
        let client =
            self.inner.clients.get(&venue).ok_or_else(|| {
                ExchangeError::Invalid(format!("no market-data client for {venue}"))
            })?;
        let upstream = client
            .subscribe(std::slice::from_ref(symbol), &self.inner.config.kinds)
            .await?;
        let (tx, rx) = broadcast::channel(self.inner.config.channel_capacity.max(1));
        let state = Arc::new(Mutex::new(MarketState {
            since_ms: self.inner.clock.now_ms(),
            last_data_ms: None,
            stale: false,
        }));
        let task = tokio::spawn(pump(
            market.clone(),
            upstream,
            tx.clone(),
            state.clone(),
            self.inner.clock.clone(),
        ));
        markets.insert(market, Entry { tx, state, task });
        Ok(rx)
    }

    /// Marks markets silent for longer than the timeout stale (telling their subscribers
    /// once per episode), drops markets nobody listens to any more, and returns every market
    /// that is stale now.
    pub async fn sweep(&self) -> Vec<MarketStatus> {
        let now = self.inner.clock.now_ms();
        let limit = self.inner.config.stale_after_ms;
        let mut markets = self.inner.markets.lock().await;
        markets.retain(|_, e| {
            let keep = e.tx.receiver_count() > 0;
            if !keep {
                e.task.abort();
            }
            keep
        });
        let mut stale = Vec::new();
        for (market, e) in markets.iter() {
            let mut st = lock(&e.state);
            let silent = now.saturating_sub(st.last_data_ms.unwrap_or(st.since_ms));
            if silent > limit && !st.stale {
                st.stale = true;
                tracing::warn!(market = %market, silent_ms = silent, "market data is stale");
                let _ = e.tx.send(HubEvent::Stale {
                    market: market.clone(),
                    silent_for_ms: silent,
                });
            }
            if st.stale {
                stale.push(MarketStatus {
                    market: market.clone(),
                    stale: true,
                    last_data_ms: st.last_data_ms,
                    subscribers: e.tx.receiver_count(),
                });
            }
        }
        stale.sort_by(|a, b| a.market.cmp(&b.market));
        stale
    }

    /// Every market's health.
    pub async fn status(&self) -> Vec<MarketStatus> {
        let markets = self.inner.markets.lock().await;
        let mut v: Vec<MarketStatus> = markets
            .iter()
            .map(|(m, e)| {
                let st = lock(&e.state);
                MarketStatus {
                    market: m.clone(),
                    stale: st.stale,
                    last_data_ms: st.last_data_ms,
                    subscribers: e.tx.receiver_count(),
                }
            })
            .collect();
        v.sort_by(|a, b| a.market.cmp(&b.market));
        v
    }

    /// Runs [`Self::sweep`] every `period` until the returned task is aborted.
    pub fn spawn_sweeper(&self, period: Duration) -> JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            let mut iv = tokio::time::interval(period);
            iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                iv.tick().await;
                hub.sweep().await;
            }
        })
    }
}

/// Moves one market's upstream feed into its broadcast channel, checking the sequence.
async fn pump(
    market: MarketId,
    mut upstream: MarketSubscription,
    tx: broadcast::Sender<HubEvent>,
    state: Arc<Mutex<MarketState>>,
    clock: Arc<dyn Clock>,
) {
    let resync = upstream.resync_handle();
    let mut seq = SequenceTracker::default();
    while let Some(item) = upstream.events.recv().await {
        let out = match item {
            FeedItem::Event(ev) => {
                if ev.venue != market.venue || ev.symbol != market.symbol {
                    tracing::warn!(market = %market, "upstream delivered another market's event; skipped");
                    continue;
                }
                match seq.check(&ev.data) {
                    Verdict::Accept => {}
                    Verdict::Stale { last, got } => {
                        tracing::debug!(market = %market, last, got, "out-of-order market event skipped");
                        continue;
                    }
                    Verdict::Gap { expected, got } => {
                        tracing::warn!(market = %market, expected, got, "gap in market data; resyncing");
                        resync.request();
                        let _ = tx.send(HubEvent::Resync {
                            market: market.clone(),
                            reason: ResyncReason::Gap { expected, got },
                        });
                    }
                }
                let fresh = {
                    let mut st = lock(&state);
                    st.last_data_ms = Some(clock.now_ms());
                    std::mem::replace(&mut st.stale, false)
                };
                if fresh {
                    let _ = tx.send(HubEvent::Fresh(market.clone()));
                }
                HubEvent::Market(ev)
            }
            FeedItem::Connected => {
                seq.reset();
                HubEvent::Connected(market.clone())
            }
            FeedItem::Disconnected { reason } => HubEvent::Disconnected {
                market: market.clone(),
                reason,
            },
            FeedItem::Skipped { reason } => {
                resync.request();
                HubEvent::Resync {
                    market: market.clone(),
                    reason: ResyncReason::Malformed(reason),
                }
            }
        };
        // No receivers is not an error: the next sweep drops the market.
        let _ = tx.send(out);
    }
}
