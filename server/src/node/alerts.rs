//! The node's open alerts, for `openfatture lightning alerts` and the dashboard: channels force
//! closed in the last 7 days, channels inactive longer than `lightning_alert_inactive_minutes`,
//! and open channels that no stored channel backup covers.

use lnd_proto::lnrpc::ListChannelsRequest;
use serde::Serialize;

use super::channel_events::{AlertPolicy, ChannelWatchError};
use crate::lnd::LndClient;
use crate::store::Store;

/// How far back a force close stays an alert, milliseconds (7 days).
pub const FORCE_CLOSE_ALERT_MS: i64 = 7 * 24 * 3600 * 1000;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A channel was force closed (its funds wait for a timelock on chain).
    ForceClose,
    /// A channel has been inactive longer than the threshold.
    ChannelInactive,
    /// An open channel that no stored backup covers.
    UncoveredChannel,
}

impl AlertKind {
    /// Its name, as `--json` writes it (`force_close`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::ForceClose => "force_close",
            AlertKind::ChannelInactive => "channel_inactive",
            AlertKind::UncoveredChannel => "uncovered_channel",
        }
    }
}

/// One open alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeAlert {
    /// What it is about.
    pub kind: AlertKind,
    /// The channel point, `txid:index`.
    pub chan_point: String,
    /// Since when, unix milliseconds (the close, the start of the inactive spell; for an
    /// uncovered channel, the newest backup's time, or 0 when there is none).
    pub since_ms: i64,
    /// The closing txid, for force closes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closing_txid: Option<String>,
}

/// The node's alerts and the time of the newest stored backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeAlerts {
    /// Open alerts: force closes newest first, then inactive channels, then uncovered ones.
    pub alerts: Vec<NodeAlert>,
    /// When the newest channel backup was stored, unix milliseconds.
    pub last_backup_ms: Option<i64>,
}

/// The open alerts now.
pub async fn open_alerts(
    store: &Store,
    lnd: &LndClient,
    policy: &AlertPolicy,
    now_ms: i64,
) -> Result<NodeAlerts, ChannelWatchError> {
    let mut alerts = Vec::new();
    for closed in store.force_closes_since(now_ms - FORCE_CLOSE_ALERT_MS).await? {
        alerts.push(NodeAlert {
            kind: AlertKind::ForceClose,
            chan_point: closed.chan_point,
            since_ms: closed.at_ms,
            closing_txid: Some(closed.closing_txid),
        });
    }
    for inactive in store.inactive_channels().await? {
        if inactive.at_ms <= now_ms - policy.inactive_ms() {
            alerts.push(NodeAlert {
                kind: AlertKind::ChannelInactive,
                chan_point: inactive.chan_point,
                since_ms: inactive.at_ms,
                closing_txid: None,
            });
        }
    }
    let backups = store.channel_backups().await?;
    let newest = backups.iter().max_by_key(|b| b.id);
    let open = lnd.list_channels(ListChannelsRequest::default()).await?;
    for channel in open.channels {
        let covered = newest.is_some_and(|b| b.chan_points.contains(&channel.channel_point));
        if !covered {
            alerts.push(NodeAlert {
                kind: AlertKind::UncoveredChannel,
                chan_point: channel.channel_point,
                since_ms: newest.map_or(0, |b| b.taken_at_ms),
                closing_txid: None,
            });
        }
    }
    Ok(NodeAlerts {
        alerts,
        last_backup_ms: newest.map(|b| b.taken_at_ms),
    })
}
