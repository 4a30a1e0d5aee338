//! Settings apply live: a change from the Settings page or to config.toml (as `openfatture
//! config set` writes it) is in force without restarting the gateway; a bad file keeps the old
//! settings and says why; a node change is tested before it is used; keys that need a restart
//! are reported.

use std::time::{Duration, Instant};

use serde_json::Value;
use simnode::MacaroonKind;

use crate::common;
use common::lightning::{client, coingecko_at, node_invoice_count, start_node};
use common::web::{Web, ADMIN, ADMIN_PASSWORD};
use common::{Res, TestResult};

/// How long a change written to config.toml may take to be in force.
const APPLY_DEADLINE: Duration = Duration::from_secs(10);

/// Polls `check` every 50 ms until it returns `Some`, for up to [`APPLY_DEADLINE`].
async fn within_deadline<T, F, Fut>(what: &str, mut check: F) -> Res<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Res<Option<T>>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = check().await? {
            return Ok(found);
        }
        if started.elapsed() > APPLY_DEADLINE {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A POS sale of 1 EUR by `cookie`; its expiry in seconds from now.
async fn sale_expiry_secs(web: &Web, cookie: &str) -> Res<i64> {
    let sale = web
        .ok(cookie, "pos_charge", &[("amount_eur", "1"), ("note", "")])
        .await?;
    Ok(sale["expires_at"].as_i64().ok_or("expires_at")? - sale["server_now"].as_i64().ok_or("server_now")?)
}

async fn status(web: &Web, cookie: &str) -> Res<Value> {
    web.ok(cookie, "admin_settings_status", &[]).await
}

#[tokio::test]
async fn a_pos_expiry_saved_on_the_settings_page_applies_to_the_next_sale_without_a_restart() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    assert!((14 * 60..=15 * 60).contains(&sale_expiry_secs(&web, &admin).await?));
    let before = status(&web, &admin).await?["loaded_at_unix"]
        .as_i64()
        .ok_or("loaded_at")?;

    web.ok(
        &admin,
        "admin_setting_set",
        &[("key", "lightning_pos_expiry_minutes"), ("value", "30")],
    )
    .await?;
    // No waiting: the save's answer comes once the change is in force.
    let expires_in = sale_expiry_secs(&web, &admin).await?;
    assert!(
        (29 * 60..=30 * 60).contains(&expires_in),
        "expected 30 minutes, got {expires_in} s"
    );
    let now = status(&web, &admin).await?;
    assert_eq!(now["error"], Value::Null, "{now}");
    assert!(now["loaded_at_unix"].as_i64().ok_or("loaded_at")? >= before);

    web.ok(
        &admin,
        "admin_setting_unset",
        &[("key", "lightning_pos_expiry_minutes")],
    )
    .await?;
    let expires_in = sale_expiry_secs(&web, &admin).await?;
    assert!(
        (14 * 60..=15 * 60).contains(&expires_in),
        "back to 15 minutes, got {expires_in} s"
    );
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_rate_provider_changed_in_config_toml_is_asked_within_seconds() -> TestResult {
    let first = coingecko_at("40000").await;
    let second = coingecko_at("60000").await;
    let config = |url: &str| {
        format!(
            "lightning_coingecko_base_url = \"{url}\"\nlightning_coingecko_api_key = \"test-key\"\nlightning_max_retries = 0\n"
        )
    };
    let web = Web::start_with_config(true, &[], Some(&config(&first.uri()))).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let rate = web.ok(&admin, "rate_status", &[]).await?;
    assert_eq!(rate["eur_per_btc"], "40000", "{rate}");

    // As `openfatture config set` writes it, with nobody telling the gateway.
    web.write_config(&config(&second.uri()))?;
    within_deadline("the second provider's rate", || async {
        let rate = web.ok(&admin, "rate_status", &[]).await?;
        Ok((rate["eur_per_btc"] == "60000").then_some(()))
    })
    .await?;
    let sale = web
        .ok(&admin, "pos_charge", &[("amount_eur", "6"), ("note", "")])
        .await?;
    assert_eq!(sale["eur_per_btc"], "60000", "{sale}");
    assert_eq!(sale["amount_sat"], 10_000);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_bad_config_toml_keeps_the_settings_in_force_says_why_and_fixing_it_applies_again() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;

    web.write_config("lightning_pos_expiry_minutes = = 5\n")?;
    // The page gets a catalogue code and the line; the parser's English stays in the log.
    let why = within_deadline("the syntax error in the status", || async {
        let error = status(&web, &admin).await?["error"].clone();
        Ok((!error.is_null()).then_some(error))
    })
    .await?;
    assert_eq!(why["refusal"]["code"], "error.config_not_toml", "{why}");
    assert_eq!(why["refusal"]["values"], serde_json::json!([["line", "1"]]), "{why}");
    assert!((14 * 60..=15 * 60).contains(&sale_expiry_secs(&web, &admin).await?));

    web.write_config("lightning_pos_expiry_minutes = 0\n")?;
    let why = within_deadline("the bad value in the status", || async {
        let error = status(&web, &admin).await?["error"].clone();
        Ok((error["setting"]["key"] == "lightning_pos_expiry_minutes").then_some(error))
    })
    .await?;
    assert_eq!(why["setting"]["problem"]["problem"], "invalid", "{why}");
    assert!((14 * 60..=15 * 60).contains(&sale_expiry_secs(&web, &admin).await?));

    web.write_config("lightning_pos_expiry_minutes = 5\n")?;
    within_deadline("the fixed file in force", || async {
        Ok(status(&web, &admin).await?["error"].is_null().then_some(()))
    })
    .await?;
    let expires_in = sale_expiry_secs(&web, &admin).await?;
    assert!(
        (4 * 60..=5 * 60).contains(&expires_in),
        "expected 5 minutes, got {expires_in} s"
    );
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn keys_that_need_a_restart_are_reported_and_marked_not_live() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let keys = web.ok(&admin, "admin_settings", &[]).await?;
    let live = |key: &str| {
        keys.as_array()
            .and_then(|all| all.iter().find(|k| k["key"] == key))
            .map(|k| k["live"].clone())
    };
    assert_eq!(live("gateway_tls_cert_path"), Some(Value::Bool(false)));
    assert_eq!(live("database_url"), Some(Value::Bool(false)));
    assert_eq!(live("lightning_pos_expiry_minutes"), Some(Value::Bool(true)));
    assert_eq!(status(&web, &admin).await?["restart_needed"], serde_json::json!([]));

    let cert = web.home.data_dir.join("web.pem");
    web.write_config(&format!(
        "gateway_tls_cert_path = \"{}\"\nlightning_pos_expiry_minutes = 7\n",
        cert.display()
    ))?;
    let restart = within_deadline("the restart-only key in the status", || async {
        let restart = status(&web, &admin).await?["restart_needed"].clone();
        Ok((restart != serde_json::json!([])).then_some(restart))
    })
    .await?;
    assert_eq!(restart, serde_json::json!(["gateway_tls_cert_path"]));
    // The rest of the file applies all the same; the gateway still serves plain HTTP.
    let expires_in = sale_expiry_secs(&web, &admin).await?;
    assert!(
        (6 * 60..=7 * 60).contains(&expires_in),
        "expected 7 minutes, got {expires_in} s"
    );
    web.gateway.shutdown().await?;
    Ok(())
}

/// config.toml naming the node at `host` with these files, and a fallback rate.
fn node_config(host: &str, cert: &std::path::Path, macaroon: &std::path::Path) -> String {
    format!(
        "lightning_host = \"{host}\"\nlightning_cert_path = \"{}\"\nlightning_macaroon_path = \"{}\"\n\
         lightning_max_retries = 0\nlightning_coingecko_enabled = false\nlightning_fallback_rate = \"45000\"\n",
        cert.display(),
        macaroon.display()
    )
}

#[tokio::test]
async fn a_node_change_is_tested_first_a_broken_one_is_reported_and_a_working_one_takes_the_sales() -> TestResult {
    let nodes = tempfile::tempdir()?;
    let first = start_node(&nodes.path().join("a")).await?;
    let second = start_node(&nodes.path().join("b")).await?;
    let first_lnd = client(&first, MacaroonKind::Admin).await?;
    let second_lnd = client(&second, MacaroonKind::Admin).await?;
    let admin_macaroon = |node: &simnode::RunningNode| node.macaroon_path(MacaroonKind::Admin);
    let first_config = node_config(
        &first.grpc_addr().to_string(),
        &first.tls_cert_path(),
        &admin_macaroon(&first),
    );
    let web = Web::start_with_config(true, &[], Some(&first_config)).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let sell = || web.ok(&admin, "pos_charge", &[("amount_eur", "1"), ("note", "")]);
    sell().await?;
    assert_eq!(node_invoice_count(&first_lnd).await, 1);

    // A macaroon that is not there: refused, the first node keeps selling.
    let missing = nodes.path().join("missing.macaroon");
    web.write_config(&node_config(
        &first.grpc_addr().to_string(),
        &first.tls_cert_path(),
        &missing,
    ))?;
    let why = within_deadline("the missing macaroon in the status", || async {
        let error = status(&web, &admin).await?["node_error"].clone();
        Ok((!error.is_null()).then_some(error))
    })
    .await?;
    // The settings' fault, worded by the page; which file is in the log, not the reply.
    assert_eq!(why["refusal"]["code"], "error.node_setup", "{why}");
    assert!(!why.to_string().contains("missing.macaroon"), "{why}");
    sell().await?;
    assert_eq!(node_invoice_count(&first_lnd).await, 2);

    // A host where nothing answers: refused too.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let silent_addr = silent.local_addr()?.to_string();
    drop(silent);
    web.write_config(&node_config(
        &silent_addr,
        &first.tls_cert_path(),
        &admin_macaroon(&first),
    ))?;
    let why = within_deadline("the silent host in the status", || async {
        let error = status(&web, &admin).await?["node_error"].clone();
        Ok((error["refusal"]["code"] == "error.node_connect.refused").then_some(error))
    })
    .await?;
    assert!(why.to_string().contains(&silent_addr), "{why}");
    sell().await?;
    assert_eq!(node_invoice_count(&first_lnd).await, 3);

    // A working node: the sales go to it from now on.
    web.write_config(&node_config(
        &second.grpc_addr().to_string(),
        &second.tls_cert_path(),
        &admin_macaroon(&second),
    ))?;
    within_deadline("the second node in use", || async {
        Ok(status(&web, &admin).await?["node_error"].is_null().then_some(()))
    })
    .await?;
    let sale = sell().await?;
    assert_eq!(node_invoice_count(&second_lnd).await, 1);
    assert_eq!(node_invoice_count(&first_lnd).await, 3);
    // The tracker follows the new node: its payment is recorded without anyone asking for it.
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?;
    let invoice_id = sale["invoice_id"].as_str().ok_or("invoice_id")?;
    simnode::pay(
        &nodes.path().join("b").join("simnode"),
        bolt11,
        simnode::PayOptions::default(),
    )
    .await?;
    within_deadline("the payment on the second node recorded", || async {
        let list = web
            .ok(&admin, "admin_ln_invoices", &[("state", ""), ("search", "")])
            .await?;
        let settled = list["rows"].as_array().is_some_and(|all| {
            all.iter().any(|i| {
                i["id"] == invoice_id && i["state"].as_str().is_some_and(|s| s.eq_ignore_ascii_case("settled"))
            })
        });
        Ok(settled.then_some(()))
    })
    .await?;
    let node = web.ok(&admin, "node_status", &[]).await?;
    assert!(node.to_string().contains(&second.grpc_addr().to_string()), "{node}");
    web.gateway.shutdown().await?;
    first.shutdown().await;
    second.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_metrics_token_the_public_names_and_the_default_webhook_apply_from_the_settings_page() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let set = |key: &'static str, value: &'static str| {
        let admin = admin.clone();
        let web = &web;
        async move {
            web.ok(&admin, "admin_setting_set", &[("key", key), ("value", value)])
                .await
        }
    };

    let metrics = || web.http.get(web.url("/metrics"));
    assert_eq!(metrics().send().await?.status(), 200);
    set("gateway_metrics_token", "metrics-token-123").await?;
    assert_eq!(metrics().send().await?.status(), 401);
    let with_token = metrics().bearer_auth("metrics-token-123").send().await?;
    assert_eq!(with_token.status(), 200);

    let as_pos = || web.http.get(web.url("/")).header(reqwest::header::HOST, "pos.shop.lan");
    assert_eq!(as_pos().send().await?.status(), 421);
    set("gateway_public_names", "pos.shop.lan").await?;
    assert_ne!(as_pos().send().await?.status(), 421);

    let default_endpoint = || async {
        let endpoints = web.ok(&admin, "admin_webhooks", &[]).await?;
        Ok::<_, Box<dyn std::error::Error>>(
            endpoints
                .as_array()
                .and_then(|all| all.iter().find(|e| e["name"] == "default").cloned()),
        )
    };
    assert!(
        default_endpoint().await?.is_none_or(|e| e["enabled"] == false),
        "no default webhook configured yet"
    );
    set("lightning_webhook_url", "https://hooks.example/openfatture").await?;
    set("lightning_webhook_secret", "webhook-secret-1").await?;
    set("lightning_webhook_enabled", "true").await?;
    let endpoint = default_endpoint().await?.ok_or("the default endpoint is mirrored")?;
    assert_eq!(endpoint["url"], "https://hooks.example/openfatture", "{endpoint}");
    assert_eq!(endpoint["enabled"], true, "{endpoint}");
    assert_eq!(endpoint["secret_set"], true, "{endpoint}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn openfatture_config_set_on_the_same_home_is_picked_up_by_the_running_gateway() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    assert!((14 * 60..=15 * 60).contains(&sale_expiry_secs(&web, &admin).await?));
    let home = web.home.data_dir.clone();
    tokio::task::spawn_blocking(move || {
        common::stdout_of(common::openfatture(&home).args(["config", "set", "lightning_pos_expiry_minutes", "9"]))
    })
    .await?;
    // Only the POS path (not an admin call, which looks at the file itself): the watcher's doing.
    within_deadline("the expiry set by the command line", || async {
        let expires_in = sale_expiry_secs(&web, &admin).await?;
        Ok((8 * 60..=9 * 60).contains(&expires_in).then_some(()))
    })
    .await?;
    web.gateway.shutdown().await?;
    Ok(())
}
