//! What every handler shares: the auth service, the signer (in-process or remote, behind one
//! trait), the store for public metadata, the audit sink, the clock and the HTTP settings.

use std::net::IpAddr;
use std::sync::Arc;

use tradeward_audit::AuditSink;
use tradeward_auth::AuthService;
use tradeward_signer::remote::SignerApi;
use tradeward_store::Store;

use crate::clock::Clock;

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
