//! QueryRoutes, SubscribeChannelGraph and routerrpc's SubscribeHtlcEvents, as LND 0.21 answers
//! them, under their macaroon permissions.

use std::time::Duration;

use crate::common;

use common::{circular_payment, send_payment_final, start_two_peers as start, TestNode};
use futures::StreamExt;
use lnd_proto::lnrpc;
use lnd_proto::routerrpc::{self, htlc_event::Event, htlc_event::EventType};
use simnode::{MacaroonKind, PayOptions};
use tonic::Code;

async fn block_height(t: &mut TestNode) -> u32 {
    t.ln.get_info(lnrpc::GetInfoRequest {})
        .await
        .expect("GetInfo")
        .into_inner()
        .block_height
}

async fn query(
    t: &TestNode,
    kind: MacaroonKind,
    req: lnrpc::QueryRoutesRequest,
) -> Result<lnrpc::QueryRoutesResponse, tonic::Status> {
    t.ln_with(kind).query_routes(req).await.map(tonic::Response::into_inner)
}

#[tokio::test]
#[allow(deprecated)]
async fn query_routes_reaches_a_peer_in_one_free_hop() {
    let (mut t, alice, _bob) = start().await;
    let height = block_height(&mut t).await;
    let req = lnrpc::QueryRoutesRequest {
        pub_key: alice.remote_pubkey.clone(),
        amt: 10_000,
        ..Default::default()
    };
    // LND: info:read, which the read-only macaroon has and the invoice macaroon lacks.
    let refused = query(&t, MacaroonKind::Invoice, req.clone())
        .await
        .expect_err("invoice macaroon");
    assert_eq!(refused.message(), "permission denied");
    let resp = query(&t, MacaroonKind::Readonly, req).await.expect("QueryRoutes");
    assert_eq!(resp.routes.len(), 1);
    assert_eq!(resp.success_prob, 1.0);
    let route = &resp.routes[0];
    assert_eq!(route.hops.len(), 1, "{route:?}");
    let hop = &route.hops[0];
    assert_eq!(hop.chan_id, alice.chan_id);
    assert_eq!(hop.pub_key, alice.remote_pubkey);
    assert_eq!((hop.fee_msat, hop.amt_to_forward_msat), (0, 10_000_000));
    // The default final CLTV delta is LND's bitcoin.timelockdelta, 80, with no block padding.
    assert_eq!(hop.expiry, height + 80);
    assert_eq!(route.total_time_lock, height + 80);
    assert_eq!((route.total_amt_msat, route.total_fees_msat), (10_000_000, 0));
    // LND's MarshallRoute puts the amount reaching the hop where the capacity would be.
    assert_eq!(hop.chan_capacity, 10_000);
    assert!(hop.tlv_payload);
}

#[tokio::test]
async fn query_routes_back_to_self_matches_the_circular_payment_it_describes() {
    let (mut t, alice, bob) = start().await;
    let own = t.node.node_pubkey_hex();
    let height = block_height(&mut t).await;
    let amt_sat = 200_000;
    let resp = query(
        &t,
        MacaroonKind::Admin,
        lnrpc::QueryRoutesRequest {
            pub_key: own.clone(),
            amt: amt_sat,
            outgoing_chan_ids: vec![alice.chan_id],
            last_hop_pubkey: hex::decode(&bob.remote_pubkey).expect("hex"),
            fee_limit: Some(lnrpc::FeeLimit {
                limit: Some(lnrpc::fee_limit::Limit::FixedMsat(100_000)),
            }),
            final_cltv_delta: 40,
            ..Default::default()
        },
    )
    .await
    .expect("QueryRoutes");
    let route = &resp.routes[0];
    let keys: Vec<&str> = route.hops.iter().map(|h| h.pub_key.as_str()).collect();
    assert_eq!(
        keys,
        [alice.remote_pubkey.as_str(), bob.remote_pubkey.as_str(), own.as_str()]
    );
    assert_eq!(route.hops[0].chan_id, alice.chan_id);
    assert_eq!(route.hops[2].chan_id, bob.chan_id);
    // bob charges 250 ppm on 200,000 sat = 50,000 msat; alice 1,000 msat + 100 ppm on what she
    // forwards (200,050 sat) = 21,005 msat.
    assert_eq!(route.hops[1].fee_msat, 50_000);
    assert_eq!(route.hops[0].fee_msat, 21_005);
    assert_eq!(route.total_fees_msat, 71_005);
    assert_eq!(route.total_amt_msat, 200_000_000 + 71_005);
    assert_eq!(route.total_time_lock, height + 40 + 2 * 80);

    // The payment of an invoice for the same amount over the same channels pays these fees.
    let inv = t.add_invoice(amt_sat, "rebalance").await;
    let mut rt = t.router_with(MacaroonKind::Admin);
    let paid = send_payment_final(
        &mut rt,
        circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 100_000),
    )
    .await;
    let used = paid.htlcs.last().and_then(|a| a.route.clone()).expect("route");
    assert_eq!(used.total_fees_msat, route.total_fees_msat);
    let chans = |r: &lnrpc::Route| r.hops.iter().map(|h| h.chan_id).collect::<Vec<_>>();
    assert_eq!(chans(&used), chans(route));

    // A fee limit below those fees finds nothing.
    let err = query(
        &t,
        MacaroonKind::Admin,
        lnrpc::QueryRoutesRequest {
            pub_key: own,
            amt: amt_sat,
            outgoing_chan_ids: vec![alice.chan_id],
            fee_limit: Some(lnrpc::FeeLimit {
                limit: Some(lnrpc::fee_limit::Limit::Fixed(70)),
            }),
            ..Default::default()
        },
    )
    .await
    .expect_err("fee limit");
    assert_eq!(err.message(), "unable to find a path to destination");
}

#[tokio::test]
async fn query_routes_refuses_as_lnd_does() {
    let (t, alice, _bob) = start().await;
    let stranger = format!("02{}", "11".repeat(32));
    let cases: Vec<(lnrpc::QueryRoutesRequest, &str)> = vec![
        (
            lnrpc::QueryRoutesRequest {
                pub_key: stranger,
                amt: 1_000,
                ..Default::default()
            },
            "unable to find a path to destination",
        ),
        (
            lnrpc::QueryRoutesRequest {
                pub_key: alice.remote_pubkey.clone(),
                amt: 5_000_000,
                ..Default::default()
            },
            "insufficient local balance",
        ),
        (
            lnrpc::QueryRoutesRequest {
                pub_key: "02abcd".to_string(),
                amt: 1_000,
                ..Default::default()
            },
            "invalid vertex length of 3, want 33",
        ),
        (
            lnrpc::QueryRoutesRequest {
                pub_key: alice.remote_pubkey.clone(),
                amt: 1_000,
                amt_msat: 1_000_000,
                ..Default::default()
            },
            "sat and msat arguments are mutually exclusive",
        ),
        (
            lnrpc::QueryRoutesRequest {
                pub_key: alice.remote_pubkey.clone(),
                amt: 1_000,
                cltv_limit: 3_000,
                ..Default::default()
            },
            "total time lock of 3000 exceeds max allowed 2016",
        ),
    ];
    for (req, message) in cases {
        let err = query(&t, MacaroonKind::Admin, req).await.expect_err(message);
        assert_eq!((err.code(), err.message()), (Code::Unknown, message));
    }
}

async fn next<T>(stream: &mut tonic::Streaming<T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event in time")
        .expect("stream open")
        .expect("event")
}

#[tokio::test]
async fn channel_graph_stream_reports_our_policy_updates_and_closed_channels() {
    use lnrpc::policy_update_request::Scope;
    let (t, alice, bob) = start().await;
    let own = t.node.node_pubkey_hex();
    let refused = t
        .ln_with(MacaroonKind::Invoice)
        .subscribe_channel_graph(lnrpc::GraphTopologySubscription {})
        .await
        .expect_err("invoice macaroon");
    assert_eq!(refused.message(), "permission denied");
    let mut graph = t
        .ln_with(MacaroonKind::Readonly)
        .subscribe_channel_graph(lnrpc::GraphTopologySubscription {})
        .await
        .expect("SubscribeChannelGraph")
        .into_inner();

    let (txid, index) = bob.channel_point.split_once(':').expect("txid:index");
    t.ln.clone()
        .update_channel_policy(lnrpc::PolicyUpdateRequest {
            scope: Some(Scope::ChanPoint(lnrpc::ChannelPoint {
                funding_txid: Some(lnrpc::channel_point::FundingTxid::FundingTxidStr(txid.to_string())),
                output_index: index.parse().expect("index"),
            })),
            base_fee_msat: 2_500,
            fee_rate_ppm: 350,
            time_lock_delta: 144,
            ..Default::default()
        })
        .await
        .expect("UpdateChannelPolicy");
    let update = next(&mut graph).await;
    assert_eq!(update.channel_updates.len(), 1, "{update:?}");
    let edge = &update.channel_updates[0];
    assert_eq!(edge.chan_id, bob.chan_id);
    assert_eq!(
        (edge.advertising_node.as_str(), edge.connecting_node.as_str()),
        (own.as_str(), bob.remote_pubkey.as_str())
    );
    let policy = edge.routing_policy.expect("policy");
    assert_eq!(
        (policy.fee_base_msat, policy.fee_rate_milli_msat, policy.time_lock_delta),
        (2_500, 350, 144)
    );

    simnode::fault(
        &t.data_dir(),
        simnode::FaultCommand::ForceClose {
            chan_id: alice.chan_id,
            remote: true,
        },
    )
    .await
    .expect("force close");
    let update = next(&mut graph).await;
    assert!(update.channel_updates.is_empty());
    assert_eq!(update.closed_chans.len(), 1, "{update:?}");
    assert_eq!(update.closed_chans[0].chan_id, alice.chan_id);
    assert_eq!(update.closed_chans[0].capacity, 1_000_000);
    assert!(update.closed_chans[0].closed_height > 0);
}

#[tokio::test]
async fn htlc_events_follow_a_received_and_a_sent_payment() {
    let (mut t, alice, bob) = start().await;
    let refused = t
        .router_with(MacaroonKind::Invoice)
        .subscribe_htlc_events(routerrpc::SubscribeHtlcEventsRequest {})
        .await
        .expect_err("invoice macaroon");
    assert_eq!(refused.message(), "permission denied");
    let mut events = t
        .router_with(MacaroonKind::Readonly)
        .subscribe_htlc_events(routerrpc::SubscribeHtlcEventsRequest {})
        .await
        .expect("SubscribeHtlcEvents")
        .into_inner();
    let first = next(&mut events).await;
    assert!(matches!(first.event, Some(Event::SubscribedEvent(_))), "{first:?}");

    // A customer pays one of our invoices: settle (RECEIVE), then the final event.
    let inv = t.add_invoice(5_000, "coffee").await;
    simnode::pay(&t.data_dir(), &inv.payment_request, PayOptions::default())
        .await
        .expect("pay");
    let preimage = t.lookup(&inv.r_hash).await.r_preimage;
    let settle = next(&mut events).await;
    assert_eq!(settle.event_type, EventType::Receive as i32);
    assert!(
        settle.incoming_channel_id != 0 && settle.outgoing_channel_id == 0,
        "{settle:?}"
    );
    match &settle.event {
        Some(Event::SettleEvent(e)) => assert_eq!(e.preimage, preimage),
        other => panic!("expected a settle event, got {other:?}"),
    }
    let last = next(&mut events).await;
    assert_eq!(last.event_type, EventType::Unknown as i32);
    assert_eq!(
        (last.incoming_channel_id, last.incoming_htlc_id),
        (settle.incoming_channel_id, settle.incoming_htlc_id)
    );
    assert!(matches!(
        last.event,
        Some(Event::FinalHtlcEvent(routerrpc::FinalHtlcEvent {
            settled: true,
            offchain: true
        }))
    ));

    // We pay ourselves in a circle: forward (SEND) out over alice, the receive over bob, then
    // the settle (SEND) of our outgoing HTLC.
    let inv = t.add_invoice(20_000, "rebalance").await;
    let mut rt = t.router_with(MacaroonKind::Admin);
    send_payment_final(
        &mut rt,
        circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 100_000),
    )
    .await;
    let forward = next(&mut events).await;
    assert_eq!(forward.event_type, EventType::Send as i32);
    assert_eq!(forward.outgoing_channel_id, alice.chan_id);
    match &forward.event {
        Some(Event::ForwardEvent(e)) => {
            let info = e.info.expect("info");
            assert!(info.outgoing_amt_msat > 20_000_000, "amount with fees: {info:?}");
            assert!(info.outgoing_timelock > 0);
        }
        other => panic!("expected a forward event, got {other:?}"),
    }
    let receive = next(&mut events).await;
    assert_eq!(
        (receive.event_type, receive.incoming_channel_id),
        (EventType::Receive as i32, bob.chan_id)
    );
    let _final = next(&mut events).await;
    let sent = next(&mut events).await;
    assert_eq!(sent.event_type, EventType::Send as i32);
    assert_eq!(
        (sent.outgoing_channel_id, sent.outgoing_htlc_id),
        (forward.outgoing_channel_id, forward.outgoing_htlc_id)
    );
    let preimage = t.lookup(&inv.r_hash).await.r_preimage;
    match &sent.event {
        Some(Event::SettleEvent(e)) => assert_eq!(e.preimage, preimage),
        other => panic!("expected a settle event, got {other:?}"),
    }
}
