//! LND's SubscribeChannelEvents stream: channels opened, closed, active and inactive, as LND
//! 0.21.2 sends them (`lnrpc.ChannelEventUpdate`).

use std::pin::Pin;

use futures::{Stream, StreamExt};
use lnd_proto::lnrpc::{ChannelEventSubscription, ChannelEventUpdate};

use super::client::{Conn, LndClient};
use super::error::LndError;
use super::method::Method;

/// A stream of channel events; errors already mapped.
pub type ChannelEventStream = Pin<Box<dyn Stream<Item = Result<ChannelEventUpdate, LndError>> + Send>>;

impl LndClient {
    /// `SubscribeChannelEvents`: every change of a channel's life from now on (no replay).
    pub async fn subscribe_channel_events(&self) -> Result<ChannelEventStream, LndError> {
        self.conn().subscribe_channel_events().await
    }
}

impl Conn {
    async fn subscribe_channel_events(&self) -> Result<ChannelEventStream, LndError> {
        let mut lightning = self.lightning.clone();
        // No deadline on the stream: it stays open as long as the node runs.
        let permit = self.breaker_permit()?;
        let opened = lightning
            .subscribe_channel_events(tonic::Request::new(ChannelEventSubscription {}))
            .await
            .map_err(|status| self.map_status(Method::SubscribeChannelEvents, &status));
        Self::breaker_report(permit, &opened);
        let streaming = opened?.into_inner();
        let client = self.clone();
        Ok(Box::pin(streaming.map(move |item| {
            item.map_err(|s| client.map_status(Method::SubscribeChannelEvents, &s))
        })))
    }
}
