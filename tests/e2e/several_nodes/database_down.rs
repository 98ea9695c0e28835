//! PostgreSQL restarted mid-upload, on a server of the test's own: requests are told to
//! retry (`store_unavailable`), and nothing is lost.

use std::process::Command;

use crate::http_client::{Http, random_bytes};
use crate::support::{PASSWORD, Server, free_port};

/// A PostgreSQL server of the test's own (`tests/support/postgres.sh`), stopped and deleted
/// when dropped.
struct OwnDatabase {
    dir: tempfile::TempDir,
    url: String,
}

impl OwnDatabase {
    fn start() -> OwnDatabase {
        let dir = tempfile::tempdir().unwrap();
        let out = postgres_sh("start", &dir);
        let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
        OwnDatabase { dir, url }
    }

    /// `down` (the server stops, its data kept) or `up` (it starts again on its port).
    fn set(&self, state: &str) {
        postgres_sh(state, &self.dir);
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        postgres_sh("stop", &self.dir);
    }
}

fn postgres_sh(command: &str, dir: &tempfile::TempDir) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/postgres.sh");
    let out = Command::new(script)
        .arg(command)
        .arg(dir.path().join("pg"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "postgres.sh {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// PostgreSQL restarted mid-upload: while it is down every request gets `503
/// store_unavailable` with `Retry-After`, and the node keeps running; once it is back the
/// upload goes on from its offset and the file is exact.
#[test]
fn requests_while_the_database_is_down_are_told_to_retry_and_nothing_is_lost() {
    let db = OwnDatabase::start();
    let tmp = tempfile::tempdir().unwrap();
    let node = Server::start_on(&tmp.path().join("data"), free_port(), &["--meta", &db.url]);
    let admin = Http::new(&node, "admin", PASSWORD);
    let bytes = random_bytes(3 * 1024 * 1024 + 17, 41);
    let half = 2 * 1024 * 1024;
    let id = admin.create_upload("/restart.bin", &bytes);
    let uri = format!("/api/v1/uploads/{id}");
    let range = |from: usize| format!("bytes {from}-{}/{}", bytes.len() - 1, bytes.len());
    let first = admin.send(
        "PUT",
        &uri,
        &[(
            "content-range",
            format!("bytes 0-{}/{}", half - 1, bytes.len()),
        )],
        Some(bytes[..half].to_vec()),
    );
    assert_eq!(first.status, 308, "{first:?}");

    db.set("down");
    let refused = admin.send(
        "PUT",
        &uri,
        &[("content-range", range(half))],
        Some(bytes[half..].to_vec()),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (503, "store_unavailable".to_string()),
        "{refused:?}"
    );
    assert_eq!(
        refused.headers.get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    let listing = admin.get("/api/v1/dirs/");
    assert_eq!(listing.status, 503, "{listing:?}");

    db.set("up");
    assert_eq!(admin.offset(&id), half as u64, "nothing was lost");
    let done = admin.put_rest(&id, &bytes, half);
    assert_eq!(done.status, 201, "{done:?}");
    let got = admin.get("/api/v1/files/restart.bin");
    assert!(got.body == bytes, "the file is exact");
}
