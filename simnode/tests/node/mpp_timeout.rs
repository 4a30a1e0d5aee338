//! Unfinished multi-part payments fail back after the MPP timeout (shortened through
//! `SIMNODE_MPP_TIMEOUT_SECS`; LND's is 120 s).
//!
//! The node reads that variable from its process's environment, and the other tests of this
//! binary run in the same process: so the test runs again in a child process of this binary,
//! with the variable set there only (the parent's environment is never changed).

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::{eventually_invoice, TestNode};
use lnd_proto::lnrpc::{self, invoice::InvoiceState};
use simnode::{PayOptions, PayStatus};

/// Set (only) in the child process that runs the test's body.
const CHILD_ENV: &str = "SIMNODE_TESTS_MPP_TIMEOUT_CHILD";

#[tokio::test]
async fn held_parts_fail_back_after_the_mpp_timeout() {
    if std::env::var_os(CHILD_ENV).is_none() {
        in_a_child_process("held_parts_fail_back_after_the_mpp_timeout");
        return;
    }
    let mut t = TestNode::start().await;
    let before = t.channels().await;
    let added = t.add_invoice(10_000, "half paid").await;
    let part = PayOptions {
        via_chan_id: None,
        amount_msat: Some(5_000_000),
    };
    let outcome = simnode::pay(&t.data_dir(), &added.payment_request, part)
        .await
        .expect("part");
    assert_eq!(outcome.status, PayStatus::PartAccepted);
    let held = t.channels().await;
    let chan = |cs: &[lnrpc::Channel]| cs.iter().find(|c| c.chan_id == outcome.chan_id).cloned().expect("chan");
    assert_eq!(chan(&held).unsettled_balance, 5_000);
    assert_eq!(chan(&held).remote_balance, chan(&before).remote_balance - 5_000);

    let failed_back = eventually_invoice(&t.ln, &added.r_hash, Duration::from_secs(4), |inv| {
        inv.htlcs
            .first()
            .is_some_and(|h| h.state == lnrpc::InvoiceHtlcState::Canceled as i32)
    })
    .await;
    assert!(failed_back, "part must be canceled after the MPP timeout");
    let inv = t.lookup(&added.r_hash).await;
    assert_eq!(inv.state, InvoiceState::Open as i32, "the invoice itself stays open");
    let after = t.channels().await;
    assert_eq!(chan(&after).remote_balance, chan(&before).remote_balance);
    assert_eq!(chan(&after).unsettled_balance, 0);

    // The full amount can still be paid afterwards.
    let full = simnode::pay(&t.data_dir(), &added.payment_request, PayOptions::default())
        .await
        .expect("full");
    assert_eq!(full.status, PayStatus::Settled);
    assert_eq!(full.amount_msat, 10_000_000);
    t.node.shutdown().await;
}

/// Runs the test `name` of this module alone in a child process of this test binary, with a 1 s
/// MPP timeout in the child's environment; fails unless exactly that one test ran and passed.
fn in_a_child_process(name: &str) {
    let module = module_path!().split_once("::").map_or("", |(_crate, path)| path);
    let test = format!("{module}::{name}");
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([test.as_str(), "--exact", "--test-threads=1", "--nocapture"])
        .env(simnode::MPP_TIMEOUT_ENV, "1")
        .env(CHILD_ENV, "1")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test} in a child process failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}
