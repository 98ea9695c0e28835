//! `--tls-self-signed`: a certificate made on first start and kept, so its fingerprint stays
//! the same across restarts and clients can pin it.

use std::io;
use std::path::{Path, PathBuf};

/// The certificate and key files in `dir` (`cert.pem`, `key.pem`), made for `names` plus
/// `localhost` and `127.0.0.1` if they do not exist yet. An existing pair is kept as it is,
/// even when `names` changed: a new certificate would break every client that pinned the old
/// one; delete the files to make a new one.
pub fn ensure(dir: &Path, names: &[String]) -> io::Result<(PathBuf, PathBuf)> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(dir)?;
    let mut all: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    for name in names {
        if !all.contains(name) {
            all.push(name.clone());
        }
    }
    let made = rcgen::generate_simple_self_signed(all).map_err(io::Error::other)?;
    write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
    std::fs::write(&cert, made.cert.pem())?;
    Ok((cert, key))
}

/// Writes the key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}
