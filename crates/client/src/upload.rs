//! [`Client::put`]: a resumable, MD5-verified upload of one local file.
//!
//! The file's MD5 is computed while it is sent ([`UploadMd5`], on another core) and given at
//! `upload_finish`, where the server refuses a result that does not match. Only when the target
//! already exists and may not be replaced is the file hashed up front, to tell "up to date" from
//! `already_exists`. An unfinished upload to the same path with the same size is resumed at the
//! server's offset rather than started over, whether it was left by this process (a dropped
//! connection) or an earlier one; if its bytes turn out not to be this file's, the server
//! discards it at finish and the file is sent once more from the start. A file that fits in one
//! frame goes whole in one `put` instead ([`put_whole`](super::put_whole)).

use std::path::Path;
use std::time::SystemTime;

use bytes::Bytes;

use ferry_core::model::{Entry, UploadInfo};
use ferry_core::{CreateOptions, HomePath};

use super::put_whole::{Local, Whole};
use super::retry::Retrier;
use super::upload_md5::UploadMd5;
use super::upload_target::Target;
use super::{Client, ClientError, Progress, PutOptions, PutOutcome};

/// How often `upload_incomplete` at finish sends us back to writing before we give up.
const MAX_REFINISHES: u32 = 2;

/// What stderr says before sending again from the start after `checksum_mismatch`.
pub(crate) const STARTING_AGAIN: &str =
    "the partial upload on the server did not match this file; starting again";

/// Everything a put needs across attempts.
struct Job<'a> {
    local: &'a Path,
    remote: Option<&'a str>,
    create: CreateOptions,
    size: u64,
    /// When the local file was last modified as the put began, to notice changes meanwhile.
    modified: Option<SystemTime>,
    /// The whole file, read as the put began, when it is small enough for one `put` frame.
    whole: Option<Bytes>,
    md5: UploadMd5,
    target: Option<HomePath>,
    upload_id: Option<String>,
    /// Where the first attempt started, to tell how much this call moved.
    first_offset: Option<u64>,
    /// A `checksum_mismatch` sent us back to the start once already; a second one is final.
    started_over: bool,
    /// [`PutOptions::assume_absent`], until the server says otherwise.
    assume_absent: bool,
}

impl Client {
    /// Uploads `local` to `remote` (default: the local name in the current folder; a folder
    /// receives the local name), resuming where a previous attempt stopped.
    ///
    /// Without `overwrite`, an identical file at the target (same size and MD5) is left alone
    /// and reported as up to date, and a different one is `already_exists`.
    pub async fn put(
        &mut self,
        local: &Path,
        remote: Option<&str>,
        options: PutOptions,
        progress: &mut dyn Progress,
    ) -> Result<PutOutcome, ClientError> {
        let (meta, whole) = Local::open(local).await?;
        if !meta.is_file() {
            // The server's codes for the same causes: a folder, or a device, FIFO or socket.
            return Err(match meta.is_dir() {
                true => ClientError::Refused {
                    code: "is_a_directory",
                    message: format!(
                        "{} is a folder (`ferry put -r` sends folders)",
                        local.display()
                    ),
                },
                false => ClientError::Refused {
                    code: "special_file",
                    message: format!(
                        "{} is not a regular file (a device, FIFO or socket)",
                        local.display()
                    ),
                },
            });
        }
        let mut job = Job {
            local,
            remote,
            create: CreateOptions {
                overwrite: options.overwrite,
                parents: options.parents,
            },
            size: meta.len(),
            modified: meta.modified().ok(),
            whole,
            md5: UploadMd5::new(local, meta.len()),
            target: None,
            upload_id: None,
            first_offset: None,
            started_over: false,
            assume_absent: options.assume_absent,
        };
        let mut retrier = Retrier::new(options.retries);
        loop {
            match self.put_attempt(&mut job, &retrier, progress).await {
                Ok((entry, up_to_date)) => {
                    return Ok(PutOutcome {
                        entry,
                        md5: job.md5.digest().await?,
                        size: job.size,
                        sent: if up_to_date {
                            0
                        } else {
                            job.size - job.first_offset.unwrap_or(0).min(job.size)
                        },
                        up_to_date,
                    });
                }
                // Something was there after all: start again, asking this time.
                Err(e) if job.assume_absent && e.code() == "already_exists" => {
                    job.assume_absent = false;
                    job.target = None;
                }
                Err(error) => retrier.recover(self, error).await?,
            }
        }
    }

    /// One attempt on the current connection; returns the committed entry and whether it was
    /// already up to date.
    async fn put_attempt(
        &mut self,
        job: &mut Job<'_>,
        retrier: &Retrier,
        progress: &mut dyn Progress,
    ) -> Result<(Entry, bool), ClientError> {
        let target = match &job.target {
            Some(target) => target.clone(),
            None => match self
                .put_target(
                    job.local,
                    job.remote,
                    job.create.overwrite,
                    job.assume_absent,
                    &mut job.md5,
                )
                .await?
            {
                Target::Send(target) => target,
                Target::UpToDate(existing) => return Ok((existing, true)),
            },
        };
        job.target = Some(target.clone());
        if job.upload_id.is_none()
            && self.sends_whole(job.size)
            && let Some(bytes) = &job.whole
        {
            let whole = Whole {
                bytes: bytes.clone(),
                create: job.create,
            };
            job.first_offset.get_or_insert(0);
            if let Some(entry) = self
                .put_whole(&whole, &target, &mut job.md5, progress)
                .await?
            {
                return Ok((entry, false));
            }
        }
        let mut upload = match job.upload_id.clone() {
            None => self.find_or_create_upload(job, &target, progress).await?,
            Some(id) => match self.upload_status(&id).await {
                Ok(upload) => upload,
                Err(e) if e.code() == "upload_not_found" => {
                    // The finish may have gone through just before the connection dropped.
                    if let Some(entry) = self.same_file(&target, &mut job.md5).await? {
                        return Ok((entry, false));
                    }
                    job.upload_id = None;
                    self.find_or_create_upload(job, &target, progress).await?
                }
                Err(e) => return Err(e),
            },
        };
        if let Some(note) = retrier.note(upload.offset) {
            progress.note(&note);
        }
        loop {
            job.upload_id = Some(upload.id.to_string());
            job.first_offset.get_or_insert(upload.offset);
            progress.start(job.size, upload.offset);
            if let Some(entry) = self.send_upload(job, &upload, progress).await? {
                return Ok((entry, false));
            }
            // The server discarded it; its bytes were not this file's.
            progress.note(STARTING_AGAIN);
            job.started_over = true;
            job.upload_id = None;
            job.first_offset = Some(0);
            let md5 = job.md5.known().map(str::to_string);
            upload = self
                .upload_create(&target, job.size, md5, job.create)
                .await?;
        }
    }

    /// Sends the rest of `upload` and finishes it. `Ok(None)` (only before starting over): the
    /// upload held another file's bytes or expected another MD5, and is gone from the server.
    async fn send_upload(
        &mut self,
        job: &mut Job<'_>,
        upload: &UploadInfo,
        progress: &mut dyn Progress,
    ) -> Result<Option<Entry>, ClientError> {
        let id = upload.id.to_string();
        let mut offset = upload.offset;
        let mut refinishes = 0;
        loop {
            self.write_upload(&id, job.local, offset, job.size, &mut job.md5, progress)
                .await?;
            let md5 = job.md5.digest().await?;
            self.check_unchanged(job, &id).await?;
            if !job.started_over && upload.md5.is_some_and(|m| m.to_string() != md5) {
                // Created (by another client) for other content: finishing would be refused.
                self.discard_upload(&id).await?;
                return Ok(None);
            }
            match self.upload_finish(&id, Some(md5), job.size).await {
                Ok(entry) => return Ok(Some(entry)),
                // Acknowledged bytes that did not stick (a server restart, say): send them again.
                Err(e) if e.code() == "upload_incomplete" && refinishes < MAX_REFINISHES => {
                    refinishes += 1;
                    offset = e.detail_u64("offset").unwrap_or(0);
                }
                Err(e) if e.code() == "checksum_mismatch" && !job.started_over => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    /// Refuses to finish an upload whose local file changed while it was sent: its bytes may
    /// mix two versions that the MD5, computed from the same bytes, would not reveal.
    async fn check_unchanged(&mut self, job: &Job<'_>, id: &str) -> Result<(), ClientError> {
        let meta = tokio::fs::metadata(job.local)
            .await
            .map_err(|e| ClientError::io(format!("cannot read {}", job.local.display()), e))?;
        if meta.len() == job.size && meta.modified().ok() == job.modified {
            return Ok(());
        }
        self.discard_upload(id).await?;
        Err(ClientError::Refused {
            code: "file_changed",
            message: format!("{} changed while it was being sent", job.local.display()),
        })
    }

    /// Cancels an upload that must not be finished; one already gone is fine.
    async fn discard_upload(&mut self, id: &str) -> Result<(), ClientError> {
        match self.upload_cancel(id).await {
            Err(e) if e.code() != "upload_not_found" => Err(e),
            _ => Ok(()),
        }
    }

    /// Resumes a matching unfinished upload, or starts one.
    async fn find_or_create_upload(
        &mut self,
        job: &Job<'_>,
        target: &HomePath,
        progress: &mut dyn Progress,
    ) -> Result<UploadInfo, ClientError> {
        if job.assume_absent {
            return self
                .upload_create(
                    target,
                    job.size,
                    job.md5.known().map(str::to_string),
                    job.create,
                )
                .await;
        }
        let unfinished = self.upload_list().await?;
        let resumable = unfinished
            .into_iter()
            .filter(|u| &u.path == target && u.size == job.size && u.offset <= job.size)
            .filter(|u| match (u.md5, job.md5.known()) {
                (Some(theirs), Some(ours)) => theirs.to_string() == ours,
                // Whether the bytes are this file's shows at finish.
                (Some(_), None) => true,
                // After starting over, only an upload made with our MD5 is surely ours.
                (None, _) => !job.started_over,
            })
            .max_by_key(|u| u.offset);
        if let Some(upload) = resumable {
            if upload.offset > 0 {
                progress.note(&format!("resuming at {} bytes", upload.offset));
            }
            return Ok(upload);
        }
        let md5 = job.md5.known().map(str::to_string);
        self.upload_create(target, job.size, md5, job.create).await
    }
}
