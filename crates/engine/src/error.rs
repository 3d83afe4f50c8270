//! Typed errors. Each names what was wrong and the values involved, so the API layer can show it
//! to the user as is. None carries a secret: triggers hold no secrets.

use rust_decimal::Decimal;

use crate::spec::{PriceSource, TriggerId};

/// A market's rules are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// Tick size must be positive.
    #[error("tick size must be positive, got {0}")]
    TickSize(Decimal),
    /// Step size must be positive.
    #[error("step size must be positive, got {0}")]
    StepSize(Decimal),
    /// Minimum notional must not be negative.
    #[error("minimum notional must not be negative, got {0}")]
    MinNotional(Decimal),
    /// The market is already registered.
    #[error("market {0} is already registered")]
    Duplicate(String),
}

/// A trigger could not be armed; nothing of it was armed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArmError {
    /// No market with this venue and symbol is registered.
    #[error("unknown market {0}")]
    UnknownMarket(String),
    /// The id is already armed (or appears twice in a snapshot).
    #[error("trigger {0} is already armed")]
    DuplicateId(TriggerId),
    /// No price has been seen yet for the source the leg watches, so its side cannot be checked.
    #[error(
        "no {price_source:?} price yet for {market}: cannot check the trigger against the market"
    )]
    NoPrice {
        /// The market.
        market: String,
        /// The source.
        price_source: PriceSource,
    },
    /// A stop, take-profit or activation level is on the wrong side of the market: it would
    /// fire at once.
    #[error("leg {leg}: {what} at {level} must be {must_be} the current price {current}")]
    WrongSide {
        /// Which leg.
        leg: u8,
        /// What was checked (`buy stop`, `sell take-profit`, `alert level`...).
        what: &'static str,
        /// The level given.
        level: Decimal,
        /// `above` or `below`.
        must_be: &'static str,
        /// The reference price (current price, or the primary's level for a follow-up).
        current: Decimal,
    },
    /// A price is not a positive whole multiple of the tick size.
    #[error("leg {leg}: {what} {value} is not a positive multiple of the tick size {tick}")]
    OffTick {
        /// Which leg.
        leg: u8,
        /// Which price.
        what: &'static str,
        /// The value given.
        value: Decimal,
        /// The market's tick size.
        tick: Decimal,
    },
    /// The quantity is below the step size or not a whole multiple of it.
    #[error("leg {leg}: quantity {quantity} is {problem} the step size {step}")]
    Quantity {
        /// Which leg.
        leg: u8,
        /// The quantity given.
        quantity: Decimal,
        /// `below` or `not a multiple of`.
        problem: &'static str,
        /// The market's step size.
        step: Decimal,
    },
    /// The order's value is below the venue's minimum notional.
    #[error("leg {leg}: order value {notional} is below the minimum notional {min}")]
    MinNotional {
        /// Which leg.
        leg: u8,
        /// Quantity × price.
        notional: Decimal,
        /// The market's minimum.
        min: Decimal,
    },
    /// A percentage is out of range or too precise.
    #[error("{what} {value} must be greater than 0, less than 100 and have at most 4 decimals")]
    Percent {
        /// Which percentage.
        what: &'static str,
        /// The value given.
        value: Decimal,
    },
    /// A crossing alert at exactly the current price has no side to cross from.
    #[error("crossing alert at {0} is at the current price: use above or below")]
    AtCurrentPrice(Decimal),
    /// The limit price works out to zero or less.
    #[error("leg {leg}: limit price works out to {limit}, which is not positive")]
    LimitNotPositive {
        /// Which leg.
        leg: u8,
        /// The computed limit.
        limit: Decimal,
    },
    /// A text field is too long or empty.
    #[error("{what} must be 1 to {max} characters")]
    Text {
        /// Which field.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// A snapshot leg does not match its spec.
    #[error("snapshot of trigger {id}: {problem}")]
    BadSnapshot {
        /// The trigger.
        id: TriggerId,
        /// What does not match.
        problem: &'static str,
    },
    /// A balance alert threshold below zero.
    #[error("balance threshold {0} must not be negative")]
    NegativeThreshold(Decimal),
    /// Too many triggers armed at once.
    #[error("the books are full ({0} legs armed)")]
    Full(usize),
}

/// A price update could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// No such market handle.
    #[error("unknown market handle {0}")]
    UnknownMarket(usize),
    /// The price is not a positive whole multiple of the tick size.
    #[error("price {price} is not a positive multiple of the tick size {tick}")]
    OffTick {
        /// The price given.
        price: Decimal,
        /// The market's tick size.
        tick: Decimal,
    },
    /// A tick count outside `1..=2^60`.
    #[error("price of {0} ticks is out of range")]
    TicksOutOfRange(i64),
}

/// A cancel named no armed trigger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no armed trigger or alert {0}")]
pub struct NotArmed(pub TriggerId);
