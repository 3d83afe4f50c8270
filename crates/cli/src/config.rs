//! The deployment's configuration: a TOML file overlaid by `TRADEWARD_*` environment variables,
//! validated at start-up with errors that name the bad setting.
//!
//! Nothing secret belongs here (threat S2): the KEK lives in its own directory or HSM, and an
//! HSM PIN or vault passphrase is named by the environment variable or file that holds it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;
use tradeward_vault::KeyProviderConfig;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where data lives.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// Where the key-encryption key of exchange secrets lives (signer side only).
    pub vault: Option<KeyProviderConfig>,
    /// Where the web tier's own KEK lives (it seals TOTP seeds). A separate key, so that the
    /// web-facing process never holds the KEK of exchange secrets when the signer runs apart
    /// (threat S6). Default with `--data-dir DIR`: a local KEK in `DIR.auth-kek`.
    pub auth_vault: Option<KeyProviderConfig>,
    /// How the signer runs.
    #[serde(default)]
    pub signer: SignerConfig,
    /// The HTTP server (`tradeward serve`).
    #[serde(default)]
    pub server: tradeward_server::ServerConfig,
    /// Where signed audit checkpoints are exported.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The trigger engine's venues (`tradeward serve`).
    #[serde(default)]
    pub engine: crate::commands::engine::EngineConfig,
}

/// `[audit]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The external checkpoint file (JSON lines), outside the database so that rewriting the
    /// database cannot rewrite history unnoticed. Default with `--data-dir DIR`:
    /// `DIR.audit-checkpoints.jsonl`. Env: `TRADEWARD_AUDIT_CHECKPOINT_FILE`.
    pub checkpoint_file: Option<PathBuf>,
}

/// `[database]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://...`. Env: `TRADEWARD_DATABASE_URL`.
    pub url: Option<String>,
}

/// `[signer]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerConfig {
    /// Unix socket of a separate signer process; unset means the signer runs in-process.
    /// Env: `TRADEWARD_SIGNER_SOCKET`.
    pub socket: Option<PathBuf>,
    /// Unix uids allowed to connect to `tradeward signer` (default: its own uid only).
    #[serde(default)]
    pub allowed_uids: Vec<u32>,
}

/// The resolved settings a command runs with.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Database URL.
    pub database_url: String,
    /// KEK provider.
    pub vault: KeyProviderConfig,
    /// The web tier's KEK (TOTP seeds); required only by commands that run the web tier.
    pub auth_vault: Option<KeyProviderConfig>,
    /// Signer settings.
    pub signer: SignerConfig,
    /// HTTP server settings.
    pub server: tradeward_server::ServerConfig,
    /// The external audit checkpoint file, if any.
    pub audit_checkpoint_file: Option<PathBuf>,
    /// The trigger engine's venues, checked.
    pub engine_venues: Vec<(
        tradeward_domain::Venue,
        tradeward_exchange::binance::BinanceConfig,
    )>,
}

impl Config {
    /// Reads `path` (if given), then applies the environment.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid config file {}", p.display()))?
            }
            None => Config {
                database: DatabaseConfig::default(),
                vault: None,
                auth_vault: None,
                signer: SignerConfig::default(),
                server: tradeward_server::ServerConfig::default(),
                audit: AuditConfig::default(),
                engine: Default::default(),
            },
        };
        if let Ok(url) = std::env::var("TRADEWARD_DATABASE_URL") {
            config.database.url = Some(url);
        }
        if let Ok(socket) = std::env::var("TRADEWARD_SIGNER_SOCKET") {
            config.signer.socket = Some(PathBuf::from(socket));
        }
        if let Ok(file) = std::env::var("TRADEWARD_AUDIT_CHECKPOINT_FILE") {
            config.audit.checkpoint_file = Some(PathBuf::from(file));
        }
        if let Ok(dir) = std::env::var("TRADEWARD_KEK_DIR") {
            config.vault = Some(KeyProviderConfig::Local {
                dir: PathBuf::from(dir),
                create_if_missing: false,
            });
        }
        Ok(config)
    }

    /// Fills defaults from `--data-dir` and checks every setting.
    ///
    /// With a data directory `DIR`, the database is `DIR/tradeward.db` and the KEK directory
    /// defaults to `DIR.kek` beside it: outside the data directory, so a copy of the data
    /// directory alone (a backup) holds no key.
    pub fn resolve(self, data_dir: Option<&Path>) -> anyhow::Result<Resolved> {
        let database_url = match (self.database.url, data_dir) {
            (Some(url), _) => url,
            (None, Some(dir)) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create data directory {}", dir.display()))?;
                format!("sqlite://{}", dir.join("tradeward.db").display())
            }
            (None, None) => bail!(
                "database.url is not set: give --data-dir DIR, set [database] url in the config, \
                 or TRADEWARD_DATABASE_URL"
            ),
        };
        let vault = match (self.vault, data_dir) {
            (Some(v), _) => v,
            (None, Some(dir)) => KeyProviderConfig::Local {
                dir: sibling_kek_dir(dir)?,
                create_if_missing: true,
            },
            (None, None) => bail!(
                "vault is not configured: add a [vault] section (kind = \"local\" | \
                 \"passphrase\" | \"pkcs11\") or give --data-dir DIR"
            ),
        };
        if let KeyProviderConfig::Local { dir, .. } = &vault {
            if let Some(data) = data_dir {
                let (data, kek) = (absolute(data)?, absolute(dir)?);
                if kek.starts_with(&data) {
                    bail!(
                        "vault.dir {} is inside the data directory {}: the KEK must live elsewhere",
                        kek.display(),
                        data.display()
                    );
                }
            }
        }
        let auth_vault = match (self.auth_vault, data_dir) {
            (Some(v), _) => Some(v),
            (None, Some(dir)) => Some(KeyProviderConfig::Local {
                dir: beside_data_dir(dir, ".auth-kek")?,
                create_if_missing: true,
            }),
            (None, None) => None,
        };
        if auth_vault.as_ref() == Some(&vault) {
            bail!(
                "auth_vault must not be the same KEK as vault: the web tier must not hold the \
                 exchange KEK"
            );
        }
        let audit_checkpoint_file = match (self.audit.checkpoint_file, data_dir) {
            (Some(file), _) => Some(file),
            (None, Some(dir)) => Some(beside_data_dir(dir, ".audit-checkpoints.jsonl")?),
            (None, None) => None,
        };
        let engine_venues = self.engine.binance_configs()?;
        Ok(Resolved {
            engine_venues,
            database_url,
            vault,
            auth_vault,
            signer: self.signer,
            server: self.server,
            audit_checkpoint_file,
        })
    }
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir()?.join(p)
    })
}

fn sibling_kek_dir(data_dir: &Path) -> anyhow::Result<PathBuf> {
    beside_data_dir(data_dir, ".kek")
}

/// `DIR{suffix}` next to the data directory `DIR`: where things that must survive a copy of
/// the data directory without travelling with it (the KEK, the audit checkpoints) live.
pub fn beside_data_dir(data_dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let abs = absolute(data_dir)?;
    let name = abs
        .file_name()
        .with_context(|| format!("--data-dir {} has no final component", data_dir.display()))?;
    let mut sibling = name.to_owned();
    sibling.push(suffix);
    Ok(abs.with_file_name(sibling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_puts_the_kek_beside_not_inside() {
        let r = Config::load(None)
            .unwrap()
            .resolve(Some(Path::new("/tmp/tw-config-test/data")))
            .unwrap();
        assert_eq!(
            r.database_url,
            "sqlite:///tmp/tw-config-test/data/tradeward.db"
        );
        match r.vault {
            KeyProviderConfig::Local { dir, .. } => {
                assert_eq!(dir, PathBuf::from("/tmp/tw-config-test/data.kek"))
            }
            other => panic!("unexpected provider {other:?}"),
        }
    }

    #[test]
    fn the_web_tier_gets_its_own_kek_never_the_exchange_one() {
        let r = Config::load(None)
            .unwrap()
            .resolve(Some(Path::new("/tmp/tw-config-test3/data")))
            .unwrap();
        match (&r.vault, r.auth_vault.as_ref().unwrap()) {
            (
                KeyProviderConfig::Local { dir: exchange, .. },
                KeyProviderConfig::Local { dir: auth, .. },
            ) => {
                assert_eq!(exchange, &PathBuf::from("/tmp/tw-config-test3/data.kek"));
                assert_eq!(auth, &PathBuf::from("/tmp/tw-config-test3/data.auth-kek"));
            }
            other => panic!("unexpected providers {other:?}"),
        }
        let same: Config = toml::from_str(
            "[vault]\nkind = \"local\"\ndir = \"/srv/kek\"\n[auth_vault]\nkind = \"local\"\ndir = \"/srv/kek\"\n",
        )
        .unwrap();
        let err = same
            .resolve(Some(Path::new("/tmp/tw-config-test3/data")))
            .unwrap_err();
        assert!(
            err.to_string().contains("must not be the same KEK"),
            "{err}"
        );
    }

    #[test]
    fn a_kek_inside_the_data_dir_is_refused() {
        let config: Config =
            toml::from_str("[vault]\nkind = \"local\"\ndir = \"/tmp/tw-config-test2/data/kek\"\n")
                .unwrap();
        let err = config
            .resolve(Some(Path::new("/tmp/tw-config-test2/data")))
            .unwrap_err();
        assert!(
            err.to_string().contains("inside the data directory"),
            "{err}"
        );
    }

    #[test]
    fn unknown_settings_are_named() {
        let err = toml::from_str::<Config>("[database]\nurll = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `urll`"), "{err}");
    }
}
