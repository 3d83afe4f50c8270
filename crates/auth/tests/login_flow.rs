//! The login flow end to end: throttling (S9), no enumeration, second factors checked against
//! an independent TOTP implementation (S3), forced resets and setup links (S4, S7), sessions
//! and step-up (S5), personal tokens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use tradeward_audit::Outcome;
use tradeward_auth::passwords::HashParams;
use tradeward_auth::{
    Actor, AuthConfig, AuthError, LoginOutcome, PasswordRejection, Role, Scope, SecondFactorMethod,
};

const ALICE_PW: &str = "violet staple orbit 42";
const BOB_PW: &str = "granite pelican murmur";

async fn make_user(env: &Env, email: &str, password: &str) -> tradeward_domain::UserId {
    env.auth
        .create_user(&Actor::Cli, email, Role::User, Some(pw(password)), T0)
        .await
        .unwrap()
        .user_id
}

#[tokio::test]
async fn unknown_and_known_emails_get_the_same_answer() {
    let env = sqlite_env().await;
    make_user(&env, "alice@example.com", ALICE_PW).await;
    let ctx = from("192.0.2.10");
    let known = env
        .auth
        .login("alice@example.com", pw("wrong password!!"), &ctx, T0)
        .await
        .unwrap();
    let unknown = env
        .auth
        .login("mallory@example.com", pw("wrong password!!"), &ctx, T0)
        .await
        .unwrap();
    assert_eq!(format!("{known:?}"), format!("{unknown:?}"));
    assert!(matches!(known, LoginOutcome::Failed { retry_after } if retry_after.is_zero()));
    // The audit log, unlike the answer, tells them apart.
    let reasons: Vec<_> = env
        .audit
        .events()
        .iter()
        .filter_map(|e| e.reason.clone())
        .collect();
    assert_eq!(reasons, vec!["wrong_password", "unknown_account"]);
    // Unknown accounts are throttled exactly like known ones.
    for i in 0..6 {
        env.auth
            .login(
                "mallory@example.com",
                pw("x"),
                &from("198.51.100.1"),
                T0 + i,
            )
            .await
            .unwrap();
        env.auth
            .login("alice@example.com", pw("x"), &from("198.51.100.2"), T0 + i)
            .await
            .unwrap();
    }
    let a = env
        .auth
        .login("alice@example.com", pw("x"), &from("198.51.100.3"), T0 + 10)
        .await
        .unwrap();
    let m = env
        .auth
        .login(
            "mallory@example.com",
            pw("x"),
            &from("198.51.100.4"),
            T0 + 10,
        )
        .await
        .unwrap();
    assert_eq!(format!("{a:?}"), format!("{m:?}"));
    assert!(matches!(a, LoginOutcome::Failed { retry_after } if !retry_after.is_zero()));
}

#[tokio::test]
async fn fifty_wrong_passwords_slow_that_account_and_address_only() {
    let env = sqlite_env().await;
    make_user(&env, "alice@example.com", ALICE_PW).await;
    make_user(&env, "bob@example.com", BOB_PW).await;
    let attacker = from("203.0.113.66");
    let mut last = Duration::ZERO;
    for i in 0..50 {
        let now = T0 + i * SEC;
        match env
            .auth
            .login("alice@example.com", pw("guess guess guess"), &attacker, now)
            .await
            .unwrap()
        {
            LoginOutcome::Failed { retry_after } => last = retry_after,
            other => panic!("{other:?}"),
        }
    }
    assert!(last >= Duration::from_secs(2), "delays grew: {last:?}");
    let later = T0 + 51 * SEC;
    // The right password does not help while the account is throttled, from anywhere.
    for ctx in [attacker.clone(), from("192.0.2.1")] {
        let r = env
            .auth
            .login("alice@example.com", pw(ALICE_PW), &ctx, later)
            .await
            .unwrap();
        assert!(
            matches!(r, LoginOutcome::Failed { retry_after } if !retry_after.is_zero()),
            "{r:?}"
        );
    }
    // Another account from another address logs in at once.
    let started = std::time::Instant::now();
    let bob = env
        .auth
        .login("bob@example.com", pw(BOB_PW), &from("192.0.2.200"), later)
        .await
        .unwrap();
    authenticated(bob);
    assert!(started.elapsed() < Duration::from_secs(2));
    // The attacker's address is slowed for other accounts only once past its own allowance
    // (20 by default); it made far fewer counted attempts, so drive it past.
    for i in 0..30 {
        env.auth
            .login(
                &format!("victim{i}@example.com"),
                pw("guess guess guess"),
                &attacker,
                later + i * 3_600 * SEC / 100,
            )
            .await
            .unwrap();
    }
    let r = env
        .auth
        .login(
            "bob@example.com",
            pw(BOB_PW),
            &attacker,
            later + 3_600 * SEC / 3,
        )
        .await
        .unwrap();
    assert!(
        matches!(r, LoginOutcome::Failed { retry_after } if !retry_after.is_zero()),
        "{r:?}"
    );
    // Never a permanent lock: after the wait, alice gets in.
    let r = env
        .auth
        .login(
            "alice@example.com",
            pw(ALICE_PW),
            &from("192.0.2.1"),
            later + 16 * 60 * SEC,
        )
        .await
        .unwrap();
    authenticated(r);
    let refused = env
        .audit
        .events()
        .iter()
        .filter(|e| e.kind == "auth.login" && e.outcome == Outcome::Refused)
        .count();
    assert!(refused >= 50, "every failure is audited: {refused}");
}

#[tokio::test]
async fn totp_enrolment_login_and_replay_against_pyotp() {
    totp_flow(sqlite_env().await).await;
}

#[tokio::test]
async fn totp_flow_on_postgres() {
    totp_flow(postgres_env().await).await;
}

async fn totp_flow(env: Env) {
    let alice = make_user(&env, "alice@example.com", ALICE_PW).await;
    let ctx = from("192.0.2.10");
    let s = authenticated(
        env.auth
            .login("alice@example.com", pw(ALICE_PW), &ctx, T0)
            .await
            .unwrap(),
    );
    let me = env
        .auth
        .authenticate_session(s.token.expose(), T0 + SEC)
        .await
        .unwrap();
    let enrol = env
        .auth
        .begin_totp_enrollment(&me, &ctx, T0 + SEC)
        .await
        .unwrap();
    let secret = enrol.secret.expose().to_owned();
    assert!(enrol
        .otpauth_uri
        .expose()
        .contains(&format!("secret={secret}")));
    // A wrong code does not confirm.
    let t = (T0 + 2 * SEC) / SEC;
    let good = pyotp_code(&secret, t);
    let wrong = format!("{:06}", (good.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert!(matches!(
        env.auth
            .confirm_totp_enrollment(&me, &wrong, &ctx, T0 + 2 * SEC)
            .await,
        Err(AuthError::InvalidCode)
    ));
    let codes = env
        .auth
        .confirm_totp_enrollment(&me, &good, &ctx, T0 + 2 * SEC)
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    assert!(env.auth.has_second_factor(alice).await.unwrap());

    // Now the password alone is not enough (S3).
    let now = T0 + 100 * SEC;
    let LoginOutcome::SecondFactorRequired { challenge, methods } = env
        .auth
        .login("alice@example.com", pw(ALICE_PW), &ctx, now)
        .await
        .unwrap()
    else {
        panic!("second factor expected")
    };
    assert_eq!(
        methods,
        vec![SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode]
    );
    let code = pyotp_code(&secret, now / SEC);
    let s2 = authenticated(
        env.auth
            .complete_totp(challenge.expose(), &code, &ctx, now)
            .await
            .unwrap(),
    );
    assert_ne!(
        s2.token.expose(),
        s.token.expose(),
        "a new token at every login"
    );
    // The challenge is single-use.
    assert!(matches!(
        env.auth
            .complete_totp(challenge.expose(), &code, &ctx, now)
            .await,
        Err(AuthError::InvalidChallenge)
    ));
    // The same code on another login is a replay: refused.
    let LoginOutcome::SecondFactorRequired { challenge, .. } = env
        .auth
        .login("alice@example.com", pw(ALICE_PW), &ctx, now + SEC)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(matches!(
        env.auth
            .complete_totp(challenge.expose(), &code, &ctx, now + SEC)
            .await,
        Err(AuthError::InvalidCode)
    ));
    // The next step's code (clock drift +1) is accepted.
    let next = pyotp_code(&secret, now / SEC + 30);
    authenticated(
        env.auth
            .complete_totp(challenge.expose(), &next, &ctx, now + SEC)
            .await
            .unwrap(),
    );

    // A recovery code works once.
    let LoginOutcome::SecondFactorRequired { challenge, .. } = env
        .auth
        .login("alice@example.com", pw(ALICE_PW), &ctx, now + 2 * SEC)
        .await
        .unwrap()
    else {
        panic!()
    };
    let rc = codes[3].expose().to_uppercase();
    authenticated(
        env.auth
            .complete_recovery(challenge.expose(), &rc, &ctx, now + 2 * SEC)
            .await
            .unwrap(),
    );
    let LoginOutcome::SecondFactorRequired { challenge, .. } = env
        .auth
        .login("alice@example.com", pw(ALICE_PW), &ctx, now + 3 * SEC)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(matches!(
        env.auth
            .complete_recovery(challenge.expose(), &rc, &ctx, now + 3 * SEC)
            .await,
        Err(AuthError::InvalidCode)
    ));
    assert_eq!(env.store.unused_recovery_codes(alice).await.unwrap(), 9);

    // Five wrong answers (the reused recovery code and four TOTP codes) drop the challenge:
    // the password is needed again.
    for _ in 0..3 {
        assert!(matches!(
            env.auth
                .complete_totp(challenge.expose(), "000000", &ctx, now + 3 * SEC)
                .await,
            Err(AuthError::InvalidCode)
        ));
    }
    let fifth = env
        .auth
        .complete_totp(challenge.expose(), "000001", &ctx, now + 3 * SEC)
        .await;
    assert!(matches!(fifth, Err(AuthError::InvalidCode)));
    let code = pyotp_code(&secret, now / SEC + 60);
    assert!(matches!(
        env.auth
            .complete_totp(challenge.expose(), &code, &ctx, now + 30 * SEC)
            .await,
        Err(AuthError::InvalidChallenge)
    ));
    let kinds: Vec<_> = env.audit.events().iter().map(|e| e.kind).collect();
    for k in [
        "auth.totp.enroll",
        "auth.totp.confirm",
        "auth.totp",
        "auth.recovery_code",
        "auth.login",
    ] {
        assert!(kinds.contains(&k), "{k} audited");
    }
}

#[tokio::test]
async fn forced_reset_needs_a_new_password_and_revokes_sessions() {
    let env = sqlite_env().await;
    let alice = make_user(&env, "alice@example.com", ALICE_PW).await;
    let ctx = from("192.0.2.10");
    let s = authenticated(
        env.auth
            .login("alice@example.com", pw(ALICE_PW), &ctx, T0)
            .await
            .unwrap(),
    );
    assert_eq!(
        env.auth
            .force_password_reset(&Actor::Cli, alice, T0 + SEC)
            .await
            .unwrap(),
        1
    );
    assert!(matches!(
        env.auth
            .authenticate_session(s.token.expose(), T0 + 2 * SEC)
            .await,
        Err(AuthError::Unauthenticated)
    ));
    let LoginOutcome::PasswordChangeRequired { challenge } = env
        .auth
        .login("alice@example.com", pw(ALICE_PW), &ctx, T0 + 3 * SEC)
        .await
        .unwrap()
    else {
        panic!("password change expected")
    };
    for (bad, why) in [
        (ALICE_PW, PasswordRejection::Reused),
        ("1qaz2wsx3edc4rfv", PasswordRejection::Common),
        ("short", PasswordRejection::TooShort { min: 12 }),
        ("ALICE is my name ok", PasswordRejection::ContainsEmail),
    ] {
        let r = env
            .auth
            .complete_password_change(challenge.expose(), pw(bad), &ctx, T0 + 4 * SEC)
            .await;
        assert!(
            matches!(r, Err(AuthError::WeakPassword(w)) if w == why),
            "{bad}: {r:?}"
        );
    }
    let new_pw = "a fresh harbour lantern";
    authenticated(
        env.auth
            .complete_password_change(challenge.expose(), pw(new_pw), &ctx, T0 + 5 * SEC)
            .await
            .unwrap(),
    );
    assert!(matches!(
        env.auth
            .login("alice@example.com", pw(ALICE_PW), &ctx, T0 + 6 * SEC)
            .await
            .unwrap(),
        LoginOutcome::Failed { .. }
    ));
    authenticated(
        env.auth
            .login("alice@example.com", pw(new_pw), &ctx, T0 + 7 * SEC)
            .await
            .unwrap(),
    );

    // Everyone at once.
    make_user(&env, "bob@example.com", BOB_PW).await;
    let (users, _) = env
        .auth
        .force_password_reset_all(&Actor::Cli, T0 + 8 * SEC)
        .await
        .unwrap();
    assert_eq!(users, 2);
    for (email, p) in [("alice@example.com", new_pw), ("bob@example.com", BOB_PW)] {
        let r = env
            .auth
            .login(email, pw(p), &ctx, T0 + 9 * SEC)
            .await
            .unwrap();
        assert!(
            matches!(r, LoginOutcome::PasswordChangeRequired { .. }),
            "{r:?}"
        );
    }
    let kinds: Vec<_> = env.audit.events().iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&"auth.force_reset") && kinds.contains(&"auth.force_reset_all"));
}

#[tokio::test]
async fn admins_start_from_a_setup_link_and_must_enrol() {
    let env = sqlite_env().await;
    let ctx = from("192.0.2.10");
    let created = env
        .auth
        .create_user(&Actor::Cli, "Root@Example.com", Role::Admin, None, T0)
        .await
        .unwrap();
    let setup = created.setup_token.expect("no password: a setup link");
    // No password exists yet: no login works.
    assert!(matches!(
        env.auth
            .login("root@example.com", pw(""), &ctx, T0)
            .await
            .unwrap(),
        LoginOutcome::Failed { .. }
    ));
    let LoginOutcome::EnrollmentRequired { challenge } = env
        .auth
        .complete_password_change(
            setup.expose(),
            pw("operator chose this one"),
            &ctx,
            T0 + SEC,
        )
        .await
        .unwrap()
    else {
        panic!("admins must enrol a second factor")
    };
    let enrol = env
        .auth
        .begin_totp_enrollment_for_login(challenge.expose(), &ctx, T0 + 2 * SEC)
        .await
        .unwrap();
    let code = pyotp_code(enrol.secret.expose(), (T0 + 3 * SEC) / SEC);
    let (codes, outcome) = env
        .auth
        .confirm_totp_enrollment_for_login(challenge.expose(), &code, &ctx, T0 + 3 * SEC)
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let s = authenticated(outcome);
    let admin = env
        .auth
        .authenticate_session(s.token.expose(), T0 + 4 * SEC)
        .await
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    // Provisioning with a password applies the policy; no weak default can be set.
    let weak = env
        .auth
        .create_user(
            &Actor::Admin(admin.clone()),
            "x@example.com",
            Role::User,
            Some(pw("password")),
            T0 + 5 * SEC,
        )
        .await;
    assert!(matches!(weak, Err(AuthError::WeakPassword(_))), "{weak:?}");
    // After the step-up window, admin actions need a fresh authentication.
    let late = env
        .auth
        .create_user(
            &Actor::Admin(admin.clone()),
            "y@example.com",
            Role::User,
            None,
            T0 + 600 * SEC,
        )
        .await;
    assert!(matches!(late, Err(AuthError::StepUpRequired)), "{late:?}");
    // Sign-up is off by default.
    assert!(matches!(
        env.auth
            .sign_up("z@example.com", pw(BOB_PW), &ctx, T0)
            .await,
        Err(AuthError::SignupDisabled)
    ));
    assert!(matches!(
        env.auth
            .create_user(&Actor::Cli, "root@example.com", Role::User, None, T0)
            .await,
        Err(AuthError::EmailTaken)
    ));
}

#[tokio::test]
async fn sessions_expire_step_up_rotates_tokens_are_scoped() {
    let env = sqlite_env().await;
    make_user(&env, "alice@example.com", ALICE_PW).await;
    let ctx = from("192.0.2.10");
    let login = |t| env.auth.login("alice@example.com", pw(ALICE_PW), &ctx, t);
    // Idle: 30 minutes without a request.
    let s = authenticated(login(T0).await.unwrap());
    env.auth
        .authenticate_session(s.token.expose(), T0 + 29 * 60 * SEC)
        .await
        .unwrap();
    assert!(env
        .auth
        .authenticate_session(s.token.expose(), T0 + 58 * 60 * SEC)
        .await
        .is_ok());
    assert!(matches!(
        env.auth
            .authenticate_session(s.token.expose(), T0 + 89 * 60 * SEC)
            .await,
        Err(AuthError::Unauthenticated)
    ));
    // Absolute: 12 hours whatever the activity.
    let s = authenticated(login(T0).await.unwrap());
    let mut t = T0;
    while t < T0 + 12 * 3600 * SEC - 20 * 60 * SEC {
        t += 20 * 60 * SEC;
        env.auth
            .authenticate_session(s.token.expose(), t)
            .await
            .unwrap();
    }
    assert!(matches!(
        env.auth
            .authenticate_session(s.token.expose(), T0 + 12 * 3600 * SEC)
            .await,
        Err(AuthError::Unauthenticated)
    ));

    // Step-up: tokens need a fresh authentication; re-authenticating rotates the cookie.
    let t1 = T0 + 13 * 3600 * SEC;
    let s = authenticated(login(t1).await.unwrap());
    let me = env
        .auth
        .authenticate_session(s.token.expose(), t1 + 6 * 60 * SEC)
        .await
        .unwrap();
    let r = env
        .auth
        .create_api_token(&me, "bot", &[Scope::Read], 30, &ctx, t1 + 6 * 60 * SEC)
        .await;
    assert!(matches!(r, Err(AuthError::StepUpRequired)), "{r:?}");
    assert!(matches!(
        env.auth
            .step_up(&me, pw("not my password"), None, &ctx, t1 + 6 * 60 * SEC)
            .await,
        Err(AuthError::InvalidCredentials)
    ));
    let fresh = env
        .auth
        .step_up(&me, pw(ALICE_PW), None, &ctx, t1 + 7 * 60 * SEC)
        .await
        .unwrap();
    assert!(
        env.auth
            .authenticate_session(s.token.expose(), t1 + 7 * 60 * SEC)
            .await
            .is_err(),
        "old token dead"
    );
    let me = env
        .auth
        .authenticate_session(fresh.expose(), t1 + 8 * 60 * SEC)
        .await
        .unwrap();
    let tok = env
        .auth
        .create_api_token(&me, "bot", &[Scope::Read], 30, &ctx, t1 + 8 * 60 * SEC)
        .await
        .unwrap();
    let bot = env
        .auth
        .authenticate_api_token(tok.token.expose(), t1 + 9 * 60 * SEC)
        .await
        .unwrap();
    assert!(bot.has_scope(Scope::Read) && !bot.has_scope(Scope::Trade));
    // A token is not a session and cannot manage the account.
    assert!(matches!(
        env.auth.begin_totp_enrollment(&bot, &ctx, t1).await,
        Err(AuthError::Forbidden)
    ));
    // A session token is not an API token and vice versa.
    assert!(env
        .auth
        .authenticate_api_token(fresh.expose(), t1)
        .await
        .is_err());
    assert!(env
        .auth
        .authenticate_session(tok.token.expose(), t1)
        .await
        .is_err());
    // Expiry.
    assert!(env
        .auth
        .authenticate_api_token(tok.token.expose(), t1 + 31 * 86_400 * SEC)
        .await
        .is_err());

    // Listing and revoking; sign out everywhere.
    let other = authenticated(login(t1 + 10 * 60 * SEC).await.unwrap());
    let listed = env.auth.list_sessions(&me).await.unwrap();
    assert_eq!(listed.len(), 2);
    env.auth
        .revoke_session(&me, other.session.id, &ctx, t1 + 11 * 60 * SEC)
        .await
        .unwrap();
    assert!(env
        .auth
        .authenticate_session(other.token.expose(), t1 + 11 * 60 * SEC)
        .await
        .is_err());
    assert_eq!(
        env.auth
            .sign_out_everywhere(&me, &ctx, t1 + 12 * 60 * SEC)
            .await
            .unwrap(),
        1
    );
    assert!(env
        .auth
        .authenticate_session(fresh.expose(), t1 + 12 * 60 * SEC)
        .await
        .is_err());
}

#[tokio::test]
async fn raised_parameters_rehash_at_login() {
    let dir = tempfile::tempdir().unwrap();
    let store = tradeward_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    let env = env_with(store.clone(), dir, fast_config()).await;
    make_user(&env, "alice@example.com", ALICE_PW).await;
    let before = store
        .account_by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(before.password_hash.unwrap().contains("m=256,t=1,p=1"));
    let raised = AuthConfig {
        hash: HashParams {
            m_kib: 512,
            t: 2,
            p: 1,
        },
        ..AuthConfig::default()
    };
    let dir2 = tempfile::tempdir().unwrap();
    let env2 = env_with(store.clone(), dir2, raised).await;
    authenticated(
        env2.auth
            .login("alice@example.com", pw(ALICE_PW), &from("192.0.2.1"), T0)
            .await
            .unwrap(),
    );
    let after = store
        .account_by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(after.password_hash.unwrap().contains("m=512,t=2,p=1"));
    authenticated(
        env2.auth
            .login(
                "alice@example.com",
                pw(ALICE_PW),
                &from("192.0.2.1"),
                T0 + SEC,
            )
            .await
            .unwrap(),
    );
}
