//! Macaroon refusals exactly as LND words them, and per-method permissions.

use crate::common;

use common::{track, Mac, TestNode};
use lnd_proto::invoicesrpc::{self, invoices_client::InvoicesClient};
use lnd_proto::lnrpc::{self, lightning_client::LightningClient};
use lnd_proto::routerrpc::{self, router_client::RouterClient};
use simnode::MacaroonKind;
use tonic::Code;

#[tokio::test]
async fn missing_macaroon_is_refused() {
    let t = TestNode::start().await;
    let mut ln = LightningClient::with_interceptor(t.channel.clone(), Mac::none());
    let err = ln.get_info(lnrpc::GetInfoRequest {}).await.expect_err("no macaroon");
    assert_eq!(err.code(), Code::Unknown);
    assert_eq!(err.message(), "expected 1 macaroon, got 0");
    t.node.shutdown().await;
}

#[tokio::test]
async fn macaroon_of_another_node_fails_verification() {
    let a = TestNode::start().await;
    let b = TestNode::start().await;
    let foreign = Mac::from_file(&b.node.macaroon_path(MacaroonKind::Admin));
    let mut ln = LightningClient::with_interceptor(a.channel.clone(), foreign);
    let err = ln.get_info(lnrpc::GetInfoRequest {}).await.expect_err("wrong root key");
    assert_eq!(err.code(), Code::Unknown);
    assert_eq!(
        err.message(),
        "verification failed: signature mismatch after caveat verification"
    );
    a.node.shutdown().await;
    b.node.shutdown().await;
}

#[tokio::test]
async fn tampered_macaroon_fails_verification() {
    let t = TestNode::start().await;
    let mut bytes = std::fs::read(t.node.macaroon_path(MacaroonKind::Readonly)).expect("macaroon");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let path = t.dir.path().join("tampered.macaroon");
    std::fs::write(&path, bytes).expect("write");
    let mut ln = LightningClient::with_interceptor(t.channel.clone(), Mac::from_file(&path));
    let err = ln.get_info(lnrpc::GetInfoRequest {}).await.expect_err("bad signature");
    assert_eq!(
        err.message(),
        "verification failed: signature mismatch after caveat verification"
    );
    t.node.shutdown().await;
}

#[tokio::test]
async fn invoice_macaroon_can_add_invoices_but_not_read_channels_or_info() {
    let t = TestNode::start().await;
    let mut ln = t.ln_with(MacaroonKind::Invoice);
    let added = ln
        .add_invoice(lnrpc::Invoice {
            value: 1_000,
            memo: "ok".into(),
            ..Default::default()
        })
        .await
        .expect("invoice.macaroon may AddInvoice")
        .into_inner();
    assert!(added.payment_request.starts_with("lnbcrt"));
    ln.lookup_invoice(lnrpc::PaymentHash {
        r_hash: added.r_hash.clone(),
        ..Default::default()
    })
    .await
    .expect("invoice.macaroon may LookupInvoice");

    for err in [
        ln.list_channels(lnrpc::ListChannelsRequest::default())
            .await
            .expect_err("ListChannels"),
        ln.get_info(lnrpc::GetInfoRequest {}).await.expect_err("GetInfo"),
        ln.channel_balance(lnrpc::ChannelBalanceRequest {})
            .await
            .expect_err("ChannelBalance"),
    ] {
        assert_eq!(err.code(), Code::Unknown);
        assert_eq!(err.message(), "permission denied");
    }

    let mac = Mac::from_file(&t.node.macaroon_path(MacaroonKind::Invoice));
    let mut router = RouterClient::with_interceptor(t.channel.clone(), mac.clone());
    let err = router
        .send_payment_v2(routerrpc::SendPaymentRequest::default())
        .await
        .expect_err("offchain:write needed");
    assert_eq!(err.message(), "permission denied");

    let mut inv = InvoicesClient::with_interceptor(t.channel.clone(), mac);
    inv.cancel_invoice(invoicesrpc::CancelInvoiceMsg {
        payment_hash: added.r_hash,
    })
    .await
    .expect("invoice.macaroon may CancelInvoice");
    t.node.shutdown().await;
}

#[tokio::test]
async fn readonly_macaroon_reads_but_cannot_write() {
    let t = TestNode::start().await;
    let mut ln = t.ln_with(MacaroonKind::Readonly);
    ln.get_info(lnrpc::GetInfoRequest {})
        .await
        .expect("readonly may GetInfo");
    ln.list_channels(lnrpc::ListChannelsRequest::default())
        .await
        .expect("readonly may ListChannels");
    ln.list_invoices(lnrpc::ListInvoiceRequest::default())
        .await
        .expect("readonly may ListInvoices");
    let err = ln
        .add_invoice(lnrpc::Invoice {
            value: 1,
            ..Default::default()
        })
        .await
        .expect_err("write");
    assert_eq!(err.message(), "permission denied");
    t.node.shutdown().await;
}

#[tokio::test]
async fn router_calls_pass_auth() {
    let t = TestNode::start().await;
    let mut router = t.router_with(MacaroonKind::Admin);
    let err = track(&mut router, &[7; 32], false).await.expect_err("no such payment");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), "payment isn't initiated");
    t.node.shutdown().await;
}
