//! `tradeward sim`: a local exchange that speaks the Binance Spot API dialect.
//!
//! `engine` is the pure exchange core (books, matching, accounts, price process); the HTTP,
//! WebSocket and control-plane layers on top of it speak Binance's wire format:
//! `api` (REST `/api/v3/*`, `/sapi/v1/account/apiRestrictions`), `ws` (market and user data
//! streams), `control` (`/sim/v1/*`), with `auth` (signatures, keys), `ratelimit`, `config`,
//! `snapshot` and `server` (start-up, accept loop) around them.

pub mod api;
pub mod auth;
pub mod config;
pub mod control;
pub mod dialect;
pub mod engine;
pub mod ratelimit;
pub mod server;
pub mod snapshot;
pub mod state;
pub mod ws;

pub use config::{SecretString, SimConfig, SimConfigError};
pub use server::{serve, spawn, SimError, SimHandle};
