//! `tradeward audit report [--since T] [--until T] [--user U] [--json]`: the incident report
//! from the audit log alone (text for a person, or JSON). Reads only the database: no key.

use anyhow::{bail, Context};
use tradeward_audit::report::{build_report, parse_time, render, ReportScope};
use tradeward_domain::UserId;
use tradeward_store::Store;

use super::audit::open_store;
use crate::DeploymentArgs;

/// Options of `audit report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    /// Start of the window: RFC 3339 (2026-11-29T08:00:00Z) or a span back from now (30m,
    /// 24h, 7d). Earlier entries still count as history (which addresses are new).
    #[arg(long)]
    pub since: Option<String>,
    /// End of the window (same forms).
    #[arg(long)]
    pub until: Option<String>,
    /// Only this user (email or user id).
    #[arg(long)]
    pub user: Option<String>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The user id for `--user`: an account's email, or an id as printed by other commands.
async fn resolve_user(store: &Store, text: &str) -> anyhow::Result<String> {
    let text = text.trim();
    if text.contains('@') {
        let email = text.to_lowercase();
        let account = store
            .account_by_email(&email)
            .await
            .context("looking up the user")?
            .with_context(|| format!("--user: no user with email {email}"))?;
        return Ok(account.id.to_string());
    }
    match text.parse::<UserId>() {
        Ok(id) => Ok(id.to_string()),
        Err(_) => bail!("--user {text:?}: expected an email or a user id"),
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub async fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let now = now_us();
    let since_us = args
        .since
        .as_deref()
        .map(|t| parse_time(t, now).map_err(|e| anyhow::anyhow!("--since: {e}")))
        .transpose()?;
    let until_us = args
        .until
        .as_deref()
        .map(|t| parse_time(t, now).map_err(|e| anyhow::anyhow!("--until: {e}")))
        .transpose()?;
    if let (Some(s), Some(u)) = (since_us, until_us) {
        if s >= u {
            bail!("--since must be before --until");
        }
    }
    let store = open_store(&args.deployment).await?;
    let user_id = match &args.user {
        Some(u) => Some(resolve_user(&store, u).await?),
        None => None,
    };
    let report = build_report(
        &store,
        ReportScope {
            since_us,
            until_us,
            user_id,
        },
    )
    .await
    .context("reading the audit log")?;
    if args.json {
        let text = serde_json::to_string_pretty(&report).context("encoding the report")?;
        println!("{text}");
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}
