//! A sink that appends to the database through a single ordered writer task.
//!
//! `record` only enqueues (so it is cheap on the signing path); the writer drains the queue and
//! commits everything it finds in one transaction, so under load many events share a commit.
//! `flush` waits until everything recorded before it is committed; shutdown flushes.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tradeward_store::{AuditRow, Store};

use crate::{AuditError, AuditEvent, AuditSink};

enum Message {
    Event(Box<AuditRow>),
    Flush(oneshot::Sender<Result<(), String>>),
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
        }
    }
}

/// The most events one transaction carries.
const MAX_BATCH: usize = 4096;

impl StoreAuditSink {
    /// Starts the writer task on the current tokio runtime.
    pub fn spawn(store: Store) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(store, rx));
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
}

impl AuditSink for StoreAuditSink {
    fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.tx
            .send(Message::Event(Box::new(event.to_row())))
            .map_err(|_| AuditError::WriterStopped)
    }
}

async fn writer(store: Store, mut rx: mpsc::UnboundedReceiver<Message>) {
    let mut batch: Vec<AuditRow> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<Result<(), String>>> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Message::Event(row) => batch.push(*row),
                Message::Flush(w) => waiters.push(w),
            }
            if batch.len() >= MAX_BATCH {
                break;
            }
            next = rx.try_recv().ok();
        }
        let result = commit(&store, &mut batch).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "audit batch failed to commit; retrying");
            // Keep the batch and try again shortly: losing audit events silently is worse
            // than delaying them. Flush waiters learn of the failure.
            tokio::time::sleep(Duration::from_millis(100)).await;
            if commit(&store, &mut batch).await.is_ok() {
                for w in waiters.drain(..) {
                    let _ = w.send(Ok(()));
                }
                continue;
            }
        }
        for w in waiters.drain(..) {
            let _ = w.send(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
    }
    if let Err(e) = commit(&store, &mut batch).await {
        tracing::error!(error = %e, "audit events lost at shutdown");
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
