//! The file operations: `pwd`, `cd`, `ls`, `find`, `stat`, `mkdir`, `rm`, `mv`, `quota`.

use ferry_core::model::{Listing, SearchPage};
use ferry_core::{Error, Session};
use ferry_proto::{CwdReply, EmptyReply, EntryReply, Frame, MAX_HEADER_LEN};

use crate::reply;

/// `pwd`: the session's current folder.
pub fn pwd(session: &Session) -> Frame {
    reply::ok(&CwdReply {
        cwd: session.cwd().clone(),
    })
}

/// `cd`: changes the current folder.
pub async fn cd(session: &mut Session, path: &str) -> Result<Frame, Error> {
    let cwd = session.cd(path).await?.clone();
    Ok(reply::ok(&CwdReply { cwd }))
}

/// `ls`: one page of a folder.
pub async fn ls(
    session: &Session,
    path: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
) -> Result<Frame, Error> {
    let listing = session.list(path.as_deref(), after, limit).await?;
    Ok(listing_frame(listing))
}

/// `stat`: one entry (with `digest`, its MD5 computed if unknown).
pub async fn stat(session: &Session, path: &str, digest: bool) -> Result<Frame, Error> {
    let entry = session.stat(path, digest).await?;
    Ok(reply::ok(&EntryReply { entry }))
}

/// `mkdir`: a new folder (and, with `parents`, its missing parents).
pub async fn mkdir(session: &Session, path: &str, parents: bool) -> Result<Frame, Error> {
    let entry = session.mkdir(path, parents).await?;
    Ok(reply::ok(&EntryReply { entry }))
}

/// `rm`: removes a file, or a folder with `recursive`.
pub async fn rm(session: &Session, path: &str, recursive: bool) -> Result<Frame, Error> {
    session.remove(path, recursive).await?;
    Ok(reply::ok(&EmptyReply {}))
}

/// `mv`: moves or renames an entry.
pub async fn mv(session: &Session, from: &str, to: &str, overwrite: bool) -> Result<Frame, Error> {
    let entry = session.rename(from, to, overwrite).await?;
    Ok(reply::ok(&EntryReply { entry }))
}

/// `quota`: bytes used, reserved and allowed.
pub async fn quota(session: &Session) -> Result<Frame, Error> {
    Ok(reply::ok(&session.quota().await?))
}

/// `find`: one page of entries found by name below a folder.
pub async fn find(
    session: &Session,
    pattern: &str,
    path: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<Frame, Error> {
    let page = session
        .search(path.as_deref(), pattern, cursor.as_deref(), limit)
        .await?;
    Ok(search_frame(page))
}

/// A search page as one frame, shortened like a listing until it fits. A shorter page
/// continues after its last match: the cursor means "done up to and including this entry".
fn search_frame(mut page: SearchPage) -> Frame {
    loop {
        let frame = reply::ok(&page);
        let size = serde_json::to_vec(&frame.header).map_or(usize::MAX, |v| v.len());
        if size <= MAX_HEADER_LEN - 64 || page.entries.len() <= 1 {
            return frame;
        }
        let keep = page.entries.len() / 2;
        page.entries.truncate(keep);
        page.next = page.entries.last().map(|e| e.path.to_string());
    }
}

/// A listing page as one frame. Names of up to 255 bytes can push a page past the header limit,
/// so the page is shortened (and `next` set) until it fits.
fn listing_frame(mut listing: Listing) -> Frame {
    loop {
        let frame = reply::ok(&listing);
        let size = serde_json::to_vec(&frame.header).map_or(usize::MAX, |v| v.len());
        if size <= MAX_HEADER_LEN - 64 || listing.entries.len() <= 1 {
            return frame;
        }
        let keep = listing.entries.len() / 2;
        listing.entries.truncate(keep);
        listing.next = listing.entries.last().map(|e| e.name.clone());
    }
}
