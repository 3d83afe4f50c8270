//! `tradeward audit verify | export | checkpoint`: the tamper-evident log from the shell.
//!
//! `verify` needs no secret: it reads the database, the external checkpoint file and a public
//! key. `checkpoint` and `export` sign, so they open the vault (the signer side's KEK).

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use ed25519_dalek::VerifyingKey;
use indicatif::{ProgressBar, ProgressStyle};
use tradeward_audit::{
    export_store, parse_public_key, verify_export, verify_store, CheckpointFile, CheckpointSigner,
    Checkpointer, KeySource, SignedCheckpoint, VerifyOptions,
};
use tradeward_store::Store;

use super::deployment::Deployment;
use crate::config::Config;
use crate::DeploymentArgs;

/// Options of every `audit` subcommand.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    /// The external checkpoint file (JSON lines). Default with --data-dir DIR:
    /// DIR.audit-checkpoints.jsonl beside the data directory.
    #[arg(long, env = "TRADEWARD_AUDIT_CHECKPOINT_FILE")]
    pub checkpoint_file: Option<PathBuf>,
}

/// The checkpoint file to use, and whether the operator named it (a named file must exist).
fn checkpoint_file(args: &AuditArgs) -> anyhow::Result<Option<(PathBuf, bool)>> {
    if let Some(p) = &args.checkpoint_file {
        return Ok(Some((p.clone(), true)));
    }
    let Some(dir) = &args.deployment.data_dir else {
        return Ok(None);
    };
    Ok(Some((
        crate::config::beside_data_dir(dir, ".audit-checkpoints.jsonl")?,
        false,
    )))
}

pub(crate) async fn open_store(args: &DeploymentArgs) -> anyhow::Result<Store> {
    let config = Config::load(args.config.as_deref())?.resolve(args.data_dir.as_deref())?;
    Store::open(&config.database_url)
        .await
        .context("opening the database")
}

fn progress_bar(what: &str) -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}}, {{eta}})"
        ))
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    Ok(bar)
}

/// The key to trust: `--public-key`, else the external file's first checkpoint's.
fn trusted_key(
    public_key: Option<&str>,
    file: Option<&Path>,
) -> anyhow::Result<Option<VerifyingKey>> {
    if let Some(text) = public_key {
        return Ok(Some(parse_public_key(text).context("--public-key")?));
    }
    if let Some(path) = file {
        if let Ok((lines, _)) = CheckpointFile::new(path).read() {
            if let Some(first) = lines.first() {
                return Ok(Some(first.checkpoint.claimed_key()?));
            }
        }
    }
    Ok(None)
}

pub async fn verify(
    args: &AuditArgs,
    public_key: Option<&str>,
    export: Option<&Path>,
) -> anyhow::Result<()> {
    let mut file = match checkpoint_file(args)? {
        Some((path, named)) => {
            if !named && !path.exists() {
                eprintln!(
                    "warning: no external checkpoint file at {}; checking database checkpoints only",
                    path.display()
                );
                None
            } else {
                Some(path)
            }
        }
        None => None,
    };
    if let Some(export) = export {
        let key = trusted_key(public_key, file.as_deref())?;
        if key.is_none() {
            eprintln!(
                "warning: no --public-key or checkpoint file: the export is checked only against \
                 the key it names itself"
            );
        }
        let input = std::fs::File::open(export)
            .with_context(|| format!("cannot open export {}", export.display()))?;
        let report = verify_export(BufReader::new(input), key.as_ref())
            .with_context(|| format!("export {} failed verification", export.display()))?;
        println!(
            "export OK: {} entries proven against the checkpoint at tree size {} (root {}); {} \
             earlier checkpoints proven consistent",
            report.entries,
            report.checkpoint.checkpoint.tree_size,
            hex::encode(report.checkpoint.checkpoint.root_hash),
            report.earlier
        );
        return Ok(());
    }
    let store = open_store(&args.deployment).await?;
    let options = VerifyOptions {
        trusted_key: trusted_key(public_key, file.as_deref())?,
        checkpoint_file: file.take(),
        page_size: None,
    };
    let bar = progress_bar("verifying")?;
    let started = std::time::Instant::now();
    let report = verify_store(&store, &options, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    let report = report.context("audit log verification failed")?;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "audit log OK: {} entries ({:.0}/s), root {}, {} checkpoints ({} from the external file), \
         last checkpoint at {}",
        report.entries,
        report.entries as f64 / secs,
        hex::encode(report.root),
        report.checkpoints,
        report.external_checkpoints,
        report.last_checkpoint_size
    );
    match report.key_source {
        KeySource::DatabaseOnly => eprintln!(
            "warning: checkpoints were checked only against the key stored in the database; pass \
             --public-key or keep a checkpoint file to detect a rewrite by a database writer"
        ),
        KeySource::None => eprintln!(
            "warning: no checkpoints yet: run `tradeward audit checkpoint` (the chain alone does \
             not stop someone who can write the database)"
        ),
        KeySource::Pinned | KeySource::ExternalFile => {}
    }
    if report.entries > report.last_checkpoint_size {
        eprintln!(
            "note: entries {}..={} are after the last checkpoint and covered by the chain only",
            report.last_checkpoint_size + 1,
            report.entries
        );
    }
    Ok(())
}

async fn checkpointer(args: &AuditArgs, deployment: &Deployment) -> anyhow::Result<Checkpointer> {
    let signer = CheckpointSigner::load_or_create(&deployment.store, &deployment.vault)
        .await
        .context("opening the audit checkpoint key")?;
    let file = checkpoint_file(args)?.map(|(p, _)| p);
    Ok(Checkpointer::open(deployment.store.clone(), signer, file).await?)
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub async fn checkpoint(args: &AuditArgs) -> anyhow::Result<()> {
    let deployment = Deployment::open(&args.deployment).await?;
    let mut cp = checkpointer(args, &deployment).await?;
    let key = hex::encode(cp.public_key().as_bytes());
    match cp
        .checkpoint(now_us())
        .await
        .context("making a checkpoint")?
    {
        Some(c) => println!(
            "checkpoint at tree size {}: root {}, public key {key}",
            c.checkpoint.tree_size,
            hex::encode(c.checkpoint.root_hash)
        ),
        None => println!("no new entries since the last checkpoint; public key {key}"),
    }
    deployment
        .audit
        .close()
        .await
        .context("closing the audit log")?;
    Ok(())
}

pub async fn export(args: &AuditArgs, out: &Path) -> anyhow::Result<()> {
    let deployment = Deployment::open(&args.deployment).await?;
    let mut cp = checkpointer(args, &deployment).await?;
    cp.checkpoint(now_us())
        .await
        .context("checkpointing before the export")?;
    let key = cp.public_key();
    let mut all = Vec::new();
    for row in deployment.store.audit_checkpoints().await? {
        let c = SignedCheckpoint::from_row(&row)?;
        c.verify(&key).with_context(|| {
            format!(
                "the checkpoint at tree size {} in the database",
                row.tree_size
            )
        })?;
        all.push(c);
    }
    let Some(latest) = all.pop() else {
        bail!("the audit log is empty: nothing to export");
    };
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut writer = BufWriter::new(file);
    let report = export_store(&deployment.store, &latest, &all, &mut writer)
        .await
        .context("exporting the audit log")?;
    println!(
        "exported {} entries with inclusion proofs to {} (checkpoint at tree size {}, {} earlier \
         checkpoints with consistency proofs); public key {}",
        report.entries,
        out.display(),
        report.checkpoint.checkpoint.tree_size,
        report.earlier,
        hex::encode(key.as_bytes())
    );
    deployment
        .audit
        .close()
        .await
        .context("closing the audit log")?;
    Ok(())
}
