//! The schema: numbered SQL files compiled into the binary, applied in order at open.
//!
//! Each missing migration runs in one transaction with its row in `ferry_schema`, under a
//! transaction-scoped advisory lock, so nodes starting together apply each exactly once and a
//! failed one leaves nothing behind. Hand-written rather than `refinery`: this is ~40 lines,
//! where refinery would add a proc macro, a second `toml` and `thiserror` and a dozen crates.

use deadpool_postgres::Client;
use ferry_core::{Error, Result};

/// Every migration, in order; the version is the position, counting from 1. Never edit one
/// that has shipped: add the next.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_shares.sql"),
];

/// Any fixed number: the advisory lock that serialises migrating nodes.
const LOCK_KEY: i64 = 0x6665_7272_795f_6462; // "ferry_db"

/// Brings the schema up to date; returns the version it is at.
pub(crate) async fn run(client: &mut Client) -> Result<usize> {
    let tx = client.transaction().await.map_err(Error::internal)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(Error::internal)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS ferry_schema (
             version integer PRIMARY KEY,
             applied timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(Error::internal)?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM ferry_schema", &[])
        .await
        .map_err(Error::internal)?;
    let current = usize::try_from(row.get::<_, i32>(0)).map_err(Error::internal)?;
    if current > MIGRATIONS.len() {
        return Err(Error::internal(format!(
            "the database's schema is version {current}, newer than this Ferry knows ({}): \
             upgrade Ferry",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = i32::try_from(i + 1).map_err(Error::internal)?;
        tx.batch_execute(sql).await.map_err(Error::internal)?;
        tx.execute(
            "INSERT INTO ferry_schema (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(Error::internal)?;
        tracing::info!(version, "metadata schema migrated");
    }
    tx.commit().await.map_err(Error::internal)?;
    Ok(MIGRATIONS.len())
}
