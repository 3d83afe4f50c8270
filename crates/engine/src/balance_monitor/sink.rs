//! Where balance snapshots go: [`BalanceSink`], and [`AlertFeed`], the sink that feeds the
//! trigger books' balance alerts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use tokio::sync::mpsc;
use tradeward_domain::{CredentialId, Venue};
use tradeward_exchange::ExchangeError;

use super::BalanceSnapshot;
use crate::event::Event;
use crate::TriggerBooks;

/// Receives every snapshot the monitor takes (polled or from the user data stream) and every
/// failed poll. Called from the monitor's tasks: keep it quick (hand work to a channel).
pub trait BalanceSink: Send + Sync + std::fmt::Debug {
    /// A new snapshot of one credential.
    fn on_snapshot(&self, snapshot: &BalanceSnapshot);

    /// A poll failed (the previous snapshot stays the latest).
    fn on_poll_error(&self, _credential: CredentialId, _venue: Venue, _error: &ExchangeError) {}
}

/// Feeds each asset's balance (free + locked) of every snapshot to the trigger books'
/// balance alerts and sends the alerts that fire. An asset that was in the previous
/// snapshot of a credential and is missing from this one is fed as zero (venues omit
/// emptied assets), so an "at or below" alert still fires.
#[derive(Debug)]
pub struct AlertFeed {
    books: Arc<Mutex<TriggerBooks>>,
    out: mpsc::UnboundedSender<Event>,
    seen: Mutex<HashMap<CredentialId, Vec<String>>>,
}

impl AlertFeed {
    /// A feed into `books`; fired alerts go to `out`.
    pub fn new(books: Arc<Mutex<TriggerBooks>>, out: mpsc::UnboundedSender<Event>) -> Self {
        Self {
            books,
            out,
            seen: Mutex::new(HashMap::new()),
        }
    }
}

impl BalanceSink for AlertFeed {
    fn on_snapshot(&self, s: &BalanceSnapshot) {
        let assets: Vec<String> = s.balances.iter().map(|b| b.asset.clone()).collect();
        let gone: Vec<String> = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let before = seen
                .insert(s.credential, assets.clone())
                .unwrap_or_default();
            before.into_iter().filter(|a| !assets.contains(a)).collect()
        };
        let mut events = Vec::new();
        {
            let mut books = self.books.lock().unwrap_or_else(|p| p.into_inner());
            for b in &s.balances {
                books.on_balance(s.credential, &b.asset, b.free + b.locked, &mut events);
            }
            for a in &gone {
                books.on_balance(s.credential, a, Decimal::ZERO, &mut events);
            }
        }
        for e in events {
            // A closed receiver means the service is shutting down: nothing left to tell.
            let _ = self.out.send(e);
        }
    }
}
