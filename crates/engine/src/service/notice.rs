//! What the engine tells users about: orders placed or refused, triggers missed while trading
//! was off, price alerts. Delivered on a broadcast channel ([`super::EngineService::notices`])
//! that notification delivery (email, webhooks, the web UI) subscribes to.
//!
//! "Trade notifications" are [`Notice::OrderPlaced`], [`Notice::OrderRejected`] and
//! [`Notice::OrderUpdated`]: none is ever sent for a trigger whose condition was met while
//! trading was off (that trigger yields [`Notice::Missed`] and nothing else).

use rust_decimal::Decimal;
use tradeward_domain::UserId;
use tradeward_store::OrderState;

use crate::spec::TriggerId;

/// One thing to tell a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A trigger's order reached the venue.
    OrderPlaced {
        /// The trigger.
        trigger: TriggerId,
        /// Its owner.
        owner: UserId,
        /// The leg that fired.
        leg: u8,
        /// Our client order id.
        client_order_id: String,
        /// The venue's order id.
        venue_order_id: String,
    },
    /// The venue refused a trigger's order for good.
    OrderRejected {
        /// The trigger.
        trigger: TriggerId,
        /// Its owner.
        owner: UserId,
        /// The leg that fired.
        leg: u8,
        /// Why, in our words.
        reason: String,
    },
    /// A trigger's order changed state at the venue (filled, cancelled, ...).
    OrderUpdated {
        /// The trigger.
        trigger: TriggerId,
        /// Its owner.
        owner: UserId,
        /// Our client order id.
        client_order_id: String,
        /// The new state.
        state: OrderState,
    },
    /// The condition was met while trading was off: the trigger will never fire.
    Missed {
        /// The trigger.
        trigger: TriggerId,
        /// Its owner.
        owner: UserId,
    },
    /// A price alert fired.
    Alert {
        /// The alert.
        trigger: TriggerId,
        /// Its owner.
        owner: UserId,
        /// The level reached.
        level: Decimal,
        /// The price that reached it.
        observed_price: Decimal,
    },
}

impl Notice {
    /// Whether this is a trade notification (suppressed while trading is off).
    pub fn is_trade(&self) -> bool {
        matches!(
            self,
            Notice::OrderPlaced { .. } | Notice::OrderRejected { .. } | Notice::OrderUpdated { .. }
        )
    }

    /// The trigger it is about.
    pub fn trigger(&self) -> TriggerId {
        match self {
            Notice::OrderPlaced { trigger, .. }
            | Notice::OrderRejected { trigger, .. }
            | Notice::OrderUpdated { trigger, .. }
            | Notice::Missed { trigger, .. }
            | Notice::Alert { trigger, .. } => *trigger,
        }
    }
}
