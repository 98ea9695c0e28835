//! [`Client::put`]: a resumable, MD5-verified upload of one local file.
//!
//! The local file is hashed first (streaming), so the MD5 is announced at `upload_create` and
//! the server can refuse a corrupted result at `upload_finish`. An unfinished upload of the
//! same content to the same path is resumed at the server's offset rather than started over,
//! whether it was left by this process (a dropped connection) or an earlier one.

use std::path::Path;

use ferry_core::HomePath;
use ferry_core::model::{Entry, EntryKind, UploadInfo};

use super::hash::md5_file;
use super::retry::Retrier;
use super::target::remote_target;
use super::{Client, ClientError, Progress};

/// How often `upload_incomplete` at finish sends us back to writing before we give up.
const MAX_REFINISHES: u32 = 2;

/// How [`Client::put`] behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Replace a different file already at the target.
    pub overwrite: bool,
    /// Reconnect-and-resume attempts after a dropped connection.
    pub retries: u32,
}

/// What [`Client::put`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// The file on the server now.
    pub entry: Entry,
    /// MD5 of the local file, 32 lowercase hex digits.
    pub md5: String,
    /// Size of the local file.
    pub size: u64,
    /// Bytes this call had to move: `size` less what the server already held when it began.
    pub sent: u64,
    /// The target already held this exact content; nothing was sent.
    pub up_to_date: bool,
}

/// Where a put goes.
enum Target {
    /// Send the file to this path.
    Send(HomePath),
    /// This file already holds the content.
    UpToDate(Entry),
}

/// Everything a put needs across attempts.
struct Job<'a> {
    local: &'a Path,
    remote: Option<&'a str>,
    overwrite: bool,
    md5: String,
    size: u64,
    target: Option<HomePath>,
    upload_id: Option<String>,
    /// Where the first attempt started, to tell how much this call moved.
    first_offset: Option<u64>,
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
        let meta = tokio::fs::metadata(local)
            .await
            .map_err(|e| ClientError::io(format!("cannot read {}", local.display()), e))?;
        if !meta.is_file() {
            return Err(ClientError::Refused {
                code: "is_a_directory",
                message: format!("{} is not a regular file", local.display()),
            });
        }
        let (md5, size) = md5_file(local).await?;
        let mut job = Job {
            local,
            remote,
            overwrite: options.overwrite,
            md5,
            size,
            target: None,
            upload_id: None,
            first_offset: None,
        };
        let mut retrier = Retrier::new(options.retries);
        loop {
            match self.put_attempt(&mut job, &retrier, progress).await {
                Ok((entry, up_to_date)) => {
                    return Ok(PutOutcome {
                        entry,
                        md5: job.md5,
                        size: job.size,
                        sent: if up_to_date {
                            0
                        } else {
                            job.size - job.first_offset.unwrap_or(0).min(job.size)
                        },
                        up_to_date,
                    });
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
            None => match self.put_target(job).await? {
                Target::Send(target) => target,
                Target::UpToDate(existing) => return Ok((existing, true)),
            },
        };
        job.target = Some(target.clone());
        let upload = match job.upload_id.clone() {
            None => self.find_or_create_upload(job, &target, progress).await?,
            Some(id) => match self.upload_status(&id).await {
                Ok(upload) => upload,
                Err(e) if e.code() == "upload_not_found" => {
                    // The finish may have gone through just before the connection dropped.
                    if let Some(entry) = self.same_file(&target, job).await? {
                        return Ok((entry, false));
                    }
                    job.upload_id = None;
                    self.find_or_create_upload(job, &target, progress).await?
                }
                Err(e) => return Err(e),
            },
        };
        job.upload_id = Some(upload.id.to_string());
        if let Some(note) = retrier.note(upload.offset) {
            progress.note(&note);
        }
        let id = upload.id.to_string();
        job.first_offset.get_or_insert(upload.offset);
        progress.start(job.size, upload.offset);
        let mut offset = upload.offset;
        let mut refinishes = 0;
        loop {
            self.write_upload(&id, job.local, offset, job.size, progress)
                .await?;
            match self
                .upload_finish(&id, Some(job.md5.clone()), job.size)
                .await
            {
                Ok(entry) => return Ok((entry, false)),
                // Acknowledged bytes that did not stick (a server restart, say): send them again.
                Err(e) if e.code() == "upload_incomplete" && refinishes < MAX_REFINISHES => {
                    refinishes += 1;
                    offset = e.detail_u64("offset").unwrap_or(0);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Decides the target path, and whether anything needs sending there.
    async fn put_target(&mut self, job: &Job<'_>) -> Result<Target, ClientError> {
        let name = job
            .local
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| ClientError::Refused {
                code: "invalid_path",
                message: format!("{} has no usable file name", job.local.display()),
            })?;
        let remote_is_dir = match job.remote {
            Some(r) if !r.is_empty() && !r.ends_with('/') => {
                matches!(self.try_stat(r).await?, Some(e) if e.kind == EntryKind::Dir)
            }
            _ => false,
        };
        let target = self.resolve(&remote_target(name, job.remote, remote_is_dir))?;
        let Some(existing) = self.try_stat(&target.to_string()).await? else {
            return Ok(Target::Send(target));
        };
        if existing.kind == EntryKind::Dir {
            return Err(ClientError::Refused {
                code: "is_a_directory",
                message: format!("{target} is a folder"),
            });
        }
        if job.overwrite {
            return Ok(Target::Send(target));
        }
        let mut existing = existing;
        if existing.size == job.size && existing.md5.is_none() {
            // Same size, unknown content (a file placed on the server by other means).
            existing = self.stat_digest(&target.to_string(), job.size).await?;
        }
        if is_same(&existing, job) {
            return Ok(Target::UpToDate(existing));
        }
        Err(ClientError::Refused {
            code: "already_exists",
            message: format!(
                "{target} exists and differs; refuses to replace it (use --overwrite)"
            ),
        })
    }

    /// Resumes a matching unfinished upload, or starts one.
    async fn find_or_create_upload(
        &mut self,
        job: &Job<'_>,
        target: &HomePath,
        progress: &mut dyn Progress,
    ) -> Result<UploadInfo, ClientError> {
        let unfinished = self.upload_list().await?;
        let resumable = unfinished
            .into_iter()
            .filter(|u| &u.path == target && u.size == job.size && u.offset <= job.size)
            .filter(|u| u.md5.is_none_or(|m| m.to_string() == job.md5))
            .max_by_key(|u| u.offset);
        if let Some(upload) = resumable {
            if upload.offset > 0 {
                progress.note(&format!("resuming at {} bytes", upload.offset));
            }
            return Ok(upload);
        }
        self.upload_create(target, job.size, Some(job.md5.clone()), job.overwrite)
            .await
    }

    /// The entry at `target` if it already holds the job's content.
    async fn same_file(
        &mut self,
        target: &HomePath,
        job: &Job<'_>,
    ) -> Result<Option<Entry>, ClientError> {
        let existing = self.try_stat(&target.to_string()).await?;
        Ok(existing.filter(|e| is_same(e, job)))
    }
}

/// Same size and a known, equal MD5. Without the server's MD5 sameness cannot be shown.
fn is_same(entry: &Entry, job: &Job<'_>) -> bool {
    entry.kind == EntryKind::File
        && entry.size == job.size
        && entry.md5.is_some_and(|m| m.to_string() == job.md5)
}
