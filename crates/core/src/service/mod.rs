//! The one service API both doors call: [`Ferry`] (a cheap clonable handle) and the
//! [`Session`] a successful login yields.
//!
//! Doors translate their wire format to these calls and the results back; no storage or policy
//! decision is made anywhere else. Storage is reached only through the async seams of
//! [`crate::store`]; CPU-heavy work (PBKDF2, MD5) runs on tokio's blocking pool.

mod admin;
mod admin_role;
mod config;
mod download;
mod exec;
mod login;
mod metrics;
mod passwd;
mod password;
mod profile;
mod quota;
mod search;
mod session;
pub mod share;
mod sweep;
mod token;
mod upload;
mod zip_walk;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

pub use admin::AccountSummary;
pub use admin::{DEFAULT_MIN_PASSWORD_LENGTH, check_password_length};
pub use admin_role::{AccountChange, Admin, NewAccount, UserUsage};
pub use config::Config;
pub use download::Download;
pub use login::LoginPending;
pub use profile::Profile;
pub use search::MAX_PATTERN_CHARS;
pub use session::Session;
pub use share::{
    PublicShare, ShareAccess, ShareInfo, ShareOptions, ShareSecret, ShareState, SharedFile,
};
pub use token::TokenGrant;
pub use upload::{AppendOptions, BodyChecks, Commit, CreateOptions, NewUpload, Put, UploadState};
pub use zip_walk::{MAX_ZIP_ENTRIES, ZipItem, ZipPlan};

use crate::auth::throttle::Throttle;
use crate::store::{FileStore, MetaStore, UploadStore};
use crate::username::Username;
use crate::{Error, Result};

/// Handle to the service. Clones share one state.
#[derive(Debug, Clone)]
pub struct Ferry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    meta: Arc<dyn MetaStore>,
    files: Arc<dyn FileStore>,
    uploads: Arc<dyn UploadStore>,
    secret: [u8; 32],
    throttle: Throttle,
    /// Open upload writers, kept between requests: the upload engine's registry.
    writers: upload::Registry,
    /// Numbers sessions, so an upload can name the one session writing it.
    sessions: AtomicU64,
    /// This process in lease holders and logs.
    node: String,
    /// Recent successful password checks, so HTTP Basic auth does not run PBKDF2 per request.
    passwords: password::PasswordCache,
    /// Commands running per user: the concurrency cap.
    exec_running: Mutex<HashMap<Username, usize>>,
    /// Blocks whose MD5 may still be running after their append returned, server-wide.
    hash_behind: upload::HashBehind,
}

impl Ferry {
    /// Builds the service over any stores.
    pub async fn with_stores(
        config: Config,
        meta: Arc<dyn MetaStore>,
        files: Arc<dyn FileStore>,
        uploads: Arc<dyn UploadStore>,
    ) -> Result<Ferry> {
        let secret = meta.secret().await?;
        let throttle = Throttle::new(config.throttle.clone());
        let mut id = [0u8; 6];
        crate::auth::credentials::fill_random(&mut id)?;
        let node = format!("{}-{}", config.node_name, hex::encode(id));
        Ok(Ferry {
            inner: Arc::new(Inner {
                config,
                meta,
                files,
                uploads,
                secret,
                throttle,
                writers: upload::Registry::default(),
                sessions: AtomicU64::new(1),
                node,
                passwords: password::PasswordCache::default(),
                exec_running: Mutex::new(HashMap::new()),
                hash_behind: upload::HashBehind::for_this_machine(),
            }),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// This process's name in lease holders and logs (`ferry-` and 12 random hex digits).
    pub fn node(&self) -> &str {
        &self.inner.node
    }
}

/// Runs blocking work (PBKDF2, hashing) off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(Error::internal)?
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these short locks leaves consistent data (every critical
    // section is a single insert/remove/add), so poisoning is ignored.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
