//! Exactly one tracker among gateways sharing a database: each gateway waits for the `tracker`
//! leadership ([`Store::try_lead`]) and runs its tracker only while it holds it. When the leader
//! dies, its lock goes with its connection and another gateway takes over within
//! [`LEADER_POLL`], resuming from the stored indexes.

use std::time::Duration;

use tokio::sync::watch;

use super::{Tracker, TrackerHandle};
use crate::store::Store;

/// How often a gateway that does not lead asks for the leadership, and how often the leader
/// checks that it still holds it.
pub const LEADER_POLL: Duration = Duration::from_secs(1);
/// The leadership's name.
const ROLE: &str = "tracker";

/// Runs `tracker` whenever this process leads; returns a handle that stops it.
pub fn spawn_led(tracker: Tracker) -> TrackerHandle {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(async move { lead(tracker, stopped).await });
    TrackerHandle { stop, task }
}

async fn lead(tracker: Tracker, mut stop: watch::Receiver<bool>) {
    let store: Store = tracker.store.clone();
    loop {
        if *stop.borrow() {
            return;
        }
        match store.try_lead(ROLE).await {
            Ok(Some(mut leadership)) => {
                tracing::info!("this gateway now runs the payment tracker");
                let running = tracker.clone().spawn();
                // Run until asked to stop or until the lock is lost (its connection broke).
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(LEADER_POLL) => {
                            if !leadership.still_held().await {
                                tracing::warn!("lost the tracker leadership (database connection broken); stopping the tracker");
                                break;
                            }
                        }
                        _ = stop.changed() => break,
                    }
                }
                running.stop().await;
                leadership.release().await;
            }
            Ok(None) => tracing::debug!("another gateway runs the tracker"),
            Err(e) => tracing::warn!("cannot ask for the tracker leadership: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(LEADER_POLL) => {}
            _ = stop.changed() => return,
        }
    }
}
