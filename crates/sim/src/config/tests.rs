//! Config parsing against the TOML shape of contracts.md.

use super::*;

const CONTRACT_EXAMPLE: &str = r#"
seed = 7
[[market]]
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
price = "50000"
tick_size = "0.01"
step_size = "0.00001"
min_notional = "5"
[[account]]
api_key = "abc123"
secret = "s3cr3t"
can_trade = true
can_withdraw = false
ip_restrict = false
balances = { BTC = "1", USDT = "100000" }
[price]
process = "random_walk"
tick_ms = 100
volatility = "0.0005"
"#;

#[test]
fn parses_the_contract_example() {
    let c = SimConfig::from_toml(CONTRACT_EXAMPLE).unwrap();
    assert_eq!(c.seed, 7);
    assert_eq!(c.markets[0].symbol, "BTCUSDT");
    assert_eq!(c.markets[0].tick_size, Decimal::new(1, 2));
    assert_eq!(c.accounts[0].balances["USDT"], Decimal::from(100_000));
    assert_eq!(
        c.accounts[0].secret.as_ref().unwrap().expose_secret(),
        "s3cr3t"
    );
    assert!(!format!("{c:?}").contains("s3cr3t"));
    assert_eq!(c.price.process, PriceProcessKind::RandomWalk);
    let ec = c.engine_config().unwrap();
    assert_eq!(
        ec.price_process,
        PriceProcess::RandomWalk {
            volatility: Decimal::new(5, 4)
        }
    );
}

#[test]
fn errors_name_the_bad_setting() {
    let typo = CONTRACT_EXAMPLE.replace("tick_ms = 100", "tick_msec = 100");
    let e = SimConfig::from_toml(&typo).unwrap_err().to_string();
    assert!(e.contains("tick_msec"), "{e}");
    let neg = CONTRACT_EXAMPLE.replace("step_size = \"0.00001\"", "step_size = \"-1\"");
    let e = SimConfig::from_toml(&neg).unwrap_err().to_string();
    assert!(e.contains("market[0].step_size"), "{e}");
    let nokey = CONTRACT_EXAMPLE.replace("secret = \"s3cr3t\"\n", "");
    let e = SimConfig::from_toml(&nokey).unwrap_err().to_string();
    assert!(e.contains("account[0]"), "{e}");
    let badsym = CONTRACT_EXAMPLE.replace("symbol = \"BTCUSDT\"", "symbol = \"BTCEUR\"");
    assert!(SimConfig::from_toml(&badsym)
        .unwrap_err()
        .to_string()
        .contains("market[0].symbol"));
    let ed = CONTRACT_EXAMPLE.replace("secret = \"s3cr3t\"", "ed25519_public_key = \"xyz\"");
    assert!(SimConfig::from_toml(&ed)
        .unwrap_err()
        .to_string()
        .contains("ed25519_public_key"));
    let e = SimConfig::load("/nonexistent/sim.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/sim.toml"), "{e}");
}

#[test]
fn demo_defaults_are_valid_and_random() {
    let a = SimConfig::default_demo();
    let b = SimConfig::default_demo();
    a.validate().unwrap();
    assert!(a.markets.iter().any(|m| m.symbol == "BTCUSDT"));
    assert!(a.markets.iter().any(|m| m.symbol == "SOLUSDT"));
    assert_eq!(a.accounts.len(), 1);
    assert_ne!(a.accounts[0].api_key, b.accounts[0].api_key);
    assert_eq!(
        a.accounts[0].secret.as_ref().unwrap().expose_secret().len(),
        64
    );
    crate::engine::Engine::new(a.engine_config().unwrap()).unwrap();
}
