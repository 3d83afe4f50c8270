//! Binance Spot (and the simulator): `/api/v3` market data, account and orders; `/sapi` wallet,
//! transfers and API-key restrictions. Source: binance-spot-api-docs and the wallet /
//! sub-account SAPI references.

use super::{any, on, Rule};
use crate::endpoints::EndpointClass::{Cancel, KeyManagement, Read, Trade, Transfer, Withdraw};
use crate::schemes::HttpMethod::{Delete, Get, Post, Put};

pub(crate) static RULES: &[Rule] = &[
    // Market data.
    on(Get, Read, "/api/v3/ping"),
    on(Get, Read, "/api/v3/time"),
    on(Get, Read, "/api/v3/exchangeInfo"),
    on(Get, Read, "/api/v3/depth"),
    on(Get, Read, "/api/v3/trades"),
    on(Get, Read, "/api/v3/historicalTrades"),
    on(Get, Read, "/api/v3/aggTrades"),
    on(Get, Read, "/api/v3/klines"),
    on(Get, Read, "/api/v3/uiKlines"),
    on(Get, Read, "/api/v3/avgPrice"),
    on(Get, Read, "/api/v3/ticker/24hr"),
    on(Get, Read, "/api/v3/ticker/tradingDay"),
    on(Get, Read, "/api/v3/ticker/price"),
    on(Get, Read, "/api/v3/ticker/bookTicker"),
    on(Get, Read, "/api/v3/ticker"),
    // Account and order state.
    on(Get, Read, "/api/v3/account"),
    on(Get, Read, "/api/v3/account/commission"),
    on(Get, Read, "/api/v3/order"),
    on(Get, Read, "/api/v3/openOrders"),
    on(Get, Read, "/api/v3/allOrders"),
    on(Get, Read, "/api/v3/orderList"),
    on(Get, Read, "/api/v3/allOrderList"),
    on(Get, Read, "/api/v3/openOrderList"),
    on(Get, Read, "/api/v3/myTrades"),
    on(Get, Read, "/api/v3/myPreventedMatches"),
    on(Get, Read, "/api/v3/myAllocations"),
    on(Get, Read, "/api/v3/rateLimit/order"),
    // User data stream listen keys: create, keep alive, close. They only read account events.
    on(Post, Read, "/api/v3/userDataStream"),
    on(Put, Read, "/api/v3/userDataStream"),
    on(Delete, Read, "/api/v3/userDataStream"),
    // Orders. A test order is trade-class: it runs the same checks as a real one.
    on(Post, Trade, "/api/v3/order"),
    on(Post, Trade, "/api/v3/order/test"),
    on(Post, Trade, "/api/v3/order/cancelReplace"),
    on(Post, Trade, "/api/v3/order/oco"),
    on(Post, Trade, "/api/v3/orderList/oco"),
    on(Post, Trade, "/api/v3/orderList/oto"),
    on(Post, Trade, "/api/v3/orderList/otoco"),
    on(Post, Trade, "/api/v3/sor/order"),
    on(Post, Trade, "/api/v3/sor/order/test"),
    on(Delete, Cancel, "/api/v3/order"),
    on(Delete, Cancel, "/api/v3/openOrders"),
    on(Delete, Cancel, "/api/v3/orderList"),
    // Wallet reads.
    on(Get, Read, "/sapi/v1/system/status"),
    on(Get, Read, "/sapi/v1/account/status"),
    on(Get, Read, "/sapi/v1/account/apiTradingStatus"),
    on(Get, Read, "/sapi/v1/account/apiRestrictions"),
    on(Get, Read, "/sapi/v1/capital/config/getall"),
    on(Get, Read, "/sapi/v1/asset/tradeFee"),
    on(Post, Read, "/sapi/v3/asset/getUserAsset"),
    on(Get, Read, "/sapi/v1/capital/deposit/hisrec"),
    on(Get, Read, "/sapi/v1/capital/withdraw/history"),
    // Withdrawals and withdrawal settings.
    any(Withdraw, "/sapi/v1/capital/withdraw/apply"),
    any(Withdraw, "/sapi/v1/localentity/withdraw/apply"),
    any(Withdraw, "/sapi/v1/account/enableFastWithdrawSwitch"),
    any(Withdraw, "/sapi/v1/account/disableFastWithdrawSwitch"),
    // Transfers between the user's wallets and sub-accounts.
    any(Transfer, "/sapi/v1/asset/transfer"),
    any(Transfer, "/sapi/v1/sub-account/universalTransfer"),
    any(Transfer, "/sapi/v1/sub-account/transfer/subToSub"),
    any(Transfer, "/sapi/v1/sub-account/transfer/subToMaster"),
    any(Transfer, "/sapi/v1/sub-account/futures/transfer"),
    any(Transfer, "/sapi/v1/sub-account/margin/transfer"),
    any(Transfer, "/sapi/v1/futures/transfer"),
    any(Transfer, "/sapi/v1/margin/transfer"),
    any(Transfer, "/sapi/v1/asset/dust"),
    // API keys and their restrictions, sub-account creation.
    any(
        KeyManagement,
        "/sapi/v1/account/apiRestrictions/ipRestriction",
    ),
    any(
        KeyManagement,
        "/sapi/v1/account/apiRestrictions/ipRestriction/ipList",
    ),
    any(
        KeyManagement,
        "/sapi/v1/sub-account/subAccountApi/ipRestriction",
    ),
    any(
        KeyManagement,
        "/sapi/v2/sub-account/subAccountApi/ipRestriction",
    ),
    any(
        KeyManagement,
        "/sapi/v1/sub-account/subAccountApi/ipRestriction/ipList",
    ),
    any(KeyManagement, "/sapi/v1/sub-account/virtualSubAccount"),
];
