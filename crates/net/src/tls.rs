//! TLS for both doors: a rustls acceptor whose certificate can be swapped while it serves.
//!
//! A door stays generic over its stream ([`Io`](crate::Io)); TLS is a wrapper put around the
//! accepted stream by [`Tls::accept`] before the door's own protocol starts, so neither
//! door's protocol code knows whether it is encrypted.
//!
//! - [`resolver`]: [`ReloadableCert`] — rustls asks it for the certificate on every handshake;
//!   [`Tls::reload`] replaces what it holds, so connections already open keep their session
//!   and new ones get the new certificate (SIGHUP in `ferry serve`).
//! - [`pem`]: reading a PEM certificate chain and private key into rustls' types.
//! - [`read_ahead`]: large socket reads under the session (rustls reads 4 KiB at a time).
//! - [`self_signed`]: a generated certificate kept in the data folder, for `--tls-self-signed`.
//! - [`suites`]: the cipher suites in the server's order of preference (AES-128-GCM first).

pub mod pem;
pub mod read_ahead;
pub mod resolver;
pub mod self_signed;
pub mod suites;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

pub use read_ahead::ReadAhead;
pub use resolver::ReloadableCert;

/// How long a client has to finish the TLS handshake after connecting. A peer that connects
/// and says nothing holds a connection permit; this bounds it the way the doors' own header
/// and login deadlines do once the session has started.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A door's TLS: the acceptor, where its certificate comes from, and the handshake deadline.
/// A cheap `Clone`; every clone serves (and reloads) the same certificate.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    cert: Arc<ReloadableCert>,
    files: Arc<(PathBuf, PathBuf)>,
    handshake_timeout: Duration,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.files.0)
            .field("key", &self.files.1)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl Tls {
    /// TLS serving the PEM certificate chain in `cert` with the PEM private key in `key`.
    pub fn from_pem_files(cert: &Path, key: &Path) -> io::Result<Tls> {
        let certified = pem::load(cert, key)?;
        let resolver = Arc::new(ReloadableCert::new(certified));
        // The process-wide default provider is not relied on: `ring` is named here, so a
        // dependency that enables another provider cannot make this ambiguous.
        let provider = Arc::new(suites::server_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = Vec::new();
        // The server's order decides (see `suites`), not the client's.
        config.ignore_client_order = true;
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            cert: resolver,
            files: Arc::new((cert.to_path_buf(), key.to_path_buf())),
            handshake_timeout: HANDSHAKE_TIMEOUT,
        })
    }

    /// The same TLS with another handshake deadline (tests use a short one).
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Tls {
        self.handshake_timeout = timeout;
        self
    }

    /// Reads the certificate and key files again and serves them to new connections. On an
    /// error the certificate served so far stays in place.
    pub fn reload(&self) -> io::Result<()> {
        let certified = pem::load(&self.files.0, &self.files.1)?;
        self.cert.replace(certified);
        Ok(())
    }

    /// The SHA-256 fingerprint of the certificate served now (lowercase hex pairs joined by
    /// colons), what `ferry --fingerprint` pins.
    pub fn fingerprint(&self) -> String {
        self.cert.fingerprint()
    }

    /// Looks at the client's first byte, then runs the handshake if it can begin one, all
    /// within the handshake deadline. A first byte that cannot start a TLS record (a plain
    /// `GET ...` sent to an HTTPS port) is handed back unread, so the door can answer in plain
    /// text instead of with a TLS alert the client cannot read.
    pub async fn open<S: crate::Io>(&self, stream: S) -> io::Result<Opening<S>> {
        let mut stream = ReadAhead::new(stream);
        let deadline = tokio::time::Instant::now() + self.handshake_timeout;
        let first = match tokio::time::timeout_at(deadline, stream.first_byte()).await {
            Ok(first) => first?,
            Err(_) => return Err(timed_out()),
        };
        if first != Some(HANDSHAKE_RECORD) {
            return Ok(Opening::PlainText(stream));
        }
        match tokio::time::timeout_at(deadline, self.acceptor.accept(stream)).await {
            Ok(session) => Ok(Opening::Tls(Box::new(session?))),
            Err(_) => Err(timed_out()),
        }
    }

    /// Runs the server side of the handshake on an accepted stream, within the deadline.
    pub async fn accept<S: crate::Io>(&self, stream: S) -> io::Result<TlsStream<ReadAhead<S>>> {
        let accept = self.acceptor.accept(ReadAhead::new(stream));
        match tokio::time::timeout(self.handshake_timeout, accept).await {
            Ok(result) => result,
            Err(_) => Err(timed_out()),
        }
    }
}

/// The content type of a TLS handshake record: the first byte of every ClientHello.
const HANDSHAKE_RECORD: u8 = 0x16;

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")
}

/// How a connection to a TLS port began ([`Tls::open`]).
#[derive(Debug)]
pub enum Opening<S> {
    /// A finished handshake.
    Tls(Box<TlsStream<ReadAhead<S>>>),
    /// The client's first byte cannot begin a TLS handshake: it spoke plain text to a TLS
    /// port. Nothing it sent has been consumed.
    PlainText(ReadAhead<S>),
}

/// SHA-256 of DER bytes as lowercase hex pairs joined by colons.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(der);
    digest
        .iter()
        .map(|b| hex::encode([*b]))
        .collect::<Vec<_>>()
        .join(":")
}
