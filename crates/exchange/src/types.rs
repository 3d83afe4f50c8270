//! Tradeward's venue-neutral vocabulary for orders, balances, rules and market data. The
//! adapters translate each venue's JSON into these types; nothing above them sees JSON.

use std::fmt;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tradeward_domain::{Side, Symbol, Venue};

use crate::filters::SymbolFilters;

/// A market: one symbol on one venue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MarketId {
    /// The venue.
    pub venue: Venue,
    /// The symbol, in Tradeward's spelling.
    pub symbol: Symbol,
}

impl fmt::Display for MarketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.venue, self.symbol)
    }
}

/// The text given is not a usable client order id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid client order id: {0}")]
pub struct ClientOrderIdError(&'static str);

/// A client order id: 1 to 36 characters of `A-Z a-z 0-9 . : / _ -` (Binance's grammar, which
/// the other venues' grammars also accept).
///
/// Ids are deterministic ([`ClientOrderId::derive`]): the order router derives the id from
/// the order's own identity, so after a crash it can ask the venue "did order X reach you?"
/// and a resend of the same intent carries the same id (the venue refuses a duplicate of an
/// open order instead of placing it twice).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientOrderId(String);

impl ClientOrderId {
    /// Longest id every supported venue accepts.
    pub const MAX_LEN: usize = 36;

    /// Validates an id.
    pub fn new(id: impl Into<String>) -> Result<Self, ClientOrderIdError> {
        let id = id.into();
        if id.is_empty() || id.len() > Self::MAX_LEN {
            return Err(ClientOrderIdError("must be 1 to 36 characters"));
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'))
        {
            return Err(ClientOrderIdError(
                "only letters, digits and . : / _ - are allowed",
            ));
        }
        Ok(Self(id))
    }

    /// The id for `key` (e.g. a trigger id and attempt number) within `namespace` (e.g. the
    /// user and credential): `tw` followed by 32 hex digits of SHA-256 over both. The same
    /// inputs always give the same id; the prefix marks orders Tradeward placed.
    pub fn derive(namespace: &str, key: &str) -> Self {
        let mut h = Sha256::new();
        // Length-prefix the namespace so ("a", "bc") and ("ab", "c") differ.
        h.update((namespace.len() as u64).to_be_bytes());
        h.update(namespace.as_bytes());
        h.update(key.as_bytes());
        let digest = hex::encode(h.finalize());
        Self(format!("tw{}", &digest[..32]))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long a limit order stays on the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// What to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderKind {
    /// A limit order.
    Limit {
        /// Limit price.
        price: Decimal,
        /// Base quantity.
        quantity: Decimal,
        /// Time in force.
        time_in_force: TimeInForce,
    },
    /// A post-only limit order: refused if it would trade at once.
    LimitMaker {
        /// Limit price.
        price: Decimal,
        /// Base quantity.
        quantity: Decimal,
    },
    /// A market order for a base quantity.
    Market {
        /// Base quantity.
        quantity: Decimal,
    },
    /// A market order for a quote amount (spend or receive this much quote currency).
    MarketQuote {
        /// Quote quantity.
        quote_quantity: Decimal,
    },
}

/// A new order, venue-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    /// The symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Type, price, quantity.
    pub kind: OrderKind,
    /// The caller's id for the order (deterministic; see [`ClientOrderId::derive`]).
    pub client_order_id: ClientOrderId,
}

/// Order types as venues report them (including ones Tradeward does not place itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderType {
    /// Limit.
    Limit,
    /// Post-only limit.
    LimitMaker,
    /// Market.
    Market,
    /// Stop-loss (market when triggered).
    StopLoss,
    /// Stop-loss limit.
    StopLossLimit,
    /// Take-profit (market when triggered).
    TakeProfit,
    /// Take-profit limit.
    TakeProfitLimit,
}

/// An order's state at the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderStatus {
    /// Accepted, nothing filled.
    New,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled by the user.
    Canceled,
    /// Cancel requested, not yet done.
    PendingCancel,
    /// Refused by the matching engine.
    Rejected,
    /// Ended by its own rules (IOC/FOK/market remainder) or by the venue.
    Expired,
    /// Ended by self-trade prevention.
    ExpiredInMatch,
    /// Not yet triggered (stop orders).
    PendingNew,
}

impl OrderStatus {
    /// Whether the order can still trade.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::New
                | OrderStatus::PartiallyFilled
                | OrderStatus::PendingCancel
                | OrderStatus::PendingNew
        )
    }
}

/// What happened to an order in one user-stream update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecutionType {
    /// Accepted.
    New,
    /// Cancelled.
    Canceled,
    /// Replaced.
    Replaced,
    /// Rejected.
    Rejected,
    /// Traded (see the fill).
    Trade,
    /// Expired.
    Expired,
    /// Expired by self-trade prevention.
    TradePrevention,
    /// Amended (quantity decreased) keeping priority.
    Amendment,
}

/// An order as the venue reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    /// The venue.
    pub venue: Venue,
    /// The symbol.
    pub symbol: Symbol,
    /// The venue's order id (as text, whatever the venue's id type).
    pub venue_order_id: String,
    /// The order's client order id (ours, or one the venue generated).
    pub client_order_id: String,
    /// Buy or sell.
    pub side: Side,
    /// The order type.
    pub order_type: OrderType,
    /// Its state.
    pub status: OrderStatus,
    /// Limit price (zero for market orders).
    pub price: Decimal,
    /// Ordered base quantity.
    pub orig_qty: Decimal,
    /// Filled base quantity.
    pub executed_qty: Decimal,
    /// Quote amount traded so far.
    pub cumulative_quote_qty: Decimal,
    /// When the venue last changed it (ms since the epoch), if reported.
    pub update_time_ms: Option<u64>,
}

/// One fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// Trade id.
    pub trade_id: u64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Commission charged.
    pub commission: Decimal,
    /// Commission asset, if any was charged.
    pub commission_asset: Option<String>,
    /// Whether we were the maker.
    pub is_maker: bool,
}

/// An order changed (user data stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    /// The order after the change.
    pub report: OrderReport,
    /// What happened.
    pub execution: ExecutionType,
    /// The fill, for [`ExecutionType::Trade`].
    pub fill: Option<Fill>,
    /// For cancellations: the id of the order that was cancelled, when it differs.
    pub orig_client_order_id: Option<String>,
    /// Event time at the venue (ms).
    pub exchange_time_ms: u64,
}

/// One asset's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Asset code (`BTC`).
    pub asset: String,
    /// Available.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

/// Something on a user's private stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserEvent {
    /// An order changed.
    Order(Box<OrderUpdate>),
    /// Balances changed (only the assets listed).
    Balances {
        /// New balances of the changed assets.
        balances: Vec<Balance>,
        /// Event time at the venue (ms).
        exchange_time_ms: u64,
    },
    /// The stream is (re)connected: updates may have been missed while it was down, so
    /// reconcile open orders and balances by REST.
    Connected,
    /// The stream dropped; it reconnects by itself.
    Disconnected {
        /// Why, in our words.
        reason: String,
    },
    /// A private frame could not be understood and was skipped: an update may be lost, so
    /// reconcile open orders and balances by REST.
    ReconcileNeeded {
        /// Why, in our words (never the frame).
        reason: String,
    },
}

/// One symbol's trading rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolRules {
    /// Tradeward's spelling.
    pub symbol: Symbol,
    /// The venue's spelling (`BTCUSDT`).
    pub venue_symbol: String,
    /// Whether the venue accepts orders now.
    pub trading: bool,
    /// Tick, step, notional.
    pub filters: SymbolFilters,
}

/// A venue's trading rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExchangeRules {
    /// One entry per symbol.
    pub symbols: Vec<SymbolRules>,
    /// The venue's request-weight budget per minute, if it publishes one.
    pub request_weight_per_minute: Option<u32>,
}

impl ExchangeRules {
    /// The rules of `symbol`, if listed.
    pub fn get(&self, symbol: &Symbol) -> Option<&SymbolRules> {
        self.symbols.iter().find(|s| &s.symbol == symbol)
    }
}

/// Normalized market data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketData {
    /// A public trade.
    Trade {
        /// The venue's trade id (increasing per symbol).
        trade_id: u64,
        /// Price.
        price: Decimal,
        /// Base quantity.
        qty: Decimal,
    },
    /// Best bid and ask.
    BookTicker {
        /// The venue's book update id (increasing per symbol).
        update_id: u64,
        /// Best bid price.
        bid: Decimal,
        /// Quantity at the best bid.
        bid_qty: Decimal,
        /// Best ask price.
        ask: Decimal,
        /// Quantity at the best ask.
        ask_qty: Decimal,
    },
}

/// One market-data event, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketEvent {
    /// The venue.
    pub venue: Venue,
    /// The symbol.
    pub symbol: Symbol,
    /// Trade or quote.
    pub data: MarketData,
    /// When the venue says it happened (ms), if it says.
    pub exchange_time_ms: Option<u64>,
    /// When we received it (ms, from the adapter's clock).
    pub received_at_ms: u64,
}

impl MarketEvent {
    /// The trade price, for trades.
    pub fn price(&self) -> Option<Decimal> {
        match self.data {
            MarketData::Trade { price, .. } => Some(price),
            MarketData::BookTicker { .. } => None,
        }
    }

    /// The market this event belongs to.
    pub fn market(&self) -> MarketId {
        MarketId {
            venue: self.venue,
            symbol: self.symbol.clone(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_valid_and_distinct() {
        let a = ClientOrderId::derive("user-1/cred-1", "trigger-7#1");
        assert_eq!(a, ClientOrderId::derive("user-1/cred-1", "trigger-7#1"));
        assert_eq!(a.as_str().len(), 34);
        assert!(a.as_str().starts_with("tw"));
        assert!(ClientOrderId::new(a.as_str()).is_ok());
        assert_ne!(a, ClientOrderId::derive("user-1/cred-1", "trigger-7#2"));
        assert_ne!(
            ClientOrderId::derive("ab", "c"),
            ClientOrderId::derive("a", "bc")
        );
    }

    #[test]
    fn derived_id_known_answer() {
        // SHA-256(be64(3) || "ns1" || "k1"), first 16 bytes, computed independently with
        // Python's hashlib.
        assert_eq!(ClientOrderId::derive("ns1", "k1").as_str(), KNOWN_ID_NS1_K1);
    }
    const KNOWN_ID_NS1_K1: &str = "twa17d13fcaa1e99ab53e2be09e34fddce";

    #[test]
    fn bad_ids_are_refused() {
        for bad in ["", "has space", "x".repeat(37).as_str(), "é", "a&b"] {
            assert!(ClientOrderId::new(bad).is_err(), "{bad:?}");
        }
        assert!(ClientOrderId::new("myOrder1").is_ok());
        assert!(ClientOrderId::new("a.b:c/d_e-f").is_ok());
    }
}
