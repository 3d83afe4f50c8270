//! The trading switches as the signer sees them: read from the store, cached briefly.
//!
//! Another process (the `tradeward admin` CLI) may flip a switch in the database; the signer
//! re-reads within `TTL`. Changes made through this signer apply at once. A switch that cannot
//! be read counts as off: fail closed.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tradeward_domain::UserId;
use tradeward_store::{Store, StoreError};

/// How long a switch value read from the database is trusted.
pub const TTL: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub(crate) struct TradingSwitches {
    store: Store,
    global: Mutex<Option<(bool, Instant)>>,
    users: Mutex<HashMap<UserId, (bool, Instant)>>,
}

fn fresh(entry: Option<(bool, Instant)>) -> Option<bool> {
    entry.filter(|(_, at)| at.elapsed() < TTL).map(|(v, _)| v)
}

impl TradingSwitches {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            store,
            global: Mutex::new(None),
            users: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) async fn global_enabled(&self) -> bool {
        if let Some(v) = fresh(*self.global.lock().unwrap_or_else(PoisonError::into_inner)) {
            return v;
        }
        let value = self.store.global_trading_enabled().await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the global trading switch; treating it as off");
            false
        });
        *self.global.lock().unwrap_or_else(PoisonError::into_inner) = Some((value, Instant::now()));
        value
    }

    pub(crate) async fn user_enabled(&self, user: UserId) -> bool {
        let cached = self
            .users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .copied();
        if let Some(v) = fresh(cached) {
            return v;
        }
        let value = match self.store.user(user).await {
            Ok(Some(row)) => row.trading_enabled,
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a user's trading switch; treating it as off");
                false
            }
        };
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, (value, Instant::now()));
        value
    }

    pub(crate) async fn set_global(&self, enabled: bool) -> Result<(), StoreError> {
        let now_us = crate::clock::now_us();
        self.store.set_global_trading(enabled, now_us).await?;
        *self.global.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((enabled, Instant::now()));
        Ok(())
    }

    pub(crate) async fn set_user(&self, user: UserId, enabled: bool) -> Result<(), StoreError> {
        if !self.store.set_user_trading(user, enabled).await? {
            return Err(StoreError::NotFound("user"));
        }
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, (enabled, Instant::now()));
        Ok(())
    }
}
