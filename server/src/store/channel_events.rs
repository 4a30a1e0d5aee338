//! Channel events: channels opened, closed (cooperative or force, with the closing txid), active
//! and inactive, as the node reported them; each webhook event (`channel_opened`,
//! `channel_closed`, `channel_inactive`) is written with its row in one transaction, and a
//! repeated report (a resubscription after a restart) changes nothing.

use app::model::EventKind;
use sqlx::FromRow;

use super::events::{insert_event, unattached_payload};
use super::{Store, StoreError};

/// A channel opened, as the node reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOpened {
    /// Channel point, `txid:index`.
    pub chan_point: String,
    /// Short channel id.
    pub chan_id: u64,
    /// The peer's pubkey, hex.
    pub remote_pubkey: String,
    /// Capacity, sats.
    pub capacity_sat: i64,
}

/// A channel closed, as the node reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelClosed {
    /// Channel point, `txid:index`.
    pub chan_point: String,
    /// Short channel id.
    pub chan_id: u64,
    /// The peer's pubkey, hex.
    pub remote_pubkey: String,
    /// Capacity, sats.
    pub capacity_sat: i64,
    /// Whether one side closed it alone (local, remote or breach close).
    pub force_close: bool,
    /// LND's closure type name (`LOCAL_FORCE_CLOSE`, `COOPERATIVE_CLOSE`, ...).
    pub close_type: String,
    /// The closing transaction's id.
    pub closing_txid: String,
}

/// A stored channel event row.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ChannelEventRow {
    /// Row id.
    pub id: i64,
    /// Channel point, `txid:index`.
    pub chan_point: String,
    /// `opened`, `closed`, `active` or `inactive`.
    pub kind: String,
    /// Short channel id (0 when the node did not say).
    pub chan_id: i64,
    /// The peer's pubkey, hex (empty when the node did not say).
    pub remote_pubkey: String,
    /// Capacity, sats.
    pub capacity_sat: i64,
    /// 1 for a force close.
    pub force_close: i32,
    /// LND's closure type name, for closes.
    pub close_type: String,
    /// The closing txid, for closes.
    pub closing_txid: String,
    /// When it was recorded, unix milliseconds.
    pub at_ms: i64,
    /// When the `channel_inactive` webhook went out, for inactive rows.
    pub alerted_at_ms: Option<i64>,
}

const SELECT_ROW: &str = "SELECT id, chan_point, kind, chan_id, remote_pubkey, capacity_sat, force_close, \
     close_type, closing_txid, at_ms, alerted_at_ms FROM channel_events";

fn chan_id_i64(chan_id: u64) -> i64 {
    // Short channel ids fit in 63 bits for any real block height; saturate otherwise.
    i64::try_from(chan_id).unwrap_or(i64::MAX)
}

impl Store {
    /// Records that a channel opened and queues `channel_opened`, once per channel point;
    /// whether it was new.
    pub async fn record_channel_opened(&self, opened: &ChannelOpened, at_ms: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let added = sqlx::query(
            "INSERT INTO channel_events (chan_point, kind, chan_id, remote_pubkey, capacity_sat, at_ms) \
             VALUES ($1, 'opened', $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&opened.chan_point)
        .bind(chan_id_i64(opened.chan_id))
        .bind(&opened.remote_pubkey)
        .bind(opened.capacity_sat)
        .bind(at_ms)
        .execute(&mut **tx.tx())
        .await?
        .rows_affected();
        if added == 0 {
            tx.commit().await?;
            return Ok(false);
        }
        let fields = serde_json::json!({
            "channel_point": opened.chan_point,
            "chan_id": opened.chan_id.to_string(),
            "remote_pubkey": opened.remote_pubkey,
            "capacity_sats": opened.capacity_sat,
        });
        let kind = EventKind::ChannelOpened;
        let (id, payload) = unattached_payload(kind, fields, at_ms / 1000);
        insert_event(tx.tx(), &id, kind, "", &payload, at_ms / 1000).await?;
        self.commit_and_signal(tx).await?;
        Ok(true)
    }

    /// Records a channel found open when the gateway (re)subscribes, without a webhook (it did
    /// not just open, or its `channel_opened` went out already); whether it was new.
    pub async fn record_channel_known(&self, opened: &ChannelOpened, at_ms: i64) -> Result<bool, StoreError> {
        let added = sqlx::query(
            "INSERT INTO channel_events (chan_point, kind, chan_id, remote_pubkey, capacity_sat, at_ms) \
             VALUES ($1, 'opened', $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&opened.chan_point)
        .bind(chan_id_i64(opened.chan_id))
        .bind(&opened.remote_pubkey)
        .bind(opened.capacity_sat)
        .bind(at_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(added == 1)
    }

    /// Records that a channel closed and queues `channel_closed` (with `force_close` and the
    /// closing txid), once per channel point; whether it was new.
    pub async fn record_channel_closed(&self, closed: &ChannelClosed, at_ms: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let added = sqlx::query(
            "INSERT INTO channel_events (chan_point, kind, chan_id, remote_pubkey, capacity_sat, force_close, \
             close_type, closing_txid, at_ms) VALUES ($1, 'closed', $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&closed.chan_point)
        .bind(chan_id_i64(closed.chan_id))
        .bind(&closed.remote_pubkey)
        .bind(closed.capacity_sat)
        .bind(i32::from(closed.force_close))
        .bind(&closed.close_type)
        .bind(&closed.closing_txid)
        .bind(at_ms)
        .execute(&mut **tx.tx())
        .await?
        .rows_affected();
        if added == 0 {
            tx.commit().await?;
            return Ok(false);
        }
        let fields = serde_json::json!({
            "channel_point": closed.chan_point,
            "chan_id": closed.chan_id.to_string(),
            "remote_pubkey": closed.remote_pubkey,
            "capacity_sats": closed.capacity_sat,
            "force_close": closed.force_close,
            "close_type": closed.close_type,
            "closing_txid": closed.closing_txid,
        });
        let kind = EventKind::ChannelClosed;
        let (id, payload) = unattached_payload(kind, fields, at_ms / 1000);
        insert_event(tx.tx(), &id, kind, "", &payload, at_ms / 1000).await?;
        self.commit_and_signal(tx).await?;
        Ok(true)
    }

    /// Records that a channel became active or inactive, unless that is already its last
    /// recorded activity or it is closed; whether a row was added.
    pub async fn record_channel_activity(
        &self,
        chan_point: &str,
        active: bool,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let kind = if active { "active" } else { "inactive" };
        let mut tx = self.begin_write().await?;
        let last: Option<String> = sqlx::query_scalar(
            "SELECT kind FROM channel_events WHERE chan_point = $1 AND kind <> 'opened' ORDER BY id DESC LIMIT 1",
        )
        .bind(chan_point)
        .fetch_optional(&mut **tx.tx())
        .await?;
        // Nothing to record when unchanged or closed; a first `active` is the normal state.
        let unchanged = match last.as_deref() {
            Some(previous) => previous == kind || previous == "closed",
            None => active,
        };
        if unchanged {
            tx.commit().await?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO channel_events (chan_point, kind, at_ms) VALUES ($1, $2, $3)")
            .bind(chan_point)
            .bind(kind)
            .bind(at_ms)
            .execute(&mut **tx.tx())
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Channels inactive now (their last activity row is `inactive` and they are not closed),
    /// oldest spell first.
    pub async fn inactive_channels(&self) -> Result<Vec<ChannelEventRow>, StoreError> {
        let sql = format!(
            "{SELECT_ROW} e WHERE kind = 'inactive' \
             AND id = (SELECT MAX(l.id) FROM channel_events l WHERE l.chan_point = e.chan_point AND l.kind <> 'opened') \
             ORDER BY at_ms, id"
        );
        Ok(sqlx::query_as::<_, ChannelEventRow>(&sql).fetch_all(&self.pool).await?)
    }

    /// Queues `channel_inactive` for every channel inactive since `inactive_before_ms` or
    /// earlier and not alerted yet in this spell, each with its mark in one transaction;
    /// the channel points alerted.
    pub async fn alert_inactive_channels(
        &self,
        inactive_before_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut alerted = Vec::new();
        for row in self.inactive_channels().await? {
            if row.alerted_at_ms.is_some() || row.at_ms > inactive_before_ms {
                continue;
            }
            let mut tx = self.begin_write().await?;
            let marked = sqlx::query(
                "UPDATE channel_events SET alerted_at_ms = $1 WHERE id = $2 AND alerted_at_ms IS NULL \
                 AND id = (SELECT MAX(l.id) FROM channel_events l WHERE l.chan_point = $3 AND l.kind <> 'opened')",
            )
            .bind(now_ms)
            .bind(row.id)
            .bind(&row.chan_point)
            .execute(&mut **tx.tx())
            .await?
            .rows_affected();
            if marked == 0 {
                tx.commit().await?;
                continue;
            }
            let inactive_secs = (now_ms - row.at_ms).max(0) / 1000;
            let fields = serde_json::json!({
                "channel_point": row.chan_point,
                "inactive_since": crate::time::rfc3339(row.at_ms / 1000),
                "inactive_secs": inactive_secs,
            });
            let kind = EventKind::ChannelInactive;
            let (id, payload) = unattached_payload(kind, fields, now_ms / 1000);
            insert_event(tx.tx(), &id, kind, "", &payload, now_ms / 1000).await?;
            self.commit_and_signal(tx).await?;
            alerted.push(row.chan_point);
        }
        Ok(alerted)
    }

    /// Channels closed by force at `since_ms` or later, newest first.
    pub async fn force_closes_since(&self, since_ms: i64) -> Result<Vec<ChannelEventRow>, StoreError> {
        let sql = format!(
            "{SELECT_ROW} WHERE kind = 'closed' AND force_close = 1 AND at_ms >= $1 ORDER BY at_ms DESC, id DESC"
        );
        Ok(sqlx::query_as::<_, ChannelEventRow>(&sql)
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every stored channel event of `chan_point`, oldest first.
    pub async fn channel_events_of(&self, chan_point: &str) -> Result<Vec<ChannelEventRow>, StoreError> {
        let sql = format!("{SELECT_ROW} WHERE chan_point = $1 ORDER BY id");
        Ok(sqlx::query_as::<_, ChannelEventRow>(&sql)
            .bind(chan_point)
            .fetch_all(&self.pool)
            .await?)
    }
}
