//! AddInvoice, BOLT11 content, validation errors, lookups, listing and DecodePayReq.

use crate::common;

use bitcoin::hashes::{sha256, Hash};
use common::TestNode;
use lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescriptionRef, Currency};
use lnd_proto::lnrpc;
use tonic::Code;

#[tokio::test]
async fn add_invoice_makes_a_signed_regtest_bolt11() {
    let mut t = TestNode::start().await;
    let added = t.add_invoice(1_111_112, "Fattura 2024/001").await;
    assert_eq!(added.add_index, 1);
    assert_eq!(added.r_hash.len(), 32);
    assert_eq!(added.payment_addr.len(), 32);

    let bolt11: Bolt11Invoice = added.payment_request.parse().expect("valid BOLT11");
    assert_eq!(bolt11.currency(), Currency::Regtest);
    assert!(added.payment_request.starts_with("lnbcrt"));
    assert_eq!(bolt11.amount_milli_satoshis(), Some(1_111_112_000));
    assert_eq!(bolt11.payment_hash().to_byte_array().to_vec(), added.r_hash);
    assert_eq!(bolt11.payment_secret().0.to_vec(), added.payment_addr);
    assert_eq!(bolt11.expiry_time().as_secs(), 86_400);
    assert_eq!(bolt11.min_final_cltv_expiry_delta(), 80);
    match bolt11.description() {
        Bolt11InvoiceDescriptionRef::Direct(d) => assert_eq!(d.as_inner().0, "Fattura 2024/001"),
        Bolt11InvoiceDescriptionRef::Hash(_) => panic!("memo expected as description"),
    }
    assert!(bolt11.check_signature().is_ok());
    assert_eq!(bolt11.recover_payee_pub_key().to_string(), t.node.node_pubkey_hex());

    let inv = t.lookup(&added.r_hash).await;
    assert_eq!(inv.state, lnrpc::invoice::InvoiceState::Open as i32);
    assert_eq!(inv.value, 1_111_112);
    assert_eq!(inv.value_msat, 1_111_112_000);
    assert_eq!(inv.memo, "Fattura 2024/001");
    assert_eq!(inv.payment_request, added.payment_request);
    assert_eq!(inv.expiry, 86_400);
    assert_eq!(inv.cltv_expiry, 80);
    assert!(!inv.settled);
    assert_eq!(inv.r_preimage.len(), 32);
    assert_eq!(
        sha256::Hash::hash(&inv.r_preimage).to_byte_array().to_vec(),
        added.r_hash
    );
    assert_eq!(inv.add_index, 1);
    assert_eq!(inv.settle_index, 0);
    assert!(inv
        .features
        .get(&14)
        .is_some_and(|f| f.is_required && f.name == "payment-addr"));

    let second = t.add_invoice(1, "").await;
    assert_eq!(second.add_index, 2);
    assert_ne!(second.r_hash, added.r_hash, "unique random preimages");
    t.node.shutdown().await;
}

#[tokio::test]
async fn value_msat_description_hash_expiry_and_zero_amount() {
    let mut t = TestNode::start().await;
    let desc_hash = sha256::Hash::hash(b"long description").to_byte_array().to_vec();
    let added =
        t.ln.add_invoice(lnrpc::Invoice {
            value_msat: 1_500,
            memo: "kept in the invoice, not in the BOLT11".into(),
            description_hash: desc_hash.clone(),
            expiry: 600,
            ..Default::default()
        })
        .await
        .expect("AddInvoice")
        .into_inner();
    let bolt11: Bolt11Invoice = added.payment_request.parse().expect("BOLT11");
    assert_eq!(bolt11.amount_milli_satoshis(), Some(1_500));
    assert_eq!(bolt11.expiry_time().as_secs(), 600);
    match bolt11.description() {
        Bolt11InvoiceDescriptionRef::Hash(h) => assert_eq!(h.0.to_byte_array().to_vec(), desc_hash),
        Bolt11InvoiceDescriptionRef::Direct(_) => panic!("description hash expected"),
    }
    let inv = t.lookup(&added.r_hash).await;
    assert_eq!(inv.value, 1);
    assert_eq!(inv.value_msat, 1_500);
    assert_eq!(inv.description_hash, desc_hash);
    assert_eq!(inv.memo, "kept in the invoice, not in the BOLT11");

    let zero = t.add_invoice(0, "any amount").await;
    let bolt11: Bolt11Invoice = zero.payment_request.parse().expect("BOLT11");
    assert_eq!(bolt11.amount_milli_satoshis(), None);
    t.node.shutdown().await;
}

#[tokio::test]
async fn add_invoice_refusals_match_lnd() {
    let mut t = TestNode::start().await;
    let err =
        t.ln.add_invoice(lnrpc::Invoice {
            value: 1,
            value_msat: 1000,
            ..Default::default()
        })
        .await
        .expect_err("both amounts");
    assert_eq!(err.code(), Code::Unknown);
    assert_eq!(err.message(), "sat and msat arguments are mutually exclusive");

    let err =
        t.ln.add_invoice(lnrpc::Invoice {
            memo: "x".repeat(640),
            ..Default::default()
        })
        .await
        .expect_err("memo too long for BOLT11");
    assert!(err.message().contains("too big"), "{}", err.message());
    t.ln.add_invoice(lnrpc::Invoice {
        memo: "x".repeat(639),
        ..Default::default()
    })
    .await
    .expect("639 bytes fit");

    let err =
        t.ln.add_invoice(lnrpc::Invoice {
            r_preimage: vec![1; 31],
            ..Default::default()
        })
        .await
        .expect_err("short preimage");
    assert_eq!(err.message(), "invalid preimage length of 31, want 32");

    let preimage = vec![9u8; 32];
    let first =
        t.ln.add_invoice(lnrpc::Invoice {
            r_preimage: preimage.clone(),
            value: 10,
            ..Default::default()
        })
        .await
        .expect("caller preimage")
        .into_inner();
    assert_eq!(first.r_hash, sha256::Hash::hash(&preimage).to_byte_array().to_vec());
    let err =
        t.ln.add_invoice(lnrpc::Invoice {
            r_preimage: preimage,
            value: 10,
            ..Default::default()
        })
        .await
        .expect_err("duplicate");
    assert_eq!(err.message(), "invoice with payment hash already exists");

    let err =
        t.ln.add_invoice(lnrpc::Invoice {
            description_hash: vec![1; 5],
            ..Default::default()
        })
        .await
        .expect_err("short description hash");
    assert_eq!(err.message(), "description hash is 5 bytes, must be 32");
    t.node.shutdown().await;
}

#[tokio::test]
async fn lookup_of_unknown_hash_is_not_found() {
    let mut t = TestNode::start().await;
    let err =
        t.ln.lookup_invoice(lnrpc::PaymentHash {
            r_hash: vec![7; 32],
            ..Default::default()
        })
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), "unable to locate invoice");
    let added = t.add_invoice(5, "by hex").await;
    let by_str =
        t.ln.lookup_invoice(lnrpc::PaymentHash {
            r_hash_str: hex::encode(&added.r_hash),
            ..Default::default()
        })
        .await
        .expect("lookup by hex string")
        .into_inner();
    assert_eq!(by_str.r_hash, added.r_hash);
    t.node.shutdown().await;
}

#[tokio::test]
async fn list_invoices_paginates_like_lnd() {
    let mut t = TestNode::start().await;
    for i in 1..=5 {
        t.add_invoice(i, &format!("n{i}")).await;
    }
    let list = |offset: u64, max: u64, reversed: bool| lnrpc::ListInvoiceRequest {
        index_offset: offset,
        num_max_invoices: max,
        reversed,
        ..Default::default()
    };
    let page = t.ln.list_invoices(list(0, 2, false)).await.expect("list").into_inner();
    assert_eq!(
        page.invoices.iter().map(|i| i.add_index).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!((page.first_index_offset, page.last_index_offset), (1, 2));
    let page = t.ln.list_invoices(list(2, 2, false)).await.expect("list").into_inner();
    assert_eq!(
        page.invoices.iter().map(|i| i.add_index).collect::<Vec<_>>(),
        vec![3, 4]
    );
    let page = t.ln.list_invoices(list(0, 2, true)).await.expect("list").into_inner();
    assert_eq!(
        page.invoices.iter().map(|i| i.add_index).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert_eq!((page.first_index_offset, page.last_index_offset), (4, 5));
    let page = t.ln.list_invoices(list(4, 10, true)).await.expect("list").into_inner();
    assert_eq!(
        page.invoices.iter().map(|i| i.add_index).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let page = t.ln.list_invoices(list(5, 10, false)).await.expect("list").into_inner();
    assert!(page.invoices.is_empty());
    assert_eq!((page.first_index_offset, page.last_index_offset), (0, 0));

    // pending_only skips settled and canceled invoices.
    let all =
        t.ln.list_invoices(list(0, 0, false))
            .await
            .expect("list")
            .into_inner()
            .invoices;
    simnode::pay(&t.data_dir(), &all[0].payment_request, simnode::PayOptions::default())
        .await
        .expect("pay");
    t.inv
        .cancel_invoice(lnd_proto::invoicesrpc::CancelInvoiceMsg {
            payment_hash: all[1].r_hash.clone(),
        })
        .await
        .expect("cancel");
    let pending =
        t.ln.list_invoices(lnrpc::ListInvoiceRequest {
            pending_only: true,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .invoices;
    assert_eq!(pending.iter().map(|i| i.add_index).collect::<Vec<_>>(), vec![3, 4, 5]);
    t.node.shutdown().await;
}

#[tokio::test]
async fn decode_pay_req_fills_lnd_fields() {
    let mut t = TestNode::start().await;
    let added = t.add_invoice(21_000, "decode me").await;
    let req =
        t.ln.decode_pay_req(lnrpc::PayReqString {
            pay_req: added.payment_request.clone(),
        })
        .await
        .expect("DecodePayReq")
        .into_inner();
    assert_eq!(req.destination, t.node.node_pubkey_hex());
    assert_eq!(req.payment_hash, hex::encode(&added.r_hash));
    assert_eq!(req.num_satoshis, 21_000);
    assert_eq!(req.num_msat, 21_000_000);
    assert_eq!(req.description, "decode me");
    assert_eq!(req.expiry, 86_400);
    assert_eq!(req.cltv_expiry, 80);
    assert_eq!(req.payment_addr, added.payment_addr);
    assert!(req.timestamp > 1_600_000_000);

    let err =
        t.ln.decode_pay_req(lnrpc::PayReqString {
            pay_req: "lnbc1garbage".into(),
        })
        .await
        .expect_err("mainnet prefix");
    assert_eq!(err.message(), "invoice not for current active network 'regtest'");
    t.node.shutdown().await;
}
