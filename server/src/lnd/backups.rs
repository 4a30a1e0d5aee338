//! LND's static channel backup calls: ExportAllChannelBackups, VerifyChanBackup and the
//! SubscribeChannelBackups stream (a new multi-channel backup whenever a channel opens or closes).

use std::pin::Pin;

use futures::{Stream, StreamExt};
use lnd_proto::lnrpc::{ChanBackupExportRequest, ChanBackupSnapshot, ChannelBackupSubscription, MultiChanBackup};

use super::client::{Conn, LndClient};
use super::error::LndError;
use super::method::Method;

/// A stream of backup snapshots; errors already mapped.
pub type BackupStream = Pin<Box<dyn Stream<Item = Result<ChanBackupSnapshot, LndError>> + Send>>;

impl LndClient {
    /// `ExportAllChannelBackups`: the multi-channel backup of every open channel, now.
    pub async fn export_all_channel_backups(&self) -> Result<ChanBackupSnapshot, LndError> {
        let conn = self.conn();
        conn.unary(
            Method::ExportAllChannelBackups,
            ChanBackupExportRequest {},
            |mut c, r| async move { c.lightning.export_all_channel_backups(r).await },
        )
        .await
    }

    /// `VerifyChanBackup` of a packed multi-channel backup: the channel points it covers, or the
    /// node's refusal (not this node's, or damaged).
    pub async fn verify_multi_chan_backup(&self, packed: Vec<u8>) -> Result<Vec<String>, LndError> {
        let request = ChanBackupSnapshot {
            single_chan_backups: None,
            multi_chan_backup: Some(MultiChanBackup {
                chan_points: Vec::new(),
                multi_chan_backup: packed,
            }),
        };
        let conn = self.conn();
        let verified = conn
            .unary(Method::VerifyChanBackup, request, |mut c, r| async move {
                c.lightning.verify_chan_backup(r).await
            })
            .await?;
        Ok(verified.chan_points)
    }

    /// `SubscribeChannelBackups`: a snapshot each time the set of open channels changes.
    pub async fn subscribe_channel_backups(&self) -> Result<BackupStream, LndError> {
        self.conn().subscribe_channel_backups().await
    }
}

impl Conn {
    async fn subscribe_channel_backups(&self) -> Result<BackupStream, LndError> {
        let mut lightning = self.lightning.clone();
        // No deadline on the stream: it stays open as long as the node runs.
        let permit = self.breaker_permit()?;
        let opened = lightning
            .subscribe_channel_backups(tonic::Request::new(ChannelBackupSubscription {}))
            .await
            .map_err(|status| self.map_status(Method::SubscribeChannelBackups, &status));
        Self::breaker_report(permit, &opened);
        let streaming = opened?.into_inner();
        let client = self.clone();
        Ok(Box::pin(streaming.map(move |item| {
            item.map_err(|s| client.map_status(Method::SubscribeChannelBackups, &s))
        })))
    }
}
