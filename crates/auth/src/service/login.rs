//! The login flow: password (throttled, no enumeration), then whatever is left (second
//! factor, forced password change, second-factor enrolment), each step a short-lived
//! single-use challenge, until a session is issued.

use std::time::Duration;

use tradeward_audit::Outcome;
use tradeward_domain::SessionId;
use tradeward_store::{AccountRow, ChallengeRow, SessionRow};
use tradeward_vault::SecretString;

use super::{normalize_email, AuthService, NewSession, RequestContext};
use crate::config::micros;
use crate::error::{AuthError, PasswordRejection};
use crate::passwords::{check_password, verify_password};
use crate::throttle::{account_key, address_key};
use crate::tokens::{digest, Token, TokenKind};

/// Second factors a login can be completed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorMethod {
    /// A TOTP code.
    Totp,
    /// A single-use recovery code.
    RecoveryCode,
    /// A passkey or security key (`POST /session/webauthn/begin`, then `/finish`).
    Webauthn,
}

impl SecondFactorMethod {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactorMethod::Totp => "totp",
            SecondFactorMethod::RecoveryCode => "recovery_code",
            SecondFactorMethod::Webauthn => "webauthn",
        }
    }
}

/// Where a login stands.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Done: a new session.
    Authenticated(NewSession),
    /// The password was right; a second factor is needed (`POST /session/totp` or
    /// `/session/recovery-code`).
    SecondFactorRequired {
        /// The login challenge.
        challenge: Token,
        /// What can answer it.
        methods: Vec<SecondFactorMethod>,
    },
    /// A new password is needed before the login completes (forced reset or setup link).
    PasswordChangeRequired {
        /// The login challenge.
        challenge: Token,
    },
    /// A second factor must be enrolled before the login completes.
    EnrollmentRequired {
        /// The login challenge.
        challenge: Token,
    },
    /// Wrong email or password, or throttled. The same answer whether or not the account
    /// exists; `retry_after` is how long before another attempt will be considered.
    Failed {
        /// Zero when the next attempt may come at once.
        retry_after: Duration,
    },
}

pub(crate) const STAGE_FACTOR: &str = "second_factor";
pub(crate) const STAGE_PASSWORD: &str = "password_change";
pub(crate) const STAGE_ENROLL: &str = "enrollment";

impl AuthService {
    /// Checks an email and password. See [`LoginOutcome`].
    pub async fn login(
        &self,
        email: &str,
        password: SecretString,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<LoginOutcome, AuthError> {
        let policy = &self.config.throttle;
        let mut keys = vec![(account_key(email), policy.free_account_failures)];
        if let Some(addr) = ctx.addr {
            keys.push((address_key(addr), policy.free_address_failures));
        }
        let wait = self.throttle_wait(&keys, now_us).await?;
        if !wait.is_zero() {
            let mut e = self.event(now_us, "auth.login", Outcome::Refused, None, Some(ctx));
            e.reason = Some("throttled".into());
            self.record(e.with("email", email.trim().to_lowercase()))?;
            return Ok(LoginOutcome::Failed { retry_after: wait });
        }

        let account = match normalize_email(email) {
            Ok(e) => self.store.account_by_email(&e).await?,
            Err(_) => None,
        };
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let phc = stored
            .clone()
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let params = self.config.hash;
        // Always one argon2 verification, known account or not: same work, same timing.
        let verification = self
            .pool
            .run(move || {
                verify_password(&params, password.expose().as_bytes(), &phc).map(|v| (v, password))
            })
            .await??;
        let (verification, password) = verification;

        let (account, stored) = match (account, stored) {
            (Some(a), Some(h)) if verification.matched => (a, h),
            (account, stored) => {
                let reason = match (&account, &stored) {
                    (None, _) => "unknown_account",
                    (Some(_), None) => "no_password_set",
                    _ => "wrong_password",
                };
                let mut retry_after = Duration::ZERO;
                for (key, free) in &keys {
                    let failures = self
                        .store
                        .record_login_failure(key, now_us, now_us - micros(policy.forget_after))
                        .await?;
                    retry_after = retry_after.max(policy.delay(failures, *free));
                }
                let mut e = self.event(
                    now_us,
                    "auth.login",
                    Outcome::Refused,
                    account.as_ref().map(|a| a.id),
                    Some(ctx),
                );
                e.reason = Some(reason.into());
                self.record(e.with("email", email.trim().to_lowercase()))?;
                return Ok(LoginOutcome::Failed { retry_after });
            }
        };

        self.store.clear_login_failures(&keys[0].0).await?;
        if verification.needs_rehash {
            let new_hash = self.hash(password).await?;
            self.store
                .rehash_password(account.id, &stored, &new_hash)
                .await?;
        }
        let mut e = self.event(
            now_us,
            "auth.password",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        e = e.with("rehashed", verification.needs_rehash);
        self.record(e)?;
        self.advance(&account, false, ctx, now_us).await
    }

    /// The longest wait any of the keys is under.
    async fn throttle_wait(
        &self,
        keys: &[(String, u32)],
        now_us: i64,
    ) -> Result<Duration, AuthError> {
        let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
        let rows = self.store.throttle_rows(&names).await?;
        let policy = &self.config.throttle;
        let mut wait = Duration::ZERO;
        for row in rows {
            let free = keys
                .iter()
                .find(|(k, _)| *k == row.key)
                .map(|(_, f)| *f)
                .unwrap_or(0);
            wait = wait.max(policy.remaining(row.failures, row.last_failure_at_us, free, now_us));
        }
        Ok(wait)
    }

    /// The next step of a login whose password (and, when `factor_done`, second factor) is
    /// settled.
    pub(crate) async fn advance(
        &self,
        account: &AccountRow,
        factor_done: bool,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<LoginOutcome, AuthError> {
        let has_totp = self.store.totp_factor(account.id, true).await?.is_some();
        let has_passkey = self.store.has_webauthn_credential(account.id).await?;
        if (has_totp || has_passkey) && !factor_done {
            let challenge = self
                .challenge(account, STAGE_FACTOR, false, ctx, now_us, None)
                .await?;
            return Ok(LoginOutcome::SecondFactorRequired {
                challenge,
                methods: self.factor_methods(account, has_totp, has_passkey).await?,
            });
        }
        if account.must_change_password || account.password_hash.is_none() {
            let challenge = self
                .challenge(account, STAGE_PASSWORD, true, ctx, now_us, None)
                .await?;
            return Ok(LoginOutcome::PasswordChangeRequired { challenge });
        }
        // An admin under the WebAuthn policy registers a passkey before the login completes,
        // whatever else they have (S7).
        if (!has_totp && !has_passkey && self.second_factor_required(account))
            || (!has_passkey && self.webauthn_required(account))
        {
            let challenge = self
                .challenge(account, STAGE_ENROLL, true, ctx, now_us, None)
                .await?;
            return Ok(LoginOutcome::EnrollmentRequired { challenge });
        }
        let session = self.create_session(account, ctx, now_us).await?;
        Ok(LoginOutcome::Authenticated(session))
    }

    pub(crate) async fn challenge(
        &self,
        account: &AccountRow,
        stage: &str,
        factor_done: bool,
        ctx: &RequestContext,
        now_us: i64,
        ttl: Option<Duration>,
    ) -> Result<Token, AuthError> {
        let token = Token::generate(TokenKind::Challenge);
        let row = ChallengeRow {
            user_id: account.id,
            stage: stage.into(),
            factor_done,
            attempts: 0,
            created_at_us: now_us,
            expires_at_us: now_us + micros(ttl.unwrap_or(self.config.challenge_ttl)),
            source_addr: ctx.addr.map(|a| a.to_string()),
        };
        self.store.insert_challenge(&row, &token.digest()).await?;
        Ok(token)
    }

    /// Finds a live challenge of `stage`; `InvalidChallenge` otherwise.
    pub(crate) async fn live_challenge(
        &self,
        challenge: &str,
        stages: &[&str],
        now_us: i64,
    ) -> Result<([u8; 32], ChallengeRow, AccountRow), AuthError> {
        let hash = digest(TokenKind::Challenge, challenge);
        let row = self
            .store
            .challenge(&hash)
            .await?
            .filter(|c| stages.contains(&c.stage.as_str()) && now_us < c.expires_at_us)
            .ok_or(AuthError::InvalidChallenge)?;
        let account = self
            .store
            .account(row.user_id)
            .await?
            .ok_or(AuthError::InvalidChallenge)?;
        Ok((hash, row, account))
    }

    /// Counts a wrong answer; past the limit the challenge is dropped (the password must be
    /// given again).
    pub(crate) async fn wrong_answer(
        &self,
        hash: &[u8; 32],
        account: &AccountRow,
        kind: &'static str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<AuthError, AuthError> {
        let attempts = self.store.bump_challenge_attempts(hash).await?;
        if attempts >= self.config.challenge_max_attempts {
            self.store.take_challenge(hash).await?;
        }
        let policy = &self.config.throttle;
        self.store
            .record_login_failure(
                &account_key(&account.email),
                now_us,
                now_us - micros(policy.forget_after),
            )
            .await?;
        let mut e = self.event(now_us, kind, Outcome::Refused, Some(account.id), Some(ctx));
        e.reason = Some("wrong_code".into());
        self.record(e.with("attempts", attempts))?;
        Ok(AuthError::InvalidCode)
    }

    /// Completes the password-change step of a login (forced reset, or a setup link).
    pub async fn complete_password_change(
        &self,
        challenge: &str,
        new_password: SecretString,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<LoginOutcome, AuthError> {
        let (hash, row, account) = self
            .live_challenge(challenge, &[STAGE_PASSWORD], now_us)
            .await?;
        check_password(new_password.expose(), &account.email).map_err(AuthError::WeakPassword)?;
        let new_password = match &account.password_hash {
            Some(old) => {
                let (params, old) = (self.config.hash, old.clone());
                let (same, pw) = self
                    .pool
                    .run(move || {
                        verify_password(&params, new_password.expose().as_bytes(), &old)
                            .map(|v| (v.matched, new_password))
                    })
                    .await??;
                if same {
                    return Err(AuthError::WeakPassword(PasswordRejection::Reused));
                }
                pw
            }
            None => new_password,
        };
        let new_hash = self.hash(new_password).await?;
        if !self.store.take_challenge(&hash).await? {
            return Err(AuthError::InvalidChallenge);
        }
        self.store
            .set_password_hash(account.id, &new_hash, now_us)
            .await?;
        // Whatever sessions an attacker may hold end with the old password.
        let revoked = self.store.delete_user_sessions(account.id, None).await?;
        let e = self.event(
            now_us,
            "auth.password.change",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        self.record(e.with("sessions_revoked", revoked))?;
        let account = self
            .store
            .account(account.id)
            .await?
            .ok_or(AuthError::NotFound("user"))?;
        self.advance(&account, row.factor_done, ctx, now_us).await
    }

    pub(crate) async fn create_session(
        &self,
        account: &AccountRow,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<NewSession, AuthError> {
        let token = Token::generate(TokenKind::Session);
        let session = SessionRow {
            id: SessionId::new(),
            user_id: account.id,
            created_at_us: now_us,
            last_seen_at_us: now_us,
            authenticated_at_us: now_us,
            expires_at_us: now_us + micros(self.config.session_absolute),
            source_addr: ctx.addr.map(|a| a.to_string()),
            user_agent: ctx.user_agent.clone(),
        };
        self.store.insert_session(&session, &token.digest()).await?;
        let mut e = self.event(
            now_us,
            "auth.login",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        e.session_id = Some(session.id.to_string());
        self.record(e)?;
        Ok(NewSession { token, session })
    }
}
