//! What a price or balance update produces: an ordered list of events.
//!
//! Order within one update (the naive reference model produces the same): first the legs that
//! the update crossed, sorted by price source (last, bid, ask), then direction (rising-price
//! triggers before falling-price ones), then crossing price in the direction of travel (the
//! level the price reached first comes first), then arming sequence. Each fired leg's linked
//! consequences (OCO cancellations, follow-up arming) come right after it. Then, if follow-up
//! legs were armed, a second round evaluates them against the current prices, in the same order.

use rust_decimal::Decimal;
use tradeward_domain::{CredentialId, Side, UserId};

use crate::market::MarketId;
use crate::spec::{AlertCondition, BalanceCondition, PriceSource, TriggerId};

/// The kind of an order leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerKind {
    /// Stop, market order.
    StopMarket,
    /// Stop, limit order.
    StopLimit,
    /// Take-profit, market order.
    TakeProfitMarket,
    /// Take-profit, limit order.
    TakeProfitLimit,
    /// Trailing stop, market order.
    TrailingStop,
}

/// The order a fired leg asks the router to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderToPlace {
    /// A market order.
    Market,
    /// A limit order at this price (trigger level ± offset, on the tick grid).
    Limit {
        /// The limit price.
        price: Decimal,
    },
}

/// How the price met the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FireReason {
    /// The price reached exactly the level.
    Touched,
    /// The price jumped past the level (a gap); the leg fires all the same.
    GappedPast,
}

/// An order leg fired: place this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    /// The trigger.
    pub id: TriggerId,
    /// Which leg.
    pub leg: u8,
    /// Its owner.
    pub owner: UserId,
    /// The credential to trade with.
    pub credential: CredentialId,
    /// The market.
    pub market: MarketId,
    /// The leg's kind.
    pub kind: TriggerKind,
    /// Buy or sell.
    pub side: Side,
    /// Base-asset quantity.
    pub quantity: Decimal,
    /// What to place.
    pub order: OrderToPlace,
    /// The level that was crossed (for a trailing stop: its level at that moment).
    pub trigger_price: Decimal,
    /// The price that crossed it.
    pub observed_price: Decimal,
    /// The source that crossed it.
    pub source: PriceSource,
    /// Touched or gapped past.
    pub reason: FireReason,
    /// The user's reference.
    pub client_id: Option<String>,
}

/// An order leg whose condition was met while trading was off. It is gone: it will not fire
/// late when trading returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    /// The trigger.
    pub id: TriggerId,
    /// Which leg.
    pub leg: u8,
    /// Its owner.
    pub owner: UserId,
    /// The market.
    pub market: MarketId,
    /// The leg's kind.
    pub kind: TriggerKind,
    /// Buy or sell.
    pub side: Side,
    /// The level that was crossed.
    pub trigger_price: Decimal,
    /// The price that crossed it.
    pub observed_price: Decimal,
}

impl Missed {
    /// The status text shown to the user.
    pub const STATUS: &'static str = "missed while trading was disabled";
}

/// Why a leg was cancelled by the books themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// Its one-cancels-other sibling fired.
    OcoSiblingFired,
    /// Its one-cancels-other sibling was missed while trading was off.
    OcoSiblingMissed,
    /// Its one-triggers-other primary was missed while trading was off, so it was never armed.
    PrimaryMissed,
}

/// A price alert fired (once; it is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFired {
    /// The alert.
    pub id: TriggerId,
    /// Its owner.
    pub owner: UserId,
    /// The market.
    pub market: MarketId,
    /// The condition as armed (percent moves with their reference filled in).
    pub condition: AlertCondition,
    /// The level reached.
    pub level: Decimal,
    /// The price that reached it.
    pub observed_price: Decimal,
    /// The source.
    pub source: PriceSource,
    /// The user's reference.
    pub client_id: Option<String>,
}

/// A balance alert fired (once; it is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceAlertFired {
    /// The alert.
    pub id: TriggerId,
    /// Its owner.
    pub owner: UserId,
    /// The credential.
    pub credential: CredentialId,
    /// The asset.
    pub asset: String,
    /// The condition.
    pub condition: BalanceCondition,
    /// The balance that met it.
    pub balance: Decimal,
}

/// One thing an update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Place an order.
    Fired(Fired),
    /// Condition met while trading was off; the leg is gone.
    Missed(Missed),
    /// A linked leg was cancelled.
    Cancelled {
        /// The trigger.
        id: TriggerId,
        /// Which leg.
        leg: u8,
        /// Why.
        reason: CancelReason,
    },
    /// A one-triggers-other follow-up leg was armed because its primary fired.
    Armed {
        /// The trigger.
        id: TriggerId,
        /// Which leg.
        leg: u8,
    },
    /// A price alert fired.
    Alert(AlertFired),
    /// A balance alert fired.
    BalanceAlert(BalanceAlertFired),
}
