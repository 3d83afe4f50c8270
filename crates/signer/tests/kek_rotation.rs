//! `vault rotate-kek`: every data key moves to a new KEK version without decrypting a secret,
//! signing keeps working, and a rotation interrupted half-way resumes instead of restarting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tradeward_domain::Venue;
use tradeward_signer::schemes::{HttpMethod, UnsignedRequest};
use tradeward_signer::{rotate_kek, CallContext, CredentialLimits, Signer};

fn account() -> UnsignedRequest {
    UnsignedRequest::new(HttpMethod::Get, "/api/v3/account")
}

async fn with_credentials(n: usize) -> (Harness, Vec<tradeward_domain::CredentialId>) {
    let h = sqlite_harness().await;
    let ctx = CallContext::component("web").for_user(h.user);
    let mut ids = Vec::new();
    for i in 0..n {
        let key = format!("api-key-number-{i:04}-abcdefgh");
        let stored = h
            .signer
            .store_credential(
                &ctx,
                input(
                    h.user,
                    Venue::Binance,
                    &key,
                    SECRET,
                    CredentialLimits::default(),
                ),
            )
            .await
            .unwrap();
        ids.push(stored.id);
    }
    (h, ids)
}

#[tokio::test]
async fn rotation_moves_every_data_key_and_signing_continues() {
    let (h, ids) = with_credentials(300).await;
    assert_eq!(
        h.store.sealed_secret_counts().await.unwrap(),
        vec![(1, 600)]
    );
    let mut seen = Vec::new();
    let report = rotate_kek(
        &h.store,
        h.signer.vault(),
        h.audit.as_ref(),
        "test",
        |done, total| seen.push((done, total)),
    )
    .await
    .unwrap();
    assert_eq!(
        (report.version, report.created_version, report.rewrapped),
        (2, true, 600)
    );
    assert_eq!(
        h.store.sealed_secret_counts().await.unwrap(),
        vec![(2, 600)]
    );
    assert_eq!(seen.first(), Some(&(0, 600)));
    assert_eq!(seen.last(), Some(&(600, 600)));
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress only moves forward"
    );

    // A fresh signer (nothing cached) opens the re-wrapped secrets.
    let fresh = Signer::new(h.store.clone(), h.signer.vault().clone(), h.audit.clone());
    for id in [ids[0], ids[299]] {
        fresh
            .sign(&engine_ctx(h.user), id, &account())
            .await
            .unwrap();
    }
    let kinds: Vec<_> = h
        .audit
        .events()
        .iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("vault."))
        .collect();
    assert_eq!(kinds, ["vault.rotate_kek.start", "vault.rotate_kek.finish"]);

    // Once nothing needs version 1, it can be retired; everything still opens.
    h.signer.vault().retire_kek_version(1).unwrap();
    let fresh = Signer::new(h.store.clone(), h.signer.vault().clone(), h.audit.clone());
    fresh
        .sign(&engine_ctx(h.user), ids[150], &account())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_interrupted_rotation_resumes_where_it_stopped() {
    let (h, ids) = with_credentials(10).await;
    // A rotation that crashed after creating version 2 and moving a few rows.
    let vault = h.signer.vault();
    let v2 = vault.rotate_kek().unwrap();
    for row in h
        .store
        .sealed_secrets_not_at_version(i64::from(v2), 3)
        .await
        .unwrap()
    {
        let ctx = tradeward_vault::SealContext::new(
            &row.owner_id,
            &row.record_id,
            &row.venue,
            &row.field,
        );
        let sealed = tradeward_vault::SealedSecret {
            ciphertext: row.ciphertext.clone(),
            nonce: row.nonce.clone(),
            wrapped_dek: row.wrapped_dek.clone(),
            kek_version: 1,
        };
        let moved = vault.rewrap(&ctx, &sealed).unwrap();
        assert!(h
            .store
            .rewrap_sealed_secret(&row, &moved.wrapped_dek, i64::from(v2))
            .await
            .unwrap());
    }
    assert_eq!(
        h.store.sealed_secret_counts().await.unwrap(),
        vec![(1, 17), (2, 3)]
    );

    let report = rotate_kek(&h.store, vault, h.audit.as_ref(), "test", |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (report.version, report.created_version, report.rewrapped),
        (2, false, 17)
    );
    assert_eq!(h.store.sealed_secret_counts().await.unwrap(), vec![(2, 20)]);
    let fresh = Signer::new(h.store.clone(), vault.clone(), h.audit.clone());
    for id in ids {
        fresh
            .sign(&engine_ctx(h.user), id, &account())
            .await
            .unwrap();
    }
    // With nothing behind, the next run makes a new version.
    let next = rotate_kek(&h.store, vault, h.audit.as_ref(), "test", |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (next.version, next.created_version, next.rewrapped),
        (3, true, 20)
    );
}
