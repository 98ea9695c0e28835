//! `PgMetaStore` against a real PostgreSQL server (see `ferry_store_pg::testing` for which),
//! each test on a database of its own: the core's conformance suite (`conformance`), and two
//! stores over one database, standing for two nodes, racing (`races`).

mod conformance;
mod races;

use std::sync::Arc;

use ferry_store_pg::PgMetaStore;
use ferry_store_pg::testing::fresh_database;

/// A store on a new, empty database.
async fn fresh() -> Arc<PgMetaStore> {
    Arc::new(PgMetaStore::connect(&fresh_database().await).await.unwrap())
}

/// Two stores on one new database: two nodes.
async fn two_nodes() -> (Arc<PgMetaStore>, Arc<PgMetaStore>) {
    let url = fresh_database().await;
    let a = PgMetaStore::connect(&url).await.unwrap();
    let b = PgMetaStore::connect(&url).await.unwrap();
    (Arc::new(a), Arc::new(b))
}
