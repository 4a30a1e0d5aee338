//! The simulated remote customer: `simnode invoice` / `invoice-status` (library and binary), and
//! our node paying those invoices with SendPaymentV2 (refunds) over one peer at its fee.

use crate::common;

use std::process::Command;

use common::{restart, send_payment_final, start_two_peers as start, track_first, two_peers as two};
use lnd_proto::lnrpc::{payment::PaymentStatus, PaymentFailureReason};
use lnd_proto::routerrpc;
use simnode::{CustomerInvoiceRequest, MacaroonKind};

fn refund(pay_req: &str, amt_msat: i64, fee_limit_msat: i64) -> routerrpc::SendPaymentRequest {
    routerrpc::SendPaymentRequest {
        payment_request: pay_req.to_string(),
        amt_msat,
        fee_limit_msat,
        timeout_seconds: 60,
        ..Default::default()
    }
}

#[tokio::test]
async fn our_node_pays_a_customer_invoice_at_the_peers_fee_once() {
    let (mut t, alice, _bob) = start().await;
    let req = CustomerInvoiceRequest {
        amount_msat: Some(50_000_000),
        memo: Some("refund".into()),
        description_hash_hex: None,
    };
    let created = simnode::customer_invoice(&t.data_dir(), &req).await.expect("invoice");
    assert!(
        created.payment_request.starts_with("lnbcrt500u"),
        "{}",
        created.payment_request
    );
    let before = simnode::customer_invoice_status(&t.data_dir(), &created.payment_request)
        .await
        .expect("status");
    assert!(!before.paid);
    assert_eq!(before.amount_msat, 0);

    let mut rt = t.router_with(MacaroonKind::Admin);
    let last = send_payment_final(&mut rt, refund(&created.payment_request, 0, 100_000)).await;
    assert_eq!(last.status, PaymentStatus::Succeeded as i32, "{last:?}");
    // alice is cheapest: 1000 + 50,000,000 × 100 / 1e6 = 6,000 msat (bob would take 12,500).
    assert_eq!(last.fee_msat, 6_000);
    assert_eq!(last.value_msat, 50_000_000);
    let route = last.htlcs[0].route.as_ref().expect("route");
    assert_eq!(route.hops.len(), 2);
    assert_eq!(route.hops[0].chan_id, alice.chan_id);
    assert_eq!(route.total_fees_msat, 6_000);

    let after = simnode::customer_invoice_status(&t.data_dir(), &created.payment_request)
        .await
        .expect("status");
    assert!(after.paid);
    assert_eq!(after.amount_msat, 50_000_000);
    let (alice2, _) = two(&mut t).await;
    assert_eq!(alice2.local_balance, 900_000 - 50_006);

    // Never twice: a second send is refused and moves nothing.
    let again = rt.send_payment_v2(refund(&created.payment_request, 0, 100_000)).await;
    assert!(again.is_err(), "second payment must be refused");
    let (alice3, _) = two(&mut t).await;
    assert_eq!(alice3.local_balance, alice2.local_balance);

    // The customer invoice and the payment survive a restart.
    let data_dir = t.data_dir();
    let hash = hex::decode(&after.payment_hash_hex).expect("hex");
    t.node.shutdown().await;
    let node = restart(data_dir.clone()).await;
    let channel = common::connect(node.grpc_addr(), &node.tls_cert_path()).await;
    let mut rt = lnd_proto::routerrpc::router_client::RouterClient::with_interceptor(
        channel,
        common::Mac::from_file(&node.macaroon_path(MacaroonKind::Admin)),
    );
    let tracked = track_first(&mut rt, &hash, true).await;
    assert_eq!(tracked.status, PaymentStatus::Succeeded as i32);
    assert_eq!(tracked.fee_msat, 6_000);
    let status = simnode::customer_invoice_status(&data_dir, &created.payment_request)
        .await
        .expect("status after restart");
    assert!(status.paid);
    node.shutdown().await;
}

#[tokio::test]
async fn zero_amount_customer_invoices_take_the_senders_amount_and_fee_limits_hold() {
    let (t, _alice, _bob) = start().await;
    let created = simnode::customer_invoice(&t.data_dir(), &CustomerInvoiceRequest::default())
        .await
        .expect("invoice");
    let mut rt = t.router_with(MacaroonKind::Admin);
    // No amount for a zero-amount invoice: refused before the stream, as LND.
    assert!(rt
        .send_payment_v2(refund(&created.payment_request, 0, 10_000))
        .await
        .is_err());
    // Fee limit 0: every peer charges, no route; nothing is paid.
    let failed = send_payment_final(&mut rt, refund(&created.payment_request, 1_234_000, 0)).await;
    assert_eq!(failed.status, PaymentStatus::Failed as i32);
    assert_eq!(failed.failure_reason, PaymentFailureReason::FailureReasonNoRoute as i32);
    let status = simnode::customer_invoice_status(&t.data_dir(), &created.payment_request)
        .await
        .expect("status");
    assert!(!status.paid);
    // bob: 0 + 1,234,000 × 250 / 1e6 = 308 msat; alice: 1000 + 123 = 1,123 msat.
    let paid = send_payment_final(&mut rt, refund(&created.payment_request, 1_234_000, 1_000)).await;
    assert_eq!(paid.status, PaymentStatus::Succeeded as i32, "{paid:?}");
    assert_eq!(paid.fee_msat, 308);
    let status = simnode::customer_invoice_status(&t.data_dir(), &created.payment_request)
        .await
        .expect("status");
    assert!(status.paid);
    assert_eq!(status.amount_msat, 1_234_000);
    assert_eq!(status.invoice_amount_msat, 0);
    t.node.shutdown().await;
}

// Multi-threaded: the node's control server must answer while this test waits for the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_issues_and_reports_customer_invoices_of_a_running_node() {
    let (t, _alice, _bob) = start().await;
    let out = Command::new(env!("CARGO_BIN_EXE_simnode"))
        .args(["invoice", "--data-dir"])
        .arg(t.data_dir())
        .args(["--amount-msat", "2000000", "--memo", "cli refund"])
        .output()
        .expect("simnode invoice");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bolt11 = String::from_utf8(out.stdout).expect("utf8").trim().to_string();
    assert!(bolt11.starts_with("lnbcrt20u"), "{bolt11}");
    let status = |bolt11: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_simnode"))
            .args(["invoice-status", "--json", "--data-dir"])
            .arg(t.data_dir())
            .arg(bolt11)
            .output()
            .expect("simnode invoice-status");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    assert_eq!(status(&bolt11)["paid"], false);
    let mut rt = t.router_with(MacaroonKind::Admin);
    let paid = send_payment_final(&mut rt, refund(&bolt11, 0, 10_000)).await;
    assert_eq!(paid.status, PaymentStatus::Succeeded as i32);
    let json = status(&bolt11);
    assert_eq!(json["paid"], true);
    assert_eq!(json["amount_msat"], 2_000_000);
    // Not one of the customer's invoices: a clear refusal.
    let foreign = Command::new(env!("CARGO_BIN_EXE_simnode"))
        .args(["invoice-status", "--data-dir"])
        .arg(t.data_dir())
        .arg("lnbcrt1nonsense")
        .output()
        .expect("simnode invoice-status");
    assert!(!foreign.status.success());
    t.node.shutdown().await;
}
