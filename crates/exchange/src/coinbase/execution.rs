//! [`CoinbaseExecution`]: the [`ExecutionClient`] of one credential on Coinbase Advanced
//! Trade (or the sim's Coinbase front).
//!
//! Orders are created with the caller's client order id as `client_order_id` and read back
//! by their order id. Lookups by client order id list the product's orders (Coinbase has no
//! query by client id); cancels go through `batch_cancel` with one id.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::json;
use tradeward_domain::{CredentialId, Side, Symbol, Venue};
use tradeward_signer::remote::SignerApi;
use tradeward_signer::schemes::HttpMethod;
use tradeward_signer::CallContext;

use super::common::{
    codes, parse_accounts, parse_cancel, parse_create_order, parse_key_permissions, parse_order,
    parse_orders, parse_products,
};
use super::CoinbaseHttp;
use crate::error::ExchangeError;
use crate::filters::FilterError;
use crate::key_check::KeyPermissions;
use crate::traits::ExecutionClient;
use crate::types::{
    Balance, ClientOrderId, ExchangeRules, OrderKind, OrderReport, OrderRequest, SymbolRules,
    TimeInForce,
};

const BROKERAGE: &str = "/api/v3/brokerage";

/// Trading through one credential; holds the signer handle, never a secret.
#[derive(Debug)]
pub struct CoinbaseExecution {
    http: Arc<CoinbaseHttp>,
    signer: Arc<dyn SignerApi>,
    credential: CredentialId,
    ctx: CallContext,
    rules: RwLock<HashMap<Symbol, SymbolRules>>,
}

fn dec_str(d: Decimal) -> String {
    d.normalize().to_string()
}

fn product(s: &Symbol) -> String {
    format!("{}-{}", s.base(), s.quote())
}

/// Coinbase's order body for an order.
pub(crate) fn order_body(o: &OrderRequest) -> serde_json::Value {
    let config = match &o.kind {
        OrderKind::Limit {
            price,
            quantity,
            time_in_force,
        } => {
            let (k, extra) = match time_in_force {
                TimeInForce::Gtc => ("limit_limit_gtc", Some(false)),
                TimeInForce::Fok => ("limit_limit_fok", None),
                TimeInForce::Ioc => ("sor_limit_ioc", None),
            };
            let mut c = json!({"base_size": dec_str(*quantity), "limit_price": dec_str(*price)});
            if let Some(p) = extra {
                c["post_only"] = json!(p);
            }
            json!({ k: c })
        }
        OrderKind::LimitMaker { price, quantity } => json!({"limit_limit_gtc": {
            "base_size": dec_str(*quantity), "limit_price": dec_str(*price), "post_only": true,
        }}),
        OrderKind::Market { quantity } => {
            json!({"market_market_ioc": {"base_size": dec_str(*quantity)}})
        }
        OrderKind::MarketQuote { quote_quantity } => {
            json!({"market_market_ioc": {"quote_size": dec_str(*quote_quantity)}})
        }
    };
    json!({
        "client_order_id": o.client_order_id.as_str(),
        "product_id": product(&o.symbol),
        "side": match o.side { Side::Buy => "BUY", Side::Sell => "SELL" },
        "order_configuration": config,
    })
}

impl CoinbaseExecution {
    /// An execution client for `credential` (a [`Venue::Coinbase`] credential).
    pub fn new(
        http: Arc<CoinbaseHttp>,
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
        }
    }

    async fn get(
        &self,
        path: &str,
        query: Vec<(String, String)>,
    ) -> Result<Vec<u8>, ExchangeError> {
        self.http
            .signed(
                self.signer.as_ref(),
                &self.ctx,
                self.credential,
                HttpMethod::Get,
                &format!("{BROKERAGE}{path}"),
                query,
                None,
            )
            .await
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> Result<Vec<u8>, ExchangeError> {
        self.http
            .signed(
                self.signer.as_ref(),
                &self.ctx,
                self.credential,
                HttpMethod::Post,
                &format!("{BROKERAGE}{path}"),
                Vec::new(),
                Some(body.to_string()),
            )
            .await
    }

    async fn order_by_id(&self, id: &str) -> Result<OrderReport, ExchangeError> {
        parse_order(
            &self
                .get(&format!("/orders/historical/{id}"), Vec::new())
                .await?,
        )
    }

    async fn rules_for(&self, symbol: &Symbol) -> Result<SymbolRules, ExchangeError> {
        if let Some(r) = self
            .rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(symbol)
            .cloned()
        {
            return Ok(r);
        }
        self.exchange_rules(std::slice::from_ref(symbol))
            .await?
            .get(symbol)
            .cloned()
            .ok_or_else(|| FilterError::UnknownSymbol(symbol.to_string()).into())
    }
}

#[async_trait]
impl ExecutionClient for CoinbaseExecution {
    fn venue(&self) -> Venue {
        Venue::Coinbase
    }

    async fn exchange_rules(&self, symbols: &[Symbol]) -> Result<ExchangeRules, ExchangeError> {
        let query = symbols
            .iter()
            .map(|s| ("product_ids".to_owned(), product(s)))
            .collect();
        let rules = parse_products(&self.get("/products", query).await?)?;
        let mut cache = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        for r in &rules.symbols {
            cache.insert(r.symbol.clone(), r.clone());
        }
        Ok(rules)
    }

    async fn balances(&self) -> Result<Vec<Balance>, ExchangeError> {
        parse_accounts(&self.get("/accounts", Vec::new()).await?)
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderReport, ExchangeError> {
        let rules = self.rules_for(&order.symbol).await?;
        if !rules.trading {
            return Err(FilterError::NotTrading(order.symbol.to_string()).into());
        }
        rules.filters.check(&order.kind)?;
        let id = parse_create_order(&self.post("/orders", order_body(order)).await?)?;
        self.order_by_id(&id).await
    }

    async fn cancel_order(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        let open = self
            .order_by_client_id(symbol, client_order_id)
            .await?
            .filter(|o| o.status.is_open())
            .ok_or_else(|| {
                ExchangeError::rejected(codes::CANCEL_REFUSED, "UNKNOWN_CANCEL_ORDER")
            })?;
        parse_cancel(
            &self
                .post(
                    "/orders/batch_cancel",
                    json!({"order_ids": [open.venue_order_id]}),
                )
                .await?,
        )?;
        self.order_by_id(&open.venue_order_id).await
    }

    async fn order_by_client_id(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        let query = vec![
            ("product_ids".to_owned(), product(symbol)),
            ("limit".to_owned(), "1000".to_owned()),
        ];
        let list = parse_orders(&self.get("/orders/historical/batch", query).await?)?;
        Ok(list
            .into_iter()
            .find(|o| o.client_order_id == client_order_id.as_str()))
    }

    async fn open_orders(
        &self,
        symbol: Option<&Symbol>,
    ) -> Result<Vec<OrderReport>, ExchangeError> {
        let mut query = vec![("order_status".to_owned(), "OPEN".to_owned())];
        if let Some(s) = symbol {
            query.push(("product_ids".to_owned(), product(s)));
        }
        parse_orders(&self.get("/orders/historical/batch", query).await?)
    }

    async fn key_permissions(&self) -> Result<KeyPermissions, ExchangeError> {
        parse_key_permissions(&self.get("/key_permissions", Vec::new()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn order_bodies_follow_coinbase_spelling() {
        let o = OrderRequest {
            symbol: "BTC/USD".parse().unwrap_or_else(|_| unreachable!()),
            side: Side::Buy,
            kind: OrderKind::Limit {
                price: dec!(27500.00),
                quantity: dec!(0.0100),
                time_in_force: TimeInForce::Gtc,
            },
            client_order_id: ClientOrderId::derive("n", "k"),
        };
        let b = order_body(&o);
        assert_eq!(b["product_id"], "BTC-USD");
        assert_eq!(b["side"], "BUY");
        let c = &b["order_configuration"]["limit_limit_gtc"];
        assert_eq!(c["base_size"], "0.01");
        assert_eq!(c["limit_price"], "27500");
        assert_eq!(c["post_only"], false);
        assert_eq!(b["client_order_id"], o.client_order_id.as_str());
    }
}
