//! The incident drill (threat model, "Forensics" and "Incident response"; issue 7), on SQLite
//! and PostgreSQL, with the real processes: `tradeward signer` on a Unix socket, `tradeward
//! serve` (web tier without the exchange KEK) over TLS, and the `tradeward` CLI.
//!
//! The attack: credential stuffing from one address (wrong passwords, an unknown account), the
//! victim's password known from another site used from a new address and stopped at the
//! second factor, then a full login from that address with a phished recovery code, an
//! exchange key added from that session, and withdrawals asked of the signer (as code running
//! in the web tier would) and refused. `tradeward audit report` must name each step with the
//! right counts. Then `tradeward admin lockdown`: no order can be signed, every session and
//! personal token is dead, every user must set a new password, and the report's counts match
//! what the drill did. A second lockdown changes nothing; `audit verify` still passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tradeward_domain::{CredentialId, UserId};
use tradeward_signer::remote::{RemoteSigner, SignerApi};
use tradeward_signer::schemes::{HttpMethod, UnsignedRequest};
use tradeward_signer::{CallContext, SignerError};

const ALICE_PW: &str = "violet-anchor-sprocket-91";
const BOB_PW: &str = "quartz-lantern-meadow-27";
const CAROL_PW: &str = "copper-thistle-harbor-58";
const ROOT_PW: &str = "marble-falcon-orchard-33";
const ROOT_NEW_PW: &str = "saffron-glacier-beacon-64";
const WITHDRAWALS: usize = 5;

/// A child process killed when the test ends, whatever happens.
struct Proc {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Deployment {
    root: tempfile::TempDir,
    database_url: Option<String>,
}

impl Deployment {
    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tradeward"));
        c.env_remove("TRADEWARD_CONFIG")
            .env_remove("TRADEWARD_SIGNER_SOCKET")
            .env_remove("TRADEWARD_DATABASE_URL");
        if let Some(url) = &self.database_url {
            c.env("TRADEWARD_DATABASE_URL", url);
        }
        c
    }

    /// Runs `tradeward ARGS --data-dir DIR`, with `stdin` as standard input.
    fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = self.command();
        c.args(args)
            .arg("--data-dir")
            .arg(self.data())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    fn cli_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli(args, stdin);
        assert!(
            out.status.success(),
            "tradeward {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn spawn(&self, args: &[&str], extra_env: &[(&str, &Path)]) -> Proc {
        let mut c = self.command();
        c.args(args)
            .arg("--data-dir")
            .arg(self.data())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in extra_env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        // Drained for as long as the process lives, so its logs never block it.
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Proc { child, stderr }
    }
}

async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..1500 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A browser-like client: the session and CSRF cookies, from a chosen local address.
struct Client {
    http: reqwest::Client,
    base: String,
    session: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl Client {
    fn new(pem: &[u8], port: u16, from: &str, agent: &str) -> Self {
        let http = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap())
            .local_address(from.parse::<IpAddr>().unwrap())
            .user_agent(agent)
            .build()
            .unwrap();
        Self {
            http,
            base: format!("https://localhost:{port}/api/v1"),
            session: None,
            csrf: None,
            bearer: None,
        }
    }

    async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
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
            req = req.header("x-csrf-token", c.as_str());
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let value = (!value.is_empty()).then(|| value.to_owned());
            match name {
                "__Host-tradeward_session" => self.session = value,
                "__Host-tradeward_csrf" => self.csrf = value,
                _ => {}
            }
        }
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, body }
    }

    async fn post(&mut self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn login(&mut self, email: &str, password: &str) -> Answer {
        self.post("/session", json!({"email": email, "password": password}))
            .await
    }
}

/// The TOTP code now, computed by an independent implementation (PyOTP).
fn totp_now(secret: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, pyotp; print(pyotp.TOTP(sys.argv[1]).now())",
            secret,
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

/// A six-digit code that is not the current one (nor its neighbours).
fn wrong_code(secret: &str) -> String {
    let right: u32 = totp_now(secret).parse().unwrap();
    format!("{:06}", (right + 500_000) % 1_000_000)
}

fn report_json(d: &Deployment, since: &str) -> Value {
    let out = d.cli_ok(&["audit", "report", "--since", since, "--json"], None);
    serde_json::from_str(&out).unwrap()
}

fn trade_request() -> UnsignedRequest {
    UnsignedRequest::new(HttpMethod::Post, "/api/v3/order")
        .with_query("symbol", "BTCUSDT")
        .with_query("side", "BUY")
        .with_query("type", "LIMIT")
        .with_query("timeInForce", "GTC")
        .with_query("quantity", "0.001")
        .with_query("price", "50000")
}

async fn drill(database_url: Option<String>) {
    let d = Deployment {
        root: tempfile::tempdir().unwrap(),
        database_url,
    };
    let started = tradeward_audit::report::rfc3339(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_micros(),
        )
        .unwrap()
            - 1_000_000,
    );

    // Provisioning, by the operator.
    for (email, pw) in [
        ("alice@example.com", ALICE_PW),
        ("bob@example.com", BOB_PW),
        ("carol@example.com", CAROL_PW),
    ] {
        d.cli_ok(
            &[
                "admin",
                "user",
                "create",
                "--email",
                email,
                "--password-stdin",
            ],
            Some(pw),
        );
    }

    d.cli_ok(
        &[
            "admin",
            "user",
            "create",
            "--email",
            "root@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(ROOT_PW),
    );

    // The signer in its own process; the web tier reaches it over the socket.
    let socket = d.root.path().join("signer.sock");
    let _signer = d.spawn(&["signer", "--socket", socket.to_str().unwrap()], &[]);
    wait_for("the signer socket", || socket.exists().then_some(())).await;
    let config = d.root.path().join("serve.toml");
    std::fs::write(&config, "[server]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    let serve = d.spawn(
        &["serve", "--config", config.to_str().unwrap()],
        &[("TRADEWARD_SIGNER_SOCKET", &socket)],
    );
    let port: u16 = wait_for("the server to listen", || {
        let log = serve.stderr.lock().unwrap().clone();
        log.lines().find_map(|l| {
            let rest = l.split("listening on https://").nth(1)?;
            let addr = rest.split_whitespace().next()?;
            addr.rsplit(':').next()?.parse().ok()
        })
    })
    .await;
    let pem = std::fs::read(d.root.path().join("data.tls/cert.pem")).unwrap();

    // Normal life: alice logs in at home and enrols TOTP; bob logs in and makes a token.
    let mut alice = Client::new(&pem, port, "127.0.0.1", "firefox/120");
    let r = alice.login("alice@example.com", ALICE_PW).await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.body);
    let r = alice.post("/me/totp", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let r = alice
        .post("/me/totp/confirm", json!({"code": totp_now(&secret)}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let recovery: Vec<String> = r.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let mut bob = Client::new(&pem, port, "127.0.0.1", "safari/17");
    assert_eq!(
        bob.login("bob@example.com", BOB_PW).await.body["status"],
        "authenticated"
    );
    let r = bob
        .post(
            "/tokens",
            json!({"name": "script", "scopes": ["read"], "expires_in_days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut bob_script = Client::new(&pem, port, "127.0.0.1", "script/1");
    bob_script.bearer = Some(r.body["token"].as_str().unwrap().to_owned());
    assert_eq!(bob_script.get("/credentials").await.status, StatusCode::OK);

    // The administrator signs in, enrolling TOTP during the login as admins must.
    let mut root = Client::new(&pem, port, "127.0.0.1", "admin-console/1");
    let r = root.login("root@example.com", ROOT_PW).await;
    assert_eq!(
        r.body["status"], "second_factor_enrollment_required",
        "{}",
        r.body
    );
    let challenge = r.body["challenge"].as_str().unwrap().to_owned();
    let r = root.post("/me/totp", json!({"challenge": challenge})).await;
    let root_secret = r.body["secret"].as_str().unwrap().to_owned();
    let r = root
        .post(
            "/me/totp/confirm",
            json!({"challenge": challenge, "code": totp_now(&root_secret)}),
        )
        .await;
    assert_eq!(r.body["login"]["status"], "authenticated", "{}", r.body);
    let root_recovery: Vec<String> = r.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();

    // Step 1: credential stuffing from 127.0.0.3 over every account and one that is not.
    let mut botnet = Client::new(&pem, port, "127.0.0.3", "stuffer/0.1");
    for email in [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ] {
        let r = botnet.login(email, "Summer2024!-from-a-leak").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }

    // Step 2: alice's password from another site, from a new address: stopped at 2FA.
    let mut attacker = Client::new(&pem, port, "127.0.0.2", "attack-bot/1.0");
    let r = attacker.login("alice@example.com", ALICE_PW).await;
    assert_eq!(r.body["status"], "second_factor_required", "{}", r.body);
    let challenge = r.body["challenge"].as_str().unwrap().to_owned();
    let r = attacker
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": wrong_code(&secret)}),
        )
        .await;
    assert_ne!(r.status, StatusCode::OK, "{}", r.body);
    assert!(attacker.session.is_none());

    // Step 3: with a phished recovery code the login completes, from the new address.
    let r = attacker.login("alice@example.com", ALICE_PW).await;
    let challenge = r.body["challenge"].as_str().unwrap().to_owned();
    let r = attacker
        .post(
            "/session/recovery-code",
            json!({"challenge": challenge, "code": recovery[0]}),
        )
        .await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.body);
    let attacker_session = r.body["session_id"].as_str().unwrap().to_owned();

    // Step 4: an exchange key added from that session.
    let r = attacker
        .post(
            "/credentials",
            json!({"venue": "sim", "label": "mine now", "api_key": "sim-key-0123456789abcdef",
                   "api_secret": "sim-secret-0123456789abcdef"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let key: CredentialId = r.body["id"].as_str().unwrap().parse().unwrap();
    let alice_user: UserId = {
        // The key's owner as the log records it (the API does not show user ids).
        let report = report_json(&d, &started);
        report["credentials"][0]["user_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };

    // Step 5: code in the web tier asks the signer for withdrawals with that key.
    let signer = RemoteSigner::connect(&socket, 1).await.unwrap();
    let ctx = CallContext {
        component: "web".into(),
        user_id: Some(alice_user),
        session_id: Some(attacker_session.clone()),
        source_addr: Some("127.0.0.2".into()),
    };
    // Until now an order would be signed.
    signer.sign(&ctx, key, &trade_request()).await.unwrap();
    for _ in 0..WITHDRAWALS {
        let refused = signer
            .sign(
                &ctx,
                key,
                &UnsignedRequest::new(HttpMethod::Post, "/sapi/v1/capital/withdraw/apply")
                    .with_query("coin", "BTC")
                    .with_query("address", "bc1qattacker")
                    .with_query("amount", "1"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, SignerError::Remote { code, .. } if code == "forbidden_endpoint_class"),
            "{refused:?}"
        );
    }
    // The burst tripped automatic containment: alice's trading is off before anyone acted.
    let refused = signer.sign(&ctx, key, &trade_request()).await.unwrap_err();
    assert!(
        matches!(&refused, SignerError::Remote { code, .. } if code == "trading_disabled_for_user"),
        "{refused:?}"
    );

    // The report names each step, with counts.
    let text = d.cli_ok(&["audit", "report", "--since", &started], None);
    for needle in [
        "failed login for alice@example.com from 127.0.0.3: wrong password",
        "failed login for dave@example.com from 127.0.0.3: unknown account",
        &format!("correct password for user {alice_user} from 127.0.0.2 but no session followed"),
        &format!("wrong TOTP code for user {alice_user} from 127.0.0.2"),
        &format!("login of user {alice_user} from a new address 127.0.0.2 (before: 127.0.0.1)"),
        &format!("login of user {alice_user} from 127.0.0.2 with a new device (user agent \"attack-bot/1.0\")"),
        &format!("exchange key {key} (sim "),
        &format!("added for user {alice_user} from 127.0.0.2 by session {attacker_session}"),
        "signer refused a withdrawal attempt POST /sapi/v1/capital/withdraw/apply",
        "endpoint class Withdraw is never signed",
        &format!("[x{WITHDRAWALS} until"),
        &format!("burst of {WITHDRAWALS} signer refusals for key {key}"),
        "127.0.0.3",
        "CREDENTIAL STUFFING",
        "No secret was decrypted outside normal signing",
        &format!(
            "automatic containment: trading disabled for user {alice_user} after {WITHDRAWALS} \
             signer refusals within 60 s (key {key})"
        ),
    ] {
        assert!(text.contains(needle), "report lacks {needle:?}:\n{text}");
    }
    let report = report_json(&d, &started);
    let c = &report["counts"];
    assert_eq!(c["failed_logins"], 4, "{c}");
    assert_eq!(c["wrong_passwords"], 3, "{c}");
    assert_eq!(c["unknown_accounts"], 1, "{c}");
    assert_eq!(c["correct_password_no_session"], 1, "{c}");
    assert_eq!(c["second_factor_failures"], 1, "{c}");
    assert_eq!(c["stuffing_addresses"], 1, "{c}");
    assert_eq!(c["logins"], 4, "{c}");
    assert_eq!(c["first_logins"], 3, "{c}");
    assert_eq!(c["logins_from_new_address"], 1, "{c}");
    assert_eq!(c["logins_from_new_device"], 1, "{c}");
    assert_eq!(c["credentials_added"], 1, "{c}");
    assert_eq!(c["signer_refusals"], WITHDRAWALS + 1, "{c}");
    assert_eq!(c["containments"], 1, "{c}");
    assert_eq!(c["refused_withdrawals"], WITHDRAWALS, "{c}");
    assert_eq!(c["refusal_bursts"], 1, "{c}");
    assert_eq!(c["signatures"], 1, "{c}");
    assert_eq!(c["lockdowns"], 0, "{c}");

    // The admin console reads the same log through the API, filtered.
    let r = root.get("/admin/audit?kind=signer.refuse&limit=1000").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let refusals: Vec<&Value> = r.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["class"] == "withdraw")
        .collect();
    assert_eq!(refusals.len(), WITHDRAWALS, "{}", r.body);
    assert_eq!(r.body["entries"].as_array().unwrap().len(), WITHDRAWALS + 1);
    for e in refusals {
        assert_eq!(e["credential_id"], key.to_string());
        assert_eq!(e["source_addr"], "127.0.0.2");
        assert_eq!(e["detail"]["class"], "withdraw");
        assert!(e["reason"].as_str().unwrap().contains("never signed"));
    }
    assert!(r.body["next_after_seq"].is_null());
    let r = root
        .get(&format!(
            "/admin/audit?user_id={alice_user}&kind=credential.add&since={started}"
        ))
        .await;
    let added = r.body["entries"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{}", r.body);
    assert_eq!(added[0]["session_id"], attacker_session.as_str());
    // Pages: two at a time, each continuing after the last.
    let r = root.get("/admin/audit?kind=auth.login&limit=2").await;
    let first = r.body["entries"].as_array().unwrap().clone();
    assert_eq!(first.len(), 2);
    let next = r.body["next_after_seq"].as_i64().unwrap();
    assert_eq!(next, first[1]["seq"].as_i64().unwrap());
    let r = root
        .get(&format!(
            "/admin/audit?kind=auth.login&limit=2&after_seq={next}"
        ))
        .await;
    assert!(r.body["entries"][0]["seq"].as_i64().unwrap() > next);
    // Bad filters are named; users and tokens are turned away.
    for (q, field) in [
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("until=5w", "until"),
        ("colour=red", "query"),
    ] {
        let r = root.get(&format!("/admin/audit?{q}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.body
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{q}: {}",
            r.body
        );
    }
    assert_eq!(
        alice.get("/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob_script.get("/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );

    let api = root.get("/openapi.json").await.body;
    for path in ["/api/v1/admin/audit", "/api/v1/admin/lockdown"] {
        assert!(
            api["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }

    // The response: one command.
    let out = d.cli_ok(
        &["admin", "lockdown", "--reason", "drill: alice's key abused"],
        None,
    );
    for needle in [
        "trading: disabled for all accounts (was enabled)",
        "all 4 users must set a new password at next login (4 newly required)",
        "sessions revoked: 4",
        "personal tokens revoked: 1",
    ] {
        assert!(
            out.contains(needle),
            "lockdown output lacks {needle:?}:\n{out}"
        );
    }

    // No order can be signed (the separate signer re-reads the switch within 250 ms).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = signer.sign(&ctx, key, &trade_request()).await.unwrap_err();
    assert!(
        matches!(&refused, SignerError::Remote { code, .. } if code == "trading_disabled_globally"),
        "{refused:?}"
    );
    // Every session and token is dead.
    for (who, c) in [
        ("alice", &mut alice),
        ("bob", &mut bob),
        ("attacker", &mut attacker),
        ("root", &mut root),
        ("bob's token", &mut bob_script),
    ] {
        let r = c.get("/credentials").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{who}: {}", r.body);
    }
    // Every user must set a new password (alice after her second factor).
    let mut fresh = Client::new(&pem, port, "127.0.0.1", "firefox/120");
    for (email, pw) in [("bob@example.com", BOB_PW), ("carol@example.com", CAROL_PW)] {
        let r = fresh.login(email, pw).await;
        assert_eq!(
            r.body["status"], "password_change_required",
            "{email}: {}",
            r.body
        );
    }
    let r = fresh.login("alice@example.com", ALICE_PW).await;
    assert_eq!(r.body["status"], "second_factor_required", "{}", r.body);
    let r = fresh
        .post(
            "/session/recovery-code",
            json!({"challenge": r.body["challenge"], "code": recovery[1]}),
        )
        .await;
    assert_eq!(r.body["status"], "password_change_required", "{}", r.body);
    assert!(fresh.session.is_none());

    // The report's counts match what the drill did.
    let report = report_json(&d, &started);
    let c = &report["counts"];
    assert_eq!(c["lockdowns"], 1, "{c}");
    assert_eq!(c["sessions_revoked"], 4, "{c}");
    assert_eq!(c["tokens_revoked"], 1, "{c}");
    assert_eq!(c["users_forced_to_reset"], 4, "{c}");
    assert_eq!(c["trading_switch_changes"], 2, "{c}");
    assert_eq!(c["containments"], 1, "{c}");
    assert_eq!(c["signer_refusals"], WITHDRAWALS + 2, "{c}");
    assert_eq!(c["refused_withdrawals"], WITHDRAWALS, "{c}");
    assert_eq!(c["failed_logins"], 4, "{c}");
    assert_eq!(c["logins_from_new_address"], 1, "{c}");
    assert_eq!(c["credentials_added"], 1, "{c}");
    let steps = report["steps"].as_array().unwrap();
    let lockdown = steps
        .iter()
        .find(|s| s["category"] == "lockdown")
        .expect("the lockdown is a step");
    assert!(lockdown["summary"]
        .as_str()
        .unwrap()
        .contains("reason: drill: alice's key abused"));
    let after = steps
        .iter()
        .find(|s| {
            s["category"] == "signer_refusal"
                && s["summary"]
                    .as_str()
                    .unwrap()
                    .contains("for the whole deployment")
        })
        .expect("the refused order is a step");
    assert!(after["summary"]
        .as_str()
        .unwrap()
        .contains("trading is disabled for the whole deployment"));

    // The admin console's lockdown (after the admin's own forced password change): audited
    // like the CLI's; by now it only re-forces the admin who just changed theirs.
    let mut root = Client::new(&pem, port, "127.0.0.1", "admin-console/1");
    let r = root.login("root@example.com", ROOT_PW).await;
    let r = root
        .post(
            "/session/recovery-code",
            json!({"challenge": r.body["challenge"], "code": root_recovery[0]}),
        )
        .await;
    assert_eq!(r.body["status"], "password_change_required", "{}", r.body);
    let r = root
        .post(
            "/session/password",
            json!({"challenge": r.body["challenge"], "new_password": ROOT_NEW_PW}),
        )
        .await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.body);
    let r = root.post("/admin/lockdown", json!({"reason": " "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        fresh
            .post("/admin/lockdown", json!({"reason": "x"}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = root
        .post("/admin/lockdown", json!({"reason": "console drill"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["trading_was_enabled"], false);
    assert_eq!(r.body["users"], 4);
    assert_eq!(r.body["users_newly_forced"], 1);
    assert_eq!(r.body["sessions_revoked"], 1);
    assert_eq!(
        root.get("/admin/trading").await.status,
        StatusCode::UNAUTHORIZED,
        "the admin's own session ended too"
    );

    // Idempotent: a second lockdown changes nothing and says so.
    let out = d.cli_ok(&["admin", "lockdown", "--reason", "again", "--json"], None);
    let again: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(again["trading_was_enabled"], false);
    assert_eq!(again["users_newly_forced"], 0);
    assert_eq!(again["sessions_revoked"], 0);
    assert_eq!(again["tokens_revoked"], 0);
    let report = report_json(&d, &started);
    let c = &report["counts"];
    assert_eq!(c["users_forced_to_reset"], 5, "{c}");
    assert_eq!(c["sessions_revoked"], 5, "{c}");
    assert_eq!(c["lockdowns"], 3, "{c}");
    let lockdowns: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["category"] == "lockdown")
        .map(|s| s["summary"].as_str().unwrap())
        .collect();
    assert!(
        lockdowns[1].contains("by admin ") && lockdowns[1].contains("from 127.0.0.1"),
        "{lockdowns:?}"
    );

    // A bad reason is refused with a one-line error and changes nothing.
    let out = d.cli(&["admin", "lockdown", "--reason", "  "], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reason"));

    // Each step is undone on its own: trading back on for the deployment (alice is still
    // contained), then for alice.
    d.cli_ok(
        &["admin", "trading", "enable", "--reason", "incident closed"],
        None,
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = signer.sign(&ctx, key, &trade_request()).await.unwrap_err();
    assert!(
        matches!(&refused, SignerError::Remote { code, .. } if code == "trading_disabled_for_user"),
        "{refused:?}"
    );
    let out = d.cli_ok(
        &[
            "admin",
            "trading",
            "enable",
            "--email",
            "alice@example.com",
            "--reason",
            "key removed, reviewed",
        ],
        None,
    );
    assert!(
        out.contains(&format!("trading enabled for user {alice_user}")),
        "{out}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    signer.sign(&ctx, key, &trade_request()).await.unwrap();

    // And the log the report was read from has not been edited.
    d.cli_ok(&["audit", "checkpoint"], None);
    let verify = d.cli_ok(&["audit", "verify"], None);
    assert!(verify.contains("audit log OK"), "{verify}");
}

#[tokio::test]
async fn drill_sqlite() {
    drill(None).await;
}

#[tokio::test]
async fn drill_postgres() {
    let url = tradeward_store::testing::fresh_postgres_url()
        .await
        .expect("PostgreSQL must be reachable for the suite");
    drill(Some(url)).await;
}
