//! Tradeward's trading engine core: the **trigger books**.
//!
//! Server-side conditional orders and alerts, per market, ordered by trigger price so a price
//! update touches only what it crosses (O(log n + fired); an update that crosses nothing reads
//! one 40-byte record and touches no index). Pure code: no I/O, no clock, no randomness; ids
//! and prices come in as arguments, events go out as data.
//!
//! # When each kind fires
//!
//! "Rises to L" means it fires on the first update with `price >= L`; "falls to L", `price <= L`.
//! A gap past the level fires all the same ([`FireReason::GappedPast`]). At arm time the level
//! must be strictly on the side the table implies, else [`ArmError::WrongSide`].
//!
//! | kind                         | buy                                | sell                               | order placed               |
//! |------------------------------|------------------------------------|------------------------------------|----------------------------|
//! | stop-market                  | rises to stop (stop > price)       | falls to stop (stop < price)       | market                     |
//! | stop-limit                   | rises to stop                      | falls to stop                      | limit at stop + offset (buy) / stop − offset (sell), or the given limit |
//! | take-profit market           | falls to trigger (trigger < price) | rises to trigger (trigger > price) | market                     |
//! | take-profit limit            | falls to trigger                   | rises to trigger                   | limit, as for stop-limit   |
//! | trailing stop                | rises to lowest-since-activation + trail | falls to highest-since-activation − trail | market        |
//! | trailing activation price    | activates when price falls to it   | activates when price rises to it   | (starts trailing from the price that reached it) |
//! | alert above / below          | rises to / falls to level          |                                    | notification               |
//! | alert crossing               | whichever of the two the level is from the price at arm time | | notification               |
//! | alert percent move p         | rises to ref + ⌈ref·p⌉ or falls to ref − ⌈ref·p⌉ (ticks, rounded outward) | | notification |
//!
//! Each leg watches one [`PriceSource`]: last trade, best bid or best ask.
//!
//! # Linking
//! - **OCO**: the first leg to fire cancels the other in the same update ([`Event::Cancelled`]
//!   right after the [`Event::Fired`]).
//! - **OTO** (brackets): the follow-up (one leg, or an OCO pair) is armed when the primary fires
//!   and evaluated against the current prices in the same update.
//!
//! # Trading switch
//! While trading is off ([`TriggerBooks::set_trading`]) order legs stay armed (trailing stops
//! keep following the price) but a met condition yields [`Event::Missed`] and removes the leg
//! ("missed while trading was disabled"): it never fires late. Its OCO sibling is cancelled and
//! an OTO follow-up is never armed. Price and balance alerts keep firing.
//!
//! # Inside
//! Prices are integer ticks and quantities integer steps (exact conversion; off-grid input is
//! refused). Per market, price source and direction a side book holds a `BTreeSet` of
//! 16-byte `(level, arming seq, slot)` keys; leg details live in a chunked slab (104 bytes a leg)
//! and ids in a hash table of slot numbers. A 40-byte record per market and source holds the
//! last price and the thresholds past which anything happens, so an update that crosses nothing
//! touches no index. Trailing stops that share an extreme share a group that moves in O(1)
//! (`side_book.rs`). Measured: `BENCHMARKS.md` in this crate.
//!
//! # Order of events
//! Deterministic, documented in [`event`]: by source, direction, crossing price in the direction
//! of travel, then arming sequence. The property test in `tests/model.rs` checks the books
//! against a naive reference model on random triggers and random price paths with gaps.

mod balance;
pub mod balance_monitor;
pub mod books;
mod compile;
pub mod error;
pub mod event;
mod ids;
pub mod market;
mod serde_text;
pub mod service;
mod side_book;
mod slab;
mod snapshot;
pub mod spec;
mod update;

pub use books::TriggerBooks;
pub use error::{ArmError, NotArmed, PriceError, RulesError};
pub use event::{
    AlertFired, BalanceAlertFired, CancelReason, Event, FireReason, Fired, Missed, OrderToPlace,
    TriggerKind,
};
pub use market::{MarketId, MarketKey, MarketRules};
pub use spec::{
    AlertCondition, ArmedTrigger, BalanceAlertSpec, BalanceCondition, FollowUp, Leg, LegState,
    LegStatus, LimitPrice, OrderKind, OrderPlan, PriceAlert, PriceSource, Snapshot, Trail,
    TriggerBody, TriggerId, TriggerSpec,
};
