//! `tradeward vault ...`: KEK rotation and status.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::deployment::Deployment;
use crate::DeploymentArgs;

pub async fn rotate_kek(args: &DeploymentArgs) -> anyhow::Result<()> {
    let deployment = Deployment::open(args).await?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} re-wrapping data keys [{bar:40}] {pos}/{len} ({eta})",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let report = tradeward_signer::rotate_kek(
        &deployment.store,
        &deployment.vault,
        &deployment.audit,
        "cli",
        |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )
    .await
    .context("rotating the KEK")?;
    bar.finish_and_clear();
    deployment
        .audit
        .close()
        .await
        .context("closing the audit log")?;
    let how = if report.created_version {
        "new"
    } else {
        "resumed rotation to"
    };
    println!(
        "KEK rotated: {how} version {}; {} data keys re-wrapped",
        report.version, report.rewrapped
    );
    Ok(())
}

pub async fn status(args: &DeploymentArgs) -> anyhow::Result<()> {
    let deployment = Deployment::open(args).await?;
    println!(
        "current KEK version: {}",
        deployment.vault.current_kek_version()
    );
    for (version, count) in deployment.store.sealed_secret_counts().await? {
        println!("  version {version}: {count} data keys");
    }
    Ok(())
}
