//! A live deployment for end-to-end tests: the simulated exchange over real HTTP and
//! WebSocket, and the HTTPS server (self-signed certificate, SQLite, local KEK, in-process
//! signer) connected to it for balances, charts and the price stream. Real clock: TOTP codes
//! are computed for the current time.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use tradeward_audit::MemoryAuditSink;
use tradeward_auth::passwords::HashParams;
use tradeward_auth::{Actor, AuthConfig, AuthService, Role};
use tradeward_domain::{Symbol, UserId};
use tradeward_server::markets::{Markets, VenueLink};
use tradeward_server::{
    router, AppState, BoundServer, HttpSettings, ServerCert, ServerConfig, SystemClock, TlsMode,
};
use tradeward_signer::Signer;
use tradeward_sim::{SimConfig, SimHandle};
use tradeward_store::Store;
use tradeward_vault::{LocalKeyProvider, SecretString, Vault};

pub mod browser;

pub struct Live {
    pub base: String,
    pub port: u16,
    pub cert_der: Vec<u8>,
    pub sim: SimHandle,
    pub sim_api_key: String,
    pub sim_secret: String,
    pub auth: AuthService,
    pub store: Store,
    pub audit: Arc<MemoryAuditSink>,
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

pub async fn start() -> Live {
    let dir = tempfile::tempdir().unwrap();
    let store = tradeward_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    let sim_config = SimConfig::default_demo();
    let account = sim_config.accounts[0].clone();
    let sim_api_key = account.api_key.clone();
    let sim_secret = account.secret.as_ref().unwrap().expose_secret().to_owned();
    let symbols: Vec<Symbol> = sim_config
        .markets
        .iter()
        .take(2)
        .map(|m| Symbol::new(&m.base, &m.quote).unwrap())
        .collect();
    let sim = tradeward_sim::spawn(sim_config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let auth_vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("auth-kek")).unwrap(),
    ));
    let audit = Arc::new(MemoryAuditSink::new());
    let config = AuthConfig {
        hash: HashParams {
            m_kib: 256,
            t: 1,
            p: 1,
        },
        require_second_factor: true,
        ..AuthConfig::default()
    };
    let auth = AuthService::new(store.clone(), auth_vault, audit.clone(), config)
        .await
        .unwrap();
    let signer = Signer::new(store.clone(), vault, audit.clone());
    // A fixed port, so the public URL (the Origin browsers send) is known before binding.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server_config = ServerConfig {
        listen: ([127, 0, 0, 1], port).into(),
        ..ServerConfig::default()
    };
    let state = AppState::new(
        auth.clone(),
        Arc::new(signer),
        store.clone(),
        audit.clone(),
        Arc::new(SystemClock),
        HttpSettings::from_config(&server_config),
    );
    let markets = Markets::start(
        vec![VenueLink::sim(&sim.base_url(), &sim.ws_url(), symbols)],
        Duration::from_millis(500),
    )
    .await
    .unwrap();
    assert!(state.attach_markets(Arc::new(markets)));
    let cert = ServerCert::load(&TlsMode::SelfSigned {
        dir: dir.path().join("data.tls"),
    })
    .unwrap()
    .unwrap();
    let bound = BoundServer::bind(
        server_config.listen,
        Some(&cert),
        router(state.clone()),
        server_config.header_timeout(),
    )
    .await
    .unwrap();
    assert_eq!(bound.local_addr().unwrap().port(), port);
    tokio::spawn(bound.run(std::future::pending()));
    Live {
        base: format!("https://localhost:{port}"),
        port,
        cert_der: cert.chain[0].as_ref().to_vec(),
        sim,
        sim_api_key,
        sim_secret,
        auth,
        store,
        audit,
        state,
        dir,
    }
}

impl Live {
    /// A user whose password is one-time (must be changed at first sign-in), like the demo's.
    pub async fn user(&self, email: &str, password: &str, role: Role) -> UserId {
        let now = tradeward_server::Clock::now_us(&SystemClock);
        let id = self
            .auth
            .create_user(
                &Actor::Cli,
                email,
                role,
                Some(SecretString::new(password.to_owned())),
                now,
            )
            .await
            .unwrap()
            .user_id;
        self.auth
            .force_password_reset(&Actor::Cli, id, now)
            .await
            .unwrap();
        id
    }

    /// Waits until every watched market has at least `n` chart points.
    pub async fn wait_for_prices(&self, n: usize) {
        let markets = self.state.markets().unwrap();
        for _ in 0..200 {
            if markets.boards().iter().all(|b| b.history().len() >= n) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the sim's prices did not arrive within 10 s");
    }

    /// A reqwest client trusting exactly this server's certificate.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_der(&self.cert_der).unwrap())
            .resolve("localhost", ([127, 0, 0, 1], self.port).into())
            .build()
            .unwrap()
    }
}

/// The TOTP code for `base32_secret` now (RFC 6238: SHA-1, 6 digits, 30 s), by totp-rs.
pub fn totp_now(base32_secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(base32_secret.replace(' ', ""))
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)
        .generate_current()
        .unwrap()
}
