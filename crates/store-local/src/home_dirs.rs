//! [`HomeDirs`]: each home's directory handle, opened once and kept.
//!
//! Every home operation starts from the home's `Dir`. Opening it per operation was an
//! `openat2` (beneath `DATA/homes`) and a `close` on every request: two of the nine system
//! calls of a 4 KiB `GET`, and the `openat2` path walk one of the dearest (`strace -c -f` and
//! `perf record` of the server under `wrk`).
//!
//! How a kept handle stays right: a handle follows its directory, not its name, so it must be
//! dropped whenever the name `DATA/homes/NAME` may point elsewhere.
//! - **This process** removes a home only through [`HomeDirs::forget`] (account removal).
//! - **Any other process** (an operator's `rm -r`, `mv`, `mkdir`, a restore) is seen through
//!   an inotify watch on `DATA/homes`, drained before every lookup: a change made before a
//!   request starts is applied before that request touches the home (see [`crate::watch`]).
//!   Only the homes folder's own entries are watched, so writes inside homes queue nothing.
//! - **A fill racing a change:** the handle is kept only if no change was seen meanwhile.
//! - **Anything unexpected** (lost events, `DATA/homes` itself moved): everything is
//!   forgotten, and if the watch is gone for good nothing is kept: every lookup opens the home,
//!   as before this cache.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use cap_std::fs::Dir;

use crate::watch::{Change, FolderWatch, Health};

/// Handles kept at most; past this they are all dropped (logins refill the cache).
const MAX_KEPT: usize = 1024;

/// Opened homes by name, invalidated as the module docs say.
#[derive(Debug)]
pub(crate) struct HomeDirs {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// `None`: no watch, so nothing is kept.
    watch: Option<FolderWatch>,
    open: HashMap<String, Arc<Dir>>,
    /// Raised by every invalidation; a fill keeps its handle only if this did not move.
    generation: u64,
}

impl HomeDirs {
    /// Watches `homes` (the folder of homes); keeps nothing if the watch cannot be set up.
    pub(crate) fn new(homes: &Path) -> Self {
        let watch = FolderWatch::new().and_then(|w| w.add(homes).map(|_| w));
        let watch = match watch {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the homes folder; opening a home on every request");
                None
            }
        };
        HomeDirs {
            state: Mutex::new(State {
                watch,
                open: HashMap::new(),
                generation: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every critical section leaves the map consistent (single inserts and removes).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The home `name`'s handle, kept or opened now by `open`.
    pub(crate) fn get(
        &self,
        name: &str,
        open: impl FnOnce() -> io::Result<Dir>,
    ) -> io::Result<Arc<Dir>> {
        let generation = {
            let mut s = self.lock();
            if s.watch.is_none() {
                drop(s);
                return open().map(Arc::new);
            }
            s.drain();
            if let Some(dir) = s.open.get(name) {
                return Ok(dir.clone());
            }
            s.generation
        };
        let dir = Arc::new(open()?);
        let mut s = self.lock();
        s.drain();
        if s.generation == generation && s.watch.is_some() {
            if s.open.len() >= MAX_KEPT {
                s.open.clear();
            }
            s.open.insert(name.to_owned(), dir.clone());
        }
        Ok(dir)
    }

    /// Drops the handle of home `name`, which this process is about to remove.
    pub(crate) fn forget(&self, name: &str) {
        let mut s = self.lock();
        s.open.remove(name);
        s.generation += 1;
    }
}

impl State {
    /// Applies every change queued on the homes folder.
    fn drain(&mut self) {
        let Some(watch) = &self.watch else {
            return;
        };
        let mut gone: Vec<Option<String>> = Vec::new();
        let health = watch.drain(|change| match change {
            Change::Named { name, .. } => gone.push(Some(name.to_owned())),
            Change::All { .. } => gone.push(None),
        });
        if health == Health::Broken {
            self.watch = None;
            self.open.clear();
        }
        if gone.is_empty() {
            return;
        }
        self.generation += 1;
        for name in gone {
            match name {
                Some(n) => drop(self.open.remove(&n)),
                None => self.open.clear(),
            }
        }
    }
}
