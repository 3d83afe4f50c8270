//! The Binance Spot REST dialect: routes, request parsing, error answers and JSON shapes.

pub mod account;
pub mod error;
pub mod json;
pub mod market;
pub mod params;
pub mod request;
pub mod trade;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// Routes of `/api/v3/*` and `/sapi/v1/account/apiRestrictions`, behind the weight and
/// fault layer.
pub fn router(st: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v3/ping", get(market::ping))
        .route("/api/v3/time", get(market::time))
        .route("/api/v3/exchangeInfo", get(market::exchange_info))
        .route("/api/v3/depth", get(market::depth))
        .route("/api/v3/trades", get(market::trades))
        .route("/api/v3/klines", get(market::klines))
        .route("/api/v3/avgPrice", get(market::avg_price))
        .route("/api/v3/ticker/price", get(market::ticker_price))
        .route("/api/v3/ticker/bookTicker", get(market::book_ticker))
        .route("/api/v3/ticker/24hr", get(market::ticker_24h))
        .route("/api/v3/account", get(account::account))
        .route(
            "/api/v3/order",
            post(trade::new_order)
                .get(trade::query_order)
                .delete(trade::cancel_order),
        )
        .route("/api/v3/order/test", post(trade::test_order))
        .route(
            "/api/v3/openOrders",
            get(trade::open_orders).delete(trade::cancel_all),
        )
        .route("/api/v3/allOrders", get(trade::all_orders))
        .route("/api/v3/myTrades", get(trade::my_trades))
        .route(
            "/api/v3/userDataStream",
            post(account::listen_key_create)
                .put(account::listen_key_keepalive)
                .delete(account::listen_key_close),
        )
        .route(
            "/sapi/v1/account/apiRestrictions",
            get(account::api_restrictions),
        )
        .layer(axum::middleware::from_fn_with_state(
            st,
            request::binance_layer,
        ))
}
