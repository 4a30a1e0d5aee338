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

fn perm(entity: &str, action: &str) -> lnrpc::MacaroonPermission {
    lnrpc::MacaroonPermission {
        entity: entity.into(),
        action: action.into(),
    }
}

/// A client using the hex macaroon `mac_hex`.
fn with_hex(
    t: &TestNode,
    mac_hex: &str,
) -> LightningClient<tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Mac>> {
    let path = t
        .dir
        .path()
        .join(format!("baked-{}.macaroon", &mac_hex[mac_hex.len() - 8..]));
    std::fs::write(&path, hex::decode(mac_hex).expect("hex")).expect("write");
    LightningClient::with_interceptor(t.channel.clone(), Mac::from_file(&path))
}

#[tokio::test]
async fn baked_macaroon_grants_exactly_its_permissions_until_its_id_is_deleted() {
    let t = TestNode::start().await;
    let mut admin = t.ln_with(MacaroonKind::Admin);
    // LND: BakeMacaroon needs macaroon:generate, which the read-only macaroon lacks.
    let request = lnrpc::BakeMacaroonRequest {
        permissions: vec![
            perm("info", "read"),
            perm("offchain", "read"),
            perm("invoices", "write"),
        ],
        root_key_id: 7,
        allow_external_permissions: false,
    };
    let err = t
        .ln_with(MacaroonKind::Readonly)
        .bake_macaroon(request.clone())
        .await
        .expect_err("macaroon:generate");
    assert_eq!(err.message(), "permission denied");

    let baked = admin.bake_macaroon(request).await.expect("bake").into_inner().macaroon;
    let mut ln = with_hex(&t, &baked);
    ln.get_info(lnrpc::GetInfoRequest {}).await.expect("info:read");
    ln.list_channels(lnrpc::ListChannelsRequest::default())
        .await
        .expect("offchain:read");
    let path = t.dir.path().join("baked7.macaroon");
    std::fs::write(&path, hex::decode(&baked).expect("hex")).expect("write");
    let mut router = RouterClient::with_interceptor(t.channel.clone(), Mac::from_file(&path));
    let err = router
        .send_payment_v2(routerrpc::SendPaymentRequest::default())
        .await
        .expect_err("offchain:write not granted");
    assert_eq!(err.message(), "permission denied");

    // CheckMacaroonPermissions: valid for what it has, INVALID_ARGUMENT for what it lacks.
    let bytes = hex::decode(&baked).expect("hex");
    let ok = admin
        .check_macaroon_permissions(lnrpc::CheckMacPermRequest {
            macaroon: bytes.clone(),
            full_method: "/lnrpc.Lightning/ListChannels".into(),
            check_default_perms_from_full_method: true,
            ..Default::default()
        })
        .await
        .expect("has offchain:read")
        .into_inner();
    assert!(ok.valid);
    let err = admin
        .check_macaroon_permissions(lnrpc::CheckMacPermRequest {
            macaroon: bytes.clone(),
            permissions: vec![perm("offchain", "write")],
            ..Default::default()
        })
        .await
        .expect_err("lacks offchain:write");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.message(), "permission denied");

    // Revoking the id ends every macaroon baked under it; the default id cannot be deleted.
    let deleted = admin
        .delete_macaroon_id(lnrpc::DeleteMacaroonIdRequest { root_key_id: 7 })
        .await
        .expect("delete")
        .into_inner();
    assert!(deleted.deleted);
    let err = ln.get_info(lnrpc::GetInfoRequest {}).await.expect_err("revoked");
    assert_eq!(
        err.message(),
        "verification failed: signature mismatch after caveat verification"
    );
    let again = admin
        .delete_macaroon_id(lnrpc::DeleteMacaroonIdRequest { root_key_id: 7 })
        .await
        .expect("delete again")
        .into_inner();
    assert!(!again.deleted);
    let err = admin
        .delete_macaroon_id(lnrpc::DeleteMacaroonIdRequest { root_key_id: 0 })
        .await
        .expect_err("default id");
    assert_eq!(err.message(), "the specified ID cannot be deleted");
    let err = admin
        .check_macaroon_permissions(lnrpc::CheckMacPermRequest {
            macaroon: bytes,
            ..Default::default()
        })
        .await
        .expect_err("revoked");
    assert_eq!(err.code(), Code::InvalidArgument);
    // Baking under the same id again makes a new root key: the old macaroon stays dead.
    let rebaked = admin
        .bake_macaroon(lnrpc::BakeMacaroonRequest {
            permissions: vec![perm("info", "read")],
            root_key_id: 7,
            allow_external_permissions: false,
        })
        .await
        .expect("rebake")
        .into_inner()
        .macaroon;
    with_hex(&t, &rebaked)
        .get_info(lnrpc::GetInfoRequest {})
        .await
        .expect("new macaroon works");
    ln.get_info(lnrpc::GetInfoRequest {})
        .await
        .expect_err("old one stays revoked");

    // LND's input checks.
    let err = admin
        .bake_macaroon(lnrpc::BakeMacaroonRequest::default())
        .await
        .expect_err("empty");
    assert!(
        err.message().starts_with("permission list cannot be empty"),
        "{}",
        err.message()
    );
    let err = admin
        .bake_macaroon(lnrpc::BakeMacaroonRequest {
            permissions: vec![perm("wallet", "read")],
            ..Default::default()
        })
        .await
        .expect_err("entity");
    assert_eq!(
        err.message(),
        "invalid permission entity. supported actions are [read write generate], supported entities are \
         [onchain offchain address message peers info invoices signer macaroon uri]"
    );
    let uri = admin
        .bake_macaroon(lnrpc::BakeMacaroonRequest {
            permissions: vec![perm("uri", "/lnrpc.Lightning/GetInfo")],
            root_key_id: 9,
            allow_external_permissions: false,
        })
        .await
        .expect("uri permission")
        .into_inner()
        .macaroon;
    let mut only_info = with_hex(&t, &uri);
    only_info
        .get_info(lnrpc::GetInfoRequest {})
        .await
        .expect("its one method");
    only_info
        .list_channels(lnrpc::ListChannelsRequest::default())
        .await
        .expect_err("nothing else");
    t.node.shutdown().await;
}
