//! [`Engine`]: the whole exchange state and its public API.
//!
//! Pure: time comes in as `now_ms`, randomness from the engine's own seeded ChaCha8 RNG, and
//! every mutation returns the events it caused. The server keeps it behind a Mutex and writes
//! `serde` snapshots of it (the whole struct is Serialize/Deserialize).

use super::accounts::{Balance, Ledger};
use super::config::EngineConfig;
use super::events::EngineEvent;
use super::market::{FastMap, Market};
use super::marketdata::SymbolInfo;
use super::order::{AccountTrade, Order};
use super::reject::{ConfigError, RejectReason};
use super::text::ShortStr;
use super::types::AccountId;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The house market maker's account (always index 0).
pub const HOUSE_ACCOUNT: AccountId = AccountId(0);
/// The account that collects commissions (always index 1).
pub const FEE_ACCOUNT: AccountId = AccountId(1);

/// Per-account order bookkeeping beyond balances.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct UserOrders {
    /// Open orders by client order id → (market index, order id).
    pub open_by_client: FastMap<ShortStr, (u32, u64)>,
    /// Closed orders per market, oldest first (capped).
    pub closed: Vec<VecDeque<Order>>,
    /// Fills per market, oldest first (capped).
    pub trades: Vec<VecDeque<AccountTrade>>,
    /// Number of open orders per market (for `open_orders` without scanning every market).
    pub open_count: Vec<u32>,
}

/// The exchange.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) ledger: Ledger,
    pub(crate) markets: Vec<Market>,
    pub(crate) users: Vec<UserOrders>,
    /// Symbol → market index.
    pub(crate) by_symbol: FastMap<ShortStr, u32>,
    /// Events of the operation in progress: the engine's own buffer, or the caller's while a
    /// `*_into` operation runs (swapped in and out, so events are written once, in place).
    #[serde(skip)]
    pub(crate) events: Vec<EngineEvent>,
    /// Length of `events` when the operation began (what an aborted operation returns to).
    #[serde(skip)]
    pub(crate) events_mark: usize,
    /// Markets begun in the operation in progress (so `finish` visits only those).
    #[serde(skip)]
    pub(crate) touched: Vec<u32>,
}

impl Engine {
    /// Builds the engine: markets from the config, the house account (funded with
    /// `house.balance_per_asset` of every asset) and the fee account; the house quotes at once.
    /// Ordinary accounts are added with [`Engine::add_account`].
    pub fn new(config: EngineConfig) -> Result<Engine, ConfigError> {
        super::setup::build(config)
    }

    /// The configuration the engine was built with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Adds an account with starting balances (assets unknown to any market are accepted and
    /// simply held). `label` is free text for the server's mapping (never a secret).
    pub fn add_account(
        &mut self,
        label: &str,
        balances: &[(&str, Decimal)],
    ) -> Result<AccountId, ConfigError> {
        super::setup::add_account(self, label, balances)
    }

    /// The account with this label, if any.
    pub fn account_by_label(&self, label: &str) -> Option<AccountId> {
        self.ledger
            .accounts
            .iter()
            .position(|a| a.label == label)
            .map(|i| AccountId(i as u32))
    }

    /// Every account id, the house and fee accounts included.
    pub fn accounts(&self) -> Vec<AccountId> {
        (0..self.ledger.accounts.len() as u32)
            .map(AccountId)
            .collect()
    }

    /// Adds `amount` of `asset` to an account's free balance (a deposit; changes the total).
    pub fn deposit(
        &mut self,
        account: AccountId,
        asset: &str,
        amount: Decimal,
        now_ms: u64,
    ) -> Result<Vec<EngineEvent>, ConfigError> {
        super::setup::deposit(self, account, asset, amount, now_ms)
    }

    /// Balances of an account (every known asset, zeros included). Empty for an unknown account.
    pub fn balances(&self, account: AccountId) -> Vec<Balance> {
        self.ledger.balances(account)
    }

    /// One balance, zeros for an unknown asset.
    pub fn balance(&self, account: AccountId, asset: &str) -> Balance {
        let slot = self
            .ledger
            .asset_index(asset)
            .map(|i| self.ledger.slot(account, i))
            .unwrap_or_default();
        Balance {
            asset: ShortStr::new(asset).unwrap_or_default(),
            free: slot.free,
            locked: slot.locked,
        }
    }

    /// Sum of free + locked over every account (house and fees included), per asset: constant
    /// under trading, which the property tests check.
    pub fn total_by_asset(&self) -> Vec<(ShortStr, Decimal)> {
        self.ledger
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let sum = self
                    .ledger
                    .accounts
                    .iter()
                    .map(|acc| acc.slots[i].free + acc.slots[i].locked)
                    .sum();
                (*a, sum)
            })
            .collect()
    }

    /// exchangeInfo data of every market, in config order.
    pub fn symbols(&self) -> Vec<SymbolInfo> {
        self.markets.iter().map(|m| m.info.clone()).collect()
    }

    /// exchangeInfo data of one market.
    pub fn symbol_info(&self, symbol: &str) -> Result<SymbolInfo, RejectReason> {
        Ok(self.market(symbol)?.info.clone())
    }

    /// Checks every invariant the property tests rely on; `Err` names the first broken one.
    /// (Book never crossed; free/locked never negative; locked equals what open orders need.)
    pub fn check_invariants(&self) -> Result<(), String> {
        super::invariants::check(self)
    }

    pub(crate) fn market_index(&self, symbol: &str) -> Result<usize, RejectReason> {
        // A few markets: comparing the strings beats building and hashing a key.
        if self.markets.len() <= 4 {
            return self
                .markets
                .iter()
                .position(|mk| mk.info.symbol.as_bytes() == symbol.as_bytes())
                .ok_or(RejectReason::InvalidSymbol);
        }
        let key = ShortStr::new(symbol).ok_or(RejectReason::InvalidSymbol)?;
        self.by_symbol
            .get(&key)
            .map(|i| *i as usize)
            .ok_or(RejectReason::InvalidSymbol)
    }

    pub(crate) fn market(&self, symbol: &str) -> Result<&Market, RejectReason> {
        let i = self.market_index(symbol)?;
        self.markets.get(i).ok_or(RejectReason::InvalidSymbol)
    }
}
