//! tradeward-signer: see Cargo.toml description.
