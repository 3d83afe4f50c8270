//! Bad input gets a clear error code and never a panic; other users' ids are not found;
//! credentials need 2FA and a fresh step-up and never come back; CSRF and Origin checks;
//! security headers; the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tradeward_auth::Role;

const PW: &str = "violet-anchor-sprocket-91";
const API_KEY: &str = "simkey-9d8c7b6a5f4e3d2c1b0a";
const API_SECRET: &str = "simsecret-0f1e2d3c4b5a69788796a5b4c3d2e1f0";

async fn logged_in(srv: &TestServer, email: &str) -> Client {
    srv.user(email, PW, Role::User).await;
    let mut c = srv.client();
    assert_eq!(c.login(email, PW).await.json()["status"], "authenticated");
    c
}

#[tokio::test]
async fn malformed_bodies_get_clear_codes() {
    let srv = sqlite_server(fast_config()).await;
    let mut c = srv.client();
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"{\"email\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            b"not json at all".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            b"{\"email\": 5, \"password\": \"x\"}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            b"{\"email\": \"a@b.c\"}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            b"[1, 2, 3]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            b"{\"email\": \"a@b.c\", \"password\": \"x\", \"admin\": true}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            vec![b'x'; 200 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            vec![0xff, 0xfe, 0x00],
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
    ];
    for (body, status, code) in cases {
        let r = c.raw(Method::POST, "/session", Some(body), &[]).await;
        assert_eq!((r.status, r.code().as_str()), (status, code), "{}", r.body);
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    // A wrong-typed field is named without echoing the value.
    let r = c
        .raw(
            Method::POST,
            "/session",
            Some(br#"{"email": "a@b.c", "password": 123456789}"#.to_vec()),
            &[],
        )
        .await;
    assert!(r.body.contains("password"), "{}", r.body);
    assert!(!r.body.contains("123456789"), "{}", r.body);
    // Not JSON at all.
    let r = c
        .raw(
            Method::POST,
            "/session",
            Some(b"email=a".to_vec()),
            &[("content-type", "application/x-www-form-urlencoded")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Unknown routes and methods.
    let r = c.get("/nope").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let r = c.call(Method::PATCH, "/session", None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    // Not signed in; a bogus bearer.
    let r = c.get("/me/sessions").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let r = c
        .raw(
            Method::GET,
            "/me/sessions",
            None,
            &[("authorization", "Bearer twp_nope")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A bad challenge.
    let r = c
        .post(
            "/session/totp",
            json!({"challenge": "twc_bogus", "code": "123456"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_challenge")
    );
    // The server still answers.
    assert_eq!(
        c.login("x@example.com", "whatever-password").await.code(),
        "invalid_credentials"
    );
}

#[tokio::test]
async fn security_headers_csrf_and_origin() {
    let srv = sqlite_server(fast_config()).await;
    let mut c = logged_in(&srv, "alice@example.com").await;
    let r = c.get("/me/sessions").await;
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(r.headers["referrer-policy"], "same-origin");
    assert!(r.headers["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    assert_eq!(r.headers["cache-control"], "no-store");

    // A cookie-authenticated change without the CSRF header is refused.
    let csrf = c.csrf.take();
    let r = c.post("/me/totp", json!({})).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "csrf_token_invalid")
    );
    c.csrf = csrf;
    let r = c
        .raw(
            Method::POST,
            "/me/totp",
            Some(b"{}".to_vec()),
            &[("x-csrf-token", "forged")],
        )
        .await;
    assert_eq!(r.code(), "csrf_token_invalid");
    // A change sent from another site is refused whatever it carries.
    let r = c
        .raw(
            Method::POST,
            "/me/totp",
            Some(b"{}".to_vec()),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "origin_mismatch")
    );
    let origin = srv.base.clone();
    let r = c
        .raw(
            Method::POST,
            "/me/totp",
            Some(b"{}".to_vec()),
            &[("origin", &origin)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The OpenAPI document describes the API.
    let r = c.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/session",
        "/api/v1/me/totp/confirm",
        "/api/v1/credentials",
        "/api/v1/admin/trading",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

#[tokio::test]
async fn credentials_need_2fa_and_step_up_and_stay_write_only() {
    let srv = sqlite_server(fast_config()).await;
    let mut alice = logged_in(&srv, "alice@example.com").await;
    let new_key = json!({
        "venue": "sim", "label": "main", "api_key": API_KEY, "api_secret": API_SECRET,
        "limits": {"allowed_symbols": ["BTC/USDT"], "max_order_notional": "1000"}
    });
    let r = alice.post("/credentials", new_key.clone()).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "second_factor_required")
    );
    let (secret, _) = enrol_totp(&srv, &mut alice).await;
    // Ten minutes later the login is no longer fresh.
    srv.advance(600);
    let r = alice.post("/credentials", new_key.clone()).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "step_up_required")
    );
    let r = alice.post("/me/step-up", json!({"password": PW})).await;
    assert_eq!(
        r.code(),
        "invalid_code",
        "a TOTP code is needed too: {}",
        r.body
    );
    let r = alice
        .post(
            "/me/step-up",
            json!({"password": "wrong-password-1", "code": "000000"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_credentials");
    let old_cookie = alice.session.clone();
    let code = pyotp_code(&secret, srv.now_secs());
    let r = alice
        .post("/me/step-up", json!({"password": PW, "code": code}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(
        alice.session, old_cookie,
        "step-up replaces the session token"
    );
    // Bad venue, bad limits.
    let mut bad = new_key.clone();
    bad["venue"] = json!("mtgox");
    assert_eq!(
        alice.post("/credentials", bad).await.code(),
        "invalid_field"
    );
    let mut bad = new_key.clone();
    bad["limits"]["max_order_notional"] = json!(1000.5);
    assert_eq!(
        alice.post("/credentials", bad).await.code(),
        "invalid_field"
    );
    let r = alice.post("/credentials", new_key.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    for field in [
        "id",
        "venue",
        "label",
        "api_key_masked",
        "permissions",
        "warnings",
    ] {
        assert!(created.get(field).is_some(), "{field} missing: {created}");
    }
    assert_eq!(created["venue"], "sim");
    assert!(
        !r.body.contains(API_SECRET) && !r.body.contains(API_KEY),
        "{}",
        r.body
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let r = alice.get("/credentials").await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["limits"]["max_order_notional"], "1000");
    assert!(!r.body.contains(API_SECRET) && !r.body.contains(API_KEY));

    // Another user sees none of it and cannot delete or revoke alice's things.
    let mut bob = logged_in(&srv, "bob@example.com").await;
    assert_eq!(bob.get("/credentials").await.json(), json!([]));
    let r = bob.delete(&format!("/credentials/{id}")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let alice_session = alice.get("/me/sessions").await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = bob.delete(&format!("/me/sessions/{alice_session}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = bob.delete("/credentials/not-a-uuid").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        alice
            .get("/credentials")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The owner can delete it.
    assert_eq!(
        alice.delete(&format!("/credentials/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        alice.delete(&format!("/credentials/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn personal_tokens_are_shown_once_and_scoped() {
    let srv = sqlite_server(fast_config()).await;
    let mut alice = logged_in(&srv, "alice@example.com").await;
    let r = alice
        .post(
            "/tokens",
            json!({"name": "bot", "scopes": ["read"], "expires_in_days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with("twp_"));
    let r = alice
        .post(
            "/tokens",
            json!({"name": "bot", "scopes": ["withdraw"], "expires_in_days": 30}),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
    );
    let r = alice
        .post(
            "/tokens",
            json!({"name": "bot", "scopes": ["read"], "expires_in_days": -1}),
        )
        .await;
    assert_eq!(r.code(), "invalid_field");
    let listed = alice.get("/tokens").await;
    assert!(!listed.body.contains(&token));
    assert_eq!(listed.json()[0]["scopes"], json!(["read"]));

    let mut script = srv.client();
    let bearer = format!("Bearer {token}");
    let r = script
        .raw(
            Method::GET,
            "/credentials",
            None,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A token cannot manage the account.
    let r = script
        .raw(
            Method::POST,
            "/me/totp",
            Some(b"{}".to_vec()),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "session_required")
    );
    assert_eq!(
        alice.delete(&format!("/tokens/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let r = script
        .raw(
            Method::GET,
            "/credentials",
            None,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
