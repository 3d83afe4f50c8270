//! Using a login: validating session and personal tokens, listing and revoking sessions,
//! step-up re-authentication, and personal API tokens.

use tradeward_audit::Outcome;
use tradeward_domain::SessionId;
use tradeward_store::{AccountRow, ApiTokenRow, SessionRow};
use tradeward_vault::SecretString;

use super::{AuthService, NewApiToken, Principal, RequestContext, Role, Scope, Via};
use crate::config::micros;
use crate::error::AuthError;
use crate::passwords::verify_password;
use crate::sessions::{expiry, Expiry};
use crate::throttle::account_key;
use crate::tokens::{digest, Token, TokenKind};

/// What accompanies the password in a step-up.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StepUpProof<'a> {
    /// A TOTP code (required when TOTP is enrolled).
    Totp(Option<&'a str>),
    /// A WebAuthn assertion answering `begin_webauthn_step_up`.
    Webauthn(&'a crate::webauthn::PublicKeyCredential),
}

/// Touch a session at most this often (µs): the idle timeout is minutes, so a write per
/// request would only add load.
const TOUCH_EVERY_US: i64 = 15_000_000;

impl AuthService {
    /// Validates a session token (cookie): idle and absolute timeouts, then records activity.
    pub async fn authenticate_session(
        &self,
        token: &str,
        now_us: i64,
    ) -> Result<Principal, AuthError> {
        let session = self
            .store
            .session_by_token_hash(&digest(TokenKind::Session, token))
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        match expiry(&session, self.config.session_idle, now_us) {
            Expiry::Live => {}
            why => {
                self.store
                    .delete_session(session.user_id, session.id)
                    .await?;
                let mut e = self.event(
                    now_us,
                    "auth.session.expire",
                    Outcome::Ok,
                    Some(session.user_id),
                    None,
                );
                e.session_id = Some(session.id.to_string());
                e.reason = Some(
                    if why == Expiry::Idle {
                        "idle"
                    } else {
                        "absolute"
                    }
                    .into(),
                );
                self.record(e)?;
                return Err(AuthError::Unauthenticated);
            }
        }
        let account = self
            .store
            .account(session.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let mut session = session;
        if now_us - session.last_seen_at_us >= TOUCH_EVERY_US {
            self.store.touch_session(session.id, now_us).await?;
            session.last_seen_at_us = now_us;
        }
        principal(&account, Via::Session(session))
    }

    /// Validates a personal API token (`Authorization: Bearer twp_...`).
    pub async fn authenticate_api_token(
        &self,
        token: &str,
        now_us: i64,
    ) -> Result<Principal, AuthError> {
        let row = self
            .store
            .use_api_token(&digest(TokenKind::Api, token), now_us)
            .await?
            .filter(|t| now_us < t.expires_at_us)
            .ok_or(AuthError::Unauthenticated)?;
        let account = self
            .store
            .account(row.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let scopes = row
            .scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(Scope::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AuthError::Internal("stored token scopes are corrupt"))?;
        principal(&account, Via::ApiToken { id: row.id, scopes })
    }

    pub(crate) async fn session_account(
        &self,
        principal: &Principal,
    ) -> Result<(AccountRow, SessionRow), AuthError> {
        let Via::Session(session) = &principal.via else {
            // Account and factor management is for people in a browser, not for scripts.
            return Err(AuthError::Forbidden);
        };
        let account = self
            .store
            .account(principal.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        Ok((account, session.clone()))
    }

    /// `DELETE /session`: ends the caller's session.
    pub async fn logout(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        let (_, session) = self.session_account(principal).await?;
        self.store
            .delete_session(principal.user_id, session.id)
            .await?;
        let mut e = self.event(
            now_us,
            "auth.logout",
            Outcome::Ok,
            Some(principal.user_id),
            Some(ctx),
        );
        e.session_id = Some(session.id.to_string());
        self.record(e)
    }

    /// `GET /me/sessions`.
    pub async fn list_sessions(&self, principal: &Principal) -> Result<Vec<SessionRow>, AuthError> {
        Ok(self.store.user_sessions(principal.user_id).await?)
    }

    /// `DELETE /me/sessions/{id}`: revokes one of the caller's sessions.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        id: SessionId,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        if !self.store.delete_session(principal.user_id, id).await? {
            return Err(AuthError::NotFound("session"));
        }
        let mut e = self.event(
            now_us,
            "auth.session.revoke",
            Outcome::Ok,
            Some(principal.user_id),
            Some(ctx),
        );
        e.session_id = Some(principal.session_id().to_string());
        self.record(e.with("revoked_session", id.to_string()))
    }

    /// Signs the caller out everywhere (every session, the current one included).
    pub async fn sign_out_everywhere(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<u64, AuthError> {
        let n = self
            .store
            .delete_user_sessions(principal.user_id, None)
            .await?;
        let mut e = self.event(
            now_us,
            "auth.session.revoke_all",
            Outcome::Ok,
            Some(principal.user_id),
            Some(ctx),
        );
        e.session_id = Some(principal.session_id().to_string());
        self.record(e.with("revoked", n))?;
        Ok(n)
    }

    /// Step-up: re-enter the password (and a TOTP code when enrolled) to unlock sensitive
    /// actions for [`crate::AuthConfig::step_up_window`]. The session gets a new token (the
    /// old one stops working), returned here.
    pub async fn step_up(
        &self,
        principal: &Principal,
        password: SecretString,
        totp_code: Option<&str>,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Token, AuthError> {
        self.step_up_with(
            principal,
            password,
            StepUpProof::Totp(totp_code),
            ctx,
            now_us,
        )
        .await
    }

    /// [`AuthService::step_up`] with either second-factor proof.
    pub(crate) async fn step_up_with(
        &self,
        principal: &Principal,
        password: SecretString,
        proof: StepUpProof<'_>,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Token, AuthError> {
        let (account, session) = self.session_account(principal).await?;
        let has_totp = self.store.totp_factor(account.id, true).await?.is_some();
        // A passkey-only account, or an admin under the WebAuthn policy, cannot step up with
        // a code (nor with the password alone).
        if matches!(proof, StepUpProof::Totp(_))
            && self.step_up_needs_passkey(&account, has_totp).await?
        {
            return Err(AuthError::WebauthnRequired);
        }
        let key = account_key(&account.email);
        let policy = &self.config.throttle;
        if let Some(row) = self
            .store
            .throttle_rows(std::slice::from_ref(&key))
            .await?
            .first()
        {
            let wait = policy.remaining(
                row.failures,
                row.last_failure_at_us,
                policy.free_account_failures,
                now_us,
            );
            if !wait.is_zero() {
                return Err(AuthError::Throttled { retry_after: wait });
            }
        }
        let phc = account
            .password_hash
            .clone()
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let params = self.config.hash;
        let matched = self
            .pool
            .run(move || {
                verify_password(&params, password.expose().as_bytes(), &phc).map(|v| v.matched)
            })
            .await??
            && account.password_hash.is_some();
        let mut factor_error = AuthError::InvalidCode;
        let factor_ok = match proof {
            StepUpProof::Totp(code) => match (has_totp, code) {
                (false, _) => true,
                (true, Some(code)) if matched => self.check_totp(&account, code, now_us).await?,
                _ => false,
            },
            StepUpProof::Webauthn(response) if matched => {
                match self
                    .step_up_assertion(&account, session.id, response, ctx, now_us)
                    .await?
                {
                    Ok(()) => true,
                    Err(text) => {
                        factor_error = AuthError::InvalidWebauthn(text);
                        false
                    }
                }
            }
            StepUpProof::Webauthn(_) => false,
        };
        if !(matched && factor_ok) {
            self.store
                .record_login_failure(&key, now_us, now_us - micros(policy.forget_after))
                .await?;
            let mut e = self.event(
                now_us,
                "auth.step_up",
                Outcome::Refused,
                Some(account.id),
                Some(ctx),
            );
            e.session_id = Some(session.id.to_string());
            e.reason = Some(
                if matched {
                    "wrong_code"
                } else {
                    "wrong_password"
                }
                .into(),
            );
            self.record(e)?;
            return Err(if matched {
                factor_error
            } else {
                AuthError::InvalidCredentials
            });
        }
        let token = Token::generate(TokenKind::Session);
        if !self
            .store
            .reauthenticate_session(session.id, &token.digest(), now_us)
            .await?
        {
            return Err(AuthError::Unauthenticated);
        }
        let mut e = self.event(
            now_us,
            "auth.step_up",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        e.session_id = Some(session.id.to_string());
        self.record(e)?;
        Ok(token)
    }

    /// `POST /tokens`: a personal API token, shown once. Needs a recent full authentication.
    pub async fn create_api_token(
        &self,
        principal: &Principal,
        name: &str,
        scopes: &[Scope],
        expires_in_days: u32,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<NewApiToken, AuthError> {
        let (account, _) = self.session_account(principal).await?;
        self.require_step_up(principal, now_us)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AuthError::InvalidInput {
                field: "name",
                reason: "must be 1 to 100 characters",
            });
        }
        if scopes.is_empty() {
            return Err(AuthError::InvalidInput {
                field: "scopes",
                reason: "at least one of read, trade",
            });
        }
        if expires_in_days == 0 || expires_in_days > self.config.max_token_days {
            return Err(AuthError::InvalidInput {
                field: "expires_in_days",
                reason: "must be between 1 and the server's maximum (365 by default)",
            });
        }
        let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let token = Token::generate(TokenKind::Api);
        let row = ApiTokenRow {
            id: SessionId::new(),
            user_id: account.id,
            name: name.to_owned(),
            scopes: names.join(","),
            created_at_us: now_us,
            expires_at_us: now_us + i64::from(expires_in_days) * 86_400_000_000,
            last_used_at_us: None,
        };
        self.store.insert_api_token(&row, &token.digest()).await?;
        let mut e = self.event(
            now_us,
            "auth.token.create",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        e.session_id = Some(principal.session_id().to_string());
        self.record(
            e.with("token_id", row.id.to_string())
                .with("scopes", row.scopes.clone()),
        )?;
        Ok(NewApiToken { token, row })
    }

    /// The caller's personal tokens (without their values).
    pub async fn list_api_tokens(
        &self,
        principal: &Principal,
    ) -> Result<Vec<ApiTokenRow>, AuthError> {
        Ok(self.store.user_api_tokens(principal.user_id).await?)
    }

    /// Revokes one of the caller's personal tokens.
    pub async fn revoke_api_token(
        &self,
        principal: &Principal,
        id: SessionId,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        if !self.store.delete_api_token(principal.user_id, id).await? {
            return Err(AuthError::NotFound("token"));
        }
        let e = self.event(
            now_us,
            "auth.token.revoke",
            Outcome::Ok,
            Some(principal.user_id),
            Some(ctx),
        );
        self.record(e.with("token_id", id.to_string()))
    }
}

fn principal(account: &AccountRow, via: Via) -> Result<Principal, AuthError> {
    Ok(Principal {
        user_id: account.id,
        email: account.email.clone(),
        role: Role::parse(&account.role)
            .map_err(|_| AuthError::Internal("stored role is corrupt"))?,
        via,
    })
}
