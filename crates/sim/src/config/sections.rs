//! The sections of the sim's TOML file, each with its defaults and validation.

use super::secret::{random_alnum, SecretString};
use super::SimConfigError;
use crate::engine::MarketConfig;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;

fn invalid<T>(s: String) -> Result<T, SimConfigError> {
    Err(SimConfigError::Invalid(s))
}

/// One `[[market]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSection {
    /// Binance spelling, e.g. "BTCUSDT".
    pub symbol: String,
    /// Base asset.
    pub base: String,
    /// Quote asset.
    pub quote: String,
    /// Starting price.
    pub price: Decimal,
    /// PRICE_FILTER tickSize.
    pub tick_size: Decimal,
    /// LOT_SIZE stepSize.
    pub step_size: Decimal,
    /// NOTIONAL minNotional.
    pub min_notional: Decimal,
    /// LOT_SIZE minQty (default: step_size).
    #[serde(default)]
    pub min_qty: Option<Decimal>,
    /// LOT_SIZE maxQty (default: 9000).
    #[serde(default)]
    pub max_qty: Option<Decimal>,
    /// PRICE_FILTER minPrice (default: tick_size).
    #[serde(default)]
    pub min_price: Option<Decimal>,
    /// PRICE_FILTER maxPrice (default: 1,000,000).
    #[serde(default)]
    pub max_price: Option<Decimal>,
}

impl MarketSection {
    /// A market with default bounds.
    pub fn new(
        symbol: &str,
        base: &str,
        quote: &str,
        price: Decimal,
        tick_size: Decimal,
        step_size: Decimal,
        min_notional: Decimal,
    ) -> Self {
        Self {
            symbol: symbol.into(),
            base: base.into(),
            quote: quote.into(),
            price,
            tick_size,
            step_size,
            min_notional,
            min_qty: None,
            max_qty: None,
            min_price: None,
            max_price: None,
        }
    }

    pub(crate) fn validate(&self, i: usize) -> Result<(), SimConfigError> {
        let upper = |s: &str| {
            !s.is_empty()
                && s.len() <= 20
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        if !upper(&self.symbol) {
            return invalid(format!(
                "market[{i}].symbol {:?} must be 1-20 uppercase letters or digits",
                self.symbol
            ));
        }
        for (name, v) in [("base", &self.base), ("quote", &self.quote)] {
            if !upper(v) {
                return invalid(format!(
                    "market[{i}].{name} {v:?} must be 1-20 uppercase letters or digits"
                ));
            }
        }
        if format!("{}{}", self.base, self.quote) != self.symbol {
            return invalid(format!(
                "market[{i}].symbol {:?} must be base followed by quote",
                self.symbol
            ));
        }
        for (name, v) in [
            ("price", self.price),
            ("tick_size", self.tick_size),
            ("step_size", self.step_size),
        ] {
            if v <= Decimal::ZERO {
                return invalid(format!("market[{i}].{name} must be positive"));
            }
        }
        if self.min_notional < Decimal::ZERO {
            return invalid(format!("market[{i}].min_notional must not be negative"));
        }
        Ok(())
    }

    pub(crate) fn to_engine(&self) -> MarketConfig {
        let mut m = MarketConfig::new(
            &self.symbol,
            &self.base,
            &self.quote,
            self.price,
            self.tick_size,
            self.step_size,
            self.min_notional,
        );
        if let Some(v) = self.min_qty {
            m.min_qty = v;
        }
        if let Some(v) = self.max_qty {
            m.max_qty = v;
        }
        if let Some(v) = self.min_price {
            m.min_price = v;
        }
        if let Some(v) = self.max_price {
            m.max_price = v;
        }
        m
    }
}

/// One `[[account]]`: an API key with its HMAC secret or Ed25519 public key, permissions
/// and starting balances.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// The API key (`X-MBX-APIKEY`); public.
    pub api_key: String,
    /// HMAC-SHA256 secret.
    #[serde(default)]
    pub secret: Option<SecretString>,
    /// Ed25519 public key, PEM or base64 (raw 32 bytes or DER SubjectPublicKeyInfo).
    #[serde(default)]
    pub ed25519_public_key: Option<String>,
    /// May read account data.
    #[serde(default = "yes")]
    pub can_read: bool,
    /// May place and cancel orders.
    #[serde(default = "yes")]
    pub can_trade: bool,
    /// Reported as `enableWithdrawals` / `canWithdraw`.
    #[serde(default)]
    pub can_withdraw: bool,
    /// Reported as `ipRestrict`; when true only `allowed_ips` may use the key.
    #[serde(default)]
    pub ip_restrict: bool,
    /// Addresses allowed when `ip_restrict` (default: loopback).
    #[serde(default)]
    pub allowed_ips: Vec<IpAddr>,
    /// Starting balances, asset → amount.
    #[serde(default)]
    pub balances: BTreeMap<String, Decimal>,
}

fn yes() -> bool {
    true
}

impl AccountConfig {
    /// An HMAC account with a random 64-character key and secret, trading allowed.
    pub fn generated(balances: BTreeMap<String, Decimal>) -> Self {
        Self {
            api_key: random_alnum(64),
            secret: Some(SecretString::random(64)),
            ed25519_public_key: None,
            can_read: true,
            can_trade: true,
            can_withdraw: false,
            ip_restrict: false,
            allowed_ips: Vec::new(),
            balances,
        }
    }

    pub(crate) fn validate(&self, i: usize) -> Result<(), SimConfigError> {
        let k = &self.api_key;
        if k.is_empty() || k.len() > 128 || !k.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return invalid(format!(
                "account[{i}].api_key must be 1-128 ASCII letters or digits"
            ));
        }
        match (&self.secret, &self.ed25519_public_key) {
            (Some(s), None) if !s.expose_secret().is_empty() => {}
            (None, Some(pk)) => {
                crate::auth::parse_ed25519_public_key(pk).map_err(|e| {
                    SimConfigError::Invalid(format!("account[{i}].ed25519_public_key: {e}"))
                })?;
            }
            (Some(_), Some(_)) => {
                return invalid(format!(
                    "account[{i}]: give either secret or ed25519_public_key, not both"
                ))
            }
            _ => {
                return invalid(format!(
                    "account[{i}]: secret (HMAC) or ed25519_public_key is required"
                ))
            }
        }
        for (asset, v) in &self.balances {
            if *v < Decimal::ZERO {
                return invalid(format!(
                    "account[{i}].balances.{asset} must not be negative"
                ));
            }
        }
        Ok(())
    }
}

/// How prices move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PriceProcessKind {
    /// Prices move only through the control plane.
    #[default]
    Static,
    /// Seeded random walk.
    RandomWalk,
    /// Replays CSV tapes (`price.replay`).
    Replay,
}

/// `[price]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// Process kind.
    #[serde(default)]
    pub process: PriceProcessKind,
    /// Milliseconds between ticks.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
    /// Per-tick relative volatility of the random walk.
    #[serde(default = "default_volatility")]
    pub volatility: Decimal,
    /// Replay tapes: symbol → CSV file (`timestamp,price,qty`).
    #[serde(default)]
    pub replay: BTreeMap<String, PathBuf>,
}

fn default_tick_ms() -> u64 {
    100
}
fn default_volatility() -> Decimal {
    Decimal::new(5, 4)
}

impl Default for PriceConfig {
    fn default() -> Self {
        Self {
            process: PriceProcessKind::Static,
            tick_ms: default_tick_ms(),
            volatility: default_volatility(),
            replay: BTreeMap::new(),
        }
    }
}

impl PriceConfig {
    pub(crate) fn validate(&self, symbols: &HashSet<String>) -> Result<(), SimConfigError> {
        if self.tick_ms == 0 {
            return invalid("price.tick_ms must be at least 1".into());
        }
        if self.volatility < Decimal::ZERO || self.volatility > Decimal::new(1, 1) {
            return invalid("price.volatility must be between 0 and 0.1".into());
        }
        if self.process == PriceProcessKind::Replay && self.replay.is_empty() {
            return invalid(
                "price.process = \"replay\" needs price.replay = { SYMBOL = \"file.csv\" }".into(),
            );
        }
        for s in self.replay.keys() {
            if !symbols.contains(s) {
                return invalid(format!("price.replay.{s}: no such market"));
            }
        }
        Ok(())
    }
}

/// `[fees]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeesConfig {
    /// Maker rate (0.001 = 0.1%).
    #[serde(default = "default_fee")]
    pub maker: Decimal,
    /// Taker rate.
    #[serde(default = "default_fee")]
    pub taker: Decimal,
}

fn default_fee() -> Decimal {
    Decimal::new(1, 3)
}

impl Default for FeesConfig {
    fn default() -> Self {
        Self {
            maker: default_fee(),
            taker: default_fee(),
        }
    }
}

impl FeesConfig {
    pub(crate) fn validate(&self) -> Result<(), SimConfigError> {
        for (n, v) in [("maker", self.maker), ("taker", self.taker)] {
            if v < Decimal::ZERO || v >= Decimal::ONE {
                return invalid(format!("fees.{n} must be in [0, 1)"));
            }
        }
        Ok(())
    }
}

/// `[house]`: the market maker; unset fields keep the engine's defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseSection {
    /// Levels per side (0 = no house liquidity).
    pub levels: Option<u32>,
    /// First level's distance from the price, bps.
    pub first_level_bps: Option<Decimal>,
    /// Spacing between levels, bps.
    pub level_spacing_bps: Option<Decimal>,
    /// Smallest level notional.
    pub min_level_notional: Option<Decimal>,
    /// Largest level notional.
    pub max_level_notional: Option<Decimal>,
}

/// `[rate_limits]`: Binance's limits (0 turns one off).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// REQUEST_WEIGHT per minute per IP (Binance: 6000).
    #[serde(default = "default_weight")]
    pub request_weight_per_minute: u32,
    /// ORDERS per 10 seconds per account (Binance: 100).
    #[serde(default = "default_orders_10s")]
    pub orders_per_10s: u32,
    /// ORDERS per day per account (Binance: 200,000).
    #[serde(default = "default_orders_day")]
    pub orders_per_day: u32,
    /// Requests refused with 429 within one minute after which the IP is banned (418).
    #[serde(default = "default_strikes")]
    pub ban_after_429s: u32,
    /// Length of a ban, seconds.
    #[serde(default = "default_ban_secs")]
    pub ban_secs: u64,
}

fn default_weight() -> u32 {
    6000
}
fn default_orders_10s() -> u32 {
    100
}
fn default_orders_day() -> u32 {
    200_000
}
fn default_strikes() -> u32 {
    20
}
fn default_ban_secs() -> u64 {
    120
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            request_weight_per_minute: default_weight(),
            orders_per_10s: default_orders_10s(),
            orders_per_day: default_orders_day(),
            ban_after_429s: default_strikes(),
            ban_secs: default_ban_secs(),
        }
    }
}

impl RateLimitConfig {
    /// Every limit off (benchmarks).
    pub fn unlimited() -> Self {
        Self {
            request_weight_per_minute: 0,
            orders_per_10s: 0,
            orders_per_day: 0,
            ban_after_429s: 0,
            ban_secs: 0,
        }
    }
}

/// Injected faults (`[faults]` and `POST /sim/v1/faults`). Rates are probabilities in [0, 1]
/// (plain floats: they are dice, not money).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultsConfig {
    /// Added latency before each REST answer, ms.
    pub latency_ms: u64,
    /// Random extra latency up to this many ms.
    pub latency_jitter_ms: u64,
    /// Share of REST requests answered 503 with Binance's -1001 body.
    pub http_5xx_rate: f64,
    /// Share of REST requests answered 429 with -1003.
    pub http_429_rate: f64,
    /// Share of WebSocket messages after which the connection is dropped.
    pub ws_drop_rate: f64,
    /// While true, WebSocket connections stay open but send nothing (not even pings).
    pub ws_stall: bool,
    /// Added to the sim's clock (serverTime, timestamps, recvWindow checks), ms.
    pub clock_skew_ms: i64,
}

impl FaultsConfig {
    pub(crate) fn validate(&self, section: &str) -> Result<(), SimConfigError> {
        for (n, v) in [
            ("http_5xx_rate", self.http_5xx_rate),
            ("http_429_rate", self.http_429_rate),
            ("ws_drop_rate", self.ws_drop_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return invalid(format!("{section}.{n} must be between 0 and 1"));
            }
        }
        if self.latency_ms > 60_000 || self.latency_jitter_ms > 60_000 {
            return invalid(format!(
                "{section}.latency_ms and latency_jitter_ms must be at most 60000"
            ));
        }
        if self.clock_skew_ms.abs() > 86_400_000 {
            return invalid(format!("{section}.clock_skew_ms must be within one day"));
        }
        Ok(())
    }
}

/// `[ws]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsConfig {
    /// Seconds between server pings (Binance: 20).
    #[serde(default = "default_ping")]
    pub ping_interval_secs: u64,
    /// A connection that has not answered a ping for this long is closed (Binance: 60).
    #[serde(default = "default_pong")]
    pub pong_timeout_secs: u64,
    /// Streams per connection (Binance: 1024).
    #[serde(default = "default_max_streams")]
    pub max_streams: usize,
}

fn default_ping() -> u64 {
    20
}
fn default_pong() -> u64 {
    60
}
fn default_max_streams() -> usize {
    1024
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            ping_interval_secs: default_ping(),
            pong_timeout_secs: default_pong(),
            max_streams: default_max_streams(),
        }
    }
}

/// `[server]`: protections against bad clients.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Largest accepted request body.
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// A client must send its request headers within this many seconds.
    #[serde(default = "default_header_secs")]
    pub header_timeout_secs: u64,
    /// ... and its body within this many seconds.
    #[serde(default = "default_header_secs")]
    pub body_timeout_secs: u64,
}

fn default_body() -> usize {
    64 * 1024
}
fn default_header_secs() -> u64 {
    10
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: default_body(),
            header_timeout_secs: default_header_secs(),
            body_timeout_secs: default_header_secs(),
        }
    }
}

/// `[control]`: who may use `/sim/v1/*`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlConfig {
    /// When set, `Authorization: Bearer <token>` is required (from any address); when unset
    /// only loopback clients may use the control plane.
    #[serde(default)]
    pub token: Option<SecretString>,
}
