//! Share links in PostgreSQL: one row per link, keyed by the SHA-256 of its id. A download is
//! counted by one conditional `UPDATE`, so two nodes serving the last allowed download of a
//! link at once cannot both count it; the reason a refused count gives is read afterwards.

use ferry_core::store::ShareRecord;
use ferry_core::username::Username;
use ferry_core::{Error, Result};
use tokio_postgres::types::Json;

use crate::store::PgMetaStore;

/// A share key: 64 lowercase hex digits (the store never sees the link id itself).
fn check_key(key: &str) -> Result<()> {
    match key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        true => Ok(()),
        false => Err(Error::ShareNotFound),
    }
}

fn record(row: &tokio_postgres::Row) -> Result<ShareRecord> {
    Ok(row
        .try_get::<_, Json<ShareRecord>>(0)
        .map_err(Error::internal)?
        .0)
}

impl PgMetaStore {
    pub(crate) async fn share_get(&self, key: &str) -> Result<Option<ShareRecord>> {
        check_key(key)?;
        let row = self
            .query_opt("SELECT record FROM ferry_shares WHERE key = $1", &[&key])
            .await?;
        row.as_ref().map(record).transpose()
    }

    pub(crate) async fn share_create(&self, key: &str, r: &ShareRecord) -> Result<()> {
        check_key(key)?;
        let sql = "INSERT INTO ferry_shares (key, owner, record) VALUES ($1, $2, $3)
                   ON CONFLICT (key) DO NOTHING";
        match self
            .execute(sql, &[&key, &r.owner.as_str(), &Json(r)])
            .await?
        {
            0 => Err(Error::internal("share key taken")),
            _ => Ok(()),
        }
    }

    pub(crate) async fn share_revoke(&self, key: &str) -> Result<()> {
        check_key(key)?;
        let sql = "UPDATE ferry_shares SET record = jsonb_set(record, '{revoked}', 'true')
                   WHERE key = $1";
        match self.execute(sql, &[&key]).await? {
            0 => Err(Error::ShareNotFound),
            _ => Ok(()),
        }
    }

    pub(crate) async fn share_count_download(&self, key: &str) -> Result<ShareRecord> {
        check_key(key)?;
        let sql = "UPDATE ferry_shares
                   SET record = jsonb_set(record, '{downloads}',
                       to_jsonb(COALESCE((record->>'downloads')::bigint, 0) + 1))
                   WHERE key = $1
                     AND NOT COALESCE((record->>'revoked')::boolean, false)
                     AND (jsonb_typeof(record->'max_downloads') IS DISTINCT FROM 'number'
                          OR COALESCE((record->>'downloads')::bigint, 0)
                             < (record->>'max_downloads')::bigint)
                   RETURNING record";
        if let Some(row) = self.query_opt(sql, &[&key]).await? {
            return record(&row);
        }
        match self.share_get(key).await? {
            None => Err(Error::ShareNotFound),
            Some(r) if r.revoked => Err(Error::ShareRevoked),
            Some(_) => Err(Error::ShareExhausted),
        }
    }

    pub(crate) async fn shares_by(&self, owner: &Username) -> Result<Vec<(String, ShareRecord)>> {
        let sql = "SELECT record, key FROM ferry_shares WHERE owner = $1 ORDER BY key";
        self.query(sql, &[&owner.as_str()])
            .await?
            .iter()
            .map(|row| Ok((row.get::<_, String>(1), record(row)?)))
            .collect()
    }
}
