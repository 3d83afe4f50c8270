//! A sink that appends to the database through a single ordered writer task.
//!
//! `record` only enqueues (so it is cheap on the signing path); the writer drains the queue and
//! commits everything it finds in one transaction, so under load many events share a commit.
//! `flush` waits until everything recorded before it is committed; shutdown flushes.
//! With a [`Checkpointer`] the writer also makes a signed checkpoint every so many entries,
//! every so often while the log grows, and on demand ([`StoreAuditSink::checkpoint_now`]).

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tradeward_store::{AuditRow, Store};

use crate::checkpoint::SignedCheckpoint;
use crate::checkpointer::Checkpointer;
use crate::{AuditError, AuditEvent, AuditSink};

type CheckpointReply = oneshot::Sender<Result<Option<SignedCheckpoint>, String>>;

enum Message {
    Event(Box<AuditRow>),
    Flush(oneshot::Sender<Result<(), String>>),
    Checkpoint(CheckpointReply),
    Close(oneshot::Sender<Result<(), String>>),
}

/// When the writer makes checkpoints on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// After this many new entries.
    pub every_entries: u64,
    /// After this long, if any entry was appended meanwhile.
    pub every: Duration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            every_entries: 100_000,
            every: Duration::from_secs(60),
        }
    }
}

/// Appends audit events to the store, in order, with group commits.
#[derive(Debug, Clone)]
pub struct StoreAuditSink {
    tx: mpsc::UnboundedSender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Event(row) => write!(f, "Event({})", row.kind),
            Message::Flush(_) => f.write_str("Flush"),
            Message::Checkpoint(_) => f.write_str("Checkpoint"),
            Message::Close(_) => f.write_str("Close"),
        }
    }
}

/// The most events one transaction carries.
const MAX_BATCH: usize = 4096;

impl StoreAuditSink {
    /// Starts the writer task on the current tokio runtime (no checkpoints).
    pub fn spawn(store: Store) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(store, rx, None));
        Self { tx }
    }

    /// Starts the writer task with checkpoints made by `checkpointer` under `policy`.
    pub fn spawn_with_checkpoints(
        store: Store,
        checkpointer: Checkpointer,
        policy: CheckpointPolicy,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(store, rx, Some((checkpointer, policy))));
        Self { tx }
    }

    /// Waits until every event recorded before this call is committed.
    pub async fn flush(&self) -> Result<(), AuditError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Message::Flush(done))
            .map_err(|_| AuditError::WriterStopped)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => {
                tracing::error!(%reason, "audit flush failed");
                Err(AuditError::WriterStopped)
            }
            Err(_) => Err(AuditError::WriterStopped),
        }
    }

    /// Commits everything recorded before this call and makes a checkpoint of it now (`None`
    /// if nothing was appended since the last one). Fails if the sink has no checkpointer.
    pub async fn checkpoint_now(&self) -> Result<Option<SignedCheckpoint>, AuditError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Message::Checkpoint(done))
            .map_err(|_| AuditError::WriterStopped)?;
        match wait.await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(reason)) => Err(AuditError::CheckpointFailed(reason)),
            Err(_) => Err(AuditError::WriterStopped),
        }
    }
}

impl StoreAuditSink {
    /// Commits everything recorded before this call, makes a final checkpoint (with a
    /// checkpointer) and stops the writer; later `record`s fail with `WriterStopped`. Call it
    /// before a process exits: a writer left to notice the end on its own may be cut short by
    /// the runtime shutting down.
    pub async fn close(&self) -> Result<(), AuditError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Message::Close(done))
            .map_err(|_| AuditError::WriterStopped)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(AuditError::CheckpointFailed(reason)),
            Err(_) => Err(AuditError::WriterStopped),
        }
    }
}

impl AuditSink for StoreAuditSink {
    fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.tx
            .send(Message::Event(Box::new(event.to_row())))
            .map_err(|_| AuditError::WriterStopped)
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

struct Checkpointing {
    checkpointer: Checkpointer,
    policy: CheckpointPolicy,
    since: u64,
    last: Instant,
}

impl Checkpointing {
    async fn run(&mut self) -> Result<Option<SignedCheckpoint>, AuditError> {
        let made = self.checkpointer.checkpoint(now_us()).await;
        // Whatever happened, wait a full interval before trying on our own again.
        self.since = 0;
        self.last = Instant::now();
        made
    }

    fn due(&self) -> bool {
        self.since >= self.policy.every_entries
            || (self.since > 0 && self.last.elapsed() >= self.policy.every)
    }
}

async fn writer(
    store: Store,
    mut rx: mpsc::UnboundedReceiver<Message>,
    checkpoints: Option<(Checkpointer, CheckpointPolicy)>,
) {
    let mut cp = checkpoints.map(|(checkpointer, policy)| Checkpointing {
        checkpointer,
        policy,
        since: 0,
        last: Instant::now(),
    });
    let mut batch: Vec<AuditRow> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<Result<(), String>>> = Vec::new();
    let mut asked: Vec<CheckpointReply> = Vec::new();
    let mut closing: Option<oneshot::Sender<Result<(), String>>> = None;
    loop {
        let tick = cp
            .as_ref()
            .map_or(Duration::from_secs(3600), |c| c.policy.every);
        let first = match tokio::time::timeout(tick, rx.recv()).await {
            Ok(Some(m)) => Some(m),
            Ok(None) => break,
            Err(_) => None,
        };
        let mut next = first;
        while let Some(msg) = next.take() {
            match msg {
                Message::Event(row) => batch.push(*row),
                Message::Flush(w) => waiters.push(w),
                Message::Checkpoint(w) => asked.push(w),
                Message::Close(w) => closing = Some(w),
            }
            if batch.len() >= MAX_BATCH || closing.is_some() {
                break;
            }
            next = rx.try_recv().ok();
        }
        let appended = batch.len() as u64;
        let mut result = commit(&store, &mut batch).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "audit batch failed to commit; retrying");
            // Keep the batch and try again shortly: losing audit events silently is worse
            // than delaying them. Flush waiters learn of the failure.
            tokio::time::sleep(Duration::from_millis(100)).await;
            result = commit(&store, &mut batch).await;
        }
        for w in waiters.drain(..) {
            let _ = w.send(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
        if let Some(w) = closing.take() {
            let mut outcome = result.map_err(|e| e.to_string());
            if let Some(c) = &mut cp {
                let made = c.run().await.map(|_| ()).map_err(|e| e.to_string());
                outcome = outcome.and(made);
                for a in asked.drain(..) {
                    let _ = a.send(Err("the audit sink is closing".into()));
                }
            }
            let _ = w.send(outcome);
            // Stop taking events: what comes after a close has no checkpoint to land in.
            rx.close();
            while let Ok(m) = rx.try_recv() {
                if let Message::Event(row) = m {
                    tracing::error!(kind = %row.kind, "audit event recorded after close: not written");
                }
            }
            return;
        }
        match &mut cp {
            Some(c) => {
                if result.is_ok() {
                    c.since += appended;
                }
                if !asked.is_empty() || c.due() {
                    let made = c.run().await;
                    if let Err(e) = &made {
                        tracing::error!(error = %e, "audit checkpoint failed");
                    }
                    let reply = made.map_err(|e| e.to_string());
                    for w in asked.drain(..) {
                        let _ = w.send(reply.clone());
                    }
                }
            }
            None => {
                for w in asked.drain(..) {
                    let _ = w.send(Err("this audit sink makes no checkpoints".into()));
                }
            }
        }
    }
    if let Err(e) = commit(&store, &mut batch).await {
        tracing::error!(error = %e, "audit events lost at shutdown");
    }
    if let Some(c) = &mut cp {
        if let Err(e) = c.run().await {
            tracing::error!(error = %e, "audit checkpoint at shutdown failed");
        }
    }
}

async fn commit(
    store: &Store,
    batch: &mut Vec<AuditRow>,
) -> Result<(), tradeward_store::StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    store.append_audit(batch).await?;
    batch.clear();
    Ok(())
}
