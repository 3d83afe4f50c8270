//! Building an engine from its config, adding accounts and deposits.

use super::accounts::Ledger;
use super::book::Book;
use super::config::EngineConfig;
use super::engine::{Engine, UserOrders, FEE_ACCOUNT, HOUSE_ACCOUNT};
use super::events::EngineEvent;
use super::grid::Grid;
use super::market::Market;
use super::marketdata::SymbolInfo;
use super::reject::ConfigError;
use super::text::ShortStr;
use super::types::AccountId;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::{BTreeSet, VecDeque};

fn short(field: &str, s: &str) -> Result<ShortStr, ConfigError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ConfigError(format!(
            "{field} {s:?} must be non-empty ASCII letters/digits"
        )));
    }
    ShortStr::new(s)
        .ok_or_else(|| ConfigError(format!("{field} {s:?} is longer than 36 characters")))
}

fn positive(field: &str, symbol: &str, v: Decimal) -> Result<(), ConfigError> {
    if v <= Decimal::ZERO {
        return Err(ConfigError(format!(
            "market {symbol}: {field} must be positive, got {v}"
        )));
    }
    Ok(())
}

pub(crate) fn build(config: EngineConfig) -> Result<Engine, ConfigError> {
    let mut ledger = Ledger::new();
    let house = ledger.add_account("house".into(), Decimal::ZERO, Decimal::ZERO);
    let fees = ledger.add_account("fees".into(), Decimal::ZERO, Decimal::ZERO);
    debug_assert!(house == HOUSE_ACCOUNT && fees == FEE_ACCOUNT);
    if config.markets.is_empty() {
        return Err(ConfigError("at least one market is required".into()));
    }
    let mut markets = Vec::new();
    let mut by_symbol: super::market::FastMap<ShortStr, u32> = Default::default();
    for mc in &config.markets {
        let symbol = short("symbol", &mc.symbol)?;
        let base_asset = short("base", &mc.base)?;
        let quote_asset = short("quote", &mc.quote)?;
        if base_asset == quote_asset {
            return Err(ConfigError(format!(
                "market {symbol}: base and quote are the same asset"
            )));
        }
        for (f, v) in [
            ("price", mc.price),
            ("tick_size", mc.tick_size),
            ("step_size", mc.step_size),
            ("max_qty", mc.max_qty),
            ("max_price", mc.max_price),
        ] {
            positive(f, &mc.symbol, v)?;
        }
        if mc.min_notional < Decimal::ZERO {
            return Err(ConfigError(format!(
                "market {symbol}: min_notional must not be negative"
            )));
        }
        let min_qty = if mc.min_qty.is_zero() {
            mc.step_size
        } else {
            mc.min_qty
        };
        let min_price = if mc.min_price.is_zero() {
            mc.tick_size
        } else {
            mc.min_price
        };
        if by_symbol.insert(symbol, markets.len() as u32).is_some() {
            return Err(ConfigError(format!("market {symbol} is declared twice")));
        }
        let base = ledger.intern(base_asset);
        let quote = ledger.intern(quote_asset);
        let info = SymbolInfo {
            symbol,
            base_asset,
            quote_asset,
            base_asset_precision: 8,
            quote_precision: 8,
            min_price,
            max_price: mc.max_price,
            tick_size: mc.tick_size.normalize(),
            min_qty,
            max_qty: mc.max_qty,
            step_size: mc.step_size.normalize(),
            min_notional: mc.min_notional,
        };
        let mut mk = Market {
            info,
            price_grid: None,
            qty_grid: None,
            base,
            quote,
            book: Book::default(),
            open: Default::default(),
            stops_rise: BTreeSet::new(),
            stops_fall: BTreeSet::new(),
            house_orders: Vec::new(),
            house_ladder: Vec::new(),
            next_order_id: 1,
            next_trade_id: 1,
            update_id: 1,
            reference_price: Decimal::ZERO,
            last_price: Decimal::ZERO,
            last_qty: Decimal::ZERO,
            tape: VecDeque::new(),
            tape_cap: config.recent_trades_cap,
            klines: VecDeque::new(),
            replay_pos: 0,
            klines_closed: [0; 12],
            changed_bids: Default::default(),
            changed_asks: Default::default(),
            pending_trades: Vec::new(),
            bbo_before: None,
        };
        let p = mk.round_to_tick(mc.price);
        mk.reference_price = p;
        mk.last_price = p;
        markets.push(mk);
    }
    let assets = ledger.assets.len() as u32;
    for a in 0..assets {
        ledger.credit(house, a, config.house.balance_per_asset);
    }
    ledger.clear_dirty();
    let n_markets = markets.len();
    let blank = UserOrders {
        open_by_client: Default::default(),
        closed: vec![VecDeque::new(); n_markets],
        trades: vec![VecDeque::new(); n_markets],
        open_count: vec![0; n_markets],
    };
    let mut engine = Engine {
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        config,
        ledger,
        markets,
        users: vec![blank.clone(), blank],
        by_symbol,
        events: Vec::new(),
        events_mark: 0,
        touched: Vec::new(),
    };
    engine.derive_filter_grids();
    for m in 0..n_markets {
        engine.begin(m);
        engine.requote(m, 0);
    }
    let _ = engine.finish(0);
    Ok(engine)
}

pub(crate) fn add_account(
    engine: &mut Engine,
    label: &str,
    balances: &[(&str, Decimal)],
) -> Result<AccountId, ConfigError> {
    if engine.account_by_label(label).is_some() {
        return Err(ConfigError(format!(
            "account label {label:?} is already used"
        )));
    }
    let mut parsed = Vec::new();
    for (asset, amount) in balances {
        if *amount < Decimal::ZERO {
            return Err(ConfigError(format!(
                "account {label:?}: balance of {asset} is negative"
            )));
        }
        parsed.push((short("asset", asset)?, *amount));
    }
    let fees = engine.config.fees.clone();
    let id = engine
        .ledger
        .add_account(label.into(), fees.maker, fees.taker);
    let n = engine.markets.len();
    engine.users.push(UserOrders {
        open_by_client: Default::default(),
        closed: vec![VecDeque::new(); n],
        trades: vec![VecDeque::new(); n],
        open_count: vec![0; n],
    });
    for (asset, amount) in parsed {
        let a = engine.ledger.intern(asset);
        engine.ledger.credit(id, a, amount);
    }
    engine.ledger.clear_dirty();
    Ok(id)
}

pub(crate) fn deposit(
    engine: &mut Engine,
    account: AccountId,
    asset: &str,
    amount: Decimal,
    now: u64,
) -> Result<Vec<EngineEvent>, ConfigError> {
    if !engine.ledger.exists(account) {
        return Err(ConfigError(format!("unknown account {}", account.0)));
    }
    if amount < Decimal::ZERO {
        return Err(ConfigError(format!(
            "deposit of {asset} must not be negative"
        )));
    }
    let a = engine.ledger.intern(short("asset", asset)?);
    engine.ledger.clear_dirty();
    engine.ledger.credit(account, a, amount);
    Ok(engine.finish(now))
}

impl Engine {
    /// (Re)derives every market's integer filter grids from its symbol info (after a build,
    /// or a snapshot load: snapshots from before grids existed carry none).
    pub(crate) fn derive_filter_grids(&mut self) {
        for mk in &mut self.markets {
            let i = &mk.info;
            mk.price_grid = Grid::new(i.min_price, i.max_price, i.tick_size);
            mk.qty_grid = Grid::new(i.min_qty, i.max_qty, i.step_size);
        }
    }
}
