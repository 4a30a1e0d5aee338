//! SubscribeHtlcEvents: the events LND's HTLC notifier sends, as `rpcHtlcEvent` marshals them.
//!
//! A payment we send: a forward event (SEND) when its HTLC leaves on our channel, then a settle
//! (SEND) when the preimage comes back or a forward-fail (SEND). A payment we receive: a settle
//! (RECEIVE) on the incoming channel, then a final event (settled, off-chain) once the
//! resolution is locked in.

use lnd_proto::routerrpc::{self, htlc_event::Event, htlc_event::EventType};

/// An HTLC on one of our channels: (short channel id, HTLC index on it).
pub(crate) type HtlcKey = (u64, u64);

fn event(
    incoming: Option<HtlcKey>,
    outgoing: Option<HtlcKey>,
    at_ns: i64,
    kind: EventType,
    e: Event,
) -> routerrpc::HtlcEvent {
    let (incoming_channel_id, incoming_htlc_id) = incoming.unwrap_or_default();
    let (outgoing_channel_id, outgoing_htlc_id) = outgoing.unwrap_or_default();
    routerrpc::HtlcEvent {
        incoming_channel_id,
        outgoing_channel_id,
        incoming_htlc_id,
        outgoing_htlc_id,
        timestamp_ns: u64::try_from(at_ns).unwrap_or(0),
        event_type: kind as i32,
        event: Some(e),
    }
}

/// What LND sends first on every subscription.
pub(crate) fn subscribed() -> routerrpc::HtlcEvent {
    routerrpc::HtlcEvent {
        event: Some(Event::SubscribedEvent(routerrpc::SubscribedEvent {})),
        ..Default::default()
    }
}

/// Our payment's HTLC left on `outgoing` with this time lock and amount.
pub(super) fn send_forward(outgoing: HtlcKey, timelock: u32, amt_msat: u64, at_ns: i64) -> routerrpc::HtlcEvent {
    let info = routerrpc::HtlcInfo {
        incoming_timelock: 0,
        outgoing_timelock: timelock,
        incoming_amt_msat: 0,
        outgoing_amt_msat: amt_msat,
    };
    event(
        None,
        Some(outgoing),
        at_ns,
        EventType::Send,
        Event::ForwardEvent(routerrpc::ForwardEvent { info: Some(info) }),
    )
}

/// Our payment's HTLC on `outgoing` failed back.
pub(super) fn send_fail(outgoing: HtlcKey, at_ns: i64) -> routerrpc::HtlcEvent {
    event(
        None,
        Some(outgoing),
        at_ns,
        EventType::Send,
        Event::ForwardFailEvent(routerrpc::ForwardFailEvent {}),
    )
}

/// Our payment's HTLC on `outgoing` was settled with `preimage`.
pub(super) fn send_settle(outgoing: HtlcKey, preimage: [u8; 32], at_ns: i64) -> routerrpc::HtlcEvent {
    event(
        None,
        Some(outgoing),
        at_ns,
        EventType::Send,
        Event::SettleEvent(routerrpc::SettleEvent {
            preimage: preimage.to_vec(),
        }),
    )
}

/// An HTLC paying one of our invoices, settled on `incoming` with `preimage`: the settle event
/// and the final one LND sends once the resolution is locked in.
pub(super) fn receive_settled(incoming: HtlcKey, preimage: [u8; 32], at_ns: i64) -> [routerrpc::HtlcEvent; 2] {
    [
        event(
            Some(incoming),
            None,
            at_ns,
            EventType::Receive,
            Event::SettleEvent(routerrpc::SettleEvent {
                preimage: preimage.to_vec(),
            }),
        ),
        // LND's final events carry no event type.
        event(
            Some(incoming),
            None,
            at_ns,
            EventType::Unknown,
            Event::FinalHtlcEvent(routerrpc::FinalHtlcEvent {
                settled: true,
                offchain: true,
            }),
        ),
    ]
}
