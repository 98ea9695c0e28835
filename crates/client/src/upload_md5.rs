//! [`UploadMd5`]: the MD5 of the file being uploaded, computed from the chunks as they are sent.
//! One file (~300 lines with its tests), not a handle module and a thread module: the invariant
//! below binds the two halves, and neither can be checked without the other beside it.
//!
//! The pipeline hands each chunk it reads (a cheap `Bytes` clone) to a hashing thread through
//! a channel of [`WINDOW`] chunks, so hashing runs on another core while the socket work goes on
//! and the file is read once. When the thread falls that far behind, handing over waits: memory
//! stays bounded and nothing is read twice.
//!
//! **Invariant:** the thread has hashed exactly bytes `[0, hashed)` of the local file, in order,
//! each once. A chunk handed over at `offset` is taken as follows:
//!
//! ```text
//!   offset == hashed   the whole chunk is hashed
//!   offset <  hashed   a resend after the server's offset went back: only the part past
//!                      `hashed`, if any (the bytes before are the same bytes of the same file)
//!   offset >  hashed   resuming at the server's offset: the thread first reads the gap
//!                      [hashed, offset) from the file itself (local, no network)
//! ```
//!
//! So the digest depends only on the local file, never on what the server holds or on how
//! writes were retried, and [`UploadMd5::digest`] can always complete it by reading whatever
//! was not handed over. A file that changes while it is sent is caught by the caller (size and
//! modification time), not here.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use ferry_core::fast_md5::Md5;
use md5::Digest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ClientError;
use super::window::WINDOW;

/// Read buffer for the gaps the thread fills itself.
const READ_BUF: usize = 1 << 20;

/// The local file's MD5: not started, being computed, or known.
#[derive(Debug)]
pub(crate) struct UploadMd5 {
    path: PathBuf,
    size: u64,
    state: State,
}

#[derive(Debug)]
enum State {
    Idle,
    Hashing {
        chunks: mpsc::Sender<Message>,
        thread: JoinHandle<Option<io::Result<String>>>,
    },
    Known(String),
}

#[derive(Debug)]
enum Message {
    /// Bytes of the file starting at this offset.
    Chunk(u64, Bytes),
    /// Hash whatever is left up to the size and return the digest.
    Finish,
}

impl UploadMd5 {
    /// The MD5 of the first `size` bytes of `path`, nothing hashed yet.
    pub(crate) fn new(path: &Path, size: u64) -> Self {
        UploadMd5 {
            path: path.to_path_buf(),
            size,
            state: State::Idle,
        }
    }

    /// How many bytes of the file it covers.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The digest, if it is complete.
    pub(crate) fn known(&self) -> Option<&str> {
        match &self.state {
            State::Known(md5) => Some(md5),
            _ => None,
        }
    }

    /// Hands over a chunk read for sending; waits only while the thread is a window behind.
    /// Once the digest is known this does nothing.
    pub(crate) async fn feed(&mut self, offset: u64, chunk: &Bytes) {
        if let State::Idle = self.state {
            self.state = self.spawn();
        }
        if let State::Hashing { chunks, .. } = &self.state {
            // A send fails only if the thread is gone; `digest` reports why.
            let _ = chunks.send(Message::Chunk(offset, chunk.clone())).await;
        }
    }

    /// The digest of `whole`, every byte of the file, computed on the spot: a file small
    /// enough to go in one frame hashes in less time than a thread takes to start.
    pub(crate) fn of_whole(&mut self, whole: &[u8]) -> String {
        debug_assert_eq!(whole.len() as u64, self.size, "the whole file");
        let md5 = hex::encode(Md5::digest(whole));
        self.state = State::Known(md5.clone());
        md5
    }

    /// Completes the digest, reading from the file whatever was not handed over (all of it if
    /// nothing was: a plain pass over the file), and returns it as 32 lowercase hex digits.
    pub(crate) async fn digest(&mut self) -> Result<String, ClientError> {
        if let State::Idle = self.state {
            self.state = self.spawn();
        }
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Known(md5) => {
                self.state = State::Known(md5.clone());
                Ok(md5)
            }
            State::Hashing { chunks, thread } => {
                // `chunks` stays open until the answer is in: the thread takes a closed channel
                // for an abandoned upload and stops early.
                let _ = chunks.send(Message::Finish).await;
                let result = thread.await;
                drop(chunks);
                let md5 = match result {
                    Ok(Some(Ok(md5))) => md5,
                    Ok(Some(Err(e))) => return Err(self.reading(e)),
                    Ok(None) => return Err(self.reading(io::Error::other("hashing stopped"))),
                    Err(e) => return Err(self.reading(io::Error::other(e))),
                };
                self.state = State::Known(md5.clone());
                Ok(md5)
            }
            State::Idle => unreachable!("spawned above"),
        }
    }

    fn spawn(&self) -> State {
        let (chunks, received) = mpsc::channel(WINDOW);
        let hasher = Hasher {
            path: self.path.clone(),
            file: None,
            md5: Md5::new(),
            hashed: 0,
        };
        let size = self.size;
        let thread = tokio::task::spawn_blocking(move || hasher.run(received, size));
        State::Hashing { chunks, thread }
    }

    fn reading(&self, e: io::Error) -> ClientError {
        ClientError::io(format!("cannot read {}", self.path.display()), e)
    }
}

/// The hashing thread's state: `md5` covers exactly bytes `[0, hashed)` of the file.
struct Hasher {
    path: PathBuf,
    /// Opened on the first gap.
    file: Option<File>,
    md5: Md5,
    hashed: u64,
}

impl Hasher {
    /// Takes chunks until told to finish (returns the digest of `[0, size)`) or abandoned
    /// (returns `None`). After a read error it only drains, and reports the error at the end.
    fn run(
        mut self,
        mut received: mpsc::Receiver<Message>,
        size: u64,
    ) -> Option<io::Result<String>> {
        let mut failed = None;
        while let Some(message) = received.blocking_recv() {
            match message {
                Message::Chunk(offset, chunk) if failed.is_none() => {
                    let abandoned = || received.is_closed();
                    if let Err(e) = self.take(offset, &chunk, &abandoned) {
                        failed = Some(e);
                    }
                }
                Message::Chunk(..) => {}
                Message::Finish => {
                    if let Some(e) = failed {
                        return Some(Err(e));
                    }
                    return Some(
                        self.read_to(size, &|| false)
                            .map(|()| hex::encode(self.md5.finalize())),
                    );
                }
            }
        }
        None
    }

    /// Hashes what `chunk` (bytes `[offset, offset + len)`) adds past `hashed`.
    fn take(&mut self, offset: u64, chunk: &[u8], abandoned: &dyn Fn() -> bool) -> io::Result<()> {
        if offset > self.hashed {
            self.read_to(offset, abandoned)?;
        }
        // `offset <= hashed` now; `skip` is what the hasher already has.
        let skip = self.hashed - offset;
        if let Some(new) = usize::try_from(skip).ok().and_then(|s| chunk.get(s..)) {
            self.md5.update(new);
            self.hashed += new.len() as u64;
        }
        Ok(())
    }

    /// Reads and hashes `[hashed, end)` from the file, stopping early if `abandoned`.
    fn read_to(&mut self, end: u64, abandoned: &dyn Fn() -> bool) -> io::Result<()> {
        if self.hashed >= end {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(File::open(&self.path)?),
        };
        file.seek(SeekFrom::Start(self.hashed))?;
        let mut buf = vec![0u8; READ_BUF];
        while self.hashed < end {
            if abandoned() {
                return Err(io::Error::other("abandoned"));
            }
            let want = (end - self.hashed).min(READ_BUF as u64) as usize;
            match file.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the file ends at {} bytes", self.hashed),
                    ));
                }
                Ok(n) => {
                    self.md5.update(&buf[..n]);
                    self.hashed += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + i / 997) as u8).collect()
    }

    fn md5_hex(data: &[u8]) -> String {
        hex::encode(Md5::digest(data))
    }

    /// A temp file holding `data`; the folder goes when the returned guard drops.
    fn file_with(data: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, data).unwrap();
        (dir, path)
    }

    async fn digest_of(data: &[u8], feeds: &[(usize, usize)]) -> String {
        let (_dir, path) = file_with(data);
        let mut md5 = UploadMd5::new(&path, data.len() as u64);
        for &(from, to) in feeds {
            let chunk = Bytes::copy_from_slice(&data[from..to]);
            md5.feed(from as u64, &chunk).await;
        }
        md5.digest().await.unwrap()
    }

    #[tokio::test]
    async fn chunks_in_order_give_the_file_md5() {
        let data = content(5000);
        let feeds: Vec<_> = (0..5000)
            .step_by(700)
            .map(|a| (a, (a + 700).min(5000)))
            .collect();
        assert_eq!(digest_of(&data, &feeds).await, md5_hex(&data));
    }

    #[tokio::test]
    async fn resends_overlaps_and_gaps_still_give_the_file_md5() {
        let data = content(5000);
        // A resume at 1200 (gap), a resend from 1000 after the offset went back (overlap), a
        // chunk wholly behind, a jump forward, and an unsent tail read at the end.
        let feeds = [(1200, 2000), (1000, 2500), (1500, 1800), (3000, 3500)];
        assert_eq!(digest_of(&data, &feeds).await, md5_hex(&data));
    }

    #[tokio::test]
    async fn without_chunks_the_digest_is_a_plain_pass_and_is_kept() {
        let data = content(3000);
        let (_dir, path) = file_with(&data);
        let mut md5 = UploadMd5::new(&path, 3000);
        assert_eq!(md5.known(), None);
        assert_eq!(md5.digest().await.unwrap(), md5_hex(&data));
        assert_eq!(md5.known(), Some(md5_hex(&data).as_str()));
        md5.feed(0, &Bytes::from_static(b"ignored")).await;
        assert_eq!(md5.digest().await.unwrap(), md5_hex(&data));
    }

    #[tokio::test]
    async fn a_file_shorter_than_its_size_is_an_error() {
        let (_dir, path) = file_with(b"short");
        let mut md5 = UploadMd5::new(&path, 10);
        assert_eq!(md5.digest().await.unwrap_err().code(), "io_error");
    }
}
