//! Account, session, factor and throttle storage, exercised against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tradeward_domain::{SessionId, UserId};
use tradeward_store::testing::{fresh_postgres, fresh_sqlite};
use tradeward_store::{
    ApiTokenRow, ChallengeRow, NewAccount, SealedRow, SessionRow, Store, StoreError, TotpFactorRow,
};

/// Runs one scenario as two tests: `sqlite` and `postgres`.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let store = fresh_sqlite(dir.path()).await.unwrap();
                ($body)(store).await;
            }
            #[tokio::test]
            async fn postgres() {
                let store = fresh_postgres()
                    .await
                    .expect("PostgreSQL must be reachable for the suite");
                ($body)(store).await;
            }
        }
    };
}

async fn account(store: &Store, email: &str, hash: Option<&str>) -> UserId {
    store
        .create_account(&NewAccount {
            email: email.into(),
            role: "user".into(),
            password_hash: hash.map(str::to_owned),
            created_at_us: 5,
        })
        .await
        .unwrap()
}

fn session(user: UserId, created: i64) -> SessionRow {
    SessionRow {
        id: SessionId::new(),
        user_id: user,
        created_at_us: created,
        last_seen_at_us: created,
        authenticated_at_us: created,
        expires_at_us: created + 1_000,
        source_addr: Some("192.0.2.7".into()),
        user_agent: Some("test-agent".into()),
    }
}

fn token(user: UserId, name: &str) -> ApiTokenRow {
    ApiTokenRow {
        id: SessionId::new(),
        user_id: user,
        name: name.into(),
        scopes: "read,trade".into(),
        created_at_us: 10,
        expires_at_us: 1_000,
        last_used_at_us: None,
    }
}

fn challenge(user: UserId) -> ChallengeRow {
    ChallengeRow {
        user_id: user,
        stage: "second_factor".into(),
        factor_done: false,
        attempts: 0,
        created_at_us: 1,
        expires_at_us: 100,
        source_addr: None,
    }
}

fn seed(factor: &str, owner: UserId) -> SealedRow {
    SealedRow {
        record_id: factor.into(),
        field: "totp_seed".into(),
        owner_id: owner.to_string(),
        venue: "totp".into(),
        ciphertext: vec![1; 36],
        nonce: vec![2; 12],
        wrapped_dek: vec![3; 60],
        kek_version: 1,
    }
}

on_both!(accounts_and_password_hashes, |store: Store| async move {
    let alice = account(&store, "Alice@Example.com", Some("$argon2id$old")).await;
    let row = store
        .account_by_email("ALICE@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.id, alice);
    assert_eq!(row.email, "alice@example.com");
    assert_eq!(row.password_hash.as_deref(), Some("$argon2id$old"));
    assert!(!row.must_change_password);
    assert!(
        !format!("{row:?}").contains("argon2id"),
        "hash kept out of Debug"
    );
    assert!(store
        .account_by_email("bob@example.com")
        .await
        .unwrap()
        .is_none());

    let dup = store
        .create_account(&NewAccount {
            email: "alice@EXAMPLE.com".into(),
            role: "user".into(),
            password_hash: None,
            created_at_us: 6,
        })
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict("user")), "{dup:?}");

    // Re-hash only replaces the hash it was computed from.
    assert!(!store
        .rehash_password(alice, "$argon2id$other", "$argon2id$new")
        .await
        .unwrap());
    assert!(store
        .rehash_password(alice, "$argon2id$old", "$argon2id$new")
        .await
        .unwrap());
    let row = store.account(alice).await.unwrap().unwrap();
    assert_eq!(row.password_hash.as_deref(), Some("$argon2id$new"));

    let setup = account(&store, "new@example.com", None).await;
    assert_eq!(
        store.account(setup).await.unwrap().unwrap().password_hash,
        None
    );
    assert!(store
        .set_password_hash(setup, "$argon2id$set", 9)
        .await
        .unwrap());
    assert!(!store
        .set_password_hash(UserId::new(), "$x", 9)
        .await
        .unwrap());
});

on_both!(forced_reset_revokes_everything, |store: Store| async move {
    let alice = account(&store, "alice@example.com", Some("h1")).await;
    let bob = account(&store, "bob@example.com", Some("h2")).await;
    for (user, n) in [(alice, 2), (bob, 1)] {
        for i in 0..n {
            store
                .insert_session(&session(user, i), &[user.as_uuid().as_bytes()[15], i as u8])
                .await
                .unwrap();
        }
        store
            .insert_api_token(&token(user, "bot"), user.as_uuid().as_bytes())
            .await
            .unwrap();
        store
            .insert_challenge(&challenge(user), &[9, user.as_uuid().as_bytes()[15]])
            .await
            .unwrap();
    }
    assert_eq!(store.force_password_reset(alice).await.unwrap(), 2);
    assert!(
        store
            .account(alice)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert!(
        !store
            .account(bob)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert!(store.user_sessions(alice).await.unwrap().is_empty());
    assert!(store.user_api_tokens(alice).await.unwrap().is_empty());
    assert_eq!(store.user_sessions(bob).await.unwrap().len(), 1);
    assert!(matches!(
        store.force_password_reset(UserId::new()).await,
        Err(StoreError::NotFound("user"))
    ));

    // A new password clears the flag.
    assert!(store.set_password_hash(alice, "h3", 20).await.unwrap());
    assert!(
        !store
            .account(alice)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );

    assert_eq!(store.force_password_reset_all().await.unwrap(), (2, 1));
    for user in [alice, bob] {
        assert!(
            store
                .account(user)
                .await
                .unwrap()
                .unwrap()
                .must_change_password
        );
        assert!(store.user_sessions(user).await.unwrap().is_empty());
        assert!(store.user_api_tokens(user).await.unwrap().is_empty());
    }
    assert!(store
        .challenge(&[9, bob.as_uuid().as_bytes()[15]])
        .await
        .unwrap()
        .is_none());

    // A role change also ends every session.
    store
        .insert_session(&session(bob, 50), b"bob-again")
        .await
        .unwrap();
    assert!(store.set_user_role(bob, "admin").await.unwrap());
    assert!(store.user_sessions(bob).await.unwrap().is_empty());
    assert_eq!(store.account(bob).await.unwrap().unwrap().role, "admin");
});

on_both!(sessions_by_token_digest, |store: Store| async move {
    let alice = account(&store, "alice@example.com", Some("h")).await;
    let bob = account(&store, "bob@example.com", Some("h")).await;
    let first = session(alice, 100);
    let second = session(alice, 200);
    store.insert_session(&first, b"digest-1").await.unwrap();
    store.insert_session(&second, b"digest-2").await.unwrap();
    store
        .insert_session(&session(bob, 300), b"digest-3")
        .await
        .unwrap();
    let dup = store.insert_session(&session(bob, 301), b"digest-3").await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

    assert_eq!(
        store.session_by_token_hash(b"digest-1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.session_by_token_hash(b"digest-9").await.unwrap(),
        None
    );
    let listed = store.user_sessions(alice).await.unwrap();
    assert_eq!(listed, vec![second.clone(), first.clone()], "newest first");

    assert!(store.touch_session(first.id, 150).await.unwrap());
    assert_eq!(
        store
            .session_by_token_hash(b"digest-1")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at_us,
        150
    );
    assert!(store
        .reauthenticate_session(first.id, b"digest-1b", 160)
        .await
        .unwrap());
    assert_eq!(
        store.session_by_token_hash(b"digest-1").await.unwrap(),
        None,
        "old token dead"
    );
    let now = store
        .session_by_token_hash(b"digest-1b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((now.authenticated_at_us, now.last_seen_at_us), (160, 160));

    assert!(
        !store.delete_session(bob, first.id).await.unwrap(),
        "not bob's"
    );
    assert!(store.delete_session(alice, first.id).await.unwrap());
    assert!(!store.delete_session(alice, first.id).await.unwrap());

    store
        .insert_session(&session(alice, 400), b"digest-4")
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_user_sessions(alice, Some(second.id))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.user_sessions(alice).await.unwrap(),
        vec![second.clone()]
    );
    assert_eq!(store.delete_user_sessions(alice, None).await.unwrap(), 1);

    // Purge: bob's session (created 300, deadline 1300) is idle before 350.
    assert_eq!(store.purge_expired_sessions(1_000, 350).await.unwrap(), 1);
    store
        .insert_session(&session(bob, 5_000), b"digest-5")
        .await
        .unwrap();
    assert_eq!(store.delete_all_sessions().await.unwrap(), 1);
});

on_both!(api_tokens_and_challenges, |store: Store| async move {
    let alice = account(&store, "alice@example.com", Some("h")).await;
    let bob = account(&store, "bob@example.com", Some("h")).await;
    let t = token(alice, "script");
    store.insert_api_token(&t, b"tok-digest").await.unwrap();
    let used = store
        .use_api_token(b"tok-digest", 77)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used, t);
    let listed = store.user_api_tokens(alice).await.unwrap();
    assert_eq!(listed[0].last_used_at_us, Some(77));
    assert_eq!(store.use_api_token(b"nope", 1).await.unwrap(), None);
    assert!(!store.delete_api_token(bob, t.id).await.unwrap());
    assert!(store.delete_api_token(alice, t.id).await.unwrap());
    assert_eq!(store.use_api_token(b"tok-digest", 78).await.unwrap(), None);

    let c = challenge(alice);
    store.insert_challenge(&c, b"ch-1").await.unwrap();
    assert_eq!(store.challenge(b"ch-1").await.unwrap(), Some(c));
    assert_eq!(store.bump_challenge_attempts(b"ch-1").await.unwrap(), 1);
    assert_eq!(store.bump_challenge_attempts(b"ch-1").await.unwrap(), 2);
    assert!(store.take_challenge(b"ch-1").await.unwrap());
    assert!(
        !store.take_challenge(b"ch-1").await.unwrap(),
        "completes once"
    );
    assert_eq!(store.bump_challenge_attempts(b"ch-1").await.unwrap(), 0);
});

on_both!(totp_steps_never_repeat, |store: Store| async move {
    let alice = account(&store, "alice@example.com", Some("h")).await;
    let first = TotpFactorRow {
        id: "factor-1".into(),
        user_id: alice,
        confirmed: false,
        last_used_step: -1,
        created_at_us: 1,
    };
    store
        .insert_pending_totp(&first, &seed("factor-1", alice))
        .await
        .unwrap();
    assert_eq!(
        store.totp_factor(alice, false).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.totp_factor(alice, true).await.unwrap(), None);
    // A second enrolment replaces the first pending one, seed included.
    let second = TotpFactorRow {
        id: "factor-2".into(),
        ..first.clone()
    };
    store
        .insert_pending_totp(&second, &seed("factor-2", alice))
        .await
        .unwrap();
    assert!(store.sealed_secrets("factor-1").await.unwrap().is_empty());
    assert!(!store
        .confirm_totp(alice, "factor-1", 10, &[], 2)
        .await
        .unwrap());

    let codes: Vec<Vec<u8>> = (0u8..10).map(|i| vec![i; 32]).collect();
    assert!(store
        .confirm_totp(alice, "factor-2", 100, &codes, 3)
        .await
        .unwrap());
    let confirmed = store.totp_factor(alice, true).await.unwrap().unwrap();
    assert_eq!(
        (confirmed.id.as_str(), confirmed.last_used_step),
        ("factor-2", 100)
    );
    assert_eq!(store.unused_recovery_codes(alice).await.unwrap(), 10);

    assert!(
        !store.advance_totp_step("factor-2", 100).await.unwrap(),
        "same step"
    );
    assert!(
        !store.advance_totp_step("factor-2", 99).await.unwrap(),
        "earlier step"
    );
    assert!(store.advance_totp_step("factor-2", 101).await.unwrap());
    assert!(
        !store.advance_totp_step("factor-2", 101).await.unwrap(),
        "replay"
    );

    // Re-enrolment keeps the confirmed factor until the new one is confirmed.
    let third = TotpFactorRow {
        id: "factor-3".into(),
        ..first.clone()
    };
    store
        .insert_pending_totp(&third, &seed("factor-3", alice))
        .await
        .unwrap();
    assert_eq!(
        store.totp_factor(alice, true).await.unwrap().unwrap().id,
        "factor-2"
    );
    assert!(store
        .confirm_totp(alice, "factor-3", 200, &codes[..3], 4)
        .await
        .unwrap());
    assert!(store.sealed_secrets("factor-2").await.unwrap().is_empty());
    assert_eq!(store.sealed_secrets("factor-3").await.unwrap().len(), 1);
    assert_eq!(store.unused_recovery_codes(alice).await.unwrap(), 3);

    assert!(store.delete_totp(alice).await.unwrap());
    assert!(store.totp_factor(alice, true).await.unwrap().is_none());
    assert!(store.sealed_secrets("factor-3").await.unwrap().is_empty());
    assert_eq!(store.unused_recovery_codes(alice).await.unwrap(), 0);
    assert!(!store.delete_totp(alice).await.unwrap());
});

on_both!(recovery_codes_are_single_use, |store: Store| async move {
    let alice = account(&store, "alice@example.com", Some("h")).await;
    let bob = account(&store, "bob@example.com", Some("h")).await;
    let codes: Vec<Vec<u8>> = (0u8..10).map(|i| vec![i; 32]).collect();
    store
        .replace_recovery_codes(alice, &codes, 1)
        .await
        .unwrap();
    assert!(
        !store
            .consume_recovery_code(bob, &codes[0], 2)
            .await
            .unwrap(),
        "not bob's"
    );
    assert!(store
        .consume_recovery_code(alice, &codes[0], 2)
        .await
        .unwrap());
    assert!(
        !store
            .consume_recovery_code(alice, &codes[0], 3)
            .await
            .unwrap(),
        "used"
    );
    assert_eq!(store.unused_recovery_codes(alice).await.unwrap(), 9);
    // Racing consumers of one code: exactly one wins.
    let (a, b) = tokio::join!(
        store.consume_recovery_code(alice, &codes[1], 4),
        store.consume_recovery_code(alice, &codes[1], 4)
    );
    assert!(a.unwrap() ^ b.unwrap());
    store
        .replace_recovery_codes(alice, &codes[5..], 5)
        .await
        .unwrap();
    assert_eq!(store.unused_recovery_codes(alice).await.unwrap(), 5);
});

on_both!(throttle_counts_decay, |store: Store| async move {
    let key = "account:alice@example.com".to_owned();
    for expected in 1..=3 {
        assert_eq!(
            store
                .record_login_failure(&key, 100 + expected, 0)
                .await
                .unwrap(),
            expected
        );
    }
    let rows = store
        .throttle_rows(&[key.clone(), "addr:192.0.2.1".into()])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].failures, rows[0].last_failure_at_us), (3, 103));
    // A failure after the quiet period restarts the count.
    assert_eq!(
        store
            .record_login_failure(&key, 10_000, 5_000)
            .await
            .unwrap(),
        1
    );
    store.clear_login_failures(&key).await.unwrap();
    assert!(store
        .throttle_rows(std::slice::from_ref(&key))
        .await
        .unwrap()
        .is_empty());
    // Concurrent failures are all counted.
    let addr = "addr:192.0.2.1";
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.record_login_failure(addr, 200 + i, 0).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        store.throttle_rows(&[addr.into()]).await.unwrap()[0].failures,
        8
    );
});
