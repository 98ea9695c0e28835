//! Unnamed staging for transient uploads (a whole file in one request, see
//! `UploadStore::create_transient`): the bytes go to an `O_TMPFILE` inode in the folder the
//! upload will be committed to and get their only name at commit, linked straight there.
//!
//! Why unnamed: a named staging file is created under the staging folder's lock and renamed
//! out of it under both folders' locks. With small files arriving on several connections, each
//! create waits for the others' inode allocations and each rename for the creates: `perf` of
//! the server during `ferry put -r --jobs 8` of 2 000 files of 4 KiB showed 20% of its time
//! spinning on those locks (`rwsem_spin_on_owner` under `path_openat` and
//! `lock_two_directories`). An unnamed inode takes no folder lock to create, and a link takes
//! only the target folder's. A crash leaves nothing behind: the inode never had a name.
//!
//! Why in the target folder: a filesystem places a new inode (and then its data) near the
//! folder it is made in, as it does for any program writing a file there. Made in the staging
//! folder, every small upload of every user came out of that one folder's block group: on
//! ext4 without a journal, where each allocation first skips the inodes freed in the last
//! minute, deleting a few thousand uploaded files made each following upload spend ~0.8 ms of
//! CPU in `recently_deleted` (`perf record` of the server during `ferry-bench --only durable`:
//! half its samples), while the same create in the target folder cost what the harness's
//! durable-write reference pays.
//!
//! Linux names an `O_TMPFILE` inode, without `CAP_DAC_READ_SEARCH`, by `linkat` on its
//! `/proc/self/fd` link with `AT_SYMLINK_FOLLOW` (open(2)). Where either is missing (a filesystem
//! without `O_TMPFILE`, no `/proc`), transient uploads get a named staging file as others do.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use cap_std::fs::Dir;
use ferry_core::upload_id::UploadId;
use rustix::fs::{AtFlags, Mode, OFlags};

/// The unnamed staging files of transient uploads in progress. Each is owned by its upload's
/// staging handle; this map only finds it by id (for the commit), so a handle dropped without
/// a commit or a discard frees its file and leaves no entry that matters.
#[derive(Debug)]
pub(crate) struct Unnamed {
    files: Mutex<HashMap<UploadId, Weak<File>>>,
    /// Cleared the first time the filesystem or the system refuses: named staging from then on.
    usable: AtomicBool,
}

impl Default for Unnamed {
    fn default() -> Self {
        Unnamed {
            files: Mutex::default(),
            usable: AtomicBool::new(std::path::Path::new("/proc/self/fd").is_dir()),
        }
    }
}

impl Unnamed {
    /// A new unnamed file in `staging` for upload `id`, or `None` where unnamed files cannot
    /// be used (the caller then stages under a name).
    pub(crate) fn create(&self, staging: &Dir, id: &UploadId) -> io::Result<Option<Arc<File>>> {
        if !self.usable.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(staging, ".", flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            // Not supported here (the kernel answers EOPNOTSUPP, or EISDIR before 3.11).
            Err(e) if [rustix::io::Errno::OPNOTSUPP, rustix::io::Errno::ISDIR].contains(&e) => {
                self.usable.store(false, Ordering::Relaxed);
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let file = Arc::new(File::from(fd));
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.retain(|_, f| f.strong_count() > 0);
        files.insert(*id, Arc::downgrade(&file));
        Ok(Some(file))
    }

    /// Upload `id`'s unnamed file, while its handle is open.
    pub(crate) fn get(&self, id: &UploadId) -> Option<Arc<File>> {
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.get(id).and_then(Weak::upgrade)
    }

    /// Forgets upload `id`'s file (named, discarded or its handle gone).
    pub(crate) fn forget(&self, id: &UploadId) {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.remove(id);
    }
}

/// Gives the unnamed `file` the name `name` in `dir`; fails with `AlreadyExists` if the name is
/// taken (by anything: a link never replaces).
pub(crate) fn link(file: &File, dir: &Dir, name: &str) -> io::Result<()> {
    let proc_link = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(
        rustix::fs::CWD,
        proc_link.as_str(),
        dir,
        name,
        AtFlags::SYMLINK_FOLLOW,
    )?;
    Ok(())
}
