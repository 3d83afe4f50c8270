//! [`KrakenExecution`]: the [`ExecutionClient`] of one credential on a Kraken-dialect venue.
//!
//! Rules come from `AssetPairs` and are cached; every order is checked against them before
//! it is signed. Orders carry the caller's client order id as Kraken's `cl_ord_id` (see
//! [`to_cl_ord_id`]); `AddOrder` answers only a txid, so the placed order is read back with
//! `QueryOrders`. Cancels and lookups by client order id go through `OpenOrders` and
//! `ClosedOrders`, which filter by `cl_ord_id`.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use rust_decimal::Decimal;
use tradeward_domain::{CredentialId, Side, Symbol, Venue};
use tradeward_signer::remote::SignerApi;
use tradeward_signer::CallContext;

use super::common::{
    codes, parse_api_key_info, parse_asset_pairs, parse_balance_ex, parse_cancel, parse_order_map,
    parse_orders_page, parse_txid, to_cl_ord_id, KrakenKeyInfo,
};
use super::KrakenHttp;
use crate::error::ExchangeError;
use crate::filters::FilterError;
use crate::key_check::KeyPermissions;
use crate::traits::ExecutionClient;
use crate::types::{
    Balance, ClientOrderId, ExchangeRules, OrderKind, OrderReport, OrderRequest, OrderStatus,
    OrderType, SymbolRules, TimeInForce,
};

/// Trading through one credential. Holds the signer handle and the credential id, never a
/// secret.
#[derive(Debug)]
pub struct KrakenExecution {
    http: Arc<KrakenHttp>,
    signer: Arc<dyn SignerApi>,
    credential: CredentialId,
    ctx: CallContext,
    rules: RwLock<HashMap<Symbol, SymbolRules>>,
    /// Every Kraken name of a pair (result key, altname) → symbol.
    names: RwLock<HashMap<String, Symbol>>,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Writers only insert whole entries: a poisoned lock still holds consistent maps.
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn dec_str(d: Decimal) -> String {
    d.normalize().to_string()
}

fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

impl KrakenExecution {
    /// An execution client for `credential` (a [`Venue::Kraken`] credential), signing through
    /// `signer` as `ctx`.
    pub fn new(
        http: Arc<KrakenHttp>,
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
    pub fn http(&self) -> &Arc<KrakenHttp> {
        &self.http
    }

    async fn private(
        &self,
        method: &str,
        params: Vec<(String, String)>,
    ) -> Result<Vec<u8>, ExchangeError> {
        self.http
            .private(
                self.signer.as_ref(),
                &self.ctx,
                self.credential,
                method,
                params,
            )
            .await
    }

    fn resolve(&self, name: &str) -> Option<Symbol> {
        read(&self.names).get(name).cloned()
    }

    async fn ensure_symbols(&self) -> Result<(), ExchangeError> {
        if read(&self.names).is_empty() {
            self.exchange_rules(&[]).await?;
        }
        Ok(())
    }

    async fn rules_for(&self, symbol: &Symbol) -> Result<SymbolRules, ExchangeError> {
        if let Some(r) = read(&self.rules).get(symbol).cloned() {
            return Ok(r);
        }
        self.exchange_rules(&[]).await?;
        read(&self.rules)
            .get(symbol)
            .cloned()
            .ok_or_else(|| FilterError::UnknownSymbol(symbol.to_string()).into())
    }

    /// `GetApiKeyInfo`: the key's permissions and address allowlist.
    pub async fn key_info(&self) -> Result<KrakenKeyInfo, ExchangeError> {
        let body = self.private("GetApiKeyInfo", Vec::new()).await?;
        parse_api_key_info(&body)
    }

    async fn query(&self, txid: &str) -> Result<Option<OrderReport>, ExchangeError> {
        let body = match self.private("QueryOrders", vec![p("txid", txid)]).await {
            Ok(b) => b,
            Err(e) if e.venue_code() == Some(codes::UNKNOWN_ORDER) => return Ok(None),
            Err(e) => return Err(e),
        };
        let list = parse_order_map(Venue::Kraken, &body, &|s| self.resolve(s))?;
        Ok(list.into_iter().find(|o| o.venue_order_id == txid))
    }

    /// The order with client order id `cl` among open orders, else among recent closed ones.
    async fn find_by_client(&self, cl: &str) -> Result<Option<OrderReport>, ExchangeError> {
        self.ensure_symbols().await?;
        for method in ["OpenOrders", "ClosedOrders"] {
            let body = self.private(method, vec![p("cl_ord_id", cl)]).await?;
            let list = parse_orders_page(Venue::Kraken, &body, &|s| self.resolve(s))?;
            if let Some(o) = list.into_iter().next() {
                return Ok(Some(o));
            }
        }
        Ok(None)
    }
}

/// Kraken's `AddOrder` parameters of an order (without the nonce, which the signer adds).
pub(crate) fn order_params(o: &OrderRequest, pair: &str) -> Vec<(String, String)> {
    let side = match o.side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    let mut v = vec![p("pair", pair), p("type", side)];
    match &o.kind {
        OrderKind::Limit {
            price,
            quantity,
            time_in_force,
        } => {
            v.push(p("ordertype", "limit"));
            v.push(p("price", dec_str(*price)));
            v.push(p("volume", dec_str(*quantity)));
            match time_in_force {
                TimeInForce::Gtc => {}
                TimeInForce::Ioc => v.push(p("timeinforce", "IOC")),
                // Kraken has no fill-or-kill on spot REST; callers are told before sending.
                TimeInForce::Fok => {}
            }
        }
        OrderKind::LimitMaker { price, quantity } => {
            v.push(p("ordertype", "limit"));
            v.push(p("price", dec_str(*price)));
            v.push(p("volume", dec_str(*quantity)));
            v.push(p("oflags", "post"));
        }
        OrderKind::Market { quantity } => {
            v.push(p("ordertype", "market"));
            v.push(p("volume", dec_str(*quantity)));
        }
        OrderKind::MarketQuote { quote_quantity } => {
            v.push(p("ordertype", "market"));
            v.push(p("volume", dec_str(*quote_quantity)));
            v.push(p("oflags", "viqc"));
        }
    }
    v.push(p("cl_ord_id", to_cl_ord_id(&o.client_order_id)));
    v
}

#[async_trait]
impl ExecutionClient for KrakenExecution {
    fn venue(&self) -> Venue {
        Venue::Kraken
    }

    async fn exchange_rules(&self, symbols: &[Symbol]) -> Result<ExchangeRules, ExchangeError> {
        let body = self.http.public("AssetPairs", &[]).await?;
        let (mut rules, names) = parse_asset_pairs(&body)?;
        {
            let mut cache = self.rules.write().unwrap_or_else(PoisonError::into_inner);
            for r in &rules.symbols {
                cache.insert(r.symbol.clone(), r.clone());
            }
            let mut map = self.names.write().unwrap_or_else(PoisonError::into_inner);
            for (n, s) in names {
                map.insert(n, s);
            }
        }
        if !symbols.is_empty() {
            rules.symbols.retain(|r| symbols.contains(&r.symbol));
        }
        Ok(rules)
    }

    async fn balances(&self) -> Result<Vec<Balance>, ExchangeError> {
        let body = self.private("BalanceEx", Vec::new()).await?;
        parse_balance_ex(&body)
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderReport, ExchangeError> {
        let rules = self.rules_for(&order.symbol).await?;
        if !rules.trading {
            return Err(FilterError::NotTrading(order.symbol.to_string()).into());
        }
        if matches!(
            order.kind,
            OrderKind::Limit {
                time_in_force: TimeInForce::Fok,
                ..
            }
        ) {
            return Err(ExchangeError::Invalid(
                "Kraken spot has no fill-or-kill limit orders".into(),
            ));
        }
        rules.filters.check(&order.kind)?;
        let body = self
            .private("AddOrder", order_params(order, &rules.venue_symbol))
            .await?;
        let txid = parse_txid(&body)?;
        // AddOrder says only "accepted": read the order back. If that read fails, the order
        // still exists, so report it as accepted rather than failing the placement.
        match self.query(&txid).await {
            Ok(Some(r)) => Ok(r),
            _ => {
                let (price, qty) = match &order.kind {
                    OrderKind::Limit {
                        price, quantity, ..
                    }
                    | OrderKind::LimitMaker { price, quantity } => (*price, *quantity),
                    OrderKind::Market { quantity } => (Decimal::ZERO, *quantity),
                    OrderKind::MarketQuote { .. } => (Decimal::ZERO, Decimal::ZERO),
                };
                Ok(OrderReport {
                    venue: Venue::Kraken,
                    symbol: order.symbol.clone(),
                    venue_order_id: txid,
                    client_order_id: order.client_order_id.as_str().to_owned(),
                    side: order.side,
                    order_type: match order.kind {
                        OrderKind::LimitMaker { .. } => OrderType::LimitMaker,
                        OrderKind::Limit { .. } => OrderType::Limit,
                        _ => OrderType::Market,
                    },
                    status: OrderStatus::New,
                    price,
                    orig_qty: qty,
                    executed_qty: Decimal::ZERO,
                    cumulative_quote_qty: Decimal::ZERO,
                    update_time_ms: None,
                })
            }
        }
    }

    async fn cancel_order(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        let cl = to_cl_ord_id(client_order_id);
        let open = self
            .find_by_client(&cl)
            .await?
            .filter(|o| o.status.is_open() && &o.symbol == symbol)
            .ok_or_else(|| ExchangeError::rejected(codes::UNKNOWN_ORDER, "EOrder:Unknown order"))?;
        let body = self
            .private("CancelOrder", vec![p("txid", open.venue_order_id.clone())])
            .await?;
        if parse_cancel(&body)? == 0 {
            return Err(ExchangeError::rejected(
                codes::UNKNOWN_ORDER,
                "EOrder:Unknown order",
            ));
        }
        Ok(self
            .query(&open.venue_order_id)
            .await?
            .unwrap_or(OrderReport {
                status: OrderStatus::Canceled,
                ..open
            }))
    }

    async fn order_by_client_id(
        &self,
        symbol: &Symbol,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        let found = self.find_by_client(&to_cl_ord_id(client_order_id)).await?;
        Ok(found.filter(|o| &o.symbol == symbol))
    }

    async fn open_orders(
        &self,
        symbol: Option<&Symbol>,
    ) -> Result<Vec<OrderReport>, ExchangeError> {
        self.ensure_symbols().await?;
        let body = self.private("OpenOrders", Vec::new()).await?;
        let mut list = parse_orders_page(Venue::Kraken, &body, &|s| self.resolve(s))?;
        if let Some(s) = symbol {
            list.retain(|o| &o.symbol == s);
        }
        Ok(list)
    }

    async fn key_permissions(&self) -> Result<KeyPermissions, ExchangeError> {
        Ok(key_permissions_of(&self.key_info().await?))
    }
}

/// Kraken's permission names as [`KeyPermissions`]: `query-*` read, `modify-trades` trades,
/// `withdraw-funds` withdraws, `earn-funds` moves funds into and out of Earn.
pub fn key_permissions_of(info: &KrakenKeyInfo) -> KeyPermissions {
    let has = |pred: &dyn Fn(&str) -> bool| info.permissions.iter().any(|p| pred(p));
    KeyPermissions {
        venue: Venue::Kraken,
        can_read: has(&|p| p.starts_with("query-")),
        can_trade: has(&|p| p == "modify-trades"),
        can_withdraw: has(&|p| p.contains("withdraw")),
        can_transfer: has(&|p| p == "earn-funds" || p.contains("transfer")),
        ip_restricted: Some(!info.ip_allowlist.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn order_parameters_follow_kraken_spelling() {
        let o = OrderRequest {
            symbol: "BTC/USD".parse().unwrap_or_else(|_| unreachable!()),
            side: Side::Sell,
            kind: OrderKind::LimitMaker {
                price: dec!(37500.0),
                quantity: dec!(1.250),
            },
            client_order_id: ClientOrderId::derive("n", "k"),
        };
        let v = order_params(&o, "XXBTZUSD");
        let get = |k: &str| v.iter().find(|(n, _)| n == k).map(|(_, x)| x.as_str());
        assert_eq!(get("pair"), Some("XXBTZUSD"));
        assert_eq!(get("type"), Some("sell"));
        assert_eq!(get("ordertype"), Some("limit"));
        assert_eq!(get("price"), Some("37500"));
        assert_eq!(get("volume"), Some("1.25"));
        assert_eq!(get("oflags"), Some("post"));
        assert_eq!(get("cl_ord_id").map(str::len), Some(32));
        assert!(get("nonce").is_none(), "the signer adds the nonce");
    }
}
