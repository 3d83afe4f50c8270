//! A real server for the integration tests: TLS with a self-signed certificate, a store of
//! either backend, a local-KEK vault, the in-process signer, cheap argon2 parameters and a
//! clock the test moves. Clients trust exactly that certificate.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tradeward_audit::MemoryAuditSink;
use tradeward_auth::passwords::HashParams;
use tradeward_auth::{Actor, AuthConfig, AuthService, Role};
use tradeward_server::{
    router, AppState, BoundServer, Clock, HttpSettings, ServerCert, ServerConfig, TlsMode,
};
use tradeward_signer::Signer;
use tradeward_store::Store;
use tradeward_vault::{LocalKeyProvider, SecretString, Vault};

pub const FAST: HashParams = HashParams {
    m_kib: 256,
    t: 1,
    p: 1,
};
pub const SEC: i64 = 1_000_000;

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl Clock for ManualClock {
    fn now_us(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A manual clock starting at `now_us` (for test servers built outside this module).
pub fn manual_clock(now_us: i64) -> Arc<ManualClock> {
    Arc::new(ManualClock(AtomicI64::new(now_us)))
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub cert_der: Vec<u8>,
    pub fingerprint: String,
    pub auth: AuthService,
    pub store: Store,
    pub audit: Arc<MemoryAuditSink>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub async fn sqlite_server(config: AuthConfig) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = tradeward_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    start(store, dir, config).await
}

pub async fn postgres_server(config: AuthConfig) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = tradeward_store::testing::fresh_postgres()
        .await
        .expect("PostgreSQL must be reachable for the suite");
    start(store, dir, config).await
}

pub fn fast_config() -> AuthConfig {
    AuthConfig {
        hash: FAST,
        ..AuthConfig::default()
    }
}

async fn start(store: Store, dir: tempfile::TempDir, config: AuthConfig) -> TestServer {
    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let audit = Arc::new(MemoryAuditSink::new());
    let auth = AuthService::new(store.clone(), vault.clone(), audit.clone(), config)
        .await
        .unwrap();
    let signer = Signer::new(store.clone(), vault, audit.clone());
    let real_now = tradeward_server::SystemClock.now_us();
    let clock = Arc::new(ManualClock(AtomicI64::new(real_now)));
    let server_config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let state = AppState::new(
        auth.clone(),
        Arc::new(signer),
        store.clone(),
        audit.clone(),
        clock.clone(),
        HttpSettings::from_config(&server_config),
    );
    let cert = ServerCert::load(&TlsMode::SelfSigned {
        dir: dir.path().join("data.tls"),
    })
    .unwrap()
    .unwrap();
    let bound = BoundServer::bind(
        server_config.listen,
        Some(&cert),
        router(state),
        server_config.header_timeout(),
    )
    .await
    .unwrap();
    let addr = bound.local_addr().unwrap();
    tokio::spawn(bound.run(std::future::pending()));
    TestServer {
        addr,
        base: format!("https://localhost:{}", addr.port()),
        cert_der: cert.chain[0].as_ref().to_vec(),
        fingerprint: cert.fingerprint,
        auth,
        store,
        audit,
        clock,
        dir,
    }
}

impl TestServer {
    /// A client that trusts only this server's certificate, connecting from `from`.
    pub fn client_from(&self, from: &str) -> Client {
        let cert = reqwest::Certificate::from_der(&self.cert_der).unwrap();
        let http = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert)
            .resolve("localhost", self.addr)
            .local_address(from.parse::<IpAddr>().unwrap())
            .user_agent("tradeward-test")
            .build()
            .unwrap();
        Client {
            http,
            base: self.base.clone(),
            session: None,
            csrf: None,
            log: Vec::new(),
        }
    }

    pub fn client(&self) -> Client {
        self.client_from("127.0.0.1")
    }

    pub fn advance(&self, secs: i64) {
        self.clock.0.fetch_add(secs * SEC, Ordering::SeqCst);
    }

    pub fn clock_now(&self) -> i64 {
        self.clock.now_us()
    }

    pub fn now_secs(&self) -> i64 {
        self.clock.now_us() / SEC
    }

    /// Creates a user with a password, as `tradeward admin user create --password-stdin` does.
    pub async fn user(&self, email: &str, password: &str, role: Role) -> tradeward_domain::UserId {
        self.auth
            .create_user(
                &Actor::Cli,
                email,
                role,
                Some(SecretString::new(password.to_owned())),
                self.clock.now_us(),
            )
            .await
            .unwrap()
            .user_id
    }
}

/// One exchange as the client saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: Method,
    pub path: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Exchange {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: not JSON ({e}): {}",
                self.method, self.path, self.body
            )
        })
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// A client holding the session cookie and CSRF token the way a browser page would.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub session: Option<String>,
    pub csrf: Option<String>,
    /// Every exchange, for the leak scans.
    pub log: Vec<Exchange>,
}

impl Client {
    pub async fn raw(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        extra: &[(&str, &str)],
    ) -> Exchange {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.base));
        if let Some(s) = &self.session {
            req = req.header(
                "cookie",
                format!(
                    "__Host-tradeward_session={s}; __Host-tradeward_csrf={}",
                    self.csrf.clone().unwrap_or_default()
                ),
            );
        }
        if let Some(c) = &self.csrf {
            if !extra
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("x-csrf-token"))
            {
                req = req.header("x-csrf-token", c.as_str());
            }
        }
        if let Some(b) = body {
            if !extra
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                req = req.header("content-type", "application/json");
            }
            req = req.body(b);
        }
        for (k, v) in extra {
            req = req.header(*k, HeaderValue::from_str(v).unwrap());
        }
        let resp = req.send().await.unwrap();
        let ex = Exchange {
            method,
            path: path.to_owned(),
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        };
        for c in ex.set_cookies() {
            let (pair, _) = c.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let value = (!value.is_empty()).then(|| value.to_owned());
            match name {
                "__Host-tradeward_session" => self.session = value,
                "__Host-tradeward_csrf" => self.csrf = value,
                _ => {}
            }
        }
        self.log.push(ex.clone());
        ex
    }

    pub async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> Exchange {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.raw(method, path, body, &[]).await
    }

    pub async fn post(&mut self, path: &str, body: Value) -> Exchange {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn get(&mut self, path: &str) -> Exchange {
        self.call(Method::GET, path, None).await
    }

    pub async fn delete(&mut self, path: &str) -> Exchange {
        self.call(Method::DELETE, path, None).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Exchange {
        self.post("/session", json!({"email": email, "password": password}))
            .await
    }
}

/// The TOTP code at `unix_secs` computed by an independent implementation (PyOTP).
pub fn pyotp_code(base32_secret: &str, unix_secs: i64) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, pyotp; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
            base32_secret,
            &unix_secs.to_string(),
        ])
        .output()
        .expect("python3 must be installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "pyotp failed (scripts/test installs it from crates/auth/tests/compat/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Logs in with the password and enrols TOTP from the session; returns the base32 secret and
/// the recovery codes.
pub async fn enrol_totp(srv: &TestServer, c: &mut Client) -> (String, Vec<String>) {
    let r = c.post("/me/totp", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    assert!(r.json()["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c.post("/me/totp/confirm", json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes: Vec<String> = r.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}
