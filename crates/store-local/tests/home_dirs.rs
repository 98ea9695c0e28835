//! Homes' directory handles are kept between operations; these tests change `DATA/homes`
//! behind the store's back (as an operator or a restore would) and check that the very next
//! operation sees the folder that the name holds now.

use std::fs;

use ferry_core::HomePath;
use ferry_core::store::{FileStore, ListPage};
use ferry_core::username::Username;
use ferry_store_local::LocalBlobStore;

fn page() -> ListPage {
    ListPage {
        after: None,
        limit: 100,
    }
}

async fn names(store: &LocalBlobStore, user: &Username) -> Vec<String> {
    let listed = store.list(user, &HomePath::root(), page()).await.unwrap();
    listed.entries.into_iter().map(|e| e.name).collect()
}

#[tokio::test]
async fn a_home_replaced_behind_the_stores_back_is_the_one_used_next() {
    let data = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::open(data.path()).unwrap();
    let bob: Username = "bob".parse().unwrap();
    store.create_home(&bob).await.unwrap();
    let home = data.path().join("homes/bob");
    fs::write(home.join("old.txt"), b"old").unwrap();
    assert_eq!(names(&store, &bob).await, ["old.txt"]);

    // Moved away and a new folder put in its place: the new one, at once.
    fs::rename(&home, data.path().join("homes/bob.previous")).unwrap();
    fs::create_dir(&home).unwrap();
    fs::write(home.join("new.txt"), b"new").unwrap();
    assert_eq!(names(&store, &bob).await, ["new.txt"]);

    // Removed: made again (this process made it), empty, and writes land in the new one.
    fs::remove_dir_all(&home).unwrap();
    assert!(names(&store, &bob).await.is_empty());
    let path = HomePath::resolve(&HomePath::root(), "/made.txt").unwrap();
    store.mkdir(&bob, &path, false).await.unwrap();
    assert!(
        home.join("made.txt").is_dir(),
        "the folder was made in the home on disk"
    );
}

#[tokio::test]
async fn a_home_removed_and_made_again_by_the_store_starts_empty() {
    let data = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::open(data.path()).unwrap();
    let bob: Username = "bob".parse().unwrap();
    store.create_home(&bob).await.unwrap();
    let path = HomePath::resolve(&HomePath::root(), "/kept").unwrap();
    store.mkdir(&bob, &path, false).await.unwrap();
    assert_eq!(names(&store, &bob).await, ["kept"]);
    store.remove_home(&bob).await.unwrap();
    store.create_home(&bob).await.unwrap();
    assert!(names(&store, &bob).await.is_empty());
    let again = HomePath::resolve(&HomePath::root(), "/again").unwrap();
    store.mkdir(&bob, &again, false).await.unwrap();
    assert!(data.path().join("homes/bob/again").is_dir());
}
