//! Staff accounts as the Staff page shows them (never a password or its hash).

use serde::{Deserialize, Serialize};

use super::Role;

/// One staff account in the back office's list. Sign-ins are not recorded by time, so there is
/// no "last sign-in" here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    /// Login name.
    pub username: String,
    /// Their role.
    pub role: Role,
    /// When the account was created, RFC 3339.
    pub created_at: String,
    /// Sessions not yet expired (signed-in browsers).
    pub active_sessions: u64,
    /// Whether a sign-in lock (too many failures, from some address) holds now.
    pub locked: bool,
    /// Until when the latest lock holds, RFC 3339; '' when not locked.
    pub locked_until: String,
    /// Whether this is the admin looking at the list (who cannot remove themselves or end their
    /// own sessions here).
    pub is_you: bool,
}
