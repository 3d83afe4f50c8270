//! Why the signer refused to sign. Each reason is audited and returned to the caller.

use rust_decimal::Decimal;

use crate::endpoints::EndpointClass;

/// A policy refusal. The messages name the rule, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The endpoint is of a class the signer never signs (withdraw, transfer, key management).
    #[error("endpoint class {0:?} is never signed (only read, trade and cancel are)")]
    ForbiddenClass(EndpointClass),
    /// The endpoint is not in the venue's table.
    #[error("unknown endpoint {method} {path} for {venue}: refused")]
    UnknownEndpoint {
        /// Venue.
        venue: String,
        /// HTTP method.
        method: String,
        /// Path asked for.
        path: String,
    },
    /// The global trading switch is off.
    #[error("trading is disabled for the whole deployment")]
    TradingDisabledGlobally,
    /// The user's trading switch is off.
    #[error("trading is disabled for this user")]
    TradingDisabledForUser,
    /// Credential use is paused (incident response).
    #[error("credential use is paused by an operator")]
    CredentialsPaused,
    /// The caller acts for a user who does not own the credential.
    #[error("the credential does not belong to the requesting user")]
    NotOwner,
    /// The order's symbol is not in the credential's allowed list.
    #[error("symbol {0} is not allowed for this credential")]
    SymbolNotAllowed(String),
    /// The order's notional is above the per-order limit.
    #[error("order notional {notional} exceeds this credential's per-order limit {limit}")]
    OrderNotionalAboveLimit {
        /// The order's notional.
        notional: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// The order would take today's total above the daily limit.
    #[error(
        "order notional {notional} would take today's total {used} above the daily limit {limit}"
    )]
    DailyNotionalAboveLimit {
        /// The order's notional.
        notional: Decimal,
        /// Already traded today.
        used: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// A notional limit applies but the order's notional cannot be known (market order by
    /// quantity with no reference price).
    #[error("cannot determine the order's notional to check this credential's limits")]
    NotionalUnknown,
    /// The trade request's parameters could not be read.
    #[error("malformed trade request: {0}")]
    MalformedTrade(String),
}

impl Refusal {
    /// A stable snake_case code for APIs and audit queries.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::ForbiddenClass(_) => "forbidden_endpoint_class",
            Refusal::UnknownEndpoint { .. } => "unknown_endpoint",
            Refusal::TradingDisabledGlobally => "trading_disabled_globally",
            Refusal::TradingDisabledForUser => "trading_disabled_for_user",
            Refusal::CredentialsPaused => "credentials_paused",
            Refusal::NotOwner => "not_owner",
            Refusal::SymbolNotAllowed(_) => "symbol_not_allowed",
            Refusal::OrderNotionalAboveLimit { .. } => "order_notional_above_limit",
            Refusal::DailyNotionalAboveLimit { .. } => "daily_notional_above_limit",
            Refusal::NotionalUnknown => "notional_unknown",
            Refusal::MalformedTrade(_) => "malformed_trade",
        }
    }
}
