//! Circular rebalancing: plan self-payments that move local balance out of channels with too
//! little inbound capacity into channels with inbound to spare, and carry each one out with
//! routerrpc SendPaymentV2 to an invoice of our own node (`outgoing_chan_ids` = the channel to
//! empty, `last_hop_pubkey` = the peer of the channel to fill, `allow_self_payment`), within a
//! fee limit. Every attempt and its fee is recorded in the `rebalances` table.
//!
//! Only one rebalance runs at a time: [`RebalanceLock`] takes a process-wide tokio mutex
//! ([`REBALANCE_LOCK`], shared by the CLI path and the automatic manager) and a lease row in the
//! database, so `openfatture serve` and a CLI run on the same database exclude each other too.
//! A second caller gets [`RebalanceError::Busy`] instead of waiting; a lease left by a crashed
//! process expires after [`LEASE_SECS`].

use futures::StreamExt;
use lnd_proto::lnrpc::{self, payment::PaymentStatus, PaymentFailureReason};
use lnd_proto::routerrpc::SendPaymentRequest;
use serde::Serialize;
use tokio::sync::{Mutex, MutexGuard};

use super::report::{ChannelFlag, ChannelLiquidity, LiquidityReport};
use crate::lnd::{LndClient, LndError};
use crate::rates::RateService;
use crate::store::{FeeValue, NewRebalance, RebalanceTrigger};
use crate::store::{Store, StoreError};

/// Held while a rebalance runs; shared by the CLI path and the liquidity manager.
pub static REBALANCE_LOCK: Mutex<()> = Mutex::const_new(());

/// How long a rebalance lease lasts; it is renewed before every payment.
pub const LEASE_SECS: i64 = 900;

/// How long our rebalance invoices stay payable, seconds.
const INVOICE_EXPIRY_SECS: i64 = 3600;

/// Errors of planning or running a rebalance; the texts say what to do.
#[derive(Debug, thiserror::Error)]
pub enum RebalanceError {
    /// `--from`/`--to` names a channel the node does not have.
    #[error(
        "the node has no channel {chan_id} (--{role}); see `openfatture lightning liquidity status` for channel ids"
    )]
    UnknownChannel {
        /// The channel id given.
        chan_id: u64,
        /// `from` or `to`.
        role: &'static str,
    },
    /// The named channel is inactive.
    #[error("channel {chan_id} (--{role}) is inactive: its peer is offline; pick an active channel")]
    InactiveChannel {
        /// The channel id.
        chan_id: u64,
        /// `from` or `to`.
        role: &'static str,
    },
    /// `--from` and `--to` are the same peer.
    #[error("--from and --to must be channels with different peers (both are with {peer})")]
    SamePeer {
        /// The peer.
        peer: String,
    },
    /// The amount to move is zero.
    #[error("{0}")]
    NothingToMove(String),
    /// Channels need inbound capacity but no channel can take local balance.
    #[error(
        "channel(s) {needing} need inbound capacity, but no other active channel has inbound above the target to take the balance; \
         open a channel to a new peer (or buy inbound liquidity), then run the rebalance again"
    )]
    NoDestination {
        /// The channel ids needing inbound.
        needing: String,
    },
    /// The amount does not fit in what the source channel can send.
    #[error("channel {chan_id} can send at most {spendable_sat} sats (local balance minus reserve); lower --amount")]
    InsufficientLocal {
        /// The channel.
        chan_id: u64,
        /// What it can send.
        spendable_sat: u64,
    },
    /// Another rebalance runs (in this process or another one on the same database).
    #[error(
        "another rebalance is running (here or in `openfatture serve`'s liquidity manager); wait for it to finish \
         (a lock left by a crashed run expires after 15 minutes)"
    )]
    Busy,
    /// Every planned move failed.
    #[error("rebalance failed: {0}")]
    Failed(String),
    /// The node refused or failed a call.
    #[error(transparent)]
    Lnd(#[from] LndError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebalanceOptions {
    /// Total sats to move (default: what the channels need to reach the target).
    pub amount_sat: Option<u64>,
    /// Fee cap of each move, ppm of its amount.
    pub max_fee_ppm: u64,
    /// Channel to move local balance out of.
    pub from_chan: Option<u64>,
    /// Channel to move it into.
    pub to_chan: Option<u64>,
}

/// One planned circular payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedMove {
    /// Local balance leaves through this channel (it gains inbound).
    pub from_chan_id: u64,
    /// Its peer (alias, else public key).
    pub from_peer: String,
    /// Local balance comes back through this channel (it gives up inbound).
    pub to_chan_id: u64,
    /// Its peer (alias, else public key).
    pub to_peer: String,
    /// The peer of `to_chan_id`, hex: the payment's last hop.
    pub to_peer_pubkey: String,
    /// Amount to move.
    pub amount_sat: u64,
    /// Most this move may pay in routing fees.
    pub fee_limit_msat: u64,
}

/// The plan: moves in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebalancePlan {
    /// The moves.
    pub moves: Vec<PlannedMove>,
    /// The fee cap used, ppm.
    pub max_fee_ppm: u64,
    /// Sum of the amounts.
    pub total_amount_sat: u64,
    /// Sum of the fee limits.
    pub max_total_fee_msat: u64,
}

/// The fee limit of moving `amount_sat` at `ppm` (rounded down, as LND's fee formula).
pub fn fee_limit_msat(amount_sat: u64, ppm: u64) -> u64 {
    let limit = u128::from(amount_sat) * 1000 * u128::from(ppm) / 1_000_000;
    u64::try_from(limit).unwrap_or(u64::MAX)
}

fn peer_name(c: &ChannelLiquidity) -> String {
    if c.peer_alias.is_empty() {
        c.peer_pubkey.clone()
    } else {
        c.peer_alias.clone()
    }
}

/// What a channel can send: local balance minus our reserve.
fn spendable_sat(c: &ChannelLiquidity) -> u64 {
    c.local_sat.saturating_sub(c.local_reserve_sat)
}

/// Local balance to move out of `c` to reach the target (0 if at or below it).
fn surplus_sat(c: &ChannelLiquidity) -> u64 {
    u64::try_from(c.inbound_to_target_sat).unwrap_or(0)
}

/// Local balance `c` can take to come down to the target (0 if at or above it), within what
/// the peer can push (remote minus its reserve).
fn room_sat(c: &ChannelLiquidity) -> u64 {
    u64::try_from(c.inbound_to_target_sat.saturating_neg())
        .unwrap_or(0)
        .min(c.receivable_sat)
}

fn find<'a>(
    report: &'a LiquidityReport,
    chan_id: u64,
    role: &'static str,
) -> Result<&'a ChannelLiquidity, RebalanceError> {
    let c = report
        .channels
        .iter()
        .find(|c| c.chan_id == chan_id)
        .ok_or(RebalanceError::UnknownChannel { chan_id, role })?;
    if !c.active {
        return Err(RebalanceError::InactiveChannel { chan_id, role });
    }
    Ok(c)
}

fn planned(from: &ChannelLiquidity, to: &ChannelLiquidity, amount_sat: u64, ppm: u64) -> PlannedMove {
    PlannedMove {
        from_chan_id: from.chan_id,
        from_peer: peer_name(from),
        to_chan_id: to.chan_id,
        to_peer: peer_name(to),
        to_peer_pubkey: to.peer_pubkey.clone(),
        amount_sat,
        fee_limit_msat: fee_limit_msat(amount_sat, ppm),
    }
}

/// Plans the moves for `report` (pure). Without `--from/--to`: every channel flagged "needs
/// inbound" is emptied toward the target ratio into the channels with the most inbound above
/// the target (those flagged "needs outbound" first), never past the target on either side.
pub fn plan(report: &LiquidityReport, opts: &RebalanceOptions) -> Result<RebalancePlan, RebalanceError> {
    let ppm = opts.max_fee_ppm;
    let mut moves = Vec::new();
    if opts.from_chan.is_some() || opts.to_chan.is_some() {
        let (Some(from_id), Some(to_id)) = (opts.from_chan, opts.to_chan) else {
            return Err(RebalanceError::NothingToMove(
                "give both --from CHAN and --to CHAN, or neither".into(),
            ));
        };
        let from = find(report, from_id, "from")?;
        let to = find(report, to_id, "to")?;
        if from.peer_pubkey == to.peer_pubkey {
            return Err(RebalanceError::SamePeer { peer: peer_name(from) });
        }
        let amount_sat = match opts.amount_sat {
            Some(a) => a,
            None => surplus_sat(from).min(room_sat(to)),
        };
        if amount_sat == 0 {
            return Err(RebalanceError::NothingToMove(format!(
                "nothing to move from {from_id} to {to_id} toward the target: {from_id} has no local balance above it or \
                 {to_id} no inbound above it; pass --amount SATS to move a fixed amount"
            )));
        }
        let spendable = spendable_sat(from);
        if amount_sat.saturating_add(fee_limit_msat(amount_sat, ppm).div_ceil(1000)) > spendable {
            return Err(RebalanceError::InsufficientLocal {
                chan_id: from_id,
                spendable_sat: spendable,
            });
        }
        moves.push(planned(from, to, amount_sat, ppm));
    } else {
        let mut sources: Vec<(&ChannelLiquidity, u64)> = report
            .channels
            .iter()
            .filter(|c| c.active && c.flag == ChannelFlag::NeedsInbound)
            .map(|c| {
                // Keep room for the fee on top of the amount.
                let budget = spendable_sat(c).saturating_sub(fee_limit_msat(spendable_sat(c), ppm).div_ceil(1000));
                (c, surplus_sat(c).min(budget))
            })
            .filter(|(_, need)| *need > 0)
            .collect();
        sources.sort_by_key(|(c, need)| (std::cmp::Reverse(*need), c.chan_id));
        let mut sinks: Vec<(&ChannelLiquidity, u64)> = report
            .channels
            .iter()
            .filter(|c| c.active)
            .map(|c| (c, room_sat(c)))
            .filter(|(_, room)| *room > 0)
            .collect();
        let mut left = opts.amount_sat.unwrap_or(u64::MAX);
        for (source, mut need) in sources.iter().copied() {
            while need > 0 && left > 0 {
                sinks.sort_by_key(|(c, room)| {
                    (
                        c.flag != ChannelFlag::NeedsOutbound,
                        std::cmp::Reverse(*room),
                        c.chan_id,
                    )
                });
                let Some(slot) = sinks
                    .iter_mut()
                    .find(|(c, room)| *room > 0 && c.peer_pubkey != source.peer_pubkey)
                else {
                    break;
                };
                let amount = need.min(slot.1).min(left);
                moves.push(planned(source, slot.0, amount, ppm));
                need -= amount;
                slot.1 -= amount;
                left -= amount;
            }
        }
        if moves.is_empty() && !sources.is_empty() {
            let needing: Vec<String> = sources.iter().map(|(c, _)| c.chan_id.to_string()).collect();
            return Err(RebalanceError::NoDestination {
                needing: needing.join(", "),
            });
        }
    }
    Ok(RebalancePlan {
        total_amount_sat: moves.iter().map(|m| m.amount_sat).sum(),
        max_total_fee_msat: moves.iter().map(|m| m.fee_limit_msat).sum(),
        max_fee_ppm: ppm,
        moves,
    })
}

/// How one move ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveOutcome {
    /// The move.
    #[serde(flatten)]
    pub planned: PlannedMove,
    /// Our invoice's payment hash, hex.
    pub payment_hash: String,
    /// Whether the balance moved.
    pub succeeded: bool,
    /// Routing fees paid, msat (0 unless it succeeded).
    pub fee_msat: u64,
    /// Why it failed.
    pub failure: Option<String>,
}

/// The right to rebalance: the process-wide mutex and the database lease. Give it back with
/// [`RebalanceLock::release`] (if dropped instead, the lease expires after [`LEASE_SECS`]).
#[derive(Debug)]
pub struct RebalanceLock {
    _guard: MutexGuard<'static, ()>,
    store: Store,
    holder: String,
}

impl RebalanceLock {
    /// Takes the lock at `now_secs`, or says another rebalance runs.
    pub async fn acquire(store: &Store, now_secs: i64) -> Result<RebalanceLock, RebalanceError> {
        let guard = REBALANCE_LOCK.try_lock().map_err(|_| RebalanceError::Busy)?;
        let mut bytes = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
        let holder = format!("pid {} run {}", std::process::id(), hex::encode(bytes));
        if !store.try_take_rebalance_lease(&holder, now_secs, LEASE_SECS).await? {
            return Err(RebalanceError::Busy);
        }
        Ok(RebalanceLock {
            _guard: guard,
            store: store.clone(),
            holder,
        })
    }

    /// Extends the lease to `now_secs + LEASE_SECS` (before each payment).
    pub async fn renew(&self, now_secs: i64) -> Result<(), RebalanceError> {
        if self
            .store
            .try_take_rebalance_lease(&self.holder, now_secs, LEASE_SECS)
            .await?
        {
            Ok(())
        } else {
            Err(RebalanceError::Busy)
        }
    }

    /// Gives the lock back.
    pub async fn release(self) -> Result<(), RebalanceError> {
        self.store.release_rebalance_lease(&self.holder).await?;
        Ok(())
    }
}

/// Words for LND's failure reason.
fn failure_text(reason: i32, fee_limit_msat: u64) -> String {
    match PaymentFailureReason::try_from(reason) {
        Ok(PaymentFailureReason::FailureReasonNoRoute) => format!(
            "no route within the fee limit of {fee_limit_msat} msat: raise --max-fee-ppm \
             (lightning_liquidity_max_fee_ppm) or try other channels"
        ),
        Ok(PaymentFailureReason::FailureReasonInsufficientBalance) => {
            "insufficient local balance in the outgoing channel: lower --amount".to_string()
        }
        Ok(PaymentFailureReason::FailureReasonTimeout) => {
            "timed out before a route succeeded: try again later or with a smaller amount".to_string()
        }
        Ok(PaymentFailureReason::FailureReasonIncorrectPaymentDetails) => {
            "the node refused its own invoice (expired or already paid): run the rebalance again".to_string()
        }
        Ok(other) => format!("payment failed ({})", other.as_str_name()),
        Err(_) => format!("payment failed (reason {reason})"),
    }
}

/// Reads a payment stream to its final update.
async fn final_update(
    mut stream: crate::lnd::PaymentStream,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Option<lnrpc::Payment>, LndError> {
    let mut last = None;
    while let Some(item) = stream.next().await {
        let p = item?;
        let status = PaymentStatus::try_from(p.status).unwrap_or(PaymentStatus::Unknown);
        match status {
            PaymentStatus::InFlight | PaymentStatus::Initiated => match p.htlcs.len() {
                0 => progress("in flight: finding a route"),
                n => progress(&format!("in flight: attempt {n}")),
            },
            PaymentStatus::Succeeded | PaymentStatus::Failed => return Ok(Some(p)),
            PaymentStatus::Unknown => {}
        }
        last = Some(p);
    }
    Ok(last.filter(|p| p.status == PaymentStatus::Succeeded as i32 || p.status == PaymentStatus::Failed as i32))
}

/// Carries out one move: AddInvoice on our node, SendPaymentV2 to it through the chosen
/// channels within `fee_limit_msat`, then records the result (times: `now_secs`) with the
/// fee's EUR value at the rate `rates` gives then. A lost stream is recovered by tracking the
/// payment hash (SendPaymentV2 is never repeated).
#[allow(clippy::too_many_arguments)]
pub async fn execute_move(
    lnd: &LndClient,
    store: &Store,
    rates: Option<&RateService>,
    mv: &PlannedMove,
    fee_limit_msat: u64,
    timeout_secs: u32,
    trigger: RebalanceTrigger,
    now_secs: i64,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<MoveOutcome, RebalanceError> {
    let amount_msat = mv.amount_sat.saturating_mul(1000);
    let added = lnd
        .add_invoice(lnrpc::Invoice {
            memo: format!("openfatture rebalance {} -> {}", mv.from_chan_id, mv.to_chan_id),
            value_msat: i64::try_from(amount_msat).unwrap_or(i64::MAX),
            expiry: INVOICE_EXPIRY_SECS,
            ..Default::default()
        })
        .await?;
    let payment_hash = hex::encode(&added.r_hash);
    let last_hop = hex::decode(&mv.to_peer_pubkey)
        .map_err(|e| RebalanceError::Failed(format!("peer key of channel {} is not hex: {e}", mv.to_chan_id)))?;
    let request = SendPaymentRequest {
        payment_request: added.payment_request.clone(),
        timeout_seconds: i32::try_from(timeout_secs).unwrap_or(i32::MAX),
        fee_limit_msat: i64::try_from(fee_limit_msat).unwrap_or(i64::MAX),
        outgoing_chan_ids: vec![mv.from_chan_id],
        last_hop_pubkey: last_hop,
        allow_self_payment: true,
        ..Default::default()
    };
    progress("sending");
    let result = match lnd.send_payment_v2(request).await {
        Ok(stream) => final_update(stream, progress).await,
        Err(e) => Err(e),
    };
    let payment = match result {
        Ok(Some(p)) => Ok(p),
        // The stream broke or ended early: the payment may still complete; look it up by hash.
        Ok(None) => track(lnd, &added.r_hash, progress).await,
        Err(e) if e.is_ambiguous() => track(lnd, &added.r_hash, progress).await,
        Err(e) => Err(RebalanceError::Lnd(e)),
    };
    let (succeeded, fee_msat, failure) = match &payment {
        Ok(p) if p.status == PaymentStatus::Succeeded as i32 => (true, u64::try_from(p.fee_msat).unwrap_or(0), None),
        Ok(p) => (false, 0, Some(failure_text(p.failure_reason, fee_limit_msat))),
        Err(e) => (false, 0, Some(e.to_string())),
    };
    if !succeeded {
        // Leave no open invoice behind (best effort: it expires anyway).
        let _ = lnd.cancel_invoice(added.r_hash.clone()).await;
    }
    let fee_value = match (succeeded, rates) {
        (true, Some(rates)) => fee_value(rates, fee_msat, &payment_hash).await,
        _ => None,
    };
    store
        .record_rebalance(&NewRebalance {
            payment_hash: payment_hash.clone(),
            from_chan_id: mv.from_chan_id,
            to_chan_id: mv.to_chan_id,
            amount_msat,
            fee_msat,
            succeeded,
            failure: failure.clone(),
            trigger,
            started_at: now_secs,
            finished_at: now_secs,
            fee_value,
        })
        .await?;
    Ok(MoveOutcome {
        planned: mv.clone(),
        payment_hash,
        succeeded,
        fee_msat,
        failure,
    })
}

/// The EUR value of a routing fee at the rate in force (the rate cache's, else a new quote);
/// `None`, logged, when no rate can be had (the fee in msat stays recorded).
async fn fee_value(rates: &RateService, fee_msat: u64, payment_hash: &str) -> Option<FeeValue> {
    let quote = match rates.in_force() {
        Some(q) => q,
        None => match rates.quote().await {
            Ok(q) => q,
            Err(e) => {
                tracing::warn!(payment_hash, error = %e, "no BTC/EUR rate for a routing fee: recorded in msat only");
                return None;
            }
        },
    };
    match crate::money::fee_msat_to_eur(fee_msat, quote.eur_per_btc) {
        Ok(fee_eur) => Some(FeeValue {
            fee_eur,
            eur_per_btc: quote.eur_per_btc,
            rate_source: quote.source,
            rate_at_secs: quote.fetched_at.timestamp(),
        }),
        Err(e) => {
            tracing::warn!(payment_hash, error = %e, "routing fee not converted to EUR");
            None
        }
    }
}

/// The final state of a payment by hash (TrackPaymentV2).
async fn track(
    lnd: &LndClient,
    hash: &[u8],
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<lnrpc::Payment, RebalanceError> {
    progress("tracking");
    let stream = lnd.track_payment_v2(hash.to_vec()).await?;
    final_update(stream, progress).await?.ok_or_else(|| {
        RebalanceError::Failed("the payment's final state is unknown; check it later with lncli trackpayment".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquidity::{report, LiquidityPolicy};

    fn chan(chan_id: u64, peer: &str, capacity: i64, local: i64) -> lnrpc::Channel {
        lnrpc::Channel {
            chan_id,
            remote_pubkey: peer.to_string(),
            peer_alias: peer.to_string(),
            capacity,
            local_balance: local,
            remote_balance: capacity - local,
            active: true,
            local_chan_reserve_sat: capacity / 100,
            remote_chan_reserve_sat: capacity / 100,
            ..Default::default()
        }
    }

    fn opts() -> RebalanceOptions {
        RebalanceOptions {
            amount_sat: None,
            max_fee_ppm: 500,
            from_chan: None,
            to_chan: None,
        }
    }

    #[test]
    fn every_flagged_channel_moves_toward_the_target_without_overshooting() {
        // a, b need inbound (0.1, 0.15); c, d have inbound above the target (0.9, 0.6).
        let r = report(
            &[
                chan(1, "a", 1_000_000, 900_000),
                chan(2, "b", 1_000_000, 850_000),
                chan(3, "c", 1_000_000, 100_000),
                chan(4, "d", 1_000_000, 400_000),
            ],
            &LiquidityPolicy::default(),
        );
        let p = plan(&r, &opts()).expect("plan");
        let out = |id: u64| {
            p.moves
                .iter()
                .filter(|m| m.from_chan_id == id)
                .map(|m| m.amount_sat)
                .sum::<u64>()
        };
        let into = |id: u64| {
            p.moves
                .iter()
                .filter(|m| m.to_chan_id == id)
                .map(|m| m.amount_sat)
                .sum::<u64>()
        };
        // c (needs outbound) is filled first, up to the target: 400,000; d can take 100,000.
        assert_eq!(into(3), 400_000);
        assert_eq!(into(4), 100_000);
        assert_eq!(out(1) + out(2), 500_000);
        assert!(out(1) > 0 && out(2) > 0, "{p:?}");
        assert!(out(1) <= 400_000 && out(2) <= 350_000);
        assert_eq!(p.total_amount_sat, 500_000);
        assert!(p
            .moves
            .iter()
            .all(|m| m.fee_limit_msat == fee_limit_msat(m.amount_sat, 500)));
    }

    #[test]
    fn amount_caps_the_total_and_explicit_channels_are_checked() {
        let r = report(
            &[chan(1, "a", 1_000_000, 900_000), chan(3, "c", 1_000_000, 100_000)],
            &LiquidityPolicy::default(),
        );
        let p = plan(
            &r,
            &RebalanceOptions {
                amount_sat: Some(50_000),
                ..opts()
            },
        )
        .expect("plan");
        assert_eq!(p.total_amount_sat, 50_000);
        let p = plan(
            &r,
            &RebalanceOptions {
                from_chan: Some(1),
                to_chan: Some(3),
                ..opts()
            },
        )
        .expect("plan");
        assert_eq!(p.moves[0].amount_sat, 400_000);
        let e = plan(
            &r,
            &RebalanceOptions {
                from_chan: Some(1),
                to_chan: Some(1),
                ..opts()
            },
        )
        .expect_err("same");
        assert!(matches!(e, RebalanceError::SamePeer { .. }));
        let e = plan(
            &r,
            &RebalanceOptions {
                from_chan: Some(1),
                to_chan: Some(7),
                ..opts()
            },
        )
        .expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "the node has no channel 7 (--to); see `openfatture lightning liquidity status` for channel ids"
        );
    }

    #[test]
    fn inactive_channels_and_offline_peers_are_never_used() {
        // a needs inbound; c (inactive: its peer is offline) has the most room; d is active.
        let mut offline = chan(3, "c", 1_000_000, 100_000);
        offline.active = false;
        let r = report(
            &[
                chan(1, "a", 1_000_000, 900_000),
                offline,
                chan(4, "d", 1_000_000, 400_000),
            ],
            &LiquidityPolicy::default(),
        );
        let p = plan(&r, &opts()).expect("plan");
        assert!(!p.moves.is_empty(), "{p:?}");
        assert!(
            p.moves.iter().all(|m| m.from_chan_id != 3 && m.to_chan_id != 3),
            "{p:?}"
        );
        // Named explicitly, it is refused with the reason.
        let e = plan(
            &r,
            &RebalanceOptions {
                from_chan: Some(1),
                to_chan: Some(3),
                ..opts()
            },
        )
        .expect_err("inactive");
        assert!(matches!(e, RebalanceError::InactiveChannel { chan_id: 3, .. }), "{e}");
        // An inactive channel needing inbound is not a source either.
        let mut offline_source = chan(1, "a", 1_000_000, 900_000);
        offline_source.active = false;
        let r = report(
            &[offline_source, chan(4, "d", 1_000_000, 100_000)],
            &LiquidityPolicy::default(),
        );
        assert!(plan(&r, &opts()).map(|p| p.moves.is_empty()).unwrap_or(true));
    }

    #[test]
    fn balanced_channels_need_no_moves_and_fee_limits_round_down() {
        let r = report(
            &[chan(1, "a", 1_000_000, 500_000), chan(2, "b", 1_000_000, 500_000)],
            &LiquidityPolicy::default(),
        );
        assert!(plan(&r, &opts()).expect("plan").moves.is_empty());
        assert_eq!(fee_limit_msat(1, 1), 0);
        assert_eq!(fee_limit_msat(400_000, 1000), 400_000);
        assert_eq!(fee_limit_msat(123_457, 333), 41_111);
    }
}
