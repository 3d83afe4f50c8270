//! tradeward-sim: see Cargo.toml description.
