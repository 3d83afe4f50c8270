//! TOTP over the real HTTP API: enrolment from a session and from a login that must enrol,
//! logins completed with codes computed by PyOTP (an independent implementation), a code
//! refused the second time, a recovery code that works once. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use tradeward_auth::Role;

const ALICE_PW: &str = "violet-anchor-sprocket-91";

#[tokio::test]
async fn totp_and_recovery_codes_on_sqlite() {
    totp_flow(sqlite_server(fast_config()).await).await;
}

#[tokio::test]
async fn totp_and_recovery_codes_on_postgres() {
    totp_flow(postgres_server(fast_config()).await).await;
}

async fn totp_flow(srv: TestServer) {
    srv.user("alice@example.com", ALICE_PW, Role::User).await;
    let mut c = srv.client();
    let r = c.login("alice@example.com", ALICE_PW).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
    let cookie = &r.set_cookies()[0];
    for attr in [
        "__Host-tradeward_session=tws_",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    let (secret, recovery) = enrol_totp(&srv, &mut c).await;
    let r = c.delete("/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(c.session.is_none());

    // The password alone no longer logs in (S3).
    srv.advance(60);
    let mut c = srv.client();
    let r = c.login("alice@example.com", ALICE_PW).await;
    assert_eq!(r.json()["status"], "second_factor_required");
    assert_eq!(r.json()["methods"], json!(["totp", "recovery_code"]));
    assert!(c.session.is_none());
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
    assert!(c.session.as_deref().unwrap().starts_with("tws_"));
    let r = c.get("/me/sessions").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["current"], true);

    // The same code, in the same 30 s step, is refused on a new login.
    let mut c2 = srv.client();
    let r = c2.login("alice@example.com", ALICE_PW).await;
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let r = c2
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.code(), "invalid_code");
    assert!(c2.session.is_none());

    // A recovery code works once.
    let r = c2
        .post(
            "/session/recovery-code",
            json!({"challenge": challenge, "code": recovery[3]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
    let mut c3 = srv.client();
    let r = c3.login("alice@example.com", ALICE_PW).await;
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let r = c3
        .post(
            "/session/recovery-code",
            json!({"challenge": challenge, "code": recovery[3]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_code");
    // A later TOTP step works on the same challenge.
    srv.advance(30);
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c3
        .post(
            "/session/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
}

/// Administrators must enrol a second factor: their first login enrols by challenge and the
/// confirmation completes the login with the cookie set.
#[tokio::test]
async fn enrolment_by_challenge_completes_the_login() {
    let srv = sqlite_server(fast_config()).await;
    srv.user("root@example.com", ALICE_PW, Role::Admin).await;
    let mut c = srv.client();
    let r = c.login("root@example.com", ALICE_PW).await;
    assert_eq!(
        r.json()["status"],
        "second_factor_enrollment_required",
        "{}",
        r.body
    );
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    // Without the challenge or a session, enrolment is refused.
    let r = c.post("/me/totp", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c.post("/me/totp", json!({"challenge": challenge})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let wrong = format!(
        "{:06}",
        (pyotp_code(&secret, srv.now_secs()).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let r = c
        .post(
            "/me/totp/confirm",
            json!({"challenge": challenge, "code": wrong}),
        )
        .await;
    assert_eq!(r.code(), "invalid_code");
    let code = pyotp_code(&secret, srv.now_secs());
    let r = c
        .post(
            "/me/totp/confirm",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(r.json()["login"]["status"], "authenticated");
    assert!(c.session.is_some());
    let r = c.get("/admin/trading").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["enabled"], true);
}
