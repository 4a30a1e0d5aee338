//! SubscribeInvoices with LND's semantics: backlog strictly after the given indexes, only OPEN
//! and SETTLED invoices, no duplicates, and live add/settle events (cancel/accept not streamed).

use crate::common;

use std::time::Duration;

use common::TestNode;
use futures::StreamExt;
use lnd_proto::invoicesrpc;
use lnd_proto::lnrpc::{self, invoice::InvoiceState};
use simnode::PayOptions;
use tonic::Streaming;

async fn next(stream: &mut Streaming<lnrpc::Invoice>) -> lnrpc::Invoice {
    tokio::time::timeout(Duration::from_secs(3), stream.next())
        .await
        .expect("an event within 3 s")
        .expect("stream open")
        .expect("no error")
}

async fn assert_quiet(stream: &mut Streaming<lnrpc::Invoice>) {
    if let Ok(item) = tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
        panic!("unexpected event {:?}", item.map(|r| r.map(|i| (i.add_index, i.state))));
    }
}

async fn subscribe(t: &mut TestNode, add_index: u64, settle_index: u64) -> Streaming<lnrpc::Invoice> {
    t.ln.subscribe_invoices(lnrpc::InvoiceSubscription {
        add_index,
        settle_index,
    })
    .await
    .expect("SubscribeInvoices")
    .into_inner()
}

fn summary(inv: &lnrpc::Invoice) -> (u64, i32, u64) {
    (inv.add_index, inv.state, inv.settle_index)
}

const OPEN: i32 = InvoiceState::Open as i32;
const SETTLED: i32 = InvoiceState::Settled as i32;

#[tokio::test]
async fn backlog_is_strictly_after_the_indexes_without_duplicates_or_cancels() {
    let mut t = TestNode::start().await;
    let mut invoices = Vec::new();
    for i in 1..=4 {
        invoices.push(t.add_invoice(1_000 * i, &format!("inv {i}")).await);
    }
    let dir = t.data_dir();
    simnode::pay(&dir, &invoices[1].payment_request, PayOptions::default())
        .await
        .expect("pay #2");
    simnode::pay(&dir, &invoices[2].payment_request, PayOptions::default())
        .await
        .expect("pay #3");
    t.inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg {
            payment_hash: invoices[3].r_hash.clone(),
        })
        .await
        .expect("cancel #4");

    let mut none = subscribe(&mut t, 0, 0).await;
    let mut after_add_2 = subscribe(&mut t, 2, 0).await;
    let mut after_settle_1 = subscribe(&mut t, 0, 1).await;
    let mut both = subscribe(&mut t, 1, 1).await;

    assert_eq!(summary(&next(&mut after_add_2).await), (3, SETTLED, 2));
    assert_eq!(summary(&next(&mut after_settle_1).await), (3, SETTLED, 2));
    assert_eq!(summary(&next(&mut both).await), (2, SETTLED, 1));
    assert_eq!(summary(&next(&mut both).await), (3, SETTLED, 2));

    // Live: a new invoice, its cancel (not streamed), another invoice and its settle.
    let fifth = t.add_invoice(5_000, "inv 5").await;
    t.inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg {
            payment_hash: fifth.r_hash.clone(),
        })
        .await
        .expect("cancel #5");
    let sixth = t.add_invoice(6_000, "inv 6").await;
    simnode::pay(&dir, &sixth.payment_request, PayOptions::default())
        .await
        .expect("pay #6");

    for stream in [&mut none, &mut after_add_2, &mut after_settle_1, &mut both] {
        assert_eq!(summary(&next(stream).await), (5, OPEN, 0));
        assert_eq!(summary(&next(stream).await), (6, OPEN, 0));
        assert_eq!(summary(&next(stream).await), (6, SETTLED, 3));
        assert_quiet(stream).await;
    }
    t.node.shutdown().await;
}

#[tokio::test]
async fn accepted_hold_invoices_are_not_streamed_but_their_settle_is() {
    let mut t = TestNode::start().await;
    let mut stream = subscribe(&mut t, 0, 0).await;
    let preimage = [8u8; 32];
    use bitcoin::hashes::{sha256, Hash};
    let hash = sha256::Hash::hash(&preimage).to_byte_array().to_vec();
    let hold = t
        .inv
        .add_hold_invoice(invoicesrpc::AddHoldInvoiceRequest {
            hash,
            value: 2_000,
            ..Default::default()
        })
        .await
        .expect("hold")
        .into_inner();
    assert_eq!(summary(&next(&mut stream).await), (1, OPEN, 0));
    simnode::pay(&t.data_dir(), &hold.payment_request, PayOptions::default())
        .await
        .expect("pay");
    assert_quiet(&mut stream).await;
    t.inv
        .settle_invoice(invoicesrpc::SettleInvoiceMsg {
            preimage: preimage.to_vec(),
        })
        .await
        .expect("settle");
    assert_eq!(summary(&next(&mut stream).await), (1, SETTLED, 1));
    t.node.shutdown().await;
}

#[tokio::test]
async fn single_invoice_stream_starts_with_the_current_state_and_sees_cancel() {
    let mut t = TestNode::start().await;
    let added = t.add_invoice(3_000, "watch me").await;
    let mut stream = t
        .inv
        .subscribe_single_invoice(invoicesrpc::SubscribeSingleInvoiceRequest {
            r_hash: added.r_hash.clone(),
        })
        .await
        .expect("subscribe")
        .into_inner();
    assert_eq!(next(&mut stream).await.state, OPEN);
    t.inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg {
            payment_hash: added.r_hash.clone(),
        })
        .await
        .expect("cancel");
    assert_eq!(next(&mut stream).await.state, InvoiceState::Canceled as i32);
    assert!(stream.next().await.is_none(), "final state ends the stream");

    let err = t
        .inv
        .subscribe_single_invoice(invoicesrpc::SubscribeSingleInvoiceRequest { r_hash: vec![1; 3] })
        .await
        .expect_err("bad hash");
    assert_eq!(err.message(), "invalid hash length of 3, want 32");
    t.node.shutdown().await;
}

#[tokio::test]
async fn single_invoice_stream_sees_a_hold_invoice_accepted_then_settled() {
    let t = TestNode::start().await;
    let mut inv = t.inv.clone();
    let preimage = [9u8; 32];
    use bitcoin::hashes::{sha256, Hash};
    let hash = sha256::Hash::hash(&preimage).to_byte_array().to_vec();
    let hold = inv
        .add_hold_invoice(invoicesrpc::AddHoldInvoiceRequest {
            hash: hash.clone(),
            value: 4_000,
            ..Default::default()
        })
        .await
        .expect("hold")
        .into_inner();
    let mut stream = inv
        .subscribe_single_invoice(invoicesrpc::SubscribeSingleInvoiceRequest { r_hash: hash })
        .await
        .expect("subscribe")
        .into_inner();
    assert_eq!(next(&mut stream).await.state, OPEN);
    simnode::pay(&t.data_dir(), &hold.payment_request, PayOptions::default())
        .await
        .expect("pay");
    assert_eq!(next(&mut stream).await.state, InvoiceState::Accepted as i32);
    inv.settle_invoice(invoicesrpc::SettleInvoiceMsg {
        preimage: preimage.to_vec(),
    })
    .await
    .expect("settle");
    let settled = next(&mut stream).await;
    assert_eq!(settled.state, SETTLED);
    assert_eq!(settled.r_preimage, preimage.to_vec());
    assert_eq!(settled.amt_paid_sat, 4_000);
    assert!(
        tokio::time::timeout(Duration::from_secs(3), stream.next())
            .await
            .expect("ends")
            .is_none(),
        "final state ends the stream"
    );
    t.node.shutdown().await;
}
