//! Threat S1 and the no-secret-in-output rule: after a full tour of the flows, no password,
//! TOTP seed, recovery code or token appears in the SQLite file, the audit log, any log line,
//! or the Debug form of anything the API returned (errors included).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use tradeward_auth::{Actor, LoginOutcome, Role, Scope};

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

const PASSWORD: &str = "Quasar-Juniper-Tundra-1987";
const NEW_PASSWORD: &str = "Obsidian-Marmalade-Zephyr-2042";
const WRONG_PASSWORD: &str = "Nebula-Wrong-Guess-Password-77";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_secret_in_database_audit_logs_or_debug() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .unwrap();

    let env = sqlite_env().await;
    let ctx = from("192.0.2.10");
    let mut debug = String::new();
    let mut secrets: Vec<Vec<u8>> =
        vec![PASSWORD.into(), NEW_PASSWORD.into(), WRONG_PASSWORD.into()];

    let created = env
        .auth
        .create_user(&Actor::Cli, "victim@example.com", Role::User, None, T0)
        .await
        .unwrap();
    let setup = created.setup_token.as_ref().unwrap();
    secrets.push(setup.expose().into());
    debug += &format!("{created:?}");
    let outcome = env
        .auth
        .complete_password_change(setup.expose(), pw(PASSWORD), &ctx, T0)
        .await
        .unwrap();
    debug += &format!("{outcome:?}");
    let session = authenticated(outcome);
    secrets.push(session.token.expose().into());
    let me = env
        .auth
        .authenticate_session(session.token.expose(), T0 + SEC)
        .await
        .unwrap();

    let enrol = env
        .auth
        .begin_totp_enrollment(&me, &ctx, T0 + SEC)
        .await
        .unwrap();
    debug += &format!("{enrol:?}");
    let base32 = enrol.secret.expose().to_owned();
    secrets.push(base32.clone().into());
    secrets.push(data_encoding_decode(&base32));
    secrets.push(enrol.otpauth_uri.expose().into());
    let code = pyotp_code(&base32, (T0 + 2 * SEC) / SEC);
    let codes = env
        .auth
        .confirm_totp_enrollment(&me, &code, &ctx, T0 + 2 * SEC)
        .await
        .unwrap();
    debug += &format!("{codes:?}");
    for c in &codes {
        secrets.push(c.expose().into());
        secrets.push(c.expose().replace('-', "").to_uppercase().into());
    }

    // Failures of every kind, with their errors' Debug and Display.
    let failed = env
        .auth
        .login("victim@example.com", pw(WRONG_PASSWORD), &ctx, T0 + 3 * SEC)
        .await
        .unwrap();
    debug += &format!("{failed:?}");
    let LoginOutcome::SecondFactorRequired { challenge, .. } = env
        .auth
        .login("victim@example.com", pw(PASSWORD), &ctx, T0 + 4 * SEC)
        .await
        .unwrap()
    else {
        panic!()
    };
    secrets.push(challenge.expose().into());
    debug += &format!("{challenge:?}");
    let err = env
        .auth
        .complete_recovery(challenge.expose(), "not-a-code", &ctx, T0 + 4 * SEC)
        .await
        .unwrap_err();
    debug += &format!("{err:?} {err}");
    let outcome = env
        .auth
        .complete_recovery(challenge.expose(), codes[0].expose(), &ctx, T0 + 4 * SEC)
        .await
        .unwrap();
    debug += &format!("{outcome:?}");
    let second = authenticated(outcome);
    secrets.push(second.token.expose().into());
    let err = env
        .auth
        .step_up(&me, pw(WRONG_PASSWORD), Some("123456"), &ctx, T0 + 5 * SEC)
        .await
        .unwrap_err();
    debug += &format!("{err:?} {err}");
    let me = env
        .auth
        .authenticate_session(second.token.expose(), T0 + 5 * SEC)
        .await
        .unwrap();
    let tok = env
        .auth
        .create_api_token(
            &me,
            "bot",
            &[Scope::Read, Scope::Trade],
            7,
            &ctx,
            T0 + 5 * SEC,
        )
        .await
        .unwrap();
    secrets.push(tok.token.expose().into());
    debug += &format!("{tok:?} {me:?}");
    env.auth
        .force_password_reset(&Actor::Cli, created.user_id, T0 + 6 * SEC)
        .await
        .unwrap();
    let LoginOutcome::SecondFactorRequired { challenge, .. } = env
        .auth
        .login("victim@example.com", pw(PASSWORD), &ctx, T0 + 100 * SEC)
        .await
        .unwrap()
    else {
        panic!()
    };
    secrets.push(challenge.expose().into());
    let code = pyotp_code(&base32, (T0 + 100 * SEC) / SEC);
    let next = env
        .auth
        .complete_totp(challenge.expose(), &code, &ctx, T0 + 100 * SEC)
        .await
        .unwrap();
    let LoginOutcome::PasswordChangeRequired { challenge } = next else {
        panic!()
    };
    secrets.push(challenge.expose().into());
    let err = env
        .auth
        .complete_password_change(challenge.expose(), pw(PASSWORD), &ctx, T0 + 101 * SEC)
        .await
        .unwrap_err();
    debug += &format!("{err:?} {err}");
    let done = env
        .auth
        .complete_password_change(challenge.expose(), pw(NEW_PASSWORD), &ctx, T0 + 101 * SEC)
        .await
        .unwrap();
    debug += &format!("{done:?} {:?}", env.auth);

    let audit = format!("{:?}", env.audit.events());
    assert!(env.audit.events().len() >= 10);
    env.store.close().await;
    let mut db = Vec::new();
    for entry in std::fs::read_dir(env.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            db.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(db.len() > 10_000, "the database file was read");
    let logs = captured.0.lock().unwrap().clone();

    for secret in &secrets {
        let shown = String::from_utf8_lossy(&secret[..secret.len().min(8)]).into_owned();
        assert!(
            !contains(&db, secret),
            "database holds a secret starting {shown:?}"
        );
        assert!(
            !contains(audit.as_bytes(), secret),
            "audit log holds {shown:?}"
        );
        assert!(!contains(&logs, secret), "logs hold {shown:?}");
        assert!(
            !contains(debug.as_bytes(), secret),
            "Debug output holds {shown:?}"
        );
    }
    assert!(
        debug.contains("REDACTED"),
        "secret holders were printed, redacted"
    );
}

fn data_encoding_decode(base32: &str) -> Vec<u8> {
    // RFC 4648 base32 without padding, decoded by hand to keep this check independent.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in base32.bytes() {
        let v = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    assert_eq!(out.len(), 20, "a 160-bit seed");
    out
}
