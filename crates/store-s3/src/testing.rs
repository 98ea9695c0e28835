//! For tests: a store on a test Garage cluster under a fresh random key prefix, so every test
//! starts from nothing and tests run in parallel.
//!
//! The cluster is the one the `FERRY_TEST_S3_*` variables name (`tests/run.sh` starts one for
//! the whole run: endpoint, region, bucket, key id, secret). Without them, the first test
//! starts one with `tests/support/garage.sh start target/test-garage` (which builds Garage
//! once per machine if missing) and later runs reuse it; `tests/support/garage.sh stop
//! target/test-garage` ends it. A test never skips for want of a cluster: it fails.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use crate::S3Config;

/// The cluster's settings, found or started once per test binary.
static CLUSTER: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

const VARS: [&str; 5] = [
    "FERRY_TEST_S3_ENDPOINT",
    "FERRY_TEST_S3_REGION",
    "FERRY_TEST_S3_BUCKET",
    "FERRY_TEST_S3_KEY_ID",
    "FERRY_TEST_S3_SECRET",
];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cluster() -> HashMap<String, String> {
    let mut cluster = CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(vars) = cluster.as_ref() {
        return vars.clone();
    }
    let from_env: HashMap<String, String> = VARS
        .iter()
        .filter_map(|v| {
            Some((
                v.to_string(),
                std::env::var(v).ok().filter(|s| !s.is_empty())?,
            ))
        })
        .collect();
    let vars = if from_env.len() == VARS.len() {
        from_env
    } else {
        let root = workspace();
        let out = Command::new(root.join("tests/support/garage.sh"))
            .arg("start")
            .arg(root.join("target/test-garage"))
            .output()
            .expect("run tests/support/garage.sh");
        assert!(
            out.status.success(),
            "tests/support/garage.sh start failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("env lines")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for v in VARS {
        assert!(vars.contains_key(v), "the test cluster gave no {v}");
    }
    *cluster = Some(vars.clone());
    vars
}

/// The test cluster's bucket under a new random key prefix.
pub fn fresh_config() -> S3Config {
    let vars = cluster();
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).expect("random");
    S3Config {
        endpoint: vars["FERRY_TEST_S3_ENDPOINT"].clone(),
        region: vars["FERRY_TEST_S3_REGION"].clone(),
        bucket: vars["FERRY_TEST_S3_BUCKET"].clone(),
        key_id: vars["FERRY_TEST_S3_KEY_ID"].clone(),
        secret: vars["FERRY_TEST_S3_SECRET"].clone(),
        prefix: format!("test-{}", hex::encode(id)),
    }
}
