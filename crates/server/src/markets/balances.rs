//! Balances per credential, read from the venue through the signer and cached briefly.
//!
//! Each credential has one slot behind an async mutex: the first reader after the entry
//! expires makes the venue call while later readers wait for its answer instead of making
//! their own (one signature, one audit entry, one venue request per refresh).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tradeward_domain::CredentialId;
use tradeward_exchange::{Balance, ExchangeError};

/// Balances as last read from the venue.
#[derive(Debug, Clone)]
pub struct CachedBalances {
    /// Per asset.
    pub balances: Vec<Balance>,
    /// When they were read, ms since the epoch.
    pub read_at_ms: u64,
}

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, CachedBalances)>>>;

/// The per-credential cache.
#[derive(Debug)]
pub struct BalanceCache {
    ttl: Duration,
    slots: Mutex<HashMap<CredentialId, Slot>>,
}

impl BalanceCache {
    /// Entries live for `ttl` (zero: always read from the venue).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, id: CredentialId) -> Slot {
        // One insert per critical section: a panic cannot leave the map half-written.
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id)
            .or_default()
            .clone()
    }

    /// The balances of `id`: cached when fresh, otherwise from `fetch` (whose failure is
    /// returned and not cached).
    pub async fn get_or_fetch<F, Fut>(
        &self,
        id: CredentialId,
        fetch: F,
    ) -> Result<CachedBalances, ExchangeError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<CachedBalances, ExchangeError>>,
    {
        let slot = self.slot(id);
        let mut entry = slot.lock().await;
        if let Some((at, cached)) = entry.as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(cached.clone());
            }
        }
        let fresh = fetch().await?;
        *entry = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// Forgets `id` (its key was deleted or replaced).
    pub fn forget(&self, id: CredentialId) {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_readers_share_one_fetch_and_errors_are_not_cached() {
        let cache = Arc::new(BalanceCache::new(Duration::from_secs(60)));
        let calls = Arc::new(AtomicUsize::new(0));
        let id = CredentialId::new();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch(id, || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(CachedBalances {
                            balances: Vec::new(),
                            read_at_ms: 7,
                        })
                    })
                    .await
                    .unwrap()
                    .read_at_ms
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let other = CredentialId::new();
        let e = cache
            .get_or_fetch(other, || async {
                Err(ExchangeError::Invalid("down".into()))
            })
            .await;
        assert!(e.is_err());
        let ok = cache
            .get_or_fetch(other, || async {
                Ok(CachedBalances {
                    balances: Vec::new(),
                    read_at_ms: 9,
                })
            })
            .await
            .unwrap();
        assert_eq!(ok.read_at_ms, 9);
    }
}
