//! [`FolderWatch`]: one inotify instance over a few folders, read without blocking, for the
//! in-memory caches of things that live as names in those folders (accounts and tokens in
//! [`crate::cache`], opened homes in [`crate::home_dirs`]).
//!
//! The rule both caches rely on: the kernel queues an event before the `rename`, `unlink`,
//! `mkdir` or `rmdir` that caused it returns, so a cache that drains the queue before each
//! lookup has applied every change made before the lookup began, by any process.
//! Hand-written over rustix's inotify calls: the kept crates (`notify`, `inotify`) deliver
//! events through a thread or a stream, which cannot give that "everything queued so far, now"
//! guarantee on the caller's thread.

use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use rustix::io::Errno;

/// What a drain reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change<'a> {
    /// Something happened to the entry `name` of the folder watched as `wd`.
    Named { wd: i32, name: &'a str },
    /// Events were lost, or came without a name: forget everything from that folder (`None`:
    /// from every folder).
    All { wd: Option<i32> },
}

/// An inotify instance, non-blocking.
#[derive(Debug)]
pub(crate) struct FolderWatch {
    fd: OwnedFd,
}

/// Whether the watch still works after a drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    /// Every change is being seen.
    Sound,
    /// A watched folder went away or the instance failed: stop caching.
    Broken,
}

impl FolderWatch {
    /// A new instance with nothing watched.
    pub(crate) fn new() -> rustix::io::Result<Self> {
        let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC)?;
        Ok(FolderWatch { fd })
    }

    /// Watches the entries of `dir` being created, removed, renamed or rewritten, and `dir`
    /// itself going away; returns the watch descriptor.
    pub(crate) fn add(&self, dir: &Path) -> rustix::io::Result<i32> {
        let flags = WatchFlags::CREATE
            | WatchFlags::DELETE
            | WatchFlags::MODIFY
            | WatchFlags::ATTRIB
            | WatchFlags::CLOSE_WRITE
            | WatchFlags::MOVED_FROM
            | WatchFlags::MOVED_TO
            | WatchFlags::DELETE_SELF
            | WatchFlags::MOVE_SELF
            | WatchFlags::ONLYDIR;
        inotify::add_watch(&self.fd, dir, flags)
    }

    /// Hands every queued event to `apply` (one `read`, `EAGAIN` when nothing is queued).
    pub(crate) fn drain(&self, mut apply: impl FnMut(Change<'_>)) -> Health {
        let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
        let mut reader = inotify::Reader::new(&self.fd, &mut buf);
        loop {
            let event = match reader.next() {
                Ok(e) => e,
                Err(Errno::AGAIN) => return Health::Sound,
                Err(Errno::INTR) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "reading a folder watch failed; its cache stops");
                    apply(Change::All { wd: None });
                    return Health::Broken;
                }
            };
            let flags = event.events();
            if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                apply(Change::All { wd: None });
                continue;
            }
            if flags.intersects(
                ReadFlags::IGNORED
                    | ReadFlags::DELETE_SELF
                    | ReadFlags::MOVE_SELF
                    | ReadFlags::UNMOUNT,
            ) {
                apply(Change::All { wd: None });
                // Drained to the end first, so the caller starts from an empty queue.
                while let Ok(_) | Err(Errno::INTR) = reader.next() {}
                return Health::Broken;
            }
            match event.file_name().and_then(|n| n.to_str().ok()) {
                Some(name) => apply(Change::Named {
                    wd: event.wd(),
                    name,
                }),
                None => apply(Change::All {
                    wd: Some(event.wd()),
                }),
            }
        }
    }
}
