//! Confinement: symlinks out of the home, a folder swapped for a symlink after the check,
//! and FIFOs, refused for every operation; a download refused or served by what the name is.

use std::os::unix::fs::symlink;
use std::time::Duration;

use bytes::Bytes;

use crate::support::{code, md5_hex, session, start};

#[tokio::test]
async fn symlinks_leading_out_of_the_home_are_refused_for_every_operation() {
    let (tmp, ferry, s) = start("alice").await;
    let home = tmp.path().join("homes/alice");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"top secret").unwrap();
    symlink(outside.path(), home.join("out")).unwrap();
    symlink(outside.path().join("secret"), home.join("abs")).unwrap();
    symlink("../bob", home.join("rel")).unwrap();
    std::fs::create_dir(home.join("d")).unwrap();
    symlink("../../..", home.join("d/up")).unwrap();

    for p in ["out/secret", "abs", "rel", "d/up/etc/passwd", "out"] {
        assert_eq!(
            code(s.stat(p, false).await),
            "path_outside_home",
            "stat {p}"
        );
        assert_eq!(
            code(s.open_download(p, 0).await),
            "path_outside_home",
            "get {p}"
        );
    }
    assert_eq!(
        code(s.list(Some("out"), None, None).await),
        "path_outside_home"
    );
    assert_eq!(code(s.mkdir("out/new", false).await), "path_outside_home");
    assert_eq!(
        code(s.rename("d", "out/d", false).await),
        "path_outside_home"
    );
    let mut s2 = session(&ferry, "alice").await;
    assert_eq!(
        code(s2.upload_create("out/x", 1, None, false).await),
        "path_outside_home"
    );
    assert_eq!(code(s2.cd("rel").await), "path_outside_home");
    assert!(!outside.path().join("new").exists());
    assert!(!outside.path().join("d").exists());

    // A symlink that stays inside the home is followed.
    std::fs::write(home.join("d/f"), b"inside").unwrap();
    symlink("d/f", home.join("link")).unwrap();
    assert_eq!(s.stat("link", false).await.unwrap().size, 6);
}

#[tokio::test]
async fn a_folder_swapped_for_a_symlink_after_a_check_is_still_refused() {
    let (tmp, _ferry, mut s) = start("alice").await;
    let home = tmp.path().join("homes/alice");
    let outside = tempfile::tempdir().unwrap();
    s.mkdir("sub", false).await.unwrap();
    let up = s.upload_create("sub/f", 3, None, false).await.unwrap();
    s.upload_write_chunk(&up.id.to_string(), 0, Bytes::from_static(b"abc"), None)
        .await
        .unwrap();
    std::fs::remove_dir(home.join("sub")).unwrap();
    symlink(outside.path(), home.join("sub")).unwrap();
    let r = s
        .upload_finish(&up.id.to_string(), Some(&md5_hex(b"abc")))
        .await;
    assert_eq!(code(r), "path_outside_home");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn fifos_are_refused_without_blocking() {
    let (tmp, _ferry, s) = start("alice").await;
    let fifo = tmp.path().join("homes/alice/pipe");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(st.success());
    let r = tokio::time::timeout(Duration::from_secs(5), s.open_download("pipe", 0)).await;
    assert_eq!(
        code(r.expect("opening a FIFO must not block")),
        "special_file"
    );
    let listing = s.list(None, None, None).await.unwrap();
    assert_eq!(listing.entries[0].kind, ferry_core::model::EntryKind::Other);
}

#[tokio::test]
async fn a_download_is_refused_or_served_by_what_the_name_is() {
    let (tmp, _ferry, s) = start("alice").await;
    let home = tmp.path().join("homes/alice");
    std::fs::create_dir(home.join("dir")).unwrap();
    std::fs::write(home.join("dir/f"), b"inside").unwrap();
    symlink("dir", home.join("to-dir")).unwrap();
    symlink("dir/f", home.join("to-f")).unwrap();
    // A socket cannot be opened at all (ENXIO): still `special_file`, not `internal`.
    let _socket = std::os::unix::net::UnixListener::bind(home.join("sock")).unwrap();
    // "déjà" stored decomposed (NFD), asked for composed (NFC), as clients send it.
    std::fs::write(home.join("de\u{301}ja\u{300}"), b"nfd").unwrap();

    assert_eq!(code(s.open_download("dir", 0).await), "is_a_directory");
    assert_eq!(code(s.open_download("to-dir", 0).await), "is_a_directory");
    assert_eq!(code(s.open_download("/", 0).await), "is_a_directory");
    assert_eq!(code(s.open_download("sock", 0).await), "special_file");
    assert_eq!(code(s.open_download("missing", 0).await), "not_found");
    assert_eq!(code(s.open_download("dir/f/x", 0).await), "not_a_directory");
    assert_eq!(s.open_download("to-f", 0).await.unwrap().entry.size, 6);
    let nfd = s.open_download("d\u{e9}j\u{e0}", 0).await.unwrap();
    assert_eq!(nfd.entry.size, 3);
}
