//! Email end to end, through a real SMTP server (aiosmtpd, started by the test as a
//! subprocess; it decodes each message with Python's email package and writes it out):
//! the new-device email (address, user agent, time, no secret) and its lockdown link, which
//! revokes the user's sessions, turns their trading off and forces a new password; a password
//! reset by email that still stops at the second factor; an email change whose revert link
//! works once and expires; sign-up with email verification; STARTTLS to the relay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tradeward_audit::MemoryAuditSink;
use tradeward_auth::email::{EmailConfig, Outbox, SmtpSecurity};
use tradeward_auth::{AuthConfig, AuthService, Mailer, Role};
use tradeward_server::{
    router, AppState, BoundServer, Clock, HttpSettings, ServerCert, ServerConfig, TlsMode,
};
use tradeward_signer::Signer;
use tradeward_store::Store;
use tradeward_vault::{LocalKeyProvider, Vault};

const PW: &str = "violet-anchor-sprocket-91";
const NEW_PW: &str = "quartz-lantern-meadow-27";
const ATTACKER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) EvilBrowser/66.6";

/// aiosmtpd on a free loopback port, writing each message it accepts to `dir`.
struct SmtpSink {
    child: Child,
    /// Held open: closing it would break the sink's pipe.
    _stdout: std::process::ChildStdout,
    dir: tempfile::TempDir,
    port: u16,
}

impl SmtpSink {
    fn start(tls: Option<(&Path, &Path)>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/compat/smtp_sink.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script).arg(port.to_string()).arg(dir.path());
        if let Some((cert, key)) = tls {
            cmd.arg(cert).arg(key);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed (scripts/test installs it)");
        let mut out = child.stdout.take().unwrap();
        let mut line = [0u8; 6];
        use std::io::Read;
        out.read_exact(&mut line).expect(
            "aiosmtpd did not start (scripts/test installs it from \
             crates/server/tests/compat/requirements.txt)",
        );
        assert_eq!(&line, b"READY\n");
        Self {
            child,
            _stdout: out,
            dir,
            port,
        }
    }

    /// Every message received so far, in order.
    fn messages(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits (up to 30 s) until a message to `to` with `subject` has arrived; returns it.
    async fn wait_for(&self, to: &str, subject: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(m) = self
                .messages()
                .into_iter()
                .find(|m| m["rcpt_tos"][0] == to && m["subject"] == subject)
            {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no message {subject:?} to {to}; got {:#?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test server (as `common` builds it) whose auth service sends mail to `sink`.
async fn mail_server(sink: &SmtpSink, config: AuthConfig) -> TestServer {
    mail_server_over(sink, config, None).await
}

/// [`mail_server`], over STARTTLS trusting `ca` when given.
async fn mail_server_over(sink: &SmtpSink, config: AuthConfig, ca: Option<PathBuf>) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = tradeward_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    start_with_mail(store, dir, config, sink.port, ca).await
}

async fn start_with_mail(
    store: Store,
    dir: tempfile::TempDir,
    config: AuthConfig,
    smtp_port: u16,
    ca: Option<PathBuf>,
) -> TestServer {
    let mut email = match &ca {
        Some(_) => EmailConfig::new(
            "localhost",
            SmtpSecurity::StartTls,
            "Tradeward <tradeward@example.com>",
            "https://tradeward.example.com",
        ),
        None => EmailConfig::new(
            "127.0.0.1",
            SmtpSecurity::Plain,
            "Tradeward <tradeward@example.com>",
            "https://tradeward.example.com",
        ),
    };
    email.smtp_port = smtp_port;
    email.ca_file = ca;
    let outbox = Outbox::start(&email).unwrap();
    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let audit = Arc::new(MemoryAuditSink::new());
    let auth = AuthService::new(store.clone(), vault.clone(), audit.clone(), config)
        .await
        .unwrap()
        .with_mailer(Mailer::new(outbox, &email.public_url));
    let signer = Signer::new(store.clone(), vault, audit.clone());
    let clock = manual_clock(tradeward_server::SystemClock.now_us());
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

/// The token of the first link to `/email/{page}` in a message body.
fn link_token(body: &str, page: &str) -> String {
    let prefix = format!("https://tradeward.example.com/email/{page}?token=");
    let start = body
        .find(&prefix)
        .unwrap_or_else(|| panic!("no {page} link in: {body}"))
        + prefix.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// A page request (outside `/api/v1`): GET, or POST of a form.
async fn page(
    c: &Client,
    method: Method,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut req = c.http.request(method.clone(), format!("{}{path}", c.base));
    if method == Method::POST {
        req = req
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", c.base.clone())
            .body(serde_urlencoded::to_string(form).unwrap());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    assert!(
        resp.headers().get("set-cookie").is_none(),
        "{path} set a cookie"
    );
    (status, resp.text().await.unwrap())
}

/// The time as the new-device email must show it.
fn utc(us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(us / 1_000_000).unwrap();
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.format(&f).unwrap()
}

/// Logs in with password and TOTP (computed by PyOTP); asserts it is then authenticated.
async fn login_with_totp(
    srv: &TestServer,
    c: &mut Client,
    email: &str,
    pw: &str,
    secret: &str,
) -> Value {
    let r = c.login(email, pw).await;
    assert_eq!(r.json()["status"], "second_factor_required", "{}", r.body);
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    // A fresh 30 s step: the enrolment code may have used the current one.
    srv.advance(30);
    let code = pyotp_code(secret, srv.now_secs());
    let r = c
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    r.json()
}

#[tokio::test]
async fn new_device_email_and_its_lockdown_link() {
    let sink = SmtpSink::start(None);
    let srv = mail_server(&sink, fast_config()).await;
    let alice = srv.user("alice@example.com", PW, Role::User).await;
    srv.user("bob@example.com", PW, Role::User).await;

    // Alice signs in from her own machine and enrols TOTP.
    let mut own = srv.client();
    assert_eq!(
        own.login("alice@example.com", PW).await.json()["status"],
        "authenticated"
    );
    let (secret, codes) = enrol_totp(&srv, &mut own).await;
    sink.wait_for("alice@example.com", "New sign-in to your Tradeward account")
        .await;
    sink.wait_for(
        "alice@example.com",
        "Your Tradeward sign-in factors changed",
    )
    .await;
    let mut bob = srv.client();
    assert_eq!(
        bob.login("bob@example.com", PW).await.json()["status"],
        "authenticated"
    );

    // An attacker with her password, from another address and browser: stopped at the
    // second factor, and Alice is told.
    let mut attacker = srv.client_from("127.0.0.2");
    let at = srv.clock_now();
    let r = attacker
        .raw(
            Method::POST,
            "/session",
            Some(
                json!({"email": "alice@example.com", "password": PW})
                    .to_string()
                    .into_bytes(),
            ),
            &[("user-agent", ATTACKER_UA)],
        )
        .await;
    assert_eq!(r.json()["status"], "second_factor_required", "{}", r.body);
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let notice = loop {
        let found = sink.messages().into_iter().find(|m| {
            m["subject"] == "New sign-in to your Tradeward account"
                && m["body"].as_str().unwrap().contains("127.0.0.2")
        });
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "no new-device email: {:#?}",
            sink.messages()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(notice["rcpt_tos"], json!(["alice@example.com"]));
    assert_eq!(notice["from"], "Tradeward <tradeward@example.com>");
    assert_eq!(notice["content_type"], "text/plain");
    assert_ne!(notice["date"], "None");
    let body = notice["body"].as_str().unwrap();
    assert!(body.contains("Address:    127.0.0.2"), "{body}");
    assert!(
        body.contains(&format!("Browser:    {ATTACKER_UA}")),
        "{body}"
    );
    assert!(body.contains(&format!("Time:       {}", utc(at))), "{body}");
    // No secret in any message: password, TOTP seed, recovery codes, session or challenge.
    let sessions = [own.session.clone().unwrap(), bob.session.clone().unwrap()];
    for m in sink.messages() {
        let text = m.to_string();
        assert!(!text.contains(PW));
        assert!(!text.contains(&secret));
        assert!(!text.contains(&challenge));
        for s in &sessions {
            assert!(!text.contains(s.as_str()));
        }
        for c in &codes {
            assert!(!text.contains(c.as_str()));
        }
    }
    // The same device again: no second email.
    let before = sink.messages().len();
    let r = attacker
        .raw(
            Method::POST,
            "/session",
            Some(
                json!({"email": "alice@example.com", "password": PW})
                    .to_string()
                    .into_bytes(),
            ),
            &[("user-agent", ATTACKER_UA)],
        )
        .await;
    assert_eq!(r.json()["status"], "second_factor_required");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), before);

    // Alice opens the lockdown link: the GET only shows the button.
    let token = link_token(body, "lockdown");
    assert_eq!(token.len(), 4 + 43, "a 256-bit token: {token}");
    let mut anon = srv.client();
    let (status, html) = page(
        &anon,
        Method::GET,
        &format!("/email/lockdown?token={token}"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Lock my account down"));
    assert_eq!(
        own.get("/me/sessions").await.status,
        StatusCode::OK,
        "a GET changes nothing"
    );
    assert!(
        srv.store
            .user(alice)
            .await
            .unwrap()
            .unwrap()
            .trading_enabled
    );

    // One click.
    let (status, html) = page(&anon, Method::POST, "/email/lockdown", &[("token", &token)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Your account is locked down"));
    // Her sessions are gone, her trading is off, Bob is untouched.
    assert_eq!(
        own.get("/me/sessions").await.status,
        StatusCode::UNAUTHORIZED
    );
    let row = srv.store.user(alice).await.unwrap().unwrap();
    assert!(!row.trading_enabled);
    assert!(
        srv.store
            .account(alice)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert_eq!(bob.get("/me/sessions").await.status, StatusCode::OK);
    let bob_row = srv
        .store
        .account_by_email("bob@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        srv.store
            .user(bob_row.id)
            .await
            .unwrap()
            .unwrap()
            .trading_enabled
    );
    // The attacker's login in progress is gone too.
    let code = pyotp_code(&secret, srv.now_secs() + 30);
    let r = attacker
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.code(), "invalid_challenge", "{}", r.body);
    // The link works once, by page or by API.
    let (status, html) = page(&anon, Method::POST, "/email/lockdown", &[("token", &token)]).await;
    assert_eq!(status, StatusCode::GONE, "{html}");
    let r = anon
        .post("/email-links/lockdown", json!({"token": token}))
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(r.code(), "invalid_link");
    sink.wait_for("alice@example.com", "Your Tradeward account is locked down")
        .await;

    // The next login needs the second factor, then a new password.
    let mut own = srv.client();
    let r = login_with_totp(&srv, &mut own, "alice@example.com", PW, &secret).await;
    assert_eq!(r["status"], "password_change_required", "{r}");
    let kinds: Vec<_> = srv
        .audit
        .events()
        .into_iter()
        .filter(|e| e.kind == "auth.lockdown_link")
        .map(|e| (e.outcome, e.user_id.clone()))
        .collect();
    // Used once, then refused twice (the page and the API).
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert_eq!(
        kinds[0],
        (tradeward_audit::Outcome::Ok, Some(alice.to_string()))
    );
    assert_eq!(kinds[1].0, tradeward_audit::Outcome::Refused);
    assert_eq!(kinds[2].0, tradeward_audit::Outcome::Refused);
}

#[tokio::test]
async fn a_password_reset_by_email_still_stops_at_the_second_factor() {
    let sink = SmtpSink::start(None);
    let srv = mail_server(&sink, fast_config()).await;
    srv.user("alice@example.com", PW, Role::User).await;
    let mut own = srv.client();
    assert_eq!(
        own.login("alice@example.com", PW).await.json()["status"],
        "authenticated"
    );
    let (secret, _) = enrol_totp(&srv, &mut own).await;

    // Known and unknown addresses get the same answer; only the known one gets mail.
    let mut anon = srv.client();
    let known = anon
        .post("/password-reset", json!({"email": "alice@example.com"}))
        .await;
    let unknown = anon
        .post("/password-reset", json!({"email": "nobody@example.com"}))
        .await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (known.status, known.body.clone())
    );
    let mail = sink
        .wait_for("alice@example.com", "Reset your Tradeward password")
        .await;
    let token = link_token(mail["body"].as_str().unwrap(), "reset");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink
        .messages()
        .iter()
        .all(|m| m["rcpt_tos"][0] != "nobody@example.com"));

    // The page; a weak password is refused and the link stays usable.
    let (status, html) = page(
        &anon,
        Method::GET,
        &format!("/email/reset?token={token}"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("new_password"));
    let (status, html) = page(
        &anon,
        Method::POST,
        "/email/reset",
        &[("token", &token), ("new_password", "password1234")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let (status, html) = page(
        &anon,
        Method::POST,
        "/email/reset",
        &[("token", &token), ("new_password", NEW_PW)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("second factor is still asked"));
    // Every session ended; the link is spent.
    assert_eq!(
        own.get("/me/sessions").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = anon
        .post(
            "/password-reset/complete",
            json!({"token": token, "new_password": "another-long-passphrase-3"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_link");
    sink.wait_for("alice@example.com", "Your Tradeward password was changed")
        .await;

    // The old password is dead; the new one still stops at TOTP.
    let mut c = srv.client();
    assert_eq!(
        c.login("alice@example.com", PW).await.code(),
        "invalid_credentials"
    );
    let r = c.login("alice@example.com", NEW_PW).await;
    assert_eq!(r.json()["status"], "second_factor_required", "{}", r.body);
    assert!(c.session.is_none());
    // A wrong code is refused; the right one completes it.
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let r = c
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": "000000"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_code");
    srv.advance(30);
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.json()["status"], "authenticated", "{}", r.body);

    // An expired link: 30 minutes.
    anon.post("/password-reset", json!({"email": "alice@example.com"}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let second = loop {
        let all: Vec<_> = sink
            .messages()
            .into_iter()
            .filter(|m| m["subject"] == "Reset your Tradeward password")
            .collect();
        if all.len() == 2 {
            break all[1].clone();
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let late = link_token(second["body"].as_str().unwrap(), "reset");
    srv.advance(31 * 60);
    let r = anon
        .post(
            "/password-reset/complete",
            json!({"token": late, "new_password": "another-long-passphrase-3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(r.code(), "invalid_link");
}

#[tokio::test]
async fn an_email_change_tells_the_old_address_and_its_revert_link_works_once() {
    let sink = SmtpSink::start(None);
    let srv = mail_server(&sink, fast_config()).await;
    let alice = srv.user("alice@example.com", PW, Role::User).await;
    srv.user("taken@example.com", PW, Role::User).await;
    let mut c = srv.client();
    assert_eq!(
        c.login("alice@example.com", PW).await.json()["status"],
        "authenticated"
    );

    // Bad input first: a taken address, a malformed one, no session.
    assert_eq!(
        c.post("/me/email", json!({"email": "taken@example.com"}))
            .await
            .code(),
        "email_taken"
    );
    assert_eq!(
        c.post("/me/email", json!({"email": "no-at-sign"}))
            .await
            .code(),
        "invalid_input"
    );
    let mut anon = srv.client();
    assert_eq!(
        anon.post("/me/email", json!({"email": "x@example.com"}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Step-up: a login older than 5 minutes cannot change the address.
    srv.advance(6 * 60);
    let r = c
        .post("/me/email", json!({"email": "mallory@example.com"}))
        .await;
    assert_eq!(r.code(), "step_up_required", "{}", r.body);
    assert!(c
        .post("/me/step-up", json!({"password": PW}))
        .await
        .status
        .is_success());

    let r = c
        .post("/me/email", json!({"email": "mallory@example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        srv.store.account(alice).await.unwrap().unwrap().email,
        "mallory@example.com"
    );
    let old = sink
        .wait_for(
            "alice@example.com",
            "Your Tradeward sign-in address was changed",
        )
        .await;
    let body = old["body"].as_str().unwrap();
    assert!(body.contains("to mallory@example.com"), "{body}");
    sink.wait_for("mallory@example.com", "Your Tradeward sign-in address")
        .await;
    let token = link_token(body, "revert-email");

    // The page shows a button; the API reverts it.
    let (status, _) = page(
        &anon,
        Method::GET,
        &format!("/email/revert-email?token={token}"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        srv.store.account(alice).await.unwrap().unwrap().email,
        "mallory@example.com"
    );
    let r = anon
        .post("/email-links/revert-email", json!({"token": token}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let row = srv.store.account(alice).await.unwrap().unwrap();
    assert_eq!(row.email, "alice@example.com");
    assert!(row.must_change_password);
    assert_eq!(c.get("/me/sessions").await.status, StatusCode::UNAUTHORIZED);
    sink.wait_for(
        "alice@example.com",
        "Your Tradeward sign-in address was restored",
    )
    .await;
    // Once only.
    let r = anon
        .post("/email-links/revert-email", json!({"token": token}))
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(r.code(), "invalid_link");
    let (status, _) = page(
        &anon,
        Method::POST,
        "/email/revert-email",
        &[("token", &token)],
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    // The next login needs a new password.
    let mut c = srv.client();
    let r = c.login("alice@example.com", PW).await;
    assert_eq!(r.json()["status"], "password_change_required", "{}", r.body);
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let r = c
        .post(
            "/session/password",
            json!({"challenge": challenge, "new_password": NEW_PW}),
        )
        .await;
    assert_eq!(r.json()["status"], "authenticated", "{}", r.body);

    // A revert link expires (7 days).
    assert!(c
        .post("/me/email", json!({"email": "alice2@example.com"}))
        .await
        .status
        .is_success());
    let old = sink
        .wait_for(
            "alice@example.com",
            "Your Tradeward sign-in address was changed",
        )
        .await;
    let mails: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m["subject"] == old["subject"])
        .collect();
    let token = link_token(
        mails.last().unwrap()["body"].as_str().unwrap(),
        "revert-email",
    );
    srv.advance(8 * 24 * 3600);
    let r = anon
        .post("/email-links/revert-email", json!({"token": token}))
        .await;
    assert_eq!(r.code(), "invalid_link");
    assert_eq!(
        srv.store.account(alice).await.unwrap().unwrap().email,
        "alice2@example.com"
    );
}

#[tokio::test]
async fn open_signup_creates_the_account_only_from_the_emailed_link() {
    let sink = SmtpSink::start(None);
    let srv = mail_server(
        &sink,
        AuthConfig {
            open_signup: true,
            ..fast_config()
        },
    )
    .await;
    srv.user("taken@example.com", PW, Role::User).await;
    let mut anon = srv.client();
    let r = anon
        .post(
            "/signup",
            json!({"email": "new@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    // Taken: the same answer; the owner is told instead.
    let taken = anon
        .post(
            "/signup",
            json!({"email": "taken@example.com", "password": PW}),
        )
        .await;
    assert_eq!(
        (taken.status, taken.body.clone()),
        (r.status, r.body.clone())
    );
    sink.wait_for("taken@example.com", "Your Tradeward account")
        .await;
    // Weak passwords are refused up front.
    let weak = anon
        .post(
            "/signup",
            json!({"email": "w@example.com", "password": "password1234"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    // No account (and no login) until the link is followed.
    assert!(srv
        .store
        .account_by_email("new@example.com")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        anon.login("new@example.com", PW).await.code(),
        "invalid_credentials"
    );
    let mail = sink
        .wait_for("new@example.com", "Confirm your Tradeward account")
        .await;
    let token = link_token(mail["body"].as_str().unwrap(), "verify");
    let (status, html) = page(&anon, Method::POST, "/email/verify", &[("token", &token)]).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    let mut c = srv.client();
    assert_eq!(
        c.login("new@example.com", PW).await.json()["status"],
        "authenticated"
    );
    let r = anon.post("/signup/verify", json!({"token": token})).await;
    assert_eq!(r.code(), "invalid_link");
}

#[tokio::test]
async fn signup_is_off_by_default() {
    let sink = SmtpSink::start(None);
    let srv = mail_server(&sink, fast_config()).await;
    let mut anon = srv.client();
    let r = anon
        .post(
            "/signup",
            json!({"email": "new@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "signup_disabled");
}

#[tokio::test]
async fn mail_goes_over_starttls_when_configured() {
    // A certificate for localhost, trusted by the mailer through ca_file only.
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let tls_dir = tempfile::tempdir().unwrap();
    let (cert, key) = (
        tls_dir.path().join("cert.pem"),
        tls_dir.path().join("key.pem"),
    );
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    let sink = SmtpSink::start(Some((&cert, &key)));
    let srv = mail_server_over(&sink, fast_config(), Some(cert.clone())).await;
    srv.user("alice@example.com", PW, Role::User).await;
    let mut anon = srv.client();
    anon.post("/password-reset", json!({"email": "alice@example.com"}))
        .await;
    let mail = sink
        .wait_for("alice@example.com", "Reset your Tradeward password")
        .await;
    assert_eq!(mail["tls"], true);
}
