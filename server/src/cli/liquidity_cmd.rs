//! `openfatture lightning liquidity status` and `... rebalance`.

use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use serde::Serialize;

use super::format::{compact_sats, grouped};
use super::{CliError, Output};
use crate::context::Services;
use crate::liquidity::{
    execute_move, fetch_report, plan, LiquidityReport, ManagerSettings, MoveOutcome, RebalanceError, RebalanceLock,
    RebalanceOptions, RebalancePlan,
};
use crate::lnd::LndClient;
use crate::store::RebalanceTrigger;

/// `openfatture lightning liquidity ...`
#[derive(Debug, Subcommand)]
pub enum LiquidityCommand {
    /// Inbound/outbound balance per channel, what can be received now, and a balance score.
    Status,
    /// Move local balance out of channels with too little inbound into channels with inbound
    /// to spare, with circular payments to this node (fees are recorded apart).
    Rebalance(RebalanceArgs),
}

/// `openfatture lightning liquidity rebalance` options.
#[derive(Debug, Args)]
pub struct RebalanceArgs {
    /// Show the plan only; move nothing and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Total sats to move (default: what the flagged channels need to reach the target ratio).
    #[arg(long, value_name = "SATS", value_parser = clap::value_parser!(u64).range(1..))]
    pub amount: Option<u64>,
    /// Fee cap of each circular payment, ppm of its amount (default lightning_liquidity_max_fee_ppm).
    #[arg(long, value_name = "N")]
    pub max_fee_ppm: Option<u64>,
    /// Channel to move local balance out of (with --to).
    #[arg(long, value_name = "CHAN", requires = "to")]
    pub from: Option<u64>,
    /// Channel to move local balance into (with --from).
    #[arg(long, value_name = "CHAN", requires = "from")]
    pub to: Option<u64>,
}

/// Runs one `lightning liquidity` subcommand.
pub(super) async fn run_liquidity(
    out: &Output,
    services: Services<'_>,
    command: LiquidityCommand,
) -> Result<(), CliError> {
    match command {
        LiquidityCommand::Status => status(out, services).await,
        LiquidityCommand::Rebalance(args) => rebalance(out, services, args).await,
    }
}

impl From<RebalanceError> for CliError {
    fn from(e: RebalanceError) -> Self {
        match e {
            RebalanceError::Lnd(e) => CliError::Lnd(e),
            RebalanceError::Store(e) => CliError::Store(e),
            other => CliError::Invalid(other.to_string()),
        }
    }
}

/// What `rebalance --json` prints.
#[derive(Debug, Serialize)]
struct RebalanceReport {
    dry_run: bool,
    plan: RebalancePlan,
    results: Vec<MoveOutcome>,
    moved_sat: u64,
    fees_msat: u64,
}

async fn rebalance(out: &Output, services: Services<'_>, args: RebalanceArgs) -> Result<(), CliError> {
    let manager = services.settings().liquidity_manager();
    let client = services.lnd()?;
    let report = fetch_report(&client, &manager.policy).await?;
    let opts = RebalanceOptions {
        amount_sat: args.amount,
        max_fee_ppm: args.max_fee_ppm.unwrap_or(manager.max_fee_ppm),
        from_chan: args.from,
        to_chan: args.to,
    };
    let plan = plan(&report, &opts)?;
    let mut summary = RebalanceReport {
        dry_run: args.dry_run,
        plan,
        results: Vec::new(),
        moved_sat: 0,
        fees_msat: 0,
    };
    if summary.plan.moves.is_empty() {
        if out.json {
            return out.print_json(&summary);
        }
        println!("✅ Nothing to rebalance: no active channel is below the minimum inbound ratio");
        return Ok(());
    }
    if !out.json {
        print_plan(&summary.plan, args.dry_run);
    }
    if args.dry_run {
        if out.json {
            return out.print_json(&summary);
        }
        println!("(dry run: nothing was moved; run again without --dry-run to carry it out)");
        return Ok(());
    }
    let store = services.store().await?;
    let lock = RebalanceLock::acquire(&store, crate::time::now_secs()).await?;
    // Fees are valued in EUR when a rate can be had; a rate misconfiguration does not stop a
    // rebalance (the fee in msat is recorded all the same).
    let rates = services.rates().ok();
    let result = run_moves(out, &client, &store, rates.as_deref(), &lock, &manager, &mut summary).await;
    lock.release().await?;
    result?;
    let count = summary.plan.moves.len();
    let failures: Vec<String> = summary.results.iter().filter_map(|r| r.failure.clone()).collect();
    if out.json {
        out.print_json(&summary)?;
    } else {
        println!(
            "📦 Moved {} sats in {} of {count} payment(s); fees paid {} msat (recorded as rebalancing costs)",
            grouped(summary.moved_sat),
            count - failures.len(),
            grouped(summary.fees_msat)
        );
    }
    if summary.moved_sat == 0 {
        return Err(CliError::Invalid(format!(
            "rebalance failed, nothing was moved: {}",
            failures.join("; ")
        )));
    }
    Ok(())
}

/// Carries out the planned moves one by one, showing progress, under `lock`.
async fn run_moves(
    out: &Output,
    client: &LndClient,
    store: &crate::store::Store,
    rates: Option<&crate::rates::RateService>,
    lock: &RebalanceLock,
    manager: &ManagerSettings,
    summary: &mut RebalanceReport,
) -> Result<(), CliError> {
    let count = summary.plan.moves.len();
    for (i, mv) in summary.plan.moves.clone().iter().enumerate() {
        lock.renew(crate::time::now_secs()).await?;
        let json = out.json;
        let mut progress = |step: &str| {
            if !json {
                println!("   … {}/{count}: {step}", i + 1);
            }
        };
        let outcome = execute_move(
            client,
            store,
            rates,
            mv,
            mv.fee_limit_msat,
            manager.payment_timeout_secs,
            RebalanceTrigger::Manual,
            crate::time::now_secs(),
            &mut progress,
        )
        .await?;
        if !out.json {
            match &outcome.failure {
                None => println!(
                    "✅ {}/{count}: moved {} sats from {} to {}, fee {} msat",
                    i + 1,
                    grouped(mv.amount_sat),
                    mv.from_chan_id,
                    mv.to_chan_id,
                    grouped(outcome.fee_msat)
                ),
                Some(why) => println!("❌ {}/{count}: {why}", i + 1),
            }
        }
        if outcome.succeeded {
            summary.moved_sat += mv.amount_sat;
            summary.fees_msat += outcome.fee_msat;
        }
        summary.results.push(outcome);
    }
    Ok(())
}

fn print_plan(plan: &RebalancePlan, dry_run: bool) {
    println!(
        "{} {} circular payment(s), {} sats in total, fee cap {} ppm (at most {} msat in fees)",
        if dry_run { "📝 Plan:" } else { "🔄 Rebalancing:" },
        plan.moves.len(),
        grouped(plan.total_amount_sat),
        plan.max_fee_ppm,
        grouped(plan.max_total_fee_msat)
    );
    for (i, m) in plan.moves.iter().enumerate() {
        println!(
            "   {}. {} sats out of {} ({}) back in through {} ({}), fee limit {} msat",
            i + 1,
            grouped(m.amount_sat),
            m.from_chan_id,
            m.from_peer,
            m.to_chan_id,
            m.to_peer,
            grouped(m.fee_limit_msat)
        );
    }
}

async fn status(out: &Output, services: Services<'_>) -> Result<(), CliError> {
    let client = services.lnd()?;
    let report = fetch_report(&client, &services.settings().liquidity_policy()).await?;
    if out.json {
        return out.print_json(&report);
    }
    print_report(&report);
    Ok(())
}

/// A ratio as a percentage with one decimal: `0.1234` → `12.3%`.
fn percent(ratio: Decimal) -> String {
    format!("{}%", (ratio * Decimal::ONE_HUNDRED).round_dp(1).normalize())
}

fn print_report(report: &LiquidityReport) {
    let p = &report.policy;
    let t = &report.totals;
    if report.channels.is_empty() {
        println!("❌ No channels: this node cannot receive payments. Open a channel to a well-connected peer.");
        return;
    }
    println!(
        "📊 Channels: {} ({} active), {} sats capacity",
        t.channels,
        t.active_channels,
        compact_sats(t.capacity_sat)
    );
    println!(
        "💰 Balance: {} sats local, {} sats remote (inbound {})",
        compact_sats(t.local_sat),
        compact_sats(t.remote_sat),
        percent(t.inbound_ratio)
    );
    println!(
        "📥 Receivable now: {} sats in one payment, {} sats with multi-part",
        grouped(report.max_receivable_single_sat),
        grouped(report.max_receivable_multipart_sat)
    );
    println!(
        "⚖️  Balance score: {}/100 (inbound ratio target {}, bounds {}–{})",
        report.balance_score,
        percent(p.target_ratio),
        percent(p.min_ratio),
        percent(p.max_ratio)
    );
    if t.needs_inbound > 0 {
        println!(
            "⚠️  {} channel(s) need inbound capacity (inbound below {})",
            t.needs_inbound,
            percent(p.min_ratio)
        );
    }
    if t.needs_outbound > 0 {
        println!(
            "⚠️  {} channel(s) need outbound capacity (inbound above {})",
            t.needs_outbound,
            percent(p.max_ratio)
        );
    }
    if t.needs_inbound == 0 && t.needs_outbound == 0 {
        println!("✅ Every channel is within the bounds");
    }
    println!();
    let header = [
        "CHANNEL ID",
        "PEER",
        "ACTIVE",
        "STATUS",
        "CAPACITY",
        "LOCAL",
        "REMOTE",
        "INBOUND",
        "TO TARGET",
        "RESERVE",
    ]
    .map(String::from);
    let rows: Vec<[String; 10]> = report
        .channels
        .iter()
        .map(|c| {
            let peer = if c.peer_alias.is_empty() {
                c.peer_pubkey.clone()
            } else {
                c.peer_alias.clone()
            };
            let to_target = match c.inbound_to_target_sat {
                n if n > 0 => format!("+{}", grouped(n.unsigned_abs())),
                n if n < 0 => format!("-{}", grouped(n.unsigned_abs())),
                _ => "0".to_string(),
            };
            [
                c.chan_id.to_string(),
                peer,
                if c.active { "yes" } else { "no" }.to_string(),
                c.flag.label().to_string(),
                grouped(c.capacity_sat),
                grouped(c.local_sat),
                grouped(c.remote_sat),
                percent(c.inbound_ratio),
                to_target,
                grouped(c.remote_reserve_sat),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    print_row(&header, &widths);
    for row in &rows {
        print_row(row, &widths);
    }
    println!("(sats; INBOUND = remote/capacity; TO TARGET = inbound sats to add; RESERVE = the peer's reserve)");
}

/// Text columns (the first four) left-aligned, numbers right-aligned.
fn print_row(cells: &[String; 10], widths: &[usize; 10]) {
    let line: Vec<String> = cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (cell, w))| {
            let pad = w.saturating_sub(cell.chars().count());
            if i >= 4 {
                format!("{}{cell}", " ".repeat(pad))
            } else {
                format!("{cell}{}", " ".repeat(pad))
            }
        })
        .collect();
    println!("{}", line.join("  ").trim_end());
}
