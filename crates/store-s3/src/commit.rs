//! Committing an upload: its bytes become the file at its record's path.
//!
//! An upload that never filled a part is one PUT of its tail to the target. A larger one sends
//! its tail as the final part, completes the multipart upload into `uploads/ID/data` (the
//! multipart upload was begun before the target was known) and copies that to the target
//! (server-side; Garage copies no bytes, only references its blocks). The manifest records
//! the completion, so a commit cut short after it resumes with the copy.
//!
//! "Never replace without overwrite" is checked with a HEAD before the write, because Garage
//! ignores `If-None-Match`: see the crate docs for the window that leaves.

use ferry_core::md5hex::Md5Digest;
use ferry_core::model::Entry;
use ferry_core::store::UploadRecord;
use ferry_core::upload_id::UploadId;
use ferry_core::{Error, Result};
use object_store::MultipartId;
use object_store::multipart::MultipartStore;
use object_store::multipart::PartId;
use object_store::{ObjectStoreExt, PutPayload};

use crate::config::Bucket;
use crate::files::file_entry;
use crate::manifest::Manifest;
use crate::objects::Found;

pub(crate) async fn commit(
    bucket: &Bucket,
    upload: &UploadRecord,
    md5: &Md5Digest,
) -> Result<(Entry, u64)> {
    let UploadRecord { id, user, path, .. } = upload;
    let mut m = bucket.manifest(id).await?;
    if path.is_root() {
        return Err(Error::IsADirectory("/".into()));
    }
    bucket.need_dir(user, &path.parent()).await?;
    let replaced = match bucket.find(user, path).await? {
        Found::Dir { .. } => return Err(Error::IsADirectory(path.to_string())),
        Found::File(_) if !upload.overwrite => {
            return Err(Error::AlreadyExists(path.to_string()));
        }
        Found::File(old) => old.size,
        Found::Missing => 0,
    };
    let target = bucket.keys.entry(user, path);
    let staged = bucket.keys.staged(id);
    match m.multipart.clone() {
        None => {
            let bytes = bucket.tail(id, &m).await?.freeze();
            bucket
                .s3
                .put(&target, PutPayload::from(bytes))
                .await
                .map_err(Error::internal)?;
        }
        Some(multipart) => {
            if !m.assembled {
                assemble(bucket, id, &mut m, &multipart).await?;
            }
            bucket
                .s3
                .copy(&staged, &target)
                .await
                .map_err(Error::internal)?;
        }
    }
    let meta = bucket.s3.head(&target).await.map_err(Error::internal)?;
    if meta.size != m.accepted() {
        return Err(Error::internal(format!(
            "committed {} bytes of an upload holding {}",
            meta.size,
            m.accepted()
        )));
    }
    if let Some(etag) = meta.e_tag.as_deref() {
        bucket.remember(etag, md5).await?;
    }
    // The upload's objects go once the file is there; left over, they are swept with the
    // upload's record.
    let leftovers: Vec<_> = bucket
        .all_below(&bucket.keys.upload(id))
        .await?
        .into_iter()
        .map(|o| o.location)
        .collect();
    if let Err(e) = bucket.delete_all(leftovers).await {
        tracing::warn!(upload = %id, error = %e, "could not delete a committed upload's objects");
    }
    Ok((file_entry(path, &meta, Some(*md5)), replaced))
}

/// Sends the tail as the final part and completes the multipart upload into `uploads/ID/data`,
/// recording that in the manifest.
pub(crate) async fn assemble(
    bucket: &Bucket,
    id: &UploadId,
    m: &mut Manifest,
    multipart: &MultipartId,
) -> Result<()> {
    let staged = bucket.keys.staged(id);
    let mut parts: Vec<PartId> = m
        .parts
        .iter()
        .map(|p| PartId {
            content_id: p.id.clone(),
        })
        .collect();
    if !m.pieces.is_empty() {
        let tail = bucket.tail(id, m).await?.freeze();
        let last = bucket
            .s3
            .put_part(&staged, multipart, parts.len(), PutPayload::from(tail))
            .await
            .map_err(Error::internal)?;
        parts.push(last);
    }
    bucket
        .s3
        .complete_multipart(&staged, multipart, parts)
        .await
        .map_err(Error::internal)?;
    m.assembled = true;
    bucket.save_manifest(id, m).await
}
