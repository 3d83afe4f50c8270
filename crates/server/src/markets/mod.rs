//! Live market data and balances for the API, the dashboard and the WebSocket stream.
//!
//! [`Markets`] holds, per connected venue, the REST transport (balances are read through
//! the signer, like every private call) and a market-data client behind the shared
//! [`MarketDataHub`]. For each watched market one task follows the hub and keeps a
//! [`Board`]: the last trade price and a down-sampled [`PriceHistory`] for charts; every
//! new price is serialised to JSON **once** and broadcast to all WebSocket clients, so
//! fan-out costs a clone of an `Arc` per client.
//!
//! Balances are cached per credential for a short time ([`BalanceCache`]): a dashboard
//! reload or a script polling `GET /balances` does not spend one signature and one venue
//! round trip per request, and concurrent readers share one venue call.

mod balances;
mod history;
pub mod permissions;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tradeward_domain::{Symbol, Venue};
use tradeward_exchange::binance::{BinanceConfig, BinanceHttp, BinanceMarketData};
use tradeward_exchange::hub::{HubConfig, HubEvent, MarketDataHub};
use tradeward_exchange::{Clock, ExchangeError, MarketDataClient, MarketId, SystemClock};

pub use balances::{BalanceCache, CachedBalances};
pub use history::{PriceHistory, PricePoint};

/// Points kept per market: ten minutes at one per second.
const HISTORY_POINTS: usize = 600;
/// One chart point per second.
const HISTORY_RESOLUTION_MS: u64 = 1_000;
/// Price updates buffered for slow WebSocket clients (who then skip ahead).
const FANOUT_CAPACITY: usize = 4_096;

/// A venue the server connects to, and the markets it watches there.
#[derive(Debug, Clone)]
pub struct VenueLink {
    /// Binance dialect endpoints (the sim's, production's or testnet's).
    pub config: BinanceConfig,
    /// Markets whose prices are followed and streamed.
    pub symbols: Vec<Symbol>,
}

impl VenueLink {
    /// The built-in simulator at `rest_base` / `ws_base` (e.g. `http://127.0.0.1:9090`).
    pub fn sim(rest_base: &str, ws_base: &str, symbols: Vec<Symbol>) -> Self {
        Self {
            config: BinanceConfig::sim(rest_base, ws_base),
            symbols,
        }
    }
}

/// One market's live state.
#[derive(Debug)]
pub struct Board {
    /// The market.
    pub market: MarketId,
    history: Mutex<PriceHistory>,
    last_price: Mutex<Option<(Decimal, u64)>>,
    /// When data (trade or quote) last arrived, ms since the epoch; 0 = never.
    last_data_ms: AtomicU64,
}

impl Board {
    fn new(market: MarketId) -> Self {
        Self {
            market,
            history: Mutex::new(PriceHistory::new(HISTORY_POINTS, HISTORY_RESOLUTION_MS)),
            last_price: Mutex::new(None),
            last_data_ms: AtomicU64::new(0),
        }
    }

    /// The last trade price and when it was seen (ms).
    pub fn last_price(&self) -> Option<(Decimal, u64)> {
        *self
            .last_price
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The recent price path, oldest first.
    pub fn history(&self) -> Vec<PricePoint> {
        self.history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .points()
    }

    /// When data last arrived (ms), if ever.
    pub fn last_data_ms(&self) -> Option<u64> {
        match self.last_data_ms.load(Ordering::Relaxed) {
            0 => None,
            t => Some(t),
        }
    }

    fn record(&self, price: Decimal, time_ms: u64) {
        // Each critical section is one assignment: a panic cannot leave it half-written.
        self.history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(time_ms, price);
        *self
            .last_price
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((price, time_ms));
    }
}

/// A new price, as every WebSocket client receives it.
#[derive(Debug)]
pub struct PriceUpdate {
    /// The market.
    pub market: MarketId,
    /// The message, serialised once: `{"type":"price","venue",...}`.
    pub json: Arc<str>,
}

/// Live markets and balances.
#[derive(Debug)]
pub struct Markets {
    venues: HashMap<Venue, Arc<BinanceHttp>>,
    boards: Vec<Arc<Board>>,
    updates: broadcast::Sender<Arc<PriceUpdate>>,
    balances: BalanceCache,
    clock: Arc<dyn Clock>,
    tasks: Vec<JoinHandle<()>>,
    _hub: MarketDataHub,
}

impl Drop for Markets {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Markets {
    /// Connects to each venue and starts following its markets. Fails only for settings
    /// that can never work (a bad URL, a market the venue's client refuses at once); a
    /// venue that is down is retried by the stream clients on their own.
    pub async fn start(
        links: Vec<VenueLink>,
        balance_ttl: Duration,
    ) -> Result<Self, ExchangeError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let mut venues = HashMap::new();
        let mut clients: Vec<Arc<dyn MarketDataClient>> = Vec::new();
        for link in &links {
            let http = BinanceHttp::new(link.config.clone(), clock.clone())?;
            venues.insert(link.config.venue, Arc::new(http));
            clients.push(Arc::new(BinanceMarketData::new(
                link.config.clone(),
                clock.clone(),
            )?));
        }
        let hub = MarketDataHub::new(clients, clock.clone(), HubConfig::default());
        let (updates, _) = broadcast::channel(FANOUT_CAPACITY);
        let mut boards = Vec::new();
        let mut tasks = vec![hub.spawn_sweeper(Duration::from_secs(5))];
        for link in &links {
            for symbol in &link.symbols {
                let market = MarketId {
                    venue: link.config.venue,
                    symbol: symbol.clone(),
                };
                let rx = hub.subscribe(market.venue, symbol).await?;
                let board = Arc::new(Board::new(market));
                tasks.push(tokio::spawn(follow(rx, board.clone(), updates.clone())));
                boards.push(board);
            }
        }
        Ok(Self {
            venues,
            boards,
            updates,
            balances: BalanceCache::new(balance_ttl),
            clock,
            tasks,
            _hub: hub,
        })
    }

    /// The REST transport of `venue`, if connected.
    pub fn venue(&self, venue: Venue) -> Option<&Arc<BinanceHttp>> {
        self.venues.get(&venue)
    }

    /// Every watched market.
    pub fn boards(&self) -> &[Arc<Board>] {
        &self.boards
    }

    /// The board of one market.
    pub fn board(&self, venue: Venue, symbol: &Symbol) -> Option<&Arc<Board>> {
        self.boards
            .iter()
            .find(|b| b.market.venue == venue && &b.market.symbol == symbol)
    }

    /// The last price of `base` in `quote` on `venue`, if that market is watched.
    pub fn price_of(&self, venue: Venue, base: &str, quote: &str) -> Option<Decimal> {
        self.boards
            .iter()
            .find(|b| {
                b.market.venue == venue
                    && b.market.symbol.base() == base
                    && b.market.symbol.quote() == quote
            })
            .and_then(|b| b.last_price())
            .map(|(p, _)| p)
    }

    /// A receiver of every new price (all markets; clients filter).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<PriceUpdate>> {
        self.updates.subscribe()
    }

    /// WebSocket clients listening now.
    pub fn listeners(&self) -> usize {
        self.updates.receiver_count()
    }

    /// The balance cache.
    pub fn balances(&self) -> &BalanceCache {
        &self.balances
    }

    /// Now, ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}

/// Follows one market: records trade prices and broadcasts them.
async fn follow(
    mut rx: broadcast::Receiver<HubEvent>,
    board: Arc<Board>,
    updates: broadcast::Sender<Arc<PriceUpdate>>,
) {
    loop {
        let event = match rx.recv().await {
            Ok(e) => e,
            // Missed events are old prices; the next one is what matters.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let HubEvent::Market(ev) = event else {
            continue;
        };
        let time_ms = ev.exchange_time_ms.unwrap_or(ev.received_at_ms);
        board
            .last_data_ms
            .store(ev.received_at_ms.max(1), Ordering::Relaxed);
        let Some(price) = ev.price() else {
            continue;
        };
        board.record(price, time_ms);
        let json = serde_json::json!({
            "type": "price",
            "venue": board.market.venue.as_str(),
            "symbol": board.market.symbol.to_string(),
            "price": price.to_string(),
            "time_ms": time_ms,
        })
        .to_string();
        crate::metrics::METRICS.price_update();
        // No receivers is fine: nobody is watching right now.
        let _ = updates.send(Arc::new(PriceUpdate {
            market: board.market.clone(),
            json: json.into(),
        }));
    }
}
