//! Injected faults as a client sees them: deadline exceeded, UNAVAILABLE, streams ending.

use crate::common;

use std::time::{Duration, Instant};

use common::TestNode;
use futures::StreamExt;
use lnd_proto::lnrpc;
use simnode::FaultCommand;
use tonic::{Code, Request};

fn with_timeout<T>(message: T, timeout: Duration) -> Request<T> {
    let mut request = Request::new(message);
    request.set_timeout(timeout);
    request
}

#[tokio::test]
async fn latency_makes_calls_miss_their_deadline_until_cleared() {
    let mut t = TestNode::start().await;
    let dir = t.data_dir();
    simnode::fault(
        &dir,
        FaultCommand::Latency {
            ms: 400,
            method: Some("GetInfo".into()),
        },
    )
    .await
    .expect("fault");
    let err =
        t.ln.get_info(with_timeout(lnrpc::GetInfoRequest {}, Duration::from_millis(150)))
            .await
            .expect_err("too slow");
    assert_eq!(err.code(), Code::DeadlineExceeded);
    // Other methods are not delayed.
    let started = Instant::now();
    t.ln.list_channels(lnrpc::ListChannelsRequest::default())
        .await
        .expect("ListChannels");
    assert!(started.elapsed() < Duration::from_millis(300));
    // Without a deadline the delayed call still succeeds.
    let started = Instant::now();
    t.ln.get_info(lnrpc::GetInfoRequest {}).await.expect("GetInfo");
    assert!(started.elapsed() >= Duration::from_millis(400));

    simnode::fault(&dir, FaultCommand::Clear).await.expect("clear");
    t.ln.get_info(with_timeout(lnrpc::GetInfoRequest {}, Duration::from_millis(300)))
        .await
        .expect("fast again");
    t.node.shutdown().await;
}

#[tokio::test]
async fn unavailable_for_the_next_calls_only() {
    let mut t = TestNode::start().await;
    simnode::fault(&t.data_dir(), FaultCommand::Unavailable { count: 2 })
        .await
        .expect("fault");
    for _ in 0..2 {
        let err = t.ln.get_info(lnrpc::GetInfoRequest {}).await.expect_err("unavailable");
        assert_eq!(err.code(), Code::Unavailable);
    }
    t.ln.get_info(lnrpc::GetInfoRequest {}).await.expect("third call works");
    t.node.shutdown().await;
}

#[tokio::test]
async fn drop_streams_ends_open_subscriptions() {
    let mut t = TestNode::start().await;
    let mut stream =
        t.ln.subscribe_invoices(lnrpc::InvoiceSubscription::default())
            .await
            .expect("subscribe")
            .into_inner();
    t.add_invoice(100, "before the fault").await;
    let first = tokio::time::timeout(Duration::from_secs(3), stream.next())
        .await
        .expect("event");
    assert!(matches!(first, Some(Ok(_))));
    simnode::fault(&t.data_dir(), FaultCommand::DropStreams)
        .await
        .expect("fault");
    let end = tokio::time::timeout(Duration::from_secs(3), stream.next())
        .await
        .expect("stream ends promptly");
    assert!(end.is_none(), "stream ended: {end:?}");

    // A new subscription works and sees new invoices.
    let mut again =
        t.ln.subscribe_invoices(lnrpc::InvoiceSubscription::default())
            .await
            .expect("subscribe again")
            .into_inner();
    t.add_invoice(200, "after the fault").await;
    let item = tokio::time::timeout(Duration::from_secs(3), again.next())
        .await
        .expect("event");
    assert_eq!(item.expect("open").expect("ok").add_index, 2);
    t.node.shutdown().await;
}

#[tokio::test]
async fn control_surface_refuses_a_wrong_token() {
    let t = TestNode::start().await;
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let response = client
        .post(format!("{}/v1/fault", t.node.control_url()))
        .bearer_auth("not-the-token")
        .json(&FaultCommand::Clear)
        .send()
        .await
        .expect("HTTP");
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    t.node.shutdown().await;
}

/// The next channel event, within 5 s.
async fn next_event(stream: &mut tonic::Streaming<lnrpc::ChannelEventUpdate>) -> lnrpc::ChannelEventUpdate {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("a channel event in time")
        .expect("stream open")
        .expect("event")
}

/// The channel point an event names, as `txid:index` in display order.
fn event_point(point: &lnrpc::ChannelPoint) -> String {
    let Some(lnrpc::channel_point::FundingTxid::FundingTxidBytes(bytes)) = &point.funding_txid else {
        panic!("funding_txid_bytes expected: {point:?}");
    };
    let mut display = bytes.clone();
    display.reverse();
    format!("{}:{}", hex::encode(display), point.output_index)
}

#[tokio::test]
async fn force_close_moves_the_channel_to_closed_channels_and_emits_events() {
    use lnrpc::channel_close_summary::ClosureType;
    use lnrpc::channel_event_update::{Channel, UpdateType};
    let mut t = TestNode::start().await;
    let dir = t.data_dir();
    let before = t.channels().await;
    let (local, remote) = (&before[0], &before[1]);
    let mut events =
        t.ln.subscribe_channel_events(lnrpc::ChannelEventSubscription {})
            .await
            .expect("SubscribeChannelEvents")
            .into_inner();

    simnode::fault(
        &dir,
        FaultCommand::ForceClose {
            chan_id: remote.chan_id,
            remote: true,
        },
    )
    .await
    .expect("force close");
    let inactive = next_event(&mut events).await;
    assert_eq!(inactive.r#type, UpdateType::InactiveChannel as i32);
    let Some(Channel::InactiveChannel(point)) = &inactive.channel else {
        panic!("inactive_channel expected: {inactive:?}");
    };
    assert_eq!(event_point(point), remote.channel_point);
    let closed = next_event(&mut events).await;
    assert_eq!(closed.r#type, UpdateType::ClosedChannel as i32);
    let Some(Channel::ClosedChannel(summary)) = &closed.channel else {
        panic!("closed_channel expected: {closed:?}");
    };
    assert_eq!(summary.chan_id, remote.chan_id);
    assert_eq!(summary.close_type, ClosureType::RemoteForceClose as i32);
    assert_eq!(summary.closing_tx_hash.len(), 64);
    assert_eq!(
        summary.settled_balance, remote.local_balance,
        "remote close: ours at once"
    );

    simnode::fault(
        &dir,
        FaultCommand::ForceClose {
            chan_id: local.chan_id,
            remote: false,
        },
    )
    .await
    .expect("local force close");

    let open: Vec<u64> = t.channels().await.iter().map(|c| c.chan_id).collect();
    assert_eq!(open, vec![before[2].chan_id], "closed channels leave ListChannels");
    let all =
        t.ln.closed_channels(lnrpc::ClosedChannelsRequest::default())
            .await
            .expect("ClosedChannels")
            .into_inner()
            .channels;
    assert_eq!(all.len(), 2);
    let local_summary = all.iter().find(|c| c.chan_id == local.chan_id).expect("local");
    assert_eq!(local_summary.close_type, ClosureType::LocalForceClose as i32);
    assert_eq!(local_summary.remote_pubkey, local.remote_pubkey);
    assert_eq!(local_summary.channel_point, local.channel_point);
    assert_eq!(local_summary.capacity, local.capacity);
    assert_eq!(
        local_summary.time_locked_balance, local.local_balance,
        "our output waits the CSV delay"
    );
    assert_eq!(local_summary.settled_balance, 0);
    // LND's filter: only the types asked for.
    let remote_only =
        t.ln.closed_channels(lnrpc::ClosedChannelsRequest {
            remote_force: true,
            ..Default::default()
        })
        .await
        .expect("ClosedChannels")
        .into_inner()
        .channels;
    assert_eq!(
        remote_only.iter().map(|c| c.chan_id).collect::<Vec<_>>(),
        vec![remote.chan_id]
    );
    let coop_only =
        t.ln.closed_channels(lnrpc::ClosedChannelsRequest {
            cooperative: true,
            ..Default::default()
        })
        .await
        .expect("ClosedChannels")
        .into_inner()
        .channels;
    assert!(coop_only.is_empty());

    // An unknown channel is refused and changes nothing.
    let err = simnode::fault(
        &dir,
        FaultCommand::ForceClose {
            chan_id: remote.chan_id,
            remote: false,
        },
    )
    .await
    .expect_err("already closed");
    assert!(err.to_string().contains("no open channel with chan_id"), "{err}");

    // The close survives a restart.
    t.node.shutdown().await;
    let node = common::restart(dir).await;
    let channel = common::connect(node.grpc_addr(), &node.tls_cert_path()).await;
    let mut ln = lnrpc::lightning_client::LightningClient::with_interceptor(
        channel,
        common::Mac::from_file(&node.macaroon_path(simnode::MacaroonKind::Admin)),
    );
    let after = ln
        .closed_channels(lnrpc::ClosedChannelsRequest::default())
        .await
        .expect("ClosedChannels")
        .into_inner()
        .channels;
    assert_eq!(after, all);
    node.shutdown().await;
}

#[tokio::test]
async fn peer_offline_drops_it_from_list_peers_and_deactivates_its_channels() {
    use lnrpc::channel_event_update::{Channel, UpdateType};
    let mut t = TestNode::start().await;
    let dir = t.data_dir();
    let before = t.channels().await;
    let bob = &before[1];
    let mut events =
        t.ln.subscribe_channel_events(lnrpc::ChannelEventSubscription {})
            .await
            .expect("SubscribeChannelEvents")
            .into_inner();

    simnode::fault(&dir, FaultCommand::PeerOffline { peer: "bob".into() })
        .await
        .expect("peer offline");
    let event = next_event(&mut events).await;
    assert_eq!(event.r#type, UpdateType::InactiveChannel as i32);
    let Some(Channel::InactiveChannel(point)) = &event.channel else {
        panic!("inactive_channel expected: {event:?}");
    };
    assert_eq!(event_point(point), bob.channel_point);
    let peers: Vec<String> =
        t.ln.list_peers(lnrpc::ListPeersRequest::default())
            .await
            .expect("ListPeers")
            .into_inner()
            .peers
            .into_iter()
            .map(|p| p.pub_key)
            .collect();
    assert_eq!(peers.len(), 2);
    assert!(!peers.contains(&bob.remote_pubkey));
    let channels = t.channels().await;
    assert!(!channels[1].active);
    assert!(channels[0].active && channels[2].active);
    let info =
        t.ln.get_info(lnrpc::GetInfoRequest {})
            .await
            .expect("GetInfo")
            .into_inner();
    assert_eq!(
        (info.num_active_channels, info.num_inactive_channels, info.num_peers),
        (2, 1, 2)
    );

    // Back online, by pubkey.
    simnode::fault(
        &dir,
        FaultCommand::PeerOnline {
            peer: bob.remote_pubkey.clone(),
        },
    )
    .await
    .expect("peer online");
    let event = next_event(&mut events).await;
    assert_eq!(event.r#type, UpdateType::ActiveChannel as i32);
    assert!(t.channels().await[1].active);

    let err = simnode::fault(&dir, FaultCommand::PeerOffline { peer: "mallory".into() })
        .await
        .expect_err("unknown peer");
    assert!(
        err.to_string().contains("no open channel with peer \"mallory\""),
        "{err}"
    );
    t.node.shutdown().await;
}
