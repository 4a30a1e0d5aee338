//! QueryRoutes on the wire: LND's request checks (`parseQueryRoutesRequest`) and its answer.

use lnd_proto::lnrpc::{self, fee_limit::Limit};
use tonic::Status;

use super::unmarshall_amt;
use crate::convert::route_to_rpc;
use crate::ledger::{FoundRoute, RouteQuery};

/// A node key as LND's `route.NewVertexFromBytes` takes it, hex.
fn vertex(bytes: &[u8]) -> Result<String, Status> {
    if bytes.len() != 33 {
        return Err(Status::unknown(format!(
            "invalid vertex length of {}, want 33",
            bytes.len()
        )));
    }
    Ok(hex::encode(bytes))
}

/// A hex node key as LND's `parsePubKey` takes it.
fn pubkey(hex_key: &str) -> Result<String, Status> {
    let bytes = hex::decode(hex_key).map_err(|e| Status::unknown(format!("encoding/hex: {e}")))?;
    vertex(&bytes)
}

/// LND's `CalculateFeeLimit` for an explicit limit; `None` when the request sets none.
fn fee_limit_msat(limit: Option<&lnrpc::FeeLimit>, amt_msat: u64) -> Option<u64> {
    match limit.and_then(|l| l.limit) {
        Some(Limit::Fixed(sat)) => Some(u64::try_from(sat).unwrap_or(0).saturating_mul(1000)),
        Some(Limit::FixedMsat(msat)) => Some(u64::try_from(msat).unwrap_or(0)),
        Some(Limit::Percent(percent)) => Some(amt_msat.saturating_mul(u64::try_from(percent).unwrap_or(0)) / 100),
        None => None,
    }
}

/// Checks a QueryRoutes request as LND does and turns it into a route query.
pub(crate) fn parse(req: &lnrpc::QueryRoutesRequest) -> Result<RouteQuery, Status> {
    let source = if req.source_pub_key.is_empty() {
        None
    } else {
        Some(pubkey(&req.source_pub_key)?)
    };
    let amt_msat = unmarshall_amt(req.amt, req.amt_msat)?;
    let target = pubkey(&req.pub_key)?;
    let final_cltv_delta =
        u32::try_from(req.final_cltv_delta).map_err(|_| Status::unknown("final_cltv_delta must not be negative"))?;
    let ignored_nodes = req.ignored_nodes.iter().map(|n| vertex(n)).collect::<Result<_, _>>()?;
    let ignored_pairs = req
        .ignored_pairs
        .iter()
        .map(|p| Ok((vertex(&p.from)?, vertex(&p.to)?)))
        .collect::<Result<_, Status>>()?;
    let last_hop = if req.last_hop_pubkey.is_empty() {
        None
    } else {
        Some(vertex(&req.last_hop_pubkey)?)
    };
    Ok(RouteQuery {
        target,
        source,
        amt_msat,
        fee_limit_msat: fee_limit_msat(req.fee_limit.as_ref(), amt_msat),
        final_cltv_delta,
        cltv_limit: req.cltv_limit,
        ignored_nodes,
        ignored_pairs,
        outgoing_chan_ids: req.outgoing_chan_ids.clone(),
        last_hop,
        use_mission_control: req.use_mission_control,
    })
}

/// The QueryRoutes answer: the one route LND returns, and its success probability.
pub(crate) fn response(found: &FoundRoute) -> lnrpc::QueryRoutesResponse {
    lnrpc::QueryRoutesResponse {
        routes: vec![route_to_rpc(&found.hops, found.total_time_lock)],
        success_prob: found.success_prob,
    }
}
