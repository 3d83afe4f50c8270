//! The balance monitor: every watched credential's balances, polled through the
//! venue-neutral [`ExecutionClient`], valued in one quote currency, handed to a
//! [`BalanceSink`] (e.g. [`AlertFeed`] for the trigger books' balance alerts).
//!
//! Scheduling: one lane per venue. A lane's round lasts the configured interval (60 s by
//! default) and polls its credentials one after another at evenly spaced offsets
//! (`i · interval / n`), so 10,000 credentials make one request every 6 ms instead of a burst
//! at the top of the minute. A venue's `max_polls_per_minute` (its weight budget divided by
//! the weight of an account request) stretches the round when the interval cannot be
//! afforded. At most `concurrency` polls of one venue are in flight; a credential whose
//! previous poll is still running is skipped for that round (counted in
//! [`MonitorStats::skipped_busy`]), so a slow venue never piles up requests.
//!
//! Balances from the user data stream ([`BalanceMonitor::on_stream_balances`]) update the
//! latest snapshot between polls. Prices come from market data
//! ([`BalanceMonitor::on_market_event`]).

mod schedule;
mod sink;
mod valuation;

pub use schedule::{effective_interval, offset};
pub use sink::{AlertFeed, BalanceSink};
pub use valuation::{PortfolioValue, Prices};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tradeward_domain::{CredentialId, Venue};
use tradeward_exchange::{Balance, Clock, ExecutionClient, MarketEvent};

/// Limits of one venue's lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueLimits {
    /// Polls of this venue in flight at once.
    pub concurrency: usize,
    /// Polls per minute the venue's request weight allows (None: no budget).
    pub max_polls_per_minute: Option<u32>,
}

impl Default for VenueLimits {
    fn default() -> Self {
        Self {
            concurrency: 8,
            max_polls_per_minute: None,
        }
    }
}

/// Monitor settings.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Time between two polls of one credential (default 60 s).
    pub interval: Duration,
    /// Currency portfolios are valued in (default `USDT`).
    pub quote: String,
    /// Limits of venues not in `venues`.
    pub default_limits: VenueLimits,
    /// Per-venue limits.
    pub venues: HashMap<Venue, VenueLimits>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            quote: "USDT".into(),
            default_limits: VenueLimits::default(),
            venues: HashMap::new(),
        }
    }
}

impl MonitorConfig {
    fn limits(&self, venue: Venue) -> VenueLimits {
        self.venues
            .get(&venue)
            .copied()
            .unwrap_or(self.default_limits)
    }
}

/// Where a snapshot's balances came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotSource {
    /// A REST poll.
    Poll,
    /// The user data stream (merged into the last snapshot).
    Stream,
}

/// One credential's balances at a moment, with their value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceSnapshot {
    /// The credential.
    pub credential: CredentialId,
    /// Its venue.
    pub venue: Venue,
    /// When (ms, from the monitor's clock).
    pub at_ms: u64,
    /// Every asset's balance.
    pub balances: Vec<Balance>,
    /// The portfolio value at the prices known then.
    pub value: PortfolioValue,
    /// Poll or stream.
    pub source: SnapshotSource,
}

/// Counters since the monitor was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitorStats {
    /// Polls that returned balances.
    pub polls_ok: u64,
    /// Polls that failed.
    pub polls_failed: u64,
    /// Rounds in which a credential was skipped because its previous poll was still running.
    pub skipped_busy: u64,
    /// Most polls of one venue in flight at once.
    pub peak_in_flight: u64,
}

/// A credential to watch: its id and the client that reads its balances.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The credential.
    pub credential: CredentialId,
    /// Its execution client (the venue comes from it).
    pub client: Arc<dyn ExecutionClient>,
}

#[derive(Debug, Default)]
struct Counters {
    ok: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
    peak: AtomicU64,
}

#[derive(Debug)]
struct Lane {
    watched: BTreeMap<CredentialId, Watched>,
    in_flight: HashSet<CredentialId>,
    running: bool,
}

#[derive(Debug)]
struct Inner {
    config: MonitorConfig,
    clock: Arc<dyn Clock>,
    sink: Arc<dyn BalanceSink>,
    prices: Prices,
    lanes: Mutex<HashMap<Venue, Lane>>,
    latest: Mutex<HashMap<CredentialId, BalanceSnapshot>>,
    counters: Counters,
    stop: watch::Sender<bool>,
    started: std::sync::atomic::AtomicBool,
}

/// The monitor. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct BalanceMonitor {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is a few map operations that cannot leave a half-written state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BalanceMonitor {
    /// A monitor that is not polling yet (see [`BalanceMonitor::start`]).
    pub fn new(config: MonitorConfig, clock: Arc<dyn Clock>, sink: Arc<dyn BalanceSink>) -> Self {
        let (stop, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                config,
                clock,
                sink,
                prices: Prices::default(),
                lanes: Mutex::new(HashMap::new()),
                latest: Mutex::new(HashMap::new()),
                counters: Counters::default(),
                stop,
                started: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Starts one polling lane per venue (and later ones as credentials of new venues are
    /// watched). Needs a Tokio runtime.
    pub fn start(&self) {
        self.inner.started.store(true, Ordering::SeqCst);
        let venues: Vec<Venue> = lock(&self.inner.lanes).keys().copied().collect();
        for v in venues {
            self.ensure_lane(v);
        }
    }

    /// Stops every lane after its current sleep; polls in flight finish.
    pub fn stop(&self) {
        self.inner.started.store(false, Ordering::SeqCst);
        let _ = self.inner.stop.send(true);
    }

    /// Watches a credential (replacing an earlier entry for it). It is first polled in its
    /// lane's next round.
    pub fn watch(&self, w: Watched) {
        let venue = w.client.venue();
        lock(&self.inner.lanes)
            .entry(venue)
            .or_insert_with(|| Lane {
                watched: BTreeMap::new(),
                in_flight: HashSet::new(),
                running: false,
            })
            .watched
            .insert(w.credential, w);
        if self.inner.started.load(Ordering::SeqCst) {
            self.ensure_lane(venue);
        }
    }

    /// Stops watching a credential and forgets its snapshot.
    pub fn unwatch(&self, credential: CredentialId) {
        for lane in lock(&self.inner.lanes).values_mut() {
            lane.watched.remove(&credential);
        }
        lock(&self.inner.latest).remove(&credential);
    }

    /// Number of watched credentials.
    pub fn watched(&self) -> usize {
        lock(&self.inner.lanes)
            .values()
            .map(|l| l.watched.len())
            .sum()
    }

    /// Prices for valuation.
    pub fn prices(&self) -> &Prices {
        &self.inner.prices
    }

    /// A market-data event: updates the price its symbol is valued at.
    pub fn on_market_event(&self, e: &MarketEvent) {
        self.inner.prices.on_market_event(e);
    }

    /// The latest snapshot of a credential.
    pub fn latest(&self, credential: CredentialId) -> Option<BalanceSnapshot> {
        lock(&self.inner.latest).get(&credential).cloned()
    }

    /// Counters so far.
    pub fn stats(&self) -> MonitorStats {
        let c = &self.inner.counters;
        MonitorStats {
            polls_ok: c.ok.load(Ordering::Relaxed),
            polls_failed: c.failed.load(Ordering::Relaxed),
            skipped_busy: c.skipped.load(Ordering::Relaxed),
            peak_in_flight: c.peak.load(Ordering::Relaxed),
        }
    }

    /// Changed balances from a credential's user data stream (`outboundAccountPosition`):
    /// merged into its latest snapshot, which is revalued and handed to the sink. Ignored for a
    /// credential that is not watched or not polled yet (the first poll gives the full set).
    pub fn on_stream_balances(&self, credential: CredentialId, changed: &[Balance]) {
        let snap = {
            let mut latest = lock(&self.inner.latest);
            let Some(s) = latest.get_mut(&credential) else {
                return;
            };
            for c in changed {
                match s.balances.iter_mut().find(|b| b.asset == c.asset) {
                    Some(b) => *b = c.clone(),
                    None => s.balances.push(c.clone()),
                }
            }
            s.at_ms = self.inner.clock.now_ms();
            s.value = self
                .inner
                .prices
                .value(s.venue, &s.balances, &self.inner.config.quote);
            s.source = SnapshotSource::Stream;
            s.clone()
        };
        self.inner.sink.on_snapshot(&snap);
    }

    fn ensure_lane(&self, venue: Venue) {
        {
            let mut lanes = lock(&self.inner.lanes);
            let Some(lane) = lanes.get_mut(&venue) else {
                return;
            };
            if lane.running {
                return;
            }
            lane.running = true;
        }
        let me = self.clone();
        tokio::spawn(async move { me.run_lane(venue).await });
    }

    async fn run_lane(self, venue: Venue) {
        let limits = self.inner.config.limits(venue);
        let permits = Arc::new(Semaphore::new(limits.concurrency.max(1)));
        let mut stop = self.inner.stop.subscribe();
        let in_use = Arc::new(AtomicU64::new(0));
        loop {
            let list: Vec<CredentialId> = lock(&self.inner.lanes)
                .get(&venue)
                .map(|l| l.watched.keys().copied().collect())
                .unwrap_or_default();
            let round = effective_interval(
                self.inner.config.interval,
                list.len(),
                limits.max_polls_per_minute,
            );
            let start = Instant::now();
            for (i, cred) in list.iter().enumerate() {
                let at = start + offset(i, list.len(), round);
                if self.sleep_or_stop(at, &mut stop).await {
                    return self.lane_stopped(venue);
                }
                self.dispatch(venue, *cred, &permits, &in_use);
            }
            // An empty lane checks again after one interval.
            if self.sleep_or_stop(start + round, &mut stop).await {
                return self.lane_stopped(venue);
            }
        }
    }

    fn lane_stopped(&self, venue: Venue) {
        if let Some(l) = lock(&self.inner.lanes).get_mut(&venue) {
            l.running = false;
        }
    }

    /// Sleeps until `at`; true when the monitor was stopped meanwhile.
    async fn sleep_or_stop(&self, at: Instant, stop: &mut watch::Receiver<bool>) -> bool {
        if *stop.borrow() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(at) => *stop.borrow(),
            r = stop.changed() => r.is_err() || *stop.borrow(),
        }
    }

    /// Starts one poll unless the credential's previous one is still running.
    fn dispatch(
        &self,
        venue: Venue,
        cred: CredentialId,
        permits: &Arc<Semaphore>,
        in_use: &Arc<AtomicU64>,
    ) {
        let client = {
            let mut lanes = lock(&self.inner.lanes);
            let Some(lane) = lanes.get_mut(&venue) else {
                return;
            };
            let Some(w) = lane.watched.get(&cred) else {
                return; // unwatched since the round began
            };
            let client = w.client.clone();
            if !lane.in_flight.insert(cred) {
                self.inner.counters.skipped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            client
        };
        let me = self.clone();
        let permits = permits.clone();
        let in_use = in_use.clone();
        tokio::spawn(async move {
            // The semaphore is never closed, so acquiring only fails if that changed: then
            // poll without a permit rather than never again.
            let _permit = permits.acquire_owned().await.ok();
            let now = in_use.fetch_add(1, Ordering::Relaxed) + 1;
            me.inner.counters.peak.fetch_max(now, Ordering::Relaxed);
            let result = client.balances().await;
            in_use.fetch_sub(1, Ordering::Relaxed);
            me.finish_poll(venue, cred, result);
        });
    }

    fn finish_poll(
        &self,
        venue: Venue,
        cred: CredentialId,
        result: Result<Vec<Balance>, tradeward_exchange::ExchangeError>,
    ) {
        if let Some(l) = lock(&self.inner.lanes).get_mut(&venue) {
            l.in_flight.remove(&cred);
        }
        match result {
            Ok(balances) => {
                self.inner.counters.ok.fetch_add(1, Ordering::Relaxed);
                let value = self
                    .inner
                    .prices
                    .value(venue, &balances, &self.inner.config.quote);
                let snap = BalanceSnapshot {
                    credential: cred,
                    venue,
                    at_ms: self.inner.clock.now_ms(),
                    balances,
                    value,
                    source: SnapshotSource::Poll,
                };
                let still_watched = lock(&self.inner.lanes)
                    .get(&venue)
                    .is_some_and(|l| l.watched.contains_key(&cred));
                if !still_watched {
                    return;
                }
                lock(&self.inner.latest).insert(cred, snap.clone());
                self.inner.sink.on_snapshot(&snap);
            }
            Err(e) => {
                self.inner.counters.failed.fetch_add(1, Ordering::Relaxed);
                self.inner.sink.on_poll_error(cred, venue, &e);
            }
        }
    }
}
