//! [`entry_stat`]: one `statx` of one name in an open folder, taking just what a listing
//! shows and what its digest is keyed by.
//!
//! A listing stats every entry of its page. Through cap-std each call also fills a portable
//! `Metadata` of every field; here the kernel is asked only for type, size, times and inode,
//! and nothing else is built. The name is a single component read from the folder itself
//! (never `.`, `..` or a path) and symlinks are not followed, so the call cannot leave the
//! folder.

use std::io;
use std::os::fd::AsFd as _;

use cap_std::fs::Dir;
use ferry_core::model::EntryKind;
use rustix::fs::{AtFlags, FileType, StatxFlags};

use crate::version::{Check, Version};

/// What one `statx` says of an entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryStat {
    pub(crate) kind: EntryKind,
    /// The file's version (for a folder too, though only files' are used).
    pub(crate) version: Version,
    /// Modification time, whole seconds.
    pub(crate) modified: i64,
}

/// Stats `name`, an entry of `dir` as read from it, without following a symlink.
pub(crate) fn entry_stat(dir: &Dir, name: &str) -> io::Result<EntryStat> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a single name",
        ));
    }
    let want = StatxFlags::TYPE
        | StatxFlags::SIZE
        | StatxFlags::MTIME
        | StatxFlags::CTIME
        | StatxFlags::INO;
    let st = rustix::fs::statx(dir.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW, want)?;
    let kind = match FileType::from_raw_mode(st.stx_mode.into()) {
        FileType::RegularFile => EntryKind::File,
        FileType::Directory => EntryKind::Dir,
        FileType::Symlink => EntryKind::Symlink,
        _ => EntryKind::Other,
    };
    let version = Version {
        file: (
            rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor),
            st.stx_ino,
        ),
        check: Check::new(
            st.stx_size,
            (st.stx_mtime.tv_sec, i64::from(st.stx_mtime.tv_nsec)),
            (st.stx_ctime.tv_sec, i64::from(st.stx_ctime.tv_nsec)),
        ),
    };
    Ok(EntryStat {
        kind,
        version,
        modified: st.stx_mtime.tv_sec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    #[test]
    fn agrees_with_cap_std_on_files_folders_and_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), b"hello").unwrap();
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        std::os::unix::fs::symlink("f", tmp.path().join("l")).unwrap();
        let dir = Dir::open_ambient_dir(tmp.path(), ambient_authority()).unwrap();
        for (name, kind) in [
            ("f", EntryKind::File),
            ("d", EntryKind::Dir),
            ("l", EntryKind::Symlink),
        ] {
            let ours = entry_stat(&dir, name).unwrap();
            let theirs = dir.symlink_metadata(name).unwrap();
            assert_eq!(ours.kind, kind, "{name}");
            assert_eq!(ours.version, Version::of(&theirs), "{name}");
            assert_eq!(ours.modified, cap_std::fs::MetadataExt::mtime(&theirs));
        }
        assert_eq!(
            entry_stat(&dir, "missing").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        for bad in ["", ".", "..", "d/../f"] {
            assert_eq!(
                entry_stat(&dir, bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
    }
}
