//! The accept loop and its drain: serve until told to stop, then give running connections a
//! grace period and end the rest.
//!
//! Shutdown is a `CancellationToken` passed in, as mini-redis's `run(listener, shutdown)`
//! takes a future, so a test stops a server the same way a signal does. On shutdown the
//! listening socket is closed at once (new clients are refused rather than left in the
//! backlog), connections are waited for on a `TaskTracker` for `shutdown_grace`, and those
//! still running then are dropped, which closes their sockets.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::accepted::Accepted;
use crate::listener::Listener;

/// Serves `listener` until `shutdown` is cancelled; returns once every connection has ended.
///
/// `handler` turns each accepted connection into the task that serves it; it runs in the
/// accept loop, so it should only set up (the door's own admission checks belong there) and
/// leave the serving to the future it returns. Doors that want to end politely watch the same
/// `shutdown` token inside that future.
pub async fn run<F, Fut>(mut listener: Listener, shutdown: CancellationToken, mut handler: F)
where
    F: FnMut(Accepted) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tracker = TaskTracker::new();
    let end = CancellationToken::new();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        // Boxed so the task holds a pointer rather than the door's whole session state
        // inline: a spawned task is sized for its future's largest state, and idle
        // connections then cost that much each (measured with the `idle` bench row).
        let connection = Box::pin(handler(accepted));
        let end = end.clone();
        tracker.spawn(async move {
            end.run_until_cancelled(connection).await;
        });
    }
    let (door, grace) = (listener.limits().door, listener.limits().shutdown_grace);
    drop(listener);
    tracker.close();
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        tracing::warn!(
            door,
            "shutdown grace period over; closing remaining connections"
        );
        end.cancel();
        tracker.wait().await;
    }
}
