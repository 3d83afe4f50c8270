//! `tradeward serve`: the HTTP API over TLS, with the signer in-process or, when
//! `[signer] socket` is set, in its own process behind that socket.

use std::sync::Arc;

use anyhow::Context;
use tradeward_audit::AuditSink;
use tradeward_auth::AuthService;
use tradeward_server::{
    router, AppState, BoundServer, HttpSettings, ServerCert, SystemClock, TlsMode,
};
use tradeward_signer::remote::{RemoteSigner, SignerApi};

use super::deployment::{Deployment, WebTier};
use crate::config::Config;
use crate::DeploymentArgs;

/// Connections kept open to a remote signer.
const SIGNER_CONNECTIONS: usize = 4;

pub async fn run(args: &DeploymentArgs) -> anyhow::Result<()> {
    init_logs();
    // With a separate signer, this process opens only the web tier's KEK; with an in-process
    // signer it holds both, in one process, by the operator's choice.
    let (config, store, audit_sink, auth_vault, signer): (_, _, _, _, Arc<dyn SignerApi>) =
        match Config::load(args.config.as_deref())?
            .resolve(args.data_dir.as_deref())?
            .signer
            .socket
        {
            Some(socket) => {
                let web = WebTier::open(args).await?;
                let remote = RemoteSigner::connect(&socket, SIGNER_CONNECTIONS)
                    .await
                    .with_context(|| format!("connecting to the signer at {}", socket.display()))?;
                (
                    web.config,
                    web.store,
                    web.audit,
                    web.auth_vault,
                    Arc::new(remote),
                )
            }
            None => {
                let deployment = Deployment::open(args).await?;
                let auth_vault = deployment.auth_vault()?;
                let signer = Arc::new(deployment.signer());
                (
                    deployment.config,
                    deployment.store,
                    deployment.audit,
                    auth_vault,
                    signer,
                )
            }
        };
    let settings = config.server.clone();
    let mode = settings.validate(args.data_dir.as_deref())?;
    let cert = ServerCert::load(&mode)?;
    let audit: Arc<dyn AuditSink> = Arc::new(audit_sink.clone());
    let auth = AuthService::new(
        store.clone(),
        auth_vault,
        audit.clone(),
        settings.auth_config(),
    )
    .await
    .context("starting the authentication service")?;
    // [server.email]: notices and emailed links; without it no mail is sent.
    let auth = match &settings.email {
        Some(email) => email.attach(auth, &settings.public_url())?,
        None if settings.open_signup => {
            anyhow::bail!(
                "server.open_signup needs [server.email]: sign-ups are confirmed by email"
            )
        }
        None => auth,
    };
    let engine =
        super::engine::start(store.clone(), signer.clone(), config.engine_venues.clone()).await?;
    let state = AppState::new(
        auth,
        signer,
        store.clone(),
        audit,
        Arc::new(SystemClock),
        HttpSettings::from_config(&settings),
    );
    if let Some(engine) = engine {
        state.attach_engine(engine);
    }
    let bound = BoundServer::bind(
        settings.listen,
        cert.as_ref(),
        router(state),
        settings.header_timeout(),
    )
    .await?;
    let addr = bound.local_addr()?;
    match (&mode, &cert) {
        (TlsMode::PlainBehindProxy, _) | (_, None) => {
            tracing::warn!(
                %addr,
                "serving PLAIN HTTP: only safe behind a TLS-terminating proxy on this host"
            );
            eprintln!("tradeward serve: plain HTTP on http://{addr} (behind a TLS proxy only)");
        }
        (TlsMode::SelfSigned { dir }, Some(cert)) => {
            let made = if cert.generated { "generated" } else { "using" };
            eprintln!(
                "tradeward serve: {made} a self-signed certificate in {}\n  SHA-256 fingerprint {}",
                dir.display(),
                cert.fingerprint
            );
            eprintln!("tradeward serve: listening on https://{addr} (Ctrl-C to stop)");
        }
        (_, Some(cert)) => {
            eprintln!(
                "tradeward serve: listening on https://{addr} (certificate {})",
                cert.fingerprint
            );
        }
    }
    bound
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    audit_sink.close().await.context("closing the audit log")?;
    Ok(())
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
