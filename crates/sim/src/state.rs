//! [`Shared`]: the state every request and connection shares (the engine behind a mutex,
//! API keys, the event bus to WebSockets, limits, faults, the order log), and the clock.

use crate::auth::KeyStore;
use crate::config::{FaultsConfig, SecretString, ServerConfig, WsConfig};
use crate::engine::{AccountId, Engine, EngineEvent};
use crate::ratelimit::RateLimiter;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, watch};

/// Entries kept by `GET /sim/v1/orders` (oldest dropped first).
pub const ORDER_LOG_CAP: usize = 100_000;

/// Locks a mutex, recovering the data if a holder panicked: every engine mutation either
/// completes or leaves the state unchanged, so the data stays consistent.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Events of one engine operation, as sent to WebSocket connections.
#[derive(Debug)]
pub struct Batch {
    /// The events, in order.
    pub events: Vec<EngineEvent>,
    /// Sim clock when they were published (µs).
    pub at_us: u64,
}

/// One order request as `GET /sim/v1/orders` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct OrderLogEntry {
    /// Arrival order.
    pub seq: u64,
    /// Arrival time on the sim's clock, µs.
    pub received_at_us: u64,
    /// Time of the latest market event of the symbol before the arrival, µs (None when the
    /// symbol had none or is unknown).
    pub market_event_at_us: Option<u64>,
    /// `POST /api/v3/order` or `/api/v3/order/test`.
    pub path: &'static str,
    /// As sent.
    pub symbol: Option<String>,
    /// As sent.
    pub side: Option<String>,
    /// As sent.
    #[serde(rename = "type")]
    pub order_type: Option<String>,
    /// As sent or generated.
    pub client_order_id: Option<String>,
    /// Engine order id when placed.
    pub order_id: Option<u64>,
    /// HTTP status of the answer.
    pub status: u16,
    /// Binance error code when refused.
    pub code: Option<i32>,
}

/// A user data stream key.
#[derive(Clone, Copy, Debug)]
pub struct ListenKey {
    /// Whose events it carries.
    pub account: AccountId,
    /// Expiry (ms); keepalive extends it by 60 minutes.
    pub expires_ms: u64,
}

/// Everything shared.
#[derive(Debug)]
pub struct Shared {
    /// The exchange.
    pub engine: Mutex<Engine>,
    /// API keys.
    pub keys: KeyStore,
    /// Engine events to WebSocket connections.
    pub bus: broadcast::Sender<Arc<Batch>>,
    /// Rate limits.
    pub limiter: RateLimiter,
    /// Active faults.
    pub faults: RwLock<FaultsConfig>,
    /// Clock skew (ms), kept apart from `faults` so the clock reads one atomic.
    pub skew_ms: AtomicI64,
    /// Bumped to drop every WebSocket connection now.
    pub ws_kill: watch::Sender<u64>,
    /// Order requests received.
    pub order_log: Mutex<VecDeque<OrderLogEntry>>,
    order_seq: AtomicU64,
    /// Latest market event per symbol, µs.
    market_clock: HashMap<String, AtomicU64>,
    /// Listen keys.
    pub listen_keys: Mutex<HashMap<String, ListenKey>>,
    /// Control plane token.
    pub control_token: Option<SecretString>,
    /// HTTP limits.
    pub server: ServerConfig,
    /// WebSocket settings.
    pub ws: WsConfig,
    /// Snapshot file.
    pub snapshot: Option<PathBuf>,
}

/// The handle the routers carry.
pub type AppState = Arc<Shared>;

impl Shared {
    /// Builds the shared state.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: Engine,
        keys: KeyStore,
        limiter: RateLimiter,
        faults: FaultsConfig,
        control_token: Option<SecretString>,
        server: ServerConfig,
        ws: WsConfig,
        snapshot: Option<PathBuf>,
    ) -> Self {
        let market_clock = engine
            .symbols()
            .iter()
            .map(|s| (s.symbol.to_string(), AtomicU64::new(0)))
            .collect();
        let (bus, _) = broadcast::channel(65_536);
        let (ws_kill, _) = watch::channel(0);
        Self {
            engine: Mutex::new(engine),
            keys,
            bus,
            limiter,
            skew_ms: AtomicI64::new(faults.clock_skew_ms),
            faults: RwLock::new(faults),
            ws_kill,
            order_log: Mutex::new(VecDeque::new()),
            order_seq: AtomicU64::new(0),
            market_clock,
            listen_keys: Mutex::new(HashMap::new()),
            control_token,
            server,
            ws,
            snapshot,
        }
    }

    /// The sim's clock in µs since the epoch (skew included).
    pub fn now_us(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        let skew = self.skew_ms.load(Ordering::Relaxed).saturating_mul(1000);
        real.saturating_add(skew).max(0) as u64
    }

    /// The sim's clock in ms.
    pub fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }

    /// Current faults.
    pub fn faults(&self) -> FaultsConfig {
        self.faults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the faults.
    pub fn set_faults(&self, f: FaultsConfig) {
        self.skew_ms.store(f.clock_skew_ms, Ordering::Relaxed);
        *self.faults.write().unwrap_or_else(|p| p.into_inner()) = f;
    }

    /// Sends events to WebSocket connections and stamps the market clock. Call it while
    /// still holding the engine lock so that batches go out in engine order.
    pub fn publish(&self, events: Vec<EngineEvent>) {
        if events.is_empty() {
            return;
        }
        let at_us = self.now_us();
        for e in &events {
            let symbol = match e {
                EngineEvent::Trade(t) => &t.symbol,
                EngineEvent::BookTicker(b) => &b.symbol,
                EngineEvent::DepthUpdate(d) => &d.symbol,
                _ => continue,
            };
            if let Some(c) = self.market_clock.get(symbol.as_str()) {
                c.store(at_us, Ordering::Relaxed);
            }
        }
        // No receiver is fine: nobody is listening.
        let _ = self.bus.send(Arc::new(Batch { events, at_us }));
    }

    /// Latest market event time of `symbol`, µs.
    pub fn market_event_at(&self, symbol: &str) -> Option<u64> {
        self.market_clock
            .get(symbol)
            .map(|c| c.load(Ordering::Relaxed))
            .filter(|t| *t > 0)
    }

    /// Appends to the order log.
    pub fn log_order(&self, mut e: OrderLogEntry) {
        e.seq = self.order_seq.fetch_add(1, Ordering::Relaxed);
        let mut log = lock(&self.order_log);
        if log.len() >= ORDER_LOG_CAP {
            log.pop_front();
        }
        log.push_back(e);
    }
}
