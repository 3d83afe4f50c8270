//! Tradeward's domain vocabulary: typed ids, decimal money, symbols, sides and venues.
//!
//! This crate does no I/O and holds no secrets. Every amount is a [`rust_decimal::Decimal`];
//! no float ever holds money. Types here are plain data that every other crate shares.

mod ids;
mod money;
mod symbol;
mod venue;

pub use ids::{CredentialId, IdParseError, SessionId, UserId};
pub use money::{Notional, Price, Quantity};
pub use rust_decimal::Decimal;
pub use symbol::{Side, Symbol, SymbolError};
pub use venue::{Venue, VenueError};
