//! Tests of [`RunningMd5`](super::RunningMd5): in step and on a stage, accept, rollback,
//! checkpoints and stages that end while idle.

use super::*;

fn md5_of(parts: &[&[u8]]) -> Md5Digest {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    Md5Digest(h.finalize().into())
}

fn block(byte: u8, len: usize) -> Bytes {
    Bytes::from(vec![byte; len])
}

fn running(hasher: Md5, len: u64) -> RunningMd5 {
    RunningMd5::new(hasher, len, HashBehind::new(2))
}

#[tokio::test]
async fn without_a_permit_blocks_are_hashed_in_step() {
    let (a, b) = (block(1, 1 << 20), block(2, 1 << 20));
    let mut run = RunningMd5::new(Md5::new(), 0, HashBehind::new(0));
    run.update(a.clone()).await.unwrap();
    assert!(matches!(run.state, State::Hashing(_)));
    run.finish_in_step().await.unwrap();
    assert!(
        matches!(run.state, State::Ready(_)),
        "hashed before the request ends"
    );
    run.accept().await.unwrap();
    assert_eq!(run.checkpoint().1, 1 << 20, "nothing trails");
    run.update(b.clone()).await.unwrap();
    run.finish_in_step().await.unwrap();
    run.accept().await.unwrap();
    assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
}

#[tokio::test]
async fn blocks_hashed_behind_the_caller_give_the_md5_of_all_of_them() {
    let (a, b, c) = (block(1, 1 << 20), block(2, 100), block(3, 300_000));
    let mut run = running(Md5::new(), 0);
    for x in [&a, &b, &c] {
        run.update(x.clone()).await.unwrap();
        run.accept().await.unwrap();
    }
    assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b, &c]));
}

#[tokio::test]
async fn a_rollback_forgets_provisional_blocks_even_while_they_are_being_hashed() {
    let (a, bad, b) = (block(1, 200_000), block(9, 1 << 20), block(2, 70_000));
    let mut run = running(Md5::new(), 0);
    run.update(a.clone()).await.unwrap();
    run.accept().await.unwrap();
    run.update(bad.clone()).await.unwrap();
    run.update(bad).await.unwrap();
    run.rollback().await.unwrap();
    run.update(b.clone()).await.unwrap();
    run.accept().await.unwrap();
    assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
}

/// Whatever a checkpoint covers, its state is the hash of exactly that many bytes.
fn assert_consistent(run: &RunningMd5, data: &[u8], at_most: usize) {
    let (state, len) = run.checkpoint();
    assert!(
        len as usize <= at_most,
        "checkpoint at {len} covers provisional bytes"
    );
    assert_eq!(
        Md5Digest(state.finalize().into()),
        md5_of(&[&data[..len as usize]])
    );
}

#[tokio::test]
async fn the_checkpoint_covers_only_accepted_bytes_in_step_and_on_a_stage() {
    for stages in [0, 2] {
        let (a, b, c) = (block(1, 1 << 20), block(2, 1 << 20), block(3, 1 << 20));
        let all = [&a[..], &b[..], &c[..]].concat();
        let mut run = RunningMd5::new(Md5::new(), 0, HashBehind::new(stages));
        run.update(a.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        run.accept().await.unwrap();
        run.update(b.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        run.accept().await.unwrap();
        run.update(c.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        // `c` is provisional: the checkpoint is at most the state before it.
        assert_consistent(&run, &all, 2 << 20);
        if stages == 0 {
            assert_eq!(run.checkpoint().1, 2 << 20, "in step nothing trails");
        }
        run.rollback().await.unwrap();
        assert_consistent(&run, &all, 2 << 20);
        assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
        assert_eq!(run.checkpoint().1, 2 << 20, "settled: nothing trails");
    }
}

/// Waits until the idle stage's thread ended and gave its permit back.
async fn wait_for_permits(behind: &HashBehind, n: usize) {
    for _ in 0..2500 {
        if behind.0.available_permits() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the idle stage kept its permit");
}

#[tokio::test]
async fn an_idle_stage_gives_its_permit_back_and_the_hash_goes_on() {
    let (a, b) = (block(5, 3 << 20), block(6, 1 << 20));
    let behind = HashBehind::lingering(1, Duration::from_millis(20));
    let mut run = RunningMd5::new(Md5::new(), 0, behind.clone());
    run.update(a.clone()).await.unwrap();
    assert!(matches!(run.state, State::Stage(_)), "a permit was free");
    run.accept().await.unwrap();
    assert_eq!(behind.0.available_permits(), 0);
    wait_for_permits(&behind, 1).await;
    assert_consistent(&run, &a, 3 << 20);
    // The next request takes a stage again and continues the same hash.
    run.update(b.clone()).await.unwrap();
    assert!(matches!(run.state, State::Stage(_)));
    assert_eq!(behind.0.available_permits(), 0, "a new stage");
    run.accept().await.unwrap();
    assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
}

#[tokio::test]
async fn a_busy_stage_is_not_ended_while_it_has_provisional_bytes() {
    let (a, b) = (block(5, 1 << 20), block(6, 1 << 20));
    let behind = HashBehind::lingering(1, Duration::from_millis(5));
    let mut run = RunningMd5::new(Md5::new(), 0, behind.clone());
    run.update(a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(behind.0.available_permits(), 0, "still running");
    run.update(b.clone()).await.unwrap();
    run.rollback().await.unwrap();
    assert_eq!(run.len, 0);
    run.update(b.clone()).await.unwrap();
    run.accept().await.unwrap();
    assert_eq!(run.digest().await.unwrap(), md5_of(&[&b]));
}

#[tokio::test]
async fn a_rollback_after_the_stage_ended_idle_returns_to_the_accepted_bytes() {
    let (a, bad, c) = (block(1, 3 << 20), block(9, 1 << 20), block(3, 1 << 20));
    let behind = HashBehind::lingering(2, Duration::from_millis(20));
    let mut run = RunningMd5::new(Md5::new(), 0, behind.clone());
    run.update(a.clone()).await.unwrap();
    run.accept().await.unwrap();
    wait_for_permits(&behind, 2).await;
    // Its stage is gone: this block starts the next one from what the last ended with.
    run.update(bad).await.unwrap();
    assert!(matches!(run.state, State::Stage(_)), "a new stage");
    run.rollback().await.unwrap();
    assert_eq!(run.len, a.len() as u64, "back to the accepted bytes");
    run.update(c.clone()).await.unwrap();
    run.accept().await.unwrap();
    assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &c]));
    let all = [&a[..], &c[..]].concat();
    assert_consistent(&run, &all, all.len());
    assert_eq!(run.checkpoint().1, all.len() as u64);
}

#[tokio::test]
async fn a_hash_resumed_from_a_saved_state_continues_it() {
    let (a, b) = (block(4, 300_000), block(5, 1 << 20));
    let mut first = Md5::new();
    first.update(&a);
    let mut run = running(first, a.len() as u64);
    run.update(b.clone()).await.unwrap();
    run.accept().await.unwrap();
    assert_eq!(run.digest().await.unwrap(), md5_of(&[&a, &b]));
}

#[tokio::test]
async fn all_hashed_covers_provisional_bytes_and_a_rollback_still_returns_to_the_accepted_point() {
    for stages in [0, 2] {
        let (a, b, bad, c) = (
            block(1, 1 << 20),
            block(2, 300_000),
            block(9, 1 << 20),
            block(3, 70_000),
        );
        let mut run = RunningMd5::new(Md5::new(), 0, HashBehind::new(stages));
        run.update(a.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        run.accept().await.unwrap();
        run.update(b.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        let all = run.all_hashed().await.unwrap();
        assert_eq!(
            Md5Digest(all.finalize().into()),
            md5_of(&[&a, &b]),
            "{stages} stages: provisional bytes are in it"
        );
        run.accept().await.unwrap();
        assert_eq!(
            run.checkpoint().1,
            (1 << 20) + 300_000,
            "settled: nothing trails"
        );
        run.update(bad.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        let _ = run.all_hashed().await.unwrap();
        run.rollback().await.unwrap();
        run.update(c.clone()).await.unwrap();
        run.finish_in_step().await.unwrap();
        run.accept().await.unwrap();
        assert_eq!(
            run.digest().await.unwrap(),
            md5_of(&[&a, &b, &c]),
            "{stages} stages: the rolled back block is gone"
        );
    }
}
