//! Channel liquidity: how much the node can receive now, which channels need inbound or
//! outbound capacity, and the check that an invoice can actually be paid to this node.
//!
//! A merchant mostly receives, so channels fill with local balance and inbound capacity
//! (the peers' side) runs out; [`report`] measures that, [`check_inbound`] applies it to one
//! invoice amount before the invoice is shown. [`plan`] and [`execute_move`] rebalance with
//! circular self-payments; [`LiquidityManager`] checks and rebalances on a schedule.

mod inbound;
mod manager;
mod rebalance;
mod report;

pub use inbound::{check_inbound, InboundCache, InboundCheck, INBOUND_CACHE_SECS, UNAVAILABLE_NO_OFFCHAIN_READ};
pub use manager::{LiquidityManager, ManagerSettings, RunSummary};
pub use rebalance::{
    execute_move, fee_limit_msat, plan, MoveOutcome, PlannedMove, RebalanceError, RebalanceLock, RebalanceOptions,
    RebalancePlan, REBALANCE_LOCK,
};
pub use report::{
    fetch_report, report, ChannelFlag, ChannelLiquidity, LiquidityPolicy, LiquidityReport, LiquidityTotals,
};
