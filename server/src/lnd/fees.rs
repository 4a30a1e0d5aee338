//! LND's fee and routing calls: FeeReport, UpdateChannelPolicy, ForwardingHistory and GetNodeInfo
//! (for our channels' current time-lock deltas).

use lnd_proto::lnrpc::{
    FeeReportRequest, FeeReportResponse, ForwardingHistoryRequest, ForwardingHistoryResponse, NodeInfo,
    NodeInfoRequest, PolicyUpdateRequest, PolicyUpdateResponse,
};

use super::client::LndClient;
use super::error::LndError;
use super::method::Method;

impl LndClient {
    /// `FeeReport`: our fee schedule per channel and the fees earned over a day, week and month.
    pub async fn fee_report(&self) -> Result<FeeReportResponse, LndError> {
        self.conn()
            .unary(Method::FeeReport, FeeReportRequest {}, |mut c, r| async move {
                c.lightning.fee_report(r).await
            })
            .await
    }

    /// `UpdateChannelPolicy` (never retried): the channels it could not update are in the answer.
    pub async fn update_channel_policy(&self, request: PolicyUpdateRequest) -> Result<PolicyUpdateResponse, LndError> {
        self.conn()
            .unary(Method::UpdateChannelPolicy, request, |mut c, r| async move {
                c.lightning.update_channel_policy(r).await
            })
            .await
    }

    /// `ForwardingHistory`: one page of the forwards in a time range.
    pub async fn forwarding_history(
        &self,
        request: ForwardingHistoryRequest,
    ) -> Result<ForwardingHistoryResponse, LndError> {
        self.conn()
            .unary(Method::ForwardingHistory, request, |mut c, r| async move {
                c.lightning.forwarding_history(r).await
            })
            .await
    }

    /// `GetNodeInfo` of `pub_key` (hex) with its channels and their policies.
    pub async fn node_info_with_channels(&self, pub_key: String) -> Result<NodeInfo, LndError> {
        let request = NodeInfoRequest {
            pub_key,
            include_channels: true,
            ..NodeInfoRequest::default()
        };
        self.conn()
            .unary(Method::GetNodeInfo, request, |mut c, r| async move {
                c.lightning.get_node_info(r).await
            })
            .await
    }
}
