//! Group commit of folder syncs: a rename into a folder is durable only once the folder is
//! synced, and commits that land in one folder at about the same time share one `fsync`.
//!
//! Each commit asks for a sync *after* its rename and gets a ticket. One caller at a time runs
//! the sync for every ticket asked before it started; the others wait for a sync that started
//! after their ticket, so a rename is never declared durable by a sync that may have missed it.
//! Alone, a commit syncs at once as before (no added wait). With eight connections uploading
//! small files into one folder, most commits find a sync in flight and ride on the next one:
//! one `fsync` per batch instead of one per file (`ferry-bench`'s durable rows).

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use cap_std::fs::Dir;

/// Folders with syncs asked for, keyed by device and inode (every spelling of a folder is one
/// key). An entry lives only while someone waits on it.
#[derive(Debug, Default)]
pub(crate) struct DirSyncs {
    groups: Mutex<HashMap<(u64, u64), Arc<Group>>>,
}

#[derive(Debug, Default)]
struct Group {
    state: Mutex<State>,
    synced: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Tickets handed out: each is a rename waiting to be made durable.
    asked: u64,
    /// Every ticket up to this one is covered by a finished sync.
    synced: u64,
    /// A sync is running.
    running: bool,
    /// Callers holding this group (the entry is removed when the last one leaves).
    users: usize,
}

/// Locks a mutex whose data stays consistent across a panic (counters set in single steps).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DirSyncs {
    /// Returns once a sync of `dir` (device `dev`, inode `ino`) that started after this call
    /// has finished: every rename into `dir` made before the call is then durable.
    pub(crate) fn sync(&self, dir: &Dir, dev: u64, ino: u64) -> io::Result<()> {
        let key = (dev, ino);
        let group = {
            let mut groups = lock(&self.groups);
            let group = groups.entry(key).or_default().clone();
            lock(&group.state).users += 1;
            group
        };
        let result = group.wait_synced(dir);
        let mut groups = lock(&self.groups);
        let mut state = lock(&group.state);
        state.users -= 1;
        if state.users == 0 {
            groups.remove(&key);
        }
        result
    }
}

impl Group {
    fn wait_synced(&self, dir: &Dir) -> io::Result<()> {
        let mut state = lock(&self.state);
        state.asked += 1;
        let ticket = state.asked;
        loop {
            if state.synced >= ticket {
                return Ok(());
            }
            if state.running {
                state = self
                    .synced
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.running = true;
            let covers = state.asked;
            drop(state);
            // cap-std may hold folders as `O_PATH` handles, which cannot be synced: open one.
            let result = dir.open(".").and_then(|d| d.sync_all());
            state = lock(&self.state);
            state.running = false;
            self.synced.notify_all();
            match result {
                Ok(()) => state.synced = state.synced.max(covers),
                // The waiters wake, find their ticket not covered, and one of them tries again.
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;
    use cap_std::fs::MetadataExt;

    #[test]
    fn concurrent_syncs_of_one_folder_all_return_and_leave_no_entry_behind() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = Dir::open_ambient_dir(tmp.path(), ambient_authority()).expect("open");
        let meta = dir.dir_metadata().expect("metadata");
        let (dev, ino) = (meta.dev(), meta.ino());
        let syncs = DirSyncs::default();
        std::thread::scope(|s| {
            for i in 0..8 {
                let (dir, syncs) = (&dir, &syncs);
                s.spawn(move || {
                    for j in 0..20 {
                        dir.write(format!("f{i}-{j}"), b"x").expect("write");
                        syncs.sync(dir, dev, ino).expect("sync");
                    }
                });
            }
        });
        assert!(lock(&syncs.groups).is_empty(), "groups left behind");
        assert_eq!(dir.entries().expect("entries").count(), 160);
    }
}
