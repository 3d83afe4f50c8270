//! The venue-neutral interfaces: [`ExecutionClient`] for one credential's account and orders,
//! [`MarketDataClient`] for public market streams. Each venue adapter implements both; the
//! engine and server only ever hold `dyn` versions of them.

use async_trait::async_trait;
use tokio::sync::mpsc;
use tradeward_domain::{Symbol, Venue};

use crate::error::ExchangeError;
use crate::key_check::KeyPermissions;
use crate::types::{Balance, ClientOrderId, ExchangeRules, MarketEvent, OrderReport, OrderRequest};

/// Trading through one credential at one venue. Every call is signed by the signer; the
/// implementation holds no secret.
#[async_trait]
pub trait ExecutionClient: Send + Sync + std::fmt::Debug {
    /// The venue.
    fn venue(&self) -> Venue;

    /// The trading rules of `symbols` (all symbols when empty). Implementations cache them
    /// for [`ExecutionClient::place_order`]'s filter check.
    async fn exchange_rules(&self, symbols: &[Symbol]) -> Result<ExchangeRules, ExchangeError>;

    /// The account's balances.
    async fn balances(&self) -> Result<Vec<Balance>, ExchangeError>;

    /// Places an order after checking it against the symbol's filters (a breach fails with
    /// [`ExchangeError::Filter`] and nothing is sent). If this fails with an error whose
    /// [`ExchangeError::outcome_unknown`] is true, query [`ExecutionClient::order_by_client_id`]
    /// before sending it again.
    async fn place_order(&self, order: &OrderRequest) -> Result<OrderReport, ExchangeError>;

    /// Cancels an order by its client order id.
    async fn cancel_order(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<OrderReport, ExchangeError>;

    /// The order with this client order id, or `None` if the venue does not know it (the
    /// question the router asks after a crash: "did my order reach you?").
    async fn order_by_client_id(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderReport>, ExchangeError>;

    /// Open orders, of one symbol or of all.
    async fn open_orders(&self, symbol: Option<&Symbol>)
        -> Result<Vec<OrderReport>, ExchangeError>;

    /// What the venue says this key may do (see [`crate::key_check`]). Adapters that cannot
    /// ask say so.
    async fn key_permissions(&self) -> Result<KeyPermissions, ExchangeError> {
        Err(ExchangeError::Invalid(format!(
            "{} cannot report a key's permissions",
            self.venue()
        )))
    }
}

/// Which public stream of a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Every public trade.
    Trades,
    /// Best bid and ask.
    BookTicker,
}

/// What a market subscription delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedItem {
    /// A normalized event.
    Event(MarketEvent),
    /// The upstream connection is (re)established; anything between the last
    /// [`FeedItem::Disconnected`] and now was missed.
    Connected,
    /// The upstream connection dropped; the client reconnects by itself with backoff.
    Disconnected {
        /// Why, in our words.
        reason: String,
    },
    /// A frame was malformed or unusable and was skipped (the reason never quotes it).
    Skipped {
        /// Why.
        reason: String,
    },
}

/// Asks a subscription's upstream to drop its connection and subscribe afresh (after a gap).
#[derive(Debug, Clone)]
pub struct ResyncHandle(mpsc::Sender<()>);

impl ResyncHandle {
    /// Requests a resync; requests made while one is pending are merged.
    pub fn request(&self) {
        // Full means a resync is already pending; closed means the feed is gone. Either way
        // there is nothing more to do.
        let _ = self.0.try_send(());
    }
}

/// A live market subscription: its events and a way to force a resync. Dropping it stops
/// the upstream connection.
#[derive(Debug)]
pub struct MarketSubscription {
    /// Normalized events and connection changes, in arrival order.
    pub events: mpsc::Receiver<FeedItem>,
    resync: ResyncHandle,
}

impl MarketSubscription {
    /// A subscription from its parts (for adapter implementations). Returns the subscription
    /// and the receiver the upstream task watches for resync requests.
    pub fn channel(capacity: usize) -> (Self, mpsc::Sender<FeedItem>, mpsc::Receiver<()>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (rtx, rrx) = mpsc::channel(1);
        (
            Self {
                events: rx,
                resync: ResyncHandle(rtx),
            },
            tx,
            rrx,
        )
    }

    /// A handle to request a resync.
    pub fn resync_handle(&self) -> ResyncHandle {
        self.resync.clone()
    }
}

/// Public market data from one venue.
#[async_trait]
pub trait MarketDataClient: Send + Sync + std::fmt::Debug {
    /// The venue.
    fn venue(&self) -> Venue;

    /// Subscribes to `kinds` of `symbols` over one upstream connection that reconnects by
    /// itself. Fails at once only for requests that can never work (no symbols, too many).
    async fn subscribe(
        &self,
        symbols: &[Symbol],
        kinds: &[StreamKind],
    ) -> Result<MarketSubscription, ExchangeError>;
}
