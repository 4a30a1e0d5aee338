//! The read-only RPCs node tools call at start-up (GetVersion, WalletBalance, ListPeers,
//! PendingChannels, ClosedChannels, FeeReport, DescribeGraph, GetNodeInfo, GetNetworkInfo), each
//! under LND 0.21's macaroon permission, and UNIMPLEMENTED for methods simnode does not serve.

use crate::common;

use common::{Mac, TestNode};
use http::uri::PathAndQuery;
use lnd_proto::lnrpc;
use lnd_proto::verrpc::{self, versioner_client::VersionerClient};
use simnode::MacaroonKind;
use tonic::Code;

/// A topology with an inactive channel (its peer offline) and a private one.
const MIXED: &str = r#"
[[channel]]
peer_alias = "alice"
capacity_sat = 2000000
local_balance_sat = 1500000
fee_base_msat = 500
fee_rate_ppm = 200

[[channel]]
peer_alias = "bob"
capacity_sat = 1000000
local_balance_sat = 400000
active = false

[[channel]]
peer_alias = "carol"
capacity_sat = 3000000
local_balance_sat = 1000000
private = true
"#;

#[tokio::test]
async fn get_version_reports_lnd_0_21_2_beta_under_info_read() {
    let t = TestNode::start().await;
    let mac = Mac::from_file(&t.node.macaroon_path(MacaroonKind::Readonly));
    let mut ver = VersionerClient::with_interceptor(t.channel.clone(), mac);
    let v = ver
        .get_version(verrpc::VersionRequest {})
        .await
        .expect("readonly may GetVersion")
        .into_inner();
    assert!(v.version.starts_with("0.21.2-beta"), "{}", v.version);
    assert_eq!((v.app_major, v.app_minor, v.app_patch), (0, 21, 2));
    assert_eq!(v.app_pre_release, "beta");
    assert_eq!(v.commit, "v0.21.2-beta");
    assert_eq!(v.commit_hash.len(), 40);
    assert!(v.build_tags.iter().any(|t| t == "invoicesrpc"));
    assert!(v.go_version.starts_with("go1."));

    // invoice.macaroon lacks info:read.
    let mac = Mac::from_file(&t.node.macaroon_path(MacaroonKind::Invoice));
    let mut ver = VersionerClient::with_interceptor(t.channel.clone(), mac);
    let err = ver.get_version(verrpc::VersionRequest {}).await.expect_err("info:read");
    assert_eq!(err.code(), Code::Unknown);
    assert_eq!(err.message(), "permission denied");
    t.node.shutdown().await;
}

#[tokio::test]
async fn wallet_balance_is_a_fixed_confirmed_regtest_balance() {
    let t = TestNode::start().await;
    // invoice.macaroon has onchain:read, which WalletBalance needs.
    let mut ln = t.ln_with(MacaroonKind::Invoice);
    let b = ln
        .wallet_balance(lnrpc::WalletBalanceRequest::default())
        .await
        .expect("WalletBalance")
        .into_inner();
    assert!(b.confirmed_balance > 0);
    assert_eq!(b.total_balance, b.confirmed_balance + b.unconfirmed_balance);
    assert_eq!(b.unconfirmed_balance, 0);
    assert_eq!(b.locked_balance, 0);
    // Three anchor channels: 10 000 sat reserved for each.
    assert_eq!(b.reserved_balance_anchor_chan, 30_000);
    let default = &b.account_balance["default"];
    assert_eq!(default.confirmed_balance, b.confirmed_balance);
    assert_eq!(default.unconfirmed_balance, b.unconfirmed_balance);

    let err = ln
        .wallet_balance(lnrpc::WalletBalanceRequest {
            account: "savings".into(),
            min_confs: 0,
        })
        .await
        .expect_err("unknown account");
    assert!(
        err.message().starts_with("account 'savings' not found"),
        "{}",
        err.message()
    );
    t.node.shutdown().await;
}

#[tokio::test]
async fn list_peers_lists_connected_peers_only_under_peers_read() {
    let mut t = TestNode::start_with(Some(MIXED)).await;
    let channels = t.channels().await;
    let mut ln = t.ln_with(MacaroonKind::Readonly);
    let peers = ln
        .list_peers(lnrpc::ListPeersRequest::default())
        .await
        .expect("ListPeers")
        .into_inner()
        .peers;
    let mut want: Vec<&str> = channels
        .iter()
        .filter(|c| c.active)
        .map(|c| c.remote_pubkey.as_str())
        .collect();
    want.sort_unstable();
    let got: Vec<&str> = peers.iter().map(|p| p.pub_key.as_str()).collect();
    assert_eq!(got, want, "bob's channel is inactive: bob is offline");
    assert_eq!(got.len(), 2);
    for p in &peers {
        assert!(p.address.contains(':'), "host:port, got {}", p.address);
        assert_eq!(p.sync_type, lnrpc::peer::SyncType::ActiveSync as i32);
        assert!(!p.features.is_empty());
    }
    let info =
        t.ln.get_info(lnrpc::GetInfoRequest {})
            .await
            .expect("GetInfo")
            .into_inner();
    assert_eq!(info.num_peers as usize, peers.len(), "GetInfo agrees with ListPeers");

    let err = t
        .ln_with(MacaroonKind::Invoice)
        .list_peers(lnrpc::ListPeersRequest::default())
        .await
        .expect_err("peers:read");
    assert_eq!(err.message(), "permission denied");
    t.node.shutdown().await;
}

#[tokio::test]
async fn pending_and_closed_channels_are_empty_for_a_fresh_node() {
    let t = TestNode::start().await;
    let mut ln = t.ln_with(MacaroonKind::Readonly);
    let pending = ln
        .pending_channels(lnrpc::PendingChannelsRequest::default())
        .await
        .expect("PendingChannels")
        .into_inner();
    assert_eq!(pending.total_limbo_balance, 0);
    assert!(pending.pending_open_channels.is_empty());
    assert!(pending.pending_force_closing_channels.is_empty());
    assert!(pending.waiting_close_channels.is_empty());
    let closed = ln
        .closed_channels(lnrpc::ClosedChannelsRequest::default())
        .await
        .expect("ClosedChannels")
        .into_inner();
    assert!(closed.channels.is_empty());

    let err = t
        .ln_with(MacaroonKind::Invoice)
        .pending_channels(lnrpc::PendingChannelsRequest::default())
        .await
        .expect_err("offchain:read");
    assert_eq!(err.message(), "permission denied");
    t.node.shutdown().await;
}

#[tokio::test]
async fn fee_report_has_lnd_default_policy_for_every_channel() {
    let mut t = TestNode::start_with(Some(MIXED)).await;
    let channels = t.channels().await;
    let report = t
        .ln_with(MacaroonKind::Readonly)
        .fee_report(lnrpc::FeeReportRequest {})
        .await
        .expect("FeeReport")
        .into_inner();
    let got: Vec<(u64, &str)> = report
        .channel_fees
        .iter()
        .map(|f| (f.chan_id, f.channel_point.as_str()))
        .collect();
    let want: Vec<(u64, &str)> = channels.iter().map(|c| (c.chan_id, c.channel_point.as_str())).collect();
    assert_eq!(got, want);
    for f in &report.channel_fees {
        assert_eq!((f.base_fee_msat, f.fee_per_mil), (1000, 1));
        assert!((f.fee_rate - 0.000_001).abs() < 1e-12, "fee_per_mil / 1e6");
    }
    assert_eq!(
        (report.day_fee_sum, report.week_fee_sum, report.month_fee_sum),
        (0, 0, 0)
    );
    t.node.shutdown().await;
}

#[tokio::test]
async fn describe_graph_matches_list_channels() {
    let mut t = TestNode::start_with(Some(MIXED)).await;
    let own = t.node.node_pubkey_hex();
    let channels = t.channels().await;
    let mut ln = t.ln_with(MacaroonKind::Readonly);

    let public = ln
        .describe_graph(lnrpc::ChannelGraphRequest::default())
        .await
        .expect("DescribeGraph")
        .into_inner();
    let edge_ids: Vec<u64> = public.edges.iter().map(|e| e.channel_id).collect();
    let public_ids: Vec<u64> = channels.iter().filter(|c| !c.private).map(|c| c.chan_id).collect();
    assert_eq!(edge_ids, public_ids, "private channels are unannounced");
    let mut node_keys: Vec<&str> = public.nodes.iter().map(|n| n.pub_key.as_str()).collect();
    let mut want_keys: Vec<&str> = channels
        .iter()
        .filter(|c| !c.private)
        .map(|c| c.remote_pubkey.as_str())
        .chain([own.as_str()])
        .collect();
    node_keys.sort_unstable();
    want_keys.sort_unstable();
    assert_eq!(node_keys, want_keys);

    for e in &public.edges {
        let c = channels.iter().find(|c| c.chan_id == e.channel_id).expect("channel");
        assert_eq!(e.chan_point, c.channel_point);
        assert_eq!(e.capacity, c.capacity);
        assert!(e.node1_pub < e.node2_pub, "node1 is the smaller key");
        let mut ends = [e.node1_pub.as_str(), e.node2_pub.as_str()];
        ends.sort_unstable();
        let mut want = [own.as_str(), c.remote_pubkey.as_str()];
        want.sort_unstable();
        assert_eq!(ends, want);
        let ours = if e.node1_pub == own {
            e.node1_policy.as_ref()
        } else {
            e.node2_policy.as_ref()
        };
        let ours = ours.expect("our policy");
        assert_eq!((ours.fee_base_msat, ours.fee_rate_milli_msat), (1000, 1));
        assert_eq!(ours.disabled, !c.active, "an inactive channel is disabled");
        assert_eq!(ours.time_lock_delta, 80);
        assert_eq!(ours.max_htlc_msat as i64, (c.capacity - c.capacity / 100) * 1000);
    }
    let alice = public.edges.iter().find(|e| e.capacity == 2_000_000).expect("alice");
    let theirs = if alice.node1_pub == own {
        alice.node2_policy.as_ref()
    } else {
        alice.node1_policy.as_ref()
    }
    .expect("alice's policy");
    assert_eq!((theirs.fee_base_msat, theirs.fee_rate_milli_msat), (500, 200));

    let all = ln
        .describe_graph(lnrpc::ChannelGraphRequest {
            include_unannounced: true,
            include_auth_proof: false,
        })
        .await
        .expect("DescribeGraph")
        .into_inner();
    let all_ids: Vec<u64> = all.edges.iter().map(|e| e.channel_id).collect();
    let want_all: Vec<u64> = channels.iter().map(|c| c.chan_id).collect();
    assert_eq!(all_ids, want_all);
    assert_eq!(all.nodes.len(), 4);
    t.node.shutdown().await;
}

#[tokio::test]
async fn get_node_info_and_network_info_follow_the_public_graph() {
    let mut t = TestNode::start_with(Some(MIXED)).await;
    let own = t.node.node_pubkey_hex();
    let channels = t.channels().await;
    let mut ln = t.ln_with(MacaroonKind::Readonly);

    let info = ln
        .get_node_info(lnrpc::NodeInfoRequest {
            pub_key: own.clone(),
            include_channels: true,
            include_auth_proof: false,
        })
        .await
        .expect("GetNodeInfo")
        .into_inner();
    let node = info.node.expect("node");
    assert_eq!(node.pub_key, own);
    assert_eq!(node.alias, "test-node");
    // alice (2 000 000) and bob (1 000 000, inactive but announced); carol's is private.
    assert_eq!(info.num_channels, 2);
    assert_eq!(info.total_capacity, 3_000_000);
    assert_eq!(info.channels.len(), 2);

    let alice = channels.iter().find(|c| c.capacity == 2_000_000).expect("alice");
    let peer = ln
        .get_node_info(lnrpc::NodeInfoRequest {
            pub_key: alice.remote_pubkey.clone(),
            ..Default::default()
        })
        .await
        .expect("peer")
        .into_inner();
    assert_eq!(peer.node.expect("node").alias, "alice");
    assert_eq!((peer.num_channels, peer.total_capacity), (1, 2_000_000));
    assert!(peer.channels.is_empty(), "channels only with include_channels");

    let err = ln
        .get_node_info(lnrpc::NodeInfoRequest {
            pub_key: format!("02{}", "11".repeat(32)),
            ..Default::default()
        })
        .await
        .expect_err("unknown node");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), "unable to find node");
    let err = ln
        .get_node_info(lnrpc::NodeInfoRequest {
            pub_key: "02ab".into(),
            ..Default::default()
        })
        .await
        .expect_err("short key");
    assert_eq!(err.message(), "invalid vertex string length of 4, want 66");
    let err = ln
        .get_node_info(lnrpc::NodeInfoRequest {
            pub_key: own.clone(),
            include_channels: false,
            include_auth_proof: true,
        })
        .await
        .expect_err("auth proof needs channels");
    assert_eq!(err.message(), "include_auth_proof depends on include_channels");

    let net = ln
        .get_network_info(lnrpc::NetworkInfoRequest {})
        .await
        .expect("GetNetworkInfo")
        .into_inner();
    assert_eq!((net.num_nodes, net.num_channels), (3, 2));
    assert_eq!(net.total_network_capacity, 3_000_000);
    assert_eq!((net.min_channel_size, net.max_channel_size), (1_000_000, 2_000_000));
    assert_eq!(net.median_channel_size_sat, 1_500_000);
    assert!((net.avg_channel_size - 1_500_000.0).abs() < 1e-6);
    assert!((net.avg_out_degree - 4.0 / 3.0).abs() < 1e-9);
    assert_eq!(net.max_out_degree, 2);
    assert_eq!(net.graph_diameter, 2);
    t.node.shutdown().await;
}

/// A raw unary call of `path` with an empty request, as a client built for another LND version
/// would make it.
async fn raw_call(t: &TestNode, path: &'static str) -> tonic::Status {
    let channel = tonic::service::interceptor::InterceptedService::new(
        t.channel.clone(),
        Mac::from_file(&t.node.macaroon_path(MacaroonKind::Admin)),
    );
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    grpc.unary::<lnrpc::GetInfoRequest, lnrpc::GetInfoResponse, _>(
        tonic::Request::new(lnrpc::GetInfoRequest {}),
        PathAndQuery::from_static(path),
        tonic_prost::ProstCodec::default(),
    )
    .await
    .expect_err("not served")
}

#[tokio::test]
async fn unknown_and_removed_methods_answer_unimplemented() {
    let t = TestNode::start().await;
    // Removed in LND 0.21 (SendPaymentSync, SendToRouteSync, v1 TrackPayment).
    for (path, method, service) in [
        ("/lnrpc.Lightning/SendPaymentSync", "SendPaymentSync", "lnrpc.Lightning"),
        ("/lnrpc.Lightning/SendToRouteSync", "SendToRouteSync", "lnrpc.Lightning"),
        ("/routerrpc.Router/TrackPayment", "TrackPayment", "routerrpc.Router"),
        // In LND but not simulated.
        ("/lnrpc.Lightning/OpenChannelSync", "OpenChannelSync", "lnrpc.Lightning"),
        ("/lnrpc.Lightning/ConnectPeer", "ConnectPeer", "lnrpc.Lightning"),
        (
            "/routerrpc.Router/EstimateRouteFee",
            "EstimateRouteFee",
            "routerrpc.Router",
        ),
    ] {
        let status = raw_call(&t, path).await;
        assert_eq!(status.code(), Code::Unimplemented, "{path}: {status:?}");
        assert_eq!(
            status.message(),
            format!("unknown method {method} for service {service}")
        );
    }
    let status = raw_call(&t, "/walletrpc.WalletKit/ListUnspent").await;
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(status.message(), "unknown service walletrpc.WalletKit");
    // The gate answers it before the macaroon check, as grpc-go does before LND's interceptor.
    let mut grpc = tonic::client::Grpc::new(t.channel.clone());
    grpc.ready().await.expect("ready");
    let status = grpc
        .unary::<lnrpc::GetInfoRequest, lnrpc::GetInfoResponse, _>(
            tonic::Request::new(lnrpc::GetInfoRequest {}),
            PathAndQuery::from_static("/lnrpc.Lightning/SendPaymentSync"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect_err("not served");
    assert_eq!(status.code(), Code::Unimplemented);
    t.node.shutdown().await;
}

#[tokio::test]
async fn channel_backups_export_and_verify_and_tampering_is_refused() {
    let mut t = TestNode::start().await;
    let channels = t.channels().await;
    let points: Vec<String> = channels.iter().map(|c| c.channel_point.clone()).collect();
    let mut ln = t.ln_with(MacaroonKind::Readonly);
    let snapshot = ln
        .export_all_channel_backups(lnrpc::ChanBackupExportRequest {})
        .await
        .expect("ExportAllChannelBackups")
        .into_inner();
    let singles = snapshot.single_chan_backups.clone().expect("singles").chan_backups;
    assert_eq!(singles.len(), channels.len());
    let multi = snapshot.multi_chan_backup.clone().expect("multi");
    assert_eq!(multi.chan_points.len(), channels.len());

    let verify = |snapshot: lnrpc::ChanBackupSnapshot| {
        let mut ln = ln.clone();
        async move {
            ln.verify_chan_backup(snapshot)
                .await
                .map(|r| r.into_inner().chan_points)
        }
    };
    let multi_only = lnrpc::ChanBackupSnapshot {
        single_chan_backups: None,
        multi_chan_backup: Some(multi.clone()),
    };
    assert_eq!(verify(multi_only.clone()).await.expect("multi verifies"), points);
    let one = lnrpc::ChanBackupSnapshot {
        single_chan_backups: Some(lnrpc::ChannelBackups {
            chan_backups: vec![singles[1].clone()],
        }),
        multi_chan_backup: None,
    };
    assert_eq!(verify(one).await.expect("single verifies"), vec![points[1].clone()]);

    // Any changed byte (a channel point, or the MAC) is refused.
    for position in [5, multi.multi_chan_backup.len() - 1] {
        let mut tampered = multi.clone();
        tampered.multi_chan_backup[position] ^= 0x01;
        let err = verify(lnrpc::ChanBackupSnapshot {
            single_chan_backups: None,
            multi_chan_backup: Some(tampered),
        })
        .await
        .expect_err("tampered");
        assert_eq!(
            err.message(),
            "invalid multi channel backup: chacha20poly1305: message authentication failed"
        );
    }
    // Another node's backup is refused too.
    let other = TestNode::start().await;
    let err = other
        .ln_with(MacaroonKind::Admin)
        .verify_chan_backup(multi_only)
        .await
        .expect_err("foreign backup");
    assert!(
        err.message().starts_with("invalid multi channel backup"),
        "{}",
        err.message()
    );
    other.node.shutdown().await;

    let err = verify(lnrpc::ChanBackupSnapshot::default()).await.expect_err("empty");
    assert_eq!(
        err.message(),
        "either a Single or Multi channel backup must be specified"
    );
    let err = verify(snapshot.clone()).await.expect_err("both");
    assert_eq!(
        err.message(),
        "either a Single or Multi channel backup must be specified, but not both"
    );
    let err = verify(lnrpc::ChanBackupSnapshot {
        single_chan_backups: snapshot.single_chan_backups.clone(),
        multi_chan_backup: None,
    })
    .await
    .expect_err("several singles");
    assert_eq!(err.message(), "only one Single is accepted at a time");
    t.node.shutdown().await;
}

#[tokio::test]
async fn channel_backup_stream_sends_a_snapshot_when_a_channel_closes() {
    use futures::StreamExt;
    let mut t = TestNode::start().await;
    let channels = t.channels().await;
    let mut stream = t
        .ln_with(MacaroonKind::Readonly)
        .subscribe_channel_backups(lnrpc::ChannelBackupSubscription {})
        .await
        .expect("SubscribeChannelBackups")
        .into_inner();
    simnode::fault(
        &t.data_dir(),
        simnode::FaultCommand::ForceClose {
            chan_id: channels[0].chan_id,
            remote: false,
        },
    )
    .await
    .expect("force close");
    let snapshot = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
        .await
        .expect("a snapshot in time")
        .expect("open")
        .expect("snapshot");
    let multi = snapshot.multi_chan_backup.expect("multi");
    assert_eq!(multi.chan_points.len(), 2, "the closed channel is no longer covered");
    let covered =
        t.ln.verify_chan_backup(lnrpc::ChanBackupSnapshot {
            single_chan_backups: None,
            multi_chan_backup: Some(multi),
        })
        .await
        .expect("verifies")
        .into_inner()
        .chan_points;
    let open: Vec<String> = t.channels().await.into_iter().map(|c| c.channel_point).collect();
    assert_eq!(covered, open);
    t.node.shutdown().await;
}

#[tokio::test]
async fn list_unspent_and_get_transactions_agree_with_wallet_balance() {
    let t = TestNode::start().await;
    let mut ln = t.ln_with(MacaroonKind::Readonly);
    let balance = ln
        .wallet_balance(lnrpc::WalletBalanceRequest::default())
        .await
        .expect("WalletBalance")
        .into_inner();
    let utxos = ln
        .list_unspent(lnrpc::ListUnspentRequest {
            min_confs: 1,
            max_confs: i32::MAX,
            account: String::new(),
        })
        .await
        .expect("ListUnspent")
        .into_inner()
        .utxos;
    assert_eq!(
        utxos.iter().map(|u| u.amount_sat).sum::<i64>(),
        balance.confirmed_balance
    );
    let utxo = &utxos[0];
    assert!(utxo.address.starts_with("bcrt1q"), "regtest P2WPKH: {}", utxo.address);
    assert_eq!(utxo.address_type, lnrpc::AddressType::WitnessPubkeyHash as i32);
    assert!(utxo.pk_script.starts_with("0014") && utxo.pk_script.len() == 44);
    assert!(utxo.confirmations >= 1);
    let outpoint = utxo.outpoint.as_ref().expect("outpoint");
    let mut display = outpoint.txid_bytes.clone();
    display.reverse();
    assert_eq!(
        hex::encode(display),
        outpoint.txid_str,
        "txid_str is the reversed bytes"
    );

    // LND's ParseConfs: 0..=0 lists only unconfirmed outputs; bad ranges are refused.
    let none = ln
        .list_unspent(lnrpc::ListUnspentRequest::default())
        .await
        .expect("ListUnspent")
        .into_inner()
        .utxos;
    assert!(none.is_empty());
    let err = ln
        .list_unspent(lnrpc::ListUnspentRequest {
            min_confs: 5,
            max_confs: 1,
            account: String::new(),
        })
        .await
        .expect_err("min > max");
    assert_eq!(err.message(), "max confirmations must be >= min confirmations");
    let err = ln
        .list_unspent(lnrpc::ListUnspentRequest {
            min_confs: -1,
            max_confs: 1,
            account: String::new(),
        })
        .await
        .expect_err("negative");
    assert_eq!(err.message(), "min confirmations must be >= 0");

    let txs = ln
        .get_transactions(lnrpc::GetTransactionsRequest::default())
        .await
        .expect("GetTransactions")
        .into_inner();
    assert_eq!(txs.transactions.len(), 1);
    let tx = &txs.transactions[0];
    assert_eq!(tx.tx_hash, outpoint.txid_str);
    assert_eq!(tx.amount, utxo.amount_sat);
    assert_eq!(i64::from(tx.num_confirmations), utxo.confirmations);
    assert_eq!(tx.output_details[0].address, utxo.address);
    assert!(tx.output_details[0].is_our_address);
    // A height range that excludes the funding block lists nothing.
    let later = ln
        .get_transactions(lnrpc::GetTransactionsRequest {
            start_height: tx.block_height + 1,
            end_height: -1,
            ..Default::default()
        })
        .await
        .expect("GetTransactions")
        .into_inner();
    assert!(later.transactions.is_empty());

    let err = t
        .ln_with(MacaroonKind::Readonly)
        .list_unspent(lnrpc::ListUnspentRequest {
            min_confs: 0,
            max_confs: 10,
            account: "cold".into(),
        })
        .await
        .expect_err("unknown account");
    assert!(
        err.message().starts_with("account 'cold' not found"),
        "{}",
        err.message()
    );
    t.node.shutdown().await;
}

#[tokio::test]
async fn list_permissions_names_lnd_permissions_and_forwarding_history_is_empty() {
    let t = TestNode::start().await;
    let mut ln = t.ln_with(MacaroonKind::Readonly);
    let perms = ln
        .list_permissions(lnrpc::ListPermissionsRequest {})
        .await
        .expect("ListPermissions")
        .into_inner()
        .method_permissions;
    let of = |method: &str| -> Vec<(String, String)> {
        perms[method]
            .permissions
            .iter()
            .map(|p| (p.entity.clone(), p.action.clone()))
            .collect()
    };
    let pair = |e: &str, a: &str| vec![(e.to_string(), a.to_string())];
    assert_eq!(of("/lnrpc.Lightning/WalletBalance"), pair("onchain", "read"));
    assert_eq!(of("/lnrpc.Lightning/ListPeers"), pair("peers", "read"));
    assert_eq!(of("/lnrpc.Lightning/FeeReport"), pair("offchain", "read"));
    assert_eq!(of("/lnrpc.Lightning/DescribeGraph"), pair("info", "read"));
    assert_eq!(of("/routerrpc.Router/SendPaymentV2"), pair("offchain", "write"));
    assert_eq!(of("/verrpc.Versioner/GetVersion"), pair("info", "read"));
    assert_eq!(of("/lnrpc.Lightning/AddInvoice"), pair("invoices", "write"));
    assert!(
        !perms.contains_key("/lnrpc.Lightning/SendPaymentSync"),
        "removed in 0.21"
    );

    let history = ln
        .forwarding_history(lnrpc::ForwardingHistoryRequest::default())
        .await
        .expect("ForwardingHistory")
        .into_inner();
    assert!(history.forwarding_events.is_empty());
    let err = t
        .ln_with(MacaroonKind::Invoice)
        .forwarding_history(lnrpc::ForwardingHistoryRequest::default())
        .await
        .expect_err("offchain:read");
    assert_eq!(err.message(), "permission denied");
    t.node.shutdown().await;
}

#[tokio::test]
async fn update_channel_policy_needs_offchain_write_and_shows_in_fee_report_and_graph() {
    use lnrpc::policy_update_request::Scope;
    let mut t = TestNode::start().await;
    let own = t.node.node_pubkey_hex();
    let channels = t.channels().await;
    let target = &channels[1];
    let (txid, index) = target.channel_point.split_once(':').expect("txid:index");
    let chan_point = lnrpc::ChannelPoint {
        funding_txid: Some(lnrpc::channel_point::FundingTxid::FundingTxidStr(txid.to_string())),
        output_index: index.parse().expect("index"),
    };
    let update = lnrpc::PolicyUpdateRequest {
        scope: Some(Scope::ChanPoint(chan_point.clone())),
        base_fee_msat: 2_500,
        fee_rate_ppm: 350,
        time_lock_delta: 144,
        ..Default::default()
    };

    // LND: offchain:write; the read-only macaroon is refused and nothing changes.
    let err = t
        .ln_with(MacaroonKind::Readonly)
        .update_channel_policy(update.clone())
        .await
        .expect_err("readonly");
    assert_eq!(err.message(), "permission denied");
    let report =
        t.ln.fee_report(lnrpc::FeeReportRequest {})
            .await
            .expect("FeeReport")
            .into_inner();
    assert!(report
        .channel_fees
        .iter()
        .all(|f| (f.base_fee_msat, f.fee_per_mil) == (1000, 1)));

    let resp =
        t.ln.update_channel_policy(update)
            .await
            .expect("UpdateChannelPolicy")
            .into_inner();
    assert!(resp.failed_updates.is_empty(), "{resp:?}");
    let report =
        t.ln.fee_report(lnrpc::FeeReportRequest {})
            .await
            .expect("FeeReport")
            .into_inner();
    let fees: Vec<(u64, i64, i64)> = report
        .channel_fees
        .iter()
        .map(|f| (f.chan_id, f.base_fee_msat, f.fee_per_mil))
        .collect();
    assert_eq!(
        fees,
        vec![
            (channels[0].chan_id, 1000, 1),
            (target.chan_id, 2_500, 350),
            (channels[2].chan_id, 1000, 1)
        ]
    );
    assert!((report.channel_fees[1].fee_rate - 0.000_35).abs() < 1e-12);
    let graph =
        t.ln.describe_graph(lnrpc::ChannelGraphRequest::default())
            .await
            .expect("DescribeGraph")
            .into_inner();
    let edge = graph
        .edges
        .iter()
        .find(|e| e.channel_id == target.chan_id)
        .expect("edge");
    let ours = if edge.node1_pub == own {
        edge.node1_policy.as_ref()
    } else {
        edge.node2_policy.as_ref()
    }
    .expect("our policy");
    assert_eq!(
        (ours.fee_base_msat, ours.fee_rate_milli_msat, ours.time_lock_delta),
        (2_500, 350, 144)
    );

    // Global scope, fee_rate as a fraction.
    let resp =
        t.ln.update_channel_policy(lnrpc::PolicyUpdateRequest {
            scope: Some(Scope::Global(true)),
            base_fee_msat: 0,
            fee_rate: 0.0001,
            time_lock_delta: 40,
            ..Default::default()
        })
        .await
        .expect("global")
        .into_inner();
    assert!(resp.failed_updates.is_empty());
    let report =
        t.ln.fee_report(lnrpc::FeeReportRequest {})
            .await
            .expect("FeeReport")
            .into_inner();
    assert!(report
        .channel_fees
        .iter()
        .all(|f| (f.base_fee_msat, f.fee_per_mil) == (0, 100)));

    // LND's refusals.
    let bad = |change: fn(&mut lnrpc::PolicyUpdateRequest)| {
        let mut req = lnrpc::PolicyUpdateRequest {
            scope: Some(Scope::Global(true)),
            time_lock_delta: 40,
            ..Default::default()
        };
        change(&mut req);
        req
    };
    let err =
        t.ln.update_channel_policy(bad(|r| {
            r.fee_rate = 0.001;
            r.fee_rate_ppm = 5;
        }))
        .await
        .expect_err("both rates");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.message(), "cannot set both FeeRate and FeeRatePpm at the same time");
    let err =
        t.ln.update_channel_policy(bad(|r| r.time_lock_delta = 10))
            .await
            .expect_err("small delta");
    assert_eq!(
        err.message(),
        "time lock delta of 10 is too small, minimum supported is 24"
    );
    let err =
        t.ln.update_channel_policy(bad(|r| r.time_lock_delta = 3000))
            .await
            .expect_err("delta over max-cltv-expiry");
    assert_eq!(err.message(), "time lock delta of 3000 exceeds max-cltv-expiry of 2016");

    // An unknown channel point is a failed update, not an error.
    let resp =
        t.ln.update_channel_policy(lnrpc::PolicyUpdateRequest {
            scope: Some(Scope::ChanPoint(lnrpc::ChannelPoint {
                funding_txid: Some(lnrpc::channel_point::FundingTxid::FundingTxidBytes(vec![7; 32])),
                output_index: 0,
            })),
            time_lock_delta: 40,
            ..Default::default()
        })
        .await
        .expect("answers")
        .into_inner();
    assert_eq!(resp.failed_updates.len(), 1);
    assert_eq!(resp.failed_updates[0].reason, lnrpc::UpdateFailure::NotFound as i32);
    assert_eq!(resp.failed_updates[0].update_error, "not found");
    t.node.shutdown().await;
}
