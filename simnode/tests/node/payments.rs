//! Simulated incoming payments through the control surface: settle, liquidity, hold invoices,
//! cancel, expiry and multi-part payments.

use crate::common;

use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use common::{eventually_invoice, TestNode};
use futures::StreamExt;
use lnd_proto::invoicesrpc;
use lnd_proto::lnrpc::{self, invoice::InvoiceState};
use simnode::{PayOptions, PayStatus, SimNodeError};

#[tokio::test]
async fn payment_settles_moves_balance_and_increments_settle_index() {
    let mut t = TestNode::start().await;
    let before = t.channels().await;
    let first = t.add_invoice(100_000, "one").await;
    let second = t.add_invoice(50_000, "two").await;

    let outcome = simnode::pay(&t.data_dir(), &first.payment_request, PayOptions::default())
        .await
        .expect("pay");
    assert_eq!(outcome.status, PayStatus::Settled);
    assert_eq!(outcome.amount_msat, 100_000_000);
    let inv = t.lookup(&first.r_hash).await;
    assert_eq!(inv.state, InvoiceState::Settled as i32);
    assert!(inv.settled);
    assert_eq!(inv.settle_index, 1);
    assert!(inv.settle_date > 0);
    assert_eq!((inv.amt_paid_sat, inv.amt_paid_msat), (100_000, 100_000_000));
    assert_eq!(inv.htlcs.len(), 1);
    assert_eq!(inv.htlcs[0].state, lnrpc::InvoiceHtlcState::Settled as i32);
    assert_eq!(inv.htlcs[0].chan_id, outcome.chan_id);
    assert_eq!(outcome.preimage_hex, Some(hex::encode(&inv.r_preimage)));

    let after = t.channels().await;
    let chan = |cs: &[lnrpc::Channel]| cs.iter().find(|c| c.chan_id == outcome.chan_id).cloned().expect("chan");
    assert_eq!(chan(&after).local_balance, chan(&before).local_balance + 100_000);
    assert_eq!(chan(&after).remote_balance, chan(&before).remote_balance - 100_000);

    simnode::pay(&t.data_dir(), &second.payment_request, PayOptions::default())
        .await
        .expect("pay");
    assert_eq!(t.lookup(&second.r_hash).await.settle_index, 2);

    let again = simnode::pay(&t.data_dir(), &first.payment_request, PayOptions::default()).await;
    assert!(
        matches!(&again, Err(SimNodeError::PaymentFailed(m)) if m.contains("already paid")),
        "{again:?}"
    );
    t.node.shutdown().await;
}

#[tokio::test]
async fn insufficient_inbound_liquidity_fails_with_the_shortfall() {
    let mut t = TestNode::start().await;
    // Default topology: the largest inbound room is 2,500,000 - 50,000 reserve = 2,450,000 sat.
    let big = t.add_invoice(3_000_000, "too big").await;
    let err = simnode::pay(&t.data_dir(), &big.payment_request, PayOptions::default())
        .await
        .expect_err("no route");
    match err {
        SimNodeError::PaymentFailed(m) => {
            assert!(m.contains("insufficient inbound liquidity"), "{m}");
            assert!(m.contains("short by 550000 sat"), "{m}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(t.lookup(&big.r_hash).await.state, InvoiceState::Open as i32);

    // Forcing the mostly-local channel: 200,000 remote - 20,000 reserve = 180,000 sat room.
    let channels = t.channels().await;
    let alice = channels[0].chan_id;
    let mid = t.add_invoice(200_000, "via alice").await;
    let opts = PayOptions {
        via_chan_id: Some(alice),
        amount_msat: None,
    };
    let err = simnode::pay(&t.data_dir(), &mid.payment_request, opts)
        .await
        .expect_err("alice too small");
    assert!(err.to_string().contains("short by 20000 sat"), "{err}");
    let ok = t.add_invoice(180_000, "exactly the room").await;
    let outcome = simnode::pay(
        &t.data_dir(),
        &ok.payment_request,
        PayOptions {
            via_chan_id: Some(alice),
            amount_msat: None,
        },
    )
    .await
    .expect("fits");
    assert_eq!(outcome.chan_id, alice);
    t.node.shutdown().await;
}

#[tokio::test]
async fn hold_invoice_accepts_then_settles_with_the_preimage() {
    let mut t = TestNode::start().await;
    let preimage = [42u8; 32];
    let hash = sha256::Hash::hash(&preimage).to_byte_array().to_vec();
    let added = t
        .inv
        .add_hold_invoice(invoicesrpc::AddHoldInvoiceRequest {
            hash: hash.clone(),
            value: 10_000,
            memo: "hold".into(),
            ..Default::default()
        })
        .await
        .expect("AddHoldInvoice")
        .into_inner();
    let mut updates = t
        .inv
        .subscribe_single_invoice(invoicesrpc::SubscribeSingleInvoiceRequest { r_hash: hash.clone() })
        .await
        .expect("subscribe")
        .into_inner();
    let first = updates.next().await.expect("current state").expect("ok");
    assert_eq!(first.state, InvoiceState::Open as i32);
    assert!(first.r_preimage.is_empty(), "preimage unknown for hold invoices");

    let err = t
        .inv
        .settle_invoice(invoicesrpc::SettleInvoiceMsg {
            preimage: preimage.to_vec(),
        })
        .await
        .expect_err("nothing to settle yet");
    assert_eq!(err.message(), "invoice still open");

    let outcome = simnode::pay(&t.data_dir(), &added.payment_request, PayOptions::default())
        .await
        .expect("pay");
    assert_eq!(outcome.status, PayStatus::HoldAccepted);
    assert_eq!(outcome.preimage_hex, None);
    let accepted = updates.next().await.expect("accepted").expect("ok");
    assert_eq!(accepted.state, InvoiceState::Accepted as i32);
    assert_eq!(accepted.amt_paid_sat, 10_000);
    assert_eq!(accepted.htlcs[0].state, lnrpc::InvoiceHtlcState::Accepted as i32);
    let balance =
        t.ln.channel_balance(lnrpc::ChannelBalanceRequest {})
            .await
            .expect("balance")
            .into_inner();
    assert_eq!(balance.unsettled_local_balance.map(|a| a.sat), Some(10_000));

    t.inv
        .settle_invoice(invoicesrpc::SettleInvoiceMsg {
            preimage: preimage.to_vec(),
        })
        .await
        .expect("SettleInvoice");
    let settled = updates.next().await.expect("settled").expect("ok");
    assert_eq!(settled.state, InvoiceState::Settled as i32);
    assert_eq!(settled.r_preimage, preimage.to_vec());
    assert_eq!(settled.settle_index, 1);
    assert!(
        updates.next().await.is_none(),
        "stream ends after a final state, as LND"
    );

    let err = t
        .inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg { payment_hash: hash })
        .await
        .expect_err("settled");
    assert_eq!(err.message(), "invoice already settled");
    t.node.shutdown().await;
}

#[tokio::test]
async fn canceling_open_and_accepted_invoices() {
    let mut t = TestNode::start().await;
    let open = t.add_invoice(1_000, "cancel me").await;
    t.inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg {
            payment_hash: open.r_hash.clone(),
        })
        .await
        .expect("cancel open");
    assert_eq!(t.lookup(&open.r_hash).await.state, InvoiceState::Canceled as i32);
    t.inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg {
            payment_hash: open.r_hash.clone(),
        })
        .await
        .expect("canceling twice is fine, as LND");
    let err = simnode::pay(&t.data_dir(), &open.payment_request, PayOptions::default())
        .await
        .expect_err("canceled");
    assert!(err.to_string().contains("canceled"), "{err}");

    let hash = sha256::Hash::hash(&[5u8; 32]).to_byte_array().to_vec();
    let hold = t
        .inv
        .add_hold_invoice(invoicesrpc::AddHoldInvoiceRequest {
            hash: hash.clone(),
            value: 7_000,
            ..Default::default()
        })
        .await
        .expect("hold")
        .into_inner();
    let before = t.channels().await;
    let outcome = simnode::pay(&t.data_dir(), &hold.payment_request, PayOptions::default())
        .await
        .expect("pay");
    t.inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg {
            payment_hash: hash.clone(),
        })
        .await
        .expect("cancel accepted");
    let inv = t.lookup(&hash).await;
    assert_eq!(inv.state, InvoiceState::Canceled as i32);
    assert_eq!(inv.htlcs[0].state, lnrpc::InvoiceHtlcState::Canceled as i32);
    let after = t.channels().await;
    let chan = |cs: &[lnrpc::Channel]| cs.iter().find(|c| c.chan_id == outcome.chan_id).cloned().expect("chan");
    assert_eq!(
        chan(&after).remote_balance,
        chan(&before).remote_balance,
        "HTLC failed back"
    );
    assert_eq!(chan(&after).unsettled_balance, 0);

    let err = t
        .inv
        .cancel_invoice(invoicesrpc::CancelInvoiceMsg {
            payment_hash: vec![3; 32],
        })
        .await
        .expect_err("unknown");
    assert_eq!(err.message(), "unable to locate invoice");
    t.node.shutdown().await;
}

#[tokio::test]
async fn expired_open_invoices_are_canceled_by_the_watcher() {
    let mut t = TestNode::start().await;
    let added =
        t.ln.add_invoice(lnrpc::Invoice {
            value: 1_000,
            expiry: 1,
            ..Default::default()
        })
        .await
        .expect("AddInvoice")
        .into_inner();
    assert_eq!(t.lookup(&added.r_hash).await.state, InvoiceState::Open as i32);
    let canceled = eventually_invoice(&t.ln, &added.r_hash, Duration::from_secs(4), |inv| {
        inv.state == InvoiceState::Canceled as i32
    })
    .await;
    assert!(canceled, "invoice with 1 s expiry must be canceled");
    let err = simnode::pay(&t.data_dir(), &added.payment_request, PayOptions::default())
        .await
        .expect_err("expired");
    assert!(err.to_string().contains("canceled"), "{err}");
    t.node.shutdown().await;
}

#[tokio::test]
async fn partial_payments_settle_when_the_parts_add_up() {
    let mut t = TestNode::start().await;
    let added = t.add_invoice(10_000, "two parts").await;
    let part = PayOptions {
        via_chan_id: None,
        amount_msat: Some(4_000_000),
    };
    let first = simnode::pay(&t.data_dir(), &added.payment_request, part)
        .await
        .expect("first part");
    assert_eq!(first.status, PayStatus::PartAccepted);
    let inv = t.lookup(&added.r_hash).await;
    assert_eq!(inv.state, InvoiceState::Open as i32);
    assert_eq!(inv.amt_paid_msat, 0, "LND counts no payment while the invoice is open");
    assert_eq!(inv.htlcs.len(), 1);
    assert_eq!(inv.htlcs[0].state, lnrpc::InvoiceHtlcState::Accepted as i32);
    assert_eq!(inv.htlcs[0].mpp_total_amt_msat, 10_000_000);

    let too_much = PayOptions {
        via_chan_id: None,
        amount_msat: Some(7_000_000),
    };
    let err = simnode::pay(&t.data_dir(), &added.payment_request, too_much)
        .await
        .expect_err("over the rest");
    assert!(err.to_string().contains("exceeds"), "{err}");

    let second = simnode::pay(&t.data_dir(), &added.payment_request, PayOptions::default())
        .await
        .expect("rest");
    assert_eq!(second.status, PayStatus::Settled);
    assert_eq!(second.amount_msat, 6_000_000);
    let inv = t.lookup(&added.r_hash).await;
    assert_eq!(inv.state, InvoiceState::Settled as i32);
    assert_eq!(inv.amt_paid_msat, 10_000_000);
    assert!(inv
        .htlcs
        .iter()
        .all(|h| h.state == lnrpc::InvoiceHtlcState::Settled as i32));
    t.node.shutdown().await;
}

#[tokio::test]
async fn zero_amount_invoices_need_an_amount() {
    let mut t = TestNode::start().await;
    let added = t.add_invoice(0, "donation").await;
    let err = simnode::pay(&t.data_dir(), &added.payment_request, PayOptions::default())
        .await
        .expect_err("no amount");
    assert!(err.to_string().contains("amount must be specified"), "{err}");
    let opts = PayOptions {
        via_chan_id: None,
        amount_msat: Some(12_345),
    };
    let outcome = simnode::pay(&t.data_dir(), &added.payment_request, opts)
        .await
        .expect("pay");
    assert_eq!(outcome.status, PayStatus::Settled);
    let inv = t.lookup(&added.r_hash).await;
    assert_eq!((inv.amt_paid_msat, inv.amt_paid_sat), (12_345, 12));
    t.node.shutdown().await;
}

#[tokio::test]
async fn paying_a_foreign_or_garbage_invoice_fails_clearly() {
    let t = TestNode::start().await;
    let mut other = TestNode::start().await;
    let foreign = other.add_invoice(1_000, "not yours").await;
    let err = simnode::pay(&t.data_dir(), &foreign.payment_request, PayOptions::default())
        .await
        .expect_err("foreign");
    assert!(err.to_string().contains("not to this simnode"), "{err}");
    let err = simnode::pay(&t.data_dir(), "lnbcrt1nonsense", PayOptions::default())
        .await
        .expect_err("garbage");
    assert!(matches!(err, SimNodeError::PaymentFailed(_)), "{err:?}");
    t.node.shutdown().await;
    other.node.shutdown().await;
}
