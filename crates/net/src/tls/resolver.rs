//! The certificate rustls serves, replaceable while the server runs.

use std::fmt;
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// Hands every handshake the current certificate. A `RwLock` over an `Arc` rather than a
/// lock-free swap: it is read once per handshake and held only to clone the `Arc`, so there is
/// nothing to win, and it needs no further dependency.
pub struct ReloadableCert {
    current: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for ReloadableCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadableCert")
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl ReloadableCert {
    /// Starts with `cert`.
    pub fn new(cert: CertifiedKey) -> Self {
        ReloadableCert {
            current: RwLock::new(Arc::new(cert)),
        }
    }

    /// Serves `cert` from the next handshake on. Sessions already established are not
    /// touched: their keys were agreed at their own handshake.
    pub fn replace(&self, cert: CertifiedKey) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(cert);
    }

    fn get(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The SHA-256 fingerprint of the end-entity certificate served now.
    pub fn fingerprint(&self) -> String {
        self.get()
            .end_entity_cert()
            .map(|der| super::fingerprint(der))
            .unwrap_or_default()
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}
