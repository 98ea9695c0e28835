//! Finding entries by name below a folder: a walk of the folder tree in a fixed order, one
//! page of matches at a time, bounded in entries visited and in time.
//!
//! The walk is depth first, each folder's entries in name order (the order listings give),
//! an entry before what is inside it. That order makes a resumable cursor out of a single
//! path: "everything up to and including this entry is done, what is inside it is not". A
//! page ends when it holds `limit` matches, or when the walk has visited
//! [`Config::search_max_visits`](super::Config) entries or run for
//! [`Config::search_max_time`](super::Config): then [`SearchPage::truncated`] says the page
//! was cut short by the budget, not because nothing more matched, and `next` continues.
//! Only real folders are entered, never a symlink, so a link to a parent cannot make the walk
//! circle.

use std::collections::VecDeque;

use tokio::time::Instant;
use unicode_normalization::UnicodeNormalization;

use super::Session;
use crate::model::{Entry, EntryKind, SearchPage};
use crate::path::HomePath;
use crate::store::{ListPage, Listed};
use crate::{Error, Result};

/// Longest pattern, in characters: a name is at most 255 bytes.
pub const MAX_PATTERN_CHARS: usize = 255;

/// Entries asked of the store per listing call during a walk.
const LIST_BATCH: usize = 256;

/// A folder being walked: entries listed but not visited yet, and where listing resumes.
#[derive(Debug)]
struct Frame {
    dir: HomePath,
    pending: VecDeque<Entry>,
    after: Option<String>,
    listed_all: bool,
}

impl Frame {
    fn new(dir: HomePath, after: Option<String>) -> Self {
        Frame {
            dir,
            pending: VecDeque::new(),
            after,
            listed_all: false,
        }
    }
}

/// What a walk needs to know about the request.
#[derive(Debug)]
struct Needle {
    lowered: String,
}

impl Needle {
    fn parse(pattern: &str) -> Result<Needle> {
        // Taken as given, spaces too: a name may contain them.
        if pattern.is_empty() {
            return Err(Error::InvalidSearchPattern("the pattern is empty".into()));
        }
        if pattern.chars().count() > MAX_PATTERN_CHARS {
            return Err(Error::InvalidSearchPattern(format!(
                "the pattern is longer than {MAX_PATTERN_CHARS} characters"
            )));
        }
        if pattern.contains('/') || pattern.chars().any(char::is_control) {
            return Err(Error::InvalidSearchPattern(
                "a name pattern has no '/' and no control characters".into(),
            ));
        }
        // Names are stored in NFC (see `path`), so the pattern is too: a decomposed "é" (e and
        // a combining accent) finds the composed one a name holds.
        let composed: String = pattern.nfc().collect();
        Ok(Needle {
            lowered: composed.to_lowercase(),
        })
    }

    fn matches(&self, name: &str) -> bool {
        name.to_lowercase().contains(&self.lowered)
    }
}

impl Session {
    /// One page of the entries below the folder `under` whose name contains `pattern`,
    /// ignoring case, in walk order (see the module documentation). `cursor` is a page's
    /// `next`; `limit` is clamped to the listing page maximum.
    pub async fn search(
        &self,
        under: Option<&str>,
        pattern: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<SearchPage> {
        let needle = Needle::parse(pattern)?;
        let root = self.resolve(under.unwrap_or("."))?;
        let inner = &self.ferry.inner;
        let max = inner.config.list_page_max;
        let limit = limit.map_or(100.min(max), |l| (l as usize).clamp(1, max));
        let root_entry = inner.files.stat(&self.user, &root).await?;
        if root_entry.kind != EntryKind::Dir {
            return Err(Error::NotADirectory(root.to_string()));
        }
        let mut stack = match cursor {
            None => vec![Frame::new(root.clone(), None)],
            Some(c) => self.resume(&root, c).await?,
        };
        let budget = inner.config.search_max_visits;
        let deadline = Instant::now() + inner.config.search_max_time;
        let mut entries = Vec::new();
        let mut visited = 0usize;
        while let Some(top) = stack.last_mut() {
            if top.pending.is_empty() {
                if top.listed_all {
                    stack.pop();
                    continue;
                }
                let page = ListPage {
                    after: top.after.clone(),
                    limit: LIST_BATCH,
                };
                let Listed {
                    entries: listed,
                    more,
                    ..
                } = match inner.files.list(&self.user, &top.dir, page).await {
                    Ok(l) => l,
                    // Gone or replaced since it was listed: nothing left to find in it.
                    Err(Error::NotFound(_) | Error::NotADirectory(_)) => {
                        stack.pop();
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                top.listed_all = !more;
                top.after = listed.last().map(|e| e.name.clone()).or(top.after.take());
                top.pending = listed.into();
                continue;
            }
            let Some(entry) = top.pending.pop_front() else {
                continue;
            };
            visited += 1;
            let path = entry.path.clone();
            let is_dir = entry.kind == EntryKind::Dir;
            if needle.matches(&entry.name) {
                entries.push(entry);
            }
            if is_dir {
                stack.push(Frame::new(path.clone(), None));
            }
            if entries.len() >= limit || visited >= budget || Instant::now() >= deadline {
                let truncated = entries.len() < limit;
                let next = more_to_walk(&stack).then(|| path.to_string());
                return Ok(SearchPage {
                    under: root,
                    entries,
                    next,
                    truncated,
                    visited: visited as u64,
                });
            }
        }
        Ok(SearchPage {
            under: root,
            entries,
            next: None,
            truncated: false,
            visited: visited as u64,
        })
    }

    /// The walk's stack just after `cursor`, an entry below `root`: each folder on the way
    /// resumes after the next name on the path, and the entry itself, if a folder, from
    /// its start. The cursor is a path like any other (`invalid_path`, `path_outside_home`);
    /// `root` itself means "from the start"; anything else not below `root` is
    /// `invalid_search_cursor`.
    async fn resume(&self, root: &HomePath, cursor: &str) -> Result<Vec<Frame>> {
        let at = HomePath::resolve(&HomePath::root(), cursor)?;
        if !at.starts_with(root) {
            return Err(Error::InvalidSearchCursor(cursor.to_string()));
        }
        let below = &at.parts()[root.parts().len()..];
        let mut stack = Vec::with_capacity(below.len() + 1);
        let mut dir = root.clone();
        for name in below {
            stack.push(Frame::new(dir.clone(), Some(name.clone())));
            dir = dir.join(name)?;
        }
        if let Ok(e) = self.ferry.inner.files.stat(&self.user, &at).await
            && e.kind == EntryKind::Dir
        {
            stack.push(Frame::new(at, None));
        }
        Ok(stack)
    }
}

/// Whether the walk has anything left: an entry listed and not visited, or a folder not
/// listed to its end. (A last folder that turns out empty costs one empty page.)
fn more_to_walk(stack: &[Frame]) -> bool {
    stack.iter().any(|f| !f.pending.is_empty() || !f.listed_all)
}
