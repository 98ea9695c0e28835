//! Small JSON records on disk, each replaced atomically (temp file + rename), and the data
//! folder's secret: the file format under [`crate::LocalMetaStore`].

use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ferry_core::{Error, Result};

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::internal(format!("corrupt record {}: {e}", path.display()))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::internal(e)),
    }
}

pub(crate) fn read_all<T: serde::de::DeserializeOwned>(dir: &Path) -> Result<Vec<T>> {
    Ok(read_all_named(dir)?.into_iter().map(|(_, v)| v).collect())
}

/// Every `*.json` record in `dir` with its file stem.
pub(crate) fn read_all_named<T: serde::de::DeserializeOwned>(
    dir: &Path,
) -> Result<Vec<(String, T)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(Error::internal)? {
        let path = entry.map_err(Error::internal)?.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "json") {
            match read_json(&path) {
                Ok(Some(v)) => out.push((stem.to_string(), v)),
                Ok(None) => {} // removed meanwhile
                Err(e) => {
                    tracing::warn!(path = ?path, error = ?e, "skipping unreadable record")
                }
            }
        }
    }
    Ok(out)
}

/// Replaces `path` with `value` atomically: temp file in the same folder, then rename.
pub(crate) fn write_json_atomic<T: serde::Serialize>(
    path: &Path,
    value: &T,
    durable: bool,
) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::internal("record path has no parent"))?;
    let mut rnd = [0u8; 8];
    getrandom::fill(&mut rnd).map_err(|e| Error::internal(e.to_string()))?;
    let tmp = dir.join(format!(".tmp-{}", hex::encode(rnd)));
    let bytes = serde_json::to_vec_pretty(value).map_err(Error::internal)?;
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&bytes)?;
        if durable {
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        if durable {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok::<_, std::io::Error>(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::from_io(e, ""));
    }
    Ok(())
}

/// Refuses a secret-bearing file or folder that the group or others may write (as sshd refuses
/// a writable `authorized_keys`): whoever can write an account or token file can log in as
/// anyone, so the server will not start on one. Folders are checked with their entries.
pub(crate) fn refuse_writable_by_others(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let check = |p: &Path| -> Result<()> {
        let mode = match fs::symlink_metadata(p) {
            Ok(m) => m.permissions().mode(),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::internal(e)),
        };
        if mode & 0o022 != 0 {
            return Err(Error::internal(format!(
                "{} is group- or world-writable (mode {:o}); refusing to start: run `chmod go-w` on it",
                p.display(),
                mode & 0o7777
            )));
        }
        Ok(())
    };
    check(path)?;
    if path.is_dir() {
        for entry in fs::read_dir(path).map_err(Error::internal)? {
            check(&entry.map_err(Error::internal)?.path())?;
        }
    }
    Ok(())
}

pub(crate) fn load_or_create_secret(path: &Path) -> Result<[u8; 32]> {
    match fs::read(path) {
        Ok(b) if b.len() == 32 => {
            let mut s = [0u8; 32];
            s.copy_from_slice(&b);
            return Ok(s);
        }
        Ok(_) => {
            return Err(Error::internal(format!(
                "{} is not 32 bytes",
                path.display()
            )));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(Error::internal(e)),
    }
    let mut s = [0u8; 32];
    getrandom::fill(&mut s).map_err(|e| Error::internal(e.to_string()))?;
    let mut f = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(f) => f,
        // Another process (admin command, server) created it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return load_or_create_secret(path),
        Err(e) => return Err(Error::internal(e)),
    };
    f.write_all(&s)
        .and_then(|()| f.sync_all())
        .map_err(Error::internal)?;
    Ok(s)
}
