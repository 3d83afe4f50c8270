//! Second factors: completing a login with TOTP or a recovery code, TOTP enrolment (from a
//! session or from a login that must enrol), and removal. (WebAuthn: `passkeys.rs`,
//! `passkey_auth.rs`.)
//!
//! TOTP seeds are sealed by the vault (venue `totp`, field `totp_seed`, record = factor id,
//! owner = user id), like exchange secrets: a database dump yields none (S1).

use tradeward_audit::Outcome;
use tradeward_domain::UserId;
use tradeward_store::{AccountRow, SealedRow, TotpFactorRow};
use tradeward_vault::{SealContext, SealedSecret, SecretBytes, SecretString};

use super::login::{LoginOutcome, STAGE_ENROLL, STAGE_FACTOR};
use super::{AuthService, Principal, RequestContext, Via};
use crate::error::AuthError;
use crate::recovery;
use crate::sessions::requires_recent_auth;
use crate::totp;

const VENUE: &str = "totp";
const FIELD: &str = "totp_seed";

/// What the user needs to add the account to an authenticator app. Shown once.
#[derive(Debug)]
pub struct TotpEnrollment {
    /// The seed in base32, for manual entry.
    pub secret: SecretString,
    /// The `otpauth://` URI, for a QR code.
    pub otpauth_uri: SecretString,
}

fn seal_context(user: UserId, factor_id: &str) -> SealContext {
    SealContext::new(&user.to_string(), factor_id, VENUE, FIELD)
}

impl AuthService {
    async fn open_seed(&self, factor: &TotpFactorRow) -> Result<SecretBytes, AuthError> {
        let row = self
            .store
            .sealed_secrets(&factor.id)
            .await?
            .into_iter()
            .find(|r| r.field == FIELD)
            .ok_or(AuthError::Internal("TOTP factor without its sealed seed"))?;
        let sealed = SealedSecret {
            ciphertext: row.ciphertext,
            nonce: row.nonce,
            wrapped_dek: row.wrapped_dek,
            kek_version: u32::try_from(row.kek_version)
                .map_err(|_| AuthError::Internal("sealed seed has a bad KEK version"))?,
        };
        Ok(self
            .vault
            .open(&seal_context(factor.user_id, &factor.id), &sealed)?)
    }

    /// Completes a login's second-factor step with a TOTP code.
    pub async fn complete_totp(
        &self,
        challenge: &str,
        code: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<LoginOutcome, AuthError> {
        let (hash, _, account) = self
            .live_challenge(challenge, &[STAGE_FACTOR], now_us)
            .await?;
        self.ensure_codes_accepted(&account).await?;
        if !self.check_totp(&account, code, now_us).await? {
            return Err(self
                .wrong_answer(&hash, &account, "auth.totp", ctx, now_us)
                .await?);
        }
        if !self.store.take_challenge(&hash).await? {
            return Err(AuthError::InvalidChallenge);
        }
        self.record(self.event(
            now_us,
            "auth.totp",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        ))?;
        self.advance(&account, true, ctx, now_us).await
    }

    /// Verifies a TOTP code of the user's confirmed factor and burns its time step.
    pub(crate) async fn check_totp(
        &self,
        account: &AccountRow,
        code: &str,
        now_us: i64,
    ) -> Result<bool, AuthError> {
        let Some(factor) = self.store.totp_factor(account.id, true).await? else {
            return Ok(false);
        };
        let seed = self.open_seed(&factor).await?;
        let Some(step) = totp::verify(
            seed.expose(),
            code,
            now_us / 1_000_000,
            factor.last_used_step,
        ) else {
            return Ok(false);
        };
        // The conditional update is what makes the step single-use across racing requests.
        Ok(self.store.advance_totp_step(&factor.id, step).await?)
    }

    /// Completes a login's second-factor step with a recovery code (used up).
    pub async fn complete_recovery(
        &self,
        challenge: &str,
        code: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<LoginOutcome, AuthError> {
        let (hash, _, account) = self
            .live_challenge(challenge, &[STAGE_FACTOR], now_us)
            .await?;
        self.ensure_codes_accepted(&account).await?;
        let used = match recovery::digest(code) {
            Some(d) => {
                self.store
                    .consume_recovery_code(account.id, &d, now_us)
                    .await?
            }
            None => false,
        };
        if !used {
            return Err(self
                .wrong_answer(&hash, &account, "auth.recovery_code", ctx, now_us)
                .await?);
        }
        if !self.store.take_challenge(&hash).await? {
            return Err(AuthError::InvalidChallenge);
        }
        let left = self.store.unused_recovery_codes(account.id).await?;
        let e = self.event(
            now_us,
            "auth.recovery_code",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        self.record(e.with("codes_left", left))?;
        self.advance(&account, true, ctx, now_us).await
    }

    async fn start_enrollment(
        &self,
        account: &AccountRow,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<TotpEnrollment, AuthError> {
        let seed = totp::generate_seed();
        let factor = TotpFactorRow {
            id: uuid_like(),
            user_id: account.id,
            confirmed: false,
            last_used_step: -1,
            created_at_us: now_us,
        };
        let sealed = self
            .vault
            .seal(&seal_context(account.id, &factor.id), seed.expose())?;
        let row = SealedRow {
            record_id: factor.id.clone(),
            field: FIELD.into(),
            owner_id: account.id.to_string(),
            venue: VENUE.into(),
            ciphertext: sealed.ciphertext,
            nonce: sealed.nonce,
            wrapped_dek: sealed.wrapped_dek,
            kek_version: i64::from(sealed.kek_version),
        };
        self.store.insert_pending_totp(&factor, &row).await?;
        self.record(self.event(
            now_us,
            "auth.totp.enroll",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        ))?;
        Ok(TotpEnrollment {
            secret: totp::seed_base32(seed.expose()),
            otpauth_uri: totp::otpauth_uri(&self.config.totp_issuer, &account.email, seed.expose()),
        })
    }

    async fn confirm_enrollment(
        &self,
        account: &AccountRow,
        code: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Option<Vec<SecretString>>, AuthError> {
        let factor = self
            .store
            .totp_factor(account.id, false)
            .await?
            .ok_or(AuthError::NotFound("TOTP enrolment"))?;
        let seed = self.open_seed(&factor).await?;
        let Some(step) = totp::verify(seed.expose(), code, now_us / 1_000_000, -1) else {
            let mut e = self.event(
                now_us,
                "auth.totp.confirm",
                Outcome::Refused,
                Some(account.id),
                Some(ctx),
            );
            e.reason = Some("wrong_code".into());
            self.record(e)?;
            return Ok(None);
        };
        let issued = recovery::issue();
        if !self
            .store
            .confirm_totp(account.id, &factor.id, step, &issued.digests, now_us)
            .await?
        {
            return Err(AuthError::NotFound("TOTP enrolment"));
        }
        self.record(self.event(
            now_us,
            "auth.totp.confirm",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        ))?;
        Ok(Some(issued.codes))
    }

    /// `POST /me/totp` from a session: a new seed, pending until confirmed. Replacing an
    /// existing factor needs a recent full authentication.
    pub async fn begin_totp_enrollment(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<TotpEnrollment, AuthError> {
        let (account, _) = self.session_account(principal).await?;
        if self.store.totp_factor(account.id, true).await?.is_some() {
            self.require_step_up(principal, now_us)?;
        }
        self.start_enrollment(&account, ctx, now_us).await
    }

    /// `POST /me/totp/confirm` from a session: returns the ten recovery codes, shown once.
    pub async fn confirm_totp_enrollment(
        &self,
        principal: &Principal,
        code: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Vec<SecretString>, AuthError> {
        let (account, _) = self.session_account(principal).await?;
        self.confirm_enrollment(&account, code, ctx, now_us)
            .await?
            .ok_or(AuthError::InvalidCode)
    }

    /// `POST /me/totp` during a login that must enrol (challenge instead of a session).
    pub async fn begin_totp_enrollment_for_login(
        &self,
        challenge: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<TotpEnrollment, AuthError> {
        let (_, _, account) = self
            .live_challenge(challenge, &[STAGE_ENROLL], now_us)
            .await?;
        self.start_enrollment(&account, ctx, now_us).await
    }

    /// `POST /me/totp/confirm` during a login that must enrol: the recovery codes, and the
    /// login's next step (normally a session).
    pub async fn confirm_totp_enrollment_for_login(
        &self,
        challenge: &str,
        code: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(Vec<SecretString>, LoginOutcome), AuthError> {
        let (hash, _, account) = self
            .live_challenge(challenge, &[STAGE_ENROLL], now_us)
            .await?;
        let Some(codes) = self.confirm_enrollment(&account, code, ctx, now_us).await? else {
            return Err(self
                .wrong_answer(&hash, &account, "auth.totp.confirm", ctx, now_us)
                .await?);
        };
        if !self.store.take_challenge(&hash).await? {
            return Err(AuthError::InvalidChallenge);
        }
        let outcome = self.advance(&account, true, ctx, now_us).await?;
        Ok((codes, outcome))
    }

    /// Removes the user's TOTP factor and recovery codes (needs step-up, S4). Refused when
    /// policy requires a second factor for this user.
    pub async fn disable_totp(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        let (account, _) = self.session_account(principal).await?;
        self.require_step_up(principal, now_us)?;
        if self.second_factor_required(&account)
            && !self.store.has_webauthn_credential(account.id).await?
        {
            return Err(AuthError::Forbidden);
        }
        let had = self.store.delete_totp(account.id).await?;
        let e = self.event(
            now_us,
            "auth.totp.disable",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        self.record(e.with("had_factor", had))?;
        Ok(())
    }

    /// Issues ten new recovery codes, invalidating the old ones (needs step-up).
    pub async fn regenerate_recovery_codes(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Vec<SecretString>, AuthError> {
        let (account, _) = self.session_account(principal).await?;
        self.require_step_up(principal, now_us)?;
        if !self.has_second_factor(account.id).await? {
            return Err(AuthError::NotFound("second factor"));
        }
        let issued = recovery::issue();
        self.store
            .replace_recovery_codes(account.id, &issued.digests, now_us)
            .await?;
        self.record(self.event(
            now_us,
            "auth.recovery_code.regenerate",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        ))?;
        Ok(issued.codes)
    }

    /// Whether the user has a confirmed second factor (trading and adding API keys need one).
    pub async fn has_second_factor(&self, user: UserId) -> Result<bool, AuthError> {
        Ok(self.store.totp_factor(user, true).await?.is_some()
            || self.store.has_webauthn_credential(user).await?)
    }

    pub(crate) fn require_step_up(
        &self,
        principal: &Principal,
        now_us: i64,
    ) -> Result<(), AuthError> {
        match &principal.via {
            Via::Session(s) => requires_recent_auth(s, now_us, self.config.step_up_window),
            // A personal token never counts as a fresh authentication.
            Via::ApiToken { .. } => Err(AuthError::StepUpRequired),
        }
    }
}

fn uuid_like() -> String {
    tradeward_domain::SessionId::new().to_string()
}
