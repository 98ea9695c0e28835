//! The folder walks behind `-r`: a local tree to send, a remote one to fetch.
//!
//! Local walks keep the structure (empty folders too), follow a symbolic link only when it
//! stays inside the folder being sent (and never round a loop), and skip special files with a
//! warning; remote walks skip links and special entries, and refuse names that would not be
//! one plain local path component.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use ferry_client::{Client, ClientError};
use ferry_core::model::{Entry, EntryKind};

use super::plan::{Plan, Transfer, refused};
use super::report::Report;

/// Adds every file under `root` to the plan, to land under the remote folder `base` (which
/// ends in `/`), and the tree's leaf folders.
pub(super) fn walk_local(root: &Path, base: String, plan: &mut Plan, report: &mut Report) {
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

/// Adds every file under the remote folder `root` to the plan, to land under `local`.
pub(super) async fn walk_remote(
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

pub(super) fn fetch(entry: &Entry, local: PathBuf) -> Transfer {
    Transfer::Get {
        remote: entry.path.to_string(),
        local,
        size: entry.size,
        md5: entry.md5.map(|m| m.to_string()),
    }
}

/// A remote entry's name if it is safe as one local path component.
pub(super) fn safe_name(name: &str) -> Option<&str> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    (!bad).then_some(name)
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
