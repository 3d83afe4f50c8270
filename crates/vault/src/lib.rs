//! tradeward-vault: see Cargo.toml description.
