//! Channel liquidity: how much the node can receive now, which channels need inbound or
//! outbound capacity, and the check that an invoice can actually be paid to this node.
//!
//! A merchant mostly receives, so channels fill with local balance and inbound capacity
//! (the peers' side) runs out; [`report`] measures that, [`check_inbound`] applies it to one
//! invoice amount before the invoice is shown.

mod inbound;
mod report;

pub use inbound::{check_inbound, InboundCheck, UNAVAILABLE_NO_OFFCHAIN_READ};
pub use report::{
    fetch_report, report, ChannelFlag, ChannelLiquidity, LiquidityPolicy, LiquidityReport, LiquidityTotals,
};
