//! tradeward-audit: see Cargo.toml description.
