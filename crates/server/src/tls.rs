//! TLS: rustls on the ring backend, TLS 1.2 and 1.3 only, certificates from PEM files or a
//! self-signed localhost certificate made once and kept outside the data directory.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::config::TlsMode;
use crate::error::ServerError;

/// The certificate the server presents.
#[derive(Debug, Clone)]
pub struct ServerCert {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// SHA-256 of the leaf, as `AB:CD:...` (what browsers show).
    pub fingerprint: String,
    /// Whether it was generated just now (first run).
    pub generated: bool,
    key: Arc<PrivateKeyDer<'static>>,
}

impl ServerCert {
    /// Loads (or for [`TlsMode::SelfSigned`], makes once) the certificate. `None` for plain
    /// HTTP.
    pub fn load(mode: &TlsMode) -> Result<Option<Self>, ServerError> {
        match mode {
            TlsMode::PlainBehindProxy => Ok(None),
            TlsMode::Files { cert, key } => read_pair(cert, key, false).map(Some),
            TlsMode::SelfSigned { dir } => {
                let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
                if cert.exists() && key.exists() {
                    return read_pair(&cert, &key, false).map(Some);
                }
                generate(dir)?;
                read_pair(&cert, &key, true).map(Some)
            }
        }
    }

    /// The rustls configuration: TLS 1.2+ on ring, HTTP/2 and HTTP/1.1 by ALPN.
    pub fn rustls_config(&self) -> Result<rustls::ServerConfig, ServerError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| ServerError::Tls(format!("protocol versions: {e}")))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| ServerError::Tls(format!("certificate and key do not fit: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// SHA-256 of a DER certificate as colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn read_pair(cert: &Path, key: &Path, generated: bool) -> Result<ServerCert, ServerError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| ServerError::Tls(format!("reading {}: {e}", cert.display())))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServerError::Tls(format!("parsing {}: {e}", cert.display())))?;
    let leaf = chain
        .first()
        .ok_or_else(|| ServerError::Tls(format!("{} holds no certificate", cert.display())))?;
    let fingerprint = fingerprint(leaf.as_ref());
    // The key's own parse error is not shown: it could quote key material.
    let key = PrivateKeyDer::from_pem_file(key).map_err(|_| {
        ServerError::Tls(format!(
            "{} holds no readable PEM private key",
            key.display()
        ))
    })?;
    Ok(ServerCert {
        chain,
        fingerprint,
        generated,
        key: Arc::new(key),
    })
}

fn generate(dir: &Path) -> Result<(), ServerError> {
    let io = |what: String| move |source| ServerError::Io { what, source };
    create_private_dir(dir).map_err(io(format!("creating {}", dir.display())))?;
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| ServerError::Tls(format!("generating a self-signed certificate: {e}")))?;
    let key_pem = zeroize::Zeroizing::new(certified.key_pair.serialize_pem());
    write_file(&dir.join("key.pem"), key_pem.as_bytes(), 0o600)
        .map_err(io(format!("writing {}", dir.join("key.pem").display())))?;
    write_file(
        &dir.join("cert.pem"),
        certified.cert.pem().as_bytes(),
        0o644,
    )
    .map_err(io(format!("writing {}", dir.join("cert.pem").display())))?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn write_file(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn self_signed_is_made_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let mode = TlsMode::SelfSigned {
            dir: dir.path().join("data.tls"),
        };
        let first = ServerCert::load(&mode).unwrap().unwrap();
        assert!(first.generated);
        let second = ServerCert::load(&mode).unwrap().unwrap();
        assert!(!second.generated);
        assert_eq!(first.fingerprint, second.fingerprint);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        first.rustls_config().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(dir.path().join("data.tls/key.pem")).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn fingerprint_of_known_bytes() {
        // SHA-256("abc") from FIPS 180-2.
        assert!(fingerprint(b"abc").starts_with("BA:78:16:BF:8F:01:CF:EA"));
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, "not pem").unwrap();
        let err = read_pair(&cert, &dir.path().join("k.pem"), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.pem"), "{err}");
    }
}
