//! Where a put goes, and whether the target already holds the local file's content.

use std::path::Path;

use ferry_core::HomePath;
use ferry_core::model::{Entry, EntryKind};

use super::target::remote_target;
use super::upload_md5::UploadMd5;
use super::{Client, ClientError};

/// Where a put goes.
pub(super) enum Target {
    /// Send the file to this path.
    Send(HomePath),
    /// This file already holds the content.
    UpToDate(Entry),
}

impl Client {
    /// Decides the target path, and whether anything needs sending there (without asking
    /// when the caller knows the target is free and the remote names a folder or nothing).
    pub(super) async fn put_target(
        &mut self,
        local: &Path,
        remote: Option<&str>,
        overwrite: bool,
        assume_absent: bool,
        md5: &mut UploadMd5,
    ) -> Result<Target, ClientError> {
        let name =
            local
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| ClientError::Refused {
                    code: "invalid_path",
                    message: format!("{} has no usable file name", local.display()),
                })?;
        let remote_stat = match remote {
            Some(r) if !r.is_empty() && !r.ends_with('/') => Some(self.try_stat(r).await?),
            _ => None,
        };
        let remote_is_dir = matches!(&remote_stat, Some(Some(e)) if e.kind == EntryKind::Dir);
        let target = self.resolve(&remote_target(name, remote, remote_is_dir))?;
        if assume_absent && remote_stat.is_none() {
            return Ok(Target::Send(target));
        }
        let existing = match remote_stat {
            // A remote that is not a folder is the target itself: no second `stat` (one round
            // trip fewer per file, which shows on many small files).
            Some(stat) if !remote_is_dir => stat,
            _ => self.try_stat(&target.to_string()).await?,
        };
        let Some(existing) = existing else {
            return Ok(Target::Send(target));
        };
        if existing.kind == EntryKind::Dir {
            return Err(ClientError::Refused {
                code: "is_a_directory",
                message: format!("{target} is a folder"),
            });
        }
        if overwrite {
            return Ok(Target::Send(target));
        }
        let size = md5.size();
        if existing.size == size {
            // The one case that needs the MD5 before sending: hash the local file up front,
            // alongside the server hashing its copy if it does not know its MD5 yet (a file
            // placed on the server by other means).
            let existing = if existing.md5.is_none() {
                let path = target.to_string();
                let (local, existing) = tokio::join!(md5.digest(), self.stat_digest(&path, size));
                local?;
                existing?
            } else {
                md5.digest().await?;
                existing
            };
            if is_same(&existing, md5) {
                return Ok(Target::UpToDate(existing));
            }
        }
        Err(ClientError::Refused {
            code: "already_exists",
            message: format!(
                "{target} exists and differs; refuses to replace it (use --overwrite)"
            ),
        })
    }

    /// The entry at `target` if it already holds the local file's content (completing the local
    /// MD5 if that takes it).
    pub(super) async fn same_file(
        &mut self,
        target: &HomePath,
        md5: &mut UploadMd5,
    ) -> Result<Option<Entry>, ClientError> {
        let existing = self.try_stat(&target.to_string()).await?;
        match existing {
            Some(e) if e.kind == EntryKind::File && e.size == md5.size() && e.md5.is_some() => {
                md5.digest().await?;
                Ok(Some(e).filter(|e| is_same(e, md5)))
            }
            _ => Ok(None),
        }
    }
}

/// Same size and a known, equal MD5 (the local one must be complete). Without the server's MD5
/// sameness cannot be shown.
fn is_same(entry: &Entry, md5: &UploadMd5) -> bool {
    entry.kind == EntryKind::File
        && entry.size == md5.size()
        && entry
            .md5
            .is_some_and(|m| md5.known() == Some(m.to_string().as_str()))
}
