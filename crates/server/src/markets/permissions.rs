//! Asking a venue what a freshly stored key may do (Binance dialect:
//! `GET /sapi/v1/account/apiRestrictions`, a signed read), and what to warn about.

use serde::Deserialize;
use tradeward_domain::CredentialId;
use tradeward_exchange::binance::BinanceHttp;
use tradeward_exchange::ExchangeError;
use tradeward_signer::remote::SignerApi;
use tradeward_signer::schemes::{HttpMethod, UnsignedRequest};
use tradeward_signer::CallContext;

/// What the venue reported about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionCheck {
    /// May read account data.
    #[serde(default)]
    pub enable_reading: bool,
    /// May trade spot.
    #[serde(default)]
    pub enable_spot_and_margin_trading: bool,
    /// May withdraw (a key Tradeward holds should not).
    #[serde(default)]
    pub enable_withdrawals: bool,
    /// Restricted to listed IP addresses.
    #[serde(default)]
    pub ip_restrict: bool,
}

impl PermissionCheck {
    /// Things the user should fix, as (code, message).
    pub fn warnings(&self) -> Vec<(&'static str, &'static str)> {
        let mut w = Vec::new();
        if self.enable_withdrawals {
            w.push((
                "withdrawals_enabled",
                "this key can withdraw funds: Tradeward never signs withdrawals, but a key that \
                 cannot withdraw is safer should it ever leak from the exchange's side",
            ));
        }
        if !self.enable_spot_and_margin_trading {
            w.push((
                "trading_disabled",
                "this key cannot trade: orders and triggers will be rejected by the exchange",
            ));
        }
        if !self.ip_restrict {
            w.push((
                "no_ip_restriction",
                "this key works from any address: restrict it to this server's address at the \
                 exchange",
            ));
        }
        w
    }

    /// The facts as JSON (the API's `permissions` object).
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "can_read": self.enable_reading,
            "can_trade": self.enable_spot_and_margin_trading,
            "can_withdraw": self.enable_withdrawals,
            "ip_restricted": self.ip_restrict,
        })
    }
}

/// Asks the venue about `credential` (signed by the signer, audited like any signature).
pub async fn check(
    http: &BinanceHttp,
    signer: &dyn SignerApi,
    ctx: &CallContext,
    credential: CredentialId,
) -> Result<PermissionCheck, ExchangeError> {
    let mut req = UnsignedRequest::new(HttpMethod::Get, "/sapi/v1/account/apiRestrictions");
    req.query = vec![(
        "recvWindow".to_owned(),
        http.config().recv_window_ms.to_string(),
    )];
    let body = http.signed(signer, ctx, credential, &req).await?;
    serde_json::from_slice(&body).map_err(|_| ExchangeError::Malformed {
        what: "apiRestrictions",
        problem: "not the expected JSON object".into(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn binance_answer_parses_and_warns() {
        let p: PermissionCheck = serde_json::from_str(
            r#"{"ipRestrict":false,"createTime":1,"enableReading":true,"enableWithdrawals":true,
                "enableSpotAndMarginTrading":true,"enableMargin":false}"#,
        )
        .unwrap();
        let codes: Vec<_> = p.warnings().into_iter().map(|(c, _)| c).collect();
        assert_eq!(codes, vec!["withdrawals_enabled", "no_ip_restriction"]);
        assert_eq!(p.to_json()["can_trade"], true);
    }
}
