//! Checking an API key when a user adds it: what the venue says the key may do, and
//! Tradeward's verdict.
//!
//! Users are told never to grant withdrawal (or transfer) rights and to restrict keys to the
//! server's addresses. A key that can move funds off the account is refused (a deployment
//! setting can turn the refusal into a warning); a key without an address restriction is
//! accepted with a warning that lists the server's egress addresses, so the user can add
//! them at the venue; a key that cannot trade is accepted for monitoring only. Each venue
//! reports permissions its own way: Binance `GET /sapi/v1/account/apiRestrictions`, Kraken
//! `POST /0/private/GetApiKeyInfo`, Coinbase `GET /api/v3/brokerage/key_permissions`
//! ([`crate::ExecutionClient::key_permissions`]).

use tradeward_domain::Venue;

use crate::error::ExchangeError;
use crate::traits::ExecutionClient;

/// What a venue says one key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPermissions {
    /// The venue.
    pub venue: Venue,
    /// May read balances and orders.
    pub can_read: bool,
    /// May place and cancel orders.
    pub can_trade: bool,
    /// May withdraw (send funds off the venue).
    pub can_withdraw: bool,
    /// May move funds between accounts, sub-accounts or products.
    pub can_transfer: bool,
    /// Whether the key is limited to a list of addresses; `None` when the venue does not say.
    pub ip_restricted: Option<bool>,
}

/// How strict to be, from the deployment's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Refuse keys that can withdraw or transfer (the default); when false they are accepted
    /// with a warning.
    pub refuse_fund_movement: bool,
    /// The addresses this server's requests to venues come from (shown to the user).
    pub egress_addresses: Vec<String>,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            refuse_fund_movement: true,
            egress_addresses: Vec::new(),
        }
    }
}

/// Tradeward's verdict on a key (stored and shown with the credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVerdict {
    /// Whether the key may be stored.
    pub accepted: bool,
    /// Whether it can be used to trade (a read-only key is for monitoring).
    pub can_trade: bool,
    /// Why it was refused, in words for the user (when not accepted).
    pub refusal: Option<String>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// What the venue reported.
    pub permissions: KeyPermissions,
}

fn venue_name(v: Venue) -> &'static str {
    match v {
        Venue::Binance => "Binance",
        Venue::Kraken => "Kraken",
        Venue::Coinbase => "Coinbase",
        Venue::Okx => "OKX",
        Venue::Bybit => "Bybit",
        Venue::Sim => "the simulator",
    }
}

/// Where the venue calls the rights to switch off, for the explanation.
fn fund_rights(v: Venue) -> &'static str {
    match v {
        Venue::Binance | Venue::Sim => {
            "\"Enable Withdrawals\", \"Enable Internal Transfer\" and \"Permits Universal Transfer\""
        }
        Venue::Kraken => "\"Withdraw Funds\" (and \"Earn Funds\")",
        Venue::Coinbase => "\"Transfer\" (the key's portfolio permission)",
        Venue::Okx => "\"Withdraw\"",
        Venue::Bybit => "\"Wallet\" transfers and withdrawals",
    }
}

fn doc_page(v: Venue) -> String {
    format!("docs/venues/{v}.md")
}

/// Judges `p` under `policy`.
pub fn assess(p: KeyPermissions, policy: &KeyPolicy) -> KeyVerdict {
    let v = p.venue;
    let mut warnings = Vec::new();
    let mut refusal = None;
    if p.can_withdraw || p.can_transfer {
        let what = match (p.can_withdraw, p.can_transfer) {
            (true, true) => "withdraw and transfer funds",
            (true, false) => "withdraw funds",
            _ => "transfer funds",
        };
        let text = format!(
            "This {} key can {what}. Tradeward never needs that right: it only reads, trades \
             and cancels, and a stolen key that can move funds can empty the account. Create a \
             key without {} and add that one instead (see {}).",
            venue_name(v),
            fund_rights(v),
            doc_page(v)
        );
        if policy.refuse_fund_movement {
            refusal = Some(text);
        } else {
            warnings.push(text);
        }
    }
    let egress = if policy.egress_addresses.is_empty() {
        "no egress addresses are configured for this server (set them in the configuration)"
            .to_owned()
    } else {
        policy.egress_addresses.join(", ")
    };
    match p.ip_restricted {
        Some(true) => {}
        Some(false) => warnings.push(format!(
            "This key is not restricted to IP addresses: anyone who obtains it can use it from \
             anywhere. Restrict it at {} to this server's egress addresses: {egress} (see {}).",
            venue_name(v),
            doc_page(v)
        )),
        None => warnings.push(format!(
            "{} does not report whether this key is restricted to IP addresses. If it is not, \
             restrict it to this server's egress addresses: {egress} (see {}).",
            venue_name(v),
            doc_page(v)
        )),
    }
    if !p.can_trade {
        warnings.push(
            "This key cannot trade: it is accepted for monitoring only (balances and orders)."
                .to_owned(),
        );
    }
    if !p.can_read {
        warnings.push("This key cannot read balances or orders.".to_owned());
    }
    KeyVerdict {
        accepted: refusal.is_none(),
        can_trade: p.can_trade,
        refusal,
        warnings,
        permissions: p,
    }
}

/// Asks the venue about the key behind `exec` and judges it.
pub async fn check_key(
    exec: &dyn ExecutionClient,
    policy: &KeyPolicy,
) -> Result<KeyVerdict, ExchangeError> {
    Ok(assess(exec.key_permissions().await?, policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(withdraw: bool, ip: Option<bool>, trade: bool) -> KeyPermissions {
        KeyPermissions {
            venue: Venue::Kraken,
            can_read: true,
            can_trade: trade,
            can_withdraw: withdraw,
            can_transfer: false,
            ip_restricted: ip,
        }
    }

    #[test]
    fn withdrawal_rights_are_refused_unless_relaxed() {
        let policy = KeyPolicy {
            refuse_fund_movement: true,
            egress_addresses: vec!["203.0.113.7".into()],
        };
        let v = assess(perms(true, Some(true), true), &policy);
        assert!(!v.accepted);
        let why = v.refusal.unwrap_or_default();
        assert!(
            why.contains("withdraw funds") && why.contains("Withdraw Funds"),
            "{why}"
        );
        let relaxed = KeyPolicy {
            refuse_fund_movement: false,
            ..policy
        };
        let v = assess(perms(true, Some(true), true), &relaxed);
        assert!(v.accepted && v.warnings.iter().any(|w| w.contains("withdraw")));
    }

    #[test]
    fn unrestricted_keys_get_the_egress_addresses() {
        let policy = KeyPolicy {
            refuse_fund_movement: true,
            egress_addresses: vec!["203.0.113.7".into(), "2001:db8::7".into()],
        };
        let v = assess(perms(false, Some(false), true), &policy);
        assert!(v.accepted && v.can_trade);
        assert!(
            v.warnings[0].contains("203.0.113.7, 2001:db8::7"),
            "{:?}",
            v.warnings
        );
        let v = assess(perms(false, Some(true), false), &policy);
        assert!(v.accepted && !v.can_trade);
        assert_eq!(v.warnings.len(), 1);
        assert!(v.warnings[0].contains("monitoring"));
        let v = assess(perms(false, None, true), &KeyPolicy::default());
        assert!(v.warnings[0].contains("no egress addresses are configured"));
    }
}
