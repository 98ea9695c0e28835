//! Where each source of a `put`/`get` goes, as scp decides it (the folder walks behind `-r`
//! are in `walk`).
//!
//! DEST (the last path; the current folder when there is one source) is a folder to put the
//! sources *into* when it ends in `/` or already is a folder; otherwise, with one source, it is
//! the new name of that file, or the copy of that folder (`-r`). Several sources need a
//! folder.

use std::path::{Path, PathBuf};

use ferry_client::{Client, ClientError};
use ferry_core::model::EntryKind;

use super::report::Report;
use super::walk::{fetch, safe_name, walk_local, walk_remote};

/// One file to move.
#[derive(Debug, Clone)]
pub enum Transfer {
    /// Upload `local` with `Client::put(local, remote)`: `remote` ends in `/` (into that
    /// folder) or names the file.
    Put {
        local: PathBuf,
        remote: String,
        size: u64,
        /// Nothing is at the target and no unfinished upload goes there (see `absent`).
        absent: bool,
    },
    /// Download the absolute `remote` file to the local file `local`.
    Get {
        remote: String,
        local: PathBuf,
        size: u64,
        /// The remote MD5 when the listing knew it, to leave an identical local file alone.
        md5: Option<String>,
    },
}

impl Transfer {
    /// Bytes the file holds.
    pub fn size(&self) -> u64 {
        match self {
            Transfer::Put { size, .. } | Transfer::Get { size, .. } => *size,
        }
    }

    /// The source as the user named it.
    pub fn source(&self) -> String {
        match self {
            Transfer::Put { local, .. } => local.display().to_string(),
            Transfer::Get { remote, .. } => remote.clone(),
        }
    }
}

/// What a batch will do.
#[derive(Debug, Default)]
pub struct Plan {
    pub transfers: Vec<Transfer>,
    /// Remote folders that must exist even with nothing in them (the leaves of the sent
    /// trees), created with their parents.
    pub(super) remote_leaves: Vec<String>,
    /// Remote copies of sent folders, created on their own (only with `--no-parents`, which
    /// must refuse a missing DEST).
    remote_roots: Vec<String>,
    /// Local folders of fetched trees.
    pub(super) local_dirs: Vec<PathBuf>,
}

/// Where the sources go.
enum Dest {
    /// Into this folder (`""`: the current one), under their own names.
    Into(String),
    /// One source, renamed to this path (a file's new name, or a folder's copy).
    As(String),
}

/// `put SRC… [DEST]`.
pub async fn put(
    client: &mut Client,
    paths: &[PathBuf],
    recursive: bool,
    report: &mut Report,
) -> Result<Plan, ClientError> {
    let (sources, dest) = match paths {
        [one] => (std::slice::from_ref(one), None),
        [sources @ .., dest] => (sources, Some(utf8(dest)?)),
        [] => (paths, None),
    };
    let single = sources.len() == 1;
    let dest = match dest {
        None => Dest::Into(String::new()),
        Some(d) if d.ends_with('/') => Dest::Into(d.to_string()),
        Some(d) => match client.try_stat(d).await? {
            Some(e) if e.kind == EntryKind::Dir => Dest::Into(format!("{d}/")),
            Some(_) if single && !sources[0].is_dir() => Dest::As(d.to_string()),
            Some(_) => return Err(several_need_a_folder("not_a_directory", d, "is a file")),
            None if single => Dest::As(d.to_string()),
            None => return Err(several_need_a_folder("not_found", d, "does not exist")),
        },
    };
    let mut plan = Plan::default();
    for source in sources {
        let meta = match std::fs::metadata(source) {
            Ok(meta) => meta,
            Err(e) => {
                let what = format!("cannot read {}", source.display());
                report.failed(&source.display().to_string(), &ClientError::io(what, e));
                continue;
            }
        };
        let name = local_name(source);
        if meta.is_file() {
            let remote = match &dest {
                Dest::Into(folder) => folder.clone(),
                Dest::As(path) => path.clone(),
            };
            plan.transfers.push(Transfer::Put {
                local: source.clone(),
                remote,
                size: meta.len(),
                absent: false,
            });
        } else if meta.is_dir() && recursive {
            let base = match (&dest, name) {
                (Dest::As(path), _) => format!("{}/", path.trim_end_matches('/')),
                (Dest::Into(folder), Some(name)) => format!("{folder}{name}/"),
                (Dest::Into(_), None) => {
                    let e = refused("invalid_path", "has no usable folder name");
                    report.failed(&source.display().to_string(), &e);
                    continue;
                }
            };
            plan.remote_roots.push(base.clone());
            walk_local(source, base, &mut plan, report);
        } else if meta.is_dir() {
            let e = refused("is_a_directory", "is a folder (use -r to send it)");
            report.failed(&source.display().to_string(), &e);
        } else {
            report.skipped(&source.display().to_string(), "not a regular file");
        }
    }
    Ok(plan)
}

/// `get SRC… [DEST]`.
pub async fn get(
    client: &mut Client,
    paths: &[String],
    recursive: bool,
    report: &mut Report,
) -> Result<Plan, ClientError> {
    let (sources, dest) = match paths {
        [one] => (std::slice::from_ref(one), None),
        [sources @ .., dest] => (sources, Some(PathBuf::from(dest))),
        [] => (paths, None),
    };
    let mut plan = Plan::default();
    let mut found = Vec::new();
    for source in sources {
        match client.stat(source).await {
            Ok(entry) => found.push(entry),
            Err(e) if e.code() == "not_found" => report.failed(source, &e),
            Err(e) => return Err(e),
        }
    }
    let single = sources.len() == 1;
    let dest_text = dest.as_ref().map(|d| d.display().to_string());
    let into = match (&dest, &dest_text) {
        (None, _) => Some(PathBuf::from(".")),
        (Some(d), Some(text)) if text.ends_with(std::path::MAIN_SEPARATOR) || d.is_dir() => {
            plan.local_dirs.push(d.clone());
            Some(d.clone())
        }
        (Some(_), Some(text)) if !single => {
            let (code, why) = if Path::new(text).exists() {
                ("not_a_directory", "is a file")
            } else {
                ("not_found", "does not exist")
            };
            return Err(several_need_a_folder(code, text, why));
        }
        _ => None,
    };
    for entry in found {
        let target = match &into {
            Some(folder) => match safe_name(&entry.name) {
                Some(name) => folder.join(name),
                None => {
                    let e = refused("invalid_path", "has a name unfit for a local file");
                    report.failed(&entry.path.to_string(), &e);
                    continue;
                }
            },
            None => dest.clone().unwrap_or_default(),
        };
        match entry.kind {
            EntryKind::File => plan.transfers.push(fetch(&entry, target)),
            EntryKind::Dir if recursive => {
                walk_remote(client, &entry, target, &mut plan, report).await?
            }
            EntryKind::Dir => {
                let e = refused("is_a_directory", "is a folder (use -r to fetch it)");
                report.failed(&entry.path.to_string(), &e);
            }
            _ => report.skipped(&entry.path.to_string(), "not a regular file"),
        }
    }
    Ok(plan)
}

impl Plan {
    /// Creates the remote folders of the sent trees: with `strict` (`--no-parents`) each
    /// tree's top folder first without its parents, then every leaf with its parents.
    pub async fn make_remote_folders(
        &self,
        client: &mut Client,
        strict: bool,
    ) -> Result<(), ClientError> {
        if strict {
            for root in &self.remote_roots {
                let root = root.trim_end_matches('/');
                match client.mkdir(root, false).await {
                    Err(e) if e.code() == "already_exists" => {
                        if client.stat(root).await?.kind != EntryKind::Dir {
                            return Err(e);
                        }
                    }
                    other => drop(other?),
                }
            }
        }
        for leaf in &self.remote_leaves {
            let leaf = leaf.trim_end_matches('/');
            if !leaf.is_empty() {
                client.mkdir(leaf, true).await?;
            }
        }
        Ok(())
    }

    /// Creates the local folders of the fetched trees (and a DEST ending in `/`).
    pub fn make_local_folders(&self) -> Result<(), ClientError> {
        for dir in &self.local_dirs {
            std::fs::create_dir_all(dir)
                .map_err(|e| ClientError::io(format!("cannot create {}", dir.display()), e))?;
        }
        Ok(())
    }
}

/// The last component of a local path, resolving `.` and `..` first.
fn local_name(path: &Path) -> Option<String> {
    let name = match path.file_name() {
        Some(name) => name.to_os_string(),
        None => path.canonicalize().ok()?.file_name()?.to_os_string(),
    };
    name.into_string().ok()
}

fn utf8(path: &Path) -> Result<&str, ClientError> {
    path.to_str().ok_or_else(|| ClientError::Refused {
        code: "invalid_path",
        message: format!("{} is not UTF-8", path.display()),
    })
}

pub(super) fn refused(code: &'static str, what: &str) -> ClientError {
    ClientError::Refused {
        code,
        message: what.to_string(),
    }
}

fn several_need_a_folder(code: &'static str, dest: &str, why: &str) -> ClientError {
    ClientError::Refused {
        code,
        message: format!(
            "{dest} {why}; several sources need a folder as the target (end it with / to \
             create it)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_named_dot_is_sent_under_its_real_name() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("photos");
        std::fs::create_dir(&inner).unwrap();
        assert_eq!(local_name(&inner.join(".")).as_deref(), Some("photos"));
        assert_eq!(local_name(&inner).as_deref(), Some("photos"));
    }
}
