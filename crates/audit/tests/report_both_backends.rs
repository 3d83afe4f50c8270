//! `audit report` over a log written through the real store (SQLite and PostgreSQL): each
//! category of a scripted incident is counted exactly, history before `--since` decides which
//! addresses are new, `--user` narrows the report, and a flood of refusals reads as one burst.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tradeward_audit::report::{build_report, render, ReportScope};
use tradeward_audit::{AuditEvent, AuditSink, Outcome, StoreAuditSink};
use tradeward_store::testing::{fresh_postgres, fresh_sqlite};
use tradeward_store::Store;

const S: i64 = 1_000_000;
const T0: i64 = 1_800_000_000 * S;

fn ev(at: i64, kind: &'static str, outcome: Outcome, user: &str, addr: &str) -> AuditEvent {
    let mut e = AuditEvent::new(at, kind, "auth", outcome);
    e.user_id = (!user.is_empty()).then(|| user.to_owned());
    e.source_addr = (!addr.is_empty()).then(|| addr.to_owned());
    e
}

fn failed(at: i64, user: &str, email: &str, addr: &str, reason: &str) -> AuditEvent {
    let mut e = ev(at, "auth.login", Outcome::Refused, user, addr).with("email", email);
    e.reason = Some(reason.into());
    e
}

fn login(at: i64, user: &str, addr: &str, agent: &str) -> AuditEvent {
    ev(at, "auth.login", Outcome::Ok, user, addr).with("user_agent", agent)
}

fn refusal(at: i64, class: &'static str, path: &str) -> AuditEvent {
    let mut e = AuditEvent::new(at, "signer.refuse", "web", Outcome::Refused)
        .with("venue", "sim")
        .with("method", "POST")
        .with("path", path)
        .with("class", class)
        .with("code", "forbidden_endpoint_class");
    e.user_id = Some("alice".into());
    e.credential_id = Some("key1".into());
    e.source_addr = Some("10.9.9.9".into());
    e.reason = Some(format!("endpoint class {class} is never signed"));
    e
}

async fn incident(store: &Store) {
    let sink = StoreAuditSink::spawn(store.clone());
    let mut log = vec![
        // History (before the window): alice logs in from home.
        login(T0, "alice", "10.0.0.1", "firefox"),
        login(T0 + S, "bob", "10.0.0.2", "safari"),
    ];
    let w = T0 + 3600 * S;
    // Stuffing from one address over three accounts, one unknown.
    log.push(failed(w, "alice", "alice@x", "10.6.6.6", "wrong_password"));
    log.push(failed(w + 1, "bob", "bob@x", "10.6.6.6", "wrong_password"));
    log.push(failed(w + 2, "", "carol@x", "10.6.6.6", "unknown_account"));
    log.push(failed(w + 3, "alice", "alice@x", "10.6.6.6", "throttled"));
    // A correct password for alice from elsewhere, stopped at the second factor.
    log.push(ev(
        w + 10,
        "auth.password",
        Outcome::Ok,
        "alice",
        "10.9.9.9",
    ));
    let mut wrong =
        ev(w + 11, "auth.totp", Outcome::Refused, "alice", "10.9.9.9").with("attempts", 1);
    wrong.reason = Some("wrong_code".into());
    log.push(wrong);
    // Then a complete login from that new address and a new device; bob from home again.
    log.push(ev(
        w + 20,
        "auth.password",
        Outcome::Ok,
        "alice",
        "10.9.9.9",
    ));
    log.push(login(w + 21, "alice", "10.9.9.9", "curl"));
    log.push(login(w + 22, "bob", "10.0.0.2", "safari"));
    // A key added from that session; normal signatures; six withdrawal refusals in 6 s.
    let mut add = AuditEvent::new(w + 30, "credential.add", "web", Outcome::Ok)
        .with("venue", "sim")
        .with("api_key_masked", "abcd…wxyz");
    add.user_id = Some("alice".into());
    add.credential_id = Some("key1".into());
    add.source_addr = Some("10.9.9.9".into());
    add.session_id = Some("sess-evil".into());
    log.push(add);
    for (i, class) in ["read", "trade"].into_iter().enumerate() {
        let mut e = AuditEvent::new(w + 40 + i as i64, "signer.sign", "engine", Outcome::Ok)
            .with("class", class)
            .with("venue", "sim");
        e.user_id = Some("alice".into());
        e.credential_id = Some("key1".into());
        log.push(e);
    }
    for i in 0..6 {
        log.push(refusal(
            w + 50 * S + i * S,
            "withdraw",
            "/sapi/v1/capital/withdraw/apply",
        ));
    }
    log.push(refusal(w + 60 * S, "transfer", "/sapi/v1/asset/transfer"));
    // The operator reacts.
    let mut off = AuditEvent::new(w + 100 * S, "trading.global_disable", "cli", Outcome::Ok)
        .with("reason", "incident 42");
    off.session_id = None;
    log.push(off);
    log.push(
        AuditEvent::new(
            w + 101 * S,
            "auth.session.revoke_admin",
            "auth",
            Outcome::Ok,
        )
        .with("via", "cli")
        .with("revoked", 3),
    );
    log.push(
        AuditEvent::new(w + 102 * S, "auth.force_reset_all", "auth", Outcome::Ok)
            .with("via", "cli")
            .with("users", 2)
            .with("sessions_revoked", 0),
    );
    log.push(
        AuditEvent::new(w + 103 * S, "incident.lockdown", "cli", Outcome::Ok)
            .with("reason", "incident 42")
            .with("trading_was_enabled", false)
            .with("users", 2)
            .with("sessions_revoked", 1)
            .with("tokens_revoked", 4),
    );
    for e in log {
        sink.record(e).unwrap();
    }
    sink.flush().await.unwrap();
}

async fn check(store: Store) {
    incident(&store).await;
    let since = T0 + 3600 * S;
    let r = build_report(
        &store,
        ReportScope {
            since_us: Some(since),
            ..ReportScope::default()
        },
    )
    .await
    .unwrap();
    let c = &r.counts;
    assert_eq!(r.entries_read, 25);
    assert_eq!(r.entries_in_window, 23);
    assert_eq!(c.failed_logins, 4);
    assert_eq!(c.wrong_passwords, 2);
    assert_eq!(c.unknown_accounts, 1);
    assert_eq!(c.throttled_logins, 1);
    assert_eq!(c.correct_password_no_session, 1);
    assert_eq!(c.second_factor_failures, 1);
    assert_eq!(c.stuffing_addresses, 1);
    assert_eq!(c.logins, 2);
    assert_eq!(c.logins_from_new_address, 1);
    assert_eq!(c.logins_from_new_device, 1);
    assert_eq!(c.first_logins, 0);
    assert_eq!(c.credentials_added, 1);
    assert_eq!(c.signatures, 2);
    assert_eq!(c.signer_refusals, 7);
    assert_eq!(c.refused_withdrawals, 6);
    assert_eq!(c.refusal_bursts, 1);
    assert_eq!(c.trading_switch_changes, 1);
    assert_eq!(c.session_revocations, 2);
    assert_eq!(c.sessions_revoked, 4);
    assert_eq!(c.tokens_revoked, 4);
    assert_eq!(c.forced_resets, 2);
    assert_eq!(c.users_forced_to_reset, 4);
    assert_eq!(c.lockdowns, 1);
    assert_eq!(c.admin_actions, 4);
    assert_eq!(c.decryptions_outside_signing, 0);

    let cats: Vec<&str> = r.steps.iter().map(|s| s.category).collect();
    assert_eq!(
        cats,
        [
            "failed_login",
            "failed_login",
            "failed_login",
            "failed_login",
            "password_correct_no_session",
            "second_factor_failure",
            "login_new_address",
            "login_new_device",
            "credential_added",
            "withdrawal_refused",
            "refusal_burst",
            "withdrawal_refused",
            "signer_refusal",
            "trading_switched",
            "sessions_revoked",
            "reset_forced",
            "lockdown",
        ]
    );
    let withdrawals = &r.steps[9];
    assert_eq!(
        withdrawals.repeated, 5,
        "identical refusals collapse into one step"
    );
    let burst = r
        .steps
        .iter()
        .find(|s| s.category == "refusal_burst")
        .unwrap();
    assert_eq!(
        burst.repeated, 7,
        "the burst grows with every refusal within the window"
    );
    let new_addr = &r.steps[6];
    assert!(new_addr.summary.contains("10.9.9.9") && new_addr.summary.contains("10.0.0.1"));
    let stuffing = &r.failed_logins_by_address[0];
    assert_eq!(
        (
            stuffing.source_addr.as_str(),
            stuffing.failures,
            stuffing.accounts,
            stuffing.stuffing
        ),
        ("10.6.6.6", 4, 3, true)
    );
    let key = &r.credentials[0];
    assert_eq!(
        (key.credential_id.as_str(), key.signatures, key.refusals),
        ("key1", 2, 7)
    );
    assert_eq!(key.added_from.as_deref(), Some("10.9.9.9"));

    let text = render(&r);
    for needle in [
        "failed login for carol@x from 10.6.6.6: unknown account",
        "correct password for user alice from 10.9.9.9 but no session followed",
        "login of user alice from a new address 10.9.9.9 (before: 10.0.0.1)",
        "exchange key key1 (sim abcd…wxyz) added for user alice from 10.9.9.9 by session sess-evil",
        "signer refused a withdrawal attempt POST /sapi/v1/capital/withdraw/apply",
        "[x5 until",
        "trading disabled for the whole deployment by the operator (CLI): incident 42",
        "LOCKDOWN by the operator (CLI)",
        "CREDENTIAL STUFFING",
        "No secret was decrypted outside normal signing",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["counts"]["refused_withdrawals"], 6);
    assert_eq!(json["steps"][6]["category"], "login_new_address");

    // Without the history, alice's first login in the window is her first ever.
    let all = build_report(&store, ReportScope::default()).await.unwrap();
    assert_eq!(all.counts.first_logins, 2);
    assert_eq!(all.counts.logins_from_new_address, 1);
    // One user: bob's report has none of alice's steps.
    let bob = build_report(
        &store,
        ReportScope {
            since_us: Some(since),
            user_id: Some("bob".into()),
            ..ReportScope::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(bob.counts.failed_logins, 1);
    assert_eq!(bob.counts.logins, 1);
    assert_eq!(bob.counts.logins_from_new_address, 0);
    assert_eq!(bob.counts.signer_refusals, 0);
    assert!(bob
        .steps
        .iter()
        .all(|s| s.user_id.as_deref() == Some("bob")));
    // A window that ends before the attack sees none of it.
    let before = build_report(
        &store,
        ReportScope {
            until_us: Some(since),
            ..ReportScope::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(before.entries_read, 2);
    assert_eq!(before.counts.failed_logins, 0);
}

#[tokio::test]
async fn report_counts_each_step_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(fresh_sqlite(dir.path()).await.unwrap()).await;
}

#[tokio::test]
async fn report_counts_each_step_postgres() {
    check(
        fresh_postgres()
            .await
            .expect("PostgreSQL must be reachable for the suite"),
    )
    .await;
}
