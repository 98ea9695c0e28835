//! Quota ledgers, one row per user, each change one conditional `UPDATE … RETURNING` (the
//! rules are the core's, in `ferry_core::store::quota`).
//!
//! The limit is checked in the statement's `WHERE`, against the row PostgreSQL has locked, so
//! of two nodes spending the last bytes at once exactly one matches. The sums are taken as
//! `numeric`, so no figure a client chooses can overflow `bigint` in the check.

use ferry_core::store::{Ledger, QuotaCommit};
use ferry_core::username::Username;
use ferry_core::{Error, Result};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::store::{PgMetaStore, big, count};

const COLUMNS: &str = "used, reserved, pending, generation";

fn ledger(row: &Row) -> Ledger {
    Ledger {
        used: count(row.get("used")),
        reserved: count(row.get("reserved")),
        pending: u32::try_from(row.get::<_, i32>("pending")).unwrap_or(0),
        generation: count(row.get("generation")),
    }
}

fn not_initialised(user: &Username) -> Error {
    Error::internal(format!("quota ledger of {user} not initialised"))
}

/// Runs a change that returns the ledger; a ledger that matched nothing must exist.
async fn change(
    store: &PgMetaStore,
    user: &Username,
    set: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Ledger> {
    let sql = format!("UPDATE ferry_quota SET {set} WHERE user_name = $1 RETURNING {COLUMNS}");
    match store.query_opt(&sql, params).await? {
        Some(row) => Ok(ledger(&row)),
        None => Err(not_initialised(user)),
    }
}

pub(crate) async fn get(store: &PgMetaStore, user: &Username) -> Result<Option<Ledger>> {
    let sql = format!("SELECT {COLUMNS} FROM ferry_quota WHERE user_name = $1");
    Ok(store
        .query_opt(&sql, &[&user.as_str()])
        .await?
        .as_ref()
        .map(ledger))
}

pub(crate) async fn init(
    store: &PgMetaStore,
    user: &Username,
    used: u64,
    reserved: u64,
) -> Result<Ledger> {
    let sql = "INSERT INTO ferry_quota (user_name, used, reserved, pending, generation)
               VALUES ($1, $2, $3, 0, 0) ON CONFLICT (user_name) DO NOTHING";
    store
        .execute(sql, &[&user.as_str(), &big(used), &big(reserved)])
        .await?;
    get(store, user).await?.ok_or_else(|| not_initialised(user))
}

pub(crate) async fn reserve(
    store: &PgMetaStore,
    user: &Username,
    bytes: u64,
    limit: Option<u64>,
) -> Result<Ledger> {
    let sql = format!(
        "UPDATE ferry_quota SET reserved = reserved + $2::bigint
         WHERE user_name = $1 AND ($3::bigint IS NULL OR used::numeric + reserved + $2::bigint <= $3)
         RETURNING {COLUMNS}"
    );
    let limit_param = limit.map(big);
    let params: [&(dyn ToSql + Sync); 3] = [&user.as_str(), &big(bytes), &limit_param];
    if let Some(row) = store.query_opt(&sql, &params).await? {
        return Ok(ledger(&row));
    }
    let now = get(store, user)
        .await?
        .ok_or_else(|| not_initialised(user))?;
    Err(Error::QuotaExceeded {
        needed: bytes,
        available: limit.map_or(0, |l| now.available(l)),
    })
}

pub(crate) async fn release(store: &PgMetaStore, user: &Username, bytes: u64) -> Result<()> {
    let set = "reserved = greatest(reserved - $2::bigint, 0)";
    change(store, user, set, &[&user.as_str(), &big(bytes)])
        .await
        .map(drop)
}

pub(crate) async fn begin_commit(
    store: &PgMetaStore,
    c: &QuotaCommit,
    limit: Option<u64>,
) -> Result<()> {
    let sql = "UPDATE ferry_quota
               SET reserved = greatest(reserved - $2::bigint, 0),
                   used = greatest(used + $2::bigint - $3::bigint, 0),
                   pending = pending + 1,
                   generation = generation + 1
               WHERE user_name = $1
                 AND ($4::bigint IS NULL OR greatest(used::numeric + $2::bigint - $3::bigint, 0) <= $4)";
    let limit_param = limit.map(big);
    let params: [&(dyn ToSql + Sync); 4] = [
        &c.user.as_str(),
        &big(c.size),
        &big(c.replaced),
        &limit_param,
    ];
    if store.execute(sql, &params).await? > 0 {
        return Ok(());
    }
    let now = get(store, &c.user)
        .await?
        .ok_or_else(|| not_initialised(&c.user))?;
    Err(Error::QuotaExceeded {
        needed: c.size,
        available: limit
            .unwrap_or(0)
            .saturating_sub(now.used)
            .saturating_add(c.replaced),
    })
}

pub(crate) async fn abort_commit(store: &PgMetaStore, c: &QuotaCommit) -> Result<()> {
    let set = "reserved = reserved + $2::bigint,
               used = greatest(used + $3::bigint - $2::bigint, 0),
               pending = greatest(pending - 1, 0),
               generation = generation + 1";
    let params: [&(dyn ToSql + Sync); 3] = [&c.user.as_str(), &big(c.size), &big(c.replaced)];
    change(store, &c.user, set, &params).await.map(drop)
}

pub(crate) async fn begin_free(store: &PgMetaStore, user: &Username) -> Result<()> {
    let set = "pending = pending + 1, generation = generation + 1";
    change(store, user, set, &[&user.as_str()]).await.map(drop)
}

pub(crate) async fn end_change(store: &PgMetaStore, user: &Username, freed: u64) -> Result<()> {
    let set = "used = greatest(used - $2::bigint, 0),
               pending = greatest(pending - 1, 0),
               generation = generation + 1";
    change(store, user, set, &[&user.as_str(), &big(freed)])
        .await
        .map(drop)
}

/// Applies only when the ledger is still at `generation` with nothing pending; either way
/// answers the ledger as it is afterwards.
pub(crate) async fn resync(
    store: &PgMetaStore,
    user: &Username,
    used: u64,
    generation: u64,
) -> Result<Ledger> {
    let sql = format!(
        "UPDATE ferry_quota SET used = $2, generation = generation + 1
         WHERE user_name = $1 AND generation = $3 AND pending = 0
         RETURNING {COLUMNS}"
    );
    let params: [&(dyn ToSql + Sync); 3] = [&user.as_str(), &big(used), &big(generation)];
    match store.query_opt(&sql, &params).await? {
        Some(row) => Ok(ledger(&row)),
        None => get(store, user).await?.ok_or_else(|| not_initialised(user)),
    }
}
