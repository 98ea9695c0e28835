//! Uploads that move between nodes over S3, and outlive a node's or a Garage node's death:
//! TCP on one node, then HTTP on two others; a node killed while its TCP session writes; one
//! of three Garage nodes killed mid-upload.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferry_store_s3::S3Config;

use super::Shared;
use crate::http_client::{Http, random_bytes};
use crate::support::{PASSWORD, Raw};

/// Three nodes, no stickiness: an upload started on node A through the TCP door is continued
/// on node B over HTTP and finished on node C, and node A serves the exact file.
#[test]
fn an_upload_started_on_one_node_is_continued_on_a_second_and_finished_on_a_third() {
    let shared = Shared::new();
    let nodes = ["a", "b", "c"].map(|n| shared.node(n));
    shared.add_user("bob");
    let [on_a, on_b, on_c] = [0, 1, 2].map(|n| Http::new(&nodes[n], "bob", PASSWORD));
    let mib = 1024 * 1024;
    let bytes = random_bytes(20 * mib + 333, 37);
    let id = on_a.create_upload("/three.bin", &bytes);
    let mut tcp = Raw::logged_in_as(nodes[0].addr, "bob", PASSWORD);
    let first = 9 * mib;
    assert_eq!(tcp.write_upload(&id, 0, &bytes[..first], mib), first as u64);
    drop(tcp);

    let second = 15 * mib;
    let uri = format!("/api/v1/uploads/{id}");
    let range = format!("bytes {first}-{}/{}", second - 1, bytes.len());
    let put_b = || {
        let body = Some(bytes[first..second].to_vec());
        on_b.send("PUT", &uri, &[("content-range", range.clone())], body)
    };
    // Node A closes the TCP session's writer just after the connection ends.
    let mut on_b_reply = put_b();
    for _ in 0..100 {
        if on_b_reply.code() != "upload_busy" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        on_b_reply = put_b();
    }
    assert_eq!(on_b_reply.status, 308, "{on_b_reply:?}");
    assert_eq!(
        on_c.offset(&id),
        second as u64,
        "node C sees what node B received"
    );
    let done = on_c.put_rest(&id, &bytes, second);
    assert_eq!(done.status, 201, "{done:?}");
    let got = on_a.get("/api/v1/files/three.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "the file is exact");
}

/// A node killed (`kill -9`) while a TCP session writes an upload, after it shipped two parts:
/// another node takes the upload over once the lease lapses (`--lease-ttl 3`), at the offset
/// of the dead node's last flush (the client is told it, and sends the rest from there),
/// continuing the MD5 from the state kept with the parts (they cannot be read back to hash
/// them again); the file is exact.
#[test]
fn an_upload_of_parts_whose_node_was_killed_is_taken_over_by_another() {
    let shared = Shared::new();
    let lease = ["--lease-ttl", "3"];
    let (mut a, b) = (shared.node_with("a", &lease), shared.node_with("b", &lease));
    shared.add_user("bob");
    let on_b = Http::new(&b, "bob", PASSWORD);
    let mib = 1024 * 1024;
    let bytes = random_bytes(17 * mib + 4321, 23);
    let half = 16 * mib + 1000;
    let id = on_b.create_upload("/killed.bin", &bytes);
    let mut tcp = Raw::logged_in_as(a.addr, "bob", PASSWORD);
    let nine = 9 * mib;
    assert_eq!(tcp.write_upload(&id, 0, &bytes[..nine], mib), nine as u64);
    // A second later the next write's end flushes: the manifest then lists part 0 and the
    // MD5 state over it, and the tail after it.
    std::thread::sleep(Duration::from_millis(1100));
    let rest = &bytes[nine..half];
    assert_eq!(tcp.write_upload(&id, nine as u64, rest, mib), half as u64);

    a.kill9();
    let offset = on_b.offset(&id) as usize;
    assert!(
        (nine + mib..=half).contains(&offset),
        "{offset}: at least the flush after the pause, at most what was sent"
    );
    let done = on_b.put_rest(&id, &bytes, offset);
    assert_eq!(done.status, 201, "{done:?}");
    let got = on_b.get("/api/v1/files/killed.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "the file is exact");
}

/// A three-node Garage cluster of a test's own (`tests/support/garage.sh`), stopped and
/// deleted when dropped.
struct OwnCluster {
    dir: tempfile::TempDir,
    config: S3Config,
}

impl OwnCluster {
    fn start() -> OwnCluster {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/garage.sh");
        let out = Command::new(&script)
            .arg("start")
            .arg(dir.path().join("garage"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let var = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("FERRY_TEST_S3_{name}=")))
                .unwrap_or_else(|| panic!("garage.sh printed no {name}"))
                .to_string()
        };
        let config = S3Config {
            endpoint: var("ENDPOINT"),
            region: var("REGION"),
            bucket: var("BUCKET"),
            key_id: var("KEY_ID"),
            secret: var("SECRET"),
            prefix: "own".into(),
        };
        OwnCluster { dir, config }
    }

    /// `kill -9` of node `n` (1 serves the S3 endpoint).
    fn kill(&self, n: u32) {
        let pid_file = self.dir.path().join(format!("garage/node{n}/pid"));
        let pid = std::fs::read_to_string(pid_file).unwrap();
        let status = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/garage.sh");
        let _ = Command::new(script)
            .arg("stop")
            .arg(self.dir.path().join("garage"))
            .status();
    }
}

/// One of the three Garage nodes killed (`kill -9`) mid-upload: with replication factor 3 the
/// other two are a quorum, so the upload goes on, commits, and reads back exact.
#[test]
fn an_upload_continues_and_completes_after_a_garage_node_was_killed() {
    let cluster = OwnCluster::start();
    let shared = Shared::on(cluster.config.clone());
    let node = shared.node("a");
    shared.add_user("bob");
    let bob = Http::new(&node, "bob", PASSWORD);
    let mib = 1024 * 1024;
    let bytes = random_bytes(17 * mib + 777, 31);
    let half = 9 * mib;
    let id = bob.create_upload("/quorum.bin", &bytes);
    let range = format!("bytes 0-{}/{}", half - 1, bytes.len());
    let uri = format!("/api/v1/uploads/{id}");
    let first = bob.send(
        "PUT",
        &uri,
        &[("content-range", range)],
        Some(bytes[..half].to_vec()),
    );
    assert_eq!(first.status, 308, "{first:?}");

    cluster.kill(3);
    let done = bob.put_rest(&id, &bytes, half);
    assert_eq!(done.status, 201, "{done:?}");
    let got = bob.get("/api/v1/files/quorum.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "the file is exact");
}
