//! [`Client::get`]: a resumable, MD5-verified download into `NAME.part`, renamed when whole.
//!
//! An existing `.part` file is the resume point: its bytes are hashed, then only the rest is
//! asked for. Every data frame's offset and CRC-32C are checked before it is written, and the
//! MD5 of the whole file (old prefix plus new bytes) must equal the server's before the rename.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use ferry_core::HomePath;
use ferry_core::model::EntryKind;
use ferry_proto::frame::chunk_crc;
use ferry_proto::message::{DownloadData, DownloadEnd, DownloadHead, Request, Status};

use super::part::PartFile;
use super::retry::Retrier;
use super::target::local_target;
use super::{Client, ClientError, Progress, reply, server_error};

/// How [`Client::get`] behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// Replace an existing local file.
    pub overwrite: bool,
    /// Reconnect-and-resume attempts after a dropped connection.
    pub retries: u32,
}

/// What [`Client::get`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetOutcome {
    /// The remote file, absolute.
    pub remote: HomePath,
    /// The local file written.
    pub local: PathBuf,
    /// Its size.
    pub size: u64,
    /// Its verified MD5, 32 lowercase hex digits.
    pub md5: String,
    /// Bytes this call had to fetch: `size` less the `.part` file it resumed from.
    pub received: u64,
}

/// A download in progress.
struct Job {
    remote: HomePath,
    /// The remote size `stat` reported, to scale how long the server may take to answer.
    remote_size: u64,
    target: PathBuf,
    part: PartFile,
}

impl Client {
    /// Downloads `remote` to `local` (default: the remote name in the current directory; a
    /// directory receives the remote name), resuming from `LOCAL.part` if one exists.
    pub async fn get(
        &mut self,
        remote: &str,
        local: Option<&Path>,
        options: GetOptions,
        progress: &mut dyn Progress,
    ) -> Result<GetOutcome, ClientError> {
        let mut retrier = Retrier::new(options.retries);
        let mut job = loop {
            match self
                .prepare_get(remote, local, options.overwrite, progress)
                .await
            {
                Ok(job) => break job,
                Err(error) => retrier.recover(self, error).await?,
            }
        };
        let (size, md5) = loop {
            let result = match self.get_attempt(&mut job, &retrier, progress).await {
                Ok(head) => verify(&mut job.part, &job.target, head).await,
                Err(error) => Err(error),
            };
            match result {
                Ok(verified) => break verified,
                // A stale `.part` from a file that changed since: start over, once.
                Err(e) if e.code() == "checksum_mismatch" && job.part.resumed_from() > 0 => {
                    progress.note(&format!(
                        "MD5 mismatch after resuming {}; downloading again from 0",
                        job.part.path().display()
                    ));
                    job.part.restart().await?;
                }
                Err(error) => retrier.recover(self, error).await?,
            }
        };
        if !options.overwrite && tokio::fs::try_exists(&job.target).await.unwrap_or(false) {
            return Err(ClientError::LocalExists(job.target.display().to_string()));
        }
        job.part.commit(&job.target).await?;
        Ok(GetOutcome {
            remote: job.remote,
            local: job.target,
            size,
            md5,
            received: size.saturating_sub(job.part.resumed_from()),
        })
    }

    /// Finds the remote file, decides the local name and opens (or resumes) the `.part` file.
    async fn prepare_get(
        &mut self,
        remote: &str,
        local: Option<&Path>,
        overwrite: bool,
        progress: &mut dyn Progress,
    ) -> Result<Job, ClientError> {
        let entry = self.stat(remote).await?;
        if entry.kind == EntryKind::Dir {
            return Err(ClientError::Refused {
                code: "is_a_directory",
                message: format!("{} is a folder", entry.path),
            });
        }
        let local_is_dir = local.is_some_and(Path::is_dir);
        let target = local_target(&entry.name, local, local_is_dir);
        if target.is_dir() {
            return Err(ClientError::Refused {
                code: "is_a_directory",
                message: format!("{} is a directory", target.display()),
            });
        }
        if !overwrite && target.exists() {
            return Err(ClientError::LocalExists(target.display().to_string()));
        }
        let part = PartFile::open(&target, entry.size).await?;
        match part.len() {
            0 => {}
            held => progress.note(&format!("resuming at {held} bytes")),
        }
        Ok(Job {
            remote: entry.path,
            remote_size: entry.size,
            target,
            part,
        })
    }

    /// Asks for the rest of the file and appends it; returns the opening frame's promises.
    async fn get_attempt(
        &mut self,
        job: &mut Job,
        retrier: &Retrier,
        progress: &mut dyn Progress,
    ) -> Result<DownloadHead, ClientError> {
        if let Some(note) = retrier.note(job.part.len()) {
            progress.note(&note);
        }
        let request = Request::Get {
            path: job.remote.to_string(),
            offset: job.part.len(),
        };
        self.conn().send(request.into_frame(Bytes::new())).await?;
        // The server may hash the file before its first answer.
        let wait = self.wait_for_bytes(job.remote_size);
        let (response, _) = self.conn().recv_within(wait).await?;
        let head: DownloadHead = reply(response)?;
        progress.start(head.size, job.part.len());
        let mut failure = (head.offset != job.part.len()).then(|| {
            ClientError::protocol(format!(
                "asked for offset {}, the server starts at {}",
                job.part.len(),
                head.offset
            ))
        });
        // Read to the end even after a failure, so the connection stays in step.
        loop {
            let (response, payload) = self.conn().recv().await?;
            match response.status {
                Status::Data if failure.is_none() => {
                    self.pace(payload.len() as u64).await;
                    let accepted = match reply::<DownloadData>(response) {
                        Ok(data) => accept(&mut job.part, data, payload).await,
                        Err(e) => Err(e),
                    };
                    match accepted {
                        Ok(()) => progress.advance(job.part.len()),
                        Err(e) => failure = Some(e),
                    }
                }
                Status::Data => {}
                Status::End => {
                    if failure.is_none() {
                        failure = match reply::<DownloadEnd>(response) {
                            Ok(end) if end.size == job.part.len() => None,
                            Ok(end) => Some(ClientError::protocol(format!(
                                "download ended at {} bytes, announced {}",
                                job.part.len(),
                                end.size
                            ))),
                            Err(e) => Some(e),
                        };
                    }
                    break;
                }
                Status::Error => return Err(failure.unwrap_or_else(|| server_error(response))),
                Status::Ok => return Err(ClientError::protocol("a second ok frame in a download")),
                Status::ExecOutput => {
                    return Err(ClientError::protocol("an exec_output frame in a download"));
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(head),
        }
    }
}

/// Checks one data frame and appends it to the `.part` file.
async fn accept(
    part: &mut PartFile,
    data: DownloadData,
    payload: Bytes,
) -> Result<(), ClientError> {
    if data.offset != part.len() {
        return Err(ClientError::protocol(format!(
            "data frame at offset {}, expected {}",
            data.offset,
            part.len()
        )));
    }
    if data.crc32c != chunk_crc(&payload) {
        return Err(ClientError::ChunkCorrupt { offset: part.len() });
    }
    part.append(payload).await
}

/// Makes the `.part` file durable and checks its size and MD5; returns both. A file with the
/// wrong MD5 is deleted.
async fn verify(
    part: &mut PartFile,
    target: &Path,
    head: DownloadHead,
) -> Result<(u64, String), ClientError> {
    let actual = part.finish().await?;
    if part.len() != head.size {
        return Err(ClientError::protocol(format!(
            "received {} bytes of a {}-byte file",
            part.len(),
            head.size
        )));
    }
    let expected = head.md5.to_string();
    if expected != actual {
        part.discard().await;
        return Err(ClientError::ChecksumMismatch {
            path: target.display().to_string(),
            expected,
            actual,
        });
    }
    Ok((head.size, actual))
}
