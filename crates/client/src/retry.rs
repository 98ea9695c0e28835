//! [`Retrier`]: how a transfer recovers from a dropped connection — wait, reconnect, resume.

use std::time::Duration;

use super::{Client, ClientError};

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Counts a transfer's retries and reconnects the client between attempts.
#[derive(Debug)]
pub(crate) struct Retrier {
    retries: u32,
    attempt: u32,
    /// Why the last attempt failed, for the "…; resuming at N bytes" note.
    reason: String,
}

impl Retrier {
    /// Allows up to `retries` retries after the first attempt.
    pub(crate) fn new(retries: u32) -> Self {
        Retrier {
            retries,
            attempt: 0,
            reason: String::new(),
        }
    }

    /// While running a retry, the note to show once the resume offset is known:
    /// `connection lost; resuming at N bytes (retry k/n)`. `None` on the first attempt.
    pub(crate) fn note(&self, offset: u64) -> Option<String> {
        (self.attempt > 0).then(|| {
            format!(
                "{}; resuming at {offset} bytes (retry {}/{})",
                self.reason, self.attempt, self.retries
            )
        })
    }

    /// After a failed attempt: returns the error if it is final, else waits and reconnects
    /// (spending further retries if reconnecting fails too) so the caller can try again.
    pub(crate) async fn recover(
        &mut self,
        client: &mut Client,
        mut error: ClientError,
    ) -> Result<(), ClientError> {
        loop {
            if !error.is_retryable() || self.attempt >= self.retries {
                return Err(error);
            }
            self.attempt += 1;
            self.reason = match &error {
                ClientError::Server { code, .. } => format!("server answered {code}"),
                _ => "connection lost".to_string(),
            };
            tracing::debug!(
                "attempt failed ({error}); retry {}/{}",
                self.attempt,
                self.retries
            );
            tokio::time::sleep(backoff(self.attempt, &error)).await;
            match client.reconnect().await {
                Ok(()) => return Ok(()),
                Err(e) => error = e,
            }
        }
    }
}

/// Half a second, doubling with each retry, or what the server asked for.
fn backoff(attempt: u32, error: &ClientError) -> Duration {
    if let Some(secs) = error.detail_u64("retry_after") {
        return Duration::from_secs(secs).min(MAX_BACKOFF);
    }
    let exp = attempt.saturating_sub(1).min(5);
    (Duration::from_millis(500) * (1 << exp)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let lost = ClientError::ConnectionLost(None);
        assert_eq!(backoff(1, &lost), Duration::from_millis(500));
        assert_eq!(backoff(2, &lost), Duration::from_secs(1));
        assert_eq!(backoff(3, &lost), Duration::from_secs(2));
        assert_eq!(backoff(30, &lost), MAX_BACKOFF);
    }
}
