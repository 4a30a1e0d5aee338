//! Channel events kept by the gateway: it follows `SubscribeChannelEvents`, records each channel
//! opened, closed (cooperative or force, with the closing txid), active and inactive, and raises
//! `channel_inactive` once per spell when a channel stays inactive longer than
//! `lightning_alert_inactive_minutes`. Each subscription then reads `ListChannels`: channels
//! open already are recorded without a webhook, an activity change missed while the stream was
//! down is recorded, and nothing already recorded is repeated.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use lnd_proto::lnrpc::channel_close_summary::ClosureType;
use lnd_proto::lnrpc::channel_event_update::Channel as Update;
use lnd_proto::lnrpc::{Channel, ChannelEventUpdate, ListChannelsRequest};
use tokio::sync::watch;

use super::backups::chan_point_text;
use crate::config::Settings;
use crate::lnd::{LndClient, LndError};
use crate::store::{ChannelClosed, ChannelOpened, Store, StoreError};

/// Longest wait between two checks for channels inactive too long.
const MAX_CHECK_SECS: u64 = 15;

/// Why channel events could not be followed.
#[derive(Debug, thiserror::Error)]
pub enum ChannelWatchError {
    /// The node did not answer or refused.
    #[error(transparent)]
    Node(#[from] LndError),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// When channel alerts are raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertPolicy {
    /// Minutes a channel may stay inactive before `channel_inactive`.
    pub inactive_minutes: u32,
}

impl AlertPolicy {
    /// The policy of `settings`.
    pub fn of(settings: &Settings) -> AlertPolicy {
        AlertPolicy {
            inactive_minutes: settings.lightning_alert_inactive_minutes,
        }
    }

    /// The inactive threshold, milliseconds.
    pub fn inactive_ms(&self) -> i64 {
        i64::from(self.inactive_minutes) * 60_000
    }

    /// How often to look for channels inactive too long: a quarter of the threshold, 1 to 15 s.
    fn check_every(&self) -> Duration {
        Duration::from_secs((u64::from(self.inactive_minutes) * 15).clamp(1, MAX_CHECK_SECS))
    }
}

/// Whether LND's closure type is a force close (one side alone, a breach included).
pub fn is_force_close(close_type: i32) -> bool {
    matches!(
        ClosureType::try_from(close_type),
        Ok(ClosureType::LocalForceClose | ClosureType::RemoteForceClose | ClosureType::BreachClose)
    )
}

fn opened_of(c: &Channel) -> ChannelOpened {
    ChannelOpened {
        chan_point: c.channel_point.clone(),
        chan_id: c.chan_id,
        remote_pubkey: c.remote_pubkey.clone(),
        capacity_sat: c.capacity,
    }
}

/// Records one channel event update; what it changed, for the log.
pub async fn record_update(store: &Store, update: &ChannelEventUpdate, now_ms: i64) -> Result<bool, StoreError> {
    match &update.channel {
        Some(Update::OpenChannel(c)) => store.record_channel_opened(&opened_of(c), now_ms).await,
        Some(Update::ClosedChannel(c)) => {
            let close_type = ClosureType::try_from(c.close_type)
                .map(|t| t.as_str_name().to_string())
                .unwrap_or_else(|_| c.close_type.to_string());
            let closed = ChannelClosed {
                chan_point: c.channel_point.clone(),
                chan_id: c.chan_id,
                remote_pubkey: c.remote_pubkey.clone(),
                capacity_sat: c.capacity,
                force_close: is_force_close(c.close_type),
                close_type,
                closing_txid: c.closing_tx_hash.clone(),
            };
            store.record_channel_closed(&closed, now_ms).await
        }
        Some(Update::ActiveChannel(point)) => {
            store
                .record_channel_activity(&chan_point_text(point), true, now_ms)
                .await
        }
        Some(Update::InactiveChannel(point)) => {
            store
                .record_channel_activity(&chan_point_text(point), false, now_ms)
                .await
        }
        Some(Update::FullyResolvedChannel(_)) | None => Ok(false),
    }
}

/// Follows channel events while the gateway runs; a lost stream is opened again with a growing
/// wait. Ends when `closing` turns true.
pub fn spawn_channel_watcher(
    store: Store,
    lnd: LndClient,
    settings: watch::Receiver<Arc<Settings>>,
    closing: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        super::resubscribe::until_closing("channel events", closing, || follow(&store, &lnd, &settings)).await;
    })
}

/// One subscription: the channels' activity now, then each update, checking for channels
/// inactive too long between them, until the stream ends.
async fn follow(
    store: &Store,
    lnd: &LndClient,
    settings: &watch::Receiver<Arc<Settings>>,
) -> Result<(), ChannelWatchError> {
    // Subscribe first, so that no change between the list and the stream is missed.
    let mut stream = lnd.subscribe_channel_events().await?;
    let now = lnd.list_channels(ListChannelsRequest::default()).await?;
    for c in &now.channels {
        let at_ms = crate::time::now_ms();
        store.record_channel_known(&opened_of(c), at_ms).await?;
        store.record_channel_activity(&c.channel_point, c.active, at_ms).await?;
    }
    // Checks run on their own tick, not after each update: a force close reports the channel
    // inactive just before closed, and a closed channel raises no inactive alert.
    let mut every = AlertPolicy::of(&settings.borrow()).check_every();
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            item = stream.next() => match item {
                Some(update) => {
                    let update = update?;
                    if record_update(store, &update, crate::time::now_ms()).await? {
                        tracing::info!(kind = update.r#type, "channel event recorded");
                    }
                }
                None => return Ok(()),
            },
            _ = tick.tick() => {
                let policy = AlertPolicy::of(&settings.borrow());
                check_inactive(store, &policy).await?;
                if policy.check_every() != every {
                    every = policy.check_every();
                    tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                }
            }
        }
    }
}

/// Raises `channel_inactive` for channels inactive longer than the policy allows.
pub async fn check_inactive(store: &Store, policy: &AlertPolicy) -> Result<Vec<String>, StoreError> {
    let now_ms = crate::time::now_ms();
    let alerted = store
        .alert_inactive_channels(now_ms - policy.inactive_ms(), now_ms)
        .await?;
    for point in &alerted {
        tracing::warn!(chan_point = %point, "channel inactive too long: channel_inactive raised");
    }
    Ok(alerted)
}
