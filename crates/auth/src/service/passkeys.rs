//! WebAuthn credentials: registration (from a session, or during a login that must enrol),
//! listing, removal, and the policy questions the login flow asks (which factors may answer,
//! whether codes are accepted).
//!
//! Adding a credential to an account that already has a second factor, and removing one,
//! need a recent full authentication (S4/S5: a stolen cookie must not be able to plant the
//! attacker's own key or strip the user's). A removal that would leave an account below its
//! policy (an admin under the WebAuthn policy, or a user who must have a second factor) is
//! refused.

use tradeward_audit::Outcome;
use tradeward_domain::SessionId;
use tradeward_store::{AccountRow, StoreError, WebauthnCredentialRow};
use tradeward_vault::SecretString;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::login::{LoginOutcome, SecondFactorMethod, STAGE_ENROLL};
use super::{AuthService, Principal, RequestContext};
use crate::config::micros;
use crate::error::AuthError;
use crate::recovery;
use crate::tokens::{digest, TokenKind};
use crate::webauthn::{
    from_json, passkey_of, refusal, to_json, user_handle, CreationChallengeResponse, CEREMONY_TTL,
};

/// A credential just registered.
#[derive(Debug)]
pub struct PasskeyRegistered {
    /// The stored row (public data only).
    pub credential: WebauthnCredentialRow,
    /// Ten single-use recovery codes, shown once: issued when this made the account's first
    /// second factor (an account with TOTP already has its codes).
    pub recovery_codes: Option<Vec<SecretString>>,
}

/// Longest credential name, in characters.
const MAX_NAME_CHARS: usize = 64;

pub(crate) fn session_key(purpose: &str, session: SessionId) -> String {
    format!("{purpose}:session:{session}")
}

pub(crate) fn challenge_key(purpose: &str, challenge: &str) -> String {
    format!(
        "{purpose}:challenge:{}",
        hex_of(&digest(TokenKind::Challenge, challenge))
    )
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AuthError::InvalidInput {
            field: "name",
            reason: "must be 1 to 64 characters",
        });
    }
    if name.chars().any(char::is_control) {
        return Err(AuthError::InvalidInput {
            field: "name",
            reason: "must not contain control characters",
        });
    }
    Ok(name.to_owned())
}

impl AuthService {
    /// The second factors that may answer a login of this account.
    pub(crate) async fn factor_methods(
        &self,
        account: &AccountRow,
        has_totp: bool,
        has_passkey: bool,
    ) -> Result<Vec<SecondFactorMethod>, AuthError> {
        let mut methods = Vec::new();
        // Under the admin policy a passkey, once registered, is the only way in: codes can be
        // phished, and the point of the policy is that an admin's login cannot be.
        let codes = !(has_passkey && self.webauthn_required(account));
        if codes && has_totp {
            methods.push(SecondFactorMethod::Totp);
        }
        if codes && (has_totp || self.store.unused_recovery_codes(account.id).await? > 0) {
            methods.push(SecondFactorMethod::RecoveryCode);
        }
        if has_passkey {
            methods.push(SecondFactorMethod::Webauthn);
        }
        Ok(methods)
    }

    /// Refuses TOTP and recovery codes where [`AuthService::factor_methods`] does not offer
    /// them.
    pub(crate) async fn ensure_codes_accepted(
        &self,
        account: &AccountRow,
    ) -> Result<(), AuthError> {
        if self.webauthn_required(account) && self.store.has_webauthn_credential(account.id).await?
        {
            return Err(AuthError::WebauthnRequired);
        }
        Ok(())
    }

    /// Stores a ceremony's state under `key` for [`CEREMONY_TTL`].
    pub(crate) async fn put_ceremony<T: serde::Serialize>(
        &self,
        key: &str,
        account: &AccountRow,
        state: &T,
        now_us: i64,
    ) -> Result<(), AuthError> {
        self.store
            .put_webauthn_ceremony(
                key,
                account.id,
                &to_json(state)?,
                now_us,
                now_us + micros(CEREMONY_TTL),
            )
            .await?;
        Ok(())
    }

    /// Takes the ceremony under `key`: `InvalidChallenge` when there is none, it expired, or
    /// it is another user's.
    pub(crate) async fn take_ceremony<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        account: &AccountRow,
        now_us: i64,
    ) -> Result<T, AuthError> {
        let row = self
            .store
            .take_webauthn_ceremony(key)
            .await?
            .filter(|c| c.user_id == account.id && now_us < c.expires_at_us)
            .ok_or(AuthError::InvalidChallenge)?;
        from_json(&row.state)
    }

    async fn start_registration(
        &self,
        account: &AccountRow,
        key: &str,
        now_us: i64,
    ) -> Result<CreationChallengeResponse, AuthError> {
        let existing = self
            .store
            .webauthn_credentials(account.id)
            .await?
            .iter()
            .map(|row| passkey_of(row).map(|p| p.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let (options, state) = self
            .rp
            .0
            .start_passkey_registration(
                user_handle(account.id)?,
                &account.email,
                &account.email,
                // The authenticator refuses to make a second credential for this account.
                Some(existing),
            )
            .map_err(|_| AuthError::Internal("cannot start a WebAuthn registration"))?;
        self.put_ceremony(key, account, &state, now_us).await?;
        Ok(options)
    }

    async fn complete_registration(
        &self,
        account: &AccountRow,
        key: &str,
        name: &str,
        response: &RegisterPublicKeyCredential,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<PasskeyRegistered, AuthError> {
        let name = check_name(name)?;
        let state: PasskeyRegistration = self.take_ceremony(key, account, now_us).await?;
        let passkey = match self.rp.0.finish_passkey_registration(response, &state) {
            Ok(p) => p,
            Err(e) => {
                let (reason, text) = refusal(&e);
                let mut ev = self.event(
                    now_us,
                    "auth.webauthn.register",
                    Outcome::Refused,
                    Some(account.id),
                    Some(ctx),
                );
                ev.reason = Some(reason.into());
                self.record(ev)?;
                return Err(AuthError::InvalidWebauthn(text));
            }
        };
        let row = WebauthnCredentialRow {
            id: SessionId::new().to_string(),
            user_id: account.id,
            credential_id: AsRef::<[u8]>::as_ref(passkey.cred_id()).to_vec(),
            name,
            passkey: to_json(&passkey)?,
            sign_count: 0,
            created_at_us: now_us,
            last_used_at_us: None,
        };
        self.store
            .insert_webauthn_credential(&row)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    AuthError::InvalidWebauthn("this authenticator is already registered")
                }
                other => AuthError::Store(other),
            })?;
        // A first factor comes with recovery codes, as TOTP does: a lost authenticator must
        // not mean a lost account.
        let has_totp = self.store.totp_factor(account.id, true).await?.is_some();
        let recovery_codes =
            if !has_totp && self.store.unused_recovery_codes(account.id).await? == 0 {
                let issued = recovery::issue();
                self.store
                    .replace_recovery_codes(account.id, &issued.digests, now_us)
                    .await?;
                Some(issued.codes)
            } else {
                None
            };
        let e = self.event(
            now_us,
            "auth.webauthn.register",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        self.record(
            e.with("credential", row.id.clone())
                .with("name", row.name.clone())
                .with("recovery_codes_issued", recovery_codes.is_some()),
        )?;
        Ok(PasskeyRegistered {
            credential: row,
            recovery_codes,
        })
    }

    /// `POST /me/webauthn/register/begin` from a session: the options for
    /// `navigator.credentials.create`. When the account already has a second factor this
    /// needs a recent full authentication.
    pub async fn begin_webauthn_registration(
        &self,
        principal: &Principal,
        now_us: i64,
    ) -> Result<CreationChallengeResponse, AuthError> {
        let (account, session) = self.session_account(principal).await?;
        if self.has_second_factor(account.id).await? {
            self.require_step_up(principal, now_us)?;
        }
        self.start_registration(&account, &session_key("register", session.id), now_us)
            .await
    }

    /// `POST /me/webauthn/register/finish` from a session: verifies the authenticator's
    /// response and stores the credential as `name`.
    pub async fn finish_webauthn_registration(
        &self,
        principal: &Principal,
        name: &str,
        response: &RegisterPublicKeyCredential,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<PasskeyRegistered, AuthError> {
        let (account, session) = self.session_account(principal).await?;
        let key = session_key("register", session.id);
        self.complete_registration(&account, &key, name, response, ctx, now_us)
            .await
    }

    /// Registration begun during a login that answered `second_factor_enrollment_required`.
    pub async fn begin_webauthn_registration_for_login(
        &self,
        challenge: &str,
        now_us: i64,
    ) -> Result<CreationChallengeResponse, AuthError> {
        let (_, _, account) = self
            .live_challenge(challenge, &[STAGE_ENROLL], now_us)
            .await?;
        self.start_registration(&account, &challenge_key("register", challenge), now_us)
            .await
    }

    /// Registration finished during a login that must enrol: the credential, and the login's
    /// next step (normally a session).
    pub async fn finish_webauthn_registration_for_login(
        &self,
        challenge: &str,
        name: &str,
        response: &RegisterPublicKeyCredential,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(PasskeyRegistered, LoginOutcome), AuthError> {
        let (hash, _, account) = self
            .live_challenge(challenge, &[STAGE_ENROLL], now_us)
            .await?;
        let key = challenge_key("register", challenge);
        let registered = self
            .complete_registration(&account, &key, name, response, ctx, now_us)
            .await?;
        if !self.store.take_challenge(&hash).await? {
            return Err(AuthError::InvalidChallenge);
        }
        let outcome = self.advance(&account, true, ctx, now_us).await?;
        Ok((registered, outcome))
    }

    /// `GET /me/webauthn`: the caller's credentials (public data only).
    pub async fn list_webauthn_credentials(
        &self,
        principal: &Principal,
    ) -> Result<Vec<WebauthnCredentialRow>, AuthError> {
        Ok(self.store.webauthn_credentials(principal.user_id).await?)
    }

    /// `DELETE /me/webauthn/{id}`: removes one of the caller's credentials. Needs step-up;
    /// refused when it would leave the account below its policy.
    pub async fn remove_webauthn_credential(
        &self,
        principal: &Principal,
        id: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        let (account, _) = self.session_account(principal).await?;
        self.require_step_up(principal, now_us)?;
        let creds = self.store.webauthn_credentials(account.id).await?;
        if !creds.iter().any(|c| c.id == id) {
            return Err(AuthError::NotFound("WebAuthn credential"));
        }
        let last_passkey = creds.len() == 1;
        let has_totp = self.store.totp_factor(account.id, true).await?.is_some();
        if last_passkey
            && (self.webauthn_required(&account)
                || (!has_totp && self.second_factor_required(&account)))
        {
            return Err(AuthError::Forbidden);
        }
        if !self
            .store
            .delete_webauthn_credential(account.id, id)
            .await?
        {
            return Err(AuthError::NotFound("WebAuthn credential"));
        }
        if last_passkey && !has_totp {
            // No factor left: its recovery codes go with it (as when TOTP is disabled).
            self.store
                .replace_recovery_codes(account.id, &[], now_us)
                .await?;
        }
        let mut e = self.event(
            now_us,
            "auth.webauthn.remove",
            Outcome::Ok,
            Some(account.id),
            Some(ctx),
        );
        e.session_id = Some(principal.session_id().to_string());
        self.record(e.with("credential", id.to_owned()))
    }
}
