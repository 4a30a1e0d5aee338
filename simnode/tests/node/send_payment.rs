//! SendPaymentV2 / TrackPaymentV2: circular self-payments over real TLS gRPC.

use crate::common;

use common::{
    circular_payment, restart, send_payment, send_payment_final, start_two_peers as start, track, track_first,
    two_peers as two, Mac,
};
use futures::StreamExt;
use lnd_proto::lnrpc::{self, payment::PaymentStatus, PaymentFailureReason};
use lnd_proto::routerrpc::router_client::RouterClient;
use simnode::MacaroonKind;
use tonic::Code;

#[tokio::test]
async fn circular_payment_moves_balances_charges_fees_and_settles_invoice() {
    let (mut t, alice, bob) = start().await;
    let mut sub =
        t.ln.subscribe_invoices(lnrpc::InvoiceSubscription::default())
            .await
            .expect("subscribe")
            .into_inner();
    let inv = t.add_invoice(200_000, "rebalance").await;
    let mut rt = t.router_with(MacaroonKind::Admin);
    let updates = send_payment(
        &mut rt,
        circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 100_000),
    )
    .await;
    assert!(updates.len() >= 2, "{updates:?}");
    assert_eq!(updates[0].status, PaymentStatus::InFlight as i32);
    let last = updates.last().expect("final");
    assert_eq!(last.status, PaymentStatus::Succeeded as i32, "{last:?}");
    // bob forwards 200,000 sat into us: 0 + 200,000,000 × 250 / 1e6 = 50,000 msat;
    // alice forwards 200,050,000 msat to bob: 1000 + 200,050,000 × 100 / 1e6 = 21,005 msat.
    assert_eq!(last.fee_msat, 71_005);
    assert_eq!(last.value_msat, 200_000_000);
    assert_eq!(last.htlcs.len(), 1);
    let route = last.htlcs[0].route.as_ref().expect("route");
    assert_eq!(route.hops.len(), 3);
    assert_eq!(route.hops[0].chan_id, alice.chan_id);
    assert_eq!(route.hops[2].chan_id, bob.chan_id);
    assert_eq!(route.total_fees_msat, 71_005);
    assert_eq!(route.total_amt_msat, 200_071_005);
    let preimage = hex::decode(&last.payment_preimage).expect("hex");
    let looked = t.lookup(&inv.r_hash).await;
    assert_eq!(looked.state, lnrpc::invoice::InvoiceState::Settled as i32);
    assert_eq!(looked.r_preimage, preimage);

    let (alice2, bob2) = two(&mut t).await;
    // Local balances in sat (LND rounds msat down): alice − 200,071.005, bob + 200,000.
    assert_eq!(alice2.local_balance, 900_000 - 200_072);
    assert_eq!(alice2.remote_balance, 100_000 + 200_071);
    assert_eq!(bob2.local_balance, bob.local_balance + 200_000);
    assert_eq!(bob2.remote_balance, bob.remote_balance - 200_000);

    // SubscribeInvoices reports the settlement, as LND does for a self-payment.
    let settled = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(i)) = sub.next().await {
            if i.r_hash == inv.r_hash && i.state == lnrpc::invoice::InvoiceState::Settled as i32 {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(settled);

    // TrackPaymentV2 by hash gives the final state; paying again is refused.
    let p = track_first(&mut rt, &inv.r_hash, true).await;
    assert_eq!(p.status, PaymentStatus::Succeeded as i32);
    assert_eq!(p.fee_msat, 71_005);
    let err = rt
        .send_payment_v2(circular_payment(
            &inv.payment_request,
            alice.chan_id,
            &bob.remote_pubkey,
            100_000,
        ))
        .await
        .expect_err("already paid");
    assert_eq!(err.code(), Code::AlreadyExists);
    t.node.shutdown().await;
}

#[tokio::test]
async fn failures_follow_lnd() {
    let (mut t, alice, bob) = start().await;
    let mut rt = t.router_with(MacaroonKind::Admin);

    // Self-payment without allow_self_payment: refused before the stream.
    let inv = t.add_invoice(10_000, "x").await;
    let mut req = circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 100_000);
    req.allow_self_payment = false;
    let err = rt.send_payment_v2(req).await.expect_err("refused");
    assert_eq!(err.message(), "self-payments not allowed");

    // Fee limit below the route fee → no route, nothing moves.
    let req = circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 1_000);
    let last = send_payment_final(&mut rt, req).await;
    assert_eq!(last.status, PaymentStatus::Failed as i32);
    assert_eq!(last.failure_reason, PaymentFailureReason::FailureReasonNoRoute as i32);
    let (a, b) = two(&mut t).await;
    assert_eq!(
        (a.local_balance, b.local_balance),
        (alice.local_balance, bob.local_balance)
    );
    // fee_limit 0 allows only zero-fee routes.
    let req = circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 0);
    let last = send_payment_final(&mut rt, req).await;
    assert_eq!(last.failure_reason, PaymentFailureReason::FailureReasonNoRoute as i32);

    // Out through bob, which has 100,000 sat local (minus 10,000 reserve): insufficient balance.
    let big = t.add_invoice(500_000, "big").await;
    let req = circular_payment(&big.payment_request, bob.chan_id, &alice.remote_pubkey, 1_000_000);
    let last = send_payment_final(&mut rt, req).await;
    assert_eq!(
        last.failure_reason,
        PaymentFailureReason::FailureReasonInsufficientBalance as i32
    );

    let stranger = "02".to_string() + &"11".repeat(32);
    let no_route: [(&str, u64, &str, i64); 4] = [
        // Unknown outgoing channel: no route.
        (&inv.payment_request, 42, &bob.remote_pubkey, 100_000),
        // A last hop we have no channel with: no route.
        (&inv.payment_request, alice.chan_id, &stranger, 100_000),
        // Out and back through the same peer is no circuit.
        (&inv.payment_request, alice.chan_id, &alice.remote_pubkey, 100_000),
        // In through alice, whose side holds only 100,000 sat (less her reserve): the attempt
        // fails at alice with a temporary channel failure, then no route is left.
        (&big.payment_request, alice.chan_id, &alice.remote_pubkey, 1_000_000),
    ];
    for (pay_req, out_chan_id, last_hop, fee_limit_msat) in no_route {
        let req = circular_payment(pay_req, out_chan_id, last_hop, fee_limit_msat);
        let last = send_payment_final(&mut rt, req).await;
        assert_eq!(
            last.failure_reason,
            PaymentFailureReason::FailureReasonNoRoute as i32,
            "out {out_chan_id}, last hop {last_hop}"
        );
    }
    let mut req = circular_payment(&big.payment_request, alice.chan_id, &bob.remote_pubkey, 1_000_000);
    req.outgoing_chan_ids = vec![alice.chan_id];
    // bob can push 500,000? bob's side holds 900,000: this one succeeds — and a failed payment
    // with the same hash may be retried, as in LND.
    let last = send_payment_final(&mut rt, req).await;
    assert_eq!(last.status, PaymentStatus::Succeeded as i32);

    // A failed payment is tracked with its reason; an unknown hash is not found.
    let p = track_first(&mut rt, &inv.r_hash, false).await;
    assert_eq!(p.status, PaymentStatus::Failed as i32);
    let err = track(&mut rt, &[9; 32], false).await.expect_err("unknown");
    assert_eq!(err.code(), Code::NotFound);
    t.node.shutdown().await;
}

#[tokio::test]
async fn invoice_macaroon_cannot_send_and_payments_survive_restart() {
    let (mut t, alice, bob) = start().await;
    let inv = t.add_invoice(1_000, "small").await;
    let mut inv_rt = t.router_with(MacaroonKind::Invoice);
    let err = inv_rt
        .send_payment_v2(circular_payment(
            &inv.payment_request,
            alice.chan_id,
            &bob.remote_pubkey,
            10_000,
        ))
        .await
        .expect_err("offchain:write");
    assert_eq!(err.message(), "permission denied");
    let mut rt = t.router_with(MacaroonKind::Admin);
    let req = circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 10_000);
    let last = send_payment_final(&mut rt, req).await;
    assert_eq!(last.status, PaymentStatus::Succeeded as i32);
    let data_dir = t.data_dir();
    t.node.shutdown().await;
    let node = restart(data_dir).await;
    let channel = common::connect(node.grpc_addr(), &node.tls_cert_path()).await;
    let mut rt = RouterClient::with_interceptor(channel, Mac::from_file(&node.macaroon_path(MacaroonKind::Readonly)));
    // readonly may track (offchain:read).
    let p = track_first(&mut rt, &inv.r_hash, false).await;
    assert_eq!(p.status, PaymentStatus::Succeeded as i32);
    node.shutdown().await;
}

#[tokio::test]
async fn slow_payment_past_its_timeout_fails_with_timeout() {
    let (mut t, alice, bob) = start().await;
    let mut rt = t.router_with(MacaroonKind::Admin);
    simnode::fault(&t.data_dir(), simnode::FaultCommand::SlowPayments { ms: 1500 })
        .await
        .expect("fault");
    let inv = t.add_invoice(10_000, "slow").await;
    let mut req = circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 100_000);
    req.timeout_seconds = 1;
    let started = std::time::Instant::now();
    let last = send_payment_final(&mut rt, req).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    assert_eq!(last.status, PaymentStatus::Failed as i32);
    assert_eq!(last.failure_reason, PaymentFailureReason::FailureReasonTimeout as i32);
    let (a, _) = two(&mut t).await;
    assert_eq!(a.local_balance, alice.local_balance);
    assert_eq!(
        t.lookup(&inv.r_hash).await.state,
        lnrpc::invoice::InvoiceState::Open as i32
    );

    // Slow but within the timeout: it succeeds.
    simnode::fault(&t.data_dir(), simnode::FaultCommand::SlowPayments { ms: 200 })
        .await
        .expect("fault");
    let req = circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, 100_000);
    let last = send_payment_final(&mut rt, req).await;
    assert_eq!(last.status, PaymentStatus::Succeeded as i32);
    t.node.shutdown().await;
}

#[tokio::test]
async fn list_payments_pages_like_lnd() {
    let (mut t, alice, bob) = start().await;
    let mut rt = t.router_with(MacaroonKind::Admin);
    let mut hashes = Vec::new();
    for (i, fee_limit_msat) in [100_000, 1_000, 100_000].into_iter().enumerate() {
        let inv = t.add_invoice(10_000, &format!("p{i}")).await;
        let req = circular_payment(&inv.payment_request, alice.chan_id, &bob.remote_pubkey, fee_limit_msat);
        let last = send_payment_final(&mut rt, req).await;
        hashes.push((last.payment_index, last.status));
    }
    let succeeded = PaymentStatus::Succeeded as i32;
    assert_eq!(
        hashes.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        vec![succeeded, PaymentStatus::Failed as i32, succeeded]
    );
    let mut ro = t.ln_with(MacaroonKind::Readonly);
    let list = |req: lnrpc::ListPaymentsRequest| {
        let mut ro = ro.clone();
        async move { ro.list_payments(req).await.expect("ListPayments").into_inner() }
    };
    let indexes = |r: &lnrpc::ListPaymentsResponse| r.payments.iter().map(|p| p.payment_index).collect::<Vec<_>>();
    let (i1, i2, i3) = (hashes[0].0, hashes[1].0, hashes[2].0);

    // Only completed payments by default; the failed one needs include_incomplete.
    let done = list(lnrpc::ListPaymentsRequest::default()).await;
    assert_eq!(indexes(&done), vec![i1, i3]);
    assert_eq!((done.first_index_offset, done.last_index_offset), (i1, i3));
    assert_eq!(done.total_num_payments, 0, "only counted when asked");
    let all = list(lnrpc::ListPaymentsRequest {
        include_incomplete: true,
        count_total_payments: true,
        ..Default::default()
    })
    .await;
    assert_eq!(indexes(&all), vec![i1, i2, i3]);
    assert_eq!(all.total_num_payments, 3);
    // Succeeded payments carry their attempts; the unroutable one never made any.
    assert!(all.payments[0].htlcs.len() == 1 && all.payments[2].htlcs.len() == 1);
    assert!(all.payments[1].htlcs.is_empty());
    assert!(all.payments[0].htlcs[0]
        .route
        .as_ref()
        .is_some_and(|r| !r.hops.is_empty()));

    // Forward from an exclusive offset, one at a time.
    let page = list(lnrpc::ListPaymentsRequest {
        include_incomplete: true,
        index_offset: i1,
        max_payments: 1,
        ..Default::default()
    })
    .await;
    assert_eq!(indexes(&page), vec![i2]);
    // Backwards: the newest ones before the offset, still oldest first.
    let back = list(lnrpc::ListPaymentsRequest {
        include_incomplete: true,
        reversed: true,
        max_payments: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(indexes(&back), vec![i2, i3]);
    assert_eq!(back.first_index_offset, i2);
    // omit_hops strips the routes' hops.
    let slim = list(lnrpc::ListPaymentsRequest {
        omit_hops: true,
        ..Default::default()
    })
    .await;
    assert!(slim
        .payments
        .iter()
        .flat_map(|p| &p.htlcs)
        .all(|h| h.route.as_ref().is_none_or(|r| r.hops.is_empty())));

    let err = ro
        .list_payments(lnrpc::ListPaymentsRequest {
            creation_date_start: 20,
            creation_date_end: 10,
            ..Default::default()
        })
        .await
        .expect_err("bad dates");
    assert_eq!(err.message(), "start date(20) must be before end date(10)");
    let err = t
        .ln_with(MacaroonKind::Invoice)
        .list_payments(lnrpc::ListPaymentsRequest::default())
        .await
        .expect_err("offchain:read");
    assert_eq!(err.message(), "permission denied");
    t.node.shutdown().await;
}
