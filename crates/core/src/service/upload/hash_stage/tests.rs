//! Tests of [`HashStage`](super::HashStage): marks, resets, the published mark, and a stage that
//! ends by itself when idle at a mark.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::*;

/// Longer than any test: the stage never ends by itself.
const LONG: Duration = Duration::from_secs(3600);

fn permit() -> OwnedSemaphorePermit {
    Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap()
}

fn fresh(linger: Duration) -> HashStage {
    HashStage::start(
        Start::Ready(Md5::new()),
        0,
        None,
        (Md5::new(), 0),
        permit(),
        linger,
    )
}

fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

#[tokio::test]
async fn blocks_marks_and_resets_give_the_hash_of_the_accepted_bytes() {
    let (a, bad, b) = (vec![1u8; 300_000], vec![9u8; 1 << 20], vec![2u8; 70_000]);
    let stage = fresh(LONG);
    stage.block(Bytes::from(a.clone())).await.unwrap();
    stage.mark(a.len() as u64).await.unwrap();
    for _ in 0..6 {
        stage.block(Bytes::from(bad.clone())).await.unwrap();
    }
    stage.reset().await.unwrap();
    stage.block(Bytes::from(b.clone())).await.unwrap();
    let marked = stage.marked();
    assert!(
        marked.1 == 0 || marked.1 == a.len() as u64,
        "a mark is one that was sent"
    );
    let hash = stage.end().await.unwrap().hash;
    assert_eq!(<[u8; 16]>::from(hash.finalize()), md5_of(&[&a, &b]));
}

#[tokio::test]
async fn the_published_mark_is_the_hash_of_exactly_its_length() {
    let (a, b) = (vec![3u8; 1 << 20], vec![4u8; 5]);
    let mut first = Md5::new();
    first.update(&a);
    let stage = HashStage::start(
        Start::Ready(first),
        a.len() as u64,
        None,
        (Md5::new(), 0),
        permit(),
        LONG,
    );
    stage.block(Bytes::from(b.clone())).await.unwrap();
    stage.mark((a.len() + b.len()) as u64).await.unwrap();
    stage.block(Bytes::from(vec![7u8; 1 << 20])).await.unwrap();
    // Wait for the stage to get past the mark, then check what it published.
    while stage.marked().1 < (a.len() + b.len()) as u64 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let (state, len) = stage.marked();
    assert_eq!(len, (a.len() + b.len()) as u64);
    assert_eq!(<[u8; 16]>::from(state.finalize()), md5_of(&[&a, &b]));
    stage.end().await.unwrap();
}

#[tokio::test]
async fn an_idle_stage_at_a_mark_ends_by_itself_with_its_permit_and_its_state() {
    let (a, b) = (vec![5u8; 1 << 20], vec![6u8; 1000]);
    let permits = Arc::new(Semaphore::new(1));
    let stage = HashStage::start(
        Start::Ready(Md5::new()),
        0,
        None,
        (Md5::new(), 0),
        permits.clone().try_acquire_owned().unwrap(),
        Duration::from_millis(30),
    );
    stage.block(Bytes::from(a.clone())).await.unwrap();
    stage.mark(a.len() as u64).await.unwrap();
    let mut waited = 0;
    while permits.available_permits() == 0 && waited < 5000 {
        tokio::time::sleep(Duration::from_millis(2)).await;
        waited += 2;
    }
    assert_eq!(permits.available_permits(), 1, "the idle thread ended");
    assert!(
        stage.block(Bytes::from(b)).await.is_err(),
        "a send after the end is refused, not lost"
    );
    let ended = stage.end().await.unwrap();
    assert_eq!(ended.mark_len, a.len() as u64);
    assert_eq!(<[u8; 16]>::from(ended.mark.finalize()), md5_of(&[&a]));
    assert_eq!(<[u8; 16]>::from(ended.hash.finalize()), md5_of(&[&a]));
}

#[tokio::test]
async fn a_stage_with_provisional_bytes_does_not_end_while_idle() {
    let (a, b) = (vec![7u8; 100_000], vec![8u8; 100_000]);
    let stage = fresh(Duration::from_millis(10));
    stage.block(Bytes::from(a.clone())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Not at a mark: still running, so the rest goes through and a reset would work.
    stage.block(Bytes::from(b.clone())).await.unwrap();
    stage.mark(200_000).await.unwrap();
    let ended = stage.end().await.unwrap();
    assert_eq!(<[u8; 16]>::from(ended.hash.finalize()), md5_of(&[&a, &b]));
}
