//! `tradeward`: one binary whose subcommands wire Tradeward's crates together.
//!
//! Exit status is 0 on success; otherwise non-zero with a one-line reason on stderr.

mod commands;
mod config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tradeward: a self-hosted, security-first, multi-exchange crypto trading server.
#[derive(Debug, Parser)]
#[command(name = "tradeward", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every command that works on a deployment's data takes.
#[derive(Debug, clap::Args)]
pub struct DeploymentArgs {
    /// The configuration file (TOML), overlaid by TRADEWARD_* environment variables.
    #[arg(long, env = "TRADEWARD_CONFIG")]
    config: Option<PathBuf>,
    /// The data directory (database inside; KEK beside it in DIR.kek unless configured).
    #[arg(long, env = "TRADEWARD_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Everything on embedded defaults: SQLite, local KEKs, the sim in-process, the HTTPS
    /// server, and a demo user with a sim key; prints the URL and a one-time password.
    Demo {
        #[command(flatten)]
        args: commands::demo::DemoArgs,
    },
    /// Runs the simulated exchange (Binance Spot dialect) alone.
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: String,
        /// Markets, accounts and price process (TOML); a demo set when absent.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Runs the signer as its own process, serving a Unix socket.
    Signer {
        #[command(flatten)]
        deployment: DeploymentArgs,
        /// The socket path to serve.
        #[arg(long)]
        socket: PathBuf,
    },
    /// The tamper-evident audit log: verify, export, checkpoint, report.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Runs the server: the HTTP API over TLS (signer in-process unless configured remote).
    Serve {
        #[command(flatten)]
        deployment: DeploymentArgs,
    },
    /// Administration: users, the trading switch, forced resets, sessions.
    Admin {
        #[command(subcommand)]
        command: commands::admin::AdminCommand,
    },
    /// Key-encryption-key management.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Checks the hash chain, the Merkle tree and every checkpoint (database and external
    /// file); names the first bad entry and exits non-zero on any problem.
    Verify {
        #[command(flatten)]
        args: commands::audit::AuditArgs,
        /// The Ed25519 public key (64 hex digits) checkpoints must be signed by. Default: the
        /// key of the first checkpoint in the external file.
        #[arg(long, env = "TRADEWARD_AUDIT_PUBLIC_KEY")]
        public_key: Option<String>,
        /// Check an export file instead of the database.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Writes every entry with its inclusion proof against a fresh checkpoint.
    Export {
        #[command(flatten)]
        args: commands::audit::AuditArgs,
        /// The file to write (JSON lines).
        #[arg(long)]
        out: PathBuf,
    },
    /// Makes a signed checkpoint now (database and external file).
    Checkpoint {
        #[command(flatten)]
        args: commands::audit::AuditArgs,
    },
    /// The incident report: failed logins, new addresses, keys added, signer refusals,
    /// switches, revocations and resets in the window, with counts per category.
    Report {
        #[command(flatten)]
        args: commands::report::ReportArgs,
    },
}

#[derive(Debug, Subcommand)]
enum VaultCommand {
    /// Re-wraps every data key under a new KEK version (online, resumable, with progress).
    RotateKek {
        #[command(flatten)]
        deployment: DeploymentArgs,
    },
    /// Shows the current KEK version and how many data keys each version wraps.
    Status {
        #[command(flatten)]
        deployment: DeploymentArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tradeward: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo { args } => commands::demo::run(&args).await,
            Command::Sim { listen, config } => commands::sim::run(&listen, config.as_deref()).await,
            Command::Signer { deployment, socket } => {
                commands::signer::run(&deployment, &socket).await
            }
            Command::Audit {
                command:
                    AuditCommand::Verify {
                        args,
                        public_key,
                        export,
                    },
            } => commands::audit::verify(&args, public_key.as_deref(), export.as_deref()).await,
            Command::Audit {
                command: AuditCommand::Export { args, out },
            } => commands::audit::export(&args, &out).await,
            Command::Audit {
                command: AuditCommand::Checkpoint { args },
            } => commands::audit::checkpoint(&args).await,
            Command::Audit {
                command: AuditCommand::Report { args },
            } => commands::report::run(&args).await,
            Command::Serve { deployment } => commands::serve::run(&deployment).await,
            Command::Admin { command } => commands::admin::run(command).await,
            Command::Vault {
                command: VaultCommand::RotateKek { deployment },
            } => commands::vault::rotate_kek(&deployment).await,
            Command::Vault {
                command: VaultCommand::Status { deployment },
            } => commands::vault::status(&deployment).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes joined, as the contract asks.
            let reason = e
                .chain()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            // Some causes (TOML parse errors) span lines; the contract wants one.
            let reason = reason
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("tradeward: {reason}");
            ExitCode::FAILURE
        }
    }
}
