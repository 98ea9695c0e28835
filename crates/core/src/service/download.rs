//! Downloads: a file opened once, its MD5 known before the first byte leaves, read from any
//! offset in bounded chunks.

use bytes::Bytes;
use md5::Digest;

use crate::fast_md5::Md5;

use super::{Session, blocking};
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::store::FileRead;
use crate::{Error, Result};

/// Files up to this size are read whole when opened, in the same trip to the disk: a small
/// download then needs no second read, and a door can send it as one body (headers and bytes
/// in one write).
pub const INLINE: usize = 64 * 1024;

/// An open download. The bytes come from the one file version that was opened, even if the
/// path is replaced meanwhile, so the announced MD5 always matches what is sent.
#[derive(Debug)]
pub struct Download {
    /// The file, with `md5` always set.
    pub entry: Entry,
    /// Where sending starts.
    pub offset: u64,
    reader: Box<dyn FileRead>,
    position: u64,
    /// The whole file, when it was small enough to be read at open ([`INLINE`]).
    whole: Option<Bytes>,
}

impl Download {
    /// The file's MD5.
    pub fn md5(&self) -> Md5Digest {
        self.entry.md5.unwrap_or(Md5Digest([0; 16]))
    }

    /// The whole file's bytes (from offset 0, whatever `offset` is), when the file was small
    /// enough to be read at open.
    pub fn whole(&self) -> Option<Bytes> {
        self.whole.clone()
    }

    /// The next at most `max` bytes, or `None` at the end.
    pub async fn next_chunk(&mut self, max: usize) -> Result<Option<Bytes>> {
        let remaining = self.entry.size.saturating_sub(self.position);
        if remaining == 0 {
            return Ok(None);
        }
        let want = (max as u64).min(remaining) as usize;
        let buf = match &self.whole {
            Some(w) => {
                let at = self.position as usize;
                w.slice(at..at + want)
            }
            None => self.reader.read_at(self.position, want).await?,
        };
        if buf.is_empty() {
            // The file shrank under us (changed outside Ferry, e.g. by a command): this
            // version is gone, as when a store sees a file replaced mid-read. Stop rather
            // than lie; the client starts again on what is there now.
            return Err(Error::NotFound(format!(
                "{} (it got shorter while being downloaded; download it again)",
                self.entry.path
            )));
        }
        self.position += buf.len() as u64;
        Ok(Some(buf))
    }
}

impl Session {
    /// Opens a file for download from `offset`; computes and remembers its MD5 if unknown.
    pub async fn open_download(&self, input: &str, offset: u64) -> Result<Download> {
        let path = self.resolve(input)?;
        let inner = &self.ferry.inner;
        let (mut opened, whole) = inner.files.open_inline(&self.user, &path, INLINE).await?;
        if offset > opened.entry.size {
            return Err(Error::BadRequest(format!(
                "offset {offset} is past the end of the file ({} bytes)",
                opened.entry.size
            )));
        }
        if opened.entry.md5.is_none() {
            let md5 = match &whole {
                // At most `INLINE` bytes: tens of microseconds of MD5, on this thread.
                Some(bytes) => Md5Digest(Md5::digest(bytes).into()),
                None => hash_all(opened.reader.as_ref(), opened.entry.size).await?,
            };
            let _ = inner
                .files
                .remember_digest(&self.user, &opened.version, &md5)
                .await;
            opened.entry.md5 = Some(md5);
        }
        Ok(Download {
            entry: opened.entry,
            offset,
            reader: opened.reader,
            position: offset,
            whole,
        })
    }
}

/// MD5 of the whole file, read in blocks and hashed on the blocking pool.
async fn hash_all(reader: &dyn FileRead, size: u64) -> Result<Md5Digest> {
    let mut hasher = Md5::new();
    let mut at = 0;
    while at < size {
        let block = reader.read_at(at, 1 << 20).await?;
        if block.is_empty() {
            break;
        }
        at += block.len() as u64;
        hasher = blocking(move || {
            hasher.update(&block);
            Ok(hasher)
        })
        .await?;
    }
    Ok(Md5Digest(hasher.finalize().into()))
}
