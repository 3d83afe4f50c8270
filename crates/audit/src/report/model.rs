//! The incident report's shape: counts per category and the noteworthy steps in log order.
//! Serialized as the JSON form of `tradeward audit report --json`.

use serde::Serialize;

/// Counts per category over the report's window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Every refused login (wrong password, unknown account, throttled, ...).
    pub failed_logins: u64,
    /// Of those: a wrong password for an existing account.
    pub wrong_passwords: u64,
    /// Of those: an email with no account.
    pub unknown_accounts: u64,
    /// Of those: refused while the account or address was throttled.
    pub throttled_logins: u64,
    /// Correct passwords that did not lead to a session (stopped at the second factor or
    /// another required step): a password known from elsewhere.
    pub correct_password_no_session: u64,
    /// Wrong second-factor answers (TOTP or recovery code).
    pub second_factor_failures: u64,
    /// Addresses that failed logins for several accounts (credential stuffing).
    pub stuffing_addresses: u64,
    /// Completed logins.
    pub logins: u64,
    /// Completed logins from an address the user had not logged in from before.
    pub logins_from_new_address: u64,
    /// Completed logins with a user agent the user had not logged in with before.
    pub logins_from_new_device: u64,
    /// A user's first login ever.
    pub first_logins: u64,
    /// Exchange keys added.
    pub credentials_added: u64,
    /// Exchange keys deleted.
    pub credentials_deleted: u64,
    /// Requests the signer signed.
    pub signatures: u64,
    /// Requests the signer refused.
    pub signer_refusals: u64,
    /// Of those: withdrawal requests.
    pub refused_withdrawals: u64,
    /// Bursts of refusals for one credential.
    pub refusal_bursts: u64,
    /// Trading switch changes (global and per user).
    pub trading_switch_changes: u64,
    /// Session revocations (events; by a user, an admin or a lockdown).
    pub session_revocations: u64,
    /// Sessions those revocations ended.
    pub sessions_revoked: u64,
    /// Personal tokens revoked.
    pub tokens_revoked: u64,
    /// Forced password resets (events).
    pub forced_resets: u64,
    /// Users those resets concerned.
    pub users_forced_to_reset: u64,
    /// Deployment-wide lockdowns.
    pub lockdowns: u64,
    /// Users whose trading automatic containment turned off (a burst of refusals).
    pub containments: u64,
    /// Administrative actions (CLI or admin console).
    pub admin_actions: u64,
    /// Secrets opened other than to sign a read, trade or cancel request.
    pub decryptions_outside_signing: u64,
}

/// One noteworthy event (or a run of identical ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The first entry's position in the log.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// µs since the epoch.
    pub at_us: i64,
    /// Stable category name (`failed_login`, `login_new_address`, `withdrawal_refused`, ...).
    pub category: &'static str,
    /// For a person.
    pub summary: String,
    /// The user concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The session or token that acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The credential used or touched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    /// The address the request came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_addr: Option<String>,
    /// How many identical events in a row this step stands for (1 or more).
    pub repeated: u64,
    /// The last of them (µs), when repeated.
    pub last_at_us: i64,
}

/// Failed logins from one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressFailures {
    /// The address.
    pub source_addr: String,
    /// Refused logins and second-factor answers from it.
    pub failures: u64,
    /// Distinct accounts (emails) it tried.
    pub accounts: u64,
    /// Whether it looks like credential stuffing (several accounts).
    pub stuffing: bool,
}

/// What happened to one exchange credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialActivity {
    /// Its id.
    pub credential_id: String,
    /// Its owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Its venue, when the log names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
    /// Added in the window (RFC 3339), with the address it was added from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<String>,
    /// The address it was added from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_from: Option<String>,
    /// Deleted in the window.
    pub deleted: bool,
    /// Signatures made with it.
    pub signatures: u64,
    /// Refusals for it.
    pub refusals: u64,
    /// The components that asked for it to be used.
    pub components: Vec<String>,
    /// The addresses its use was requested from.
    pub addresses: Vec<String>,
    /// First use or touch in the window.
    pub first_at: String,
    /// Last use or touch in the window.
    pub last_at: String,
}

/// The answer to "what happened": `tradeward audit report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentReport {
    /// Start of the window (RFC 3339), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// End of the window, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The user the report is restricted to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Entries read (history before the window included: it tells which addresses are new).
    pub entries_read: u64,
    /// Entries inside the window.
    pub entries_in_window: u64,
    /// Counts per category.
    pub counts: Counts,
    /// Noteworthy events in log order.
    pub steps: Vec<Step>,
    /// Steps left out past the cap (the counts still include them).
    pub steps_omitted: u64,
    /// Failed logins grouped by address, most first.
    pub failed_logins_by_address: Vec<AddressFailures>,
    /// Every credential used or touched in the window.
    pub credentials: Vec<CredentialActivity>,
}
