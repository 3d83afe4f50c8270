//! Creating accounts (admin, CLI, optional open sign-up) and the admin levers: forced
//! password resets (one user or everyone) and session revocation. No default credentials
//! exist anywhere: an account gets a password only from its user (setup link, sign-up) or
//! from an operator's standard input, and it must pass the policy.

use tradeward_audit::Outcome;
use tradeward_domain::UserId;
use tradeward_store::{NewAccount, StoreError};
use tradeward_vault::SecretString;

use super::login::STAGE_PASSWORD;
use super::{normalize_email, AuthService, Principal, RequestContext, Role, Via};
use crate::error::AuthError;
use crate::passwords::check_password;
use crate::tokens::Token;

/// Who performs an administrative action.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The operator at the command line (`tradeward admin ...`): trusted by the host.
    Cli,
    /// An administrator's browser session.
    Admin(Principal),
}

/// A created account.
#[derive(Debug)]
pub struct CreatedUser {
    /// The new user's id.
    pub user_id: UserId,
    /// The one-time setup token when no password was given (the link carries it); valid for
    /// [`crate::AuthConfig::setup_ttl`], answered with
    /// [`AuthService::complete_password_change`].
    pub setup_token: Option<Token>,
}

impl AuthService {
    fn authorize(
        &self,
        actor: &Actor,
        now_us: i64,
    ) -> Result<(&'static str, Option<Principal>), AuthError> {
        match actor {
            Actor::Cli => Ok(("cli", None)),
            Actor::Admin(p) => {
                if p.role != Role::Admin || !matches!(p.via, Via::Session(_)) {
                    return Err(AuthError::Forbidden);
                }
                // Admin actions are sensitive by definition (S7).
                self.require_step_up(p, now_us)?;
                Ok(("web", Some(p.clone())))
            }
        }
    }

    fn admin_event(
        &self,
        now_us: i64,
        kind: &'static str,
        via: &'static str,
        by: Option<&Principal>,
        target: Option<UserId>,
    ) -> tradeward_audit::AuditEvent {
        let mut e = self
            .event(now_us, kind, Outcome::Ok, target, None)
            .with("via", via);
        if let Some(p) = by {
            e.session_id = Some(p.session_id().to_string());
            e = e.with("admin_id", p.user_id.to_string());
        }
        e
    }

    /// Creates an account. With `password` (scripted provisioning) it must pass the policy;
    /// without, the result carries a one-time setup token.
    pub async fn create_user(
        &self,
        actor: &Actor,
        email: &str,
        role: Role,
        password: Option<SecretString>,
        now_us: i64,
    ) -> Result<CreatedUser, AuthError> {
        let (via, by) = self.authorize(actor, now_us)?;
        let email = normalize_email(email)?;
        let password_hash = match password {
            Some(pw) => {
                check_password(pw.expose(), &email).map_err(AuthError::WeakPassword)?;
                Some(self.hash(pw).await?)
            }
            None => None,
        };
        let has_password = password_hash.is_some();
        let user_id = self
            .store
            .create_account(&NewAccount {
                email: email.clone(),
                role: role.as_str().into(),
                password_hash,
                created_at_us: now_us,
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AuthError::EmailTaken,
                other => AuthError::Store(other),
            })?;
        let setup_token = if has_password {
            None
        } else {
            let account = self
                .store
                .account(user_id)
                .await?
                .ok_or(AuthError::NotFound("user"))?;
            let ttl = Some(self.config.setup_ttl);
            Some(
                self.challenge(
                    &account,
                    STAGE_PASSWORD,
                    true,
                    &RequestContext::default(),
                    now_us,
                    ttl,
                )
                .await?,
            )
        };
        let e = self
            .admin_event(now_us, "auth.user.create", via, by.as_ref(), Some(user_id))
            .with("role", role.as_str())
            .with("setup_link", !has_password);
        self.record(e)?;
        Ok(CreatedUser {
            user_id,
            setup_token,
        })
    }

    /// Forces one user to set a new password at next login; their sessions, personal tokens
    /// and logins in progress are revoked. Returns the number of sessions revoked.
    pub async fn force_password_reset(
        &self,
        actor: &Actor,
        user: UserId,
        now_us: i64,
    ) -> Result<u64, AuthError> {
        let (via, by) = self.authorize(actor, now_us)?;
        let revoked = self
            .store
            .force_password_reset(user)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => AuthError::NotFound("user"),
                other => AuthError::Store(other),
            })?;
        let e = self
            .admin_event(now_us, "auth.force_reset", via, by.as_ref(), Some(user))
            .with("sessions_revoked", revoked);
        self.record(e)?;
        Ok(revoked)
    }

    /// [`AuthService::force_password_reset`] for every user (lockdown). Returns (users,
    /// sessions revoked).
    pub async fn force_password_reset_all(
        &self,
        actor: &Actor,
        now_us: i64,
    ) -> Result<(u64, u64), AuthError> {
        let (via, by) = self.authorize(actor, now_us)?;
        let (users, revoked) = self.store.force_password_reset_all().await?;
        let e = self
            .admin_event(now_us, "auth.force_reset_all", via, by.as_ref(), None)
            .with("users", users)
            .with("sessions_revoked", revoked);
        self.record(e)?;
        Ok((users, revoked))
    }

    /// Revokes every session of one user (`Some`) or of everyone (`None`).
    pub async fn revoke_sessions(
        &self,
        actor: &Actor,
        user: Option<UserId>,
        now_us: i64,
    ) -> Result<u64, AuthError> {
        let (via, by) = self.authorize(actor, now_us)?;
        let revoked = match user {
            Some(u) => self.store.delete_user_sessions(u, None).await?,
            None => self.store.delete_all_sessions().await?,
        };
        let e = self
            .admin_event(now_us, "auth.session.revoke_admin", via, by.as_ref(), user)
            .with("revoked", revoked);
        self.record(e)?;
        Ok(revoked)
    }

    /// Changes a user's role; their sessions end (a privilege change starts from a new login).
    pub async fn set_role(
        &self,
        actor: &Actor,
        user: UserId,
        role: Role,
        now_us: i64,
    ) -> Result<(), AuthError> {
        let (via, by) = self.authorize(actor, now_us)?;
        if !self.store.set_user_role(user, role.as_str()).await? {
            return Err(AuthError::NotFound("user"));
        }
        let e = self
            .admin_event(now_us, "auth.role.change", via, by.as_ref(), Some(user))
            .with("role", role.as_str());
        self.record(e)
    }
}
