//! How the engine reaches venues: an execution client per credential (signing through the
//! signer, so the engine never holds a secret), a market's trading rules, its price streams and
//! a credential's user data stream. [`Venues`] is the seam; [`BinanceVenues`] is the Binance
//! dialect (also the built-in sim's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::mpsc;
use tradeward_domain::{CredentialId, UserId, Venue};
use tradeward_exchange::binance::{
    spawn_user_stream, BinanceConfig, BinanceExecution, BinanceHttp, BinanceMarketData, UserStream,
};
use tradeward_exchange::{
    Clock, ExecutionClient, MarketDataClient, MarketSubscription, StreamKind, UserEvent,
};
use tradeward_signer::remote::SignerApi;
use tradeward_signer::CallContext;
use tradeward_store::Store;
use uuid::Uuid;

use super::ServiceError;
use crate::market::{MarketKey, MarketRules};

/// Everything the engine needs from venues.
#[async_trait]
pub trait Venues: Send + Sync + std::fmt::Debug {
    /// The execution client of `credential`, which `owner` must own (else
    /// [`ServiceError::UnknownCredential`]).
    async fn execution(
        &self,
        owner: UserId,
        credential: CredentialId,
    ) -> Result<Arc<dyn ExecutionClient>, ServiceError>;

    /// The venue's rules for a market (unknown symbol: [`ServiceError::Market`]).
    async fn rules(&self, market: &MarketKey) -> Result<MarketRules, ServiceError>;

    /// Trades and best bid/ask of a market, over a connection that reconnects by itself.
    async fn subscribe(&self, market: &MarketKey) -> Result<MarketSubscription, ServiceError>;

    /// The user data stream of a credential (order and balance updates), if the venue has one.
    /// Called once per credential.
    async fn user_stream(
        &self,
        owner: UserId,
        credential: CredentialId,
    ) -> Option<mpsc::Receiver<UserEvent>>;
}

#[derive(Debug)]
struct VenueEntry {
    http: Arc<BinanceHttp>,
    market_data: Arc<BinanceMarketData>,
    /// For public calls only (exchange rules): its credential id is nil and never signed for.
    public: Arc<BinanceExecution>,
}

/// The Binance-dialect venues (Binance, its testnet, the sim), one configuration each.
#[derive(Debug)]
pub struct BinanceVenues {
    store: Store,
    signer: Arc<dyn SignerApi>,
    venues: HashMap<Venue, VenueEntry>,
    clients: Mutex<HashMap<CredentialId, Arc<BinanceExecution>>>,
    /// Running user streams; kept so their tasks live (dropping one stops it).
    streams: Mutex<Vec<UserStream>>,
}

impl BinanceVenues {
    /// Venues from their configurations; `store` is read for credential ownership only.
    pub fn new(
        store: Store,
        signer: Arc<dyn SignerApi>,
        clock: Arc<dyn Clock>,
        configs: Vec<(Venue, BinanceConfig)>,
    ) -> Result<Self, ServiceError> {
        let mut venues = HashMap::new();
        for (venue, config) in configs {
            let venue_err =
                |e: tradeward_exchange::ExchangeError| ServiceError::Venue(e.to_string());
            let http =
                Arc::new(BinanceHttp::new(config.clone(), clock.clone()).map_err(venue_err)?);
            let market_data =
                Arc::new(BinanceMarketData::new(config, clock.clone()).map_err(venue_err)?);
            let public = Arc::new(BinanceExecution::new(
                http.clone(),
                signer.clone(),
                CredentialId::from_uuid(Uuid::nil()),
                CallContext::component("engine"),
            ));
            venues.insert(
                venue,
                VenueEntry {
                    http,
                    market_data,
                    public,
                },
            );
        }
        Ok(Self {
            store,
            signer,
            venues,
            clients: Mutex::new(HashMap::new()),
            streams: Mutex::new(Vec::new()),
        })
    }

    fn entry(&self, venue: Venue) -> Result<&VenueEntry, ServiceError> {
        self.venues
            .get(&venue)
            .ok_or_else(|| ServiceError::Venue(format!("venue {venue} is not connected")))
    }

    async fn binance_client(
        &self,
        owner: UserId,
        credential: CredentialId,
    ) -> Result<Arc<BinanceExecution>, ServiceError> {
        let row = self
            .store
            .credential(credential)
            .await?
            .filter(|r| r.owner_id == owner)
            .ok_or(ServiceError::UnknownCredential(credential))?;
        if let Some(c) = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&credential)
        {
            return Ok(c.clone());
        }
        let venue: Venue = row
            .venue
            .parse()
            .map_err(|_| ServiceError::Venue(format!("unknown venue {:?}", row.venue)))?;
        let entry = self.entry(venue)?;
        let client = Arc::new(BinanceExecution::new(
            entry.http.clone(),
            self.signer.clone(),
            credential,
            CallContext::component("engine").for_user(owner),
        ));
        // One insert per critical section: a panic cannot leave the map half-written.
        Ok(self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(credential)
            .or_insert(client)
            .clone())
    }
}

#[async_trait]
impl Venues for BinanceVenues {
    async fn execution(
        &self,
        owner: UserId,
        credential: CredentialId,
    ) -> Result<Arc<dyn ExecutionClient>, ServiceError> {
        Ok(self.binance_client(owner, credential).await?)
    }

    async fn rules(&self, market: &MarketKey) -> Result<MarketRules, ServiceError> {
        let entry = self.entry(market.venue)?;
        let rules = entry
            .public
            // All symbols: a venue answers an unknown symbol with an error, which would read
            // as "unreachable" rather than "not listed".
            .exchange_rules(&[])
            .await
            .map_err(|e| ServiceError::Venue(e.to_string()))?;
        let bad = |reason: &str| ServiceError::Market {
            market: market.to_string(),
            reason: reason.to_owned(),
        };
        let r = rules
            .get(&market.symbol)
            .ok_or_else(|| bad("the venue does not list this symbol"))?;
        if !r.trading {
            return Err(bad("trading is halted on this symbol"));
        }
        Ok(MarketRules {
            tick_size: r.filters.tick_size.ok_or_else(|| bad("no tick size"))?,
            step_size: r.filters.step_size.ok_or_else(|| bad("no step size"))?,
            min_notional: r.filters.min_notional.unwrap_or_default(),
        })
    }

    async fn subscribe(&self, market: &MarketKey) -> Result<MarketSubscription, ServiceError> {
        self.entry(market.venue)?
            .market_data
            .subscribe(
                std::slice::from_ref(&market.symbol),
                &[StreamKind::Trades, StreamKind::BookTicker],
            )
            .await
            .map_err(|e| ServiceError::Venue(e.to_string()))
    }

    async fn user_stream(
        &self,
        owner: UserId,
        credential: CredentialId,
    ) -> Option<mpsc::Receiver<UserEvent>> {
        let client = self.binance_client(owner, credential).await.ok()?;
        let mut stream = spawn_user_stream(client, Box::new(StdRng::from_entropy()));
        // The receiver goes to the engine; the stream (its task) stays here.
        let (_, empty) = mpsc::channel(1);
        let events = std::mem::replace(&mut stream.events, empty);
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(stream);
        Some(events)
    }
}
