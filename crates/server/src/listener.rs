//! The accept loop: TCP, then the TLS handshake (with a deadline) in the connection's own
//! task, then HTTP/1.1 or HTTP/2 by hyper with a header-read deadline. A slow or silent
//! client holds one task for at most the deadline, never the accept loop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::error::ServerError;
use crate::tls::ServerCert;

/// Open connections allowed at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 4096;

/// A listening server, not yet serving.
pub struct BoundServer {
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    header_timeout: Duration,
}

impl std::fmt::Debug for BoundServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundServer")
            .field("listener", &self.listener)
            .field("tls", &self.acceptor.is_some())
            .finish_non_exhaustive()
    }
}

impl BoundServer {
    /// Binds `addr`. With `cert`, every connection is TLS; without, plain HTTP (only for a
    /// loopback proxy set-up, which [`crate::ServerConfig::validate`] enforces).
    pub async fn bind(
        addr: SocketAddr,
        cert: Option<&ServerCert>,
        app: Router,
        header_timeout: Duration,
    ) -> Result<Self, ServerError> {
        let acceptor = cert
            .map(|c| {
                c.rustls_config()
                    .map(|cfg| TlsAcceptor::from(Arc::new(cfg)))
            })
            .transpose()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Io {
                what: format!("listening on {addr}"),
                source,
            })?;
        Ok(Self {
            listener,
            acceptor,
            app,
            header_timeout,
        })
    }

    /// The bound address (the real port when asked for port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener
            .local_addr()
            .map_err(|source| ServerError::Io {
                what: "reading the listening address".into(),
                source,
            })
    }

    /// Serves until `shutdown` completes; then stops accepting (connections in flight finish
    /// on their own tasks).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                _ = &mut shutdown => break,
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let (tcp, peer) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let app = self.app.clone();
            let acceptor = self.acceptor.clone();
            let timeout = self.header_timeout;
            tokio::spawn(async move {
                let _permit = permit;
                serve_connection(tcp, peer, acceptor, app, timeout).await;
            });
        }
    }
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    timeout: Duration,
) {
    let service = app.map_request(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    });
    let service = TowerToHyperService::new(service);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let result = match acceptor {
        Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => {
                builder
                    .serve_connection_with_upgrades(TokioIo::new(tls), service)
                    .await
            }
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        },
        None => {
            builder
                .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                .await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
