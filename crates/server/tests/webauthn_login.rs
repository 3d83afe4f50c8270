//! WebAuthn over the real HTTP API with a software authenticator no one here wrote
//! (webauthn-authenticator-rs's `SoftToken`, a CTAP2 token with its own keys and counter):
//! registration, login, step-up and removal; an assertion replayed on a new challenge, one from
//! a cloned authenticator (its counter did not rise) and one made for another origin are all
//! refused, with no state change. The admin policy: an admin without a passkey cannot finish a
//! login (not even with TOTP), and once registered, codes no longer do for admins.
//! SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tradeward_auth::webauthn::WebauthnConfig;
use tradeward_auth::{AuthConfig, Role};
use url::Url;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, WebauthnAuthenticator,
};
use webauthn_authenticator_rs::softtoken::SoftToken;
use webauthn_authenticator_rs::AuthenticatorBackend;

const ALICE_PW: &str = "violet-anchor-sprocket-91";
const ROOT_PW: &str = "granite-harbour-lantern-57";

fn origin(srv: &TestServer) -> Url {
    Url::parse(&srv.base).unwrap()
}

fn new_token() -> SoftToken {
    // `true`: the token reports user verification (as a key with a PIN would) without asking.
    SoftToken::new(true).unwrap().0
}

/// The same authenticator, keys and counter included (what an attacker who copied a
/// software key would hold).
fn clone_token(t: &SoftToken) -> SoftToken {
    SoftToken::from_cbor(&t.to_cbor().unwrap()).unwrap()
}

/// Registers `token` from the session (or the enrolment `challenge`); returns the answer.
async fn register(
    srv: &TestServer,
    c: &mut Client,
    token: &mut SoftToken,
    challenge: Option<&str>,
) -> Value {
    let body = match challenge {
        Some(ch) => json!({"challenge": ch}),
        None => json!({}),
    };
    let r = c.post("/me/webauthn/register/begin", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ccr: CreationChallengeResponse =
        serde_json::from_value(r.json()["options"].clone()).unwrap();
    let reg = token.do_registration(origin(srv), ccr).unwrap();
    let mut body = json!({"name": "soft key", "credential": reg});
    if let Some(ch) = challenge {
        body["challenge"] = json!(ch);
    }
    let r = c.post("/me/webauthn/register/finish", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// Logs in with the password; returns the second-factor challenge and the methods offered.
async fn password_step(c: &mut Client, email: &str, pw: &str) -> (String, Value) {
    let r = c.login(email, pw).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "second_factor_required", "{}", r.body);
    (
        r.json()["challenge"].as_str().unwrap().to_owned(),
        r.json()["methods"].clone(),
    )
}

async fn begin_login(c: &mut Client, challenge: &str) -> RequestChallengeResponse {
    let r = c
        .post("/session/webauthn/begin", json!({"challenge": challenge}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_value(r.json()["options"].clone()).unwrap()
}

async fn finish_login(c: &mut Client, challenge: &str, credential: &Value) -> Exchange {
    c.post(
        "/session/webauthn/finish",
        json!({"challenge": challenge, "credential": credential}),
    )
    .await
}

fn refusals(srv: &TestServer, reason: &str) -> usize {
    srv.audit
        .events()
        .iter()
        .filter(|e| e.kind == "auth.webauthn" && e.reason.as_deref() == Some(reason))
        .count()
}

#[tokio::test]
async fn passkey_register_login_and_refusals_on_sqlite() {
    passkey_flow(sqlite_server(fast_config()).await).await;
}

#[tokio::test]
async fn passkey_register_login_and_refusals_on_postgres() {
    passkey_flow(postgres_server(fast_config()).await).await;
}

async fn passkey_flow(srv: TestServer) {
    srv.user("alice@example.com", ALICE_PW, Role::User).await;
    let mut c = srv.client();
    let r = c.login("alice@example.com", ALICE_PW).await;
    assert_eq!(r.json()["status"], "authenticated", "{}", r.body);

    // Registration from the session (no second factor yet, so no step-up needed).
    let mut token = new_token();
    let reg = register(&srv, &mut c, &mut token, None).await;
    let cred_id = reg["credential"]["id"].as_str().unwrap().to_owned();
    assert_eq!(reg["credential"]["name"], "soft key");
    // The account's first factor comes with ten recovery codes, shown once.
    let codes: Vec<String> = reg["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    let r = c.get("/me/webauthn").await;
    assert_eq!(r.json().as_array().unwrap().len(), 1, "{}", r.body);
    // A second registration now needs step-up (a stolen cookie must not add a key): past
    // the login's own five minutes, the session alone does not do.
    srv.advance(6 * 60);
    let r = c.post("/me/webauthn/register/begin", json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "step_up_required");
    c.delete("/session").await;

    // The password alone no longer logs in; the passkey does.
    srv.advance(60);
    let mut c = srv.client();
    let (challenge, methods) = password_step(&mut c, "alice@example.com", ALICE_PW).await;
    assert_eq!(methods, json!(["recovery_code", "webauthn"]));
    let rcr = begin_login(&mut c, &challenge).await;
    let assertion =
        serde_json::to_value(token.do_authentication(origin(&srv), rcr).unwrap()).unwrap();
    let r = finish_login(&mut c, &challenge, &assertion).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
    assert!(c.session.as_deref().unwrap().starts_with("tws_"));
    let r = c.get("/me/webauthn").await;
    assert!(r.json()[0]["last_used_at"].is_string(), "{}", r.body);

    // A recovery code stands in for a lost authenticator, once.
    for expected in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
        let mut cr = srv.client();
        let (ch, _) = password_step(&mut cr, "alice@example.com", ALICE_PW).await;
        let r = cr
            .post(
                "/session/recovery-code",
                json!({"challenge": ch, "code": codes[0]}),
            )
            .await;
        assert_eq!(r.status, expected, "{}", r.body);
    }

    // The same assertion replayed on a new login: it answers another challenge.
    let mut c2 = srv.client();
    let (challenge2, _) = password_step(&mut c2, "alice@example.com", ALICE_PW).await;
    let _ = begin_login(&mut c2, &challenge2).await;
    let r = finish_login(&mut c2, &challenge2, &assertion).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.code(), "invalid_webauthn_response");
    assert!(c2.session.is_none());
    assert_eq!(refusals(&srv, "wrong_challenge"), 1);
    // The ceremony was used up by that answer: even a fresh assertion needs a new begin.
    let r = finish_login(&mut c2, &challenge2, &assertion).await;
    assert_eq!(r.code(), "invalid_webauthn_response", "{}", r.body);

    // A clone of the authenticator: the original moves on, the copy's counter lags behind.
    let mut copy = clone_token(&token);
    let mut c3 = srv.client();
    let (ch3, _) = password_step(&mut c3, "alice@example.com", ALICE_PW).await;
    let rcr = begin_login(&mut c3, &ch3).await;
    let a3 = serde_json::to_value(token.do_authentication(origin(&srv), rcr).unwrap()).unwrap();
    assert_eq!(
        finish_login(&mut c3, &ch3, &a3).await.status,
        StatusCode::OK
    );
    let mut c4 = srv.client();
    let (ch4, _) = password_step(&mut c4, "alice@example.com", ALICE_PW).await;
    let rcr = begin_login(&mut c4, &ch4).await;
    let cloned = serde_json::to_value(copy.do_authentication(origin(&srv), rcr).unwrap()).unwrap();
    let r = finish_login(&mut c4, &ch4, &cloned).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.code(), "invalid_webauthn_response");
    assert!(r.body.contains("counter"), "{}", r.body);
    assert!(c4.session.is_none());
    assert_eq!(refusals(&srv, "counter_not_increased"), 1);

    // An assertion made for a look-alike origin (a phishing proxy relaying our challenge):
    // the low-level backend skips the browser's origin check, so the server must refuse.
    let mut c5 = srv.client();
    let (ch5, _) = password_step(&mut c5, "alice@example.com", ALICE_PW).await;
    let rcr = begin_login(&mut c5, &ch5).await;
    let phished = token
        .perform_auth(
            Url::parse("https://tradeward-login.example").unwrap(),
            rcr.public_key,
            60_000,
        )
        .unwrap();
    let r = finish_login(&mut c5, &ch5, &serde_json::to_value(phished).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.code(), "invalid_webauthn_response");
    assert_eq!(refusals(&srv, "wrong_origin"), 1);

    // Bad input: a wrong challenge, a malformed credential; nothing changes.
    let r = finish_login(&mut c5, "twc_not-a-challenge", &assertion).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_challenge");
    let (ch6, _) = password_step(&mut c5, "alice@example.com", ALICE_PW).await;
    let _ = begin_login(&mut c5, &ch6).await;
    let r = finish_login(&mut c5, &ch6, &json!({"id": 5, "response": "x"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.code(), "invalid_webauthn_response");
    assert!(!r.body.contains("\"x\""), "{}", r.body);
    let r = c5
        .raw(
            reqwest::Method::POST,
            "/session/webauthn/finish",
            Some(b"{\"challenge\": ".to_vec()),
            &[],
        )
        .await;
    assert_eq!(r.code(), "malformed_json");
    assert!(c5.session.is_none());
    // The original still works after all that (its counter was never moved by a refusal).
    let mut c6 = srv.client();
    let (ch7, _) = password_step(&mut c6, "alice@example.com", ALICE_PW).await;
    let rcr = begin_login(&mut c6, &ch7).await;
    let a7 = serde_json::to_value(token.do_authentication(origin(&srv), rcr).unwrap()).unwrap();
    assert_eq!(
        finish_login(&mut c6, &ch7, &a7).await.status,
        StatusCode::OK
    );

    // Removal needs step-up (five minutes after the login), and a passkey-only account steps
    // up with the passkey, never with the password alone.
    srv.advance(6 * 60);
    let r = c6.delete(&format!("/me/webauthn/{cred_id}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "step_up_required");
    let r = c6.post("/me/step-up", json!({"password": ALICE_PW})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "webauthn_required");
    let r = c6.post("/me/step-up/webauthn/begin", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rcr: RequestChallengeResponse =
        serde_json::from_value(r.json()["options"].clone()).unwrap();
    let a = serde_json::to_value(token.do_authentication(origin(&srv), rcr).unwrap()).unwrap();
    let r = c6
        .post(
            "/me/step-up/webauthn",
            json!({"password": "wrong-password-entirely", "credential": a}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.code(), "invalid_credentials");
    let r = c6
        .post(
            "/me/step-up/webauthn",
            json!({"password": ALICE_PW, "credential": a}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "ok");
    let r = c6.delete(&format!("/me/webauthn/{cred_id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = c6.get("/me/webauthn").await;
    assert_eq!(r.json(), json!([]));
    let kinds: Vec<String> = srv
        .audit
        .events()
        .iter()
        .map(|e| e.kind.to_owned())
        .collect();
    for k in [
        "auth.webauthn.register",
        "auth.webauthn",
        "auth.webauthn.remove",
    ] {
        assert!(kinds.iter().any(|x| x == k), "no {k} audit event");
    }
    // Without a factor left, the password alone logs in again.
    let mut c7 = srv.client();
    let r = c7.login("alice@example.com", ALICE_PW).await;
    assert_eq!(r.json()["status"], "authenticated", "{}", r.body);
}

fn admin_policy() -> AuthConfig {
    AuthConfig {
        webauthn: WebauthnConfig {
            require_for_admins: true,
            ..WebauthnConfig::default()
        },
        ..fast_config()
    }
}

#[tokio::test]
async fn admins_must_use_webauthn_on_sqlite() {
    admin_policy_flow(sqlite_server(admin_policy()).await).await;
}

#[tokio::test]
async fn admins_must_use_webauthn_on_postgres() {
    admin_policy_flow(postgres_server(admin_policy()).await).await;
}

async fn admin_policy_flow(srv: TestServer) {
    srv.user("root@example.com", ROOT_PW, Role::Admin).await;
    let mut c = srv.client();
    let r = c.login("root@example.com", ROOT_PW).await;
    assert_eq!(
        r.json()["status"],
        "second_factor_enrollment_required",
        "{}",
        r.body
    );
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();

    // TOTP alone does not finish an admin's login under the policy.
    let r = c.post("/me/totp", json!({"challenge": challenge})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c
        .post(
            "/me/totp/confirm",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json()["login"]["status"],
        "second_factor_enrollment_required",
        "{}",
        r.body
    );
    assert!(c.session.is_none());
    let challenge = r.json()["login"]["challenge"].as_str().unwrap().to_owned();

    // Registering a passkey with the enrolment challenge completes the login.
    let mut token = new_token();
    let reg = register(&srv, &mut c, &mut token, Some(&challenge)).await;
    assert_eq!(reg["login"]["status"], "authenticated", "{}", reg);
    assert!(c.session.is_some());
    let cred_id = reg["credential"]["id"].as_str().unwrap().to_owned();

    // Admin actions need a WebAuthn step-up: TOTP is refused for an admin now.
    srv.advance(6 * 60);
    let trading = json!({"enabled": true, "reason": "webauthn policy test"});
    let r = c
        .call(
            reqwest::Method::PUT,
            "/admin/trading",
            Some(trading.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "step_up_required");
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c
        .post("/me/step-up", json!({"password": ROOT_PW, "code": code}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "webauthn_required");
    let r = c.post("/me/step-up/webauthn/begin", json!({})).await;
    let rcr: RequestChallengeResponse =
        serde_json::from_value(r.json()["options"].clone()).unwrap();
    let a = serde_json::to_value(token.do_authentication(origin(&srv), rcr).unwrap()).unwrap();
    let r = c
        .post(
            "/me/step-up/webauthn",
            json!({"password": ROOT_PW, "credential": a}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Its only passkey cannot be removed while the policy holds.
    let r = c.delete(&format!("/me/webauthn/{cred_id}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "forbidden");
    let r = c
        .call(reqwest::Method::PUT, "/admin/trading", Some(trading))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    c.delete("/session").await;

    // Next login: only WebAuthn is offered, and a valid TOTP code is refused.
    srv.advance(60);
    let mut c = srv.client();
    let (challenge, methods) = password_step(&mut c, "root@example.com", ROOT_PW).await;
    assert_eq!(methods, json!(["webauthn"]));
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "webauthn_required");
    assert!(c.session.is_none());
    let rcr = begin_login(&mut c, &challenge).await;
    let a = serde_json::to_value(token.do_authentication(origin(&srv), rcr).unwrap()).unwrap();
    let r = finish_login(&mut c, &challenge, &a).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
}

#[tokio::test]
async fn webauthn_endpoints_are_in_the_openapi_document() {
    let srv = sqlite_server(fast_config()).await;
    let mut c = srv.client();
    let r = c.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let paths = &r.json()["paths"];
    for (path, method) in [
        ("/api/v1/session/webauthn/begin", "post"),
        ("/api/v1/session/webauthn/finish", "post"),
        ("/api/v1/me/webauthn/register/begin", "post"),
        ("/api/v1/me/webauthn/register/finish", "post"),
        ("/api/v1/me/webauthn", "get"),
        ("/api/v1/me/webauthn/{id}", "delete"),
        ("/api/v1/me/step-up/webauthn/begin", "post"),
        ("/api/v1/me/step-up/webauthn", "post"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
    }
}
