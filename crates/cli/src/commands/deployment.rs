//! Opening a deployment's store, vault and signer from its configuration.

use std::sync::Arc;

use anyhow::Context;
use tradeward_audit::{CheckpointPolicy, CheckpointSigner, Checkpointer, StoreAuditSink};
use tradeward_signer::{ContainmentPolicy, Signer};
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

    /// The web tier's own vault (TOTP seeds), distinct from the exchange KEK.
    pub fn auth_vault(&self) -> anyhow::Result<Vault> {
        open_auth_vault(&self.config)
    }

    /// An in-process signer over this deployment, with automatic containment on (a burst of
    /// refusals for one user turns that user's trading off).
    pub fn signer(&self) -> Signer {
        let signer = Signer::new(
            self.store.clone(),
            self.vault.clone(),
            Arc::new(self.audit.clone()),
        );
        signer.set_containment(Some(ContainmentPolicy::default()));
        signer
    }
}

fn open_auth_vault(config: &Resolved) -> anyhow::Result<Vault> {
    let Some(auth_vault) = &config.auth_vault else {
        anyhow::bail!(
            "auth_vault is not configured: add an [auth_vault] section (a KEK distinct from \
             [vault], for the web tier's TOTP seeds) or give --data-dir DIR"
        );
    };
    let provider = auth_vault
        .build()
        .context("opening the web tier's key-encryption key")?;
    Ok(Vault::new(provider))
}

/// The web-facing side of a deployment whose signer runs in its own process: it opens the
/// database and its own KEK (TOTP seeds), never the KEK of exchange secrets (threat S6).
#[derive(Debug)]
pub struct WebTier {
    pub config: Resolved,
    pub store: Store,
    pub auth_vault: Vault,
    pub audit: StoreAuditSink,
}

impl WebTier {
    /// Loads the configuration and opens the store and the web tier's vault.
    pub async fn open(args: &DeploymentArgs) -> anyhow::Result<Self> {
        let config = Config::load(args.config.as_deref())?.resolve(args.data_dir.as_deref())?;
        let store = Store::open(&config.database_url)
            .await
            .context("opening the database")?;
        let auth_vault = open_auth_vault(&config)?;
        // Checkpoints are signed on the signer side, which holds the checkpoint key.
        let audit = StoreAuditSink::spawn(store.clone());
        Ok(Self {
            config,
            store,
            auth_vault,
            audit,
        })
    }
}
