//! The Coinbase Advanced Trade dialect: REST `/api/v3/brokerage/*` authenticated by a
//! short-lived JWT (`Authorization: Bearer`), plus the few `/v2` public reads clients load at
//! start-up (currencies, exchange rates).
//!
//! Tokens are checked as Coinbase does: the `kid`/`sub` name the key, the signature verifies
//! under the key's public key, `nbf`/`exp` bracket the sim's clock (two minutes at most), and
//! the `uri` claim (`GET host/path`, or `uris[0]`) names this request's method and path. The
//! sim verifies EdDSA (Ed25519) tokens with the account's `ed25519_public_key`; ES256 keys are
//! not supported (the sim's accounts carry no P-256 keys). Errors are Coinbase's
//! `{"error": "...", "message": "..."}` with its HTTP statuses; order refusals are
//! `{"success": false, "error_response": {...}}` with 200, as Coinbase answers them.
//! Products are `BASE-QUOTE` (`BTC-USDT`); order ids are UUID-shaped and encode the market
//! and the engine's order id.

mod auth;
mod market;
mod trade;

use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

/// A Coinbase error answer.
#[derive(Debug)]
pub struct CbError {
    status: StatusCode,
    error: &'static str,
    message: String,
}

impl CbError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            message: message.into(),
        }
    }

    fn unauthenticated(why: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", why)
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
}

impl IntoResponse for CbError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::UNAUTHORIZED {
            // Coinbase answers a bad or missing token with a bare "Unauthorized"; the reason
            // stays on the server.
            tracing::debug!(reason = %self.message, "coinbase dialect: token refused");
            return (StatusCode::UNAUTHORIZED, "Unauthorized\n").into_response();
        }
        (
            self.status,
            Json(json!({
                "error": self.error,
                "error_details": self.message,
                "message": self.message,
            })),
        )
            .into_response()
    }
}

/// The product id of a market (`BTC-USDT`).
pub fn product_id(s: &crate::engine::SymbolInfo) -> String {
    format!("{}-{}", s.base_asset, s.quote_asset)
}

/// The market a product id names: index and info.
pub fn find_product<'a>(
    symbols: &'a [crate::engine::SymbolInfo],
    id: &str,
) -> Option<(usize, &'a crate::engine::SymbolInfo)> {
    symbols
        .iter()
        .enumerate()
        .find(|(_, s)| product_id(s) == id)
}

/// A UUID-shaped order id packing the market number and the engine's order id.
pub fn order_uuid(market: usize, order_id: u64) -> String {
    format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        market & 0xffff_ffff,
        (order_id >> 48) & 0xffff,
        order_id & 0xffff_ffff_ffff
    )
}

/// (market number, engine order id) of an id made by [`order_uuid`].
pub fn parse_order_uuid(s: &str) -> Option<(usize, u64)> {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 5 || parts[2] != "4000" || parts[3] != "8000" {
        return None;
    }
    let hex = |p: &str, n: usize| {
        (p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u64::from_str_radix(p, 16).ok())
            .flatten()
    };
    let m = hex(parts[0], 8)?;
    let hi = hex(parts[1], 4)?;
    let lo = hex(parts[4], 12)?;
    Some((m as usize, (hi << 48) | lo))
}

/// The Coinbase routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v3/brokerage/time", get(market::time))
        .route(
            "/api/v3/brokerage/market/products",
            get(market::products_public),
        )
        .route(
            "/api/v3/brokerage/market/products/{id}",
            get(market::product_public),
        )
        .route(
            "/api/v3/brokerage/market/products/{id}/ticker",
            get(market::ticker_public),
        )
        .route(
            "/api/v3/brokerage/market/product_book",
            get(market::book_public),
        )
        .route("/api/v3/brokerage/products", get(market::products_private))
        .route(
            "/api/v3/brokerage/products/{id}",
            get(market::product_private),
        )
        .route(
            "/api/v3/brokerage/products/{id}/ticker",
            get(market::ticker_private),
        )
        .route("/api/v3/brokerage/product_book", get(market::book_private))
        .route("/api/v3/brokerage/best_bid_ask", get(market::best_bid_ask))
        .route(
            "/api/v3/brokerage/transaction_summary",
            get(trade::transaction_summary),
        )
        .route(
            "/api/v3/brokerage/key_permissions",
            get(trade::key_permissions),
        )
        .route("/api/v3/brokerage/accounts", get(trade::accounts))
        .route("/api/v3/brokerage/orders", post(trade::create_order))
        .route(
            "/api/v3/brokerage/orders/batch_cancel",
            post(trade::batch_cancel),
        )
        .route(
            "/api/v3/brokerage/orders/historical/batch",
            get(trade::list_orders),
        )
        .route(
            "/api/v3/brokerage/orders/historical/{id}",
            get(trade::get_order),
        )
        .route("/v2/currencies", get(market::currencies_fiat))
        .route("/v2/currencies/crypto", get(market::currencies_crypto))
        .route("/v2/exchange-rates", get(market::exchange_rates))
        .layer(axum::extract::Extension(std::sync::Arc::new(
            trade::LongIds::default(),
        )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_round_trip() {
        for (m, id) in [(0usize, 1u64), (7, 123_456_789), (1, (1u64 << 60) + 5)] {
            let u = order_uuid(m, id);
            assert_eq!(u.len(), 36, "{u}");
            assert_eq!(parse_order_uuid(&u), Some((m, id)));
        }
        assert_eq!(parse_order_uuid("not-a-uuid"), None);
        assert_eq!(
            parse_order_uuid("00000000-0000-4000-8000-00000000000g"),
            None
        );
    }
}
