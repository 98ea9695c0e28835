//! Upload leases on the upload's own row: holder, expiry (the database's clock) and the
//! fencing counter, each change one conditional `UPDATE`.
//!
//! A grant is `UPDATE … WHERE the lease is free, expired or already ours`, raising the fence
//! when the holder changes. PostgreSQL re-checks that condition on the newest version of the
//! row once it holds the row's lock, so of two nodes racing for one upload exactly one
//! matches; the other matches nothing and is told `upload_busy`. A record write
//! (`save_upload`) names its fence in its own `WHERE`, so a writer that stalled while another
//! took over writes nothing.
//!
//! The janitor's lease (which node sweeps) is one row of its own, taken the same way.

use std::time::Duration;

use ferry_core::store::Lease;
use ferry_core::upload_id::UploadId;
use ferry_core::{Error, Result};

use crate::store::{PgMetaStore, big, count};

/// A lease's length in microseconds, PostgreSQL's interval resolution.
fn micros(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX)
}

pub(crate) async fn take(
    store: &PgMetaStore,
    id: &UploadId,
    holder: &str,
    ttl: Duration,
) -> Result<Lease> {
    let sql = "UPDATE ferry_uploads
               SET fence = CASE WHEN lease_holder = $2 THEN fence ELSE fence + 1 END,
                   lease_holder = $2,
                   lease_until = now() + $3::bigint * interval '1 microsecond'
               WHERE id = $1
                 AND (lease_holder IS NULL OR lease_holder = $2 OR lease_until < now())
               RETURNING fence";
    let key = id.to_string();
    if let Some(row) = store.query_opt(sql, &[&key, &holder, &micros(ttl)]).await? {
        return Ok(Lease {
            id: *id,
            holder: holder.to_string(),
            fence: count(row.get(0)),
        });
    }
    let exists = "SELECT 1 FROM ferry_uploads WHERE id = $1";
    match store.query_opt(exists, &[&key]).await? {
        Some(_) => Err(Error::UploadBusy(key)),
        None => Err(id.not_found()),
    }
}

pub(crate) async fn renew(store: &PgMetaStore, lease: &Lease, ttl: Duration) -> Result<()> {
    let sql = "UPDATE ferry_uploads SET lease_until = now() + $4::bigint * interval '1 microsecond'
               WHERE id = $1 AND fence = $2 AND lease_holder = $3";
    let key = lease.id.to_string();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&key, &big(lease.fence), &lease.holder, &micros(ttl)];
    match store.execute(sql, &params).await? {
        0 => Err(Error::UploadBusy(key)),
        _ => Ok(()),
    }
}

/// The fence stays: the next grant, to anyone, raises it.
pub(crate) async fn release(store: &PgMetaStore, lease: &Lease) -> Result<()> {
    let sql = "UPDATE ferry_uploads SET lease_holder = NULL, lease_until = NULL
               WHERE id = $1 AND fence = $2 AND lease_holder = $3";
    let key = lease.id.to_string();
    store
        .execute(sql, &[&key, &big(lease.fence), &lease.holder])
        .await
        .map(drop)
}

/// `true` when `holder` now holds the janitor's lease.
pub(crate) async fn janitor_take(store: &PgMetaStore, holder: &str, ttl: Duration) -> Result<bool> {
    let sql = "INSERT INTO ferry_janitor AS j (id, holder, until)
               VALUES (1, $1, now() + $2::bigint * interval '1 microsecond')
               ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
               WHERE j.holder = EXCLUDED.holder OR j.until < now()
               RETURNING holder";
    Ok(store
        .query_opt(sql, &[&holder, &micros(ttl)])
        .await?
        .is_some())
}
