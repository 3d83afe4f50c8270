//! The in-process signer: credential intake, policy, per-use decryption, signing, audit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use rust_decimal::Decimal;
use tradeward_audit::{AuditEvent, AuditSink, Outcome};
use tradeward_domain::{CredentialId, UserId, Venue};
use tradeward_store::{CredentialRow, DailyNotionalOutcome, NewCredential, SealedRow, Store};
use tradeward_vault::{SealContext, SealedSecret, SecretBytes, Vault};

use crate::clock::{now_us, utc_day};
use crate::containment::{self, Containment, ContainmentPolicy};
use crate::context::CallContext;
use crate::endpoints::{classify, trade_intent, EndpointClass, TradeIntent};
use crate::error::SignerError;
use crate::limits::CredentialLimits;
use crate::refusal::Refusal;
use crate::schemes::{self, HttpMethod, Scheme, SignedParts, SigningTime, UnsignedRequest};
use crate::switches::TradingSwitches;

/// The last trade price the signer may use to value a market order given by base quantity.
/// Fed by the engine's market data; a compromised web tier cannot set it.
pub trait ReferencePrices: Send + Sync + std::fmt::Debug {
    /// The latest price of `symbol` (venue spelling) on `venue`, if known.
    fn last_price(&self, venue: Venue, symbol: &str) -> Option<Decimal>;
}

/// A credential to store. The secrets arrive in zeroizing types and are sealed at once.
#[derive(Debug)]
pub struct CredentialInput {
    /// The owning user.
    pub owner: UserId,
    /// The venue.
    pub venue: Venue,
    /// The user's label.
    pub label: String,
    /// Signing scheme; `None` picks the venue's default ([`Scheme::default_for`]).
    pub scheme: Option<Scheme>,
    /// The exchange API key (sensitive: sealed like the secret, only shown masked).
    pub api_key: SecretBytes,
    /// The exchange API secret or private key.
    pub secret: SecretBytes,
    /// The passphrase some venues add (Coinbase Exchange, OKX).
    pub passphrase: Option<SecretBytes>,
    /// Trading limits enforced before every signature.
    pub limits: CredentialLimits,
    /// What the venue reported about the key's permissions (JSON text, may be `{}`).
    pub permissions: String,
}

/// What storing a credential returns: public facts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The new credential's id.
    pub id: CredentialId,
    /// The API key, masked.
    pub api_key_masked: String,
}

/// One credential as the signer keeps it in memory: metadata and sealed (never plain) secrets.
#[derive(Debug)]
struct Cached {
    row: CredentialRow,
    venue: Venue,
    scheme: Scheme,
    limits: CredentialLimits,
    api_key: SealedSecret,
    secret: SealedSecret,
    passphrase: Option<SealedSecret>,
    /// The seal contexts, built once: they are fixed per credential and field.
    api_key_ctx: SealContext,
    secret_ctx: SealContext,
    passphrase_ctx: SealContext,
}

/// How many distinct (venue, method, path) classifications are remembered.
const MAX_MEMOIZED_PATHS: usize = 4096;

const FIELD_API_KEY: &str = "api_key";
const FIELD_SECRET: &str = "secret";
const FIELD_PASSPHRASE: &str = "passphrase";

/// The signer. Cheap to clone; all clones share state.
#[derive(Debug, Clone)]
pub struct Signer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    vault: Vault,
    audit: Arc<dyn AuditSink>,
    prices: OnceLock<Arc<dyn ReferencePrices>>,
    cache: RwLock<HashMap<CredentialId, Arc<Cached>>>,
    classes: RwLock<HashMap<(Venue, HttpMethod, String), EndpointClass>>,
    switches: TradingSwitches,
    paused: AtomicBool,
    last_nonce: AtomicU64,
    containment: Containment,
}

/// Masks an API key for display: the first and last four characters of a long key.
pub fn mask_api_key(key: &[u8]) -> String {
    let text = String::from_utf8_lossy(key);
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 12 {
        return "****".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

fn seal_context(owner: &str, record: &str, venue: &str, field: &str) -> SealContext {
    SealContext {
        owner: owner.to_owned(),
        record_id: record.to_owned(),
        venue: venue.to_owned(),
        field: field.to_owned(),
    }
}

fn sealed_from_row(row: &SealedRow) -> Result<SealedSecret, SignerError> {
    let kek_version = u32::try_from(row.kek_version).map_err(|_| {
        SignerError::InvalidCredential(format!(
            "stored KEK version {} is out of range",
            row.kek_version
        ))
    })?;
    Ok(SealedSecret {
        ciphertext: row.ciphertext.clone(),
        nonce: row.nonce.clone(),
        wrapped_dek: row.wrapped_dek.clone(),
        kek_version,
    })
}

impl Signer {
    /// A signer over `store` and `vault`, auditing to `audit`.
    pub fn new(store: Store, vault: Vault, audit: Arc<dyn AuditSink>) -> Self {
        Self {
            inner: Arc::new(Inner {
                switches: TradingSwitches::new(store.clone()),
                store,
                vault,
                audit,
                prices: OnceLock::new(),
                cache: RwLock::new(HashMap::new()),
                classes: RwLock::new(HashMap::new()),
                paused: AtomicBool::new(false),
                last_nonce: AtomicU64::new(0),
                containment: Containment::default(),
            }),
        }
    }

    /// Sets the reference price source used to value market orders against limits (once;
    /// returns false if one was already set).
    pub fn set_reference_prices(&self, prices: Arc<dyn ReferencePrices>) -> bool {
        self.inner.prices.set(prices).is_ok()
    }

    /// The audit sink (for components that record through the signer's trail).
    pub fn audit_sink(&self) -> &dyn AuditSink {
        self.inner.audit.as_ref()
    }

    /// The vault this signer seals with (for KEK rotation).
    pub fn vault(&self) -> &Vault {
        &self.inner.vault
    }

    /// Stores a credential: seals the key, secret and passphrase, writes everything in one
    /// transaction, audits it. Write-only: no method ever returns the secrets.
    pub async fn store_credential(
        &self,
        ctx: &CallContext,
        input: CredentialInput,
    ) -> Result<StoredCredential, SignerError> {
        let scheme = input
            .scheme
            .unwrap_or_else(|| Scheme::default_for(input.venue));
        if !scheme.supports(input.venue) {
            return Err(SignerError::InvalidCredential(format!(
                "scheme {} cannot sign for venue {}",
                scheme.as_str(),
                input.venue
            )));
        }
        if input.api_key.expose().is_empty() || input.secret.expose().is_empty() {
            return Err(SignerError::InvalidCredential(
                "API key and secret must not be empty".into(),
            ));
        }
        if scheme.needs_passphrase() && input.passphrase.is_none() {
            return Err(SignerError::InvalidCredential(format!(
                "{} keys need a passphrase",
                input.venue
            )));
        }
        let label = input.label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(SignerError::InvalidCredential(
                "label must be 1 to 100 characters".into(),
            ));
        }
        // Parse the key material now, so a malformed secret is refused at intake, not at 3 a.m.
        schemes::validate_key(
            scheme,
            input.secret.expose(),
            input.passphrase.as_ref().map(|p| p.expose()),
        )?;
        if let Some(symbols) = &input.limits.allowed_symbols {
            for s in symbols {
                s.parse::<tradeward_domain::Symbol>()
                    .map_err(|e| SignerError::InvalidCredential(e.to_string()))?;
            }
        }
        for (name, value) in [
            ("max_order_notional", input.limits.max_order_notional),
            ("max_daily_notional", input.limits.max_daily_notional),
        ] {
            if value.is_some_and(|v| v <= Decimal::ZERO) {
                return Err(SignerError::InvalidCredential(format!(
                    "{name} must be positive"
                )));
            }
        }

        let id = CredentialId::new();
        let (owner, record, venue) = (
            input.owner.to_string(),
            id.to_string(),
            input.venue.as_str(),
        );
        let mut secrets = Vec::with_capacity(3);
        let mut fields = vec![
            (FIELD_API_KEY, &input.api_key),
            (FIELD_SECRET, &input.secret),
        ];
        if let Some(p) = &input.passphrase {
            fields.push((FIELD_PASSPHRASE, p));
        }
        for (field, value) in fields {
            let sealed = self
                .inner
                .vault
                .seal(&seal_context(&owner, &record, venue, field), value.expose())?;
            secrets.push(SealedRow {
                record_id: record.clone(),
                field: field.to_owned(),
                owner_id: owner.clone(),
                venue: venue.to_owned(),
                ciphertext: sealed.ciphertext,
                nonce: sealed.nonce,
                wrapped_dek: sealed.wrapped_dek,
                kek_version: i64::from(sealed.kek_version),
            });
        }
        let api_key_masked = mask_api_key(input.api_key.expose());
        let at_us = now_us();
        self.inner
            .store
            .insert_credential(&NewCredential {
                id,
                owner_id: input.owner,
                venue: venue.to_owned(),
                label: label.to_owned(),
                scheme: scheme.as_str().to_owned(),
                api_key_masked: api_key_masked.clone(),
                permissions: input.permissions.clone(),
                allowed_symbols: input.limits.allowed_symbols.clone(),
                max_order_notional: input.limits.max_order_notional,
                max_daily_notional: input.limits.max_daily_notional,
                created_at_us: at_us,
                secrets,
            })
            .await?;
        let mut event = self.event(ctx, "credential.add", Outcome::Ok, Some(id));
        event.user_id = Some(owner);
        self.inner.audit.record(
            event
                .with("venue", venue)
                .with("scheme", scheme.as_str())
                .with("api_key_masked", api_key_masked.as_str()),
        )?;
        Ok(StoredCredential { id, api_key_masked })
    }

    /// Forgets a credential (and its sealed secrets). Only its owner may delete it.
    pub async fn delete_credential(
        &self,
        ctx: &CallContext,
        owner: UserId,
        id: CredentialId,
    ) -> Result<bool, SignerError> {
        let deleted = self.inner.store.delete_credential(owner, id).await?;
        self.inner
            .cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        if deleted {
            let mut event = self.event(ctx, "credential.delete", Outcome::Ok, Some(id));
            event.user_id = Some(owner.to_string());
            self.inner.audit.record(event)?;
        }
        Ok(deleted)
    }

    /// Signs `request` with credential `id`, after policy. Refusals are audited and returned as
    /// [`SignerError::Refused`]; every signature is audited with a summary of the request.
    pub async fn sign(
        &self,
        ctx: &CallContext,
        id: CredentialId,
        request: &UnsignedRequest,
    ) -> Result<SignedParts, SignerError> {
        let cred = self.cached(id).await?;
        let class = self.classify(cred.venue, request.method, &request.path);
        let mut event = self.event(ctx, "signer.sign", Outcome::Ok, Some(id));
        event.user_id = Some(cred.row.owner_id.to_string());
        event = event
            .with("venue", cred.venue.as_str())
            .with("method", request.method.as_str())
            .with("path", request.path.as_str())
            .with("class", class.as_str());
        let intent = match self.check(ctx, &cred, class, request).await {
            Ok(intent) => intent,
            Err(refusal) => {
                event.kind = "signer.refuse";
                event.outcome = Outcome::Refused;
                event.reason = Some(refusal.to_string());
                self.inner
                    .audit
                    .record(event.with("code", refusal.code()))?;
                if containment::counts(&refusal) {
                    let owner = cred.row.owner_id;
                    if let Some(policy) = self.inner.containment.note(owner, now_us()) {
                        self.contain(owner, id, policy).await?;
                    }
                }
                return Err(SignerError::Refused(refusal));
            }
        };
        if let Some((intent, notional)) = &intent {
            event = event
                .with("symbol", intent.symbol.as_str())
                .with("side", intent.side.as_str())
                .with("order_type", intent.order_type.as_str());
            if let Some(n) = notional {
                event = event.with("notional", n.to_string());
            }
        }
        match self.sign_now(&cred, request) {
            Ok(parts) => {
                self.inner.audit.record(event)?;
                Ok(parts)
            }
            Err(e) => {
                event.outcome = Outcome::Error;
                event.reason = Some(e.to_string());
                self.inner.audit.record(event)?;
                Err(e)
            }
        }
    }

    /// Opens the secrets, signs, and lets them go (zeroized on drop) before returning.
    fn sign_now(
        &self,
        cred: &Cached,
        request: &UnsignedRequest,
    ) -> Result<SignedParts, SignerError> {
        let vault = &self.inner.vault;
        let api_key = vault.open(&cred.api_key_ctx, &cred.api_key)?;
        let secret = vault.open(&cred.secret_ctx, &cred.secret)?;
        let passphrase = cred
            .passphrase
            .as_ref()
            .map(|p| vault.open(&cred.passphrase_ctx, p))
            .transpose()?;
        let api_key_text = std::str::from_utf8(api_key.expose())
            .map_err(|_| SignerError::InvalidCredential("stored API key is not UTF-8".into()))?;
        let now_ms = u64::try_from(now_us() / 1000).unwrap_or(0);
        // Kraken-style nonces must strictly increase, even for two signatures in one millisecond.
        let nonce = self.next_nonce(now_ms * 1000);
        let mut random = [0u8; 16];
        // The JWT nonce needs freshness, not a syscall per signature: the thread RNG is a CSPRNG
        // (ChaCha) seeded from the OS.
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut random);
        let parts = schemes::sign(
            cred.scheme,
            api_key_text,
            secret.expose(),
            passphrase.as_ref().map(|p| p.expose()),
            request,
            SigningTime {
                unix_ms: now_ms,
                nonce,
            },
            &random,
        )?;
        Ok(parts)
    }

    fn next_nonce(&self, candidate: u64) -> u64 {
        let mut last = self.inner.last_nonce.load(Ordering::Relaxed);
        loop {
            let next = candidate.max(last + 1);
            match self.inner.last_nonce.compare_exchange_weak(
                last,
                next,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    /// `endpoints::classify`, memoized: the table walk is a measurable share of a signature, and
    /// a signer sees few distinct paths. Bounded so ids in paths cannot grow it without limit.
    fn classify(&self, venue: Venue, method: HttpMethod, path: &str) -> EndpointClass {
        let key = (venue, method, path.to_owned());
        if let Some(class) = self
            .inner
            .classes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return *class;
        }
        let class = classify(venue, method, path);
        let mut classes = self
            .inner
            .classes
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if classes.len() < MAX_MEMOIZED_PATHS {
            classes.insert(key, class);
        }
        class
    }

    /// Policy: endpoint class, ownership, pause, trading switches, symbol and notional limits.
    /// Returns the trade intent and its notional for trade requests.
    async fn check(
        &self,
        ctx: &CallContext,
        cred: &Cached,
        class: EndpointClass,
        request: &UnsignedRequest,
    ) -> Result<Option<(TradeIntent, Option<Decimal>)>, Refusal> {
        match class {
            EndpointClass::Read | EndpointClass::Trade | EndpointClass::Cancel => {}
            EndpointClass::Unknown => {
                return Err(Refusal::UnknownEndpoint {
                    venue: cred.venue.to_string(),
                    method: request.method.as_str().to_owned(),
                    path: request.path.chars().take(200).collect(),
                })
            }
            forbidden => return Err(Refusal::ForbiddenClass(forbidden)),
        }
        if ctx.user_id.is_some_and(|u| u != cred.row.owner_id) {
            return Err(Refusal::NotOwner);
        }
        if self.inner.paused.load(Ordering::SeqCst) {
            return Err(Refusal::CredentialsPaused);
        }
        if class != EndpointClass::Trade {
            return Ok(None);
        }
        let switches = &self.inner.switches;
        if !switches.global_enabled().await {
            return Err(Refusal::TradingDisabledGlobally);
        }
        if !switches.user_enabled(cred.row.owner_id).await {
            return Err(Refusal::TradingDisabledForUser);
        }
        let intent = trade_intent(cred.venue, request)
            .map_err(|e| Refusal::MalformedTrade(e.to_string()))?;
        if !cred.limits.allows_symbol(&intent.symbol) {
            return Err(Refusal::SymbolNotAllowed(
                intent.symbol.chars().take(40).collect(),
            ));
        }
        let notional = self.notional(cred.venue, &intent);
        if cred.limits.limits_notional() {
            let notional = notional.ok_or(Refusal::NotionalUnknown)?;
            if let Some(limit) = cred.limits.max_order_notional {
                if notional > limit {
                    return Err(Refusal::OrderNotionalAboveLimit { notional, limit });
                }
            }
            if let Some(limit) = cred.limits.max_daily_notional {
                let day = utc_day(now_us());
                match self
                    .inner
                    .store
                    .add_daily_notional(cred.row.id, &day, notional, limit)
                    .await
                {
                    Ok(DailyNotionalOutcome::Added(_)) => {}
                    Ok(DailyNotionalOutcome::WouldExceed(used)) => {
                        return Err(Refusal::DailyNotionalAboveLimit {
                            notional,
                            used,
                            limit,
                        })
                    }
                    Err(e) => {
                        // Fail closed: a limit we cannot check is a limit we cannot honour.
                        tracing::error!(error = %e, "daily notional check failed");
                        return Err(Refusal::NotionalUnknown);
                    }
                }
            }
        }
        Ok(Some((intent, notional)))
    }

    /// An order's value in quote currency: quote quantity, or price × quantity, or the
    /// reference price × quantity for market orders.
    fn notional(&self, venue: Venue, intent: &TradeIntent) -> Option<Decimal> {
        if let Some(q) = intent.quote_quantity {
            return Some(q);
        }
        let qty = intent.quantity?;
        let price = intent.price.or_else(|| {
            self.inner
                .prices
                .get()
                .and_then(|p| p.last_price(venue, &intent.symbol))
        })?;
        price.checked_mul(qty)
    }

    async fn cached(&self, id: CredentialId) -> Result<Arc<Cached>, SignerError> {
        if let Some(c) = self
            .inner
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(c.clone());
        }
        let row = self
            .inner
            .store
            .credential(id)
            .await?
            .ok_or_else(|| SignerError::UnknownCredential(id.to_string()))?;
        let sealed = self.inner.store.sealed_secrets(&id.to_string()).await?;
        let find = |field: &str| {
            sealed
                .iter()
                .find(|s| s.field == field)
                .map(sealed_from_row)
                .transpose()
        };
        let missing = |field: &str| {
            SignerError::InvalidCredential(format!("stored credential has no {field}"))
        };
        let venue: Venue = row
            .venue
            .parse()
            .map_err(|e: tradeward_domain::VenueError| {
                SignerError::InvalidCredential(e.to_string())
            })?;
        let scheme: Scheme = row.scheme.parse().map_err(|_| {
            SignerError::InvalidCredential(format!("unknown scheme {:?}", row.scheme))
        })?;
        let (owner, record) = (row.owner_id.to_string(), row.id.to_string());
        let ctx = |field: &str| seal_context(&owner, &record, venue.as_str(), field);
        let cached = Arc::new(Cached {
            api_key_ctx: ctx(FIELD_API_KEY),
            secret_ctx: ctx(FIELD_SECRET),
            passphrase_ctx: ctx(FIELD_PASSPHRASE),
            venue,
            scheme,
            limits: CredentialLimits {
                allowed_symbols: row.allowed_symbols.clone(),
                max_order_notional: row.max_order_notional,
                max_daily_notional: row.max_daily_notional,
            },
            api_key: find(FIELD_API_KEY)?.ok_or_else(|| missing(FIELD_API_KEY))?,
            secret: find(FIELD_SECRET)?.ok_or_else(|| missing(FIELD_SECRET))?,
            passphrase: find(FIELD_PASSPHRASE)?,
            row,
        });
        self.inner
            .cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, cached.clone());
        Ok(cached)
    }

    /// Drops every cached credential (after a KEK rotation re-wrapped their data keys).
    pub fn clear_cache(&self) {
        self.inner
            .cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Turns the global trading switch on or off, at once for this signer.
    pub async fn set_global_trading(
        &self,
        ctx: &CallContext,
        enabled: bool,
        reason: &str,
    ) -> Result<(), SignerError> {
        self.inner.switches.set_global(enabled).await?;
        let kind = if enabled {
            "trading.global_enable"
        } else {
            "trading.global_disable"
        };
        self.inner.audit.record(
            self.event(ctx, kind, Outcome::Ok, None)
                .with("reason", reason),
        )?;
        Ok(())
    }

    /// Turns one user's trading switch on or off, at once for this signer.
    pub async fn set_user_trading(
        &self,
        ctx: &CallContext,
        user: UserId,
        enabled: bool,
        reason: &str,
    ) -> Result<(), SignerError> {
        self.inner.switches.set_user(user, enabled).await?;
        let kind = if enabled {
            "trading.user_enable"
        } else {
            "trading.user_disable"
        };
        let mut event = self
            .event(ctx, kind, Outcome::Ok, None)
            .with("reason", reason);
        event.user_id = Some(user.to_string());
        self.inner.audit.record(event)?;
        Ok(())
    }

    /// Turns automatic containment on (or off with `None`): a burst of refusals for one
    /// user's credentials turns that user's trading switch off.
    pub fn set_containment(&self, policy: Option<ContainmentPolicy>) {
        self.inner.containment.set_policy(policy);
    }

    /// A burst of refusals for `user`: their trading switch goes off, and the log says why.
    async fn contain(
        &self,
        user: UserId,
        id: CredentialId,
        policy: ContainmentPolicy,
    ) -> Result<(), SignerError> {
        let ctx = CallContext::component("signer");
        let mut event = self
            .event(&ctx, "containment.trading_disabled", Outcome::Ok, Some(id))
            .with("refusals", policy.refusals as u64)
            .with("window_secs", policy.window.as_secs());
        event.user_id = Some(user.to_string());
        event.reason = Some(format!(
            "{} signer refusals within {} s: trading disabled for this user until an operator \
             enables it",
            policy.refusals,
            policy.window.as_secs()
        ));
        if let Err(e) = self.inner.switches.set_user(user, false).await {
            event.outcome = Outcome::Error;
            event.reason = Some(format!("could not disable the user's trading: {e}"));
        }
        self.inner.audit.record(event)?;
        Ok(())
    }

    /// Pauses (or resumes) every use of every credential (incident response).
    pub fn set_paused(&self, ctx: &CallContext, paused: bool) -> Result<(), SignerError> {
        self.inner.paused.store(paused, Ordering::SeqCst);
        let kind = if paused {
            "signer.pause"
        } else {
            "signer.resume"
        };
        self.inner
            .audit
            .record(self.event(ctx, kind, Outcome::Ok, None))?;
        Ok(())
    }

    fn event(
        &self,
        ctx: &CallContext,
        kind: &'static str,
        outcome: Outcome,
        id: Option<CredentialId>,
    ) -> AuditEvent {
        let mut e = AuditEvent::new(now_us(), kind, ctx.component.clone(), outcome);
        e.user_id = ctx.user_id.map(|u| u.to_string());
        e.session_id = ctx.session_id.clone();
        e.source_addr = ctx.source_addr.clone();
        e.credential_id = id.map(|i| i.to_string());
        e
    }
}
