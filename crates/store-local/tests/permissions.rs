//! The data folder's account, upload-record and secret files are refused at start when others may write them.

use std::error::Error as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use ferry_core::Config;

mod support;

use support::alice_on_fresh_data;

async fn open_error(data: &std::path::Path) -> Option<String> {
    match ferry_store_local::open(Config::new(data.to_path_buf())).await {
        Ok(_) => None,
        Err(e) => Some(format!(
            "{e}: {}",
            e.source().map(|s| s.to_string()).unwrap_or_default()
        )),
    }
}

#[tokio::test]
async fn a_group_or_world_writable_secret_or_account_file_is_refused_at_start() {
    let (_dir, data, mut alice) = alice_on_fresh_data().await;
    let upload = alice
        .upload_create("/big.bin", 10, None, false)
        .await
        .unwrap();
    // The session holds the last handle on the service.
    drop(alice);
    let state = data.join("state");
    let record = state.join(format!("uploads/{}.json", upload.id));
    assert!(record.exists(), "{record:?}");
    for (path, mode) in [
        (state.join("secret"), 0o620),
        (state.join("users/alice.json"), 0o602),
        (state.join("users"), 0o770),
        (record, 0o622),
        (state.join("uploads"), 0o730),
        (state.clone(), 0o707),
    ] {
        let before = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let err = open_error(&data).await.expect("refused");
        assert!(err.contains("group- or world-writable"), "{path:?}: {err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(before)).unwrap();
        assert_eq!(open_error(&data).await, None, "{path:?} restored");
    }
}
