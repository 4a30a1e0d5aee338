//! Stored static channel backups: each multi-channel backup the node streamed, newest first,
//! pruned to the newest N in the same transaction that adds one.

use sqlx::FromRow;

use super::{Store, StoreError};

/// One stored multi-channel backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelBackup {
    /// Row id.
    pub id: i64,
    /// When the node sent it, unix milliseconds.
    pub taken_at_ms: i64,
    /// Channel points (`txid:index`) it covers.
    pub chan_points: Vec<String>,
    /// The packed backup as LND exports it (the bytes of its `channel.backup` file).
    pub packed: Vec<u8>,
    /// SHA-256 of `packed`, hex.
    pub sha256_hex: String,
}

#[derive(FromRow)]
struct BackupRow {
    id: i64,
    taken_at_ms: i64,
    chan_points: String,
    packed_hex: String,
    sha256_hex: String,
}

impl TryFrom<BackupRow> for ChannelBackup {
    type Error = StoreError;
    fn try_from(row: BackupRow) -> Result<Self, StoreError> {
        let packed = hex::decode(&row.packed_hex)
            .map_err(|e| StoreError::Corrupt(format!("channel backup {}: packed_hex is not hex ({e})", row.id)))?;
        Ok(ChannelBackup {
            id: row.id,
            taken_at_ms: row.taken_at_ms,
            chan_points: row.chan_points.lines().map(str::to_owned).collect(),
            packed,
            sha256_hex: row.sha256_hex,
        })
    }
}

const SELECT_BACKUP: &str = "SELECT id, taken_at_ms, chan_points, packed_hex, sha256_hex FROM channel_backups";

impl Store {
    /// Stores a backup unless it is the same as the newest one, then keeps only the newest `keep`;
    /// whether it stored it.
    pub async fn add_channel_backup(
        &self,
        taken_at_ms: i64,
        chan_points: &[String],
        packed: &[u8],
        sha256_hex: &str,
        keep: u32,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let newest: Option<String> =
            sqlx::query_scalar("SELECT sha256_hex FROM channel_backups ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        if newest.as_deref() == Some(sha256_hex) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO channel_backups (taken_at_ms, chan_points, packed_hex, sha256_hex) VALUES ($1, $2, $3, $4)",
        )
        .bind(taken_at_ms)
        .bind(chan_points.join("\n"))
        .bind(hex::encode(packed))
        .bind(sha256_hex)
        .execute(&mut *tx)
        .await?;
        // The id of the oldest backup to keep, and everything older goes.
        sqlx::query(
            "DELETE FROM channel_backups WHERE id < (SELECT MIN(id) FROM \
             (SELECT id FROM channel_backups ORDER BY id DESC LIMIT $1) AS newest)",
        )
        .bind(i64::from(keep.max(1)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stored backups, newest first.
    pub async fn channel_backups(&self) -> Result<Vec<ChannelBackup>, StoreError> {
        let rows: Vec<BackupRow> = sqlx::query_as(&format!("{SELECT_BACKUP} ORDER BY id DESC"))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(ChannelBackup::try_from).collect()
    }
}
