//! The rate evidence of a POS sale through the gateway, with local Kraken-, Bitstamp- and
//! Coinbase-shaped HTTP servers: kept with the sale, shown by the back office, by `lightning
//! invoice status --json` and in the payments export (with the rate in force at settlement),
//! after a gateway restart with the rate servers gone.

use crate::common;
use common::rates::{bitstamp_server, coinbase_server, kraken_server};
use common::web::{any_port, settings_with, Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};
use common::TestResult;

use std::time::Duration;

use openfatture::gateway::{self, ServeArgs};
use serde_json::Value;

/// Runs the `openfatture` binary on `home` with the rate providers off (no network).
async fn cli(home: &std::path::Path, args: &[&str]) -> common::Res<String> {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let shown = args.join(" ");
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").expect("binary");
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .envs(common::rates::KEYLESS_OFF)
            .env("LIGHTNING_COINGECKO_ENABLED", "false")
            .args(&args);
        cmd.output()
    })
    .await??;
    if !output.status.success() {
        return Err(format!("{shown}: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

#[tokio::test]
async fn a_pos_sale_keeps_its_rate_evidence_and_its_settlement_rate_across_a_gateway_restart() -> TestResult {
    let (kraken, bitstamp, coinbase) = (
        kraken_server("60000.50").await,
        bitstamp_server("60010.00").await,
        coinbase_server("63000.0").await,
    );
    let env = [
        ("LIGHTNING_COINGECKO_ENABLED", "false"),
        ("LIGHTNING_KRAKEN_ENABLED", "true"),
        ("LIGHTNING_BITSTAMP_ENABLED", "true"),
        ("LIGHTNING_COINBASE_ENABLED", "true"),
    ];
    let urls = [
        ("LIGHTNING_KRAKEN_BASE_URL", kraken.uri()),
        ("LIGHTNING_BITSTAMP_BASE_URL", bitstamp.uri()),
        ("LIGHTNING_COINBASE_BASE_URL", coinbase.uri()),
    ];
    let mut all: Vec<(&str, &str)> = env.to_vec();
    all.extend(urls.iter().map(|(k, v)| (*k, v.as_str())));
    let web = Web::start_with(true, &all).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = web
        .ok(&cashier, "pos_charge", &[("amount_eur", "12,50"), ("note", "")])
        .await?;
    assert_eq!(sale["eur_per_btc"], "60005.25", "{sale}");
    let id = sale["invoice_id"].as_str().ok_or("id")?.to_string();
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?.to_string();
    simnode::pay(&web.simnode_dir()?, &bolt11, simnode::PayOptions::default()).await?;
    let mut settled = false;
    for _ in 0..100 {
        let state = web.ok(&cashier, "invoice_state", &[("invoice_id", &id)]).await?;
        if state["state"] == "SETTLED" {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(settled, "the sale was not settled");

    // Restart the gateway on the same home, with the rate servers gone.
    let Web {
        _dir,
        home,
        gateway,
        http,
    } = web;
    gateway.shutdown().await?;
    drop((kraken, bitstamp, coinbase));
    let settings = settings_with(&home, &all)?;
    let args = ServeArgs {
        listen: any_port(),
        simnode_data_dir: None,
        first_admin: None,
    };
    let gateway = gateway::start(&settings, &home, args, _dir.path().join("site")).await?;
    let web = Web {
        _dir,
        home,
        gateway,
        http,
    };

    // The back office's invoice detail.
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let detail = web.ok(&admin, "admin_ln_invoice", &[("invoice_id", &id)]).await?;
    let evidence = detail["rate_evidence"].as_array().ok_or("rate_evidence")?;
    let summary: Vec<(String, String, String)> = evidence
        .iter()
        .map(|e| {
            (
                e["provider"].as_str().unwrap_or("").to_owned(),
                e["verdict"].as_str().unwrap_or("").to_owned(),
                e["eur_per_btc"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("kraken", "used", "60000.50"),
        ("bitstamp", "used", "60010.00"),
        ("coinbase", "dropped", "63000.0"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(summary, expected, "{detail}");
    // Why coinbase was dropped, as figures the page words in its language.
    let reason: app::Refusal = serde_json::from_value(evidence[2]["reason"].clone())?;
    assert_eq!(reason.code, "invoices.evidence.dropped", "{detail}");
    assert_eq!(reason.value("median_eur"), Some("60005.25"), "{detail}");
    let italian = reason.text(app::i18n::Lang::It);
    assert!(italian.contains("60.005,25") && italian.contains("4,99%"), "{italian}");
    assert_eq!(evidence[0]["reason"], Value::Null, "{detail}");
    assert!(
        evidence[0]["answered_at"].as_str().unwrap_or("").ends_with('Z'),
        "{detail}"
    );
    // The rate in force at settlement came from the gateway's rate cache (warm from the sale).
    assert_eq!(detail["settle_rate_eur_per_btc"], "60005.25", "{detail}");
    assert_eq!(detail["settle_rate_source"], "median(kraken,bitstamp)", "{detail}");

    // `lightning invoice status ID --json`.
    let status: Value =
        serde_json::from_str(&cli(&web.home.data_dir, &["--json", "lightning", "invoice", "status", &id]).await?)?;
    assert_eq!(status["id"], Value::String(id.clone()));
    assert_eq!(status["rate_evidence"].as_array().map(Vec::len), Some(3), "{status}");
    assert_eq!(status["rate_evidence"][2]["verdict"], "dropped", "{status}");
    assert_eq!(status["rate_evidence"][2]["eur_per_btc"], "63000.0", "{status}");
    assert_eq!(status["settle_rate"]["eur_per_btc"], "60005.25", "{status}");

    // The payments export: both rates, the old columns first.
    let csv = cli(
        &web.home.data_dir,
        &["lightning", "payments", "export", "--format", "csv"],
    )
    .await?;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "settled_at,payment_hash,ln_invoice_id,original_invoice,client,client_piva,amount_sats,amount_eur,\
             rate_eur_per_btc,rate_source,method,settle_rate_eur_per_btc,settle_rate_source,settle_rate_at,rate_evidence"
        )
    );
    let row = lines.next().ok_or("a payment row")?;
    assert!(
        row.contains(",60005.25,\"median(kraken,bitstamp)\",Lightning Network,60005.25,\"median(kraken,bitstamp)\","),
        "{row}"
    );
    assert!(
        row.contains("used kraken 60000.50 at ") && row.contains("dropped coinbase 63000.0 at "),
        "{row}"
    );
    let json: Value = serde_json::from_str(
        &cli(
            &web.home.data_dir,
            &["lightning", "payments", "export", "--format", "json"],
        )
        .await?,
    )?;
    assert_eq!(json[0]["rate_eur_per_btc"], "60005.25", "{json}");
    assert_eq!(json[0]["settle_rate_eur_per_btc"], "60005.25", "{json}");
    assert_eq!(json[0]["rate_evidence"].as_array().map(Vec::len), Some(3), "{json}");

    web.gateway.shutdown().await?;
    Ok(())
}
