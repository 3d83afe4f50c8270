//! `tradeward sim`: the simulated exchange alone.

use std::path::Path;

use anyhow::Context;

pub async fn run(listen: &str, config: Option<&Path>) -> anyhow::Result<()> {
    let (config, generated) = match config {
        Some(path) => (tradeward_sim::SimConfig::load(path)?, false),
        None => (tradeward_sim::SimConfig::default_demo(), true),
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("tradeward sim: Binance Spot dialect at http://{addr} (Ctrl-C to stop)");
    let symbols: Vec<&str> = config.markets.iter().map(|m| m.symbol.as_str()).collect();
    println!("  markets: {}", symbols.join(", "));
    if generated {
        // A fresh demo account made for this run only: printing its key is the point.
        for account in &config.accounts {
            println!("  demo account api key: {}", account.api_key);
            if let Some(secret) = &account.secret {
                println!("  demo account secret:  {}", secret.expose_secret());
            }
        }
    }
    tradeward_sim::serve(config, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
