//! Account balances (free and locked per asset) with exact Decimal arithmetic.
//!
//! Accounts and assets are dense indices so the matching path touches two `Vec` slots, never
//! a map keyed by strings. Every change marks the (account, asset) dirty so the engine can emit
//! `outboundAccountPosition` events for exactly what moved.

use super::book::dcmp;
use super::dmath::{add, sub};
use super::text::ShortStr;
use super::types::AccountId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One asset balance as Binance reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Asset, e.g. "BTC".
    pub asset: ShortStr,
    /// Available.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Slot {
    pub free: Decimal,
    pub locked: Decimal,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Account {
    pub label: String,
    /// Indexed by asset index; grows when assets are added.
    pub slots: Vec<Slot>,
    /// Commission rates (the house and the fee account pay none).
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
}

/// All balances. Asset 0.. are interned in `assets`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ledger {
    pub assets: Vec<ShortStr>,
    pub accounts: Vec<Account>,
    /// (account, asset) pairs changed since the last `take_dirty`; deduplicated on take.
    #[serde(skip)]
    dirty: Vec<(u32, u32)>,
}

/// The ledger refused a movement because a balance would go negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Insufficient;

impl Ledger {
    pub fn new() -> Self {
        Self {
            assets: Vec::new(),
            accounts: Vec::new(),
            dirty: Vec::new(),
        }
    }

    /// Index of `asset`, interning it (and growing every account) when new.
    pub fn intern(&mut self, asset: ShortStr) -> u32 {
        if let Some(i) = self.assets.iter().position(|a| *a == asset) {
            return i as u32;
        }
        self.assets.push(asset);
        for a in &mut self.accounts {
            a.slots.push(Slot::default());
        }
        (self.assets.len() - 1) as u32
    }

    pub fn asset_index(&self, asset: &str) -> Option<u32> {
        self.assets
            .iter()
            .position(|a| a.as_bytes() == asset.as_bytes())
            .map(|i| i as u32)
    }

    pub fn add_account(
        &mut self,
        label: String,
        maker_fee: Decimal,
        taker_fee: Decimal,
    ) -> AccountId {
        self.accounts.push(Account {
            label,
            slots: vec![Slot::default(); self.assets.len()],
            maker_fee,
            taker_fee,
        });
        AccountId((self.accounts.len() - 1) as u32)
    }

    pub fn exists(&self, acc: AccountId) -> bool {
        acc.idx() < self.accounts.len()
    }

    pub fn slot(&self, acc: AccountId, asset: u32) -> Slot {
        self.accounts
            .get(acc.idx())
            .and_then(|a| a.slots.get(asset as usize))
            .copied()
            .unwrap_or_default()
    }

    fn slot_mut(&mut self, acc: AccountId, asset: u32) -> Option<&mut Slot> {
        // The house (0) and fee (1) accounts get no position events: not worth tracking.
        if acc.0 > 1 {
            self.dirty.push((acc.0, asset));
        }
        self.accounts
            .get_mut(acc.idx())
            .and_then(|a| a.slots.get_mut(asset as usize))
    }

    /// Adds to free (a deposit, or a credit from a trade).
    pub fn credit(&mut self, acc: AccountId, asset: u32, amount: Decimal) {
        if let Some(s) = self.slot_mut(acc, asset) {
            s.free = add(s.free, amount);
        }
    }

    /// Moves free → locked.
    pub fn lock(
        &mut self,
        acc: AccountId,
        asset: u32,
        amount: Decimal,
    ) -> Result<(), Insufficient> {
        let s = self.slot_mut(acc, asset).ok_or(Insufficient)?;
        if dcmp(s.free, amount) == Ordering::Less {
            return Err(Insufficient);
        }
        s.free = sub(s.free, amount);
        s.locked = add(s.locked, amount);
        Ok(())
    }

    /// Moves locked → free.
    pub fn unlock(&mut self, acc: AccountId, asset: u32, amount: Decimal) {
        if let Some(s) = self.slot_mut(acc, asset) {
            s.locked = sub(s.locked, amount);
            s.free = add(s.free, amount);
        }
    }

    /// Removes from locked (the asset leaves the account in a trade).
    pub fn debit_locked(&mut self, acc: AccountId, asset: u32, amount: Decimal) {
        if let Some(s) = self.slot_mut(acc, asset) {
            s.locked = sub(s.locked, amount);
        }
    }

    pub fn balances(&self, acc: AccountId) -> Vec<Balance> {
        let Some(a) = self.accounts.get(acc.idx()) else {
            return Vec::new();
        };
        a.slots
            .iter()
            .zip(&self.assets)
            .map(|(s, asset)| Balance {
                asset: *asset,
                free: s.free,
                locked: s.locked,
            })
            .collect()
    }

    /// Changed (account, asset) pairs since the last call, deduplicated, in first-change
    /// order, grouped per account (accounts in first-change order): `f` gets each account
    /// with its changed balances. Accounts for which `skip` is true are left out. The dirty
    /// list is kept (cleared) so its allocation serves the next operation.
    pub fn drain_dirty(
        &mut self,
        skip: impl Fn(AccountId) -> bool,
        mut f: impl FnMut(AccountId, super::events::Balances),
    ) {
        let dirty = std::mem::take(&mut self.dirty);
        // A handful of entries per operation: quadratic scans beat building maps.
        for (i, &(acc, _)) in dirty.iter().enumerate() {
            if skip(AccountId(acc)) || dirty[..i].iter().any(|(a, _)| *a == acc) {
                continue;
            }
            let mut balances = super::events::Balances::new();
            for (j, &(a, asset)) in dirty.iter().enumerate().skip(i) {
                if a != acc || dirty[i..j].contains(&(a, asset)) {
                    continue;
                }
                let s = self.slot(AccountId(acc), asset);
                balances.push(Balance {
                    asset: self.assets.get(asset as usize).copied().unwrap_or_default(),
                    free: s.free,
                    locked: s.locked,
                });
            }
            f(AccountId(acc), balances);
        }
        self.dirty = dirty;
        self.dirty.clear();
    }

    pub fn clear_dirty(&mut self) {
        self.dirty.clear();
    }
}
