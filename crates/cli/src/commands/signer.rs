//! `tradeward signer --socket PATH`: the signer as its own process.

use std::path::Path;

use anyhow::Context;
use tradeward_signer::remote::{serve, ServerConfig};

use super::deployment::Deployment;
use crate::DeploymentArgs;

pub async fn run(args: &DeploymentArgs, socket: &Path) -> anyhow::Result<()> {
    let deployment = Deployment::open(args).await?;
    let signer = deployment.signer();
    let config = ServerConfig {
        allowed_uids: deployment.config.signer.allowed_uids.clone(),
    };
    eprintln!(
        "tradeward signer: serving {} (Ctrl-C to stop)",
        socket.display()
    );
    serve(signer, socket, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .with_context(|| format!("serving {}", socket.display()))?;
    deployment
        .audit
        .close()
        .await
        .context("closing the audit log")?;
    Ok(())
}
