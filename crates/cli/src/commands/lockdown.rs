//! `tradeward admin lockdown --reason R`: the deployment-wide incident response of the threat
//! model, as one command. In one database transaction: the global trading switch off (every
//! signer, in-process or separate, refuses trade requests within its switch TTL), every user
//! forced to set a new password at next login, every session, personal token and login in
//! progress revoked. Then one audit entry with the counts, and a report of what was done.
//!
//! Idempotent: a second run changes nothing and says so. Needs only the database (no KEK), so
//! it works from any host that can reach it, with the server up or down.

use anyhow::{bail, Context};
use serde::Serialize;
use tradeward_audit::{lockdown_event, AuditSink, StoreAuditSink};
use tradeward_store::LockdownCounts;

use super::audit::open_store;
use crate::DeploymentArgs;

/// Options of `admin lockdown`.
#[derive(Debug, clap::Args)]
pub struct LockdownArgs {
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    /// Why (recorded in the audit log; required).
    #[arg(long)]
    pub reason: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What the lockdown did (printed, and the shape of `--json`).
#[derive(Debug, Serialize)]
struct Report<'a> {
    reason: &'a str,
    at: String,
    trading_was_enabled: bool,
    trading_enabled: bool,
    users: u64,
    users_newly_forced: u64,
    sessions_revoked: u64,
    tokens_revoked: u64,
    logins_in_progress_dropped: u64,
}

fn now_us() -> i64 {
    use tradeward_server::Clock;
    tradeward_server::SystemClock.now_us()
}

/// The reason, trimmed; 1 to 500 characters on one line.
pub fn check_reason(reason: &str) -> anyhow::Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || reason.contains(['\n', '\r']) {
        bail!("--reason: must be 1 to 500 characters on one line");
    }
    Ok(reason)
}

pub async fn run(args: &LockdownArgs) -> anyhow::Result<()> {
    let reason = check_reason(&args.reason)?;
    let store = open_store(&args.deployment).await?;
    let now = now_us();
    let counts: LockdownCounts = store.lockdown(now).await.context("locking down")?;
    let audit = StoreAuditSink::spawn(store.clone());
    audit
        .record(lockdown_event(now, "cli", &counts, reason).with("via", "cli"))
        .context("auditing the lockdown")?;
    audit.close().await.context("closing the audit log")?;
    let report = Report {
        reason,
        at: tradeward_audit::report::rfc3339(now),
        trading_was_enabled: counts.trading_was_enabled,
        trading_enabled: false,
        users: counts.users,
        users_newly_forced: counts.users_newly_forced,
        sessions_revoked: counts.sessions_revoked,
        tokens_revoked: counts.tokens_revoked,
        logins_in_progress_dropped: counts.challenges_dropped,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("encoding the report")?
        );
        return Ok(());
    }
    println!("LOCKDOWN at {} ({reason})", report.at);
    println!(
        "  trading: disabled for all accounts ({})",
        if counts.trading_was_enabled {
            "was enabled"
        } else {
            "was already disabled"
        }
    );
    println!(
        "  passwords: all {} users must set a new password at next login ({} newly required)",
        counts.users, counts.users_newly_forced
    );
    println!("  sessions revoked: {}", counts.sessions_revoked);
    println!("  personal tokens revoked: {}", counts.tokens_revoked);
    println!(
        "  logins in progress dropped: {}",
        counts.challenges_dropped
    );
    println!("  recorded in the audit log (incident.lockdown); see `tradeward audit report`");
    println!("  undo trading with `tradeward admin trading enable --reason ...`");
    Ok(())
}
