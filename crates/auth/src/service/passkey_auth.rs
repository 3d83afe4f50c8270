//! WebAuthn assertions: the second-factor step of a login and step-up re-authentication.
//!
//! Every assertion is checked by webauthn-rs (challenge, origin, relying party, signature,
//! user verification) and then against the database's current signature counter: a counter
//! that did not rise (a cloned authenticator, or an old assertion replayed) is refused, and the
//! new counter is stored by compare-and-set so two racing assertions cannot both pass.

use tradeward_audit::Outcome;
use tradeward_store::AccountRow;
use tradeward_vault::SecretString;
use webauthn_rs::prelude::PasskeyAuthentication;

use super::access::StepUpProof;
use super::login::{LoginOutcome, STAGE_FACTOR};
use super::passkeys::{challenge_key, session_key};
use super::{AuthService, Principal, RequestContext};
use crate::error::AuthError;
use crate::tokens::Token;
use crate::webauthn::{
    passkey_of, refusal, to_json, PublicKeyCredential, RequestChallengeResponse,
};

/// An assertion's verdict: `Err` carries the fixed text for the refusal.
pub(crate) type Verdict = Result<(), &'static str>;

impl AuthService {
    async fn start_assertion(
        &self,
        account: &AccountRow,
        key: &str,
        now_us: i64,
    ) -> Result<RequestChallengeResponse, AuthError> {
        let passkeys = self
            .store
            .webauthn_credentials(account.id)
            .await?
            .iter()
            .map(passkey_of)
            .collect::<Result<Vec<_>, _>>()?;
        if passkeys.is_empty() {
            return Err(AuthError::NotFound("WebAuthn credential"));
        }
        let (options, state) = self
            .rp
            .0
            .start_passkey_authentication(&passkeys)
            .map_err(|_| AuthError::Internal("cannot start a WebAuthn authentication"))?;
        self.put_ceremony(key, account, &state, now_us).await?;
        Ok(options)
    }

    fn refuse(
        &self,
        account: &AccountRow,
        reason: &'static str,
        text: &'static str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Verdict, AuthError> {
        let mut e = self.event(
            now_us,
            "auth.webauthn",
            Outcome::Refused,
            Some(account.id),
            Some(ctx),
        );
        e.reason = Some(reason.into());
        self.record(e)?;
        Ok(Err(text))
    }

    /// Verifies an assertion against the ceremony under `key` (taken: one answer per
    /// challenge) and the stored counter. Store and audit failures are the outer error.
    pub(crate) async fn verify_assertion(
        &self,
        account: &AccountRow,
        key: &str,
        response: &PublicKeyCredential,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Verdict, AuthError> {
        let state: PasskeyAuthentication = match self.take_ceremony(key, account, now_us).await {
            Ok(s) => s,
            Err(AuthError::InvalidChallenge) => {
                return self.refuse(
                    account,
                    "no_ceremony",
                    "there is no WebAuthn challenge to answer (used or expired); begin again",
                    ctx,
                    now_us,
                )
            }
            Err(e) => return Err(e),
        };
        let result = match self.rp.0.finish_passkey_authentication(response, &state) {
            Ok(r) => r,
            Err(e) => {
                let (reason, text) = refusal(&e);
                return self.refuse(account, reason, text, ctx, now_us);
            }
        };
        let rows = self.store.webauthn_credentials(account.id).await?;
        let cred_id: &[u8] = result.cred_id().as_ref();
        let Some(row) = rows.iter().find(|r| r.credential_id == cred_id) else {
            // Removed between begin and finish.
            return self.refuse(
                account,
                "unknown_credential",
                "this authenticator is not registered",
                ctx,
                now_us,
            );
        };
        let counter = i64::from(result.counter());
        // Authenticators without a counter always send 0; once one has counted, every
        // assertion must count higher than the last one accepted (WebAuthn §7.2 step 21).
        if (counter > 0 || row.sign_count > 0) && counter <= row.sign_count {
            return self.refuse(
                account,
                "counter_not_increased",
                "its signature counter did not rise (a cloned or replayed authenticator)",
                ctx,
                now_us,
            );
        }
        let mut passkey = passkey_of(row)?;
        passkey.update_credential(&result);
        if !self
            .store
            .record_webauthn_use(
                &row.id,
                row.sign_count,
                counter,
                &to_json(&passkey)?,
                now_us,
            )
            .await?
        {
            return self.refuse(
                account,
                "counter_race",
                "another assertion with this counter was accepted first",
                ctx,
                now_us,
            );
        }
        let e = self.event(
            now_us,
            "auth.webauthn",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        self.record(
            e.with("credential", row.id.clone())
                .with("counter", counter)
                .with("user_verified", result.user_verified()),
        )?;
        Ok(Ok(()))
    }

    /// `POST /session/webauthn/begin`: the options for `navigator.credentials.get` that
    /// answer a login's second-factor step.
    pub async fn begin_webauthn_login(
        &self,
        challenge: &str,
        now_us: i64,
    ) -> Result<RequestChallengeResponse, AuthError> {
        let (_, _, account) = self
            .live_challenge(challenge, &[STAGE_FACTOR], now_us)
            .await?;
        self.start_assertion(&account, &challenge_key("login", challenge), now_us)
            .await
    }

    /// `POST /session/webauthn/finish`: completes a login's second-factor step with an
    /// assertion. A refused assertion counts as a wrong answer on the challenge.
    pub async fn complete_webauthn(
        &self,
        challenge: &str,
        response: &PublicKeyCredential,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<LoginOutcome, AuthError> {
        let (hash, _, account) = self
            .live_challenge(challenge, &[STAGE_FACTOR], now_us)
            .await?;
        let key = challenge_key("login", challenge);
        if let Err(text) = self
            .verify_assertion(&account, &key, response, ctx, now_us)
            .await?
        {
            self.wrong_answer(&hash, &account, "auth.webauthn", ctx, now_us)
                .await?;
            return Err(AuthError::InvalidWebauthn(text));
        }
        if !self.store.take_challenge(&hash).await? {
            return Err(AuthError::InvalidChallenge);
        }
        self.advance(&account, true, ctx, now_us).await
    }

    /// `POST /me/step-up/webauthn/begin`: the options for a step-up assertion.
    pub async fn begin_webauthn_step_up(
        &self,
        principal: &Principal,
        now_us: i64,
    ) -> Result<RequestChallengeResponse, AuthError> {
        let (account, session) = self.session_account(principal).await?;
        self.start_assertion(&account, &session_key("step_up", session.id), now_us)
            .await
    }

    /// Step-up with the password and a WebAuthn assertion (the only step-up an account
    /// whose second factor is a passkey, or an admin under the WebAuthn policy, can make).
    pub async fn step_up_webauthn(
        &self,
        principal: &Principal,
        password: SecretString,
        response: &PublicKeyCredential,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Token, AuthError> {
        self.step_up_with(
            principal,
            password,
            StepUpProof::Webauthn(response),
            ctx,
            now_us,
        )
        .await
    }

    /// Whether a step-up must use WebAuthn rather than a TOTP code: always for an admin
    /// under the WebAuthn policy (one without a passkey cannot step up at all, so a session
    /// from before the policy cannot reach admin actions), and for an account whose only
    /// second factor is a passkey.
    pub(crate) async fn step_up_needs_passkey(
        &self,
        account: &AccountRow,
        has_totp: bool,
    ) -> Result<bool, AuthError> {
        Ok(self.webauthn_required(account)
            || (!has_totp && self.store.has_webauthn_credential(account.id).await?))
    }

    pub(crate) async fn step_up_assertion(
        &self,
        account: &AccountRow,
        session: tradeward_domain::SessionId,
        response: &PublicKeyCredential,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<Verdict, AuthError> {
        self.verify_assertion(
            account,
            &session_key("step_up", session),
            response,
            ctx,
            now_us,
        )
        .await
    }
}
