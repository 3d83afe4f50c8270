//! [`BinanceExecution`]: the [`ExecutionClient`] of one credential on a Binance-dialect venue.
//!
//! Rules from `exchangeInfo` are cached per symbol; every order is checked against them
//! before it is signed. Orders are placed with `newOrderRespType=RESULT` and the caller's
//! deterministic client order id, cancelled and queried by that id.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use rust_decimal::Decimal;
use tradeward_domain::{CredentialId, Symbol, Venue};
use tradeward_signer::remote::SignerApi;
use tradeward_signer::schemes::{HttpMethod, RequestBody, UnsignedRequest};
use tradeward_signer::CallContext;

use super::common::enums::{side_str, tif_str};
use super::common::{
    parse_account, parse_exchange_info, parse_listen_key, parse_order, parse_orders, ListenKey,
};
use super::BinanceHttp;
use crate::error::ExchangeError;
use crate::filters::FilterError;
use crate::traits::ExecutionClient;
use crate::types::{
    Balance, ClientOrderId, ExchangeRules, OrderKind, OrderReport, OrderRequest, SymbolRules,
};

/// Binance: "Order does not exist."
const ORDER_DOES_NOT_EXIST: i64 = -2013;

/// Trading through one credential. Holds the signer handle and the credential id, never a
/// secret.
#[derive(Debug)]
pub struct BinanceExecution {
    http: Arc<BinanceHttp>,
    signer: Arc<dyn SignerApi>,
    credential: CredentialId,
    ctx: CallContext,
    rules: RwLock<HashMap<Symbol, SymbolRules>>,
    /// Venue spelling → symbol, for answers about symbols we did not name (open orders, the
    /// user stream).
    names: RwLock<HashMap<String, Symbol>>,
}

fn dec_str(d: Decimal) -> String {
    // Plain notation without trailing zeros: what Binance's parameter grammar expects.
    d.normalize().to_string()
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // A panic while holding the lock cannot leave the maps half-written (single inserts).
    l.read().unwrap_or_else(PoisonError::into_inner)
}

impl BinanceExecution {
    /// An execution client for `credential`, signing through `signer` as `ctx`.
    pub fn new(
        http: Arc<BinanceHttp>,
        signer: Arc<dyn SignerApi>,
        credential: CredentialId,
        ctx: CallContext,
    ) -> Self {
        Self {
            http,
            signer,
            credential,
            ctx,
            rules: RwLock::new(HashMap::new()),
            names: RwLock::new(HashMap::new()),
        }
    }

    /// The REST transport.
    pub fn http(&self) -> &Arc<BinanceHttp> {
        &self.http
    }

    /// Maps a venue symbol spelling to a [`Symbol`], from the rules loaded so far.
    pub fn resolve_symbol(&self, venue_symbol: &str) -> Option<Symbol> {
        read(&self.names).get(venue_symbol).cloned()
    }

    /// The cached rules of `symbol`, if loaded.
    pub fn cached_rules(&self, symbol: &Symbol) -> Option<SymbolRules> {
        read(&self.rules).get(symbol).cloned()
    }

    fn params(&self, pairs: &[(&str, String)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, val)| ((*k).to_owned(), val.clone()))
            .collect();
        v.push((
            "recvWindow".to_owned(),
            self.http.config().recv_window_ms.to_string(),
        ));
        v
    }

    async fn signed(
        &self,
        method: HttpMethod,
        path: &str,
        params: Vec<(String, String)>,
    ) -> Result<Vec<u8>, ExchangeError> {
        let mut req = UnsignedRequest::new(method, path);
        match method {
            HttpMethod::Post | HttpMethod::Put => req = req.with_body(RequestBody::Form(params)),
            HttpMethod::Get | HttpMethod::Delete => req.query = params,
        }
        self.http
            .signed(self.signer.as_ref(), &self.ctx, self.credential, &req)
            .await
    }

    async fn rules_for(&self, symbol: &Symbol) -> Result<SymbolRules, ExchangeError> {
        if let Some(r) = self.cached_rules(symbol) {
            return Ok(r);
        }
        let rules = self.exchange_rules(std::slice::from_ref(symbol)).await?;
        rules
            .get(symbol)
            .cloned()
            .ok_or_else(|| FilterError::UnknownSymbol(symbol.to_string()).into())
    }

    /// Loads every symbol's rules if none are loaded (so venue spellings resolve).
    pub async fn ensure_symbols(&self) -> Result<(), ExchangeError> {
        if read(&self.names).is_empty() {
            self.exchange_rules(&[]).await?;
        }
        Ok(())
    }

    /// Creates (or, per Binance, extends and returns the current) user-data-stream listen key.
    pub async fn create_listen_key(&self) -> Result<ListenKey, ExchangeError> {
        let body = self
            .signed(HttpMethod::Post, "/api/v3/userDataStream", Vec::new())
            .await?;
        parse_listen_key(&body)
    }

    /// Extends a listen key's life by 60 minutes.
    pub async fn keepalive_listen_key(&self, key: &ListenKey) -> Result<(), ExchangeError> {
        self.signed(
            HttpMethod::Put,
            "/api/v3/userDataStream",
            vec![("listenKey".to_owned(), key.expose().to_owned())],
        )
        .await
        .map(|_| ())
    }

    /// Closes a listen key.
    pub async fn close_listen_key(&self, key: &ListenKey) -> Result<(), ExchangeError> {
        self.signed(
            HttpMethod::Delete,
            "/api/v3/userDataStream",
            vec![("listenKey".to_owned(), key.expose().to_owned())],
        )
        .await
        .map(|_| ())
    }
}

/// The venue parameters of an order (without `recvWindow`).
fn order_params(o: &OrderRequest) -> Vec<(&'static str, String)> {
    let mut p = vec![
        ("symbol", o.symbol.concatenated()),
        ("side", side_str(o.side).to_owned()),
    ];
    match &o.kind {
        OrderKind::Limit {
            price,
            quantity,
            time_in_force,
        } => {
            p.push(("type", "LIMIT".into()));
            p.push(("timeInForce", tif_str(*time_in_force).into()));
            p.push(("quantity", dec_str(*quantity)));
            p.push(("price", dec_str(*price)));
        }
        OrderKind::LimitMaker { price, quantity } => {
            p.push(("type", "LIMIT_MAKER".into()));
            p.push(("quantity", dec_str(*quantity)));
            p.push(("price", dec_str(*price)));
        }
        OrderKind::Market { quantity } => {
            p.push(("type", "MARKET".into()));
            p.push(("quantity", dec_str(*quantity)));
        }
        OrderKind::MarketQuote { quote_quantity } => {
            p.push(("type", "MARKET".into()));
            p.push(("quoteOrderQty", dec_str(*quote_quantity)));
        }
    }
    p.push(("newClientOrderId", o.client_order_id.as_str().to_owned()));
    p.push(("newOrderRespType", "RESULT".into()));
    p
}

#[async_trait]
impl ExecutionClient for BinanceExecution {
    fn venue(&self) -> Venue {
        self.http.config().venue
    }

    async fn exchange_rules(&self, symbols: &[Symbol]) -> Result<ExchangeRules, ExchangeError> {
        let query = match symbols {
            [] => Vec::new(),
            [one] => vec![("symbol".to_owned(), one.concatenated())],
            many => {
                let names: Vec<String> = many.iter().map(Symbol::concatenated).collect();
                let list = serde_json::to_string(&names)
                    .map_err(|_| ExchangeError::Invalid("symbols cannot be encoded".into()))?;
                vec![("symbols".to_owned(), list)]
            }
        };
        let body = self.http.public("/api/v3/exchangeInfo", &query).await?;
        let rules = parse_exchange_info(&body)?;
        if let Some(limit) = rules.request_weight_per_minute {
            self.http.weight().set_limit(limit);
        }
        {
            let mut cache = self.rules.write().unwrap_or_else(PoisonError::into_inner);
            let mut names = self.names.write().unwrap_or_else(PoisonError::into_inner);
            for r in &rules.symbols {
                cache.insert(r.symbol.clone(), r.clone());
                names.insert(r.venue_symbol.clone(), r.symbol.clone());
            }
        }
        Ok(rules)
    }

    async fn balances(&self) -> Result<Vec<Balance>, ExchangeError> {
        let body = self
            .signed(HttpMethod::Get, "/api/v3/account", self.params(&[]))
            .await?;
        parse_account(&body)
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderReport, ExchangeError> {
        let rules = self.rules_for(&order.symbol).await?;
        if !rules.trading {
            return Err(FilterError::NotTrading(order.symbol.to_string()).into());
        }
        rules.filters.check(&order.kind)?;
        let params = self.params(&order_params(order));
        let body = self
            .signed(HttpMethod::Post, "/api/v3/order", params)
            .await?;
        let expected = order.symbol.concatenated();
        parse_order(self.venue(), &body, &|s| {
            (s == expected).then(|| order.symbol.clone())
        })
    }

    async fn cancel_order(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        let params = self.params(&[
            ("symbol", symbol.concatenated()),
            ("origClientOrderId", client_order_id.as_str().to_owned()),
        ]);
        let body = self
            .signed(HttpMethod::Delete, "/api/v3/order", params)
            .await?;
        let expected = symbol.concatenated();
        parse_order(self.venue(), &body, &|s| {
            (s == expected).then(|| symbol.clone())
        })
    }

    async fn order_by_client_id(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        let params = self.params(&[
            ("symbol", symbol.concatenated()),
            ("origClientOrderId", client_order_id.as_str().to_owned()),
        ]);
        let body = match self.signed(HttpMethod::Get, "/api/v3/order", params).await {
            Ok(b) => b,
            Err(e) if e.venue_code() == Some(ORDER_DOES_NOT_EXIST) => return Ok(None),
            Err(e) => return Err(e),
        };
        let expected = symbol.concatenated();
        parse_order(self.venue(), &body, &|s| {
            (s == expected).then(|| symbol.clone())
        })
        .map(Some)
    }

    async fn open_orders(
        &self,
        symbol: Option<&Symbol>,
    ) -> Result<Vec<OrderReport>, ExchangeError> {
        let params = match symbol {
            Some(s) => self.params(&[("symbol", s.concatenated())]),
            None => {
                self.ensure_symbols().await?;
                self.params(&[])
            }
        };
        let body = self
            .signed(HttpMethod::Get, "/api/v3/openOrders", params)
            .await?;
        match symbol {
            Some(sym) => {
                let expected = sym.concatenated();
                parse_orders(self.venue(), &body, &|s| {
                    (s == expected).then(|| sym.clone())
                })
            }
            None => parse_orders(self.venue(), &body, &|s| self.resolve_symbol(s)),
        }
    }

    async fn key_permissions(&self) -> Result<crate::key_check::KeyPermissions, ExchangeError> {
        let body = self
            .signed(
                HttpMethod::Get,
                "/sapi/v1/account/apiRestrictions",
                self.params(&[]),
            )
            .await?;
        super::common::parse_api_restrictions(self.venue(), &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use tradeward_domain::Side;

    #[test]
    fn order_parameters_follow_binance_spelling() {
        let o = OrderRequest {
            symbol: "BTC/USDT".parse().unwrap_or_else(|_| unreachable!()),
            side: Side::Buy,
            kind: OrderKind::Limit {
                price: dec!(50000.10),
                quantity: dec!(0.00100),
                time_in_force: crate::types::TimeInForce::Gtc,
            },
            client_order_id: ClientOrderId::derive("n", "k"),
        };
        let p = order_params(&o);
        let get = |k: &str| p.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("symbol"), Some("BTCUSDT"));
        assert_eq!(get("side"), Some("BUY"));
        assert_eq!(get("type"), Some("LIMIT"));
        assert_eq!(get("timeInForce"), Some("GTC"));
        assert_eq!(get("price"), Some("50000.1"));
        assert_eq!(get("quantity"), Some("0.001"));
        assert_eq!(get("newOrderRespType"), Some("RESULT"));
        assert_eq!(get("newClientOrderId"), Some(o.client_order_id.as_str()));
    }
}
