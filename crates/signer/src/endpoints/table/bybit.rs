//! Bybit v5: market data, orders, positions, wallet, asset withdrawals and transfers, API keys.
//! Source: bybit-exchange.github.io/docs/v5.

use super::{any, on, Rule};
use crate::endpoints::EndpointClass::{Cancel, KeyManagement, Read, Trade, Transfer, Withdraw};
use crate::schemes::HttpMethod::{Get, Post};

pub(crate) static RULES: &[Rule] = &[
    on(Get, Read, "/v5/market/time"),
    on(Get, Read, "/v5/market/kline"),
    on(Get, Read, "/v5/market/orderbook"),
    on(Get, Read, "/v5/market/tickers"),
    on(Get, Read, "/v5/market/instruments-info"),
    on(Get, Read, "/v5/market/recent-trade"),
    on(Get, Read, "/v5/order/realtime"),
    on(Get, Read, "/v5/order/history"),
    on(Get, Read, "/v5/execution/list"),
    on(Get, Read, "/v5/position/list"),
    on(Get, Read, "/v5/account/wallet-balance"),
    on(Get, Read, "/v5/account/fee-rate"),
    on(Get, Read, "/v5/account/info"),
    on(Get, Read, "/v5/user/query-api"),
    on(Get, Read, "/v5/asset/withdraw/query-record"),
    on(Get, Read, "/v5/asset/deposit/query-record"),
    on(Get, Read, "/v5/asset/transfer/query-asset-info"),
    on(Get, Read, "/v5/asset/transfer/query-account-coins-balance"),
    on(Get, Read, "/v5/asset/transfer/query-inter-transfer-list"),
    on(Post, Trade, "/v5/order/create"),
    on(Post, Trade, "/v5/order/amend"),
    on(Post, Trade, "/v5/order/create-batch"),
    on(Post, Trade, "/v5/order/amend-batch"),
    on(Post, Cancel, "/v5/order/cancel"),
    on(Post, Cancel, "/v5/order/cancel-all"),
    on(Post, Cancel, "/v5/order/cancel-batch"),
    on(Post, Cancel, "/v5/order/disconnected-cancel-all"),
    any(Withdraw, "/v5/asset/withdraw/create"),
    any(Withdraw, "/v5/asset/withdraw/cancel"),
    any(Transfer, "/v5/asset/transfer/inter-transfer"),
    any(Transfer, "/v5/asset/transfer/universal-transfer"),
    any(Transfer, "/v5/asset/transfer/save-transfer-sub-member"),
    any(KeyManagement, "/v5/user/create-sub-api"),
    any(KeyManagement, "/v5/user/update-api"),
    any(KeyManagement, "/v5/user/update-sub-api"),
    any(KeyManagement, "/v5/user/delete-api"),
    any(KeyManagement, "/v5/user/delete-sub-api"),
    any(KeyManagement, "/v5/user/create-sub-member"),
];
