//! The trigger engine inside `tradeward serve` and `tradeward demo`: which venues it trades
//! on (`[[engine.venue]]`), and starting it over the deployment's store and signer (the engine
//! holds no secret: every order is signed by the signer, in-process or remote).
//!
//! ```toml
//! [[engine.venue]]
//! name = "sim"                          # or "binance", "binance_testnet"
//! rest_base = "http://127.0.0.1:9100"   # required for sim; optional override otherwise
//! ws_base = "ws://127.0.0.1:9100"
//! ```

use std::sync::Arc;

use anyhow::{bail, Context};
use serde::Deserialize;
use tradeward_domain::Venue;
use tradeward_engine::service::{BinanceVenues, EngineService, Outcome, ServiceConfig};
use tradeward_exchange::binance::BinanceConfig;
use tradeward_exchange::SystemClock;
use tradeward_signer::remote::SignerApi;
use tradeward_store::Store;

/// `[engine]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// The venues triggers trade on; none: the engine is off and `/triggers` answers 503.
    #[serde(default, rename = "venue")]
    pub venues: Vec<EngineVenue>,
}

/// `[[engine.venue]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineVenue {
    /// `sim`, `binance` or `binance_testnet`.
    pub name: String,
    /// REST base URL (required for `sim`).
    pub rest_base: Option<String>,
    /// WebSocket base URL (required for `sim`).
    pub ws_base: Option<String>,
}

impl EngineConfig {
    /// The adapter configuration of each venue, checked.
    pub fn binance_configs(&self) -> anyhow::Result<Vec<(Venue, BinanceConfig)>> {
        let mut out: Vec<(Venue, BinanceConfig)> = Vec::new();
        for (i, v) in self.venues.iter().enumerate() {
            let at = || format!("engine.venue[{i}] ({})", v.name);
            let (venue, mut config) = match v.name.as_str() {
                "sim" => {
                    let (Some(rest), Some(ws)) = (&v.rest_base, &v.ws_base) else {
                        bail!("{}: rest_base and ws_base are required for the sim", at());
                    };
                    (Venue::Sim, BinanceConfig::sim(rest, ws))
                }
                "binance" => (Venue::Binance, BinanceConfig::production()),
                "binance_testnet" => (Venue::Binance, BinanceConfig::testnet()),
                other => bail!(
                    "{}: unknown venue {other:?} (expected sim, binance or binance_testnet)",
                    at()
                ),
            };
            if v.name != "sim" {
                if let Some(rest) = &v.rest_base {
                    config.rest_base = rest.clone();
                }
                if let Some(ws) = &v.ws_base {
                    config.ws_base = ws.clone();
                }
            }
            config
                .validate()
                .map_err(|e| anyhow::anyhow!("{}: {e}", at()))?;
            if out.iter().any(|(existing, _)| *existing == venue) {
                bail!("{}: venue {venue} is configured twice", at());
            }
            out.push((venue, config));
        }
        Ok(out)
    }
}

/// Starts the engine on `venues` (none: no engine). Re-arms every stored trigger and
/// reconciles orders a crash left unconfirmed before returning.
pub async fn start(
    store: Store,
    signer: Arc<dyn SignerApi>,
    venues: Vec<(Venue, BinanceConfig)>,
) -> anyhow::Result<Option<Arc<EngineService>>> {
    if venues.is_empty() {
        return Ok(None);
    }
    let clock = Arc::new(SystemClock);
    let venues = BinanceVenues::new(store.clone(), signer, clock.clone(), venues)
        .context("connecting the trigger engine's venues")?;
    let (engine, outcomes) =
        EngineService::start(store, Arc::new(venues), clock, ServiceConfig::default())
            .await
            .context("starting the trigger engine")?;
    let resent = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Placed { .. }))
        .count();
    let found = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::AlreadyPlaced { .. }))
        .count();
    tracing::info!(
        armed_legs = engine.armed_legs().await,
        resent,
        found,
        "trigger engine started"
    );
    Ok(Some(engine))
}
