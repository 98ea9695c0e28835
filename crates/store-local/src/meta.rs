//! The embedded [`MetaStore`]: one small JSON file per account, per upload and per token;
//! quota ledgers and leases in memory (see [`Volatile`]).
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

use std::collections::HashMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ferry_core::store::{Account, Lease, Ledger, MetaStore, TokenRecord, UploadRecord};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use ferry_core::{Error, Result};

/// Accounts, upload records and tokens under `DATA/state`. Clones share one store.
#[derive(Debug, Clone)]
pub struct LocalMetaStore {
    users: PathBuf,
    uploads: PathBuf,
    tokens: PathBuf,
    secret: [u8; 32],
    volatile: Arc<Mutex<Volatile>>,
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
            volatile: Arc::default(),
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

/// Quota ledgers and leases live in this process's memory: the data folder has one server,
/// which is the only writer of uploads (the admin commands change accounts only). Ledgers are
/// rebuilt from the homes and the upload records at first use after a start; leases start
/// free, since no writer outlives its process.
#[derive(Debug, Default)]
struct Volatile {
    ledgers: HashMap<Username, Ledger>,
    leases: HashMap<UploadId, LeaseState>,
}

#[derive(Debug, Clone)]
struct LeaseState {
    holder: String,
    fence: u64,
    until: Instant,
}

impl LocalMetaStore {
    fn volatile(&self) -> std::sync::MutexGuard<'_, Volatile> {
        // Every critical section is a few field updates that cannot panic half-way.
        self.volatile
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn ledger<T>(&self, user: &Username, f: impl FnOnce(&mut Ledger) -> Result<T>) -> Result<T> {
        let mut v = self.volatile();
        let ledger = v
            .ledgers
            .get_mut(user)
            .ok_or_else(|| Error::internal(format!("quota ledger of {user} not initialised")))?;
        f(ledger)
    }

    fn sync_account(&self, account: &Account, create: bool) -> Result<()> {
        let path = self.user_file(&account.name);
        if create && path.exists() {
            return Err(Error::UserExists(account.name.to_string()));
        }
        if !create && !path.exists() {
            return Err(Error::UserNotFound(account.name.to_string()));
        }
        write_json_atomic(&path, account, true)
    }
}

/// Runs a blocking file operation off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(Error::internal)?
}

#[async_trait]
impl MetaStore for LocalMetaStore {
    async fn account(&self, name: &Username) -> Result<Option<Account>> {
        let path = self.user_file(name);
        blocking(move || read_json(&path)).await
    }

    async fn create_account(&self, account: &Account) -> Result<()> {
        let (me, account) = (self.clone(), account.clone());
        blocking(move || me.sync_account(&account, true)).await
    }

    async fn update_account(&self, account: &Account) -> Result<()> {
        let (me, account) = (self.clone(), account.clone());
        blocking(move || me.sync_account(&account, false)).await
    }

    async fn remove_account(&self, name: &Username) -> Result<()> {
        let (path, name) = (self.user_file(name), name.clone());
        blocking(move || match fs::remove_file(path) {
            Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::UserNotFound(name.to_string())),
            other => other.map_err(Error::internal),
        })
        .await
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        let dir = self.users.clone();
        blocking(move || {
            let mut out: Vec<Account> = read_all(&dir)?;
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
        .await
    }

    async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>> {
        let path = self.upload_file(id);
        blocking(move || read_json(&path)).await
    }

    async fn create_upload(&self, record: &UploadRecord) -> Result<()> {
        let (path, record) = (self.upload_file(&record.id), record.clone());
        // No fsync: after a crash the checkpoint is re-validated against the staged bytes'
        // length (see the core's upload engine), and an older checkpoint only costs re-hashing.
        blocking(move || write_json_atomic(&path, &record, false)).await
    }

    async fn save_upload(&self, record: &UploadRecord, lease: &Lease) -> Result<()> {
        let current = self.volatile().leases.get(&record.id).map(|l| l.fence);
        if current != Some(lease.fence) {
            return Err(Error::UploadBusy(record.id.to_string()));
        }
        self.create_upload(record).await
    }

    async fn remove_upload(&self, id: &UploadId) -> Result<()> {
        let path = self.upload_file(id);
        blocking(move || match fs::remove_file(path) {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map_err(Error::internal),
        })
        .await
    }

    async fn uploads_of(&self, user: &Username) -> Result<Vec<UploadRecord>> {
        // One file per upload, at most `max_uploads_per_user` per user and few in all: a scan
        // of the folder is what an index would cost here.
        let (dir, user) = (self.uploads.clone(), user.clone());
        blocking(move || {
            let all: Vec<UploadRecord> = read_all(&dir)?;
            Ok(all.into_iter().filter(|r| r.user == user).collect())
        })
        .await
    }

    async fn expired_uploads(&self, now: i64) -> Result<Vec<UploadRecord>> {
        let dir = self.uploads.clone();
        blocking(move || {
            let all: Vec<UploadRecord> = read_all(&dir)?;
            Ok(all.into_iter().filter(|r| r.expires < now).collect())
        })
        .await
    }

    async fn lease_take(&self, id: &UploadId, holder: &str, ttl: Duration) -> Result<Lease> {
        let now = Instant::now();
        let mut v = self.volatile();
        let fence = match v.leases.get(id) {
            Some(l) if l.holder == holder => l.fence,
            Some(l) if l.until > now => return Err(Error::UploadBusy(id.to_string())),
            Some(l) => l.fence + 1,
            None => 1,
        };
        v.leases.insert(
            *id,
            LeaseState {
                holder: holder.to_string(),
                fence,
                until: now + ttl,
            },
        );
        Ok(Lease {
            id: *id,
            holder: holder.to_string(),
            fence,
        })
    }

    async fn lease_renew(&self, lease: &Lease, ttl: Duration) -> Result<()> {
        let mut v = self.volatile();
        match v.leases.get_mut(&lease.id) {
            Some(l) if l.fence == lease.fence && l.holder == lease.holder => {
                l.until = Instant::now() + ttl;
                Ok(())
            }
            _ => Err(Error::UploadBusy(lease.id.to_string())),
        }
    }

    async fn lease_release(&self, lease: &Lease) -> Result<()> {
        let mut v = self.volatile();
        if let Some(l) = v.leases.get_mut(&lease.id)
            && l.fence == lease.fence
            && l.holder == lease.holder
        {
            // Kept as expired (not removed) so the next grant still raises the fence.
            l.until = Instant::now();
            l.holder.clear();
        }
        Ok(())
    }

    async fn quota_get(&self, user: &Username) -> Result<Option<Ledger>> {
        Ok(self.volatile().ledgers.get(user).copied())
    }

    async fn quota_init(&self, user: &Username, used: u64, reserved: u64) -> Result<Ledger> {
        let mut v = self.volatile();
        Ok(*v.ledgers.entry(user.clone()).or_insert(Ledger {
            used,
            reserved,
            pending: 0,
            generation: 0,
        }))
    }

    async fn quota_reserve(
        &self,
        user: &Username,
        bytes: u64,
        limit: Option<u64>,
    ) -> Result<Ledger> {
        self.ledger(user, |l| {
            if let Some(limit) = limit {
                let available = l.available(limit);
                if bytes > available {
                    return Err(Error::QuotaExceeded {
                        needed: bytes,
                        available,
                    });
                }
            }
            l.reserved = l.reserved.saturating_add(bytes);
            Ok(*l)
        })
    }

    async fn quota_release(&self, user: &Username, bytes: u64) -> Result<()> {
        self.ledger(user, |l| {
            l.reserved = l.reserved.saturating_sub(bytes);
            Ok(())
        })
    }

    async fn quota_begin_commit(
        &self,
        user: &Username,
        size: u64,
        replaced: u64,
        limit: Option<u64>,
    ) -> Result<()> {
        self.ledger(user, |l| {
            let used_after = l.used.saturating_add(size).saturating_sub(replaced);
            if let Some(limit) = limit
                && used_after > limit
            {
                return Err(Error::QuotaExceeded {
                    needed: size,
                    available: limit.saturating_sub(l.used).saturating_add(replaced),
                });
            }
            l.reserved = l.reserved.saturating_sub(size);
            l.used = used_after;
            l.pending += 1;
            l.generation += 1;
            Ok(())
        })
    }

    async fn quota_abort_commit(&self, user: &Username, size: u64, replaced: u64) -> Result<()> {
        self.ledger(user, |l| {
            l.reserved = l.reserved.saturating_add(size);
            l.used = l.used.saturating_add(replaced).saturating_sub(size);
            l.pending = l.pending.saturating_sub(1);
            l.generation += 1;
            Ok(())
        })
    }

    async fn quota_begin_free(&self, user: &Username) -> Result<()> {
        self.ledger(user, |l| {
            l.pending += 1;
            l.generation += 1;
            Ok(())
        })
    }

    async fn quota_end_change(&self, user: &Username, freed: u64) -> Result<()> {
        self.ledger(user, |l| {
            l.used = l.used.saturating_sub(freed);
            l.pending = l.pending.saturating_sub(1);
            l.generation += 1;
            Ok(())
        })
    }

    async fn quota_resync(&self, user: &Username, used: u64, generation: u64) -> Result<Ledger> {
        self.ledger(user, |l| {
            if l.generation == generation && l.pending == 0 {
                l.used = used;
                l.generation += 1;
            }
            Ok(*l)
        })
    }

    async fn token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let path = self.token_file(hash)?;
        blocking(move || read_json(&path)).await
    }

    async fn put_token(&self, hash: &str, record: &TokenRecord) -> Result<()> {
        let (path, record) = (self.token_file(hash)?, record.clone());
        // Durable: a token is issued once per web login, and the page must keep working
        // after the server restarts, even uncleanly.
        blocking(move || write_json_atomic(&path, &record, true)).await
    }

    async fn remove_token(&self, hash: &str) -> Result<()> {
        let path = self.token_file(hash)?;
        blocking(move || match fs::remove_file(path) {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map_err(Error::internal),
        })
        .await
    }

    async fn tokens_of(&self, user: &Username) -> Result<Vec<(String, TokenRecord)>> {
        let (dir, user) = (self.tokens.clone(), user.clone());
        blocking(move || {
            let all: Vec<(String, TokenRecord)> = read_all_named(&dir)?;
            Ok(all.into_iter().filter(|(_, t)| t.user == user).collect())
        })
        .await
    }

    async fn expired_tokens(&self, now: i64) -> Result<Vec<String>> {
        let dir = self.tokens.clone();
        blocking(move || {
            let all: Vec<(String, TokenRecord)> = read_all_named(&dir)?;
            Ok(all
                .into_iter()
                .filter(|(_, t)| t.expires <= now)
                .map(|(h, _)| h)
                .collect())
        })
        .await
    }

    async fn secret(&self) -> Result<[u8; 32]> {
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
