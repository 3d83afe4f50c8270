//! What every handler shares: the auth service, the signer (in-process or remote, behind one
//! trait), the store for public metadata, the audit sink, the clock and the HTTP settings.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use tradeward_audit::AuditSink;
use tradeward_auth::AuthService;
use tradeward_signer::remote::SignerApi;
use tradeward_store::Store;

use crate::clock::Clock;
use crate::markets::Markets;

/// Shared state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    auth: AuthService,
    signer: Arc<dyn SignerApi>,
    store: Store,
    audit: Arc<dyn AuditSink>,
    clock: Arc<dyn Clock>,
    http: HttpSettings,
    /// The trigger engine, when venues are configured.
    engine: OnceLock<Arc<tradeward_engine::service::EngineService>>,
    /// Live venues and market data, when connected (`tradeward demo`, `serve` with venues).
    markets: OnceLock<Arc<Markets>>,
}

/// The HTTP-level settings handlers and middleware need.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The URL users reach the server at (CSRF origin check, setup links).
    pub public_url: String,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Longest time a request may take.
    pub request_timeout: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl AppState {
    /// Builds the state.
    pub fn new(
        auth: AuthService,
        signer: Arc<dyn SignerApi>,
        store: Store,
        audit: Arc<dyn AuditSink>,
        clock: Arc<dyn Clock>,
        http: HttpSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                auth,
                signer,
                store,
                audit,
                clock,
                http,
                engine: OnceLock::new(),
                markets: OnceLock::new(),
            }),
        }
    }

    /// Accounts and authentication.
    pub fn auth(&self) -> &AuthService {
        &self.inner.auth
    }

    /// The signer.
    pub fn signer(&self) -> &dyn SignerApi {
        self.inner.signer.as_ref()
    }

    /// The signer, shared (venue adapters hold it to sign their requests).
    pub fn signer_arc(&self) -> Arc<dyn SignerApi> {
        self.inner.signer.clone()
    }

    /// Connects live venues and market data; only the first call takes effect (returns
    /// false for later ones).
    pub fn attach_markets(&self, markets: Arc<Markets>) -> bool {
        self.inner.markets.set(markets).is_ok()
    }

    /// Live venues and market data, if attached.
    pub fn markets(&self) -> Option<&Arc<Markets>> {
        self.inner.markets.get()
    }

    /// Connects the trigger engine; only the first call takes effect (returns false for
    /// later ones).
    pub fn attach_engine(&self, engine: Arc<tradeward_engine::service::EngineService>) -> bool {
        self.inner.engine.set(engine).is_ok()
    }

    /// The trigger engine, if attached.
    pub fn engine(&self) -> Option<&Arc<tradeward_engine::service::EngineService>> {
        self.inner.engine.get()
    }

    /// The store (public metadata only: credential lists, settings).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The audit sink for the server's own events.
    pub fn audit(&self) -> &dyn AuditSink {
        self.inner.audit.as_ref()
    }

    /// Now, µs since the epoch.
    pub fn now_us(&self) -> i64 {
        self.inner.clock.now_us()
    }

    /// HTTP settings.
    pub fn http(&self) -> &HttpSettings {
        &self.inner.http
    }
}
