//! HTTPS from the server itself: a PEM certificate chain and key into a rustls configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::ServerConfig;

/// Why HTTPS cannot be served as configured.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Only one of certificate and key was given.
    #[error("--tls-cert and --tls-key (tls_cert, tls_key) go together: {given} was given without {missing}")]
    Half {
        /// The setting given.
        given: &'static str,
        /// The setting missing.
        missing: &'static str,
    },
    /// The certificate file could not be read or holds no PEM certificate.
    #[error("the TLS certificate {path}: {reason}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key file could not be read or holds no PEM private key.
    #[error("the TLS private key {path}: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate and key do not make a usable server identity (e.g. they do not match).
    #[error("the TLS certificate and key cannot be used together: {0}")]
    Unusable(String),
}

/// The configuration for the given files: none when neither is given, an error when only one is.
pub fn configure(
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(TlsError::Half {
            given: "--tls-cert",
            missing: "--tls-key",
        }),
        (None, Some(_)) => Err(TlsError::Half {
            given: "--tls-key",
            missing: "--tls-cert",
        }),
        (Some(cert), Some(key)) => load(cert, key).map(Some),
    }
}

/// Reads a PEM certificate chain (leaf first) and its PEM private key.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_error = |reason: String| TlsError::Certificate {
        path: cert.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(format!("not PEM: {e}")))?;
    if chain.is_empty() {
        return Err(cert_error("no PEM CERTIFICATE block in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.to_path_buf(),
        reason: match e {
            rustls_pki_types::pem::Error::NoItemsFound => {
                "no PEM PRIVATE KEY block in the file".into()
            }
            e => e.to_string(),
        },
    })?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Unusable(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Unusable(e.to_string()))?;
    // HTTP/1.1 only over TLS: hyper's HTTP/2 has no idle timeout, so a browser's idle HTTP/2
    // connections would hold their slots under the connection cap.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_without_a_key_is_an_error_that_names_the_missing_flag() {
        let err = configure(Some(Path::new("cert.pem")), None).unwrap_err();
        assert!(err.to_string().contains("without --tls-key"), "{err}");
        assert!(configure(None, None).unwrap().is_none());
    }

    #[test]
    fn a_file_that_is_not_pem_or_is_missing_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        let err = load(&cert, &dir.path().join("key.pem")).unwrap_err();
        assert!(
            err.to_string().contains("cert.pem") && err.to_string().contains("no PEM"),
            "{err}"
        );
        let err = load(&dir.path().join("missing.pem"), &cert).unwrap_err();
        assert!(err.to_string().contains("missing.pem"), "{err}");
    }
}
