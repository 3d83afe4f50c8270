//! The engine service: the pure trigger books wired to the store, the market feeds and the
//! venues.
//!
//! Promises, and how they are kept:
//! - **A trigger is durable before it is acknowledged.** [`EngineService::arm`] validates the
//!   trigger in the books and writes its row (spec and live state) before returning; if the
//!   write fails it is taken out of the books again. [`EngineService::start`] re-arms every
//!   `armed` row from its stored live state, so a trailing stop keeps its extreme and a
//!   bracket its progress (extremes are written behind the price, at most
//!   [`ServiceConfig::flush_interval`] late).
//! - **No order is sent twice, none is lost.** When a leg fires, one transaction moves the
//!   trigger out of `armed` (compare-and-set) and records the order with its deterministic
//!   client order id, *before* anything is sent ([`tradeward_store::Store::decide_triggers`]).
//!   A crash after that leaves the order `decided`; on start the service asks the venue for
//!   that client order id first: found means it is there, absent means it is sent once, under
//!   the same id (which the venue would refuse as a duplicate anyway).
//! - **Linked legs move together.** An OCO's other leg and a bracket's follow-ups change in
//!   the same books update and are persisted in the same transaction as the fired leg.
//! - **The trading switches.** The deployment's switch is mirrored into the books (polled
//!   from the store every [`ServiceConfig::switch_poll_interval`]); both it and the owner's
//!   switch are read again inside the decision transaction. Off: the trigger is marked
//!   `missed` ("missed while trading was disabled"), no order is decided, no trade
//!   notification is sent; it does not fire when trading returns. Price alerts keep working.
//! - **Order states follow the venue**: the user data stream drives them, REST polling
//!   ([`ServiceConfig::poll_interval`]) is the fallback and runs after every stream reconnect.

mod error;
mod notice;
mod order;
mod persist;
mod process;
mod router;
mod venues;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::{broadcast, Mutex};
use tokio::task::JoinHandle;
use tradeward_domain::{CredentialId, UserId};
use tradeward_exchange::{Clock, ExecutionClient, FeedItem, MarketSubscription};
use tradeward_store::{
    NewTrigger, Store, TriggerOrderRow, TriggerRow, TriggerState, TriggerTransition,
};

use crate::books::TriggerBooks;
use crate::market::MarketKey;
use crate::spec::{ArmedTrigger, TriggerBody, TriggerId, TriggerSpec};

pub use error::ServiceError;
pub use notice::Notice;
pub use order::{client_order_id, DecidedOrder};
pub use router::Outcome;
/// Re-exported so callers can configure venues and clocks without naming the adapter crate.
pub use tradeward_exchange::binance::BinanceConfig;
pub use tradeward_exchange::SystemClock;
pub use venues::{BinanceVenues, Venues};

/// Timings of the service's background work.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How often the deployment's trading switch is read from the store.
    pub switch_poll_interval: Duration,
    /// How often moved trailing stops have their new extreme written.
    pub flush_interval: Duration,
    /// How often open orders are polled over REST (the user stream's fallback), and how long
    /// an unconfirmed order waits before it is reconciled.
    pub poll_interval: Duration,
    /// How long arming in a newly watched market waits for its first price.
    pub first_price_wait: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            switch_poll_interval: Duration::from_millis(250),
            flush_interval: Duration::from_millis(200),
            poll_interval: Duration::from_secs(5),
            first_price_wait: Duration::from_secs(3),
        }
    }
}

/// One trigger as its owner sees it: the stored row, its live legs while armed, its orders.
#[derive(Debug, Clone)]
pub struct TriggerView {
    /// The stored row (state, ids, times).
    pub row: TriggerRow,
    /// The spec as armed.
    pub spec: Option<TriggerSpec>,
    /// The live state while armed (legs left, trailing extremes).
    pub live: Option<ArmedTrigger>,
    /// Orders its legs placed.
    pub orders: Vec<TriggerOrderRow>,
}

/// The trading engine service. Created by [`EngineService::start`], shared behind an `Arc`.
#[derive(Debug)]
pub struct EngineService {
    books: Mutex<TriggerBooks>,
    store: Store,
    venues: Arc<dyn Venues>,
    clock: Arc<dyn Clock>,
    config: ServiceConfig,
    notices: broadcast::Sender<Notice>,
    /// Markets registered in the books, with their feed tasks.
    markets: Mutex<HashMap<MarketKey, JoinHandle<()>>>,
    /// Per market, the triggers with a trailing leg, and whether the market moved since the
    /// last flush.
    trailing: StdMutex<persist::TrailingIndex>,
    /// Client order ids being sent right now: reconciliation leaves them alone.
    inflight: StdMutex<HashSet<String>>,
    /// Credentials whose user stream is consumed.
    streams: StdMutex<HashSet<CredentialId>>,
    /// Execution clients by credential, as checked at arm time.
    clients: StdMutex<HashMap<CredentialId, Arc<dyn ExecutionClient>>>,
    global_trading: AtomicBool,
    tasks: StdMutex<Vec<JoinHandle<()>>>,
}

impl Drop for EngineService {
    fn drop(&mut self) {
        for t in self
            .tasks
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            t.abort();
        }
        for t in self.markets.get_mut().values() {
            t.abort();
        }
    }
}

impl EngineService {
    /// Starts the service from the store: re-arms every armed trigger (registering and
    /// subscribing its market), reconciles every order left `decided` by a crash (ask the
    /// venue by client order id; send once only if the venue does not know it), and starts
    /// the background tasks. Returns the reconciliation outcomes.
    pub async fn start(
        store: Store,
        venues: Arc<dyn Venues>,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
    ) -> Result<(Arc<Self>, Vec<Outcome>), ServiceError> {
        let global = store.global_trading_enabled().await?;
        let mut books = TriggerBooks::new();
        books.set_trading(global);
        let (notices, _) = broadcast::channel(4096);
        let service = Arc::new(Self {
            books: Mutex::new(books),
            store,
            venues,
            clock,
            config,
            notices,
            markets: Mutex::new(HashMap::new()),
            trailing: StdMutex::new(persist::TrailingIndex::default()),
            streams: StdMutex::new(HashSet::new()),
            inflight: StdMutex::new(HashSet::new()),
            clients: StdMutex::new(HashMap::new()),
            global_trading: AtomicBool::new(global),
            tasks: StdMutex::new(Vec::new()),
        });
        let restored = service.restore().await?;
        // Before any feed runs: nothing new is decided while a crash's leftovers are settled.
        let outcomes = service.reconcile(true).await?;
        service.resume(restored).await;
        service.spawn_background();
        Ok((service, outcomes))
    }

    pub(crate) fn now_us(&self) -> i64 {
        i64::try_from(self.clock.now_ms().saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    /// Subscribes to the service's notices.
    pub fn notices(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    pub(crate) fn notify(&self, n: Notice) {
        // No receiver is fine: nobody is listening.
        let _ = self.notices.send(n);
    }

    /// The store the service works on.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Arms a trigger or price alert. Returns only once it is stored: `Ok` is the
    /// acknowledgement. On error nothing is armed or stored.
    pub async fn arm(self: &Arc<Self>, spec: TriggerSpec) -> Result<ArmedTrigger, ServiceError> {
        let credential = match &spec.body {
            TriggerBody::Order { credential, .. } => {
                self.client(spec.owner, *credential, true).await?;
                Some(*credential)
            }
            TriggerBody::PriceAlert(_) => None,
        };
        self.ensure_market(&spec.market).await?;
        let id = spec.id;
        let spec_json = json(id, &spec)?;
        let mut new = NewTrigger {
            id: *id.as_uuid(),
            owner_id: spec.owner,
            credential_id: credential,
            venue: spec.market.venue.to_string(),
            symbol: spec.market.symbol.to_string(),
            spec: spec_json,
            armed_state: None,
            created_at_us: self.now_us(),
        };
        let market = spec.market.clone();
        let owner = spec.owner;
        // The books lock is held across the write so no price update can fire a trigger
        // that might still be rolled back.
        let mut books = self.books.lock().await;
        books.arm(spec)?;
        let Some(armed) = books.armed_trigger(id) else {
            return Err(ServiceError::Corrupt {
                id: *id.as_uuid(),
                reason: "armed but not found in the books".into(),
            });
        };
        new.armed_state = Some(json(id, &armed)?);
        if let Err(e) = self.store.insert_trigger(&new).await {
            // Armed above under the same lock: the cancel cannot miss.
            let _ = books.cancel(id);
            return Err(e.into());
        }
        drop(books);
        self.track_trailing(&market, &armed);
        if let Some(c) = credential {
            self.ensure_user_stream(owner, c).await;
        }
        Ok(armed)
    }

    /// Cancels an armed trigger of `owner`. Returns whether it was armed (false: unknown, not
    /// theirs, or it already fired, was missed or was cancelled).
    pub async fn cancel(&self, owner: UserId, id: TriggerId) -> Result<bool, ServiceError> {
        match self.store.trigger(*id.as_uuid()).await? {
            Some(row) if row.owner_id == owner => {}
            _ => return Ok(false),
        }
        let mut books = self.books.lock().await;
        let moved = self
            .store
            .transition_trigger(&TriggerTransition {
                id: *id.as_uuid(),
                from: TriggerState::Armed,
                to: TriggerState::Cancelled,
                client_order_id: None,
                venue_order_id: None,
                now_us: self.now_us(),
            })
            .await?;
        if moved {
            let _ = books.cancel(id);
        }
        Ok(moved)
    }

    /// Starts watching a market (rules registered, feed subscribed) without arming anything,
    /// so its prices are known before the first trigger arrives.
    pub async fn watch_market(self: &Arc<Self>, key: &MarketKey) -> Result<(), ServiceError> {
        self.register_market(key).await?;
        self.start_feed(key).await
    }

    /// The latest price the books saw for a market and source.
    pub async fn price(
        &self,
        key: &MarketKey,
        source: crate::spec::PriceSource,
    ) -> Option<rust_decimal::Decimal> {
        let books = self.books.lock().await;
        books.price(books.market_id(key)?, source)
    }

    /// Whether a trigger is armed in the books.
    pub async fn is_armed(&self, id: TriggerId) -> bool {
        self.books.lock().await.contains(id)
    }

    /// Legs armed in the books.
    pub async fn armed_legs(&self) -> usize {
        self.books.lock().await.armed_legs()
    }

    /// One trigger of `owner`, with its live legs and orders.
    pub async fn trigger(
        &self,
        owner: UserId,
        id: TriggerId,
    ) -> Result<Option<TriggerView>, ServiceError> {
        let Some(row) = self.store.trigger(*id.as_uuid()).await? else {
            return Ok(None);
        };
        if row.owner_id != owner {
            return Ok(None);
        }
        Ok(Some(self.view(row).await?))
    }

    /// The triggers of `owner`, newest first, at most `limit`.
    pub async fn list(&self, owner: UserId, limit: i64) -> Result<Vec<TriggerView>, ServiceError> {
        let rows = self.store.triggers_of_owner(owner, limit).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.view(row).await?);
        }
        Ok(out)
    }

    async fn view(&self, row: TriggerRow) -> Result<TriggerView, ServiceError> {
        let id = TriggerId::from_uuid(row.id);
        let live = if row.state == TriggerState::Armed {
            self.books.lock().await.armed_trigger(id)
        } else {
            None
        };
        let orders = self.store.trigger_orders_of(row.id).await?;
        Ok(TriggerView {
            spec: serde_json::from_str(&row.spec).ok(),
            row,
            live,
            orders,
        })
    }

    /// Applies the deployment's trading switch now (the service also polls it).
    pub async fn set_global_trading(&self, enabled: bool) {
        self.global_trading.store(enabled, Ordering::SeqCst);
        self.books.lock().await.set_trading(enabled);
    }

    /// The execution client of a credential `owner` owns. `check` asks the venues layer
    /// again (ownership) even when a client is cached: arming does, sending a decided order
    /// does not (ownership was checked when the trigger was armed).
    pub(crate) async fn client(
        &self,
        owner: UserId,
        credential: CredentialId,
        check: bool,
    ) -> Result<Arc<dyn ExecutionClient>, ServiceError> {
        let cached = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&credential)
            .cloned();
        if let Some(c) = cached {
            if check {
                self.venues.execution(owner, credential).await?;
            }
            return Ok(c);
        }
        let c = self.venues.execution(owner, credential).await?;
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(credential, c.clone());
        Ok(c)
    }

    /// Registers a market in the books (its rules from the venue), once. Returns whether it
    /// was new.
    pub(crate) async fn register_market(&self, key: &MarketKey) -> Result<bool, ServiceError> {
        if self.books.lock().await.market_id(key).is_some() {
            return Ok(false);
        }
        let rules = self.venues.rules(key).await?;
        let mut books = self.books.lock().await;
        if books.market_id(key).is_some() {
            return Ok(false);
        }
        books.add_market(key.clone(), rules)?;
        Ok(true)
    }

    /// Starts a registered market's feed, once.
    pub(crate) async fn start_feed(self: &Arc<Self>, key: &MarketKey) -> Result<(), ServiceError> {
        let mut markets = self.markets.lock().await;
        if markets.contains_key(key) {
            return Ok(());
        }
        let sub = self.venues.subscribe(key).await?;
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        markets.insert(key.clone(), self.spawn_feed(sub, ready_tx));
        drop(markets);
        // Return with the feed live (bounded), so prices that follow are seen.
        if tokio::time::timeout(self.config.first_price_wait, ready)
            .await
            .is_err()
        {
            tracing::warn!(market = %key, "market feed not connected yet; it keeps trying");
        }
        Ok(())
    }

    /// Registers a market and starts its feed, once; a new market waits (a bounded time) for
    /// its first price so triggers can be checked against it.
    pub(crate) async fn ensure_market(
        self: &Arc<Self>,
        key: &MarketKey,
    ) -> Result<(), ServiceError> {
        self.register_market(key).await?;
        if self.markets.lock().await.contains_key(key) {
            return Ok(());
        }
        self.start_feed(key).await?;
        let deadline = tokio::time::Instant::now() + self.config.first_price_wait;
        while tokio::time::Instant::now() < deadline {
            {
                let books = self.books.lock().await;
                if let Some(m) = books.market_id(key) {
                    if crate::spec::PriceSource::ALL
                        .iter()
                        .any(|s| books.price(m, *s).is_some())
                    {
                        break;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// Consumes a market subscription until it ends, feeding every event to the books.
    fn spawn_feed(
        self: &Arc<Self>,
        mut sub: MarketSubscription,
        ready: tokio::sync::oneshot::Sender<()>,
    ) -> JoinHandle<()> {
        let service: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ready = Some(ready);
            while let Some(item) = sub.events.recv().await {
                if matches!(item, FeedItem::Connected | FeedItem::Event(_)) {
                    if let Some(r) = ready.take() {
                        // The starter may have stopped waiting; that is fine.
                        let _ = r.send(());
                    }
                }
                let Some(s) = service.upgrade() else { break };
                match item {
                    FeedItem::Event(ev) => {
                        if let Err(e) = s.on_market_event(&ev).await {
                            tracing::error!(error = %e, "market event not processed");
                        }
                    }
                    FeedItem::Disconnected { reason } => {
                        tracing::warn!(%reason, "market feed disconnected; reconnecting");
                    }
                    _ => {}
                }
            }
        })
    }

    /// Starts consuming a credential's user data stream, once.
    pub(crate) async fn ensure_user_stream(
        self: &Arc<Self>,
        owner: UserId,
        credential: CredentialId,
    ) {
        if !self
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(credential)
        {
            return;
        }
        if let Some(rx) = self.venues.user_stream(owner, credential).await {
            let t = self.spawn_user_events(credential, rx);
            self.tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(t);
        }
    }

    fn spawn_background(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let cfg = self.config.clone();
        let switch = tokio::spawn({
            let weak = weak.clone();
            async move {
                loop {
                    tokio::time::sleep(cfg.switch_poll_interval).await;
                    let Some(s) = weak.upgrade() else { break };
                    // A switch that cannot be read counts as off.
                    let on = s.store.global_trading_enabled().await.unwrap_or(false);
                    if on != s.global_trading.load(Ordering::SeqCst) {
                        s.set_global_trading(on).await;
                    }
                }
            }
        });
        let flush = tokio::spawn({
            let weak = weak.clone();
            async move {
                loop {
                    tokio::time::sleep(cfg.flush_interval).await;
                    let Some(s) = weak.upgrade() else { break };
                    if let Err(e) = s.flush_trailing().await {
                        tracing::warn!(error = %e, "trailing extremes not written");
                    }
                }
            }
        });
        let poll = tokio::spawn(async move {
            loop {
                tokio::time::sleep(cfg.poll_interval).await;
                let Some(s) = weak.upgrade() else { break };
                if let Err(e) = s.reconcile(false).await {
                    tracing::warn!(error = %e, "order polling failed");
                }
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend([switch, flush, poll]);
    }
}

/// A fresh trigger id (UUIDv7, so ids sort by creation time). Ids are made here, outside the
/// books, which draw no randomness.
pub fn new_trigger_id() -> TriggerId {
    TriggerId::from_uuid(uuid::Uuid::now_v7())
}

/// A trigger id from its text (hyphenated UUID), if it is one.
pub fn parse_trigger_id(text: &str) -> Option<TriggerId> {
    uuid::Uuid::parse_str(text).ok().map(TriggerId::from_uuid)
}

fn json<T: serde::Serialize>(id: TriggerId, value: &T) -> Result<String, ServiceError> {
    serde_json::to_string(value).map_err(|e| ServiceError::Corrupt {
        id: *id.as_uuid(),
        reason: format!("does not serialize: {e}"),
    })
}
