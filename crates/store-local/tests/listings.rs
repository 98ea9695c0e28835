//! Kept folder names never hide a change: a folder whose names are kept (it settled before it
//! was listed) lists every file made, removed or renamed in it afterwards, by Ferry or behind
//! its back, on the next listing and on the next page.

use std::fs;
use std::time::Duration;

use ferry_core::Session;

mod support;

use support::alice_on_fresh_data;

async fn names(s: &Session, after: Option<&str>, limit: Option<u32>) -> (Vec<String>, bool) {
    let l = s
        .list(Some("/d"), after.map(str::to_owned), limit)
        .await
        .unwrap();
    let names = l.entries.into_iter().map(|e| e.name).collect();
    (names, l.next.is_some())
}

#[tokio::test]
async fn a_listed_folder_shows_every_later_change_on_every_page() {
    let (_tmp, data, s) = alice_on_fresh_data().await;
    let dir = data.join("homes/alice/d");
    fs::create_dir(&dir).unwrap();
    for n in ["b", "d", "f"] {
        fs::write(dir.join(n), n).unwrap();
    }
    // Past the settling time, so the names are kept from the first listing on.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(names(&s, None, None).await.0, ["b", "d", "f"]);
    assert_eq!(
        names(&s, Some("b"), Some(1)).await,
        (vec!["d".into()], true)
    );

    fs::write(dir.join("a"), "a").unwrap();
    fs::write(dir.join("c"), "c").unwrap();
    assert_eq!(names(&s, None, None).await.0, ["a", "b", "c", "d", "f"]);
    assert_eq!(
        names(&s, Some("b"), Some(1)).await,
        (vec!["c".into()], true)
    );

    fs::remove_file(dir.join("d")).unwrap();
    fs::rename(dir.join("f"), dir.join("e")).unwrap();
    assert_eq!(names(&s, None, None).await.0, ["a", "b", "c", "e"]);
    assert_eq!(
        names(&s, Some("c"), Some(5)).await,
        (vec!["e".into()], false)
    );

    s.mkdir("/d/g", false).await.unwrap();
    s.remove("/d/a", false).await.unwrap();
    assert_eq!(names(&s, None, None).await.0, ["b", "c", "e", "g"]);
}

#[tokio::test]
async fn a_folder_listed_through_a_symlink_shows_the_symlinks_paths() {
    let (_tmp, data, s) = alice_on_fresh_data().await;
    let home = data.join("homes/alice");
    fs::create_dir(home.join("d")).unwrap();
    fs::write(home.join("d/f"), "f").unwrap();
    std::os::unix::fs::symlink("d", home.join("l")).unwrap();
    tokio::time::sleep(Duration::from_millis(3100)).await;
    for dir in ["/d", "/l", "/d"] {
        let listing = s.list(Some(dir), None, None).await.unwrap();
        let paths: Vec<String> = listing.entries.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(paths, [format!("{dir}/f")], "listing {dir}");
    }
}
