//! Two nodes (two stores over one database, each with its own holder names) doing the same
//! thing at the same moment, many rounds over: exactly one wins each round, and what the
//! loser writes late is refused.

use std::sync::Arc;
use std::time::Duration;

use ferry_core::model::unix_now;
use ferry_core::path::HomePath;
use ferry_core::store::{MetaStore, UploadRecord};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use tokio::sync::Barrier;

use super::two_nodes;

const ROUNDS: usize = 20;
/// Long enough that the race is decided well inside it, short enough to wait out 20 times.
const SHORT_LEASE: Duration = Duration::from_millis(150);

fn record(user: &Username) -> UploadRecord {
    let now = unix_now();
    UploadRecord {
        id: UploadId::random().unwrap(),
        user: user.clone(),
        path: HomePath::resolve(&HomePath::root(), "/race.bin").unwrap(),
        size: 100,
        md5: None,
        overwrite: false,
        created: now,
        expires: now + 600,
        hash_state: None,
        hashed: 0,
        deferred: false,
        sha256: None,
    }
}

/// Runs `op` on both nodes at once (released together by a barrier, on two worker threads);
/// returns node A's result and node B's.
async fn at_once<T: Send + 'static, F, Fut>(
    a: &Arc<dyn MetaStore>,
    b: &Arc<dyn MetaStore>,
    op: F,
) -> (T, T)
where
    F: Fn(Arc<dyn MetaStore>, &'static str) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(2));
    let run = |store: Arc<dyn MetaStore>, node: &'static str| {
        let (barrier, fut) = (barrier.clone(), op(store, node));
        tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        })
    };
    let (ra, rb) = (run(a.clone(), "node-a/1"), run(b.clone(), "node-b/1"));
    (ra.await.unwrap(), rb.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_racing_for_one_upload_lease_exactly_one_wins_and_the_loser_is_fenced() {
    let (a, b) = two_nodes().await;
    let (a, b): (Arc<dyn MetaStore>, Arc<dyn MetaStore>) = (a, b);
    let user: Username = "racer".parse().unwrap();
    for _ in 0..ROUNDS {
        let r = record(&user);
        a.create_upload(&r).await.unwrap();
        let id = r.id;
        let (ra, rb) = at_once(&a, &b, move |s, node| async move {
            s.lease_take(&id, node, SHORT_LEASE).await
        })
        .await;
        let (winner, loser_store, lease) = match (ra, rb) {
            (Ok(l), Err(e)) => {
                assert_eq!(e.code(), "upload_busy");
                (&a, &b, l)
            }
            (Err(e), Ok(l)) => {
                assert_eq!(e.code(), "upload_busy");
                (&b, &a, l)
            }
            (ra, rb) => panic!("exactly one node must win: {ra:?} / {rb:?}"),
        };
        let mut written = r.clone();
        written.hashed = 10;
        winner.save_upload(&written, &lease).await.unwrap();

        // The winner stalls past its lease; the loser takes over and checkpoints...
        tokio::time::sleep(SHORT_LEASE + Duration::from_millis(50)).await;
        let other = if lease.holder == "node-a/1" {
            "node-b/1"
        } else {
            "node-a/1"
        };
        let taken = loser_store
            .lease_take(&id, other, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(taken.fence > lease.fence, "a new holder raises the fence");
        let mut newer = r.clone();
        newer.hashed = 20;
        loser_store.save_upload(&newer, &taken).await.unwrap();
        // ...and the first writer's late write, with its old fence, changes nothing.
        let mut late = r.clone();
        late.hashed = 15;
        let refused = winner.save_upload(&late, &lease).await.unwrap_err();
        assert_eq!(refused.code(), "upload_busy");
        assert_eq!(
            winner
                .lease_renew(&lease, Duration::from_secs(60))
                .await
                .unwrap_err()
                .code(),
            "upload_busy"
        );
        assert_eq!(a.upload(&id).await.unwrap().unwrap().hashed, 20);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_spending_the_last_bytes_of_a_quota_at_once_exactly_one_succeeds() {
    let (a, b) = two_nodes().await;
    let (a, b): (Arc<dyn MetaStore>, Arc<dyn MetaStore>) = (a, b);
    for round in 0..ROUNDS {
        let user: Username = format!("spender{round}").parse().unwrap();
        a.quota_init(&user, 600, 300).await.unwrap();
        let u = user.clone();
        let (ra, rb) = at_once(&a, &b, move |s, _| {
            let u = u.clone();
            async move { s.quota_reserve(&u, 100, Some(1000)).await }
        })
        .await;
        let refused = match (&ra, &rb) {
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => e,
            _ => panic!("exactly one node must get the last 100 bytes: {ra:?} / {rb:?}"),
        };
        assert_eq!(refused.code(), "quota_exceeded");
        let ledger = b.quota_get(&user).await.unwrap().unwrap();
        assert_eq!((ledger.used, ledger.reserved), (600, 400));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_asking_to_sweep_at_once_get_exactly_one_janitor() {
    let (a, b) = two_nodes().await;
    let (a, b): (Arc<dyn MetaStore>, Arc<dyn MetaStore>) = (a, b);
    let (ra, rb) = at_once(&a, &b, |s, node| async move {
        s.janitor_take(node, SHORT_LEASE).await.unwrap()
    })
    .await;
    assert!(ra != rb, "exactly one janitor: {ra} / {rb}");
    let (janitor, other, other_name) = if ra {
        (&a, &b, "node-b/1")
    } else {
        (&b, &a, "node-a/1")
    };
    let name = if ra { "node-a/1" } else { "node-b/1" };
    assert!(
        janitor.janitor_take(name, SHORT_LEASE).await.unwrap(),
        "renewed"
    );
    assert!(!other.janitor_take(other_name, SHORT_LEASE).await.unwrap());
    // The janitor stops renewing (its node died): the other node takes over.
    tokio::time::sleep(SHORT_LEASE + Duration::from_millis(50)).await;
    assert!(other.janitor_take(other_name, SHORT_LEASE).await.unwrap());
    assert!(!janitor.janitor_take(name, SHORT_LEASE).await.unwrap());
}
