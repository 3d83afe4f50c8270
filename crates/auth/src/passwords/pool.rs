//! A bounded pool for password hashing, so a flood of logins queues instead of starving the
//! server: at most `workers` hashes run at once (on tokio's blocking threads, never on the
//! async workers), at most `queue` more wait, and anything beyond is refused as busy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::AuthError;

/// Runs CPU-heavy hashing with bounded concurrency and a bounded queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HashingPool {
    permits: Arc<Semaphore>,
    pending: Arc<AtomicUsize>,
    capacity: usize,
}

/// Decrements the pending count however the request ends (including cancellation).
struct Pending(Arc<AtomicUsize>);

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashingPool {
    /// A pool of `workers` concurrent jobs with `queue` waiting places.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            pending: Arc::new(AtomicUsize::new(0)),
            capacity: workers + queue,
        }
    }

    /// Runs `job` on a blocking thread once a worker is free. [`AuthError::Busy`] when the
    /// queue is full.
    pub async fn run<R, F>(&self, job: F) -> Result<R, AuthError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(AuthError::Busy);
        }
        let _pending = Pending(self.pending.clone());
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AuthError::Internal("hashing pool closed"))?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|_| AuthError::Internal("hashing job panicked"))
    }

    /// Jobs running or waiting.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrency_is_bounded_and_the_overflow_is_refused() {
        let pool = HashingPool::new(2, 3);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut jobs = Vec::new();
        for _ in 0..8 {
            let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
            jobs.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(100));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        // While those run, the async runtime still answers at once.
        let started = Instant::now();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(started.elapsed() < Duration::from_millis(80));
        let mut busy = 0;
        for j in jobs {
            if let Err(AuthError::Busy) = j.await.unwrap() {
                busy += 1;
            }
        }
        assert_eq!(busy, 3, "2 running + 3 queued; 3 refused");
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(pool.pending(), 0);
    }
}
