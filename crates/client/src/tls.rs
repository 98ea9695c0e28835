//! TLS on the client side: what a server's certificate is checked against.
//!
//! Three ways to trust a server, never none: the public web PKI roots (the default), a CA
//! certificate file (a private CA), or a pinned SHA-256 fingerprint of the server's own
//! certificate (a self-signed one, as `ferry serve --tls-self-signed` prints). A certificate
//! that fails the check ends the connection with [`ClientError::Tls`]; there is no fallback
//! to plain text.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use ferry_net::tls::ReadAhead;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::ClientError;

/// How this client checks the server's certificate. A cheap `Clone`.
#[derive(Clone)]
pub struct TlsClient {
    connector: TlsConnector,
    how: &'static str,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("trust", &self.how)
            .finish()
    }
}

/// `ring`, named rather than taken from the process default (see the workspace manifest).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn builder()
-> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>, ClientError> {
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))
}

impl TlsClient {
    /// Trusts the web PKI roots (Mozilla's list, built in).
    pub fn webpki() -> Result<TlsClient, ClientError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = builder()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsClient::from_config(config, "webpki roots"))
    }

    /// Trusts the CA certificates in the PEM file at `path` (and nothing else).
    pub fn with_ca_file(path: &Path) -> Result<TlsClient, ClientError> {
        let bad = |e: &dyn fmt::Display| {
            ClientError::Tls(format!("cannot read the CA file {}: {e}", path.display()))
        };
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|c| c.collect::<Result<Vec<_>, _>>())
            .map_err(|e| bad(&e))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in certs {
            roots.add(cert).map_err(|e| bad(&e))?;
        }
        if roots.is_empty() {
            return Err(bad(&"no certificate in it"));
        }
        let config = builder()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsClient::from_config(config, "CA file"))
    }

    /// Trusts exactly the certificate whose SHA-256 is `fingerprint` (64 hex digits, colons
    /// optional), whatever names it carries and whoever signed it.
    pub fn pinned(fingerprint: &str) -> Result<TlsClient, ClientError> {
        let pin = parse_fingerprint(fingerprint)?;
        let verifier = Pinned {
            pin,
            algorithms: provider().signature_verification_algorithms,
        };
        let config = builder()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(TlsClient::from_config(config, "pinned fingerprint"))
    }

    fn from_config(config: rustls::ClientConfig, how: &'static str) -> TlsClient {
        TlsClient {
            connector: TlsConnector::from(Arc::new(config)),
            how,
        }
    }

    /// Runs the handshake on `stream` for the server named by the host part of `addr`.
    pub(crate) async fn connect(
        &self,
        addr: &str,
        stream: TcpStream,
    ) -> Result<TlsStream<ReadAhead<TcpStream>>, ClientError> {
        let name = server_name(addr)?;
        // rustls reads 4 KiB at a time; a download would take a `read` call per 4 KiB.
        self.connector
            .connect(name, ReadAhead::new(stream))
            .await
            .map_err(|e| ClientError::Tls(format!("TLS handshake with {addr} failed: {e}")))
    }
}

/// The host part of `HOST:PORT` (`[v6]:PORT` too) as a TLS server name.
fn server_name(addr: &str) -> Result<ServerName<'static>, ClientError> {
    let host = match addr.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => addr,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|e| ClientError::Tls(format!("{host} cannot be a TLS server name: {e}")))
}

/// `AB:CD:…` or `abcd…` into 32 bytes.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], ClientError> {
    let hex_digits: String = text.chars().filter(|c| *c != ':').collect();
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digits.trim(), &mut out).map_err(|_| {
        ClientError::Tls(format!(
            "{text} is not a SHA-256 fingerprint (64 hex digits, colons optional)"
        ))
    })?;
    Ok(out)
}

/// Accepts the one certificate whose SHA-256 is pinned. Signatures of the handshake are still
/// checked against that certificate's key, so only its holder can complete the handshake.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use sha2::Digest;
        let got: [u8; 32] = sha2::Sha256::digest(end_entity.as_ref()).into();
        // Not secret: the certificate is public, so a plain comparison leaks nothing.
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate has SHA-256 {}, not the pinned one",
                hex::encode(got)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons_and_nothing_else() {
        let plain = "00".repeat(31) + "ff";
        let colons = plain
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(parse_fingerprint(&plain).unwrap()[31], 0xff);
        assert_eq!(parse_fingerprint(&colons).unwrap()[31], 0xff);
        assert_eq!(parse_fingerprint("abcd").unwrap_err().code(), "tls_error");
    }

    #[test]
    fn server_names_come_from_the_host_part() {
        for (addr, is_ip) in [
            ("127.0.0.1:7070", true),
            ("[::1]:7070", true),
            ("files.example:7070", false),
        ] {
            let name = server_name(addr).unwrap();
            assert_eq!(matches!(name, ServerName::IpAddress(_)), is_ip, "{addr}");
            assert_eq!(matches!(name, ServerName::DnsName(_)), !is_ip, "{addr}");
        }
    }
}
