//! Venue signing schemes: pure functions from (key material, request, time, randomness) to the
//! headers, query and body that authenticate the request. No I/O and no clock read: time and
//! randomness come in as arguments, so every scheme is tested against published vectors.
//!
//! Secrets arrive as borrowed byte slices owned (and zeroized) by the caller. Any copy made
//! here (decoded base64, parsed keys) zeroizes on drop. Errors never quote key material.
//!
//! One residue is outside our reach: RustCrypto's `hmac` keeps its key-derived inner/outer
//! states in plain memory, which is freed (not wiped) when the MAC is dropped.

mod binance;
mod bybit;
mod coinbase_exchange;
mod coinbase_jwt;
mod common;
mod error;
mod gemini;
mod keys;
mod kraken;
pub mod mac;
mod okx;
mod request;
mod scheme;

pub use binance::{binance_ws_api_payload, binance_ws_api_signature};
pub use bybit::BYBIT_RECV_WINDOW_MS;
pub use coinbase_jwt::{COINBASE_ADVANCED_HOST, JWT_LIFETIME_SECS};
pub use error::SchemeError;
pub use gemini::{gemini_payload, gemini_signature};
pub use okx::okx_timestamp;
pub use request::{HttpMethod, RequestBody, SignedParts, SigningTime, UnsignedRequest};
pub use scheme::{Scheme, UnknownScheme};

/// Signs `req` for `scheme`.
///
/// `api_key` is the venue's key id (Coinbase Advanced: the key name); `secret` the secret or
/// private key as the venue issued it; `passphrase` is required by Coinbase Exchange and OKX.
/// `time` is the signing time (and Kraken's nonce); `nonce` is fresh randomness (the JWT
/// header's `nonce`).
pub fn sign(
    scheme: Scheme,
    api_key: &str,
    secret: &[u8],
    passphrase: Option<&[u8]>,
    req: &UnsignedRequest,
    time: SigningTime,
    nonce: &[u8; 16],
) -> Result<SignedParts, SchemeError> {
    common::check_api_key(api_key)?;
    request::check_path(&req.path)?;
    match scheme {
        Scheme::BinanceHmac | Scheme::BinanceEd25519 => {
            binance::sign_rest(scheme, api_key, secret, req, time)
        }
        Scheme::KrakenHmac => kraken::sign(api_key, secret, req, time),
        Scheme::CoinbaseExchangeHmac => {
            coinbase_exchange::sign(api_key, secret, passphrase, req, time)
        }
        Scheme::CoinbaseAdvancedJwtEs256 | Scheme::CoinbaseAdvancedJwtEd25519 => {
            coinbase_jwt::sign(scheme, api_key, secret, req, time, nonce)
        }
        Scheme::OkxHmac => okx::sign(api_key, secret, passphrase, req, time),
        Scheme::BybitHmac => bybit::sign(api_key, secret, req, time),
    }
}

/// Checks that `secret` (and `passphrase`) can be used by `scheme`, without signing anything:
/// the signer calls it when a credential is stored, so a malformed key is refused at once.
pub fn validate_key(
    scheme: Scheme,
    secret: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<(), SchemeError> {
    match scheme {
        Scheme::BinanceHmac | Scheme::BinanceEd25519 => binance::validate(scheme, secret),
        Scheme::KrakenHmac => kraken::validate(secret),
        Scheme::CoinbaseExchangeHmac => coinbase_exchange::validate(secret, passphrase),
        Scheme::CoinbaseAdvancedJwtEs256 | Scheme::CoinbaseAdvancedJwtEd25519 => {
            coinbase_jwt::validate(scheme, secret)
        }
        Scheme::OkxHmac => okx::validate(secret, passphrase),
        Scheme::BybitHmac => bybit::validate(secret),
    }
}
