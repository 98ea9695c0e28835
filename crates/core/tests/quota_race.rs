//! The quota under concurrency: a `quota` query racing with commits must never let a user's
//! committed bytes pass their limit, and a declared size no disk can hold is refused outright
//! instead of being reserved.
//!
//! A `quota` query that re-walks the home and replaces the in-memory ledger races with
//! commits: figures taken before a commit and stored after it forget the committed file, and
//! later uploads then reserve and commit past the limit. Here several sessions create, write,
//! finish, cancel and remove files while others query; every answer, and the files left on
//! disk, must stay within the limit. The home also holds a folder of empty files (they count
//! nothing against the quota), as real homes do, so that a walk is not instantaneous.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferry_core::model::QuotaInfo;
use ferry_core::{Config, Ferry, Session, Username};
use md5::{Digest, Md5};

const USER: &str = "carol";
/// Bytes in one uploaded file.
const FILE: u64 = 8 * 1024;
/// The quota: eight files.
const LIMIT: u64 = 8 * FILE;
/// Sessions creating, writing, finishing, cancelling and removing at once.
const WORKERS: usize = 4;
/// Sessions doing nothing but `quota` queries.
const OBSERVERS: usize = 2;
/// Empty files in the home, so a walk is not instantaneous.
const PAD_FILES: usize = 100;
/// The run ends after this long, after `MAX_ROUNDS` uploads per worker, or at the first
/// quota figure over the limit.
const RUN_FOR: Duration = Duration::from_secs(4);
const MAX_ROUNDS: usize = 4000;

fn user() -> Username {
    USER.parse().unwrap()
}

async fn setup(dir: &Path) -> Ferry {
    let ferry = ferry_store_local::open(Config::new(dir)).await.unwrap();
    ferry
        .add_user(user(), "pw".into(), Some(LIMIT))
        .await
        .unwrap();
    ferry
}

/// Bytes of every regular file under `dir` (run only when nothing is writing).
fn bytes_on_disk(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            total += bytes_on_disk(&entry.path());
        } else if meta.is_file() {
            total += meta.len();
        }
    }
    total
}

/// What the run saw: the first figure over the limit, and how many queries it checked.
#[derive(Default)]
struct Watch {
    stop: AtomicBool,
    over: Mutex<Option<String>>,
    checked: AtomicUsize,
    query_errors: AtomicUsize,
    commits: AtomicUsize,
    cancels: AtomicUsize,
}

impl Watch {
    fn done(&self, started: Instant) -> bool {
        self.stop.load(Ordering::Relaxed) || started.elapsed() > RUN_FOR
    }

    /// Checks one `quota` answer; the first one over the limit ends the run.
    fn check(&self, who: &str, q: ferry_core::Result<QuotaInfo>) {
        let q = match q {
            Ok(q) => q,
            Err(_) => {
                self.query_errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        self.checked.fetch_add(1, Ordering::Relaxed);
        assert_eq!(q.limit, Some(LIMIT));
        if q.used > LIMIT {
            let mut over = self.over.lock().unwrap();
            over.get_or_insert_with(|| format!("{who} saw {q:?}"));
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}

/// A tiny deterministic generator: which uploads are cancelled instead of finished.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Uploads file after file; on `quota_exceeded` removes its oldest file to make room.
async fn worker(ferry: Ferry, w: usize, watch: Arc<Watch>, started: Instant) {
    let mut s = Session::trusted(&ferry, user()).await.unwrap();
    let body = Bytes::from(
        (0..FILE)
            .map(|i| (i * 7 + w as u64) as u8)
            .collect::<Vec<_>>(),
    );
    let md5 = hex::encode(Md5::digest(&body));
    let mut kept: Vec<String> = Vec::new();
    let mut rng = 0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1);
    for round in 0..MAX_ROUNDS {
        if watch.done(started) {
            break;
        }
        if round.is_multiple_of(8) {
            watch.check(&format!("worker {w}"), s.quota().await);
        }
        let name = format!("w{w}-{round}.bin");
        let up = match s.upload_create(&name, FILE, None, false).await {
            Ok(up) => up,
            Err(e) if e.code() == "quota_exceeded" => {
                if !kept.is_empty() {
                    let oldest = kept.remove(0);
                    s.remove(&oldest, false).await.unwrap();
                }
                continue;
            }
            Err(e) => panic!("worker {w}: create {name}: {e} ({})", e.code()),
        };
        let id = up.id.to_string();
        s.upload_write_chunk(&id, 0, body.clone(), None)
            .await
            .unwrap_or_else(|e| panic!("worker {w}: write {name}: {e}"));
        if next(&mut rng).is_multiple_of(4) {
            s.upload_cancel(&id).await.unwrap();
            watch.cancels.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        match s.upload_finish(&id, Some(&md5)).await {
            Ok(_) => {
                kept.push(name);
                watch.commits.fetch_add(1, Ordering::Relaxed);
            }
            // The limit is checked again at commit; a refused upload is given up.
            Err(e) if e.code() == "quota_exceeded" => {
                s.upload_cancel(&id).await.unwrap();
                watch.cancels.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => panic!("worker {w}: finish {name}: {e} ({})", e.code()),
        }
    }
}

async fn observer(ferry: Ferry, o: usize, watch: Arc<Watch>, started: Instant) {
    let s = Session::trusted(&ferry, user()).await.unwrap();
    while !watch.done(started) {
        watch.check(&format!("observer {o}"), s.quota().await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quota_queries_racing_commits_never_let_used_bytes_pass_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path()).await;
    let home = tmp.path().join("homes").join(USER);
    std::fs::create_dir_all(home.join("pad")).unwrap();
    for i in 0..PAD_FILES {
        std::fs::File::create(home.join("pad").join(format!("{i:05}"))).unwrap();
    }

    let watch = Arc::new(Watch::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        tasks.push(tokio::spawn(worker(
            ferry.clone(),
            w,
            watch.clone(),
            started,
        )));
    }
    for o in 0..OBSERVERS {
        tasks.push(tokio::spawn(observer(
            ferry.clone(),
            o,
            watch.clone(),
            started,
        )));
    }
    for t in tasks {
        tokio::time::timeout(RUN_FOR + Duration::from_secs(30), t)
            .await
            .expect("the run is bounded in time")
            .unwrap();
    }

    let on_disk = bytes_on_disk(&home);
    let s = Session::trusted(&ferry, user()).await.unwrap();
    let last = s.quota().await.unwrap();
    let summary = format!(
        "after {:?}: {} commits, {} cancels, {} quota answers checked ({} failed); \
         {on_disk} bytes committed on disk, quota now {last:?}, limit {LIMIT}",
        started.elapsed(),
        watch.commits.load(Ordering::Relaxed),
        watch.cancels.load(Ordering::Relaxed),
        watch.checked.load(Ordering::Relaxed),
        watch.query_errors.load(Ordering::Relaxed),
    );
    println!("{summary}");
    assert!(
        on_disk <= LIMIT,
        "committed files exceed the quota: {summary}"
    );
    if let Some(over) = watch.over.lock().unwrap().take() {
        panic!("a quota answer was over the limit: {over}; {summary}");
    }
    assert!(
        watch.commits.load(Ordering::Relaxed) > 0,
        "nothing was committed: {summary}"
    );
    // At rest the figures are exact: every upload was finished or cancelled.
    assert_eq!((last.used, last.reserved), (on_disk, 0), "{summary}");
}

#[tokio::test]
async fn a_declared_size_past_the_server_maximum_is_refused_and_nothing_is_reserved() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    let unlimited: Username = "dave".parse().unwrap();
    ferry
        .add_user(unlimited.clone(), "pw".into(), None)
        .await
        .unwrap();
    let mut s = Session::trusted(&ferry, unlimited).await.unwrap();
    for size in [u64::MAX, (1 << 63) + 1] {
        match s.upload_create("huge.bin", size, None, false).await {
            Ok(up) => panic!("a declared size of {size} bytes was accepted and reserved: {up:?}"),
            Err(e) => assert_eq!(e.code(), "upload_too_large", "size {size}: {e}"),
        }
    }
    let q = s.quota().await.unwrap();
    assert_eq!((q.used, q.reserved), (0, 0), "{q:?}");
    assert!(s.upload_list().await.unwrap().is_empty());
    // An ordinary size still goes through.
    let up = s.upload_create("small.bin", 3, None, false).await.unwrap();
    assert_eq!(up.size, 3);
}
