//! A live feed of stored events for browsers (SSE/websocket in the gateway): polls the
//! `events` table, so it also sees events written by another process (`lightning watch`).

use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::store::{Event, Store, StoreError};

/// Events buffered per slow subscriber before it starts missing some.
const FEED_CAPACITY: usize = 256;
/// Events read per poll.
const FEED_PAGE: u32 = 200;

/// A running event feed.
pub struct EventFeed {
    sender: broadcast::Sender<Event>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl EventFeed {
    /// Starts publishing events stored after now, polling every `poll_interval`.
    pub async fn spawn(store: Store, poll_interval: Duration) -> Result<EventFeed, StoreError> {
        let mut last_seq = store.last_event_seq().await?;
        let (sender, _) = broadcast::channel(FEED_CAPACITY);
        let (stop, mut stopped) = watch::channel(false);
        let publish = sender.clone();
        let task = tokio::spawn(async move {
            loop {
                match store.events_after(last_seq, FEED_PAGE).await {
                    Ok(events) => {
                        for event in events {
                            last_seq = event.seq;
                            // No subscriber is fine: nobody is watching.
                            let _ = publish.send(event);
                        }
                    }
                    Err(e) => tracing::warn!("event feed: {e}"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(poll_interval) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        Ok(EventFeed { sender, stop, task })
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Stops polling and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
