//! [`AuthService`]: the login flow, sessions, personal tokens, second factors and admin
//! actions over the store, the vault (TOTP seeds) and the audit log.
//!
//! Every method takes `now_us` from the caller. Every authentication event is audited
//! (component `auth`); if the audit log refuses an event the action fails rather than going
//! unrecorded.

mod access;
mod admin;
mod factors;
mod login;
mod notices;
mod passkey_auth;
mod passkeys;

use std::net::IpAddr;
use std::sync::Arc;

use tradeward_audit::{AuditEvent, AuditSink, Outcome};
use tradeward_domain::{SessionId, UserId};
use tradeward_store::{AccountRow, ApiTokenRow, SessionRow, Store};
use tradeward_vault::{SecretString, Vault};

use crate::config::AuthConfig;
use crate::error::AuthError;
use crate::passwords::{hash_password, HashingPool};
use crate::tokens::Token;

pub use admin::{Actor, CreatedUser};
pub use factors::TotpEnrollment;
pub use login::{LoginOutcome, SecondFactorMethod};
pub use notices::{LinkLockdown, Mailer};
pub use passkeys::PasskeyRegistered;

/// Where a request came from (for throttling, audit and the session list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The client's address.
    pub addr: Option<IpAddr>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A trader.
    User,
    /// An administrator.
    Admin,
}

impl Role {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        match text {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            _ => Err(AuthError::InvalidInput {
                field: "role",
                reason: "expected user or admin",
            }),
        }
    }
}

/// What a personal API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read balances, orders, triggers.
    Read,
    /// Place and cancel orders and triggers.
    Trade,
}

impl Scope {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Trade => "trade",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        match text {
            "read" => Ok(Scope::Read),
            "trade" => Ok(Scope::Trade),
            _ => Err(AuthError::InvalidInput {
                field: "scopes",
                reason: "each scope must be read or trade",
            }),
        }
    }
}

/// How a principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session.
    Session(SessionRow),
    /// A personal API token with its scopes.
    ApiToken {
        /// The token's id.
        id: SessionId,
        /// What it may do.
        scopes: Vec<Scope>,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// How they authenticated.
    pub via: Via,
}

impl Principal {
    /// The session or token id, for audit.
    pub fn session_id(&self) -> SessionId {
        match &self.via {
            Via::Session(s) => s.id,
            Via::ApiToken { id, .. } => *id,
        }
    }

    /// Whether this principal may use `scope` (sessions may do everything).
    pub fn has_scope(&self, scope: Scope) -> bool {
        match &self.via {
            Via::Session(_) => true,
            Via::ApiToken { scopes, .. } => scopes.contains(&scope),
        }
    }
}

/// A session just created: the token goes to the client once (cookie), never stored.
#[derive(Debug)]
pub struct NewSession {
    /// The bearer value.
    pub token: Token,
    /// The stored session.
    pub session: SessionRow,
}

/// A personal API token just created: shown once.
#[derive(Debug)]
pub struct NewApiToken {
    /// The bearer value.
    pub token: Token,
    /// The stored row.
    pub row: ApiTokenRow,
}

/// Accounts and authentication. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuthService {
    pub(crate) store: Store,
    pub(crate) vault: Vault,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) config: Arc<AuthConfig>,
    pub(crate) pool: HashingPool,
    /// A hash of a random password under the parameters in force: logins for unknown
    /// accounts verify against it, so they cost the same time as logins for known ones.
    pub(crate) dummy_hash: Arc<str>,
    /// Sends the email notices (`None`: email is not configured).
    pub(crate) mail: Option<Arc<notices::Mailer>>,
    /// The WebAuthn verifier (relying party from `config.webauthn`).
    pub(crate) rp: Arc<crate::webauthn::RelyingParty>,
}

impl AuthService {
    /// Builds the service. Computes one argon2id hash (the timing dummy) on the pool.
    pub async fn new(
        store: Store,
        vault: Vault,
        audit: Arc<dyn AuditSink>,
        config: AuthConfig,
    ) -> Result<Self, AuthError> {
        let pool = HashingPool::new(config.hashing_workers, config.hashing_queue);
        let params = config.hash;
        let dummy = crate::tokens::Token::generate(crate::tokens::TokenKind::Challenge);
        let dummy_hash = pool
            .run(move || hash_password(&params, dummy.expose().as_bytes()))
            .await??;
        let rp = crate::webauthn::RelyingParty::new(&config.webauthn)?;
        Ok(Self {
            rp: Arc::new(rp),
            store,
            vault,
            audit,
            config: Arc::new(config),
            pool,
            dummy_hash: dummy_hash.into(),
            mail: None,
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The hashing pool (for health reporting).
    pub fn hashing_pool(&self) -> &HashingPool {
        &self.pool
    }

    pub(crate) fn event(
        &self,
        now_us: i64,
        kind: &'static str,
        outcome: Outcome,
        user: Option<UserId>,
        ctx: Option<&RequestContext>,
    ) -> AuditEvent {
        let mut e = AuditEvent::new(now_us, kind, "auth", outcome);
        e.user_id = user.map(|u| u.to_string());
        if let Some(ctx) = ctx {
            e.source_addr = ctx.addr.map(|a| a.to_string());
            if let Some(ua) = &ctx.user_agent {
                e = e.with("user_agent", ua.clone());
            }
        }
        e
    }

    pub(crate) fn record(&self, event: AuditEvent) -> Result<(), AuthError> {
        // Notices (new device, factor changes) follow recorded events only.
        let notice = self.notice_for(&event);
        self.audit.record(event)?;
        if let Some(job) = notice {
            job.spawn();
        }
        Ok(())
    }

    pub(crate) async fn hash(&self, password: SecretString) -> Result<String, AuthError> {
        let params = self.config.hash;
        self.pool
            .run(move || hash_password(&params, password.expose().as_bytes()))
            .await?
    }

    /// Whether this account must have and use WebAuthn (the admin policy, S7).
    pub(crate) fn webauthn_required(&self, account: &AccountRow) -> bool {
        self.config.webauthn.require_for_admins && account.role == "admin"
    }

    pub(crate) fn second_factor_required(&self, account: &AccountRow) -> bool {
        self.config.require_second_factor
            || (self.config.require_second_factor_for_admins && account.role == "admin")
    }
}

/// Lower-cases and trims an email, and checks its shape (something@something, no spaces).
pub(crate) fn normalize_email(email: &str) -> Result<String, AuthError> {
    let email = email.trim().to_lowercase();
    let bad = |reason| AuthError::InvalidInput {
        field: "email",
        reason,
    };
    if email.len() > 254 {
        return Err(bad("longer than 254 characters"));
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(email)
        }
        _ => Err(bad("expected an address like name@example.com")),
    }
}
