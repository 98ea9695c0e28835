//! Downloads: a file opened once, its MD5 known before the first byte leaves, read from any
//! offset in bounded chunks.

use std::io::{Read, Seek, SeekFrom};

use bytes::{Bytes, BytesMut};
use md5::{Digest, Md5};

use super::{Session, blocking};
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::store::blob::BlobRead;
use crate::{Error, Result};

/// An open download. The bytes come from the one file version that was opened, even if the
/// path is replaced meanwhile, so the announced MD5 always matches what is sent.
#[derive(Debug)]
pub struct Download {
    /// The file, with `md5` always set.
    pub entry: Entry,
    /// Where sending starts.
    pub offset: u64,
    reader: Option<Box<dyn BlobRead>>,
    position: u64,
}

impl Download {
    /// The file's MD5.
    pub fn md5(&self) -> Md5Digest {
        self.entry.md5.unwrap_or(Md5Digest([0; 16]))
    }

    /// The next at most `max` bytes, or `None` at the end.
    pub async fn next_chunk(&mut self, max: usize) -> Result<Option<Bytes>> {
        let remaining = self.entry.size.saturating_sub(self.position);
        if remaining == 0 {
            return Ok(None);
        }
        let want = (max as u64).min(remaining) as usize;
        let mut reader = self
            .reader
            .take()
            .ok_or_else(|| Error::internal("reader lost"))?;
        let (reader, buf) = blocking(move || {
            let mut buf = BytesMut::zeroed(want);
            let mut filled = 0;
            while filled < want {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::internal(e)),
                }
            }
            buf.truncate(filled);
            Ok((reader, buf))
        })
        .await?;
        self.reader = Some(reader);
        if buf.is_empty() {
            // The file shrank under us (changed outside Ferry): stop rather than lie.
            return Err(Error::internal("file shrank during download"));
        }
        self.position += buf.len() as u64;
        Ok(Some(buf.freeze()))
    }
}

impl Session {
    /// Opens a file for download from `offset`; computes and remembers its MD5 if unknown.
    pub async fn open_download(&self, input: &str, offset: u64) -> Result<Download> {
        let path = self.resolve(input)?;
        let inner = self.ferry.inner.clone();
        let user = self.user.clone();
        blocking(move || {
            let mut opened = inner.blobs.open(&user, &path)?;
            if offset > opened.entry.size {
                return Err(Error::BadRequest(format!(
                    "offset {offset} is past the end of the file ({} bytes)",
                    opened.entry.size
                )));
            }
            if opened.entry.md5.is_none() {
                let md5 = hash_all(&mut opened.reader)?;
                let _ = inner.blobs.remember_digest(&user, &opened.version, &md5);
                opened.entry.md5 = Some(md5);
            }
            opened
                .reader
                .seek(SeekFrom::Start(offset))
                .map_err(Error::internal)?;
            Ok(Download {
                entry: opened.entry,
                offset,
                reader: Some(opened.reader),
                position: offset,
            })
        })
        .await
    }
}

fn hash_all(reader: &mut Box<dyn BlobRead>) -> Result<Md5Digest> {
    reader.seek(SeekFrom::Start(0)).map_err(Error::internal)?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::internal(e)),
        }
    }
    Ok(Md5Digest(hasher.finalize().into()))
}
