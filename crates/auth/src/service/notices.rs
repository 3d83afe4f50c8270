//! What the user is told by email, and the links in those messages (threats S3 and S4).
//!
//! - New device: the first time a user's password is accepted from a (user agent, address)
//!   pair, a message gives the time, address and user agent and a one-click lockdown link.
//! - Lockdown link: revokes every session, token and login in progress of the user, turns
//!   their trading off and forces a new password.
//! - Password reset by email: the link only sets a new password; signing in afterwards still
//!   goes through the second factor (a stolen mailbox is not a second factor).
//! - Email change: the old address is told, with a link that puts it back (once, expiring).
//! - Factor changes and new exchange keys: a notice.
//! - Open sign-up: the account is created only when the emailed link is followed.
//!
//! Every link is a 256-bit random token, stored only as its SHA-256 digest, looked up by
//! digest, compared in constant time, deleted when used and refused after its expiry.
//! Notices that follow an audit event (new device, factor changes) are sent from a spawned
//! task: the request that caused them never waits for the database work or the mail.

use std::sync::Arc;
use std::time::Duration;

use subtle::ConstantTimeEq;
use tradeward_audit::{AuditEvent, Outcome};
use tradeward_domain::UserId;
use tradeward_store::{EmailLinkRow, NewAccount, StoreError};
use tradeward_vault::SecretString;

use super::{normalize_email, AuthService, Principal, RequestContext, Role};
use crate::config::micros;
use crate::email::{messages, Email, Outbox};
use crate::error::{AuthError, PasswordRejection};
use crate::passwords::{check_password, verify_password};
use crate::tokens::{digest, Token, TokenKind};

const LOCKDOWN: &str = "lockdown";
const RESET: &str = "password_reset";
const REVERT: &str = "email_revert";
const SIGNUP: &str = "signup";

/// Sends the messages: the outbox, the public URL links start with, and how long each kind
/// of link lives.
#[derive(Debug, Clone)]
pub struct Mailer {
    /// The queue in front of the SMTP worker.
    pub outbox: Outbox,
    /// The URL users reach the server at (no trailing slash).
    pub public_url: String,
    /// Lockdown links in new-device messages (default 7 days).
    pub lockdown_ttl: Duration,
    /// Password-reset links (default 30 minutes).
    pub reset_ttl: Duration,
    /// Email-change revert links (default 7 days).
    pub revert_ttl: Duration,
    /// Sign-up confirmation links (default 24 hours).
    pub signup_ttl: Duration,
}

impl Mailer {
    /// A mailer with the default link lifetimes.
    pub fn new(outbox: Outbox, public_url: &str) -> Self {
        Self {
            outbox,
            public_url: public_url.trim_end_matches('/').to_owned(),
            lockdown_ttl: Duration::from_secs(7 * 24 * 3600),
            reset_ttl: Duration::from_secs(30 * 60),
            revert_ttl: Duration::from_secs(7 * 24 * 3600),
            signup_ttl: Duration::from_secs(24 * 3600),
        }
    }

    fn link(&self, page: &str, token: &Token) -> String {
        format!("{}/email/{page}?token={}", self.public_url, token.expose())
    }
}

/// What a lockdown link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLockdown {
    /// The user locked down.
    pub user_id: UserId,
    /// Sessions revoked.
    pub sessions_revoked: u64,
}

/// A notice to prepare and send in the background (database look-ups, a link, the outbox),
/// so the request that caused it does not wait.
pub(crate) struct NoticeJob {
    service: AuthService,
    user: UserId,
    /// `None`: a password accepted (new-device check); otherwise the factor change.
    what: Option<&'static str>,
    at_us: i64,
    addr: String,
    user_agent: String,
}

impl NoticeJob {
    /// Runs the notice on the current tokio runtime (none: nothing is sent).
    pub(crate) fn spawn(self) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            let s = &self.service;
            let done = match self.what {
                None => {
                    s.new_device_notice(self.user, &self.addr, &self.user_agent, self.at_us)
                        .await
                }
                Some(what) => s.factor_notice(self.user, what, self.at_us).await,
            };
            if let Err(e) = done {
                tracing::warn!(error = %e, "could not prepare a security notice");
            }
        });
    }
}

/// The SHA-256 that identifies a device: user agent and address, domain-separated.
fn device_hash(user_agent: &str, addr: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"tradeward-auth/device/v1\0");
    h.update(user_agent.as_bytes());
    h.update(b"\0");
    h.update(addr.as_bytes());
    h.finalize().into()
}

impl AuthService {
    /// Sends mail through `mailer` from now on (without one, nothing is sent and the
    /// email-link flows answer `email_not_configured`).
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mail = Some(Arc::new(mailer));
        self
    }

    /// The mailer, when email is configured.
    pub fn mailer(&self) -> Option<&Mailer> {
        self.mail.as_deref()
    }

    fn mail(&self) -> Result<&Mailer, AuthError> {
        self.mail.as_deref().ok_or(AuthError::EmailNotConfigured)
    }

    fn send(&self, email: Email) {
        if let Some(m) = &self.mail {
            m.outbox.enqueue(email);
        }
    }

    async fn issue_link(
        &self,
        user: Option<UserId>,
        purpose: &str,
        payload: Option<String>,
        ttl: Duration,
        now_us: i64,
    ) -> Result<Token, AuthError> {
        let token = Token::generate(TokenKind::EmailLink);
        self.store
            .insert_email_link(&EmailLinkRow {
                token_hash: token.digest().to_vec(),
                user_id: user,
                purpose: purpose.into(),
                payload,
                created_at_us: now_us,
                expires_at_us: now_us + micros(ttl),
            })
            .await?;
        Ok(token)
    }

    /// The live link of `purpose` for `token`, without using it up.
    async fn peek_link(
        &self,
        token: &str,
        purpose: &str,
        now_us: i64,
    ) -> Result<EmailLinkRow, AuthError> {
        if token.len() > 100 {
            return Err(AuthError::InvalidLink);
        }
        let hash = digest(TokenKind::EmailLink, token);
        let row = self
            .store
            .email_link(&hash)
            .await?
            .ok_or(AuthError::InvalidLink)?;
        // The row was found by its digest; the constant-time comparison keeps the check
        // independent of how the database matched it.
        let same: bool = row.token_hash.ct_eq(&hash[..]).into();
        if !same || row.purpose != purpose || now_us >= row.expires_at_us {
            return Err(AuthError::InvalidLink);
        }
        Ok(row)
    }

    /// Uses a link up: true for exactly one caller.
    async fn take_link(&self, row: &EmailLinkRow) -> Result<(), AuthError> {
        if self.store.take_email_link(&row.token_hash).await? {
            Ok(())
        } else {
            Err(AuthError::InvalidLink)
        }
    }

    fn link_event(
        &self,
        now_us: i64,
        kind: &'static str,
        outcome: Outcome,
        user: Option<UserId>,
        ctx: &RequestContext,
    ) -> AuditEvent {
        self.event(now_us, kind, outcome, user, Some(ctx))
    }

    /// For an audit event users are told about by email (a password accepted from a new
    /// device, a factor added or removed), the notice to start once the event is recorded.
    pub(crate) fn notice_for(&self, event: &AuditEvent) -> Option<NoticeJob> {
        if self.mail.is_none() || event.outcome != Outcome::Ok {
            return None;
        }
        let what = match event.kind {
            "auth.password" => None,
            "auth.totp.confirm" => Some("an authenticator app (TOTP) was added"),
            "auth.totp.disable" => Some("the authenticator app (TOTP) was removed"),
            "auth.recovery_code.regenerate" => Some("new recovery codes were issued"),
            "auth.webauthn.register" => Some("a passkey or security key was added"),
            "auth.webauthn.remove" => Some("a passkey or security key was removed"),
            _ => return None,
        };
        let user = event.user_id.as_deref()?.parse().ok()?;
        Some(NoticeJob {
            service: self.clone(),
            user,
            what,
            at_us: event.at_us,
            addr: event.source_addr.clone().unwrap_or_default(),
            user_agent: event
                .detail
                .get("user_agent")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
        })
    }

    async fn new_device_notice(
        &self,
        user: UserId,
        addr: &str,
        ua: &str,
        now_us: i64,
    ) -> Result<(), AuthError> {
        if !self
            .store
            .note_device(user, &device_hash(ua, addr), now_us)
            .await?
        {
            return Ok(());
        }
        let Some(account) = self.store.account(user).await? else {
            return Ok(());
        };
        let mail = self.mail()?;
        let token = self
            .issue_link(Some(user), LOCKDOWN, None, mail.lockdown_ttl, now_us)
            .await?;
        let link = mail.link("lockdown", &token);
        self.send(messages::new_device(
            &account.email,
            now_us,
            addr,
            ua,
            &link,
        ));
        Ok(())
    }

    async fn factor_notice(&self, user: UserId, what: &str, now_us: i64) -> Result<(), AuthError> {
        if let Some(account) = self.store.account(user).await? {
            self.send(messages::factor_changed(&account.email, now_us, what));
        }
        Ok(())
    }

    /// The lockdown link from a new-device message: every session, token and login in
    /// progress of the user is revoked, their trading is turned off and the next login needs
    /// a new password. Works once.
    pub async fn lockdown_with_link(
        &self,
        token: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<LinkLockdown, AuthError> {
        let row = match self.peek_link(token, LOCKDOWN, now_us).await {
            Ok(row) => row,
            Err(e) => {
                let mut ev =
                    self.link_event(now_us, "auth.lockdown_link", Outcome::Refused, None, ctx);
                ev.reason = Some("invalid_link".into());
                self.record(ev)?;
                return Err(e);
            }
        };
        let user = row.user_id.ok_or(AuthError::InvalidLink)?;
        self.take_link(&row).await?;
        self.store.set_user_trading(user, false).await?;
        let revoked = self
            .store
            .force_password_reset(user)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => AuthError::InvalidLink,
                other => AuthError::Store(other),
            })?;
        let ev = self
            .link_event(now_us, "auth.lockdown_link", Outcome::Ok, Some(user), ctx)
            .with("sessions_revoked", revoked)
            .with("trading_disabled", true)
            .with("password_reset_forced", true);
        self.record(ev)?;
        if let Some(account) = self.store.account(user).await? {
            self.send(messages::lockdown_done(&account.email, now_us));
        }
        Ok(LinkLockdown {
            user_id: user,
            sessions_revoked: revoked,
        })
    }

    /// Emails a password-reset link when the address has an account. The caller answers the
    /// same whether or not it does (no enumeration); the work done is the same too.
    pub async fn request_password_reset(
        &self,
        email: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        let mail = self.mail()?;
        let email = normalize_email(email)?;
        let account = self.store.account_by_email(&email).await?;
        let mut ev = self.link_event(
            now_us,
            "auth.password_reset.request",
            Outcome::Ok,
            account.as_ref().map(|a| a.id),
            ctx,
        );
        if let Some(account) = account {
            // One live reset link at a time: a new request supersedes the old ones.
            self.store.drop_email_links(account.id, RESET).await?;
            let token = self
                .issue_link(Some(account.id), RESET, None, mail.reset_ttl, now_us)
                .await?;
            let minutes = mail.reset_ttl.as_secs() / 60;
            self.send(messages::password_reset(
                &account.email,
                &mail.link("reset", &token),
                minutes,
            ));
        } else {
            ev.reason = Some("unknown_account".into());
        }
        self.record(ev)
    }

    /// Sets a new password from a reset link. Every session ends, and no session is made:
    /// the user signs in with the new password, which still asks for the second factor.
    pub async fn complete_password_reset(
        &self,
        token: &str,
        new_password: SecretString,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        let row = self.peek_link(token, RESET, now_us).await?;
        let user = row.user_id.ok_or(AuthError::InvalidLink)?;
        let account = self
            .store
            .account(user)
            .await?
            .ok_or(AuthError::InvalidLink)?;
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
        self.take_link(&row).await?;
        // Revoke first (sessions, tokens, logins in progress), then set the password, which
        // also clears any forced-change flag: the new password is the change.
        let revoked = self.store.force_password_reset(user).await?;
        self.store
            .set_password_hash(user, &new_hash, now_us)
            .await?;
        let ev = self
            .link_event(
                now_us,
                "auth.password_reset.complete",
                Outcome::Ok,
                Some(user),
                ctx,
            )
            .with("sessions_revoked", revoked);
        self.record(ev)?;
        self.send(messages::password_changed(&account.email, now_us));
        Ok(())
    }

    /// Changes the signed-in user's address (needs step-up; never from a personal token).
    /// The old address is told, with a link that puts it back; the new one is told too.
    pub async fn change_email(
        &self,
        principal: &Principal,
        new_email: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        let mail = self.mail()?;
        let (account, _) = self.session_account(principal).await?;
        self.require_step_up(principal, now_us)?;
        let new_email = normalize_email(new_email)?;
        if new_email == account.email {
            return Err(AuthError::InvalidInput {
                field: "email",
                reason: "is already the account's address",
            });
        }
        if !self
            .store
            .set_user_email(account.id, &new_email)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AuthError::EmailTaken,
                other => AuthError::Store(other),
            })?
        {
            return Err(AuthError::NotFound("user"));
        }
        let token = self
            .issue_link(
                Some(account.id),
                REVERT,
                Some(account.email.clone()),
                mail.revert_ttl,
                now_us,
            )
            .await?;
        let ev = self
            .link_event(
                now_us,
                "auth.email.change",
                Outcome::Ok,
                Some(account.id),
                ctx,
            )
            .with("old_email", account.email.clone())
            .with("new_email", new_email.clone());
        self.record(ev)?;
        let days = mail.revert_ttl.as_secs() / 86_400;
        self.send(messages::email_changed_old(
            &account.email,
            &new_email,
            now_us,
            &mail.link("revert-email", &token),
            days,
        ));
        self.send(messages::email_changed_new(&new_email, now_us));
        Ok(())
    }

    /// The revert link sent to the old address: the address is put back, every session and
    /// token ends and the next login needs a new password (whoever changed the address may
    /// hold the password). Works once.
    pub async fn revert_email_change(
        &self,
        token: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<UserId, AuthError> {
        let row = self.peek_link(token, REVERT, now_us).await?;
        let user = row.user_id.ok_or(AuthError::InvalidLink)?;
        let old = row.payload.clone().ok_or(AuthError::InvalidLink)?;
        self.take_link(&row).await?;
        if !self
            .store
            .set_user_email(user, &old)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AuthError::EmailTaken,
                other => AuthError::Store(other),
            })?
        {
            return Err(AuthError::InvalidLink);
        }
        // Later revert links of the same user would undo this one: they go too.
        self.store.drop_email_links(user, REVERT).await?;
        let revoked = self.store.force_password_reset(user).await?;
        let ev = self
            .link_event(now_us, "auth.email.revert", Outcome::Ok, Some(user), ctx)
            .with("sessions_revoked", revoked);
        self.record(ev)?;
        self.send(messages::email_reverted(&old, now_us));
        Ok(user)
    }

    /// Tells the user an exchange key was added to their account.
    pub async fn notify_key_added(
        &self,
        user: UserId,
        venue: &str,
        label: &str,
        now_us: i64,
    ) -> Result<(), AuthError> {
        if self.mail.is_none() {
            return Ok(());
        }
        if let Some(account) = self.store.account(user).await? {
            self.send(messages::key_added(&account.email, now_us, venue, label));
        }
        Ok(())
    }

    /// Open sign-up (off unless [`crate::AuthConfig::open_signup`]): checks the password and
    /// emails a confirmation link; the account exists only once the link is followed. An
    /// address that already has an account gets a notice instead, and the caller answers the
    /// same either way.
    pub async fn sign_up(
        &self,
        email: &str,
        password: SecretString,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<(), AuthError> {
        if !self.config.open_signup {
            return Err(AuthError::SignupDisabled);
        }
        let mail = self.mail()?;
        let email = normalize_email(email)?;
        check_password(password.expose(), &email).map_err(AuthError::WeakPassword)?;
        // Hash either way, so a taken address costs the same time as a free one.
        let hash = self.hash(password).await?;
        let existing = self.store.account_by_email(&email).await?;
        let mut ev = self.link_event(
            now_us,
            "auth.signup.request",
            Outcome::Ok,
            existing.as_ref().map(|a| a.id),
            ctx,
        );
        if existing.is_some() {
            ev.reason = Some("email_taken".into());
            self.send(messages::signup_exists(&email));
        } else {
            let payload = serde_json::json!({"email": email, "password_hash": hash}).to_string();
            let token = self
                .issue_link(None, SIGNUP, Some(payload), mail.signup_ttl, now_us)
                .await?;
            let hours = mail.signup_ttl.as_secs() / 3600;
            self.send(messages::signup_verify(
                &email,
                &mail.link("verify", &token),
                hours,
            ));
        }
        self.record(ev)
    }

    /// Follows a sign-up confirmation link: creates the account (role user). Works once.
    pub async fn verify_signup(
        &self,
        token: &str,
        ctx: &RequestContext,
        now_us: i64,
    ) -> Result<UserId, AuthError> {
        let row = self.peek_link(token, SIGNUP, now_us).await?;
        let payload: serde_json::Value = row
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .ok_or(AuthError::Internal("a sign-up link's payload is malformed"))?;
        let (Some(email), Some(hash)) =
            (payload["email"].as_str(), payload["password_hash"].as_str())
        else {
            return Err(AuthError::Internal("a sign-up link's payload is malformed"));
        };
        self.take_link(&row).await?;
        let user_id = self
            .store
            .create_account(&NewAccount {
                email: email.to_owned(),
                role: Role::User.as_str().into(),
                password_hash: Some(hash.to_owned()),
                created_at_us: now_us,
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AuthError::EmailTaken,
                other => AuthError::Store(other),
            })?;
        self.record(self.link_event(now_us, "auth.signup", Outcome::Ok, Some(user_id), ctx))?;
        Ok(user_id)
    }
}
