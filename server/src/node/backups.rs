//! Static channel backups kept by the gateway: every multi-channel backup (SCB) the node streams
//! is stored with its time and the channel points it covers (the newest `lightning_backup_keep`),
//! and the newest is also written to `lightning_backup_dir` as `channel.backup` (temp file, fsync,
//! rename, fsync of the directory), the file `lncli restorechanbackup --multi_file` takes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use lnd_proto::lnrpc::{channel_point::FundingTxid, ChanBackupSnapshot, ChannelPoint};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::config::Settings;
use crate::lnd::{LndClient, LndError};
use crate::store::{Store, StoreError};

/// The file name LND gives its multi-channel backup.
pub const BACKUP_FILE_NAME: &str = "channel.backup";

/// Why a backup could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The node did not answer or refused.
    #[error(transparent)]
    Node(#[from] LndError),
    /// The database refused the backup.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The snapshot carried no multi-channel backup.
    #[error("the node sent a backup snapshot without a multi-channel backup")]
    Empty,
    /// The backup file could not be written.
    #[error("cannot write the channel backup to {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Where and how many backups are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupPolicy {
    /// How many stored versions to keep.
    pub keep: u32,
    /// Directory that receives the newest backup as `channel.backup`, if set.
    pub dir: Option<PathBuf>,
}

impl BackupPolicy {
    /// The policy of `settings`.
    pub fn of(settings: &Settings) -> BackupPolicy {
        BackupPolicy {
            keep: settings.lightning_backup_keep,
            dir: settings.lightning_backup_dir.clone(),
        }
    }
}

/// A channel point as `txid:index` (txid in display order).
pub fn chan_point_text(point: &ChannelPoint) -> String {
    let txid = match &point.funding_txid {
        Some(FundingTxid::FundingTxidStr(text)) => text.clone(),
        Some(FundingTxid::FundingTxidBytes(bytes)) => {
            let mut display = bytes.clone();
            display.reverse();
            hex::encode(display)
        }
        None => String::new(),
    };
    format!("{txid}:{}", point.output_index)
}

/// Writes `packed` to `dir/channel.backup` so that a crash leaves the old file or the new one,
/// never a part: a temporary file, fsync, rename over the old one, fsync of the directory.
pub fn write_backup_file(dir: &Path, packed: &[u8]) -> Result<PathBuf, BackupError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BackupError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    let target = dir.join(BACKUP_FILE_NAME);
    let temp = dir.join(format!(".{BACKUP_FILE_NAME}.tmp"));
    let mut file = std::fs::File::create(&temp).map_err(err(&temp))?;
    file.write_all(packed).map_err(err(&temp))?;
    file.sync_all().map_err(err(&temp))?;
    drop(file);
    std::fs::rename(&temp, &target).map_err(err(&target))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(err(dir))?;
    Ok(target)
}

/// Stores `snapshot` (unless it equals the newest stored one) and writes it to the policy's
/// directory; whether it was new.
pub async fn keep_snapshot(
    store: &Store,
    snapshot: &ChanBackupSnapshot,
    policy: &BackupPolicy,
    now_ms: i64,
) -> Result<bool, BackupError> {
    let multi = snapshot.multi_chan_backup.as_ref().ok_or(BackupError::Empty)?;
    let points: Vec<String> = multi.chan_points.iter().map(chan_point_text).collect();
    let digest = hex::encode(Sha256::digest(&multi.multi_chan_backup));
    // The file first: once the database shows a backup, the file already holds it.
    if let Some(dir) = &policy.dir {
        let current = std::fs::read(dir.join(BACKUP_FILE_NAME)).ok();
        if current.as_deref() != Some(multi.multi_chan_backup.as_slice()) {
            write_backup_file(dir, &multi.multi_chan_backup)?;
        }
    }
    let stored = store
        .add_channel_backup(now_ms, &points, &multi.multi_chan_backup, &digest, policy.keep)
        .await?;
    Ok(stored)
}

/// Keeps backups while the gateway runs: one export at start, then every snapshot the node
/// streams; a lost stream is opened again with a growing wait. Ends when `closing` turns true.
pub fn spawn_keeper(
    store: Store,
    lnd: LndClient,
    settings: watch::Receiver<Arc<Settings>>,
    closing: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        super::resubscribe::until_closing("channel backups", closing, || follow(&store, &lnd, &settings)).await;
    })
}

/// One subscription: the current backup, then each new one, until the stream ends.
async fn follow(store: &Store, lnd: &LndClient, settings: &watch::Receiver<Arc<Settings>>) -> Result<(), BackupError> {
    // Subscribe first, so that no change between the export and the stream is missed.
    let mut stream = lnd.subscribe_channel_backups().await?;
    let now = lnd.export_all_channel_backups().await?;
    keep_logged(store, &now, settings).await?;
    while let Some(item) = stream.next().await {
        keep_logged(store, &item?, settings).await?;
    }
    Ok(())
}

async fn keep_logged(
    store: &Store,
    snapshot: &ChanBackupSnapshot,
    settings: &watch::Receiver<Arc<Settings>>,
) -> Result<(), BackupError> {
    let policy = BackupPolicy::of(&settings.borrow());
    if keep_snapshot(store, snapshot, &policy, crate::time::now_ms()).await? {
        let channels = snapshot.multi_chan_backup.as_ref().map_or(0, |m| m.chan_points.len());
        tracing::info!(channels, "channel backup stored");
    }
    Ok(())
}
