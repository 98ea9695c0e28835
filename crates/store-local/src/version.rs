//! [`Version`]: one version of one file, what a remembered MD5 (and so an ETag) is keyed by.
//!
//! The file is its device and inode (renames keep them); its state is size, mtime and ctime
//! to the nanosecond. ctime is there because size and mtime can be put back by anyone who
//! rewrites a file (`touch -r`), but only the kernel sets ctime: a rewrite in place always
//! makes a new version.
//!
//! Kept as integers, not text: a listing compares one per entry, and formatting seven numbers
//! per entry was a visible part of a 2 000-entry listing's CPU (perf on the server). The text
//! form `DEV-INO:SIZE-MTIME.NS-CTIME.NS` is what crosses the store seam and names the records
//! on disk, unchanged from when versions were strings.

use std::fmt;

use cap_std::fs::{Metadata, MetadataExt as _};

/// Which file: device and inode.
pub(crate) type FileKey = (u64, u64);

/// The state of a file's bytes: size, mtime and ctime (seconds, nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// One version of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) file: FileKey,
    pub(crate) check: Check,
}

impl Version {
    /// The version `meta` describes.
    pub(crate) fn of(meta: &Metadata) -> Self {
        Version {
            file: (meta.dev(), meta.ino()),
            check: Check {
                size: meta.size(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ctime: (meta.ctime(), meta.ctime_nsec()),
            },
        }
    }

    /// Parses the text form (see the module docs).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (file, check) = text.split_once(':')?;
        let (dev, ino) = file.split_once('-')?;
        Some(Version {
            file: (dev.parse().ok()?, ino.parse().ok()?),
            check: Check::parse(check)?,
        })
    }
}

impl Check {
    /// The state of a file of `size` bytes with these mtime and ctime (seconds, nanoseconds).
    pub(crate) fn new(size: u64, mtime: (i64, i64), ctime: (i64, i64)) -> Self {
        Check { size, mtime, ctime }
    }

    /// Parses `SIZE-MTIME.NS-CTIME.NS`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('-');
        let size = parts.next()?.parse().ok()?;
        let mut time = || -> Option<(i64, i64)> {
            let (s, ns) = parts.next()?.split_once('.')?;
            Some((s.parse().ok()?, ns.parse().ok()?))
        };
        let (mtime, ctime) = (time()?, time()?);
        match parts.next() {
            None => Some(Check { size, mtime, ctime }),
            Some(_) => None,
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Check { size, mtime, ctime } = self;
        write!(f, "{size}-{}.{}-{}.{}", mtime.0, mtime.1, ctime.0, ctime.1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}:{}", self.file.0, self.file.1, self.check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_round_trips_and_rejects_other_text() {
        let text = "2049-131:4096-1796593032.266154-1796593033.5";
        assert_eq!(Version::parse(text).unwrap().to_string(), text);
        for bad in [
            "",
            "1-2",
            "1-2:3",
            "1-2:3-4.5-6.7-8",
            "x-2:3-4.5-6.7",
            "1-2:3-4-6.7",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }
}
