//! Following a node stream while the gateway runs: a stream that ends or fails is opened again
//! after a wait that doubles up to a limit, until the gateway closes.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// First wait before subscribing again after the stream ended or failed.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// Longest wait between subscription attempts.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Runs `follow` (one subscription, until its stream ends) again and again until `closing`
/// changes; a failure is logged under `what` and waited out, the wait reset by a clean end.
pub(super) async fn until_closing<F, Fut, E>(what: &'static str, mut closing: watch::Receiver<bool>, mut follow: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let mut retry = FIRST_RETRY;
    loop {
        let ended = tokio::select! {
            ended = follow() => ended,
            _ = closing.changed() => return,
        };
        match ended {
            Ok(()) => retry = FIRST_RETRY,
            Err(e) => tracing::warn!(error = %e, retry_in_secs = retry.as_secs(), "{what}: will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = closing.changed() => return,
        }
        retry = (retry * 2).min(MAX_RETRY);
    }
}
