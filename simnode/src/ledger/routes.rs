//! QueryRoutes: path finding over the simulated graph, as LND's `FindRoute` answers it.
//!
//! The graph is our channels plus the (unsimulated) links between our peers, so a route from us
//! reaches a peer directly (one hop, no fee) or comes back to us through two peers (a circle,
//! what rebalancing queries). Other sources and destinations have no path.

use std::collections::HashSet;

use super::send::{link_chan_id, PEER_CLTV_DELTA};
use super::{Ledger, LedgerError};
use crate::state::{ChannelState, StoredHop};

/// LND's default final CLTV delta (`bitcoin.timelockdelta`), used when the query gives none.
pub(crate) const DEFAULT_FINAL_CLTV_DELTA: u32 = 80;

/// LND's `--max-cltv-expiry` default: the largest total time lock delta of a route, blocks.
pub(crate) const MAX_TOTAL_TIMELOCK_BLOCKS: u32 = 2016;

/// Up to this amount LND's default fee limit is 100 % of it (`RoutingFee100PercentUpTo`), msat.
const FEE_100_PERCENT_UP_TO_MSAT: u64 = 1_000_000;

/// Above it the default fee limit is this percentage (`DefaultRoutingFeePercentage`).
const DEFAULT_FEE_PERCENT: u64 = 5;

/// LND's a-priori success probability of a hop mission control knows nothing about.
const APRIORI_HOP_PROBABILITY: f64 = 0.6;

/// A QueryRoutes request, parsed.
#[derive(Debug, Default)]
pub(crate) struct RouteQuery {
    /// Destination node, hex.
    pub(crate) target: String,
    /// Source node, hex; `None` for ourselves.
    pub(crate) source: Option<String>,
    /// Amount to deliver, msat.
    pub(crate) amt_msat: u64,
    /// Fee limit, msat; `None` for LND's default for the amount.
    pub(crate) fee_limit_msat: Option<u64>,
    /// Final hop's CLTV delta; 0 for the default.
    pub(crate) final_cltv_delta: u32,
    /// Largest total time lock delta; 0 for the default.
    pub(crate) cltv_limit: u32,
    /// Nodes whose outgoing edges may not be used, hex.
    pub(crate) ignored_nodes: HashSet<String>,
    /// Directed (from, to) node pairs that may not be used, hex.
    pub(crate) ignored_pairs: HashSet<(String, String)>,
    /// First-hop channels allowed; empty for any.
    pub(crate) outgoing_chan_ids: Vec<u64>,
    /// The node before the destination, hex.
    pub(crate) last_hop: Option<String>,
    /// Whether mission control's probabilities count.
    pub(crate) use_mission_control: bool,
}

/// A route found: its hops and what LND reports with it.
#[derive(Debug)]
pub(crate) struct FoundRoute {
    /// Hops from the first peer to the destination.
    pub(crate) hops: Vec<StoredHop>,
    /// Absolute time lock of the first HTLC.
    pub(crate) total_time_lock: u32,
    /// Estimated success probability.
    pub(crate) success_prob: f64,
}

/// LND's `errNoPathFound`.
fn no_path() -> LedgerError {
    LedgerError::Invalid("unable to find a path to destination".into())
}

impl RouteQuery {
    /// LND's `CalculateFeeLimit` default when the request sets none.
    fn fee_limit(&self) -> u64 {
        self.fee_limit_msat
            .unwrap_or(if self.amt_msat <= FEE_100_PERCENT_UP_TO_MSAT {
                self.amt_msat
            } else {
                self.amt_msat * DEFAULT_FEE_PERCENT / 100
            })
    }

    fn edge_allowed(&self, from: &str, to: &str) -> bool {
        !self.ignored_nodes.contains(from) && !self.ignored_pairs.contains(&(from.to_string(), to.to_string()))
    }
}

impl Ledger {
    /// The cheapest route for `q`, or LND's path-finding error.
    pub(crate) fn query_routes(&self, q: &RouteQuery) -> Result<FoundRoute, LedgerError> {
        let me = self.keys.node_public().to_string();
        let final_delta = if q.final_cltv_delta == 0 {
            DEFAULT_FINAL_CLTV_DELTA
        } else {
            q.final_cltv_delta
        };
        let cltv_limit = match q.cltv_limit {
            0 => MAX_TOTAL_TIMELOCK_BLOCKS,
            v if v > MAX_TOTAL_TIMELOCK_BLOCKS => {
                return Err(LedgerError::Invalid(format!(
                    "total time lock of {v} exceeds max allowed {MAX_TOTAL_TIMELOCK_BLOCKS}"
                )))
            }
            v => v,
        };
        if cltv_limit <= final_delta {
            return Err(LedgerError::Invalid(format!(
                "cltv limit {cltv_limit} should be greater than {final_delta}"
            )));
        }
        if q.source.as_deref().is_some_and(|s| s != me) {
            // simnode only knows the channels of its own node.
            return Err(no_path());
        }
        let channels = &self.state.channels;
        let outgoing: Vec<&ChannelState> = channels
            .iter()
            .filter(|c| c.active)
            .filter(|c| q.outgoing_chan_ids.is_empty() || q.outgoing_chan_ids.contains(&c.chan_id))
            .collect();
        // LND first compares the amount with what our allowed channels can send.
        let total: u64 = outgoing.iter().map(|c| c.spendable_msat()).sum();
        if total < q.amt_msat {
            return Err(LedgerError::Invalid("insufficient local balance".into()));
        }
        let max = outgoing.iter().map(|c| c.spendable_msat()).max().unwrap_or(0);
        if max < q.amt_msat {
            return Err(no_path());
        }
        let height = self.state.block_height;
        let final_expiry = height.saturating_add(final_delta);
        let fee_limit = q.fee_limit();

        if q.target != me {
            // A peer, reached over our own channel: no fee, the final delta only.
            let direct = outgoing
                .iter()
                .filter(|c| c.peer_pubkey == q.target && c.spendable_msat() >= q.amt_msat)
                .filter(|_| q.last_hop.as_deref().is_none_or(|l| l == me))
                .filter(|c| q.edge_allowed(&me, &c.peer_pubkey))
                .min_by_key(|c| c.chan_id)
                .ok_or_else(no_path)?;
            return Ok(FoundRoute {
                hops: vec![StoredHop {
                    chan_id: direct.chan_id,
                    chan_capacity_sat: direct.capacity_sat,
                    amt_to_forward_msat: q.amt_msat,
                    fee_msat: 0,
                    expiry: final_expiry,
                    pub_key: direct.peer_pubkey.clone(),
                }],
                total_time_lock: final_expiry,
                success_prob: 1.0,
            });
        }

        // Back to ourselves: out to one peer, across to another, and in over its channel.
        if cltv_limit - final_delta < 2 * PEER_CLTV_DELTA {
            return Err(no_path());
        }
        let incoming = channels
            .iter()
            .filter(|c| c.active)
            .filter(|c| q.last_hop.as_deref().is_none_or(|l| l == c.peer_pubkey));
        let mut best: Option<(u64, u64, u64, &ChannelState, &ChannelState, u64, u64)> = None;
        for inc in incoming {
            for out in &outgoing {
                if out.peer_pubkey == inc.peer_pubkey
                    || !q.edge_allowed(&me, &out.peer_pubkey)
                    || !q.edge_allowed(&out.peer_pubkey, &inc.peer_pubkey)
                    || !q.edge_allowed(&inc.peer_pubkey, &me)
                {
                    continue;
                }
                let fee_in_msat = inc.peer_fee_msat(q.amt_msat);
                let fee_out_msat = out.peer_fee_msat(q.amt_msat + fee_in_msat);
                let fee = fee_in_msat + fee_out_msat;
                if fee > fee_limit || out.spendable_msat() < q.amt_msat + fee {
                    continue;
                }
                let key = (fee, out.chan_id, inc.chan_id);
                if best.is_none_or(|b| key < (b.0, b.1, b.2)) {
                    best = Some((fee, out.chan_id, inc.chan_id, out, inc, fee_in_msat, fee_out_msat));
                }
            }
        }
        let (_, _, _, out, inc, fee_in_msat, fee_out_msat) = best.ok_or_else(no_path)?;
        let hops = vec![
            StoredHop {
                chan_id: out.chan_id,
                chan_capacity_sat: out.capacity_sat,
                amt_to_forward_msat: q.amt_msat + fee_in_msat,
                fee_msat: fee_out_msat,
                expiry: final_expiry + PEER_CLTV_DELTA,
                pub_key: out.peer_pubkey.clone(),
            },
            StoredHop {
                chan_id: link_chan_id(out, inc),
                chan_capacity_sat: out.capacity_sat.min(inc.capacity_sat),
                amt_to_forward_msat: q.amt_msat,
                fee_msat: fee_in_msat,
                expiry: final_expiry,
                pub_key: inc.peer_pubkey.clone(),
            },
            StoredHop {
                chan_id: inc.chan_id,
                chan_capacity_sat: inc.capacity_sat,
                amt_to_forward_msat: q.amt_msat,
                fee_msat: 0,
                expiry: final_expiry,
                pub_key: me,
            },
        ];
        // Our first hop is certain; the two edges beyond it are unknown to mission control.
        let success_prob = if q.use_mission_control {
            APRIORI_HOP_PROBABILITY * APRIORI_HOP_PROBABILITY
        } else {
            1.0
        };
        Ok(FoundRoute {
            hops,
            total_time_lock: final_expiry + 2 * PEER_CLTV_DELTA,
            success_prob,
        })
    }
}
