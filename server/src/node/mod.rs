//! Node care: what the merchant sees and does about the Lightning node itself (its status,
//! channels and balances today; backups, channel alerts, fees and macaroons belong here too).
//! Built on the LND port ([`crate::lnd`]); used by the CLI and the gateway.

mod alerts;
mod backups;
mod channel_events;
mod fees;
mod resubscribe;
mod status;

pub use alerts::{open_alerts, AlertKind, NodeAlert, NodeAlerts, FORCE_CLOSE_ALERT_MS};
pub use backups::{
    chan_point_text, keep_snapshot, spawn_keeper, write_backup_file, BackupError, BackupPolicy, BACKUP_FILE_NAME,
};
pub use channel_events::{
    check_inactive, is_force_close, record_update, spawn_channel_watcher, AlertPolicy, ChannelWatchError,
};
pub use fees::{
    apply_fee_change, fee_report, forwards_summary, plan_fee_change, ChannelFee, FeeChange, FeeError, FeeReport,
    ForwardsSummary, PlannedFee, MAX_BASE_FEE_MSAT, MAX_FEE_RATE_PPM,
};
pub use status::{channels, node_status};
