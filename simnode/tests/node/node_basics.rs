//! Start, GetInfo, channels, topology and restart persistence over real TLS gRPC.

use crate::common;

use common::{connect, restart, Mac, TestNode};
use lnd_proto::lnrpc::{self, lightning_client::LightningClient};
use simnode::{MacaroonKind, PayOptions, SimNodeConfig};

#[tokio::test]
async fn get_info_and_default_topology_look_like_lnd() {
    let mut t = TestNode::start().await;
    let info =
        t.ln.get_info(lnrpc::GetInfoRequest {})
            .await
            .expect("GetInfo")
            .into_inner();
    assert_eq!(info.identity_pubkey, t.node.node_pubkey_hex());
    assert_eq!(info.identity_pubkey.len(), 66);
    assert_eq!(info.alias, "test-node");
    assert!(info.version.starts_with("0.21.2-beta commit="), "{}", info.version);
    assert_eq!(
        info.chains,
        vec![lnrpc::Chain {
            chain: "bitcoin".into(),
            network: "regtest".into()
        }]
    );
    assert_eq!(info.num_active_channels, 3);
    assert_eq!(info.num_inactive_channels, 0);
    assert_eq!(info.num_peers, 3);
    assert!(info.synced_to_chain);
    assert!(info.block_height > 0);

    let channels = t.channels().await;
    assert_eq!(channels.len(), 3);
    let capacities: Vec<i64> = channels.iter().map(|c| c.capacity).collect();
    assert_eq!(capacities, vec![2_000_000, 5_000_000, 1_000_000]);
    for c in &channels {
        assert_eq!(c.local_balance + c.remote_balance, c.capacity, "zero commit fee");
        assert_eq!(c.local_chan_reserve_sat, c.capacity / 100);
        assert_eq!(c.remote_chan_reserve_sat, c.capacity / 100);
        assert!(c.active);
        assert_eq!(c.remote_pubkey.len(), 66);
        assert!(c.peer_alias.is_empty(), "alias only with peer_alias_lookup");
    }
    assert!(
        channels[0].local_balance > channels[0].remote_balance,
        "first channel mostly local"
    );
    assert!(
        channels[2].local_balance < channels[2].remote_balance,
        "third channel mostly remote"
    );

    let with_alias = t.channels_with_aliases().await;
    assert_eq!(with_alias[0].peer_alias, "alice");

    let balance =
        t.ln.channel_balance(lnrpc::ChannelBalanceRequest {})
            .await
            .expect("ChannelBalance")
            .into_inner();
    let local: i64 = channels.iter().map(|c| c.local_balance).sum();
    let remote: i64 = channels.iter().map(|c| c.remote_balance).sum();
    assert_eq!(balance.local_balance.as_ref().map(|a| a.sat), Some(local as u64));
    assert_eq!(
        balance.remote_balance.as_ref().map(|a| a.msat),
        Some(remote as u64 * 1000)
    );
    assert_eq!(balance.balance, local);
    t.node.shutdown().await;
}

#[tokio::test]
async fn topology_file_sets_channels_and_inactive_ones_count() {
    let topology = r#"
        [[channel]]
        peer_alias = "dave"
        capacity_sat = 300000
        local_balance_sat = 100000
        chan_id = 777

        [[channel]]
        peer_alias = "erin"
        capacity_sat = 400000
        local_balance_sat = 0
        active = false
    "#;
    let mut t = TestNode::start_with(Some(topology)).await;
    let info =
        t.ln.get_info(lnrpc::GetInfoRequest {})
            .await
            .expect("GetInfo")
            .into_inner();
    assert_eq!((info.num_active_channels, info.num_inactive_channels), (1, 1));
    let channels = t.channels().await;
    assert_eq!(channels[0].chan_id, 777);
    assert_eq!(channels[0].remote_balance, 200_000);
    assert!(!channels[1].active);
    let active_only =
        t.ln.list_channels(lnrpc::ListChannelsRequest {
            active_only: true,
            ..Default::default()
        })
        .await
        .expect("ListChannels")
        .into_inner()
        .channels;
    assert_eq!(active_only.len(), 1);
    t.node.shutdown().await;
}

#[tokio::test]
async fn invalid_topology_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[channel]]\npeer_alias = \"x\"\ncapacity_sat = 10\nlocal_balance_sat = 20\n",
    )
    .expect("write");
    let err = simnode::start(SimNodeConfig {
        data_dir: dir.path().join("node"),
        listen: "127.0.0.1:0".parse().expect("addr"),
        topology: Some(path),
        alias: None,
    })
    .await
    .expect_err("local balance above capacity");
    assert!(err.to_string().contains("exceeds capacity_sat"), "{err}");
}

#[tokio::test]
async fn restart_keeps_keys_macaroons_invoices_indexes_and_balances() {
    let mut t = TestNode::start().await;
    let data_dir = t.data_dir();
    let pubkey = t.node.node_pubkey_hex();
    let cert = std::fs::read(t.node.tls_cert_path()).expect("cert");
    let admin = std::fs::read(t.node.macaroon_path(MacaroonKind::Admin)).expect("macaroon");
    let first = t.add_invoice(1_000, "first").await;
    let second = t.add_invoice(2_000, "second").await;
    simnode::pay(&data_dir, &second.payment_request, PayOptions::default())
        .await
        .expect("pay");
    let channels_before = t.channels().await;
    let node = t.node;
    node.shutdown().await;
    assert!(
        !data_dir.join("control.json").exists(),
        "control.json removed on shutdown"
    );

    let node = restart(data_dir.clone()).await;
    assert_eq!(node.node_pubkey_hex(), pubkey);
    assert_eq!(std::fs::read(node.tls_cert_path()).expect("cert"), cert);
    assert_eq!(
        std::fs::read(node.macaroon_path(MacaroonKind::Admin)).expect("macaroon"),
        admin
    );

    // The old admin macaroon still works against the restarted node.
    let channel = connect(node.grpc_addr(), &node.tls_cert_path()).await;
    let mut ln = LightningClient::with_interceptor(channel, Mac::from_file(&node.macaroon_path(MacaroonKind::Admin)));
    let info = ln
        .get_info(lnrpc::GetInfoRequest {})
        .await
        .expect("GetInfo")
        .into_inner();
    assert_eq!(info.alias, "simnode", "default alias");

    let listed = ln
        .list_invoices(lnrpc::ListInvoiceRequest::default())
        .await
        .expect("ListInvoices")
        .into_inner()
        .invoices;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].r_hash, first.r_hash);
    assert_eq!(listed[1].state, lnrpc::invoice::InvoiceState::Settled as i32);
    assert_eq!(listed[1].settle_index, 1);

    let third = ln
        .add_invoice(lnrpc::Invoice {
            value: 5,
            ..Default::default()
        })
        .await
        .expect("AddInvoice")
        .into_inner();
    assert_eq!(third.add_index, 3, "add index continues after restart");

    let channels_after = ln
        .list_channels(lnrpc::ListChannelsRequest::default())
        .await
        .expect("ListChannels")
        .into_inner()
        .channels;
    let balances = |cs: &[lnrpc::Channel]| cs.iter().map(|c| (c.chan_id, c.local_balance)).collect::<Vec<_>>();
    assert_eq!(balances(&channels_before), balances(&channels_after));
    node.shutdown().await;
}

#[tokio::test]
async fn files_have_lnd_layout_and_private_permissions() {
    let t = TestNode::start().await;
    let dir = t.data_dir();
    assert_eq!(t.node.tls_cert_path(), dir.join("tls.cert"));
    assert_eq!(
        t.node.macaroon_path(MacaroonKind::Invoice),
        dir.join("data/chain/bitcoin/regtest/invoice.macaroon")
    );
    let cert = std::fs::read_to_string(dir.join("tls.cert")).expect("cert");
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    let admin = std::fs::read(t.node.macaroon_path(MacaroonKind::Admin)).expect("macaroon");
    assert_eq!(admin[0], 2, "macaroon v2 binary format");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [
            "tls.key",
            "control.json",
            "simnode/keys.json",
            "simnode/state.json",
            "simnode/state.log",
        ] {
            let mode = std::fs::metadata(dir.join(file)).expect(file).permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{file}");
        }
    }
    assert!(t.node.control_url().starts_with("http://127.0.0.1:"));
    t.node.shutdown().await;
}

#[tokio::test]
async fn tls_certificate_is_lnd_like() {
    use rustls::pki_types::pem::PemObject;
    let t = TestNode::start().await;
    let der = rustls::pki_types::CertificateDer::from_pem_file(t.node.tls_cert_path()).expect("PEM certificate");
    let der: &[u8] = der.as_ref();
    let contains = |pattern: &str| {
        let bytes = hex::decode(pattern).expect("hex pattern");
        der.windows(bytes.len()).any(|w| w == bytes.as_slice())
    };
    // basicConstraints, critical, cA TRUE
    assert!(contains("0603551d130101ff040530030101ff"), "marked as a CA");
    // keyUsage, critical: digitalSignature, keyEncipherment, keyCertSign
    assert!(contains("0603551d0f0101ff0404030202a4"), "key usages");
    // extKeyUsage serverAuth
    assert!(contains("0603551d25040c300a06082b06010505070301"), "server auth");
    // SAN IP 127.0.0.1 and ::1, DNS localhost
    assert!(contains("87047f000001"), "SAN 127.0.0.1");
    assert!(contains(&format!("8710{}01", "00".repeat(15))), "SAN ::1");
    assert!(contains(&format!("8209{}", hex::encode("localhost"))), "SAN localhost");
    // ecdsa-with-SHA256 signature and a P-256 key
    assert!(contains("06082a8648ce3d040302"), "ecdsa-with-SHA256");
    assert!(contains("06082a8648ce3d030107"), "prime256v1");
    assert!(contains(&hex::encode("lnd autogenerated cert")), "LND's organisation");
    t.node.shutdown().await;
}
