//! Channel faults the control surface injects: a force close (the channel moves to the closed
//! channels with a closing txid) and a peer going offline or coming back (its channels turn
//! inactive or active).

use bitcoin::hashes::{sha256d, Hash};

use super::{Ledger, LedgerError};
use crate::state::{ChannelState, CloseType, ClosedChannelState};

impl Ledger {
    /// Force-closes channel `chan_id`: by us (`remote` false, LOCAL_FORCE_CLOSE) or by the peer
    /// (REMOTE_FORCE_CLOSE). Refused, changing nothing, for an unknown channel or one with HTLCs
    /// in flight.
    pub(crate) fn force_close(&mut self, chan_id: u64, remote: bool) -> Result<ClosedChannelState, LedgerError> {
        let position = self
            .state
            .channels
            .iter()
            .position(|c| c.chan_id == chan_id)
            .ok_or_else(|| {
                LedgerError::Invalid(format!(
                    "no open channel with chan_id {chan_id} (open: {})",
                    open_ids(&self.state.channels)
                ))
            })?;
        let channel = &self.state.channels[position];
        if channel.pending_incoming_msat > 0 {
            return Err(LedgerError::State(format!(
                "channel {chan_id} has {} msat of HTLCs in flight: settle or cancel the hold invoice first",
                channel.pending_incoming_msat
            )));
        }
        let mut change = self.begin();
        change.closed = Some(self.state.closed_channels.clone());
        let channel = self.state.channels.remove(position);
        let close_height = self.state.block_height;
        let txid = sha256d::Hash::hash(format!("simnode-force-close:{chan_id}:{close_height}").as_bytes());
        let closed = ClosedChannelState {
            channel,
            closing_txid: hex::encode(txid.to_byte_array()),
            close_height,
            close_type: if remote {
                CloseType::RemoteForce
            } else {
                CloseType::LocalForce
            },
        };
        self.state.closed_channels.push(closed.clone());
        self.commit(change)?;
        Ok(closed)
    }

    /// Takes the peer `peer` (pubkey hex or alias) offline (`online` false) or back online: every
    /// channel with it becomes inactive or active. Returns the channels changed.
    pub(crate) fn set_peer_online(&mut self, peer: &str, online: bool) -> Result<Vec<ChannelState>, LedgerError> {
        let wanted = peer.to_ascii_lowercase();
        let matches = |c: &ChannelState| c.peer_pubkey == wanted || c.peer_alias == peer;
        if !self.state.channels.iter().any(matches) {
            let known: Vec<String> = self
                .state
                .channels
                .iter()
                .map(|c| format!("{} ({})", c.peer_alias, c.peer_pubkey))
                .collect();
            return Err(LedgerError::Invalid(format!(
                "no open channel with peer {peer:?}; peers: {}",
                known.join(", ")
            )));
        }
        let change = self.begin();
        let mut changed = Vec::new();
        for c in self.state.channels.iter_mut().filter(|c| matches(c)) {
            if c.active != online {
                c.active = online;
                changed.push(c.clone());
            }
        }
        self.commit(change)?;
        Ok(changed)
    }
}

fn open_ids(channels: &[ChannelState]) -> String {
    if channels.is_empty() {
        return "none".to_string();
    }
    channels
        .iter()
        .map(|c| c.chan_id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
