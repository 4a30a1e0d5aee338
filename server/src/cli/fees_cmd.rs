//! `openfatture lightning fees [set]` and `lightning forwards`: our routing fees and what the node
//! forwarded (issue 38 §3).

use clap::Subcommand;

use super::{CliError, Output};
use crate::context::Services;
use crate::node::{
    apply_fee_change, fee_report, forwards_summary, plan_fee_change, FeeChange, FeeError, MAX_BASE_FEE_MSAT,
    MAX_FEE_RATE_PPM,
};

/// `openfatture lightning fees ...`
#[derive(Debug, Subcommand)]
pub enum FeesCommand {
    /// Set the routing fee of one channel or of every open channel (UpdateChannelPolicy); each
    /// channel keeps its time-lock delta.
    Set {
        /// A channel point (txid:index) or channel id; without it, every open channel.
        #[arg(long, value_name = "CHAN_POINT|CHAN_ID")]
        channel: Option<String>,
        /// Base fee per forward, msat (at most 10000).
        #[arg(long)]
        base_msat: u64,
        /// Proportional fee, parts per million (at most 50000).
        #[arg(long)]
        ppm: u32,
        /// Print what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

impl From<FeeError> for CliError {
    fn from(e: FeeError) -> Self {
        match e {
            FeeError::Lnd(e) => CliError::Lnd(e),
            FeeError::Store(e) => CliError::Store(e),
            other => CliError::Invalid(other.to_string()),
        }
    }
}

/// Runs `lightning fees [set]`.
pub(super) async fn run_fees(
    out: &Output,
    services: Services<'_>,
    command: Option<FeesCommand>,
) -> Result<(), CliError> {
    match command {
        None => show(out, services).await,
        Some(FeesCommand::Set {
            channel,
            base_msat,
            ppm,
            dry_run,
        }) => {
            // Bounds first: a refused value never reaches the node.
            let change = FeeChange::checked(base_msat, ppm)?;
            set(out, services, channel, change, dry_run).await
        }
    }
}

async fn show(out: &Output, services: Services<'_>) -> Result<(), CliError> {
    let client = services.lnd()?;
    let report = fee_report(&client).await?;
    if out.json {
        return out.print_json(&report);
    }
    println!(
        "{:<20}  {:<70}  {:>10}  {:>8}",
        "CHANNEL ID", "CHANNEL POINT", "BASE msat", "PPM"
    );
    for c in &report.channels {
        println!(
            "{:<20}  {:<70}  {:>10}  {:>8}",
            c.chan_id, c.channel_point, c.base_fee_msat, c.fee_rate_ppm
        );
    }
    println!(
        "Fees earned: {} sat today, {} sat this week, {} sat this month",
        report.earned_day_sat, report.earned_week_sat, report.earned_month_sat
    );
    Ok(())
}

async fn set(
    out: &Output,
    services: Services<'_>,
    channel: Option<String>,
    change: FeeChange,
    dry_run: bool,
) -> Result<(), CliError> {
    let client = services.lnd()?;
    let plan = plan_fee_change(&client, channel.as_deref(), change).await?;
    if !dry_run {
        apply_fee_change(&client, &plan).await?;
    }
    if out.json {
        return out.print_json(&serde_json::json!({ "dry_run": dry_run, "channels": plan }));
    }
    let verb = if dry_run { "Would change" } else { "Changed" };
    for p in &plan {
        println!(
            "{verb} {} ({}): base {} → {} msat, {} → {} ppm, time-lock delta {} kept",
            p.channel_point,
            p.chan_id,
            p.base_fee_msat_before,
            p.base_fee_msat_after,
            p.fee_rate_ppm_before,
            p.fee_rate_ppm_after,
            p.time_lock_delta
        );
    }
    if dry_run {
        println!("Dry run: nothing changed (limits: base ≤ {MAX_BASE_FEE_MSAT} msat, ≤ {MAX_FEE_RATE_PPM} ppm).");
    }
    Ok(())
}

/// `--since`: a date (YYYY-MM-DD, midnight UTC) or a duration (`7d`, `24h`, `90m`) back from now.
pub(super) fn parse_since(text: &str, now_secs: i64) -> Result<i64, CliError> {
    let text = text.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
        return match start {
            Some(secs) if secs <= now_secs => Ok(secs),
            _ => Err(CliError::Invalid(format!("--since {text} is in the future"))),
        };
    }
    let unit_secs = match text.chars().last() {
        Some('d') => 86_400,
        Some('h') => 3_600,
        Some('m') => 60,
        _ => 0,
    };
    let number = text
        .get(..text.len().saturating_sub(1))
        .and_then(|n| n.parse::<i64>().ok());
    match number {
        Some(n) if unit_secs > 0 && n > 0 && n <= 3_650 * 86_400 / unit_secs => Ok(now_secs - n * unit_secs),
        _ => Err(CliError::Invalid(format!(
            "--since {text:?} is neither a date (YYYY-MM-DD) nor a duration like 7d, 24h or 90m (at most 10 years)"
        ))),
    }
}

/// Runs `lightning forwards [--since]`.
pub(super) async fn run_forwards(out: &Output, services: Services<'_>, since: Option<String>) -> Result<(), CliError> {
    let now = crate::time::now_secs();
    let since_secs = parse_since(since.as_deref().unwrap_or("30d"), now)?;
    let client = services.lnd()?;
    let store = services.store().await?;
    let summary = forwards_summary(&client, &store, since_secs, now).await?;
    if out.json {
        return out.print_json(&summary);
    }
    println!("Forwards since {}:", crate::time::rfc3339(since_secs));
    println!(
        "  {} forward(s): {} msat in, {} msat out, {} msat fees earned",
        summary.count, summary.amount_in_msat, summary.amount_out_msat, summary.fees_earned_msat
    );
    let r = &summary.rebalances;
    match summary.rebalance_success_percent {
        None => println!("  Our rebalances: none"),
        Some(percent) => println!(
            "  Our rebalances: {} attempted, {} succeeded ({percent}%), {} msat fees paid",
            r.attempts, r.succeeded, r.fees_paid_msat
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_dates_and_durations() {
        let now = 1_700_000_000;
        assert_eq!(parse_since("7d", now).ok(), Some(now - 7 * 86_400));
        assert_eq!(parse_since("24h", now).ok(), Some(now - 86_400));
        assert_eq!(parse_since("2023-11-14", now).ok(), Some(1_699_920_000));
        assert!(parse_since("2099-01-01", now).is_err());
        assert!(parse_since("soon", now).is_err());
        assert!(parse_since("0d", now).is_err());
    }
}
