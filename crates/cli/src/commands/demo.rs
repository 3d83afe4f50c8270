//! `tradeward demo`: everything on embedded defaults, for trying Tradeward on one machine.
//!
//! SQLite and local KEKs under a data directory (default `./tradeward-demo`, KEKs beside it),
//! the simulated exchange in-process with moving markets, the HTTPS server with a self-signed
//! certificate, and a demo user (`demo@tradeward.local`) whose random one-time password is
//! printed once: the first sign-in must replace it and enrol TOTP. The sim account's key is
//! stored for that user through the signer as a `sim` credential.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rand::rngs::OsRng;
use rand::Rng;
use tradeward_audit::AuditSink;
use tradeward_auth::{Actor, AuthService, Role};
use tradeward_domain::{UserId, Venue};
use tradeward_server::markets::{Markets, VenueLink};
use tradeward_server::{
    router, AppState, BoundServer, Clock, HttpSettings, ServerCert, SystemClock,
};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_vault::{SecretBytes, SecretString};

use super::deployment::Deployment;
use crate::DeploymentArgs;

/// The demo user's email.
pub const DEMO_EMAIL: &str = "demo@tradeward.local";
/// The label of the sim key stored for the demo user (replaced at each start, since a
/// generated sim account is new each run).
const SIM_LABEL: &str = "demo sim";
/// The data directory when none is given: under the current directory, so it is easy to find
/// and to delete.
const DEFAULT_DATA_DIR: &str = "tradeward-demo";
/// How long balances read from the sim are reused (dashboard reloads, API polling).
const BALANCE_CACHE: std::time::Duration = std::time::Duration::from_secs(2);

/// `tradeward demo`'s options.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The data directory (default ./tradeward-demo; KEKs and certificate beside it).
    #[arg(long, env = "TRADEWARD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the HTTPS server.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Address of the simulated exchange (Binance dialect and control plane).
    #[arg(long, default_value = "127.0.0.1:9090")]
    sim_listen: SocketAddr,
    /// The sim's markets and accounts (TOML); a demo set with one generated account when absent.
    #[arg(long)]
    sim_config: Option<PathBuf>,
}

pub async fn run(args: &DemoArgs) -> anyhow::Result<()> {
    init_logs();
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let deployment_args = DeploymentArgs {
        config: None,
        data_dir: Some(data_dir.clone()),
    };
    let mut d = Deployment::open(&deployment_args).await?;
    d.config.server.listen = args.listen;
    // The demo shows the whole first-login path: a new password, then TOTP enrolment.
    d.config.server.require_second_factor = true;
    let settings = d.config.server.clone();
    let mode = settings.validate(Some(&data_dir))?;
    let cert = ServerCert::load(&mode)?.context("the demo serves HTTPS: no certificate")?;

    let sim_config = match &args.sim_config {
        Some(path) => tradeward_sim::SimConfig::load(path)
            .with_context(|| format!("loading the sim config {}", path.display()))?,
        None => tradeward_sim::SimConfig::default_demo(),
    };
    let account = sim_config
        .accounts
        .iter()
        .find(|a| a.secret.is_some())
        .context("the sim config has no account with an HMAC secret to connect")?;
    let (sim_key, sim_secret) = (
        SecretBytes::from_slice(account.api_key.as_bytes()),
        SecretBytes::from_slice(
            account
                .secret
                .as_ref()
                .map(|s| s.expose_secret())
                .unwrap_or_default()
                .as_bytes(),
        ),
    );
    let symbols: Vec<tradeward_domain::Symbol> = sim_config
        .markets
        .iter()
        .filter_map(|m| tradeward_domain::Symbol::new(&m.base, &m.quote).ok())
        .collect();
    let sim = tradeward_sim::spawn(sim_config, args.sim_listen)
        .await
        .with_context(|| format!("starting the simulated exchange on {}", args.sim_listen))?;

    let audit: Arc<dyn AuditSink> = Arc::new(d.audit.clone());
    let auth = AuthService::new(
        d.store.clone(),
        d.auth_vault()?,
        audit.clone(),
        settings.auth_config(),
    )
    .await
    .context("starting the authentication service")?;
    let signer = d.signer();
    let now = SystemClock.now_us();
    let (user, password) = demo_user(&d, &auth, now).await?;
    connect_sim_key(&d.store, &signer, user, sim_key, sim_secret).await?;
    // The trigger engine trades on the sim, every order signed by the same signer.
    let engine = super::engine::start(
        d.store.clone(),
        Arc::new(signer.clone()),
        vec![(
            Venue::Sim,
            tradeward_exchange::binance::BinanceConfig::sim(&sim.base_url(), &sim.ws_url()),
        )],
    )
    .await?;

    let state = AppState::new(
        auth,
        Arc::new(signer),
        d.store.clone(),
        audit,
        Arc::new(SystemClock),
        HttpSettings::from_config(&settings),
    );
    if let Some(engine) = engine {
        state.attach_engine(engine);
    }
    // Balances, charts and the price stream follow the sim's markets.
    let markets = Markets::start(
        vec![VenueLink::sim(&sim.base_url(), &sim.ws_url(), symbols)],
        BALANCE_CACHE,
    )
    .await
    .context("connecting to the simulated exchange's market data")?;
    state.attach_markets(Arc::new(markets));
    let bound = BoundServer::bind(
        settings.listen,
        Some(&cert),
        router(state.clone()),
        settings.header_timeout(),
    )
    .await?;
    let addr = bound.local_addr()?;
    print_banner(&data_dir, &cert, addr, &sim.base_url(), password.as_ref());
    bound
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    println!("tradeward demo: stopping");
    sim.stop()
        .await
        .context("stopping the simulated exchange")?;
    d.audit.flush().await.context("flushing the audit log")?;
    Ok(())
}

/// The demo user, created on the first run with a random password it must change at first
/// sign-in; `None` for the password when it already existed.
async fn demo_user(
    d: &Deployment,
    auth: &AuthService,
    now: i64,
) -> anyhow::Result<(UserId, Option<SecretString>)> {
    if let Some(existing) = d
        .store
        .account_by_email(DEMO_EMAIL)
        .await
        .context("looking up the demo user")?
    {
        return Ok((existing.id, None));
    }
    let password = one_time_password();
    let created = auth
        .create_user(
            &Actor::Cli,
            DEMO_EMAIL,
            Role::User,
            Some(SecretString::new(password.expose().to_owned())),
            now,
        )
        .await
        .context("creating the demo user")?;
    auth.force_password_reset(&Actor::Cli, created.user_id, now)
        .await
        .context("marking the demo password as one-time")?;
    Ok((created.user_id, Some(password)))
}

/// 20 characters from an unambiguous alphabet (no 0/O, 1/l/I): about 110 bits.
fn one_time_password() -> SecretString {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let text: String = (0..20)
        .map(|i| {
            let c = char::from(ALPHABET[OsRng.gen_range(0..ALPHABET.len())]);
            if i > 0 && i % 5 == 0 {
                format!("-{c}")
            } else {
                c.to_string()
            }
        })
        .collect();
    SecretString::new(text)
}

/// Stores the sim account's key for the demo user, replacing the key of an earlier run (each
/// run's generated sim account is new, so an old key would no longer work).
async fn connect_sim_key(
    store: &tradeward_store::Store,
    signer: &Signer,
    user: UserId,
    api_key: SecretBytes,
    secret: SecretBytes,
) -> anyhow::Result<()> {
    let ctx = CallContext::component("demo");
    let old = store
        .credentials_of(user)
        .await
        .context("listing the demo user's keys")?;
    for c in old
        .into_iter()
        .filter(|c| c.venue == Venue::Sim.as_str() && c.label == SIM_LABEL)
    {
        signer
            .delete_credential(&ctx, user, c.id)
            .await
            .context("removing the previous run's sim key")?;
    }
    signer
        .store_credential(
            &ctx,
            CredentialInput {
                owner: user,
                venue: Venue::Sim,
                label: SIM_LABEL.into(),
                scheme: None,
                api_key,
                secret,
                passphrase: None,
                limits: CredentialLimits::default(),
                permissions: "{}".into(),
            },
        )
        .await
        .context("storing the sim key through the signer")?;
    Ok(())
}

fn print_banner(
    data_dir: &Path,
    cert: &ServerCert,
    addr: SocketAddr,
    sim_url: &str,
    password: Option<&SecretString>,
) {
    let shown_dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    println!("tradeward demo");
    println!(
        "  data directory: {} (KEKs and certificate beside it)",
        shown_dir.display()
    );
    println!("  simulated exchange: {sim_url} (Binance Spot dialect, control plane /sim/v1)");
    println!(
        "  TLS certificate SHA-256 fingerprint: {}",
        cert.fingerprint
    );
    println!("  open: https://localhost:{}/", addr.port());
    println!("  email: {DEMO_EMAIL}");
    match password {
        // Printed once, on purpose: it is the demo's only way in, and must be changed at
        // the first sign-in.
        Some(pw) => println!("  one-time password: {}", pw.expose()),
        None => println!(
            "  password: set before (this data directory already has the demo user; its \
             one-time password was printed on the first run)"
        ),
    }
    println!("  the first sign-in asks for a new password and sets up TOTP; Ctrl-C to stop");
}

fn init_logs() {
    // Quiet by default: the banner is what a demo user reads; RUST_LOG asks for more.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
