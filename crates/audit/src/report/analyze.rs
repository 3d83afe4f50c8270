//! Turns audit entries, in log order, into an [`IncidentReport`]. Pure: no I/O, no clock.
//!
//! Entries before the window are read too, but only as history: they say which addresses and
//! devices a user had already logged in from, so that "new" means new.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};
use tradeward_store::StoredAuditRow;

use super::model::{AddressFailures, Counts, CredentialActivity, IncidentReport, Step};
use super::since::rfc3339;

/// Refusals for one credential within [`BURST_WINDOW_US`] that make a burst.
pub const BURST_REFUSALS: usize = 5;
/// The span a burst is counted over.
pub const BURST_WINDOW_US: i64 = 60_000_000;
/// Accounts one address must fail for before it counts as credential stuffing.
pub const STUFFING_ACCOUNTS: usize = 3;
/// Steps kept in a report; past this only the counts grow.
pub const MAX_STEPS: usize = 10_000;

/// Signer endpoint classes whose signing is normal use of a secret.
const NORMAL_CLASSES: [&str; 3] = ["read", "trade", "cancel"];

/// The report's scope.
#[derive(Debug, Clone, Default)]
pub struct ReportScope {
    /// Count only entries at or after this time (µs).
    pub since_us: Option<i64>,
    /// Count only entries before this time (µs).
    pub until_us: Option<i64>,
    /// Only this user's entries (the caller also filters the read).
    pub user_id: Option<String>,
}

#[derive(Debug, Default)]
struct AddressTally {
    failures: u64,
    accounts: HashSet<String>,
}

#[derive(Debug, Default)]
struct BurstState {
    recent: VecDeque<i64>,
    /// Index into `steps` of the open burst, if one is open.
    open: Option<usize>,
}

/// Accumulates entries into a report.
#[derive(Debug, Default)]
pub struct Analyzer {
    scope: ReportScope,
    entries_read: u64,
    entries_in_window: u64,
    counts: Counts,
    steps: Vec<Step>,
    steps_omitted: u64,
    /// Addresses and user agents each user has completed a login from.
    known_addrs: HashMap<String, HashSet<String>>,
    known_agents: HashMap<String, HashSet<String>>,
    /// Correct passwords not yet followed by a session: (user, address) -> the step draft.
    pending_password: HashMap<(String, String), Step>,
    by_address: HashMap<String, AddressTally>,
    credentials: BTreeMap<String, CredentialActivity>,
    bursts: HashMap<String, BurstState>,
}

fn text<'a>(detail: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    detail.get(key).and_then(Value::as_str)
}

fn number(detail: &Map<String, Value>, key: &str) -> u64 {
    detail.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn who(user: &Option<String>) -> String {
    user.as_deref()
        .map(|u| format!("user {u}"))
        .unwrap_or_else(|| "the deployment".to_owned())
}

fn from(addr: &Option<String>) -> String {
    addr.as_deref()
        .map(|a| format!(" from {a}"))
        .unwrap_or_default()
}

fn by(row: &tradeward_store::AuditRow, detail: &Map<String, Value>) -> String {
    match (text(detail, "via"), text(detail, "admin_id")) {
        (_, Some(admin)) => format!(" by admin {admin}"),
        (Some("cli"), None) => " by the operator (CLI)".to_owned(),
        _ if row.component == "cli" => " by the operator (CLI)".to_owned(),
        _ => String::new(),
    }
}

impl Analyzer {
    /// An analyzer for `scope`.
    pub fn new(scope: ReportScope) -> Self {
        Self {
            scope,
            ..Self::default()
        }
    }

    fn in_window(&self, at_us: i64) -> bool {
        self.scope.since_us.is_none_or(|s| at_us >= s)
            && self.scope.until_us.is_none_or(|u| at_us < u)
    }

    fn step(&self, e: &StoredAuditRow, category: &'static str, summary: String) -> Step {
        Step {
            seq: e.seq,
            at: rfc3339(e.row.at_us),
            at_us: e.row.at_us,
            category,
            summary,
            user_id: e.row.user_id.clone(),
            session_id: e.row.session_id.clone(),
            credential_id: e.row.credential_id.clone(),
            source_addr: e.row.source_addr.clone(),
            repeated: 1,
            last_at_us: e.row.at_us,
        }
    }

    /// Adds a step; one identical to the previous (same category, summary, user, credential,
    /// address) extends it instead, so a flood reads as one line with a count.
    fn push(&mut self, step: Step) -> Option<usize> {
        if let Some(last) = self.steps.last_mut() {
            if last.category == step.category
                && last.summary == step.summary
                && last.user_id == step.user_id
                && last.credential_id == step.credential_id
                && last.source_addr == step.source_addr
            {
                last.repeated += 1;
                last.last_at_us = step.at_us;
                return Some(self.steps.len() - 1);
            }
        }
        if self.steps.len() >= MAX_STEPS {
            self.steps_omitted += 1;
            return None;
        }
        self.steps.push(step);
        Some(self.steps.len() - 1)
    }

    /// Reads the next entry (entries must come in log order).
    pub fn feed(&mut self, e: &StoredAuditRow) {
        self.entries_read += 1;
        let row = &e.row;
        let detail: Map<String, Value> = serde_json::from_str(&row.detail).unwrap_or_default();
        let in_window = self.in_window(row.at_us);
        // History first: a completed login makes its address and device known (after the
        // window check below has compared against what was known before it).
        if !in_window {
            if row.kind == "auth.login" && row.outcome == "ok" {
                self.remember_login(row, &detail);
            }
            return;
        }
        self.entries_in_window += 1;
        match (row.kind.as_str(), row.outcome.as_str()) {
            ("auth.login", "refused") => self.failed_login(e, &detail),
            ("auth.password", "ok") => self.correct_password(e),
            ("auth.totp" | "auth.recovery_code", "refused") => {
                self.second_factor_failure(e, &detail)
            }
            ("auth.login", "ok") => self.login(e, &detail),
            ("credential.add", "ok") => self.credential_added(e, &detail),
            ("credential.delete", "ok") => self.credential_deleted(e),
            ("signer.sign", "ok") => self.signature(e, &detail),
            ("signer.refuse", _) => self.refusal(e, &detail),
            (
                "trading.global_enable"
                | "trading.global_disable"
                | "trading.user_enable"
                | "trading.user_disable",
                _,
            ) => self.trading_switch(e, &detail),
            ("auth.session.revoke", "ok") => {
                self.counts.session_revocations += 1;
                self.counts.sessions_revoked += 1;
                let s = format!(
                    "{} revoked one of their sessions{}",
                    who(&row.user_id),
                    from(&row.source_addr)
                );
                self.push(self.step(e, "sessions_revoked", s));
            }
            ("auth.session.revoke_all" | "auth.session.revoke_admin", "ok") => {
                let n = number(&detail, "revoked");
                self.counts.session_revocations += 1;
                self.counts.sessions_revoked += n;
                let target = match (&row.user_id, row.kind.as_str()) {
                    (None, _) => "every user".to_owned(),
                    (Some(u), _) => format!("user {u}"),
                };
                let s = format!("{n} sessions of {target} revoked{}", by(row, &detail));
                self.admin_if(row, &detail);
                self.push(self.step(e, "sessions_revoked", s));
            }
            ("auth.token.revoke", "ok") => {
                self.counts.tokens_revoked += 1;
                let s = format!("{} revoked a personal token", who(&row.user_id));
                self.push(self.step(e, "tokens_revoked", s));
            }
            ("auth.force_reset", "ok") => {
                self.counts.forced_resets += 1;
                self.counts.users_forced_to_reset += 1;
                self.counts.sessions_revoked += number(&detail, "sessions_revoked");
                self.counts.admin_actions += 1;
                let s = format!(
                    "password reset forced for {}{}; {} sessions revoked",
                    who(&row.user_id),
                    by(row, &detail),
                    number(&detail, "sessions_revoked")
                );
                self.push(self.step(e, "reset_forced", s));
            }
            ("auth.force_reset_all", "ok") => {
                self.counts.forced_resets += 1;
                self.counts.users_forced_to_reset += number(&detail, "users");
                self.counts.sessions_revoked += number(&detail, "sessions_revoked");
                self.counts.admin_actions += 1;
                let s = format!(
                    "password reset forced for all {} users{}; {} sessions revoked",
                    number(&detail, "users"),
                    by(row, &detail),
                    number(&detail, "sessions_revoked")
                );
                self.push(self.step(e, "reset_forced", s));
            }
            ("incident.lockdown", "ok") => self.lockdown(e, &detail),
            ("containment.trading_disabled", _) => {
                self.counts.containments += 1;
                if row.outcome == "ok" {
                    self.counts.trading_switch_changes += 1;
                }
                let s = format!(
                    "automatic containment: {} after {} signer refusals within {} s (key {}){}",
                    if row.outcome == "ok" {
                        format!("trading disabled for {}", who(&row.user_id))
                    } else {
                        format!("FAILED to disable trading for {}", who(&row.user_id))
                    },
                    number(&detail, "refusals"),
                    number(&detail, "window_secs"),
                    row.credential_id.as_deref().unwrap_or("?"),
                    if row.outcome == "ok" {
                        String::new()
                    } else {
                        format!(": {}", row.reason.as_deref().unwrap_or("?"))
                    }
                );
                self.push(self.step(e, "containment", s));
            }
            (
                "auth.user.create"
                | "auth.role.change"
                | "vault.rotate_kek.start"
                | "vault.rotate_kek.finish",
                _,
            ) => {
                self.counts.admin_actions += 1;
                let s = format!("{} ({}){}", row.kind, who(&row.user_id), by(row, &detail));
                self.push(self.step(e, "admin_action", s));
            }
            _ => {}
        }
        if row.kind == "auth.login" && row.outcome == "ok" {
            self.remember_login(row, &detail);
        }
    }

    fn admin_if(&mut self, row: &tradeward_store::AuditRow, detail: &Map<String, Value>) {
        if detail.contains_key("via") || detail.contains_key("admin_id") || row.component == "cli" {
            self.counts.admin_actions += 1;
        }
    }

    fn remember_login(&mut self, row: &tradeward_store::AuditRow, detail: &Map<String, Value>) {
        let Some(user) = &row.user_id else { return };
        if let Some(addr) = &row.source_addr {
            self.known_addrs
                .entry(user.clone())
                .or_default()
                .insert(addr.clone());
        }
        if let Some(agent) = text(detail, "user_agent") {
            self.known_agents
                .entry(user.clone())
                .or_default()
                .insert(agent.to_owned());
        }
    }

    fn failed_login(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        let row = &e.row;
        self.counts.failed_logins += 1;
        let reason = row.reason.as_deref().unwrap_or("refused");
        match reason {
            "wrong_password" => self.counts.wrong_passwords += 1,
            "unknown_account" => self.counts.unknown_accounts += 1,
            "throttled" => self.counts.throttled_logins += 1,
            _ => {}
        }
        let email = text(detail, "email").unwrap_or("?").to_owned();
        if let Some(addr) = &row.source_addr {
            let tally = self.by_address.entry(addr.clone()).or_default();
            tally.failures += 1;
            tally.accounts.insert(email.clone());
        }
        let what = match reason {
            "wrong_password" => "wrong password",
            "unknown_account" => "unknown account",
            "throttled" => "refused while throttled",
            "no_password_set" => "account has no password yet",
            other => other,
        };
        let s = format!("failed login for {email}{}: {what}", from(&row.source_addr));
        self.push(self.step(e, "failed_login", s));
    }

    fn correct_password(&mut self, e: &StoredAuditRow) {
        let (Some(user), Some(addr)) = (&e.row.user_id, &e.row.source_addr) else {
            return;
        };
        let s = format!(
            "correct password for user {user}{} but no session followed (stopped at the second \
             factor or a required step): the password is known to whoever sent it",
            from(&e.row.source_addr)
        );
        let draft = self.step(e, "password_correct_no_session", s);
        // A second correct password from the same place before any session: the first one
        // went nowhere.
        if let Some(old) = self
            .pending_password
            .insert((user.clone(), addr.clone()), draft)
        {
            self.counts.correct_password_no_session += 1;
            self.push(old);
        }
    }

    fn second_factor_failure(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        let row = &e.row;
        self.counts.second_factor_failures += 1;
        if let Some(addr) = &row.source_addr {
            let tally = self.by_address.entry(addr.clone()).or_default();
            tally.failures += 1;
            if let Some(u) = &row.user_id {
                tally.accounts.insert(format!("user:{u}"));
            }
        }
        let what = if row.kind == "auth.totp" {
            "TOTP code"
        } else {
            "recovery code"
        };
        let attempt = number(detail, "attempts");
        let s = format!(
            "wrong {what} for {}{} (attempt {attempt} of this login)",
            who(&row.user_id),
            from(&row.source_addr)
        );
        self.push(self.step(e, "second_factor_failure", s));
    }

    fn login(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        let row = &e.row;
        self.counts.logins += 1;
        let Some(user) = row.user_id.clone() else {
            return;
        };
        if let Some(addr) = &row.source_addr {
            self.pending_password.remove(&(user.clone(), addr.clone()));
        }
        let addrs = self.known_addrs.get(&user);
        let agents = self.known_agents.get(&user);
        let agent = text(detail, "user_agent");
        if addrs.is_none_or(HashSet::is_empty) && agents.is_none_or(HashSet::is_empty) {
            self.counts.first_logins += 1;
            let s = format!("first login of user {user}{}", from(&row.source_addr));
            self.push(self.step(e, "first_login", s));
            return;
        }
        let new_addr = match (&row.source_addr, addrs) {
            (Some(a), Some(known)) => !known.contains(a),
            (Some(_), None) => true,
            (None, _) => false,
        };
        let new_agent = match (agent, agents) {
            (Some(a), Some(known)) => !known.contains(a),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if new_addr {
            self.counts.logins_from_new_address += 1;
            let mut known: Vec<&String> = addrs.map(|k| k.iter().collect()).unwrap_or_default();
            known.sort();
            let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
            let s = format!(
                "login of user {user} from a new address {} (before: {})",
                row.source_addr.as_deref().unwrap_or("?"),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
            self.push(self.step(e, "login_new_address", s));
        }
        if new_agent {
            self.counts.logins_from_new_device += 1;
            let s = format!(
                "login of user {user}{} with a new device (user agent {:?})",
                from(&row.source_addr),
                agent.unwrap_or("")
            );
            self.push(self.step(e, "login_new_device", s));
        }
    }

    fn touch(
        &mut self,
        e: &StoredAuditRow,
        venue: Option<&str>,
    ) -> Option<&mut CredentialActivity> {
        let id = e.row.credential_id.clone()?;
        let at = rfc3339(e.row.at_us);
        let entry = self
            .credentials
            .entry(id.clone())
            .or_insert_with(|| CredentialActivity {
                credential_id: id,
                user_id: e.row.user_id.clone(),
                venue: None,
                added_at: None,
                added_from: None,
                deleted: false,
                signatures: 0,
                refusals: 0,
                components: Vec::new(),
                addresses: Vec::new(),
                first_at: at.clone(),
                last_at: at.clone(),
            });
        entry.last_at = at;
        if entry.venue.is_none() {
            entry.venue = venue.map(str::to_owned);
        }
        if !entry.components.contains(&e.row.component) {
            entry.components.push(e.row.component.clone());
        }
        if let Some(a) = &e.row.source_addr {
            if !entry.addresses.contains(a) {
                entry.addresses.push(a.clone());
            }
        }
        Some(entry)
    }

    fn credential_added(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        self.counts.credentials_added += 1;
        let venue = text(detail, "venue");
        if let Some(c) = self.touch(e, venue) {
            c.added_at = Some(rfc3339(e.row.at_us));
            c.added_from = e.row.source_addr.clone();
        }
        let s = format!(
            "exchange key {} ({} {}) added for {}{} by session {}",
            e.row.credential_id.as_deref().unwrap_or("?"),
            venue.unwrap_or("?"),
            text(detail, "api_key_masked").unwrap_or(""),
            who(&e.row.user_id),
            from(&e.row.source_addr),
            e.row.session_id.as_deref().unwrap_or("?")
        );
        self.push(self.step(e, "credential_added", s));
    }

    fn credential_deleted(&mut self, e: &StoredAuditRow) {
        self.counts.credentials_deleted += 1;
        if let Some(c) = self.touch(e, None) {
            c.deleted = true;
        }
        let s = format!(
            "exchange key {} deleted for {}{}",
            e.row.credential_id.as_deref().unwrap_or("?"),
            who(&e.row.user_id),
            from(&e.row.source_addr)
        );
        self.push(self.step(e, "credential_deleted", s));
    }

    fn signature(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        self.counts.signatures += 1;
        let class = text(detail, "class").unwrap_or("unknown");
        if let Some(c) = self.touch(e, text(detail, "venue")) {
            c.signatures += 1;
        }
        if !NORMAL_CLASSES.contains(&class) {
            self.counts.decryptions_outside_signing += 1;
            let s = format!(
                "secret of key {} opened to sign a {class} request {} {}",
                e.row.credential_id.as_deref().unwrap_or("?"),
                text(detail, "method").unwrap_or("?"),
                text(detail, "path").unwrap_or("?")
            );
            self.push(self.step(e, "decryption_outside_signing", s));
        }
    }

    fn refusal(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        self.counts.signer_refusals += 1;
        let class = text(detail, "class").unwrap_or("unknown");
        if let Some(c) = self.touch(e, text(detail, "venue")) {
            c.refusals += 1;
        }
        let category = if class == "withdraw" {
            self.counts.refused_withdrawals += 1;
            "withdrawal_refused"
        } else {
            "signer_refusal"
        };
        let what = if class == "withdraw" {
            "withdrawal attempt".to_owned()
        } else {
            format!("{class} request")
        };
        let s = format!(
            "signer refused a {what} {} {} with key {} for {} (asked by {}{}): {}",
            text(detail, "method").unwrap_or("?"),
            text(detail, "path").unwrap_or("?"),
            e.row.credential_id.as_deref().unwrap_or("?"),
            who(&e.row.user_id),
            e.row.component,
            from(&e.row.source_addr),
            e.row.reason.as_deref().unwrap_or("no reason recorded")
        );
        self.push(self.step(e, category, s));
        // A refusal because a switch is already off is a consequence, not a new signal.
        let consequence = matches!(
            text(detail, "code"),
            Some("trading_disabled_globally" | "trading_disabled_for_user" | "credentials_paused")
        );
        if !consequence {
            self.burst(e);
        }
    }

    fn burst(&mut self, e: &StoredAuditRow) {
        let key = e
            .row
            .credential_id
            .clone()
            .or_else(|| e.row.user_id.clone())
            .unwrap_or_default();
        let at = e.row.at_us;
        let state = self.bursts.entry(key.clone()).or_default();
        while state
            .recent
            .front()
            .is_some_and(|&t| at - t > BURST_WINDOW_US)
        {
            state.recent.pop_front();
        }
        if state.recent.is_empty() {
            state.open = None;
        }
        state.recent.push_back(at);
        let n = state.recent.len();
        if let Some(i) = state.open {
            if let Some(step) = self.steps.get_mut(i) {
                step.repeated += 1;
                step.last_at_us = at;
                step.summary = burst_summary(&key, step.repeated);
            }
            return;
        }
        if n >= BURST_REFUSALS {
            let first = state.recent.front().copied().unwrap_or(at);
            self.counts.refusal_bursts += 1;
            let mut step = self.step(e, "refusal_burst", burst_summary(&key, n as u64));
            step.at_us = first;
            step.at = rfc3339(first);
            step.repeated = n as u64;
            // Kept apart from the collapsing of identical steps: a burst grows on its own.
            if self.steps.len() < MAX_STEPS {
                self.steps.push(step);
                let i = self.steps.len() - 1;
                if let Some(s) = self.bursts.get_mut(&key) {
                    s.open = Some(i);
                }
            } else {
                self.steps_omitted += 1;
            }
        }
    }

    fn trading_switch(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        let row = &e.row;
        self.counts.trading_switch_changes += 1;
        self.counts.admin_actions += 1;
        let (scope, on) = match row.kind.as_str() {
            "trading.global_enable" => ("for the whole deployment".to_owned(), "enabled"),
            "trading.global_disable" => ("for the whole deployment".to_owned(), "disabled"),
            "trading.user_enable" => (format!("for {}", who(&row.user_id)), "enabled"),
            _ => (format!("for {}", who(&row.user_id)), "disabled"),
        };
        let s = format!(
            "trading {on} {scope}{}{}: {}",
            by(row, detail),
            from(&row.source_addr),
            text(detail, "reason").unwrap_or("no reason given")
        );
        self.push(self.step(e, "trading_switched", s));
    }

    fn lockdown(&mut self, e: &StoredAuditRow, detail: &Map<String, Value>) {
        let row = &e.row;
        self.counts.lockdowns += 1;
        self.counts.admin_actions += 1;
        // The lockdown's own entry carries its counts; its effects are not logged again.
        let sessions = number(detail, "sessions_revoked");
        let tokens = number(detail, "tokens_revoked");
        let users = number(detail, "users");
        self.counts.session_revocations += 1;
        self.counts.sessions_revoked += sessions;
        self.counts.tokens_revoked += tokens;
        self.counts.forced_resets += 1;
        // Users already required to reset (a repeated lockdown) are not forced again.
        self.counts.users_forced_to_reset += detail
            .get("users_newly_forced")
            .and_then(Value::as_u64)
            .unwrap_or(users);
        if detail.get("trading_was_enabled").and_then(Value::as_bool) == Some(true) {
            self.counts.trading_switch_changes += 1;
        }
        let s = format!(
            "LOCKDOWN{}{}: trading disabled for all accounts (was {}), {sessions} sessions and \
             {tokens} personal tokens revoked, all {users} users must set a new password; \
             reason: {}",
            by(row, detail),
            from(&row.source_addr),
            if detail.get("trading_was_enabled").and_then(Value::as_bool) == Some(true) {
                "enabled"
            } else {
                "already disabled"
            },
            text(detail, "reason").unwrap_or("none given")
        );
        self.push(self.step(e, "lockdown", s));
    }

    /// The report.
    pub fn finish(mut self) -> IncidentReport {
        let mut pending: Vec<Step> = self.pending_password.drain().map(|(_, s)| s).collect();
        pending.sort_by_key(|s| s.seq);
        for s in pending {
            self.counts.correct_password_no_session += 1;
            if self.steps.len() < MAX_STEPS {
                self.steps.push(s);
            } else {
                self.steps_omitted += 1;
            }
        }
        self.steps.sort_by_key(|s| s.seq);
        let mut by_address: Vec<AddressFailures> = self
            .by_address
            .into_iter()
            .map(|(addr, t)| AddressFailures {
                source_addr: addr,
                failures: t.failures,
                accounts: t.accounts.len() as u64,
                stuffing: t.accounts.len() >= STUFFING_ACCOUNTS,
            })
            .collect();
        by_address.sort_by(|a, b| {
            b.failures
                .cmp(&a.failures)
                .then_with(|| a.source_addr.cmp(&b.source_addr))
        });
        self.counts.stuffing_addresses = by_address.iter().filter(|a| a.stuffing).count() as u64;
        IncidentReport {
            since: self.scope.since_us.map(rfc3339),
            until: self.scope.until_us.map(rfc3339),
            user_id: self.scope.user_id.clone(),
            entries_read: self.entries_read,
            entries_in_window: self.entries_in_window,
            counts: self.counts,
            steps: self.steps,
            steps_omitted: self.steps_omitted,
            failed_logins_by_address: by_address,
            credentials: self.credentials.into_values().collect(),
        }
    }
}

fn burst_summary(key: &str, n: u64) -> String {
    format!("burst of {n} signer refusals for key {key} (at least {BURST_REFUSALS} within 60 s)")
}
