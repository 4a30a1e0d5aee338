//! The first-run guide's wire types: what connecting the shop's own LND found.

use serde::{Deserialize, Serialize};

/// The node the guide connected to, and what its macaroon lets the gateway do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCheck {
    /// `host:port` as given.
    pub host: String,
    /// Node alias as LND reports it.
    pub alias: String,
    /// Node identity public key, hex.
    pub pubkey: String,
    /// LND version string.
    pub version: String,
    /// Bitcoin network (mainnet, testnet, regtest, …).
    pub network: String,
    /// Every `entity:action` the macaroon grants (`invoices:write`, …), sorted.
    pub grants: Vec<String>,
    /// Invoices read and write and node info: the gateway can take payments.
    pub can_take_payments: bool,
    /// Channels and balances can be read (dashboard, liquidity check before the QR).
    pub can_read_channels: bool,
    /// Payments can be sent (automatic rebalancing, refunds).
    pub can_send: bool,
    /// The gateway uses this node now; false: from the next start (switching from the embedded
    /// demo node needs a restart).
    pub applied: bool,
}
