//! A live feed of stored events for browsers (SSE in the gateway): reads the `events` table, so it
//! also sees events written by another process (`lightning watch`, another gateway). On PostgreSQL
//! it LISTENs on [`EVENTS_CHANNEL`] and reads as soon as any gateway commits an event; the poll
//! stays as a fallback.

use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use std::sync::Arc;

use secrecy::ExposeSecret;
use tokio::sync::Notify;

use crate::store::{Event, Store, StoreError, EVENTS_CHANNEL};

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
        let wake = Arc::new(Notify::new());
        let mut local = store.watch_events();
        let listener = store
            .listen_url()
            .map(|url| spawn_listener(url.expose_secret().to_string(), wake.clone()));
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
                    _ = wake.notified() => {}
                    _ = local.changed() => {}
                    _ = stopped.changed() => {
                        if let Some(listener) = &listener {
                            listener.abort();
                        }
                        return;
                    }
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

/// Wakes the feed whenever a notification arrives on [`EVENTS_CHANNEL`]; reconnects after errors.
fn spawn_listener(url: String, wake: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => match listener.listen(EVENTS_CHANNEL).await {
                    Ok(()) => loop {
                        match listener.recv().await {
                            Ok(_notification) => wake.notify_one(),
                            Err(e) => {
                                tracing::warn!("event feed: LISTEN connection lost: {e}");
                                break;
                            }
                        }
                    },
                    Err(e) => tracing::warn!("event feed: cannot LISTEN: {e}"),
                },
                Err(e) => tracing::warn!("event feed: cannot connect to LISTEN: {e}"),
            }
            // The poll keeps the feed going meanwhile.
            tokio::time::sleep(LISTEN_RETRY).await;
        }
    })
}

/// Wait before reconnecting the LISTEN connection.
const LISTEN_RETRY: std::time::Duration = std::time::Duration::from_secs(2);
