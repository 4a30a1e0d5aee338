//! The node's channels: the TOML topology file and the built-in default topology.
//!
//! ```toml
//! [[channel]]
//! peer_alias = "alice"
//! peer_pubkey = "02..."      # optional, derived from the alias when absent
//! capacity_sat = 2000000
//! local_balance_sat = 1800000
//! active = true              # optional, default true
//! chan_id = 1099511693312    # optional short channel id, derived when absent
//! private = false            # optional, default false (private channels become route hints)
//! fee_base_msat = 1000       # optional: the peer's base fee for forwarding, default 1000 msat
//! fee_rate_ppm = 1           # optional: the peer's proportional fee, default 1 ppm
//! ```
//!
//! The fee policy is what the peer charges to forward a payment, both into this channel (towards
//! our node) and on to another of our peers; the defaults are LND's own defaults
//! (`bitcoin.basefee=1000`, `bitcoin.feerate=1`). Routing-node peers on mainnet commonly charge
//! 0–1000 msat base and 50–1000 ppm; the default topology uses such values.

use std::path::Path;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use serde::Deserialize;

use crate::error::SimNodeError;
use crate::state::{ChannelState, OwnPolicy};

/// One `[[channel]]` table of the topology file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelSpec {
    peer_alias: String,
    peer_pubkey: Option<String>,
    capacity_sat: u64,
    local_balance_sat: u64,
    #[serde(default = "default_true")]
    active: bool,
    chan_id: Option<u64>,
    #[serde(default)]
    private: bool,
    #[serde(default = "crate::state::default_fee_base_msat")]
    fee_base_msat: u64,
    #[serde(default = "crate::state::default_fee_rate_ppm")]
    fee_rate_ppm: u64,
}

fn default_true() -> bool {
    true
}

/// The whole topology file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopologyFile {
    #[serde(default)]
    channel: Vec<ChannelSpec>,
}

/// Block height at which the simulated channels were opened (before the node's tip).
const FIRST_OPEN_HEIGHT: u64 = 1_000;

/// Channels described by the topology file at `path`, or the default topology when `None`.
pub(crate) fn load(path: Option<&Path>, now_secs: i64) -> Result<Vec<ChannelState>, SimNodeError> {
    let specs = match path {
        None => default_specs(),
        Some(path) => {
            let err = |reason: String| SimNodeError::Topology {
                path: path.to_path_buf(),
                reason,
            };
            let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
            let file: TopologyFile = toml::from_str(&text).map_err(|e| err(format!("invalid TOML: {e}")))?;
            if file.channel.is_empty() {
                return Err(err("no [[channel]] tables; describe at least one channel".to_string()));
            }
            file.channel
        }
    };
    let mut channels: Vec<ChannelState> = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        let fail = |reason: String| SimNodeError::Topology {
            path: path.map(Path::to_path_buf).unwrap_or_default(),
            reason: format!("channel {} ({}): {reason}", i + 1, spec.peer_alias),
        };
        if spec.capacity_sat == 0 {
            return Err(fail("capacity_sat must be greater than 0".to_string()));
        }
        if spec.local_balance_sat > spec.capacity_sat {
            return Err(fail(format!(
                "local_balance_sat {} exceeds capacity_sat {}",
                spec.local_balance_sat, spec.capacity_sat
            )));
        }
        let peer_pubkey = match &spec.peer_pubkey {
            Some(hex_key) => {
                let bytes = hex::decode(hex_key).map_err(|e| fail(format!("peer_pubkey is not hex: {e}")))?;
                PublicKey::from_slice(&bytes)
                    .map_err(|e| fail(format!("peer_pubkey is not a compressed secp256k1 key: {e}")))?
                    .to_string()
            }
            None => derive_peer_pubkey(&spec.peer_alias).to_string(),
        };
        let index = i as u64;
        let chan_id = spec
            .chan_id
            .unwrap_or(((FIRST_OPEN_HEIGHT + index * 3) << 40) | (1 << 16));
        if channels.iter().any(|c| c.chan_id == chan_id) {
            return Err(fail(format!("chan_id {chan_id} is used twice")));
        }
        let funding_txid = sha256::Hash::hash(format!("simnode-funding:{chan_id}").as_bytes());
        channels.push(ChannelState {
            chan_id,
            peer_alias: spec.peer_alias.clone(),
            peer_pubkey,
            capacity_sat: spec.capacity_sat,
            local_balance_msat: spec.local_balance_sat * 1000,
            remote_balance_msat: (spec.capacity_sat - spec.local_balance_sat) * 1000,
            pending_incoming_msat: 0,
            active: spec.active,
            private: spec.private,
            channel_point: format!("{}:0", hex::encode(funding_txid.to_byte_array())),
            next_htlc_index: 0,
            total_received_msat: 0,
            num_updates: 0,
            opened_at_secs: now_secs,
            peer_fee_base_msat: spec.fee_base_msat,
            peer_fee_rate_ppm: spec.fee_rate_ppm,
            own_policy: OwnPolicy::default(),
        });
    }
    Ok(channels)
}

/// Three channels with mixed balances (mostly local, balanced, mostly remote) and typical
/// routing-node fee policies.
fn default_specs() -> Vec<ChannelSpec> {
    let spec =
        |alias: &str, capacity_sat: u64, local_balance_sat: u64, fee_base_msat: u64, fee_rate_ppm: u64| ChannelSpec {
            peer_alias: alias.to_string(),
            peer_pubkey: None,
            capacity_sat,
            local_balance_sat,
            active: true,
            chan_id: None,
            private: false,
            fee_base_msat,
            fee_rate_ppm,
        };
    vec![
        spec("alice", 2_000_000, 1_800_000, 1000, 100),
        spec("bob", 5_000_000, 2_500_000, 0, 250),
        spec("carol", 1_000_000, 100_000, 1000, 50),
    ]
}

/// A stable public key for a peer known only by alias.
fn derive_peer_pubkey(alias: &str) -> PublicKey {
    let mut seed = sha256::Hash::hash(format!("simnode-peer:{alias}").as_bytes()).to_byte_array();
    loop {
        if let Ok(secret) = SecretKey::from_slice(&seed) {
            return PublicKey::from_secret_key(&Secp256k1::signing_only(), &secret);
        }
        seed = sha256::Hash::hash(&seed).to_byte_array();
    }
}
