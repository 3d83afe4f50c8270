//! `tradeward admin ...`: the operator's levers, acting directly on the deployment's
//! database (so they work while `tradeward serve` runs, and when it is down). Every action is
//! audited with `via = cli`. There are never default credentials: a new user gets a one-time
//! setup link, or the real password read from standard input.

use std::io::Read;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use tradeward_auth::{Actor, AuthService, Role};
use tradeward_domain::UserId;
use tradeward_signer::CallContext;
use tradeward_vault::SecretString;

use super::deployment::Deployment;
use crate::DeploymentArgs;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The global trading switch.
    Trading {
        #[command(subcommand)]
        command: TradingCommand,
    },
    /// The next login completes only after a new password; sessions are revoked.
    ForcePasswordReset {
        #[command(flatten)]
        deployment: DeploymentArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Sessions.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Incident response in one step: trading off for every account, every session and
    /// personal token revoked, every user forced to set a new password; audited, idempotent,
    /// prints what it did. Undo trading with `admin trading enable`.
    Lockdown {
        #[command(flatten)]
        args: super::lockdown::LockdownArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Creates a user; prints a one-time setup link unless --password-stdin.
    Create {
        #[command(flatten)]
        deployment: DeploymentArgs,
        /// The user's email.
        #[arg(long)]
        email: String,
        /// `user` (default) or `admin`.
        #[arg(long, default_value = "user")]
        role: String,
        /// Read the user's real password (it must pass the policy) from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TradingCommand {
    /// Allows trading (still subject to each user's switch and each key's limits); with
    /// --email, that user's own switch (after automatic containment, say).
    Enable {
        #[command(flatten)]
        deployment: DeploymentArgs,
        /// Why (recorded in the audit log).
        #[arg(long)]
        reason: Option<String>,
        /// Only this user's switch.
        #[arg(long)]
        email: Option<String>,
    },
    /// Stops all signing of trade requests at once; with --email, for that user only.
    Disable {
        #[command(flatten)]
        deployment: DeploymentArgs,
        /// Why (recorded in the audit log).
        #[arg(long)]
        reason: Option<String>,
        /// Only this user's switch.
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Ends sessions (they must log in again).
    Revoke {
        #[command(flatten)]
        deployment: DeploymentArgs,
        #[command(flatten)]
        target: Target,
    },
}

/// Everyone, or one user by email.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// Every user.
    #[arg(long)]
    all: bool,
    /// One user.
    #[arg(long)]
    email: Option<String>,
}

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::User {
            command:
                UserCommand::Create {
                    deployment,
                    email,
                    role,
                    password_stdin,
                },
        } => create_user(&deployment, &email, &role, password_stdin).await,
        AdminCommand::Trading { command } => {
            let (deployment, enabled, reason, email) = match command {
                TradingCommand::Enable {
                    deployment,
                    reason,
                    email,
                } => (deployment, true, reason, email),
                TradingCommand::Disable {
                    deployment,
                    reason,
                    email,
                } => (deployment, false, reason, email),
            };
            set_trading(&deployment, enabled, reason.as_deref(), email.as_deref()).await
        }
        AdminCommand::ForcePasswordReset { deployment, target } => {
            let (d, auth) = open(&deployment).await?;
            let now = now_us();
            match user_of(&d, &target).await? {
                None => {
                    let (users, sessions) = auth.force_password_reset_all(&Actor::Cli, now).await?;
                    println!("{users} users must set a new password; {sessions} sessions revoked");
                }
                Some(user) => {
                    let sessions = auth.force_password_reset(&Actor::Cli, user, now).await?;
                    println!("user {user} must set a new password; {sessions} sessions revoked");
                }
            }
            flush(&d).await
        }
        AdminCommand::Sessions {
            command: SessionsCommand::Revoke { deployment, target },
        } => {
            let (d, auth) = open(&deployment).await?;
            let user = user_of(&d, &target).await?;
            let n = auth.revoke_sessions(&Actor::Cli, user, now_us()).await?;
            println!("{n} sessions revoked");
            flush(&d).await
        }
        AdminCommand::Lockdown { args } => super::lockdown::run(&args).await,
    }
}

async fn open(args: &DeploymentArgs) -> anyhow::Result<(Deployment, AuthService)> {
    let d = Deployment::open(args).await?;
    let auth = AuthService::new(
        d.store.clone(),
        d.auth_vault()?,
        Arc::new(d.audit.clone()),
        d.config.server.auth_config(),
    )
    .await
    .context("starting the authentication service")?;
    Ok((d, auth))
}

async fn flush(d: &Deployment) -> anyhow::Result<()> {
    d.audit.close().await.context("closing the audit log")
}

/// `None` for `--all`; the user for `--email` (an error naming the email if there is none).
async fn user_of(d: &Deployment, target: &Target) -> anyhow::Result<Option<UserId>> {
    match (&target.email, target.all) {
        (Some(email), false) => {
            let normalized = email.trim().to_lowercase();
            let account = d
                .store
                .account_by_email(&normalized)
                .await
                .context("looking up the user")?
                .with_context(|| format!("no user with email {normalized}"))?;
            Ok(Some(account.id))
        }
        (None, true) => Ok(None),
        _ => bail!("give exactly one of --all or --email"),
    }
}

async fn create_user(
    args: &DeploymentArgs,
    email: &str,
    role: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let role = Role::parse(role).map_err(|_| anyhow::anyhow!("--role must be user or admin"))?;
    let password = if password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the password from standard input")?;
        // One trailing newline (from `echo` or a file) is not part of the password.
        let trimmed = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text)
            .to_owned();
        let secret = SecretString::new(trimmed);
        zeroize::Zeroize::zeroize(&mut text);
        if secret.expose().is_empty() {
            bail!("--password-stdin: standard input held no password");
        }
        Some(secret)
    } else {
        None
    };
    let (d, auth) = open(args).await?;
    let created = auth
        .create_user(&Actor::Cli, email, role, password, now_us())
        .await?;
    flush(&d).await?;
    match created.setup_token {
        Some(token) => {
            let hours = auth.config().setup_ttl.as_secs() / 3600;
            println!("created user {} ({})", created.user_id, role.as_str());
            println!(
                "one-time setup link (valid {hours} h; the secret part after # never reaches server logs):"
            );
            println!(
                "{}/setup#challenge={}",
                d.config.server.public_url(),
                token.expose()
            );
        }
        None => println!(
            "created user {} ({}) with the given password",
            created.user_id,
            role.as_str()
        ),
    }
    Ok(())
}

async fn set_trading(
    args: &DeploymentArgs,
    enabled: bool,
    reason: Option<&str>,
    email: Option<&str>,
) -> anyhow::Result<()> {
    let d = Deployment::open(args).await?;
    let reason = reason.unwrap_or("set with tradeward admin trading");
    let ctx = CallContext::component("cli");
    let state = if enabled { "enabled" } else { "disabled" };
    match email {
        None => {
            d.signer()
                .set_global_trading(&ctx, enabled, reason)
                .await
                .context("setting the global trading switch")?;
            println!("trading {state}");
        }
        Some(email) => {
            let target = Target {
                all: false,
                email: Some(email.to_owned()),
            };
            let user = user_of(&d, &target)
                .await?
                .context("--email names no user")?;
            d.signer()
                .set_user_trading(&ctx, user, enabled, reason)
                .await
                .context("setting the user's trading switch")?;
            println!("trading {state} for user {user}");
        }
    }
    d.audit.close().await.context("closing the audit log")
}

fn now_us() -> i64 {
    use tradeward_server::Clock;
    tradeward_server::SystemClock.now_us()
}
