//! What a caller asks the books to arm: trigger specs as plain serde data, so a later layer can
//! persist them and hand them back to [`crate::TriggerBooks::restore`].
//!
//! A spec is one user-visible trigger ([`TriggerId`]) made of one to three *legs*, numbered in a
//! fixed way so events and snapshots can name them:
//!
//! | plan                    | legs                                                       |
//! |-------------------------|------------------------------------------------------------|
//! | `Single`                | 0                                                          |
//! | `Oco`                   | 0 = `first`, 1 = `second`                                  |
//! | `Oto` + `Single`        | 0 = `primary`, 1 = the follow-up                           |
//! | `Oto` + `Oco`           | 0 = `primary`, 1 = follow-up `first`, 2 = follow-up `second` |
//! | price alert             | 0 = the "price rises to" leg, 1 = the "price falls to" leg |

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradeward_domain::{CredentialId, Side, UserId};
use uuid::Uuid;

use crate::market::MarketKey;
use crate::serde_text;

/// Identifies one armed trigger or alert (all its legs). Chosen by the caller, so the books
/// read no clock and draw no randomness.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TriggerId(Uuid);

impl TriggerId {
    /// Wraps a UUID the caller made (UUIDv7 keeps database indexes happy).
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }
    /// The underlying UUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for TriggerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for TriggerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TriggerId({})", self.0.hyphenated())
    }
}

/// Which price a trigger watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// The last trade price.
    Last,
    /// The best bid.
    Bid,
    /// The best ask.
    Ask,
}

impl PriceSource {
    /// All sources, in index order.
    pub const ALL: [PriceSource; 3] = [PriceSource::Last, PriceSource::Bid, PriceSource::Ask];

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One armed trigger or price alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerSpec {
    /// The caller's id for this trigger.
    pub id: TriggerId,
    /// The user who owns it.
    pub owner: UserId,
    /// The market whose prices it watches.
    pub market: MarketKey,
    /// The user's own reference, echoed in events (at most 64 characters).
    #[serde(default)]
    pub client_id: Option<String>,
    /// What it does.
    pub body: TriggerBody,
}

/// An order trigger or a price alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerBody {
    /// Places an order (through `credential`) when it fires.
    Order {
        /// The exchange credential the order is placed with.
        credential: CredentialId,
        /// One leg, or linked legs.
        plan: OrderPlan,
    },
    /// Only notifies; keeps working while trading is off.
    PriceAlert(PriceAlert),
}

/// How the legs of an order trigger are linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderPlan {
    /// A single conditional order.
    Single(Leg),
    /// One-cancels-other: the first leg to fire cancels the other in the same update.
    Oco {
        /// Leg 0.
        first: Leg,
        /// Leg 1.
        second: Leg,
    },
    /// One-triggers-other: `then` is armed only when `primary` fires (a bracket).
    Oto {
        /// Leg 0: the entry.
        primary: Leg,
        /// What is armed when the primary fires.
        then: FollowUp,
    },
}

/// The follow-up of a one-triggers-other plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// Leg 1.
    Single(Leg),
    /// Legs 1 and 2, one-cancels-other (the classic take-profit + stop-loss bracket).
    Oco {
        /// Leg 1.
        first: Leg,
        /// Leg 2.
        second: Leg,
    },
}

/// One conditional order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// Buy or sell.
    #[serde(with = "serde_text::side")]
    pub side: Side,
    /// Base-asset quantity; a positive whole multiple of the market's step size.
    pub quantity: Decimal,
    /// The price it watches.
    pub source: PriceSource,
    /// The trigger condition and the order it places.
    pub kind: OrderKind,
}

/// The trigger condition and the order placed when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Market order when the price reaches `stop` (buy: rises to; sell: falls to).
    StopMarket {
        /// Trigger level.
        stop: Decimal,
    },
    /// Limit order when the price reaches `stop`.
    StopLimit {
        /// Trigger level.
        stop: Decimal,
        /// The limit price of the order placed.
        limit: LimitPrice,
    },
    /// Market order when the price reaches `trigger` (sell: rises to; buy: falls to).
    TakeProfitMarket {
        /// Trigger level.
        trigger: Decimal,
    },
    /// Limit order when the price reaches `trigger`.
    TakeProfitLimit {
        /// Trigger level.
        trigger: Decimal,
        /// The limit price of the order placed.
        limit: LimitPrice,
    },
    /// Market order when the price retreats `trail` from its best level since activation
    /// (sell: from the highest price; buy: from the lowest).
    TrailingStop {
        /// How far behind the extreme the stop follows.
        trail: Trail,
        /// Start trailing only once the price reaches this (sell: rises to; buy: falls to).
        #[serde(default)]
        activation: Option<Decimal>,
    },
}

/// The limit price of a limit order placed by a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitPrice {
    /// Trigger level plus this for a buy, minus this for a sell (toward a fill). Never
    /// recomputed from a gapped price: a gap past the limit leaves the order resting.
    Offset(Decimal),
    /// An explicit limit price.
    Price(Decimal),
}

/// The distance a trailing stop keeps from the price's extreme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trail {
    /// A price distance (a whole number of ticks).
    Amount(Decimal),
    /// A percentage of the extreme, `0 < p < 100`, at most 4 decimals; the distance is
    /// `max(1 tick, floor(extreme × p / 100))`, recomputed as the extreme moves.
    Percent(Decimal),
}

/// A price alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceAlert {
    /// The price it watches.
    pub source: PriceSource,
    /// When it fires (once; it is then gone).
    pub condition: AlertCondition,
}

/// When a price alert fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertCondition {
    /// Price rises to or above the level (must be above the price now).
    Above(Decimal),
    /// Price falls to or below the level (must be below the price now).
    Below(Decimal),
    /// Price reaches the level from whichever side it is on now.
    Crossing(Decimal),
    /// Price moves at least `percent` (0 < p < 100, at most 4 decimals) away from `reference`
    /// (default: the price now) in either direction. Levels round outward to whole ticks.
    PercentMove {
        /// Size of the move.
        percent: Decimal,
        /// The price the move is measured from.
        #[serde(default)]
        reference: Option<Decimal>,
    },
}

/// A snapshot of one armed trigger: its spec and the live state of each remaining leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmedTrigger {
    /// The spec (alert references resolved; limit prices as offsets).
    pub spec: TriggerSpec,
    /// The legs still present; a leg not listed has fired or been cancelled.
    pub legs: Vec<LegState>,
}

/// The state of one leg in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegState {
    /// The leg number (see the module table).
    pub leg: u8,
    /// Arming sequence: ties at one price fire in this order; restore keeps it.
    pub seq: u64,
    /// Where the leg is in its life.
    pub status: LegStatus,
}

/// Where a leg is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegStatus {
    /// Armed at its level.
    Armed,
    /// A one-triggers-other follow-up waiting for its primary.
    Waiting,
    /// A trailing stop waiting for its activation price.
    AwaitingActivation,
    /// A trailing stop following the price; `extreme` is the best price since activation.
    Trailing {
        /// Highest price (sell) or lowest price (buy) since activation.
        extreme: Decimal,
    },
}

/// A balance alert: fires once when an asset's balance on a credential crosses a threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceAlertSpec {
    /// The caller's id.
    pub id: TriggerId,
    /// The user who owns it.
    pub owner: UserId,
    /// The credential whose balance is watched.
    pub credential: CredentialId,
    /// The asset (`BTC`, `USDT`...).
    pub asset: String,
    /// When it fires.
    pub condition: BalanceCondition,
}

/// When a balance alert fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceCondition {
    /// The balance is at or below this.
    AtOrBelow(Decimal),
    /// The balance is at or above this.
    AtOrAbove(Decimal),
}

/// Everything armed, as plain data, for [`crate::TriggerBooks::restore`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Price-based triggers and alerts.
    pub triggers: Vec<ArmedTrigger>,
    /// Balance alerts.
    pub balance_alerts: Vec<BalanceAlertSpec>,
}
