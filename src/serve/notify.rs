//! systemd's readiness protocol (sd_notify(3)), without linking libsystemd: one datagram with
//! `READY=1` once both doors listen, `STOPPING=1` when shutdown begins, `STATUS=…` for
//! `systemctl status`. Does nothing unless the service manager set `NOTIFY_SOCKET`.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;

/// Sends `state` (newline-separated `KEY=value` assignments) to the service manager, if any.
/// A failure is logged and otherwise ignored: readiness is a courtesy, not a reason to stop.
pub fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    if let Err(e) = send(path.as_bytes(), state) {
        tracing::warn!(error = %e, "cannot notify the service manager");
    }
}

fn send(path: &[u8], state: &str) -> std::io::Result<usize> {
    let socket = UnixDatagram::unbound()?;
    match path.strip_prefix(b"@") {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            socket.send_to_addr(state.as_bytes(), &addr)
        }
        None => socket.send_to(state.as_bytes(), std::ffi::OsStr::from_bytes(path)),
    }
}
