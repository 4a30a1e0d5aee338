//! The automatic liquidity manager (`lightning_liquidity_enabled`): every
//! `lightning_liquidity_check_interval` it reads the channels, raises a `liquidity_alert` event
//! when channels are outside the bounds, and rebalances within a daily fee budget.
//!
//! The budget is rolling: fees recorded in the last 24 hours (by finish time) are subtracted
//! from `lightning_liquidity_max_daily_fee_sats`, and each move's fee limit is cut to what is
//! left, so the fees of any 24-hour window never exceed the budget. The clock is a parameter of
//! [`LiquidityManager::run_once`], so a test can simulate a day in a few calls.

use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::rebalance::{execute_move, plan, RebalanceError, RebalanceLock, RebalanceOptions};
use super::report::{fetch_report, LiquidityPolicy};
use crate::lnd::LndClient;
use crate::rates::{RateHandle, RateService};
use crate::store::RebalanceTrigger;
use crate::store::Store;

/// Seconds in the budget window.
const DAY_SECS: i64 = 86_400;

/// What the manager works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagerSettings {
    /// The ratios (`lightning_liquidity_*_ratio`).
    pub policy: LiquidityPolicy,
    /// Time between checks (`lightning_liquidity_check_interval`).
    pub check_interval: Duration,
    /// Fee budget of any 24 hours, msat (`lightning_liquidity_max_daily_fee_sats` × 1000).
    pub max_daily_fee_msat: u64,
    /// Fee cap of one move, ppm (`lightning_liquidity_max_fee_ppm`).
    pub max_fee_ppm: u64,
    /// `timeout_seconds` of each payment (`lightning_timeout_seconds`).
    pub payment_timeout_secs: u32,
}

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Channels below the minimum inbound ratio.
    pub needs_inbound: usize,
    /// Channels above the maximum inbound ratio.
    pub needs_outbound: usize,
    /// Id of the liquidity alert event raised, if any.
    pub alert_event_id: Option<String>,
    /// Moves attempted.
    pub attempted: usize,
    /// Moves that succeeded.
    pub succeeded: usize,
    /// Sats moved.
    pub moved_sat: u64,
    /// Fees paid in this run, msat.
    pub fees_msat: u64,
    /// Budget left before the run, msat.
    pub budget_left_msat: u64,
    /// Skipped because another rebalance was running.
    pub skipped_busy: bool,
}

/// The running manager: a background task checking every interval until [`LiquidityManager::stop`].
#[derive(Debug)]
pub struct LiquidityManager {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl LiquidityManager {
    /// Starts checking now and then every `settings.check_interval`; fees are valued in EUR at
    /// the rate `rates` holds then.
    pub fn start(
        store: Store,
        lnd: LndClient,
        settings: ManagerSettings,
        rates: Option<RateHandle>,
    ) -> LiquidityManager {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let now = crate::time::now_secs();
                let rate_service = rates.as_ref().map(RateHandle::current);
                match LiquidityManager::run_once(&store, &lnd, &settings, rate_service.as_deref(), now).await {
                    Ok(summary) => tracing::info!(?summary, "liquidity check done"),
                    Err(e) => tracing::warn!(error = %e, "liquidity check failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(settings.check_interval) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        LiquidityManager { stop, task }
    }

    /// Stops the manager and waits for a check under way to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "liquidity manager task ended abnormally");
        }
    }

    /// One check at `now_secs` (unix seconds): alert, then rebalance within the rolling budget
    /// (fees valued in EUR with `rates`).
    pub async fn run_once(
        store: &Store,
        lnd: &LndClient,
        settings: &ManagerSettings,
        rates: Option<&RateService>,
        now_secs: i64,
    ) -> Result<RunSummary, RebalanceError> {
        let report = fetch_report(lnd, &settings.policy).await?;
        let mut summary = RunSummary {
            needs_inbound: report.totals.needs_inbound,
            needs_outbound: report.totals.needs_outbound,
            ..RunSummary::default()
        };
        if summary.needs_inbound + summary.needs_outbound > 0 {
            let flagged: Vec<serde_json::Value> = report
                .channels
                .iter()
                .filter(|c| c.flag != super::ChannelFlag::Ok)
                .map(|c| {
                    json!({"chan_id": c.chan_id.to_string(), "peer": c.peer_alias, "flag": c.flag,
                           "inbound_ratio": c.inbound_ratio.to_string()})
                })
                .collect();
            let fields = json!({
                "needs_inbound": summary.needs_inbound,
                "needs_outbound": summary.needs_outbound,
                "max_receivable_sats": report.max_receivable_multipart_sat,
                "balance_score": report.balance_score.to_string(),
                "channels": flagged,
            });
            summary.alert_event_id = Some(store.record_liquidity_alert(fields, now_secs).await?);
        }
        if summary.needs_inbound == 0 {
            return Ok(summary);
        }
        let lock = match RebalanceLock::acquire(store, now_secs).await {
            Ok(lock) => lock,
            Err(RebalanceError::Busy) => {
                summary.skipped_busy = true;
                return Ok(summary);
            }
            Err(e) => return Err(e),
        };
        let result = LiquidityManager::rebalance(store, lnd, settings, rates, &report, &lock, now_secs, summary).await;
        lock.release().await?;
        result
    }

    /// The rebalancing part of a check, under `lock`.
    #[allow(clippy::too_many_arguments)]
    async fn rebalance(
        store: &Store,
        lnd: &LndClient,
        settings: &ManagerSettings,
        rates: Option<&RateService>,
        report: &super::LiquidityReport,
        lock: &RebalanceLock,
        now_secs: i64,
        mut summary: RunSummary,
    ) -> Result<RunSummary, RebalanceError> {
        let spent = store.rebalance_fees_since_msat(now_secs - DAY_SECS + 1).await?;
        let mut left = settings.max_daily_fee_msat.saturating_sub(spent);
        summary.budget_left_msat = left;
        let opts = RebalanceOptions {
            amount_sat: None,
            max_fee_ppm: settings.max_fee_ppm,
            from_chan: None,
            to_chan: None,
        };
        let planned = match plan(report, &opts) {
            Ok(p) => p,
            Err(RebalanceError::NoDestination { .. }) => return Ok(summary),
            Err(e) => return Err(e),
        };
        for mv in &planned.moves {
            if left == 0 {
                break;
            }
            let fee_limit = mv.fee_limit_msat.min(left);
            lock.renew(now_secs).await?;
            let outcome = execute_move(
                lnd,
                store,
                rates,
                mv,
                fee_limit,
                settings.payment_timeout_secs,
                RebalanceTrigger::Auto,
                now_secs,
                &mut |_| {},
            )
            .await?;
            summary.attempted += 1;
            if outcome.succeeded {
                summary.succeeded += 1;
                summary.moved_sat += mv.amount_sat;
                summary.fees_msat += outcome.fee_msat;
                left = left.saturating_sub(outcome.fee_msat);
            }
        }
        Ok(summary)
    }
}
