//! Start-up and the accept loop: builds the engine and accounts from [`SimConfig`] (or a
//! snapshot), runs the price ticker and snapshot writer, and serves REST, WebSockets and the
//! control plane on one listener with HTTP/1.1 (header and body timeouts cut slow clients off).

use crate::api::error::ApiError;
use crate::auth::{ApiAccount, KeyStore};
use crate::config::{SimConfig, SimConfigError};
use crate::engine::{ConfigError, Engine};
use crate::ratelimit::RateLimiter;
use crate::state::{lock, AppState, Shared};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Why the sim could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] SimConfigError),
    /// The engine refused its configuration.
    #[error(transparent)]
    Engine(#[from] ConfigError),
    /// Socket error.
    #[error("sim I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Snapshot could not be read.
    #[error("sim snapshot: {0}")]
    Snapshot(String),
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Builds the shared state: engine (from the snapshot when there is one), accounts, limits.
pub fn build_state(config: &SimConfig) -> Result<AppState, SimError> {
    config.validate()?;
    let restored = match &config.snapshot {
        Some(p) => crate::snapshot::load(p).map_err(SimError::Snapshot)?,
        None => None,
    };
    let mut engine = match restored {
        Some(e) => e,
        None => Engine::new(config.engine_config()?)?,
    };
    let now = wall_ms();
    let mut keys = KeyStore::default();
    for (i, a) in config.accounts.iter().enumerate() {
        // The engine knows accounts by label; the (public) API key is the label so that a
        // snapshot maps back to the same keys.
        let id = match engine.account_by_label(&a.api_key) {
            Some(id) => id,
            None => {
                let balances: Vec<(&str, rust_decimal::Decimal)> =
                    a.balances.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                engine.add_account(&a.api_key, &balances)?
            }
        };
        let acct = ApiAccount::from_config(a, id, now)
            .map_err(|e| SimConfigError::Invalid(format!("account[{i}]: {e}")))?;
        keys.insert(acct);
    }
    Ok(Arc::new(Shared::new(
        engine,
        keys,
        RateLimiter::new(config.rate_limits.clone()),
        config.faults.clone(),
        config.control.token.clone(),
        config.server.clone(),
        config.ws.clone(),
        config.snapshot.clone(),
    )))
}

/// The whole HTTP application.
pub fn app(st: AppState) -> Router {
    Router::new()
        .merge(crate::api::router(st.clone()))
        .merge(crate::ws::router())
        .merge(crate::dialect::router())
        .merge(crate::control::router(st.clone()))
        .fallback(|| async {
            ApiError {
                status: StatusCode::NOT_FOUND,
                ..ApiError::bad(-1000, "Unknown path.")
            }
        })
        .method_not_allowed_fallback(|| async {
            ApiError {
                status: StatusCode::METHOD_NOT_ALLOWED,
                ..ApiError::bad(-1000, "Method not allowed on this path.")
            }
            .into_response()
        })
        .with_state(st)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    config: SimConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SimError> {
    let st = build_state(&config)?;
    run(
        st,
        config.price.tick_ms,
        config.snapshot_interval_secs,
        listener,
        shutdown,
    )
    .await
}

async fn run(
    st: AppState,
    tick_ms: u64,
    snapshot_secs: u64,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SimError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let ticker = tokio::spawn(tick_loop(st.clone(), tick_ms, stop_rx.clone()));
    let snap = tokio::spawn(snapshot_loop(st.clone(), snapshot_secs, stop_rx.clone()));
    let app = app(st.clone());
    let header_timeout = Duration::from_secs(st.server.header_timeout_secs);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            r = listener.accept() => {
                let (tcp, peer) = match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("sim accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let svc = tower::ServiceExt::map_request(app.clone(), move |mut r: Request<hyper::body::Incoming>| {
                    r.extensions_mut().insert(ConnectInfo(peer));
                    r
                });
                let mut stop = stop_rx.clone();
                tokio::spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(svc))
                        .with_upgrades();
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    let _ = stop_tx.send(true);
    st.ws_kill.send_modify(|n| *n += 1);
    let _ = ticker.await;
    let _ = snap.await;
    if let Some(path) = &st.snapshot {
        let engine = lock(&st.engine).clone();
        crate::snapshot::save(path, &engine).map_err(SimError::Snapshot)?;
    }
    Ok(())
}

async fn tick_loop(st: AppState, tick_ms: u64, mut stop: watch::Receiver<bool>) {
    let mut iv = tokio::time::interval(Duration::from_millis(tick_ms.max(1)));
    iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Candles close on time (kline streams' "x": true) whatever the price-process period.
    let mut candles = tokio::time::interval(Duration::from_millis(KLINE_CLOSE_MS));
    candles.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = iv.tick() => {
                let now = st.now_ms();
                let mut eng = lock(&st.engine);
                let events = eng.tick(now);
                st.publish(events);
            }
            _ = candles.tick() => {
                let now = st.now_ms();
                let mut eng = lock(&st.engine);
                let events = eng.close_klines(now);
                st.publish(events);
            }
            _ = stop.changed() => return,
        }
    }
}

/// How often the sim looks for candles that ended (so a close is pushed within this).
const KLINE_CLOSE_MS: u64 = 250;

async fn snapshot_loop(st: AppState, secs: u64, mut stop: watch::Receiver<bool>) {
    let Some(path) = st.snapshot.clone() else {
        return;
    };
    let mut iv = tokio::time::interval(Duration::from_secs(secs.max(1)));
    iv.tick().await;
    loop {
        tokio::select! {
            _ = iv.tick() => {
                // Clone under the lock, encode and write outside it.
                let engine = lock(&st.engine).clone();
                let p = path.clone();
                let r = tokio::task::spawn_blocking(move || crate::snapshot::save(&p, &engine)).await;
                if let Ok(Err(e)) = r {
                    tracing::warn!("{e}");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// A sim running in the background (tests, `tradeward demo`).
#[derive(Debug)]
pub struct SimHandle {
    /// Bound address.
    pub addr: SocketAddr,
    /// The shared state (tests inspect it).
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), SimError>>>,
}

impl SimHandle {
    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://ADDR`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Stops the sim and waits for it (writes the snapshot when configured).
    pub async fn stop(mut self) -> Result<(), SimError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(t) => t.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `addr` (port 0 for an ephemeral port), builds the sim and runs it in a task.
pub async fn spawn(config: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let st = build_state(&config)?;
    let (tx, rx) = oneshot::channel::<()>();
    let (tick_ms, snap) = (config.price.tick_ms, config.snapshot_interval_secs);
    let st2 = st.clone();
    let task = tokio::spawn(async move {
        run(st2, tick_ms, snap, listener, async {
            let _ = rx.await;
        })
        .await
    });
    Ok(SimHandle {
        addr: bound,
        state: st,
        shutdown: Some(tx),
        task: Some(task),
    })
}
