//! Node overview: connection status, channel counts, capacity and balances, and the channel list.

use app::model::{ChannelView, NodeStatus};
use lnd_proto::lnrpc::{Channel, ChannelBalanceResponse, GetInfoResponse, ListChannelsRequest};

use crate::lnd::{LndClient, LndError};

/// Converts a non-negative LND sat amount (`int64` on the wire) to `u64`; negatives become 0.
fn sat(amount: i64) -> u64 {
    u64::try_from(amount).unwrap_or(0)
}

/// The node's identity, chain, channel counts, total capacity and balances.
/// `host` is shown as given; `simulated` marks the embedded simnode.
pub async fn node_status(client: &LndClient, host: &str, simulated: bool) -> Result<NodeStatus, LndError> {
    let (info, balance, channels) = tokio::try_join!(
        client.get_info(),
        client.channel_balance(),
        client.list_channels(ListChannelsRequest::default()),
    )?;
    let mut status = status_from(host, simulated, &info, &balance, &channels.channels);
    status.breaker = client.breaker_state().to_string();
    Ok(status)
}

/// Builds the status DTO from LND's answers.
fn status_from(
    host: &str,
    simulated: bool,
    info: &GetInfoResponse,
    balance: &ChannelBalanceResponse,
    channels: &[Channel],
) -> NodeStatus {
    let network = info.chains.first().map(|c| c.network.clone()).unwrap_or_else(|| {
        if info.testnet {
            "testnet".to_string()
        } else {
            "mainnet".to_string()
        }
    });
    // `balance` is LND's deprecated total; prefer the per-side amounts when present.
    let local_balance_sat = balance.local_balance.as_ref().map_or(sat(balance.balance), |a| a.sat);
    let remote_balance_sat = balance.remote_balance.as_ref().map_or(0, |a| a.sat);
    NodeStatus {
        host: host.to_string(),
        alias: info.alias.clone(),
        pubkey: info.identity_pubkey.clone(),
        version: info.version.clone(),
        network,
        simulated,
        synced_to_chain: info.synced_to_chain,
        block_height: info.block_height,
        active_channels: info.num_active_channels,
        inactive_channels: info.num_inactive_channels,
        pending_channels: info.num_pending_channels,
        capacity_sat: channels.iter().map(|c| sat(c.capacity)).sum(),
        local_balance_sat,
        remote_balance_sat,
        breaker: crate::breaker::BreakerState::Closed.to_string(),
    }
}

/// The node's open channels, with peer aliases when LND knows them.
pub async fn channels(client: &LndClient) -> Result<Vec<ChannelView>, LndError> {
    let response = client
        .list_channels(ListChannelsRequest {
            peer_alias_lookup: true,
            ..ListChannelsRequest::default()
        })
        .await?;
    Ok(response.channels.iter().map(channel_view).collect())
}

fn channel_view(c: &Channel) -> ChannelView {
    ChannelView {
        chan_id: c.chan_id,
        remote_pubkey: c.remote_pubkey.clone(),
        peer_alias: c.peer_alias.clone(),
        active: c.active,
        capacity_sat: sat(c.capacity),
        local_balance_sat: sat(c.local_balance),
        remote_balance_sat: sat(c.remote_balance),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lnd_proto::lnrpc::{Amount, Chain};

    #[test]
    fn status_sums_capacity_and_uses_per_side_balances() {
        let info = GetInfoResponse {
            alias: "shop".into(),
            identity_pubkey: "02ab".into(),
            num_active_channels: 2,
            chains: vec![Chain {
                chain: "bitcoin".into(),
                network: "regtest".into(),
            }],
            ..Default::default()
        };
        let balance = ChannelBalanceResponse {
            balance: 1,
            local_balance: Some(Amount {
                sat: 1_200_000,
                msat: 1_200_000_000,
            }),
            remote_balance: Some(Amount {
                sat: 800_000,
                msat: 800_000_000,
            }),
            ..Default::default()
        };
        let channels = vec![
            Channel {
                capacity: 5_000_000,
                ..Default::default()
            },
            Channel {
                capacity: 3_000_000,
                ..Default::default()
            },
            Channel {
                capacity: -1,
                ..Default::default()
            },
        ];
        let s = status_from("h:1", false, &info, &balance, &channels);
        assert_eq!(s.capacity_sat, 8_000_000);
        assert_eq!(s.local_balance_sat, 1_200_000);
        assert_eq!(s.remote_balance_sat, 800_000);
        assert_eq!(s.network, "regtest");
        assert_eq!(s.active_channels, 2);
    }
}
