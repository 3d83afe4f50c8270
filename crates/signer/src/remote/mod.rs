//! The signer as its own process: a Unix-socket server and its client.
//!
//! A deployment that runs `tradeward signer --socket PATH` keeps the KEK and every plaintext
//! secret out of the web-facing process. The server accepts connections only from peers whose
//! Unix user id is allowed (checked with SO_PEERCRED, not a claim in the request). The protocol
//! is length-prefixed frames; secrets travel only in the store-credential request, as raw bytes
//! read straight into zeroizing buffers, never through a `Serialize` impl.

mod api;
mod client;
mod server;
mod wire;

pub use api::SignerApi;
pub use client::RemoteSigner;
pub use server::{serve, ServerConfig};
