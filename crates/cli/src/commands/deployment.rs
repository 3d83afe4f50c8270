//! Opening a deployment's store, vault and signer from its configuration.

use std::sync::Arc;

use anyhow::Context;
use tradeward_audit::{CheckpointPolicy, CheckpointSigner, Checkpointer, StoreAuditSink};
use tradeward_signer::Signer;
use tradeward_store::Store;
use tradeward_vault::Vault;

use crate::config::{Config, Resolved};
use crate::DeploymentArgs;

/// A deployment opened for a command.
#[derive(Debug)]
pub struct Deployment {
    pub config: Resolved,
    pub store: Store,
    pub vault: Vault,
    pub audit: StoreAuditSink,
}

impl Deployment {
    /// Loads the configuration, opens (and migrates) the store, opens the KEK provider.
    pub async fn open(args: &DeploymentArgs) -> anyhow::Result<Self> {
        let config = Config::load(args.config.as_deref())?.resolve(args.data_dir.as_deref())?;
        let store = Store::open(&config.database_url)
            .await
            .context("opening the database")?;
        let provider = config
            .vault
            .build()
            .context("opening the key-encryption key")?;
        let vault = Vault::new(provider);
        // Whoever holds the KEK signs checkpoints and exports them outside the database.
        let signer = CheckpointSigner::load_or_create(&store, &vault)
            .await
            .context("opening the audit checkpoint key")?;
        let checkpointer =
            Checkpointer::open(store.clone(), signer, config.audit_checkpoint_file.clone())
                .await
                .context("opening the audit checkpointer")?;
        let audit = StoreAuditSink::spawn_with_checkpoints(
            store.clone(),
            checkpointer,
            CheckpointPolicy::default(),
        );
        Ok(Self {
            config,
            store,
            vault,
            audit,
        })
    }

    /// An in-process signer over this deployment.
    pub fn signer(&self) -> Signer {
        Signer::new(
            self.store.clone(),
            self.vault.clone(),
            Arc::new(self.audit.clone()),
        )
    }
}
