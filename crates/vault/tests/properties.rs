//! Properties over arbitrary secrets and contexts (local provider): every seal opens in its
//! own context and in no other.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use tradeward_vault::{LocalKeyProvider, SealContext, Vault, VaultError};

fn vault() -> &'static (tempfile::TempDir, Vault) {
    static VAULT: OnceLock<(tempfile::TempDir, Vault)> = OnceLock::new();
    VAULT.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let v = Vault::new(Arc::new(
            LocalKeyProvider::open_or_create(&tmp.path().join("kek")).unwrap(),
        ));
        (tmp, v)
    })
}

fn context() -> impl Strategy<Value = SealContext> {
    (
        "[a-z0-9-]{0,12}",
        "[a-z0-9-]{0,12}",
        "[a-z]{0,8}",
        "[a-z_]{0,10}",
    )
        .prop_map(|(o, r, v, f)| SealContext {
            owner: o,
            record_id: r,
            venue: v,
            field: f,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn opens_in_its_own_context_only(secret in proptest::collection::vec(any::<u8>(), 0..256), a in context(), b in context()) {
        let v = &vault().1;
        let sealed = v.seal(&a, &secret).unwrap();
        let opened = v.open(&a, &sealed).unwrap();
        prop_assert_eq!(opened.expose(), &secret[..]);
        if a != b {
            let moved = matches!(v.open(&b, &sealed), Err(VaultError::UnwrapFailed { .. }));
            prop_assert!(moved, "a seal for {:?} opened or failed oddly in {:?}", a, b);
        }
    }
}
