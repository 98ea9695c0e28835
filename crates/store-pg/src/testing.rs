//! For tests: a fresh, empty database on a test PostgreSQL server, so every test starts from
//! nothing and tests run in parallel.
//!
//! The server is the one `FERRY_TEST_PG_URL` names (`postgres://user@host:port/db`;
//! `tests/run.sh` starts one for the whole run). Without it, the first test starts one with
//! `tests/support/postgres.sh start target/test-pg` (which installs PostgreSQL from Debian's
//! packages if missing) and later runs reuse it; `tests/support/postgres.sh stop
//! target/test-pg` ends it. A test never skips for want of a server: it fails.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use tokio_postgres::NoTls;

/// The server URL, found or started once per test binary.
static SERVER: Mutex<Option<String>> = Mutex::new(None);

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn server() -> String {
    let mut server = SERVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(url) = server.as_ref() {
        return url.clone();
    }
    let url = match std::env::var("FERRY_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let root = workspace();
            let out = Command::new(root.join("tests/support/postgres.sh"))
                .arg("start")
                .arg(root.join("target/test-pg"))
                .output()
                .expect("run tests/support/postgres.sh");
            assert!(
                out.status.success(),
                "tests/support/postgres.sh start failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout)
                .expect("URL")
                .trim()
                .to_string()
        }
    };
    *server = Some(url.clone());
    url
}

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_database() -> String {
    let url = server();
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test server {url}: {e}"));
    tokio::spawn(connection);
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).expect("random");
    let name = format!("ferry_test_{}", hex::encode(id));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let (base, _) = url
        .rsplit_once('/')
        .expect("FERRY_TEST_PG_URL ends with /DATABASE");
    format!("{base}/{name}")
}
