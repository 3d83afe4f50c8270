//! `tradeward sim`: a local exchange that speaks the Binance Spot API dialect.
//!
//! `engine` is the pure exchange core (books, matching, accounts, price process); the HTTP,
//! WebSocket and control-plane layers on top of it speak Binance's wire format.

pub mod engine;
