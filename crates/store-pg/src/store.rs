//! [`PgMetaStore`]: a pool of connections to one database, and the few helpers every
//! statement goes through (a pooled client, a cached prepared statement, errors to the core's
//! `internal`, which logs them and tells clients nothing).

use std::fmt;

use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use ferry_core::{Error, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

/// Connections open at once per node. Every statement holds one for a single round trip, so
/// this bounds the node's load on the database, not its concurrency of requests.
const POOL_SIZE: usize = 16;

/// The metadata of several Ferry nodes in one PostgreSQL database. Clones share one pool.
#[derive(Clone)]
pub struct PgMetaStore {
    pool: Pool,
    /// `host:port/database`, for logs (never the password).
    pub(crate) label: String,
    pub(crate) secret: [u8; 32],
}

impl fmt::Debug for PgMetaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgMetaStore")
            .field("database", &self.label)
            .finish_non_exhaustive()
    }
}

impl PgMetaStore {
    /// Connects to the database `url` names (`postgres://user:password@host:port/db`, or
    /// libpq's `key=value` form), brings its schema up to date and reads the server secret,
    /// generating it if this is the first node ever to open it. No TLS to the database yet.
    pub async fn connect(url: &str) -> Result<PgMetaStore> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| Error::internal(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_application_name().is_none() {
            config.application_name("ferry");
        }
        let label = label(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(Error::internal)?;
        let mut client = pool.get().await.map_err(|e| {
            Error::internal(format!("cannot connect to the database at {label}: {e}"))
        })?;
        let version = crate::migrate::run(&mut client).await?;
        let secret = load_or_create_secret(&client).await?;
        tracing::info!(database = %label, schema = version, "metadata in PostgreSQL");
        Ok(PgMetaStore {
            pool,
            label,
            secret,
        })
    }

    async fn client(&self) -> Result<Client> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Runs one statement; returns its rows.
    pub(crate) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(db_error)?;
        client.query(&statement, params).await.map_err(db_error)
    }

    /// Runs one statement that returns at most one row.
    pub(crate) async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    /// Runs one statement; returns how many rows it changed.
    pub(crate) async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(db_error)?;
        client.execute(&statement, params).await.map_err(db_error)
    }
}

/// A database failure as a client sees it. The database gone or going away (the connection
/// closed or refused, SQLSTATE classes 08 and 57: a restart, a shutdown) is
/// `store_unavailable`: nothing was changed and the request may be retried once it is back
/// (the pool drops closed connections, so the next request gets a fresh one). Anything else is
/// internal.
pub(crate) fn db_error(e: tokio_postgres::Error) -> Error {
    let class = e.code().map(|c| &c.code()[..2]);
    let gone = e.is_closed()
        || matches!(class, Some("08" | "57"))
        || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    if gone {
        tracing::warn!(error = %e, "the metadata database is unavailable");
        Error::StoreUnavailable("the metadata database".into())
    } else {
        Error::internal(e)
    }
}

/// [`db_error`] for a connection the pool could not hand out.
fn pool_error(e: PoolError) -> Error {
    match e {
        PoolError::Backend(e) => db_error(e),
        PoolError::Timeout(_) => {
            tracing::warn!("timed out waiting for a metadata database connection");
            Error::StoreUnavailable("the metadata database".into())
        }
        other => Error::internal(other),
    }
}

/// Where the database is, without credentials.
fn label(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or("-"))
}

/// The first node to open the database stores its random secret; every node reads the one
/// stored.
async fn load_or_create_secret(client: &Client) -> Result<[u8; 32]> {
    let mut fresh = [0u8; 32];
    getrandom::fill(&mut fresh).map_err(|e| Error::internal(e.to_string()))?;
    client
        .execute(
            "INSERT INTO ferry_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            &[&fresh.as_slice()],
        )
        .await
        .map_err(Error::internal)?;
    let row = client
        .query_one("SELECT secret FROM ferry_secret WHERE id = 1", &[])
        .await
        .map_err(Error::internal)?;
    row.get::<_, &[u8]>(0)
        .try_into()
        .map_err(|_| Error::internal("the stored secret is not 32 bytes"))
}

/// A byte count as PostgreSQL's `bigint` (counts past `i64::MAX` do not occur: uploads are
/// limited to far less; a limit past it is no limit).
pub(crate) fn big(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A `bigint` column that holds a count.
pub(crate) fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
