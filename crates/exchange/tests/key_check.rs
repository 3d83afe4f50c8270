//! Key checks on add, end to end against the sim's Binance, Kraken and Coinbase dialects with a real
//! signer: a key that can withdraw is refused with an explanation, a key without an address
//! restriction gets a warning listing the server's egress addresses, a key that cannot trade
//! is accepted for monitoring only, and an address-restricted trading key passes cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use std::sync::Arc;

use common::*;
use tradeward_domain::{CredentialId, Venue};
use tradeward_exchange::binance::{BinanceConfig, BinanceExecution, BinanceHttp};
use tradeward_exchange::kraken::{KrakenConfig, KrakenExecution, KrakenHttp};
use tradeward_exchange::{check_key, ExecutionClient, KeyPolicy, SystemClock};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_store::NewUser;
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

/// Base64, so the same accounts serve the Kraken dialect too (Binance signs with its text).
const SECRET_B64: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

/// RFC 8032 test 1's Ed25519 key, and its secret as Coinbase issues them (seed || public).
const CB_PUBLIC: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const CB_SECRET: &str =
    "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";

const EGRESS: [&str; 2] = ["203.0.113.7", "2001:db8::7"];

struct Setup {
    sim: tradeward_sim::SimHandle,
    signer: Signer,
    ctx: CallContext,
    owner: tradeward_domain::UserId,
    _dirs: tempfile::TempDir,
}

async fn setup() -> Setup {
    let mut cfg = sim_config();
    let base = cfg.accounts[0].clone();
    let acct = |key: &str, withdraw: bool, restrict: bool, trade: bool| {
        let mut a = base.clone();
        a.api_key = key.into();
        a.secret = Some(tradeward_sim::SecretString::new(SECRET_B64.into()));
        a.can_withdraw = withdraw;
        a.ip_restrict = restrict;
        a.can_trade = trade;
        a
    };
    let mut accounts = vec![
        acct("withdrawkey", true, true, true),
        acct("openkey", false, false, true),
        acct("readonlykey", false, true, false),
        acct("goodkey", false, true, true),
    ];
    // The same four as Ed25519 keys, for the Coinbase dialect.
    let ed: Vec<_> = accounts
        .iter()
        .map(|a| {
            let mut e = a.clone();
            e.api_key = format!("cb{}", a.api_key);
            e.secret = None;
            e.ed25519_public_key = Some(CB_PUBLIC.into());
            e
        })
        .collect();
    accounts.extend(ed);
    cfg.accounts = accounts;
    let sim = tradeward_sim::spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dirs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dirs.path().join("data")).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&dirs.path().join("data"))
        .await
        .unwrap();
    let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
    let owner = store
        .create_user(&NewUser {
            email: "keys@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let signer = Signer::new(
        store,
        Vault::new(Arc::new(provider)),
        Arc::new(tradeward_audit::MemoryAuditSink::new()),
    );
    let ctx = CallContext::component("engine").for_user(owner);
    Setup {
        sim,
        signer,
        ctx,
        owner,
        _dirs: dirs,
    }
}

impl Setup {
    async fn credential(&self, venue: Venue, key: &str) -> CredentialId {
        let (key, secret, scheme) = if venue == Venue::Coinbase {
            (
                format!("cb{key}"),
                CB_SECRET,
                Some(tradeward_signer::schemes::Scheme::CoinbaseAdvancedJwtEd25519),
            )
        } else {
            (key.to_owned(), SECRET_B64, None)
        };
        self.signer
            .store_credential(
                &self.ctx,
                CredentialInput {
                    owner: self.owner,
                    venue,
                    label: key.clone(),
                    scheme,
                    api_key: SecretBytes::new(key.as_bytes().to_vec()),
                    secret: SecretBytes::new(secret.as_bytes().to_vec()),
                    passphrase: None,
                    limits: CredentialLimits::default(),
                    permissions: "{}".into(),
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn client(&self, venue: Venue, key: &str) -> Box<dyn ExecutionClient> {
        let id = self.credential(venue, key).await;
        let signer = Arc::new(self.signer.clone());
        match venue {
            Venue::Coinbase => {
                let http = tradeward_exchange::coinbase::CoinbaseHttp::new(
                    tradeward_exchange::coinbase::CoinbaseConfig::sim(&self.sim.base_url()),
                )
                .unwrap();
                Box::new(tradeward_exchange::coinbase::CoinbaseExecution::new(
                    Arc::new(http),
                    signer,
                    id,
                    self.ctx.clone(),
                ))
            }
            Venue::Kraken => {
                let http = KrakenHttp::new(
                    KrakenConfig::sim(&self.sim.base_url(), &self.sim.ws_url()),
                    Arc::new(SystemClock),
                )
                .unwrap();
                Box::new(KrakenExecution::new(
                    Arc::new(http),
                    signer,
                    id,
                    self.ctx.clone(),
                ))
            }
            _ => {
                let http = BinanceHttp::new(
                    BinanceConfig::sim(&self.sim.base_url(), &self.sim.ws_url()),
                    Arc::new(SystemClock),
                )
                .unwrap();
                Box::new(BinanceExecution::new(
                    Arc::new(http),
                    signer,
                    id,
                    self.ctx.clone(),
                ))
            }
        }
    }
}

async fn checks_for(s: &Setup, venue: Venue, doc: &str, right: &str) {
    // Coinbase's key_permissions says nothing about address restrictions: every Coinbase
    // key gets the egress-address reminder.
    let reports_ip = venue != Venue::Coinbase;
    let policy = KeyPolicy {
        refuse_fund_movement: true,
        egress_addresses: EGRESS.iter().map(|a| (*a).to_owned()).collect(),
    };
    let v = check_key(s.client(venue, "withdrawkey").await.as_ref(), &policy)
        .await
        .unwrap();
    assert!(!v.accepted, "{venue}: {v:?}");
    let why = v.refusal.clone().unwrap();
    assert!(why.contains("withdraw"), "{why}");
    assert!(
        why.contains(right),
        "{venue}: names the venue's right to switch off: {why}"
    );
    assert!(why.contains(doc), "{why}");

    let relaxed = KeyPolicy {
        refuse_fund_movement: false,
        ..policy.clone()
    };
    let v = check_key(s.client(venue, "withdrawkey").await.as_ref(), &relaxed)
        .await
        .unwrap();
    assert!(
        v.accepted && v.warnings.iter().any(|w| w.contains("withdraw")),
        "{v:?}"
    );

    let v = check_key(s.client(venue, "openkey").await.as_ref(), &policy)
        .await
        .unwrap();
    assert!(v.accepted && v.can_trade, "{v:?}");
    assert_eq!(
        v.permissions.ip_restricted,
        if reports_ip { Some(false) } else { None }
    );
    let w = v.warnings.join(" ");
    assert!(w.contains("203.0.113.7, 2001:db8::7"), "{w}");

    let v = check_key(s.client(venue, "readonlykey").await.as_ref(), &policy)
        .await
        .unwrap();
    assert!(v.accepted && !v.can_trade, "{v:?}");
    assert!(v.warnings.iter().any(|w| w.contains("monitoring")), "{v:?}");
    assert!(v.refusal.is_none());

    let v = check_key(s.client(venue, "goodkey").await.as_ref(), &policy)
        .await
        .unwrap();
    assert!(v.accepted && v.can_trade, "{v:?}");
    if reports_ip {
        assert!(v.warnings.is_empty(), "{v:?}");
    } else {
        assert_eq!(v.warnings.len(), 1, "{v:?}");
        assert!(v.warnings[0].contains("203.0.113.7, 2001:db8::7"), "{v:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_keys_are_checked_through_api_restrictions() {
    let s = setup().await;
    checks_for(&s, Venue::Sim, "docs/venues/sim.md", "Enable Withdrawals").await;
    s.sim.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_keys_are_checked_through_get_api_key_info() {
    let s = setup().await;
    checks_for(&s, Venue::Kraken, "docs/venues/kraken.md", "Withdraw Funds").await;
    s.sim.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_keys_are_checked_through_key_permissions() {
    let s = setup().await;
    checks_for(&s, Venue::Coinbase, "docs/venues/coinbase.md", "Transfer").await;
    s.sim.stop().await.unwrap();
}
