//! tradeward-store: see Cargo.toml description.
