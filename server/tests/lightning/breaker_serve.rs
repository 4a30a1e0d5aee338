//! `serve` against a configured LND that goes away for a moment: sales fail fast while the
//! breaker is open, and once LND is back one probe after the open time lets sales go through.

use crate::common;

use std::time::{Duration, Instant};

use common::lightning::sim_config;
use common::web::{Web, CASHIER, CASHIER_PIN};
use common::Res;
use simnode::{MacaroonKind, SimNodeConfig};

/// The open time configured for this test (`lightning_circuit_breaker_timeout`).
const OPEN_SECS: u64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_goes_through_within_the_open_time_after_lnd_comes_back() -> Res<()> {
    let node_dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(node_dir.path())).await?;
    let addr = node.grpc_addr();
    let host = addr.to_string();
    let cert = node.tls_cert_path().display().to_string();
    let macaroon = node.macaroon_path(MacaroonKind::Admin).display().to_string();
    let open_secs = OPEN_SECS.to_string();
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_HOST", &host),
            ("LIGHTNING_CERT_PATH", &cert),
            ("LIGHTNING_MACAROON_PATH", &macaroon),
            ("LIGHTNING_TIMEOUT_SECONDS", "2"),
            ("LIGHTNING_CIRCUIT_BREAKER_FAILURES", "2"),
            ("LIGHTNING_CIRCUIT_BREAKER_TIMEOUT", &open_secs),
        ],
    )
    .await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = [("amount_eur", "5"), ("note", "")];
    web.ok(&cashier, "pos_charge", &sale).await?;

    // LND goes away: sales fail, then the breaker opens and they fail fast.
    node.shutdown().await;
    // The till only reads "node unavailable" (a POS code); the breaker's state is on /metrics.
    let lnd_breaker = || async {
        let text = web.http.get(web.url("/metrics")).send().await?.text().await?;
        let line = text
            .lines()
            .find(|l| l.starts_with("openfatture_circuit_breaker_state{dependency=\"lnd\"}"))
            .map(str::to_string)
            .unwrap_or_default();
        Ok::<String, Box<dyn std::error::Error>>(line)
    };
    let mut opened = false;
    for _ in 0..20 {
        let (status, body, _) = web.call("pos_charge", Some(&cashier), &sale).await?;
        assert_ne!(status, 200, "a sale succeeded with LND down: {body}");
        let code = body["Pos"].as_str().unwrap_or_default();
        assert!(["node_unavailable", "not_confirmed"].contains(&code), "{body}");
        if lnd_breaker().await?.ends_with(" 2") {
            opened = true;
            break;
        }
    }
    assert!(opened, "the LND breaker never opened");
    let asked = Instant::now();
    let (status, body, _) = web.call("pos_charge", Some(&cashier), &sale).await?;
    assert_ne!(status, 200);
    assert_eq!(body, serde_json::json!({ "Pos": "node_unavailable" }));
    assert!(
        asked.elapsed() < Duration::from_millis(500),
        "an open breaker answers at once"
    );

    // LND is back on the same address: a sale succeeds within the open time plus a second.
    let back = simnode::start(SimNodeConfig {
        listen: addr,
        ..sim_config(node_dir.path())
    })
    .await?;
    let restored = Instant::now();
    let limit = Duration::from_secs(OPEN_SECS + 1);
    loop {
        let (status, body, _) = web.call("pos_charge", Some(&cashier), &sale).await?;
        if status == 200 {
            break;
        }
        assert!(
            restored.elapsed() < limit,
            "no sale within {limit:?} of LND coming back; last answer {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(restored.elapsed() <= limit, "took {:?}", restored.elapsed());
    web.gateway.shutdown().await?;
    back.shutdown().await;
    Ok(())
}
