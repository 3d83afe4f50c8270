//! Forced resets revoke live sessions and route the next login through a new password;
//! credential stuffing slows the attacked account and address but not other users (S9);
//! unknown and known emails get the same answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use tradeward_auth::Role;

const PW: &str = "violet-anchor-sprocket-91";
const NEW_PW: &str = "quartz-lantern-meadow-27";

#[tokio::test]
async fn forced_reset_for_all_revokes_sessions_and_requires_a_new_password() {
    let srv = sqlite_server(fast_config()).await;
    srv.user("alice@example.com", PW, Role::User).await;
    srv.user("root@example.com", PW, Role::Admin).await;
    let mut alice = srv.client();
    assert_eq!(
        alice.login("alice@example.com", PW).await.json()["status"],
        "authenticated"
    );
    assert_eq!(alice.get("/me/sessions").await.status, StatusCode::OK);

    // The admin logs in (enrolling TOTP, as admins must) and forces a reset for everyone.
    let mut root = srv.client();
    let r = root.login("root@example.com", PW).await;
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let secret = root
        .post("/me/totp", json!({"challenge": challenge}))
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = pyotp_code(&secret, srv.now_secs());
    let r = root
        .post(
            "/me/totp/confirm",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.json()["login"]["status"], "authenticated", "{}", r.body);
    // A user is not an admin.
    let r = alice
        .post("/admin/force-password-reset", json!({"all": true}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");
    // Neither both nor none of all / user_id.
    let r = root.post("/admin/force-password-reset", json!({})).await;
    assert_eq!(r.code(), "invalid_field");
    let r = root
        .post("/admin/force-password-reset", json!({"all": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["users"], 2);
    assert!(r.json()["sessions_revoked"].as_u64().unwrap() >= 2);

    // Live sessions are gone, the admin's own included.
    let r = alice.get("/me/sessions").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthenticated");
    assert_eq!(
        root.get("/admin/trading").await.status,
        StatusCode::UNAUTHORIZED
    );

    // The old password now only opens a password change; the new one must differ.
    let mut alice = srv.client();
    let r = alice.login("alice@example.com", PW).await;
    assert_eq!(r.json()["status"], "password_change_required", "{}", r.body);
    assert!(alice.session.is_none());
    let challenge = r.json()["challenge"].as_str().unwrap().to_owned();
    let r = alice
        .post(
            "/session/password",
            json!({"challenge": challenge, "new_password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "password_reused");
    let r = alice
        .post(
            "/session/password",
            json!({"challenge": challenge, "new_password": "password123456"}),
        )
        .await;
    assert_eq!(r.code(), "password_common");
    let r = alice
        .post(
            "/session/password",
            json!({"challenge": challenge, "new_password": NEW_PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
    assert_eq!(alice.get("/me/sessions").await.status, StatusCode::OK);
    // From now on the new password logs in directly and the old one fails.
    let mut again = srv.client();
    assert_eq!(
        again.login("alice@example.com", NEW_PW).await.json()["status"],
        "authenticated"
    );
    let r = srv.client().login("alice@example.com", PW).await;
    assert_eq!(r.code(), "invalid_credentials");
}

#[tokio::test]
async fn stuffing_slows_the_account_and_address_but_not_other_users() {
    let srv = sqlite_server(fast_config()).await;
    srv.user("alice@example.com", PW, Role::User).await;
    srv.user("bob@example.com", PW, Role::User).await;

    // Same answer for a known and an unknown email (fresh addresses, nothing throttled).
    let known = srv
        .client_from("127.0.0.5")
        .login("alice@example.com", "wrong-password-123")
        .await;
    let unknown = srv
        .client_from("127.0.0.6")
        .login("nobody@example.com", "wrong-password-123")
        .await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(known.code(), "invalid_credentials");

    let mut attacker = srv.client_from("127.0.0.2");
    let mut last = None;
    for i in 0..50 {
        if let Some(wait) = last
            .as_ref()
            .and_then(|r: &Exchange| r.headers.get("retry-after"))
        {
            srv.advance(wait.to_str().unwrap().parse().unwrap());
        }
        let r = attacker
            .login("alice@example.com", &format!("guess-number-{i:04}"))
            .await;
        assert!(
            matches!(
                r.status,
                StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
            ),
            "{}",
            r.body
        );
        // A patient attacker waits out each delay, so every guess is really checked (and
        // counted against the address too).
        last = Some(r);
    }
    let last = last.unwrap();
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    // The delay has grown to the ceiling (15 min by default).
    assert_eq!(last.headers["retry-after"], "900");
    assert_eq!(last.code(), "throttled");
    assert!(last.headers.get("retry-after").is_some());

    // The right password for the attacked account is not even checked now, from anywhere.
    let r = attacker.login("alice@example.com", PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = srv
        .client_from("127.0.0.4")
        .login("alice@example.com", PW)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The attacking address is slowed for other accounts too.
    let r = attacker.login("bob@example.com", PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another user from another address logs in at once.
    let started = std::time::Instant::now();
    let mut bob = srv.client_from("127.0.0.3");
    let r = bob.login("bob@example.com", PW).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "authenticated");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // An unknown account under the same attack answers exactly like the known one.
    let mut ghost = srv.client_from("127.0.0.7");
    for i in 0..10 {
        ghost
            .login("ghost@example.com", &format!("guess-number-{i:04}"))
            .await;
    }
    let mut real = srv.client_from("127.0.0.8");
    for i in 0..10 {
        real.login("bob@example.com", &format!("guess-number-{i:04}"))
            .await;
    }
    let (g, b) = (ghost.log.last().unwrap(), real.log.last().unwrap());
    assert_eq!((g.status, &g.body), (b.status, &b.body));
    assert_eq!(g.headers.get("retry-after"), b.headers.get("retry-after"));
    // Once the wait is over, the owner gets in.
    srv.advance(24 * 3600 + 1);
    let r = srv
        .client_from("127.0.0.4")
        .login("alice@example.com", PW)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
