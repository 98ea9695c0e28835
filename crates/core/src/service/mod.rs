//! The one service API both doors call: [`Ferry`] (a cheap clonable handle) and the
//! [`Session`] a successful login yields.
//!
//! Doors translate their wire format to these calls and the results back; no storage or policy
//! decision is made anywhere else. Blocking filesystem work runs on tokio's blocking pool.

mod admin;
mod config;
mod download;
mod exec;
mod login;
mod password;
mod profile;
mod quota;
mod session;
mod sweep;
mod token;
mod upload;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub use config::Config;
pub use download::Download;
pub use login::LoginPending;
pub use profile::Profile;
pub use session::Session;
pub use token::TokenGrant;

use crate::auth::throttle::Throttle;
use crate::store::{BlobStore, MetaStore};
use crate::upload_id::UploadId;
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
    blobs: Arc<dyn BlobStore>,
    secret: [u8; 32],
    throttle: Throttle,
    /// Uploads some session is writing: the one-writer rule.
    leases: Mutex<HashSet<UploadId>>,
    /// Per-user committed and reserved bytes, loaded on first use.
    ledgers: Mutex<HashMap<Username, quota::Ledger>>,
    /// Recent successful password checks, so HTTP Basic auth does not run PBKDF2 per request.
    passwords: password::PasswordCache,
    /// Commands running per user: the concurrency cap.
    exec_running: Mutex<HashMap<Username, usize>>,
}

impl Ferry {
    /// Builds the service over any stores.
    pub fn with_stores(
        config: Config,
        meta: Arc<dyn MetaStore>,
        blobs: Arc<dyn BlobStore>,
    ) -> Result<Ferry> {
        let secret = meta.secret()?;
        let throttle = Throttle::new(config.throttle.clone());
        Ok(Ferry {
            inner: Arc::new(Inner {
                config,
                meta,
                blobs,
                secret,
                throttle,
                leases: Mutex::new(HashSet::new()),
                ledgers: Mutex::new(HashMap::new()),
                passwords: password::PasswordCache::default(),
                exec_running: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
}

/// Runs blocking storage work off the async threads.
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
