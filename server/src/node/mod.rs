//! Node care: what the merchant sees and does about the Lightning node itself (its status,
//! channels and balances today; backups, channel alerts, fees and macaroons belong here too).
//! Built on the LND port ([`crate::lnd`]); used by the CLI and the gateway.

mod status;

pub use status::{channels, node_status};
