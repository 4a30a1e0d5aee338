//! `openfatture lightning alerts`: the node's open alerts (force closes in the last 7 days,
//! channels inactive too long, open channels no stored backup covers) and the last backup.

use super::{CliError, Output};
use crate::context::Services;
use crate::node::{open_alerts, AlertKind, AlertPolicy};
use crate::time::{now_ms, rfc3339};

/// Prints the open alerts; `--json` prints [`crate::node::NodeAlerts`].
pub(super) async fn run_alerts(out: &Output, services: Services<'_>) -> Result<(), CliError> {
    let store = services.store().await?;
    let lnd = services.lnd()?;
    let policy = AlertPolicy::of(services.settings());
    let found = open_alerts(&store, &lnd, &policy, now_ms()).await?;
    if out.json {
        return out.print_json(&found);
    }
    match found.last_backup_ms {
        Some(at_ms) => println!("Last channel backup: {}", rfc3339(at_ms / 1000)),
        None => println!("Last channel backup: none stored yet (the gateway stores one while it runs)"),
    }
    if found.alerts.is_empty() {
        println!("No open alerts.");
        return Ok(());
    }
    for alert in &found.alerts {
        let since = rfc3339(alert.since_ms / 1000);
        match alert.kind {
            AlertKind::ForceClose => println!(
                "⚠️  force close: channel {} closed by force at {since}, closing txid {}; its funds return after the timelock",
                alert.chan_point,
                alert.closing_txid.as_deref().unwrap_or("")
            ),
            AlertKind::ChannelInactive => println!(
                "⚠️  inactive channel: {} inactive since {since} (over {} minutes); check the peer's connection",
                alert.chan_point, policy.inactive_minutes
            ),
            AlertKind::UncoveredChannel => println!(
                "⚠️  channel without backup: {} is open but no stored channel backup covers it; run `openfatture serve` so the gateway stores one, or `openfatture lightning backup export --out FILE`",
                alert.chan_point
            ),
        }
    }
    Ok(())
}
