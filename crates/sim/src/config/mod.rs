//! [`SimConfig`]: the sim's TOML configuration (markets, accounts, price process, limits,
//! faults, persistence), its validation and the built-in demo defaults.
//!
//! Unknown keys are refused (`deny_unknown_fields`) so that a misspelt setting is reported by
//! name instead of being silently ignored.

mod secret;
mod sections;

pub(crate) use secret::random_alnum;
pub use secret::SecretString;
pub use sections::{
    AccountConfig, ControlConfig, FaultsConfig, FeesConfig, HouseSection, MarketSection,
    PriceConfig, PriceProcessKind, RateLimitConfig, ServerConfig, WsConfig,
};

use crate::engine::{
    EngineConfig, FeeConfig, HouseConfig, MarketConfig, PriceProcess, ReplayTrade,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Why a config cannot be used; the text names the bad setting.
#[derive(Debug, thiserror::Error)]
pub enum SimConfigError {
    /// The file could not be read.
    #[error("cannot read sim config {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// TOML syntax or a value of the wrong type (the message names the key).
    #[error("invalid sim config: {0}")]
    Parse(String),
    /// A setting with an impossible value.
    #[error("invalid sim config: {0}")]
    Invalid(String),
}

/// The whole configuration of `tradeward sim`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Seed of the deterministic price paths.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Markets (`[[market]]`).
    #[serde(default, rename = "market")]
    pub markets: Vec<MarketSection>,
    /// Accounts (`[[account]]`).
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountConfig>,
    /// The price process (`[price]`).
    #[serde(default)]
    pub price: PriceConfig,
    /// Commissions (`[fees]`).
    #[serde(default)]
    pub fees: FeesConfig,
    /// The house market maker (`[house]`).
    #[serde(default)]
    pub house: HouseSection,
    /// Binance rate limits (`[rate_limits]`).
    #[serde(default)]
    pub rate_limits: RateLimitConfig,
    /// Faults active from the start (`[faults]`); the control plane changes them later.
    #[serde(default)]
    pub faults: FaultsConfig,
    /// WebSocket settings (`[ws]`).
    #[serde(default)]
    pub ws: WsConfig,
    /// HTTP server limits (`[server]`).
    #[serde(default)]
    pub server: ServerConfig,
    /// Control plane access (`[control]`).
    #[serde(default)]
    pub control: ControlConfig,
    /// Snapshot file: state is loaded from it at start (when present) and written to it
    /// periodically and at shutdown. None = in-memory only.
    #[serde(default)]
    pub snapshot: Option<PathBuf>,
    /// Seconds between snapshot writes.
    #[serde(default = "default_snapshot_secs")]
    pub snapshot_interval_secs: u64,
}

fn default_seed() -> u64 {
    7
}
fn default_snapshot_secs() -> u64 {
    5
}

impl SimConfig {
    /// Reads and validates a TOML file. Relative replay CSV paths are resolved against the
    /// file's directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SimConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SimConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Self::from_toml(&text)?;
        if let Some(dir) = path.parent() {
            for file in cfg.price.replay.values_mut() {
                if file.is_relative() {
                    *file = dir.join(&*file);
                }
            }
        }
        Ok(cfg)
    }

    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<Self, SimConfigError> {
        let cfg: SimConfig =
            toml::from_str(text).map_err(|e| SimConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Built-in markets (BTCUSDT, ETHUSDT, SOLUSDT, BNBUSDT, XRPUSDT, ETHBTC) with a moving
    /// random-walk price and one funded account whose API key and HMAC secret are generated
    /// randomly now (the CLI prints them).
    pub fn default_demo() -> Self {
        let m = |symbol: &str,
                 base: &str,
                 quote: &str,
                 price: &str,
                 tick: &str,
                 step: &str,
                 notional: &str| {
            MarketSection::new(
                symbol,
                base,
                quote,
                dec(price),
                dec(tick),
                dec(step),
                dec(notional),
            )
        };
        let markets = vec![
            m("BTCUSDT", "BTC", "USDT", "50000", "0.01", "0.00001", "5"),
            m("ETHUSDT", "ETH", "USDT", "3000", "0.01", "0.0001", "5"),
            m("SOLUSDT", "SOL", "USDT", "150", "0.01", "0.001", "5"),
            m("BNBUSDT", "BNB", "USDT", "600", "0.01", "0.001", "5"),
            m("XRPUSDT", "XRP", "USDT", "0.6", "0.0001", "0.1", "5"),
            m(
                "ETHBTC", "ETH", "BTC", "0.06", "0.00001", "0.0001", "0.0001",
            ),
        ];
        let account = AccountConfig::generated(
            [
                ("BTC", "1"),
                ("ETH", "10"),
                ("SOL", "100"),
                ("BNB", "10"),
                ("XRP", "10000"),
                ("USDT", "100000"),
            ]
            .into_iter()
            .map(|(a, v)| (a.to_string(), dec(v)))
            .collect(),
        );
        SimConfig {
            seed: default_seed(),
            markets,
            accounts: vec![account],
            price: PriceConfig {
                process: PriceProcessKind::RandomWalk,
                ..PriceConfig::default()
            },
            fees: FeesConfig::default(),
            house: HouseSection::default(),
            rate_limits: RateLimitConfig::default(),
            faults: FaultsConfig::default(),
            ws: WsConfig::default(),
            server: ServerConfig::default(),
            control: ControlConfig::default(),
            snapshot: None,
            snapshot_interval_secs: default_snapshot_secs(),
        }
    }

    /// Checks every setting; the error names the first bad one.
    pub fn validate(&self) -> Result<(), SimConfigError> {
        let bad = |s: String| Err(SimConfigError::Invalid(s));
        if self.markets.is_empty() {
            return bad("at least one [[market]] is required".into());
        }
        let mut symbols = HashSet::new();
        for (i, m) in self.markets.iter().enumerate() {
            m.validate(i)?;
            if !symbols.insert(m.symbol.clone()) {
                return bad(format!(
                    "market[{i}].symbol {:?} is declared twice",
                    m.symbol
                ));
            }
        }
        let mut keys = HashSet::new();
        for (i, a) in self.accounts.iter().enumerate() {
            a.validate(i)?;
            if !keys.insert(a.api_key.clone()) {
                return bad(format!("account[{i}].api_key is used by two accounts"));
            }
        }
        self.price.validate(&symbols)?;
        self.fees.validate()?;
        self.faults.validate("faults")?;
        if self.snapshot_interval_secs == 0 {
            return bad("snapshot_interval_secs must be at least 1".into());
        }
        if self.server.max_body_bytes == 0 {
            return bad("server.max_body_bytes must be at least 1".into());
        }
        if self.ws.ping_interval_secs == 0 {
            return bad("ws.ping_interval_secs must be at least 1".into());
        }
        Ok(())
    }

    /// The engine's configuration (reads replay CSV files when the process is `replay`).
    pub fn engine_config(&self) -> Result<EngineConfig, SimConfigError> {
        let markets = self
            .markets
            .iter()
            .map(MarketSection::to_engine)
            .collect::<Vec<MarketConfig>>();
        let mut ec = EngineConfig::new(self.seed, markets);
        ec.fees = FeeConfig {
            maker: self.fees.maker,
            taker: self.fees.taker,
        };
        let d = HouseConfig::default();
        ec.house = HouseConfig {
            levels: self.house.levels.unwrap_or(d.levels),
            first_level_bps: self.house.first_level_bps.unwrap_or(d.first_level_bps),
            level_spacing_bps: self.house.level_spacing_bps.unwrap_or(d.level_spacing_bps),
            min_level_notional: self
                .house
                .min_level_notional
                .unwrap_or(d.min_level_notional),
            max_level_notional: self
                .house
                .max_level_notional
                .unwrap_or(d.max_level_notional),
            balance_per_asset: d.balance_per_asset,
        };
        ec.price_process = match self.price.process {
            PriceProcessKind::Static => PriceProcess::Static,
            PriceProcessKind::RandomWalk => PriceProcess::RandomWalk {
                volatility: self.price.volatility,
            },
            PriceProcessKind::Replay => {
                let mut tapes = Vec::new();
                for (symbol, file) in &self.price.replay {
                    let text =
                        std::fs::read_to_string(file).map_err(|source| SimConfigError::Io {
                            path: file.clone(),
                            source,
                        })?;
                    let tape = ReplayTrade::parse_csv(&text).map_err(|e| {
                        SimConfigError::Invalid(format!("price.replay.{symbol}: {}", e.0))
                    })?;
                    tapes.push((symbol.clone(), tape));
                }
                tapes.sort_by(|a, b| a.0.cmp(&b.0));
                PriceProcess::Replay { tapes }
            }
        };
        Ok(ec)
    }
}

/// Parses a decimal literal of the built-in defaults.
fn dec(s: &str) -> Decimal {
    // Only called on the literals of `default_demo`, which are valid decimals.
    s.parse().unwrap_or(Decimal::ZERO)
}

#[cfg(test)]
mod tests;
