//! The lock-out schedule, the three keys, forgetting, and the bounded map, on synthetic instants.

use super::*;
use std::net::Ipv4Addr;

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

fn throttle() -> Throttle {
    Throttle::new(ThrottleConfig::default())
}

fn retry_after(t: &Throttle, source: IpAddr, account: &str, now: Instant) -> Option<Duration> {
    match t.check(source, account, now) {
        Ok(()) => None,
        Err(Error::AuthThrottled { retry_after }) => Some(retry_after),
        Err(e) => panic!("unexpected {e:?}"),
    }
}

fn fail(t: &Throttle, n: u32, source: IpAddr, account: &str, now: Instant) {
    for _ in 0..n {
        t.record_failure(source, account, now);
    }
}

/// `n` failures on `account`, each from its own address (10.0.0.0 and up; never A or B).
fn fail_from_many_sources(t: &Throttle, n: u32, account: &str, now: Instant) {
    for i in 0..n {
        t.record_failure(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), account, now);
    }
}

#[test]
fn five_failures_are_free() {
    let (t, now) = (throttle(), Instant::now());
    fail(&t, 5, A, "alice", now);
    assert_eq!(retry_after(&t, A, "alice", now), None);
}

#[test]
fn sixth_failure_locks_for_the_base_delay() {
    let (t, now) = (throttle(), Instant::now());
    fail(&t, 6, A, "alice", now);
    assert_eq!(
        retry_after(&t, A, "alice", now),
        Some(Duration::from_secs(1))
    );
    let later = now + Duration::from_millis(400);
    assert_eq!(
        retry_after(&t, A, "alice", later),
        Some(Duration::from_millis(600))
    );
    assert_eq!(
        retry_after(&t, A, "alice", now + Duration::from_secs(1)),
        None
    );
}

#[test]
fn each_further_failure_doubles_the_lock() {
    let (t, now) = (throttle(), Instant::now());
    fail(&t, 6, A, "alice", now);
    for secs in [2, 4, 8, 16] {
        t.record_failure(A, "alice", now);
        assert_eq!(
            retry_after(&t, A, "alice", now),
            Some(Duration::from_secs(secs))
        );
    }
}

#[test]
fn lock_is_capped_at_max_delay() {
    let (t, now) = (throttle(), Instant::now());
    fail(&t, 100, A, "alice", now);
    assert_eq!(
        retry_after(&t, A, "alice", now),
        Some(Duration::from_secs(60))
    );
}

#[test]
fn success_clears_the_pair_and_the_account_but_not_the_source() {
    let (t, now) = (throttle(), Instant::now());
    fail(&t, 8, A, "alice", now);
    t.record_success(A, "alice");
    assert_eq!(retry_after(&t, A, "alice", now), None);
    assert_eq!(t.tracked(), 1, "the source's spray count stays");
    fail(&t, 5, A, "alice", now);
    assert_eq!(retry_after(&t, A, "alice", now), None, "count restarted");
}

#[test]
fn a_typo_behind_a_shared_address_does_not_lock_out_a_colleague() {
    let (t, now) = (throttle(), Instant::now());
    fail(&t, 10, A, "alice", now);
    assert!(retry_after(&t, A, "alice", now).is_some());
    assert_eq!(
        retry_after(&t, A, "bob", now),
        None,
        "same address, other account"
    );
}

#[test]
fn a_locked_account_still_admits_a_source_that_has_not_failed_on_it() {
    let (t, now) = (throttle(), Instant::now());
    fail_from_many_sources(&t, 30, "alice", now);
    assert_eq!(
        retry_after(&t, B, "alice", now),
        None,
        "new source, no failures"
    );
    // A guessing source that has failed once on the account meets the account lock.
    t.record_failure(B, "alice", now);
    assert!(retry_after(&t, B, "alice", now).is_some());
}

#[test]
fn account_lock_needs_more_failures_than_the_pair_lock() {
    let (t, now) = (throttle(), Instant::now());
    fail_from_many_sources(&t, 20, "alice", now);
    t.record_failure(B, "alice", now);
    // 21 failures on the account, one from B: the account is past its 20 free ones.
    assert!(retry_after(&t, B, "alice", now).is_some());
    let t = throttle();
    fail_from_many_sources(&t, 19, "alice", now);
    t.record_failure(B, "alice", now);
    assert_eq!(
        retry_after(&t, B, "alice", now),
        None,
        "20 failures are free"
    );
}

#[test]
fn spraying_many_accounts_from_one_source_locks_the_source() {
    let (t, now) = (throttle(), Instant::now());
    for i in 0..100 {
        t.record_failure(A, &format!("name{i}"), now);
    }
    assert_eq!(
        retry_after(&t, A, "bob", now),
        None,
        "100 failures are free"
    );
    t.record_failure(A, "name100", now);
    assert!(retry_after(&t, A, "bob", now).is_some());
    assert_eq!(retry_after(&t, B, "bob", now), None);
}

#[test]
fn failures_are_forgotten_after_a_quiet_period() {
    let (t, now) = (throttle(), Instant::now());
    fail(&t, 5, A, "alice", now);
    let later = now + Duration::from_secs(15 * 60);
    t.record_failure(A, "alice", later);
    assert_eq!(retry_after(&t, A, "alice", later), None);
}

#[test]
fn pruning_keeps_the_map_bounded() {
    let cfg = ThrottleConfig {
        max_entries: 50,
        ..ThrottleConfig::default()
    };
    let t = Throttle::new(cfg);
    let now = Instant::now();
    for i in 0..1000u32 {
        let source = IpAddr::V4(Ipv4Addr::from(i));
        t.record_failure(
            source,
            &format!("user{i}"),
            now + Duration::from_millis(i.into()),
        );
        assert!(t.tracked() <= 50, "{} entries", t.tracked());
    }
    // The newest keys survive eviction.
    let end = now + Duration::from_secs(1);
    let last = IpAddr::V4(Ipv4Addr::from(999));
    fail(&t, 5, last, "user999", end);
    assert!(retry_after(&t, last, "user999", end).is_some());
}

#[test]
fn stale_entries_are_swept() {
    let (t, now) = (throttle(), Instant::now());
    fail_from_many_sources(&t, 100, "x", now);
    t.record_failure(A, "alice", now + Duration::from_secs(16 * 60));
    assert_eq!(t.tracked(), 3);
}

#[test]
fn long_account_names_share_a_bounded_key() {
    let (t, now) = (throttle(), Instant::now());
    let long = "é".repeat(1000);
    fail(&t, 6, A, &long, now);
    assert!(retry_after(&t, A, &format!("{long}x"), now).is_some());
}
