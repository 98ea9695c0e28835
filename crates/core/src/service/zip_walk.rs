//! What goes into a zip: a folder walked whole, or a selection of entries of one folder,
//! each with its name inside the archive. Shared by the zip of a share link and the zip a
//! user downloads of their own files; the HTTP door streams the archive.

use super::Session;
use crate::model::{Entry, EntryKind};
use crate::path::HomePath;
use crate::service::Download;
use crate::store::ListPage;
use crate::{Error, Result};

/// Most entries one zip may hold (files and folders); more is `limit_reached`, before
/// anything is sent.
pub const MAX_ZIP_ENTRIES: usize = 100_000;

/// One file or folder of a zip: its path inside the archive (`a/b.txt`) and its entry
/// (`kind` `Dir` for a folder, which a zip lists too).
#[derive(Debug, Clone)]
pub struct ZipItem {
    /// `/`-separated path inside the archive.
    pub relative: String,
    /// The file or folder.
    pub entry: Entry,
}

/// A zip to make of a user's own files.
#[derive(Debug, Clone)]
pub struct ZipPlan {
    /// The archive's name without `.zip`: the folder's name (the user's for the home).
    pub name: String,
    /// Its entries, parents before children.
    pub items: Vec<ZipItem>,
}

impl Session {
    /// Every folder and file below `dir`, named `prefix` + their path below it, appended to
    /// `out`: parents before children, by name within a folder; symlinks and special files
    /// left out. `limit_reached` once `out` would pass [`MAX_ZIP_ENTRIES`].
    pub(crate) async fn walk_for_zip(
        &self,
        dir: &HomePath,
        prefix: String,
        out: &mut Vec<ZipItem>,
    ) -> Result<()> {
        let max = self.ferry.inner.config.list_page_max;
        let files = &self.ferry.inner.files;
        let mut stack = vec![(dir.clone(), prefix)];
        while let Some((dir, prefix)) = stack.pop() {
            let mut after = None;
            let mut folders = Vec::new();
            loop {
                let page = ListPage { after, limit: max };
                let listed = files.list(&self.user, &dir, page).await?;
                after = listed.entries.last().map(|e| e.name.clone());
                for entry in listed.entries {
                    if !matches!(entry.kind, EntryKind::File | EntryKind::Dir) {
                        continue;
                    }
                    let relative = format!("{prefix}{}", entry.name);
                    if entry.kind == EntryKind::Dir {
                        folders.push((entry.path.clone(), format!("{relative}/")));
                    }
                    push(out, ZipItem { relative, entry })?;
                }
                if !listed.more {
                    break;
                }
            }
            stack.extend(folders.into_iter().rev());
        }
        Ok(())
    }

    /// The zip of the folder `dir` (`names` empty), or of the entries of `dir` called
    /// `names`, folders with everything in them; repeats count once. Each is a single name:
    /// one with `/` is `invalid_path`, and `.` or `..` is `path_outside_home` (a selection
    /// is of what is inside the folder). So the archive's paths never collide and never
    /// lead out of the home.
    pub async fn zip_plan(&self, dir: &str, names: &[String]) -> Result<ZipPlan> {
        let dir = self.resolve(dir)?;
        let entry = self.ferry.inner.files.stat(&self.user, &dir).await?;
        if entry.kind != EntryKind::Dir {
            return Err(Error::NotADirectory(dir.to_string()));
        }
        let name = dir.name().unwrap_or(self.user.as_str()).to_string();
        let mut items = Vec::new();
        if names.is_empty() {
            self.walk_for_zip(&dir, String::new(), &mut items).await?;
            return Ok(ZipPlan { name, items });
        }
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            if n.is_empty() || n.contains('/') {
                return Err(Error::InvalidPath(format!(
                    "{n:?} is not a name in the folder"
                )));
            }
            // The folder itself or its parent: not something inside the folder.
            if n == "." || n == ".." {
                return Err(Error::PathOutsideHome);
            }
            if !seen.insert(n.as_str()) {
                continue;
            }
            let path = dir.join(n)?;
            let entry = self.ferry.inner.files.stat(&self.user, &path).await?;
            match entry.kind {
                EntryKind::File => push(
                    &mut items,
                    ZipItem {
                        relative: n.clone(),
                        entry,
                    },
                )?,
                EntryKind::Dir => {
                    push(
                        &mut items,
                        ZipItem {
                            relative: n.clone(),
                            entry,
                        },
                    )?;
                    self.walk_for_zip(&path, format!("{n}/"), &mut items)
                        .await?;
                }
                _ => return Err(Error::SpecialFile(path.to_string())),
            }
        }
        Ok(ZipPlan { name, items })
    }

    /// Opens one file of a zip for reading.
    pub async fn open_zip_item(&self, item: &ZipItem) -> Result<Download> {
        self.open_download(&item.entry.path.to_string(), 0).await
    }
}

fn push(out: &mut Vec<ZipItem>, item: ZipItem) -> Result<()> {
    if out.len() >= MAX_ZIP_ENTRIES {
        return Err(Error::LimitReached(format!(
            "a zip holds at most {MAX_ZIP_ENTRIES} files and folders"
        )));
    }
    out.push(item);
    Ok(())
}
