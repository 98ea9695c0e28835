//! Where each source of a `put`/`get` goes, as scp decides it, and the folder walks behind `-r`.
//!
//! DEST (the last path; the current folder when there is one source) is a folder to put the
//! sources *into* when it ends in `/` or already is a folder; otherwise, with one source, it is
//! the new name of that file, or the copy of that folder (`-r`). Several sources need a
//! folder. Local walks never follow a symbolic link out of the folder being sent (nor round a
//! loop), and skip special files; remote walks skip links and special entries.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use ferry_client::{Client, ClientError};
use ferry_core::model::{Entry, EntryKind};

use super::report::Report;

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
    remote_leaves: Vec<String>,
    /// Remote copies of sent folders, created on their own (only with `--no-parents`, which
    /// must refuse a missing DEST).
    remote_roots: Vec<String>,
    /// Local folders of fetched trees.
    local_dirs: Vec<PathBuf>,
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

/// Adds every file under `root` to the plan, to land under the remote folder `base` (which
/// ends in `/`), and the tree's leaf folders.
fn walk_local(root: &Path, base: String, plan: &mut Plan, report: &mut Report) {
    let Ok(top) = root.canonicalize() else {
        report.skipped(&root.display().to_string(), "cannot resolve the folder");
        return;
    };
    // (local folder, remote folder ending in `/`, the real folders from the root down to it)
    let mut pending = vec![(root.to_path_buf(), base, vec![top.clone()])];
    while let Some((dir, remote, ancestors)) = pending.pop() {
        let mut entries = match std::fs::read_dir(&dir) {
            Ok(rd) => rd.filter_map(Result::ok).collect::<Vec<_>>(),
            Err(e) => {
                let what = format!("cannot list {}", dir.display());
                report.failed(&dir.display().to_string(), &ClientError::io(what, e));
                continue;
            }
        };
        entries.sort_by_key(|e| e.file_name());
        let mut has_subfolder = false;
        for entry in entries {
            let path = entry.path();
            let shown = path.display().to_string();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                report.failed(&shown, &refused("invalid_path", "is not a UTF-8 name"));
                continue;
            };
            let Ok(kind) = entry.file_type() else {
                report.skipped(&shown, "cannot read its type");
                continue;
            };
            let (meta, real) = if kind.is_symlink() {
                match (path.canonicalize(), std::fs::metadata(&path)) {
                    (Ok(real), Ok(meta)) if real.starts_with(&top) => (meta, Some(real)),
                    (Ok(_), Ok(_)) => {
                        report.skipped(&shown, "symbolic link out of the folder");
                        continue;
                    }
                    _ => {
                        report.skipped(&shown, "dangling symbolic link");
                        continue;
                    }
                }
            } else {
                match entry.metadata() {
                    Ok(meta) => (meta, None),
                    Err(_) => {
                        report.skipped(&shown, "cannot read it");
                        continue;
                    }
                }
            };
            if meta.is_file() {
                plan.transfers.push(Transfer::Put {
                    local: path,
                    remote: remote.clone(),
                    size: meta.len(),
                    absent: false,
                });
            } else if meta.is_dir() {
                let real = match real.or_else(|| path.canonicalize().ok()) {
                    Some(real) if !ancestors.contains(&real) => real,
                    _ => {
                        report.skipped(&shown, "symbolic link loop");
                        continue;
                    }
                };
                has_subfolder = true;
                let mut below = ancestors.clone();
                below.push(real);
                pending.push((path, format!("{remote}{name}/"), below));
            } else {
                report.skipped(&shown, "special file");
            }
        }
        if !has_subfolder {
            plan.remote_leaves.push(remote);
        }
    }
    // Breadth-first order of discovery is depth-first reversed; files go in name order.
    plan.transfers.sort_by(|a, b| match (a, b) {
        (Transfer::Put { local: a, .. }, Transfer::Put { local: b, .. }) => a.cmp(b),
        _ => std::cmp::Ordering::Equal,
    });
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

/// Adds every file under the remote folder `root` to the plan, to land under `local`.
async fn walk_remote(
    client: &mut Client,
    root: &Entry,
    local: PathBuf,
    plan: &mut Plan,
    report: &mut Report,
) -> Result<(), ClientError> {
    let mut pending = VecDeque::from([(root.path.to_string(), local)]);
    while let Some((folder, local)) = pending.pop_front() {
        let listing = client.ls(Some(&folder)).await?;
        plan.local_dirs.push(local.clone());
        for entry in listing.entries {
            let shown = entry.path.to_string();
            let Some(name) = safe_name(&entry.name) else {
                report.failed(
                    &shown,
                    &refused("invalid_path", "has a name unfit for a local file"),
                );
                continue;
            };
            match entry.kind {
                EntryKind::File => plan.transfers.push(fetch(&entry, local.join(name))),
                EntryKind::Dir => pending.push_back((shown, local.join(name))),
                EntryKind::Symlink => report.skipped(&shown, "symbolic link"),
                EntryKind::Other => report.skipped(&shown, "special file"),
            }
        }
    }
    Ok(())
}

fn fetch(entry: &Entry, local: PathBuf) -> Transfer {
    Transfer::Get {
        remote: entry.path.to_string(),
        local,
        size: entry.size,
        md5: entry.md5.map(|m| m.to_string()),
    }
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

/// A remote entry's name if it is safe as one local path component.
fn safe_name(name: &str) -> Option<&str> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    (!bad).then_some(name)
}

fn utf8(path: &Path) -> Result<&str, ClientError> {
    path.to_str().ok_or_else(|| ClientError::Refused {
        code: "invalid_path",
        message: format!("{} is not UTF-8", path.display()),
    })
}

fn refused(code: &'static str, what: &str) -> ClientError {
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
    fn remote_names_that_would_leave_the_folder_are_refused() {
        for bad in ["", ".", "..", "a/b", "a\\b", "a\0b"] {
            assert_eq!(safe_name(bad), None, "{bad:?}");
        }
        assert_eq!(safe_name("a.txt"), Some("a.txt"));
        assert_eq!(safe_name("..a"), Some("..a"));
    }

    #[test]
    fn a_folder_named_dot_is_sent_under_its_real_name() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("photos");
        std::fs::create_dir(&inner).unwrap();
        assert_eq!(local_name(&inner.join(".")).as_deref(), Some("photos"));
        assert_eq!(local_name(&inner).as_deref(), Some("photos"));
    }

    #[test]
    fn a_walk_keeps_the_tree_follows_inner_links_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("sub/empty")).unwrap();
        std::fs::write(root.join("a.txt"), b"a").unwrap();
        std::fs::write(root.join("sub/b.txt"), b"bb").unwrap();
        std::fs::write(dir.path().join("outside.txt"), b"secret").unwrap();
        std::os::unix::fs::symlink(root.join("a.txt"), root.join("inner-link")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("out-link")).unwrap();
        std::os::unix::fs::symlink(&root, root.join("sub/loop")).unwrap();
        let mut plan = Plan::default();
        let mut report = Report::new("put", false);
        walk_local(&root, "dest/".into(), &mut plan, &mut report);
        let mut sent: Vec<(String, String)> = plan
            .transfers
            .iter()
            .map(|t| match t {
                Transfer::Put { local, remote, .. } => (
                    local.strip_prefix(&root).unwrap().display().to_string(),
                    remote.clone(),
                ),
                Transfer::Get { .. } => unreachable!(),
            })
            .collect();
        sent.sort();
        assert_eq!(
            sent,
            [
                ("a.txt".into(), "dest/".into()),
                ("inner-link".into(), "dest/".into()),
                ("sub/b.txt".into(), "dest/sub/".into()),
            ]
        );
        assert_eq!(plan.remote_leaves, ["dest/sub/empty/"]);
        assert_eq!(report.skipped_count(), 2, "the outside link and the loop");
    }
}
