//! The behaviour every store implementation must show, as async functions that panic on the
//! first broken promise (one file of ~360 lines, so an implementer reads every promise in one
//! place). An implementation's test suite calls each against a fresh store:
//! `ferry-store-local` does (its `tests/conformance.rs`), and so must any later one (a shared
//! database, an object store), with the very same functions.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};

use super::{
    Account, FileStore, Lease, ListPage, Listed, MetaStore, Move, QuotaCommit, ShareRecord,
    UploadRecord, UploadStore,
};
use crate::auth::credentials::ScramCredentials;
use crate::exec::ExecPolicy;
use crate::md5hex::Md5Digest;
use crate::model::{EntryKind, unix_now};
use crate::path::HomePath;
use crate::upload_id::UploadId;
use crate::username::Username;

mod hidden;
mod transient;
pub use hidden::hidden_bytes_are_hashed;
pub use transient::transient_bytes;

fn user(name: &str) -> Username {
    Username::try_from(name).expect("valid test user name")
}

fn account(name: &str) -> Account {
    Account {
        name: user(name),
        credentials: ScramCredentials::new_random("conformance").expect("credentials"),
        quota: Some(1000),
        created: unix_now(),
        exec: ExecPolicy::Off,
        exec_max_timeout_secs: None,
        admin: false,
    }
}

fn record(owner: &str, size: u64) -> UploadRecord {
    let now = unix_now();
    UploadRecord {
        id: UploadId::random().expect("random id"),
        user: user(owner),
        path: HomePath::resolve(&HomePath::root(), "/f").expect("path"),
        size,
        md5: None,
        overwrite: false,
        created: now,
        expires: now + 60,
        hash_state: None,
        hashed: 0,
        deferred: false,
        sha256: None,
    }
}

/// Accounts: create only if absent, update only if present, per-user upload and token queries.
pub async fn meta_records(meta: Arc<dyn MetaStore>) {
    let a = account("conf-a");
    meta.create_account(&a).await.expect("create");
    let again = meta.create_account(&a).await.expect_err("second create");
    assert_eq!(again.code(), "user_exists");
    let ghost = account("conf-ghost");
    let gone = meta
        .update_account(&ghost)
        .await
        .expect_err("update absent");
    assert_eq!(gone.code(), "user_not_found");
    let mut changed = a.clone();
    changed.quota = Some(5);
    meta.update_account(&changed).await.expect("update");
    let read = meta.account(&a.name).await.expect("read").expect("exists");
    assert_eq!(read.quota, Some(5));

    let mine = record("conf-a", 10);
    let theirs = record("conf-b", 10);
    meta.create_upload(&mine).await.expect("create upload");
    meta.create_upload(&theirs).await.expect("create upload");
    let of_a = meta.uploads_of(&a.name).await.expect("uploads_of");
    assert_eq!(of_a.len(), 1, "only the user's own uploads");
    assert_eq!(of_a[0].id, mine.id);
    assert_eq!(meta.upload_count(&a.name).await.expect("count"), 1);
    let held = meta
        .lease_take(&mine.id, "conf", Duration::from_secs(5))
        .await
        .expect("lease");
    meta.save_upload(&mine, &held).await.expect("save");
    meta.lease_release(&held).await.expect("release");
    assert_eq!(
        meta.upload_count(&a.name).await.expect("count"),
        1,
        "a rewritten record is still one upload"
    );
    meta.remove_upload(&mine.id).await.expect("remove");
    assert_eq!(meta.upload_count(&a.name).await.expect("count"), 0);
    assert!(
        meta.uploads_of(&a.name)
            .await
            .expect("uploads_of")
            .is_empty()
    );
    meta.remove_upload(&mine.id)
        .await
        .expect("remove twice is fine");
    assert!(meta.upload(&mine.id).await.expect("read").is_none());
    let mut old = theirs.clone();
    old.expires = unix_now() - 10;
    let lease = meta
        .lease_take(&old.id, "conf", Duration::from_secs(5))
        .await
        .expect("lease");
    meta.save_upload(&old, &lease).await.expect("save");
    let expired = meta.expired_uploads(unix_now()).await.expect("expired");
    assert!(expired.iter().any(|r| r.id == old.id));
    transient_records(&*meta, &a.name).await;
    meta.remove_account(&a.name).await.expect("remove account");
    let twice = meta.remove_account(&a.name).await.expect_err("twice");
    assert_eq!(twice.code(), "user_not_found");
}

/// A transient upload's record (a whole-file put's) is an upload like any other while it
/// lives, wherever the store keeps it.
async fn transient_records(meta: &dyn MetaStore, owner: &Username) {
    let before = meta.upload_count(owner).await.expect("count");
    let put = record(owner.as_str(), 10);
    meta.create_transient_upload(&put)
        .await
        .expect("create transient");
    let read = meta.upload(&put.id).await.expect("read").expect("exists");
    assert_eq!(read, put);
    assert_eq!(meta.upload_count(owner).await.expect("count"), before + 1);
    let listed = meta.uploads_of(owner).await.expect("uploads_of");
    assert!(listed.iter().any(|r| r.id == put.id), "listed");
    let held = meta
        .lease_take(&put.id, "conf", Duration::from_secs(5))
        .await
        .expect("lease");
    let mut saved = put.clone();
    saved.hashed = 4;
    meta.save_upload(&saved, &held).await.expect("save");
    let read = meta.upload(&put.id).await.expect("read").expect("exists");
    assert_eq!(read.hashed, 4, "a checkpoint is kept");
    let stale = Lease {
        fence: held.fence + 1,
        ..held.clone()
    };
    let refused = meta.save_upload(&saved, &stale).await.expect_err("stale");
    assert_eq!(refused.code(), "upload_busy");
    meta.lease_release(&held).await.expect("release");
    meta.remove_upload(&put.id).await.expect("remove");
    assert!(meta.upload(&put.id).await.expect("read").is_none());
    assert_eq!(meta.upload_count(owner).await.expect("count"), before);
}

/// Share links: stored once per key, counted until exhausted, revoked, listed per owner.
pub async fn meta_shares(meta: Arc<dyn MetaStore>) {
    let key = "ab".repeat(32);
    let other = "cd".repeat(32);
    let share = ShareRecord {
        owner: Username::try_from("conf-s").expect("name"),
        path: HomePath::resolve(&HomePath::root(), "/f.bin").expect("path"),
        folder: false,
        seed: "00".repeat(16),
        created: unix_now(),
        expires: None,
        password: None,
        max_downloads: Some(2),
        downloads: 0,
        upload: false,
        revoked: false,
    };
    assert!(meta.share(&key).await.expect("read").is_none());
    meta.create_share(&key, &share).await.expect("create");
    meta.create_share(&key, &share)
        .await
        .expect_err("a key is stored once");
    assert_eq!(
        meta.count_share_download(&key)
            .await
            .expect("1st")
            .downloads,
        1
    );
    assert_eq!(
        meta.count_share_download(&key)
            .await
            .expect("2nd")
            .downloads,
        2
    );
    let third = meta.count_share_download(&key).await.expect_err("3rd");
    assert_eq!(third.code(), "share_exhausted");
    assert_eq!(
        meta.share(&key)
            .await
            .expect("read")
            .expect("kept")
            .downloads,
        2
    );
    let unlimited = ShareRecord {
        max_downloads: None,
        ..share.clone()
    };
    meta.create_share(&other, &unlimited).await.expect("create");
    meta.revoke_share(&other).await.expect("revoke");
    let revoked = meta
        .count_share_download(&other)
        .await
        .expect_err("revoked");
    assert_eq!(revoked.code(), "share_revoked");
    let gone = meta
        .revoke_share(&"ef".repeat(32))
        .await
        .expect_err("absent");
    assert_eq!(gone.code(), "share_not_found");
    let mut mine = meta.shares_of(&share.owner).await.expect("list");
    mine.sort_by(|a, b| a.0.cmp(&b.0));
    let keys: Vec<&str> = mine.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, [key.as_str(), other.as_str()]);
    assert!(mine[1].1.revoked);
}

/// Leases: one holder at a time, a fence that grows with every new holder, stale fences
/// refused for renewals and record writes, expiry hands the lease on.
pub async fn meta_leases(meta: Arc<dyn MetaStore>) {
    let r = record("conf-lease", 10);
    meta.create_upload(&r).await.expect("create upload");
    let ttl = Duration::from_secs(60);
    let first = meta.lease_take(&r.id, "a", ttl).await.expect("take");
    let busy = meta.lease_take(&r.id, "b", ttl).await.expect_err("busy");
    assert_eq!(busy.code(), "upload_busy");
    let same = meta
        .lease_take(&r.id, "a", ttl)
        .await
        .expect("re-take by holder");
    assert_eq!(same.fence, first.fence);
    meta.lease_renew(&first, ttl).await.expect("renew");
    meta.lease_release(&first).await.expect("release");
    let second = meta
        .lease_take(&r.id, "b", ttl)
        .await
        .expect("take after release");
    assert!(second.fence > first.fence, "a new holder raises the fence");
    let stale = meta
        .lease_renew(&first, ttl)
        .await
        .expect_err("stale renew");
    assert_eq!(stale.code(), "upload_busy");
    let write = meta.save_upload(&r, &first).await.expect_err("stale write");
    assert_eq!(write.code(), "upload_busy");
    meta.save_upload(&r, &second).await.expect("current write");
    meta.lease_release(&second).await.expect("release");
    let short = meta
        .lease_take(&r.id, "c", Duration::from_millis(1))
        .await
        .expect("take");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let taken = meta
        .lease_take(&r.id, "d", ttl)
        .await
        .expect("expired lease moves on");
    assert!(taken.fence > short.fence);
    let late = meta
        .save_upload(&r, &short)
        .await
        .expect_err("expired writer");
    assert_eq!(late.code(), "upload_busy");
    meta.remove_upload(&r.id).await.expect("remove");
}

/// A commit of `size` bytes that replaces nothing.
fn commit(user: &Username, size: u64) -> QuotaCommit {
    QuotaCommit {
        user: user.clone(),
        size,
        replaced: 0,
    }
}

/// Quota ledgers: reservations never pass the limit, commits move reserved to used only under
/// the limit, and a resync is dropped when anything changed or is pending.
pub async fn meta_quota(meta: Arc<dyn MetaStore>) {
    let u = user("conf-quota");
    let l = meta.quota_init(&u, 100, 0).await.expect("init");
    assert_eq!((l.used, l.reserved), (100, 0));
    let again = meta.quota_init(&u, 999, 999).await.expect("init twice");
    assert_eq!(again.used, 100, "init never overwrites a ledger");
    meta.quota_reserve(&u, 800, Some(1000)).await.expect("fits");
    let over = meta
        .quota_reserve(&u, 101, Some(1000))
        .await
        .expect_err("does not fit");
    assert_eq!(over.code(), "quota_exceeded");
    meta.quota_reserve(&u, 100, Some(1000))
        .await
        .expect("exactly fits");
    meta.quota_release(&u, 100).await.expect("release");
    let before = meta.quota_get(&u).await.expect("get").expect("exists");
    meta.quota_begin_commit(&commit(&u, 800), Some(1000))
        .await
        .expect("commit fits");
    let pending = meta.quota_get(&u).await.expect("get").expect("exists");
    assert_eq!(
        (pending.used, pending.reserved, pending.pending),
        (900, 0, 1)
    );
    let dropped = meta
        .quota_resync(&u, 100, pending.generation)
        .await
        .expect("resync");
    assert_eq!(
        dropped.used, 900,
        "a resync while a commit is pending is dropped"
    );
    meta.quota_end_change(&u, 0).await.expect("end");
    let stale = meta
        .quota_resync(&u, 100, before.generation)
        .await
        .expect("resync");
    assert_eq!(stale.used, 900, "a resync from before a change is dropped");
    meta.quota_reserve(&u, 50, Some(1000)).await.expect("fits");
    let lowered = meta
        .quota_begin_commit(&commit(&u, 50), Some(920))
        .await
        .expect_err("lowered limit");
    assert_eq!(lowered.code(), "quota_exceeded");
    meta.quota_begin_commit(&commit(&u, 50), Some(1000))
        .await
        .expect("fits");
    meta.quota_abort_commit(&commit(&u, 50))
        .await
        .expect("abort");
    let aborted = meta.quota_get(&u).await.expect("get").expect("exists");
    assert_eq!(
        (aborted.used, aborted.reserved, aborted.pending),
        (900, 50, 0)
    );
    meta.quota_begin_free(&u).await.expect("begin free");
    meta.quota_end_change(&u, 400).await.expect("freed");
    let now = meta.quota_get(&u).await.expect("get").expect("exists");
    assert_eq!(now.used, 500);
    let fresh = meta
        .quota_resync(&u, 480, now.generation)
        .await
        .expect("resync");
    assert_eq!(fresh.used, 480, "a quiet resync applies");
}

fn md5_of(data: &[u8]) -> Md5Digest {
    Md5Digest(Md5::digest(data).into())
}

/// Upload bytes: provisional appends, rollback that never touches accepted bytes, length and
/// ranges across reopen, commit that never replaces without `overwrite`, discard.
pub async fn upload_bytes(uploads: Arc<dyn UploadStore>, files: Arc<dyn FileStore>) {
    let owner = user("conf-bytes");
    files.create_home(&owner).await.expect("home");
    let path = HomePath::resolve(&HomePath::root(), "/conf.txt").expect("path");
    let first = UploadRecord {
        path: path.clone(),
        ..record("conf-bytes", 11)
    };
    let id = first.id;
    drop(uploads.create(&id).await.expect("create"));
    let missing = UploadId::random().expect("id");
    assert_eq!(
        uploads.open(&missing).await.expect_err("missing").code(),
        "upload_not_found"
    );
    let mut h = uploads.open(&id).await.expect("open");
    assert!(h.is_empty());
    h.append(Bytes::from_static(b"hello "))
        .await
        .expect("append");
    h.accept().await.expect("accept");
    h.append(Bytes::from_static(b"XXXX")).await.expect("append");
    assert_eq!(h.len(), 6, "provisional bytes are not the offset");
    h.rollback().await.expect("rollback");
    h.append(Bytes::from_static(b"world"))
        .await
        .expect("append");
    h.accept().await.expect("accept");
    h.sync().await.expect("sync");
    drop(h);
    assert_eq!(uploads.len(&id).await.expect("len"), 11);
    let again = uploads.open(&id).await.expect("reopen");
    assert_eq!(again.len(), 11);
    drop(again);
    let range = uploads.read_range(&id, 3, 100).await.expect("range");
    assert_eq!(&range[..], b"lo world");
    let (entry, replaced) = uploads
        .commit(&first, &md5_of(b"hello world"))
        .await
        .expect("commit");
    assert_eq!((entry.size, replaced, entry.kind), (11, 0, EntryKind::File));
    assert_eq!(entry.md5, Some(md5_of(b"hello world")));
    let mut second = UploadRecord {
        path: path.clone(),
        ..record("conf-bytes", 5)
    };
    drop(uploads.create(&second.id).await.expect("create"));
    let mut h = uploads.open(&second.id).await.expect("open");
    h.append(Bytes::from_static(b"other"))
        .await
        .expect("append");
    h.accept().await.expect("accept");
    h.flush().await.expect("flush");
    drop(h);
    let taken = uploads
        .commit(&second, &md5_of(b"other"))
        .await
        .expect_err("never replaces without overwrite");
    assert_eq!(taken.code(), "already_exists");
    assert_eq!(
        uploads.len(&second.id).await.expect("still there"),
        5,
        "a refused commit keeps the bytes"
    );
    second.overwrite = true;
    let (_, replaced) = uploads
        .commit(&second, &md5_of(b"other"))
        .await
        .expect("overwrite");
    assert_eq!(replaced, 11);
    let opened = files.open(&owner, &path).await.expect("open file");
    assert_eq!(
        &opened.reader.read_at(0, 64).await.expect("read")[..],
        b"other"
    );
    let third = UploadId::random().expect("id");
    drop(uploads.create(&third).await.expect("create"));
    uploads.discard(&third).await.expect("discard");
    uploads
        .discard(&third)
        .await
        .expect("discard twice is fine");
    assert_eq!(
        uploads.len(&third).await.expect_err("gone").code(),
        "upload_not_found"
    );
}

/// Homes: folders, listings of folders only, deletes and moves reporting the bytes freed.
pub async fn file_tree(files: Arc<dyn FileStore>) {
    let owner = user("conf-files");
    files.create_home(&owner).await.expect("home");
    let root = HomePath::root();
    let p = |s: &str| HomePath::resolve(&root, s).expect("path");
    files
        .mkdir(&owner, &p("/a/b"), true)
        .await
        .expect("mkdir -p");
    let strict = files
        .mkdir(&owner, &p("/a"), false)
        .await
        .expect_err("exists");
    assert_eq!(strict.code(), "already_exists");
    let page = ListPage {
        after: None,
        limit: 10,
    };
    let Listed {
        entries,
        more,
        skipped,
    } = files.list(&owner, &p("/a"), page).await.expect("list");
    assert_eq!((entries.len(), more, skipped), (1, false, 0));
    assert_eq!(entries[0].kind, EntryKind::Dir);
    let moved = files
        .rename(
            &owner,
            &Move {
                from: p("/a/b"),
                to: p("/c"),
                overwrite: false,
            },
        )
        .await
        .expect("move");
    assert_eq!(moved.0.path, p("/c"));
    let freed = files.remove(&owner, &p("/a"), false).await.expect("rmdir");
    assert_eq!(freed, 0);
    let none = files.stat(&owner, &p("/a")).await.expect_err("gone");
    assert_eq!(none.code(), "not_found");
    assert_eq!(files.usage(&owner).await.expect("usage"), 0);
}
