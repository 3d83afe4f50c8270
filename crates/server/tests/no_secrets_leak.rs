//! No response, header or log line carries a password, TOTP seed, recovery code, session
//! token, personal token or exchange secret, except the one answer that hands each to its
//! owner (the seed at enrolment, the codes at confirmation, the session token in Set-Cookie,
//! the personal token at creation). Logs carry none of them, at any level.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use tradeward_auth::Role;

const PW: &str = "violet-anchor-sprocket-91";
const NEW_PW: &str = "quartz-lantern-meadow-27";
const API_KEY: &str = "simkey-9d8c7b6a5f4e3d2c1b0a";
const API_SECRET: &str = "simsecret-0f1e2d3c4b5a69788796a5b4c3d2e1f0";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_appear_only_where_they_are_handed_over() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .unwrap();

    let srv = sqlite_server(fast_config()).await;
    srv.user("alice@example.com", PW, Role::User).await;
    let mut c = srv.client();
    c.login("alice@example.com", PW).await;
    let first_session = c.session.clone().unwrap();
    let (seed, recovery) = enrol_totp(&srv, &mut c).await;
    let code = pyotp_code(&seed, srv.now_secs() + 30);
    srv.advance(30);
    c.post("/me/step-up", json!({"password": PW, "code": code}))
        .await;
    let stepped_session = c.session.clone().unwrap();
    let r = c
        .post(
            "/credentials",
            json!({"venue": "sim", "label": "k", "api_key": API_KEY, "api_secret": API_SECRET}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = c
        .post(
            "/tokens",
            json!({"name": "bot", "scopes": ["read", "trade"], "expires_in_days": 7}),
        )
        .await;
    let personal = r.json()["token"].as_str().unwrap().to_owned();
    c.get("/credentials").await;
    c.get("/me/sessions").await;
    c.get("/tokens").await;
    // Failures echo nothing either: a wrong password, a misplaced secret, a bad step-up.
    let mut other = srv.client();
    other.login("alice@example.com", "not-the-password-9").await;
    other
        .raw(
            reqwest::Method::POST,
            "/session",
            Some(format!(r#"{{"email": ["{API_SECRET}"], "password": "{PW}"}}"#).into_bytes()),
            &[],
        )
        .await;
    c.post(
        "/me/step-up",
        json!({"password": NEW_PW, "code": recovery[0]}),
    )
    .await;
    // A login with a recovery code, and a forced password change.
    srv.advance(60);
    let mut d = srv.client();
    let challenge = d.login("alice@example.com", PW).await.json()["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    d.post(
        "/session/recovery-code",
        json!({"challenge": challenge, "code": recovery[1]}),
    )
    .await;
    srv.auth
        .force_password_reset_all(&tradeward_auth::Actor::Cli, srv.clock_now())
        .await
        .unwrap();
    srv.advance(60);
    let mut e = srv.client();
    let challenge = e.login("alice@example.com", PW).await.json()["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = pyotp_code(&seed, srv.now_secs());
    let r = e
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    e.post(
        "/session/password",
        json!({"challenge": challenge, "new_password": NEW_PW}),
    )
    .await;
    assert!(e.session.is_some());
    let last_session = e.session.clone().unwrap();

    let sessions = [first_session, stepped_session, last_session];
    let everywhere: Vec<&str> = [PW, NEW_PW, API_KEY, API_SECRET]
        .into_iter()
        .chain(std::iter::once(seed.as_str()))
        .chain(recovery.iter().map(String::as_str))
        .chain(sessions.iter().map(String::as_str))
        .chain(std::iter::once(personal.as_str()))
        .collect();

    // Logs: none of them, ever.
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("request"), "the request log is captured");
    for s in &everywhere {
        assert!(!logs.contains(s), "a secret reached the log");
    }
    // The audit log neither.
    let audit = format!("{:?}", srv.audit.events());
    for s in &everywhere {
        assert!(!audit.contains(s), "a secret reached the audit log");
    }

    // Responses: each secret only in the answer that hands it over.
    for ex in c.log.iter().chain(&other.log).chain(&d.log).chain(&e.log) {
        let mut headers = String::new();
        for (k, v) in &ex.headers {
            if k != "set-cookie" {
                headers.push_str(&format!("{k}: {v:?}\n"));
            }
        }
        let cookies = ex.set_cookies().join("\n");
        for s in [PW, NEW_PW, API_KEY, API_SECRET] {
            assert!(!ex.body.contains(s) && !headers.contains(s) && !cookies.contains(s));
        }
        for s in &sessions {
            assert!(!ex.body.contains(s.as_str()) && !headers.contains(s.as_str()));
        }
        let hands_seed = ex.path == "/me/totp";
        assert_eq!(
            ex.body.contains(&seed),
            hands_seed && ex.status == StatusCode::OK
        );
        let hands_codes = ex.path == "/me/totp/confirm";
        for code in &recovery {
            assert!(!ex.body.contains(code.as_str()) || hands_codes);
            assert!(!headers.contains(code.as_str()) && !cookies.contains(code.as_str()));
        }
        let hands_token = ex.path == "/tokens" && ex.status == StatusCode::CREATED;
        assert_eq!(ex.body.contains(&personal), hands_token);
    }
}
