//! `ferry serve`'s TLS: which certificate each door serves, and the SIGHUP reload.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use ferry_tcp::Tls;
use tokio_util::sync::CancellationToken;

use super::args::TlsArgs;

/// The TLS of each door; `None` where the door is plain.
#[derive(Debug, Default)]
pub struct DoorsTls {
    pub tcp: Option<Tls>,
    pub http: Option<Tls>,
}

impl DoorsTls {
    /// Loads the certificates `args` name, making the self-signed one under `data/tls` first
    /// when asked to.
    pub fn load(args: &TlsArgs, data: &Path, listen: [SocketAddr; 2]) -> anyhow::Result<Self> {
        let shared = if args.tls_self_signed {
            let names: Vec<String> = listen
                .iter()
                .map(|a| a.ip())
                .filter(|ip| !ip.is_unspecified())
                .map(|ip| ip.to_string())
                .collect();
            let dir = data.join("tls");
            let (cert, key) = ferry_net::tls::self_signed::ensure(&dir, &names)
                .with_context(|| format!("cannot make a certificate in {}", dir.display()))?;
            Some(open(&cert, &key)?)
        } else {
            match (&args.tls_cert, &args.tls_key) {
                (Some(cert), Some(key)) => Some(open(cert, key)?),
                _ => None,
            }
        };
        let http = match (&args.http_tls_cert, &args.http_tls_key) {
            (Some(cert), Some(key)) => Some(open(cert, key)?),
            _ => shared.clone(),
        };
        Ok(DoorsTls { tcp: shared, http })
    }

    /// Prints each door's certificate fingerprint, what a client pins with `--fingerprint`.
    pub fn announce(&self) {
        if let Some(tls) = &self.tcp {
            println!("ferry: tcp tls certificate sha256 {}", tls.fingerprint());
        }
        if let Some(tls) = &self.http {
            println!("ferry: http tls certificate sha256 {}", tls.fingerprint());
        }
    }

    /// Re-reads the certificates on every SIGHUP until shutdown. Open connections keep their
    /// sessions; a file that fails to load leaves the old certificate in place. Without TLS a
    /// SIGHUP (a service manager's `reload`) is logged and changes nothing; it never stops
    /// the server.
    /// `hup` is installed by the caller before the server says it is listening, so a reload
    /// sent right after start is never the default action (which ends the process).
    pub async fn reload_on_sighup(
        self,
        hup: Option<tokio::signal::unix::Signal>,
        shutdown: CancellationToken,
    ) {
        let Some(mut hup) = hup else {
            tracing::warn!("cannot listen for SIGHUP; certificates will not be reloaded");
            return;
        };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                got = hup.recv() => if got.is_none() { return },
            }
            if self.tcp.is_none() && self.http.is_none() {
                tracing::info!("SIGHUP: no TLS certificate to reload");
                continue;
            }
            for (door, tls) in [("tcp", &self.tcp), ("http", &self.http)] {
                let Some(tls) = tls else { continue };
                match tls.reload() {
                    Ok(()) => {
                        tracing::info!(door, fingerprint = %tls.fingerprint(), "TLS certificate reloaded");
                        println!(
                            "ferry: {door} tls certificate reloaded, sha256 {}",
                            tls.fingerprint()
                        );
                    }
                    Err(e) => {
                        tracing::warn!(door, error = %e, "TLS certificate reload failed; keeping the old one");
                    }
                }
            }
        }
    }
}

fn open(cert: &Path, key: &Path) -> anyhow::Result<Tls> {
    Tls::from_pem_files(cert, key)
        .with_context(|| format!("cannot load the TLS certificate {}", cert.display()))
}
