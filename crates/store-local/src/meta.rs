//! The embedded [`MetaStore`]: one small JSON file per account, per upload and per token.
//!
//! ```text
//! DATA/state/secret               32 random bytes, mode 0600
//! DATA/state/users/NAME.json      Account (SCRAM verifiers, quota), mode 0600
//! DATA/state/uploads/ID.json      UploadRecord (target, size, MD5 state checkpoint)
//! DATA/state/tokens/HASH.json     TokenRecord (user, expiry), named by SHA-256 of the token
//! ```
//!
//! Why files and not an embedded database: the `ferry user …` admin commands must take effect
//! on a running server without a restart, and single-writer embedded databases (redb, sled)
//! lock the whole store to one process. Each record is replaced by write-to-temp + rename, so a
//! reader sees the old or the new record, never a torn one, whatever process writes it.

use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use ferry_core::store::{Account, MetaStore, TokenRecord, UploadRecord};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use ferry_core::{Error, Result};

/// Accounts, upload records and tokens under `DATA/state`.
#[derive(Debug)]
pub struct LocalMetaStore {
    users: PathBuf,
    uploads: PathBuf,
    tokens: PathBuf,
    secret: [u8; 32],
}

impl LocalMetaStore {
    /// Opens (creating if needed) the store under `state_dir`.
    pub fn open(state_dir: &Path) -> Result<Self> {
        let users = state_dir.join("users");
        let uploads = state_dir.join("uploads");
        let tokens = state_dir.join("tokens");
        for d in [state_dir, &users, &uploads, &tokens] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(d)
                .map_err(Error::internal)?;
        }
        let secret = load_or_create_secret(&state_dir.join("secret"))?;
        Ok(LocalMetaStore {
            users,
            uploads,
            tokens,
            secret,
        })
    }

    fn user_file(&self, name: &Username) -> PathBuf {
        self.users.join(format!("{name}.json"))
    }

    fn upload_file(&self, id: &UploadId) -> PathBuf {
        self.uploads.join(format!("{id}.json"))
    }

    /// The hash becomes a file name, so it must be exactly what the service makes: 64
    /// lowercase hex digits, nothing that could name another file.
    fn token_file(&self, hash: &str) -> Result<PathBuf> {
        let valid =
            hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(Error::internal("token hash is not 64 lowercase hex digits"));
        }
        Ok(self.tokens.join(format!("{hash}.json")))
    }
}

impl MetaStore for LocalMetaStore {
    fn account(&self, name: &Username) -> Result<Option<Account>> {
        read_json(&self.user_file(name))
    }

    fn put_account(&self, account: &Account, create: bool) -> Result<()> {
        let path = self.user_file(&account.name);
        if create && path.exists() {
            return Err(Error::UserExists(account.name.to_string()));
        }
        write_json_atomic(&path, account, true)
    }

    fn remove_account(&self, name: &Username) -> Result<()> {
        match fs::remove_file(self.user_file(name)) {
            Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::UserNotFound(name.to_string())),
            other => other.map_err(Error::internal),
        }
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        let mut out: Vec<Account> = read_all(&self.users)?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>> {
        read_json(&self.upload_file(id))
    }

    fn put_upload(&self, record: &UploadRecord) -> Result<()> {
        // No fsync: after a crash the checkpoint is re-validated against the staging file's
        // length (see `service::upload`), and an older checkpoint only costs re-hashing.
        write_json_atomic(&self.upload_file(&record.id), record, false)
    }

    fn remove_upload(&self, id: &UploadId) -> Result<()> {
        match fs::remove_file(self.upload_file(id)) {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map_err(Error::internal),
        }
    }

    fn uploads(&self) -> Result<Vec<UploadRecord>> {
        read_all(&self.uploads)
    }

    fn token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        read_json(&self.token_file(hash)?)
    }

    fn put_token(&self, hash: &str, record: &TokenRecord) -> Result<()> {
        // Durable: a token is issued once per web login, and the page must keep working
        // after the server restarts, even uncleanly.
        write_json_atomic(&self.token_file(hash)?, record, true)
    }

    fn remove_token(&self, hash: &str) -> Result<()> {
        match fs::remove_file(self.token_file(hash)?) {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map_err(Error::internal),
        }
    }

    fn tokens(&self) -> Result<Vec<(String, TokenRecord)>> {
        read_all_named(&self.tokens)
    }

    fn secret(&self) -> Result<[u8; 32]> {
        Ok(self.secret)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::internal(format!("corrupt record {}: {e}", path.display()))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::internal(e)),
    }
}

fn read_all<T: serde::de::DeserializeOwned>(dir: &Path) -> Result<Vec<T>> {
    Ok(read_all_named(dir)?.into_iter().map(|(_, v)| v).collect())
}

/// Every `*.json` record in `dir` with its file stem.
fn read_all_named<T: serde::de::DeserializeOwned>(dir: &Path) -> Result<Vec<(String, T)>> {
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
                    tracing::warn!(path = %path.display(), error = ?e, "skipping unreadable record")
                }
            }
        }
    }
    Ok(out)
}

/// Replaces `path` with `value` atomically: temp file in the same folder, then rename.
fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T, durable: bool) -> Result<()> {
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

fn load_or_create_secret(path: &Path) -> Result<[u8; 32]> {
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
