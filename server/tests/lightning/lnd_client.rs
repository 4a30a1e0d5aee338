//! The LND client over real TLS and gRPC against the simulated node (simnode) on 127.0.0.1.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::lightning::{lnd_config, sim_config};
use futures::StreamExt;
use lnd_proto::lnrpc::{Invoice, InvoiceSubscription, ListChannelsRequest};
use openfatture::lnd::{InvoiceStream, LndClient, LndConfig, LndError};
use openfatture::node;
use simnode::{FaultCommand, MacaroonKind, RunningNode, SimNodeConfig};
use tempfile::TempDir;

const ALIAS: &str = "shop-node";

async fn start_node(dir: &Path) -> RunningNode {
    simnode::start(SimNodeConfig {
        alias: Some(ALIAS.into()),
        ..sim_config(dir)
    })
    .await
    .expect("simnode starts")
}

fn config(node: &RunningNode, kind: MacaroonKind) -> LndConfig {
    lnd_config(node, kind, Duration::from_secs(5))
}

/// A node whose files (certificate, macaroons) belong to another identity.
async fn other_node_files() -> (TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(dir.path()).await;
    let cert = node.tls_cert_path();
    let macaroon = node.macaroon_path(MacaroonKind::Admin);
    node.shutdown().await;
    (dir, cert, macaroon)
}

#[tokio::test]
async fn happy_path_reads_info_channels_and_balance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let client = LndClient::connect(config(&sim, MacaroonKind::Admin))
        .await
        .expect("connect");

    let info = client.get_info().await.expect("get_info");
    assert_eq!(info.alias, ALIAS);
    assert_eq!(info.identity_pubkey, sim.node_pubkey_hex());

    let channels = client
        .list_channels(ListChannelsRequest::default())
        .await
        .expect("list_channels")
        .channels;
    assert_eq!(channels.len(), 3);
    let balance = client.channel_balance().await.expect("channel_balance");
    let local: i64 = channels.iter().map(|c| c.local_balance).sum();
    let remote: i64 = channels.iter().map(|c| c.remote_balance).sum();
    assert_eq!(
        balance.local_balance.expect("local").sat,
        u64::try_from(local).expect("positive")
    );
    assert_eq!(
        balance.remote_balance.expect("remote").sat,
        u64::try_from(remote).expect("positive")
    );

    let status = node::node_status(&client, "the-host", false).await.expect("status");
    assert_eq!(status.alias, ALIAS);
    assert_eq!(status.host, "the-host");
    assert_eq!(status.active_channels, 3);
    assert_eq!(status.capacity_sat, 8_000_000);
    assert_eq!(status.network, "regtest");
    let views = node::channels(&client).await.expect("channels");
    assert_eq!(views.len(), 3);
    assert!(views
        .iter()
        .any(|c| c.peer_alias == "bob" && c.capacity_sat == 5_000_000));

    // Invoices through the read-only macaroon: reads work.
    let readonly = LndClient::connect(config(&sim, MacaroonKind::Readonly))
        .await
        .expect("connect");
    readonly.get_info().await.expect("readonly may read info");
    sim.shutdown().await;
}

#[tokio::test]
async fn another_nodes_certificate_is_a_tls_mismatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let (_other, other_cert, _) = other_node_files().await;
    let cfg = LndConfig {
        tls_cert_path: other_cert.clone(),
        ..config(&sim, MacaroonKind::Admin)
    };

    let e = LndClient::connect(cfg.clone()).await.expect_err("must refuse");
    assert!(matches!(e, LndError::TlsMismatch { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "TLS certificate at {} does not match the node at {}",
            other_cert.display(),
            sim.grpc_addr()
        )),
        "{e}"
    );

    // The same through a lazily connected client, on its first call.
    let lazy = LndClient::connect_lazy(cfg).expect("files are readable");
    let e = lazy.get_info().await.expect_err("must refuse");
    assert!(matches!(e, LndError::TlsMismatch { .. }), "{e:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn foreign_missing_and_unreadable_macaroons_fail_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let (_other, _, other_macaroon) = other_node_files().await;

    let cfg = LndConfig {
        macaroon_path: other_macaroon.clone(),
        ..config(&sim, MacaroonKind::Admin)
    };
    let client = LndClient::connect(cfg).await.expect("TLS is fine");
    let e = client.get_info().await.expect_err("foreign macaroon");
    assert!(matches!(e, LndError::Macaroon { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.starts_with("Macaroon authentication failed: "), "{text}");
    assert!(text.contains("verification failed"), "{text}");
    assert!(text.contains(&other_macaroon.display().to_string()), "{text}");

    let missing = dir.path().join("no-such.macaroon");
    let cfg = LndConfig {
        macaroon_path: missing.clone(),
        ..config(&sim, MacaroonKind::Admin)
    };
    let e = LndClient::connect_lazy(cfg).expect_err("missing file");
    assert!(matches!(e, LndError::MacaroonFile { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(&missing.display().to_string()) && text.contains("No such file"),
        "{text}"
    );

    // A directory cannot be read as a file, even by root.
    let cfg = LndConfig {
        macaroon_path: dir.path().to_path_buf(),
        ..config(&sim, MacaroonKind::Admin)
    };
    let e = LndClient::connect(cfg).await.expect_err("unreadable file");
    assert!(matches!(e, LndError::MacaroonFile { .. }), "{e:?}");

    let bad_cert = dir.path().join("missing-tls.cert");
    let cfg = LndConfig {
        tls_cert_path: bad_cert.clone(),
        ..config(&sim, MacaroonKind::Admin)
    };
    let e = LndClient::connect(cfg).await.expect_err("missing cert");
    assert!(matches!(e, LndError::CertFile { .. }), "{e:?}");
    assert!(e.to_string().contains(&bad_cert.display().to_string()), "{e}");
    sim.shutdown().await;
}

#[tokio::test]
async fn invoice_macaroon_cannot_list_channels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let cfg = config(&sim, MacaroonKind::Invoice);
    let path = cfg.macaroon_path.clone();
    let client = LndClient::connect(cfg).await.expect("connect");

    let e = client
        .list_channels(ListChannelsRequest::default())
        .await
        .expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!(
            "Permission denied for ListChannels: the macaroon at {} lacks offchain:read \
             (invoice.macaroon cannot list channels); use admin.macaroon or readonly.macaroon",
            path.display()
        )
    );
    let e = client.get_info().await.expect_err("refused");
    assert!(e.to_string().contains("lacks info:read"), "{e}");
    // What it is for still works.
    client
        .add_invoice(Invoice {
            value: 1_000,
            memo: "ok".into(),
            ..Invoice::default()
        })
        .await
        .expect("add");
    sim.shutdown().await;
}

#[tokio::test]
async fn node_down_is_failed_to_connect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let cfg = LndConfig {
        host: closed.to_string(),
        max_retries: 2,
        ..config(&sim, MacaroonKind::Admin)
    };

    let e = LndClient::connect(cfg.clone()).await.expect_err("down");
    assert!(
        e.to_string()
            .starts_with(&format!("Failed to connect to LND at {closed}: ")),
        "{e}"
    );

    // A lazy client retries the read twice (200 ms, then 400 ms) before giving up.
    let lazy = LndClient::connect_lazy(cfg).expect("files ok");
    let started = Instant::now();
    let e = lazy.get_info().await.expect_err("down");
    assert!(
        e.to_string()
            .starts_with(&format!("Failed to connect to LND at {closed}: ")),
        "{e}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "retried with backoff: {:?}",
        started.elapsed()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn reads_are_retried_on_unavailable_but_writes_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let client = LndClient::connect(LndConfig {
        max_retries: 3,
        breaker_failures: openfatture::lnd::DEFAULT_BREAKER_FAILURES,
        breaker_open: openfatture::lnd::DEFAULT_BREAKER_OPEN,
        ..config(&sim, MacaroonKind::Admin)
    })
    .await
    .expect("connect");

    simnode::fault(dir.path(), FaultCommand::Unavailable { count: 2 })
        .await
        .expect("fault");
    client.get_info().await.expect("third attempt succeeds");

    simnode::fault(dir.path(), FaultCommand::Unavailable { count: 1 })
        .await
        .expect("fault");
    let e = client
        .add_invoice(Invoice {
            value: 10,
            ..Invoice::default()
        })
        .await
        .expect_err("not retried");
    assert!(matches!(e, LndError::Connect { .. }), "{e:?}");
    // The single refusal was used up by the one attempt.
    client
        .add_invoice(Invoice {
            value: 10,
            ..Invoice::default()
        })
        .await
        .expect("next call works");

    let no_retry = LndClient::connect(config(&sim, MacaroonKind::Admin))
        .await
        .expect("connect");
    simnode::fault(dir.path(), FaultCommand::Unavailable { count: 1 })
        .await
        .expect("fault");
    no_retry.get_info().await.expect_err("max_retries 0");
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_node_hits_the_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let cfg = LndConfig {
        timeout: Duration::from_secs(1),
        max_retries: 3,
        breaker_failures: openfatture::lnd::DEFAULT_BREAKER_FAILURES,
        breaker_open: openfatture::lnd::DEFAULT_BREAKER_OPEN,
        ..config(&sim, MacaroonKind::Admin)
    };
    let client = LndClient::connect(cfg).await.expect("connect");
    simnode::fault(
        dir.path(),
        FaultCommand::Latency {
            ms: 4_000,
            method: Some("GetInfo".into()),
        },
    )
    .await
    .expect("fault");

    let started = Instant::now();
    let e = client.get_info().await.expect_err("too slow");
    assert_eq!(
        e.to_string(),
        "LND did not answer within 1 s (lightning_timeout_seconds)"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "not retried: {:?}",
        started.elapsed()
    );
    // Other methods are not delayed.
    client.channel_balance().await.expect("fast method");
    sim.shutdown().await;
}

async fn next_update(stream: &mut InvoiceStream) -> Invoice {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an update in time")
        .expect("stream open")
        .expect("no error")
}

#[tokio::test]
async fn subscribe_invoices_replays_strictly_greater_indexes_then_streams() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let client = LndClient::connect(config(&sim, MacaroonKind::Admin))
        .await
        .expect("connect");
    let mut add_indexes = Vec::new();
    for i in 0..3 {
        let added = client
            .add_invoice(Invoice {
                value: 1_000 + i,
                memo: format!("n{i}"),
                ..Invoice::default()
            })
            .await
            .expect("add");
        add_indexes.push(added.add_index);
    }

    let mut stream = client
        .subscribe_invoices(InvoiceSubscription {
            add_index: add_indexes[0],
            settle_index: 0,
        })
        .await
        .expect("subscribe");
    assert_eq!(next_update(&mut stream).await.add_index, add_indexes[1]);
    assert_eq!(next_update(&mut stream).await.add_index, add_indexes[2]);

    let added = client
        .add_invoice(Invoice {
            value: 5_000,
            memo: "live".into(),
            ..Invoice::default()
        })
        .await
        .expect("add");
    let live = next_update(&mut stream).await;
    assert_eq!(live.add_index, added.add_index);
    assert_eq!(live.memo, "live");
    sim.shutdown().await;
}

/// Repeated failures to reach the node open the circuit breaker: calls then fail fast with a
/// clear message, and one trial call after the open period finds the node back and closes it.
#[tokio::test]
async fn an_unreachable_node_opens_the_breaker_and_the_client_recovers_by_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start_node(dir.path()).await;
    let addr = sim.grpc_addr();
    let cfg = LndConfig {
        timeout: Duration::from_secs(2),
        breaker_failures: 2,
        breaker_open: Duration::from_secs(1),
        ..config(&sim, MacaroonKind::Admin)
    };
    let client = LndClient::connect(cfg).await.expect("connect");
    client.get_info().await.expect("up");
    assert_eq!(client.breaker_state().to_string(), "closed");

    sim.shutdown().await;
    for _ in 0..2 {
        let e = client.get_info().await.expect_err("down");
        assert!(e.to_string().starts_with("Failed to connect to LND at"), "{e}");
    }
    // Open: the next call is refused without reaching for the node.
    let e = client.get_info().await.expect_err("open");
    assert!(matches!(e, LndError::CircuitOpen { .. }), "{e:?}");
    assert!(e.to_string().contains("circuit breaker is open"), "{e}");
    assert!(e.to_string().contains("lightning_circuit_breaker_timeout"), "{e}");
    assert!(
        client.breaker_state().to_string().starts_with("open"),
        "{}",
        client.breaker_state()
    );

    // The node comes back on the same address; after the open period one trial call succeeds.
    let back = simnode::start(SimNodeConfig {
        data_dir: dir.path().to_path_buf(),
        listen: addr,
        topology: None,
        alias: Some(ALIAS.into()),
    })
    .await
    .expect("simnode restarts");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.get_info().await {
            Ok(info) => {
                assert_eq!(info.alias, ALIAS);
                break;
            }
            // The breaker may need its open period to pass again before the next trial.
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(e) => panic!("the client did not recover: {e}"),
        }
    }
    assert_eq!(client.breaker_state().to_string(), "closed");
    back.shutdown().await;
}
