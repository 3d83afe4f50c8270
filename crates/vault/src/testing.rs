//! Test and benchmark support: a private SoftHSM2 token for this process.
//!
//! Used by this crate's tests and by other crates' tests and benchmarks that need a real HSM.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::provider::pkcs11::Pkcs11Config;
use crate::secret::SecretBytes;

/// Where Debian's softhsm2 package puts the PKCS#11 module.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// Creates a SoftHSM2 token directory and config under `root`, initializes one token labelled
/// `label` with the given PINs, and returns the provider config for it.
///
/// Sets `SOFTHSM2_CONF` for the whole process: safe only because each test runs in its own
/// process (nextest) and the module reads the variable once, at its first `C_Initialize`, which
/// must come after this call.
pub fn softhsm_token(
    root: &Path,
    label: &str,
    so_pin: &str,
    user_pin: &str,
) -> Result<Pkcs11Config, String> {
    let tokens = root.join("tokens");
    std::fs::create_dir_all(&tokens)
        .map_err(|e| format!("cannot create {}: {e}", tokens.display()))?;
    let conf = root.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let out = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            so_pin,
            "--pin",
            user_pin,
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .map_err(|e| format!("softhsm2-util must be installed (apt-get install softhsm2): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "softhsm2-util --init-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(Pkcs11Config {
        module_path: PathBuf::from(SOFTHSM_MODULE),
        token_label: label.to_owned(),
        pin: SecretBytes::from_slice(user_pin.as_bytes()),
        key_label_prefix: "tradeward-kek".to_owned(),
    })
}
