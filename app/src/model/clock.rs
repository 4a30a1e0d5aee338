//! The shop's clock as the browser needs it to show times: its time zone and the gateway's now.

use serde::{Deserialize, Serialize};

/// What the browser needs to show stored UTC times on the shop's wall clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopClock {
    /// The shop's IANA time zone (`shop_timezone`, e.g. `Europe/Rome`).
    pub timezone: String,
    /// The gateway's clock when it answered (unix seconds), so relative times ignore browser skew.
    pub now_unix_secs: i64,
}
