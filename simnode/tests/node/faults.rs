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
