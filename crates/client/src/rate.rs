//! `--limit-rate`: paces transfers to a byte rate, as curl's option of the same name does.

use std::time::{Duration, Instant};

/// Spreads bytes over time so that, on average, no more than `bytes_per_sec` pass.
#[derive(Debug, Clone)]
pub struct RateLimit {
    bytes_per_sec: u64,
    start: Instant,
    counted: u64,
}

impl RateLimit {
    /// A limit of `bytes_per_sec` (at least 1).
    pub fn new(bytes_per_sec: u64) -> Self {
        RateLimit {
            bytes_per_sec: bytes_per_sec.max(1),
            start: Instant::now(),
            counted: 0,
        }
    }

    /// Counts `n` bytes and sleeps until they are within the rate.
    pub async fn pace(&mut self, n: u64) {
        self.counted += n;
        let due = Duration::from_secs_f64(self.counted as f64 / self.bytes_per_sec as f64);
        let elapsed = self.start.elapsed();
        if due > elapsed {
            tokio::time::sleep(due - elapsed).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pacing_holds_the_average_rate() {
        let mut r = RateLimit::new(1000);
        let t = Instant::now();
        for _ in 0..3 {
            r.pace(100).await;
        }
        // A lower bound only: pacing may never let bytes through faster than the limit.
        assert!(
            t.elapsed() >= Duration::from_millis(290),
            "{:?}",
            t.elapsed()
        );
    }
}
