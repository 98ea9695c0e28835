//! Removing and moving files and folders: a folder is every key below its prefix, so these
//! are one server-side copy per object and one batched delete (what a crash half-way leaves
//! is written in the crate docs).

use ferry_core::model::Entry;
use ferry_core::path::HomePath;
use ferry_core::store::Move;
use ferry_core::username::Username;
use ferry_core::{Error, Result};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use object_store::path::Path;

use crate::config::Bucket;
use crate::files::{dir_entry, file_entry};
use crate::objects::Found;

/// Copies in flight during a folder move: enough to hide a round trip, few enough not to
/// crowd the store (a Garage copy is a metadata write; the bytes are not copied).
const COPIES_IN_FLIGHT: usize = 16;

pub(crate) async fn remove(
    bucket: &Bucket,
    user: &Username,
    path: &HomePath,
    recursive: bool,
) -> Result<u64> {
    if path.is_root() {
        return Err(Error::HomeImmutable);
    }
    let key = bucket.keys.entry(user, path);
    match bucket.find(user, path).await? {
        Found::Missing => Err(Error::NotFound(path.to_string())),
        Found::File(meta) => {
            bucket.s3.delete(&key).await.map_err(Error::internal)?;
            Ok(meta.size)
        }
        Found::Dir { .. } => {
            let marker = bucket.keys.marker(user, path);
            let mut all = bucket.all_below(&key).await?;
            if !recursive && all.iter().any(|o| o.location != marker) {
                return Err(Error::DirectoryNotEmpty(path.to_string()));
            }
            let freed = all.iter().map(|o| o.size).sum();
            // The folder's own marker goes last: a removal cut short leaves a folder.
            all.sort_by_key(|o| o.location == marker);
            bucket
                .delete_all(all.into_iter().map(|o| o.location).collect())
                .await?;
            Ok(freed)
        }
    }
}

pub(crate) async fn rename(bucket: &Bucket, user: &Username, m: &Move) -> Result<(Entry, u64)> {
    let (from, to) = (&m.from, &m.to);
    if from.is_root() || to.is_root() {
        return Err(Error::HomeImmutable);
    }
    let source = bucket.find(user, from).await?;
    if matches!(source, Found::Missing) {
        return Err(Error::NotFound(from.to_string()));
    }
    if to.starts_with(from) && to != from {
        // Below a file is no place at all; below a folder is inside what moves.
        return Err(match source {
            Found::File(_) => Error::NotADirectory(to.to_string()),
            _ => Error::BadRequest("cannot move a folder into itself".into()),
        });
    }
    bucket.need_dir(user, &to.parent()).await?;
    if from == to {
        return Ok((entry_of(&source, to), 0));
    }
    let target = bucket.find(user, to).await?;
    let exists = !matches!(target, Found::Missing);
    if exists && !m.overwrite {
        return Err(Error::AlreadyExists(to.to_string()));
    }
    let (from_key, to_key) = (bucket.keys.entry(user, from), bucket.keys.entry(user, to));
    match (&source, target) {
        (Found::File(meta), target) => {
            let replaced = match target {
                Found::Dir { .. } => return Err(Error::IsADirectory(to.to_string())),
                Found::File(old) => old.size,
                Found::Missing => 0,
            };
            bucket
                .s3
                .copy(&from_key, &to_key)
                .await
                .map_err(Error::internal)?;
            let moved = bucket.s3.head(&to_key).await.map_err(Error::internal)?;
            carry_digest(bucket, meta.e_tag.as_deref(), moved.e_tag.as_deref()).await?;
            bucket.s3.delete(&from_key).await.map_err(Error::internal)?;
            Ok((file_entry(to, &moved, None), replaced))
        }
        (_, Found::File(_)) => Err(Error::NotADirectory(to.to_string())),
        (_, Found::Dir { .. }) => {
            // Replacing a folder: only an empty one, as rename(2) does.
            let below = bucket.all_below(&to_key).await?;
            let marker = bucket.keys.marker(user, to);
            if below.iter().any(|o| o.location != marker) {
                return Err(Error::DirectoryNotEmpty(to.to_string()));
            }
            move_tree(bucket, &from_key, &to_key).await?;
            Ok((dir_entry(to, ferry_core::model::unix_now()), 0))
        }
        (_, Found::Missing) => {
            move_tree(bucket, &from_key, &to_key).await?;
            Ok((dir_entry(to, ferry_core::model::unix_now()), 0))
        }
    }
}

fn entry_of(found: &Found, path: &HomePath) -> Entry {
    match found {
        Found::File(meta) => file_entry(path, meta, None),
        Found::Dir { modified } => dir_entry(path, *modified),
        Found::Missing => dir_entry(path, 0),
    }
}

/// Every key below `from` copied below `to`, then every source deleted.
async fn move_tree(bucket: &Bucket, from: &Path, to: &Path) -> Result<()> {
    let all = bucket.all_below(from).await?;
    let pairs: Vec<(Path, Path)> = all
        .iter()
        .filter_map(|o| {
            let rest = o.location.prefix_match(from)?;
            Some((o.location.clone(), rest.fold(to.clone(), Path::join)))
        })
        .collect();
    futures::stream::iter(pairs.clone())
        .map(|(a, b)| {
            let s3 = bucket.s3.clone();
            async move { s3.copy(&a, &b).await }
        })
        .buffer_unordered(COPIES_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await
        .map_err(Error::internal)?;
    bucket
        .delete_all(pairs.into_iter().map(|(a, _)| a).collect())
        .await
}

/// A moved file keeps its remembered MD5 when the copy got a new ETag.
async fn carry_digest(bucket: &Bucket, old: Option<&str>, new: Option<&str>) -> Result<()> {
    let (Some(old), Some(new)) = (old, new) else {
        return Ok(());
    };
    if old == new {
        return Ok(());
    }
    if let Some(md5) = bucket.digest(old).await? {
        bucket.remember(new, &md5).await?;
    }
    Ok(())
}
