//! [`PartFile`]: a download's `NAME.part` file, appended to while a running MD5 follows it.
//!
//! Each chunk is written on the blocking pool from the chunk itself, one write in flight
//! while the next chunk arrives. `tokio::fs::File` does the same overlap but first copies
//! every chunk into a buffer of its own: one more `memcpy` of every byte downloaded, on the
//! cores the server, the receive path and the MD5 share (a 1 GiB `ferry get` over TLS is
//! bound by the sum of that work, not by the MD5 alone).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use ferry_core::fast_md5::Md5;
use md5::Digest;
use tokio::task::JoinHandle;

use super::ClientError;
use super::hash::md5_prefix_of;
use super::hash_behind::HashBehind;

/// The `.part` file next to a download's target. Its length is the resume point, and the
/// hasher always covers exactly the bytes it holds, so the whole file's MD5 is known at the
/// end without reading it again.
#[derive(Debug)]
pub(crate) struct PartFile {
    path: PathBuf,
    file: Arc<std::fs::File>,
    /// The last chunk's write, while it may still run.
    writing: Option<JoinHandle<std::io::Result<()>>>,
    hasher: HashBehind,
    len: u64,
    /// Bytes that were already there when it was opened (0 after [`PartFile::restart`]).
    resumed_from: u64,
    /// Where writing out in the background was last asked for (see [`PartFile::append`]).
    written_behind: u64,
}

/// How often, in bytes appended, the `.part` file's new bytes are sent to disk in the
/// background.
const WRITE_BEHIND: u64 = 8 << 20;

impl PartFile {
    /// Opens `TARGET.part`, creating it, or taking over what it holds when that is at most
    /// `max_len` bytes (hashing it); a longer one is emptied.
    pub(crate) async fn open(target: &Path, max_len: u64) -> Result<PartFile, ClientError> {
        let path = part_path(target);
        let file = open_part(&path, false).await?;
        let opening = |e| ClientError::io(format!("cannot open {}", path.display()), e);
        let held = file.metadata().map_err(opening)?.len();
        let hashing = file.try_clone().map_err(opening)?;
        let mut part = PartFile {
            path,
            file: Arc::new(file),
            writing: None,
            hasher: HashBehind::new(Md5::new()),
            len: 0,
            resumed_from: 0,
            written_behind: 0,
        };
        if held > max_len {
            part.restart().await?;
        } else if held > 0 {
            let (hasher, hashed) = md5_prefix_of(hashing, &part.path, Some(held)).await?;
            part.hasher = HashBehind::new(hasher);
            part.len = hashed;
            part.resumed_from = hashed;
            part.written_behind = hashed;
        }
        Ok(part)
    }

    /// Where the file is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes it holds: where the download goes on.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Bytes that were there before this run.
    pub(crate) fn resumed_from(&self) -> u64 {
        self.resumed_from
    }

    /// Appends verified bytes: written in the background once the previous chunk's write
    /// is done (its failure is reported here, or by [`PartFile::finish`]).
    pub(crate) async fn append(&mut self, bytes: Bytes) -> Result<(), ClientError> {
        self.written().await?;
        let (file, chunk) = (self.file.clone(), bytes.clone());
        self.writing = Some(tokio::task::spawn_blocking(move || {
            (&*file).write_all(&chunk)
        }));
        let len = bytes.len();
        self.hasher.feed(bytes).await?;
        self.len += len as u64;
        if self.len >= self.written_behind + WRITE_BEHIND {
            // Start writing the last stretches to disk now (POSIX_FADV_DONTNEED: writeback
            // without waiting, clean pages dropped), rather than all of the file in the
            // `sync_all` of `finish`, which otherwise holds up the end of a big download for
            // seconds. Only a hint: durability still comes from that `sync_all`.
            let from = self.len.saturating_sub(2 * WRITE_BEHIND);
            let _ = rustix::fs::fadvise(
                &*self.file,
                from,
                std::num::NonZeroU64::new(self.len - from),
                rustix::fs::Advice::DontNeed,
            );
            self.written_behind = self.len;
        }
        Ok(())
    }

    /// Makes the content durable and returns its MD5 as 32 lowercase hex digits.
    pub(crate) async fn finish(&mut self) -> Result<String, ClientError> {
        self.written().await?;
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || file.sync_all())
            .await
            .map_err(std::io::Error::other)
            .and_then(|synced| synced)
            .map_err(|e| self.write_error(e))?;
        self.hasher.hex().await
    }

    /// Waits for the write in flight, if any, and reports how it ended.
    async fn written(&mut self) -> Result<(), ClientError> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        writing
            .await
            .map_err(std::io::Error::other)
            .and_then(|wrote| wrote)
            .map_err(|e| self.write_error(e))
    }

    fn write_error(&self, e: std::io::Error) -> ClientError {
        ClientError::io(format!("cannot write {}", self.path.display()), e)
    }

    /// Empties the file (recreating it if it was deleted) to download from the start.
    pub(crate) async fn restart(&mut self) -> Result<(), ClientError> {
        // What was being written is thrown away with the rest.
        let _ = self.written().await;
        self.file = Arc::new(open_part(&self.path, true).await?);
        self.hasher = HashBehind::new(Md5::new());
        self.len = 0;
        self.resumed_from = 0;
        self.written_behind = 0;
        Ok(())
    }

    /// Deletes the file; its content is worthless.
    pub(crate) async fn discard(&mut self) {
        let _ = self.written().await;
        let _ = tokio::fs::remove_file(&self.path).await;
    }

    /// Renames it to `target`, replacing whatever is there.
    pub(crate) async fn commit(&mut self, target: &Path) -> Result<(), ClientError> {
        self.written().await?;
        tokio::fs::rename(&self.path, target)
            .await
            .map_err(|e| ClientError::io(format!("cannot rename {}", self.path.display()), e))
    }
}

/// Opens (creating) a `.part` file for appending, emptied with `truncate`. Never through a
/// symbolic link, and only a regular file: a `NAME.part` link planted in a shared folder
/// (`/tmp`) would otherwise have a download append to, or empty, the file it points at.
async fn open_part(path: &Path, truncate: bool) -> Result<std::fs::File, ClientError> {
    let opening = |e| ClientError::io(format!("cannot open {}", path.display()), e);
    // Emptied, it is written from its start; kept, appended to (std refuses both at once).
    let file = tokio::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .write(truncate)
        .truncate(truncate)
        .append(!truncate)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .await
        .map_err(|e| match e.raw_os_error() {
            Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => ClientError::io(
                format!(
                    "cannot open {}: it is a symbolic link; remove it to download here",
                    path.display()
                ),
                e,
            ),
            _ => opening(e),
        })?;
    let file = file.into_std().await;
    if !file.metadata().map_err(opening)?.is_file() {
        let why = format!("cannot open {}: it is not a regular file", path.display());
        return Err(ClientError::io(
            why,
            std::io::Error::other("not a regular file"),
        ));
    }
    Ok(file)
}

/// `NAME.part` next to `NAME`.
fn part_path(target: &Path) -> PathBuf {
    let mut name = OsString::from(target.as_os_str());
    name.push(".part");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_part_file_resumes_with_the_md5_of_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("hello.txt");
        std::fs::write(dir.path().join("hello.txt.part"), b"hel").unwrap();
        let mut part = PartFile::open(&target, 5).await.unwrap();
        assert_eq!((part.len(), part.resumed_from()), (3, 3));
        part.append(Bytes::from_static(b"lo")).await.unwrap();
        assert_eq!(
            part.finish().await.unwrap(),
            "5d41402abc4b2a76b9719d911017c592"
        );
        part.commit(&target).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
    }

    #[tokio::test]
    async fn many_chunks_and_a_restart_leave_exactly_the_later_bytes_and_their_md5() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big");
        let data: Vec<u8> = (0..6_000_000u32).map(|i| (i * 13 % 251) as u8).collect();
        let mut part = PartFile::open(&target, data.len() as u64).await.unwrap();
        // All of it appended back to back (each chunk written while the next is handed
        // over), then a restart right after the last append: the file and the hash start
        // again from nothing, and a shorter download leaves nothing of the longer one.
        for chunk in data.chunks(1 << 20) {
            part.append(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        part.restart().await.unwrap();
        assert_eq!(part.len(), 0);
        let later = &data[1_000..2_501_000];
        for chunk in later.chunks(300_000) {
            part.append(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        assert_eq!(part.len(), later.len() as u64);
        assert_eq!(
            part.finish().await.unwrap(),
            hex::encode(Md5::digest(later))
        );
        part.commit(&target).await.unwrap();
        assert!(
            std::fs::read(&target).unwrap() == later,
            "the file holds other bytes than the later ones"
        );
    }

    #[tokio::test]
    async fn a_part_file_that_is_a_symlink_or_not_a_file_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.conf");
        std::fs::write(&victim, b"precious").unwrap();
        let target = dir.path().join("report.txt");
        std::os::unix::fs::symlink(&victim, dir.path().join("report.txt.part")).unwrap();
        let err = PartFile::open(&target, 100).await.unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");

        std::fs::create_dir(dir.path().join("d.part")).unwrap();
        let err = PartFile::open(&dir.path().join("d"), 100)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("cannot open"), "{err}");
    }

    #[tokio::test]
    async fn a_part_file_longer_than_the_remote_file_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a");
        std::fs::write(dir.path().join("a.part"), b"too long").unwrap();
        let part = PartFile::open(&target, 3).await.unwrap();
        assert_eq!(part.len(), 0);
        assert_eq!(std::fs::metadata(part.path()).unwrap().len(), 0);
    }
}
