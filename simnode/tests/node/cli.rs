//! The `simnode` binary end to end: run, pay (success and LND-like failure), fault, SIGTERM.

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{connect, Mac};
use lnd_proto::lnrpc::{self, lightning_client::LightningClient};

fn simnode() -> Command {
    Command::new(env!("CARGO_BIN_EXE_simnode"))
}

#[tokio::test]
async fn run_pay_fault_and_terminate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("node");
    let mut child = simnode()
        .args(["run", "--data-dir"])
        .arg(&data_dir)
        .args(["--listen", "127.0.0.1:0", "--alias", "cli-node"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn simnode run");
    let stdout = child.stdout.take().expect("stdout");
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = line_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("simnode prints its address");
    let addr: SocketAddr = first
        .strip_prefix("simnode listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .expect("socket address");

    let channel = connect(addr, &data_dir.join("tls.cert")).await;
    let mac = Mac::from_file(&data_dir.join("data/chain/bitcoin/regtest/admin.macaroon"));
    let mut ln = LightningClient::with_interceptor(channel, mac);
    let info = ln
        .get_info(lnrpc::GetInfoRequest {})
        .await
        .expect("GetInfo")
        .into_inner();
    assert_eq!(info.alias, "cli-node");
    let added = ln
        .add_invoice(lnrpc::Invoice {
            value: 1_234,
            memo: "cli".into(),
            ..Default::default()
        })
        .await
        .expect("AddInvoice")
        .into_inner();

    let pay = |bolt11: &str, data_dir: &Path| {
        simnode()
            .arg("pay")
            .arg("--data-dir")
            .arg(data_dir)
            .arg(bolt11)
            .output()
            .expect("simnode pay")
    };
    let ok = pay(&added.payment_request, &data_dir);
    assert!(
        ok.status.success(),
        "pay failed: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("settled"));
    let inv = ln
        .lookup_invoice(lnrpc::PaymentHash {
            r_hash: added.r_hash.clone(),
            ..Default::default()
        })
        .await
        .expect("lookup")
        .into_inner();
    assert_eq!(inv.state, lnrpc::invoice::InvoiceState::Settled as i32);

    let again = pay(&added.payment_request, &data_dir);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already paid"));

    let fault = simnode()
        .args(["fault", "--data-dir"])
        .arg(&data_dir)
        .args(["unavailable", "--count", "1"])
        .output()
        .expect("simnode fault");
    assert!(fault.status.success(), "{}", String::from_utf8_lossy(&fault.stderr));
    let err = ln
        .get_info(lnrpc::GetInfoRequest {})
        .await
        .expect_err("unavailable once");
    assert_eq!(err.code(), tonic::Code::Unavailable);
    ln.get_info(lnrpc::GetInfoRequest {}).await.expect("available again");

    // Channel faults from the command line: a peer offline, then a force close.
    let fault_cli = |args: &[&str]| {
        simnode()
            .args(["fault", "--data-dir"])
            .arg(&data_dir)
            .args(args)
            .output()
            .expect("simnode fault")
    };
    let channels = ln
        .list_channels(lnrpc::ListChannelsRequest::default())
        .await
        .expect("ListChannels")
        .into_inner()
        .channels;
    let out = fault_cli(&["peer-offline", "--peer", "bob"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let peers = ln
        .list_peers(lnrpc::ListPeersRequest::default())
        .await
        .expect("ListPeers")
        .into_inner()
        .peers;
    assert_eq!(peers.len(), channels.len() - 1);
    let chan_id = channels[0].chan_id.to_string();
    let out = fault_cli(&["force-close", "--chan-id", &chan_id, "--remote"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let closed = ln
        .closed_channels(lnrpc::ClosedChannelsRequest::default())
        .await
        .expect("ClosedChannels")
        .into_inner()
        .channels;
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].chan_id, channels[0].chan_id);
    assert_eq!(
        closed[0].close_type,
        lnrpc::channel_close_summary::ClosureType::RemoteForceClose as i32
    );
    let out = fault_cli(&["force-close", "--chan-id", &chan_id]);
    assert!(!out.status.success(), "a closed channel cannot close again");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("no open channel with chan_id {chan_id}")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(exit.success(), "simnode exits cleanly on SIGTERM: {exit:?}");
    assert!(!data_dir.join("control.json").exists());
}

#[test]
fn pay_without_a_running_node_explains_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = simnode()
        .arg("pay")
        .arg("--data-dir")
        .arg(dir.path())
        .arg("lnbcrt1x")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("simnode run"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
