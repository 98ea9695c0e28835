//! PEM files into rustls' certificate and key types.

use std::io;
use std::path::Path;

use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Reads a PEM certificate chain (end entity first) and a PEM private key (PKCS#8, PKCS#1 or
/// SEC1), and checks that the key belongs to the certificate.
pub fn load(cert: &Path, key: &Path) -> io::Result<CertifiedKey> {
    let invalid = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} {}: {e}", path.display()),
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid("cannot read the certificate", cert, &e))?;
    if chain.is_empty() {
        return Err(invalid("no certificate in", cert, &"empty"));
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| invalid("cannot read the key", key, &e))?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(chain, key_der, &provider)
        .map_err(|e| invalid("the key does not fit the certificate", key, &e))?;
    Ok(certified)
}
