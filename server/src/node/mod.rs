//! Node care: what the merchant sees and does about the Lightning node itself (its status,
//! channels and balances today; backups, channel alerts, fees and macaroons belong here too).
//! Built on the LND port ([`crate::lnd`]); used by the CLI and the gateway.

mod backups;
mod status;

pub use backups::{
    chan_point_text, keep_snapshot, spawn_keeper, write_backup_file, BackupError, BackupPolicy, BACKUP_FILE_NAME,
};
pub use status::{channels, node_status};
