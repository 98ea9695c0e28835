//! The metadata store's in-memory accounts and tokens against writes by a second store on the
//! same folder (what another process, e.g. `ferry user passwd`, is): the first store must see
//! each change at its very next lookup.

use ferry_core::auth::ScramCredentials;
use ferry_core::exec::ExecPolicy;
use ferry_core::store::{Account, MetaStore, TokenRecord};
use ferry_store_local::LocalMetaStore;

/// Bob's account (every account here is his) with `password`, made at `created`.
fn account(password: &str, created: i64) -> Account {
    Account {
        name: "bob".parse().unwrap(),
        credentials: ScramCredentials::derive(password, b"0123456789abcdef", 4096),
        quota: None,
        created,
        exec: ExecPolicy::Off,
        exec_max_timeout_secs: None,
        admin: false,
    }
}

const HASH: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Two stores on one folder (the server, and another process such as `ferry user`); the
/// second has made Bob's account (password "one") and a token of his under [`HASH`].
async fn bob_with_a_token(
    dir: &tempfile::TempDir,
) -> (LocalMetaStore, LocalMetaStore, TokenRecord) {
    let server = LocalMetaStore::open(dir.path()).unwrap();
    let admin = LocalMetaStore::open(dir.path()).unwrap();
    admin.create_account(&account("one", 1)).await.unwrap();
    let record = TokenRecord {
        user: "bob".parse().unwrap(),
        created: 1,
        expires: i64::MAX,
    };
    admin.put_token(HASH, &record).await.unwrap();
    (server, admin, record)
}

#[tokio::test]
async fn another_stores_account_and_token_changes_are_seen_at_the_next_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin, record) = bob_with_a_token(&dir).await;
    let bob = "bob".parse().unwrap();
    for _ in 0..3 {
        let a = server.account(&bob).await.unwrap().unwrap();
        assert_eq!(a.credentials, account("one", 1).credentials);
        assert_eq!(server.token(HASH).await.unwrap(), Some(record.clone()));
    }

    admin.update_account(&account("two", 1)).await.unwrap();
    let a = server.account(&bob).await.unwrap().unwrap();
    assert_eq!(a.credentials, account("two", 1).credentials);

    admin.remove_token(HASH).await.unwrap();
    assert_eq!(server.token(HASH).await.unwrap(), None);

    admin.remove_account(&bob).await.unwrap();
    assert!(server.account(&bob).await.unwrap().is_none());

    // Made again under the same name: the new account, not a remembered one.
    admin.create_account(&account("three", 2)).await.unwrap();
    let a = server.account(&bob).await.unwrap().unwrap();
    assert_eq!(a.created, 2);
}

#[tokio::test]
async fn the_stores_own_writes_are_seen_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalMetaStore::open(dir.path()).unwrap();
    let bob = "bob".parse().unwrap();
    store.create_account(&account("one", 1)).await.unwrap();
    assert!(store.account(&bob).await.unwrap().is_some());
    store.update_account(&account("two", 1)).await.unwrap();
    let a = store.account(&bob).await.unwrap().unwrap();
    assert_eq!(a.credentials, account("two", 1).credentials);
    store.remove_account(&bob).await.unwrap();
    assert!(store.account(&bob).await.unwrap().is_none());
}

/// The lookup a request with a token makes (token and account at once, from memory when both
/// are there) sees another store's changes to either at its next call.
#[tokio::test]
async fn a_token_with_its_account_follows_another_stores_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin, record) = bob_with_a_token(&dir).await;
    let bob = "bob".parse().unwrap();
    for _ in 0..3 {
        let (token, a) = server.token_with_account(HASH).await.unwrap().unwrap();
        assert_eq!(token, record);
        assert_eq!(a.unwrap().credentials, account("one", 1).credentials);
    }

    admin.update_account(&account("two", 1)).await.unwrap();
    let (_, a) = server.token_with_account(HASH).await.unwrap().unwrap();
    assert_eq!(a.unwrap().credentials, account("two", 1).credentials);

    admin.remove_account(&bob).await.unwrap();
    let (token, a) = server.token_with_account(HASH).await.unwrap().unwrap();
    assert_eq!(token, record);
    assert!(a.is_none(), "the account was removed");

    admin.create_account(&account("three", 2)).await.unwrap();
    let (_, a) = server.token_with_account(HASH).await.unwrap().unwrap();
    assert_eq!(a.unwrap().created, 2);

    admin.remove_token(HASH).await.unwrap();
    assert!(server.token_with_account(HASH).await.unwrap().is_none());
}
