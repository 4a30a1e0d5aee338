//! The gateway over real HTTP on 127.0.0.1, backed by a real embedded simnode reached over TLS +
//! macaroon gRPC (or by a configured LND address that is down).

use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use common::lightning::sim_config;
use common::web::{any_port, first_admin, settings_with, ADMIN, ADMIN_PASSWORD};
use common::TestResult;
use openfatture::config::Home;
use openfatture::gateway::{self, GatewayError, NodeKind, RunningGateway, ServeArgs};
use serde_json::Value;

/// Signs in as the admin and returns the `Cookie` header value.
async fn admin_cookie(addr: SocketAddr) -> Result<String, Box<dyn std::error::Error>> {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={ADMIN}&password={ADMIN_PASSWORD}"))
        .send()
        .await?;
    let cookie = response
        .headers()
        .get("set-cookie")
        .ok_or("no session cookie after signing in")?
        .to_str()?
        .split(';')
        .next()
        .ok_or("empty cookie")?
        .to_string();
    Ok(cookie)
}

/// A site root that looks like `cargo leptos build` output.
fn fake_site(dir: &Path) -> std::io::Result<PathBuf> {
    let root = dir.join("site");
    std::fs::create_dir_all(root.join("pkg"))?;
    std::fs::write(
        root.join("pkg/openfatture.js"),
        "export default async function init() {}\n",
    )?;
    std::fs::write(root.join("pkg/openfatture.wasm"), b"\0asm\x01\0\0\0")?;
    std::fs::write(root.join("pkg/openfatture.css"), "body{}\n")?;
    std::fs::write(
        root.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    )?;
    Ok(root)
}

/// Starts the gateway with the embedded simnode in `dir/simnode`; returns it and the node's pubkey,
/// learnt by starting that same node directory once beforehand (simnode keeps its identity).
async fn start_embedded(
    dir: &Path,
    site_root: PathBuf,
) -> Result<(RunningGateway, String), Box<dyn std::error::Error>> {
    let data_dir = dir.join("simnode");
    let probe = simnode::start(sim_config(&data_dir)).await?;
    let pubkey = probe.node_pubkey_hex();
    probe.shutdown().await;

    let home = Home::at(dir);
    let settings = settings_with(&home, &[])?;
    let args = ServeArgs {
        listen: any_port(),
        simnode_data_dir: Some(data_dir),
        first_admin: Some(first_admin()),
    };
    let gateway = gateway::start(&settings, &home, args, site_root).await?;
    Ok((gateway, pubkey))
}

async fn call_node_status(addr: SocketAddr) -> Result<(u16, Value), Box<dyn std::error::Error>> {
    let cookie = admin_cookie(addr).await?;
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/node_status"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await?;
    let status = response.status().as_u16();
    let body: Value = serde_json::from_str(&response.text().await?)?;
    Ok((status, body))
}

#[tokio::test]
async fn node_status_server_function_reports_the_embedded_simnode() -> TestResult {
    let dir = tempfile::tempdir()?;
    let site_root = fake_site(dir.path())?;
    let (gateway, pubkey) = start_embedded(dir.path(), site_root).await?;
    let addr = gateway.local_addr();
    assert_ne!(addr.port(), 0);
    let NodeKind::Embedded { host, data_dir } = gateway.node_kind().clone() else {
        return Err("expected the embedded simnode when lightning_host is unset".into());
    };
    assert_eq!(data_dir, dir.path().join("simnode"));

    let (status, body) = call_node_status(addr).await?;
    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["alias"], "simnode");
    assert_eq!(body["pubkey"], Value::String(pubkey));
    assert_eq!(body["simulated"], true);
    assert_eq!(body["host"], Value::String(host));
    assert_eq!(body["network"], "regtest");

    gateway.shutdown().await?;
    assert!(
        reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .is_err(),
        "the gateway still answers after shutdown"
    );
    Ok(())
}

#[tokio::test]
async fn serves_the_app_shell_for_client_routes_and_files_from_the_site_root() -> TestResult {
    let dir = tempfile::tempdir()?;
    let site_root = fake_site(dir.path())?;
    let (gateway, _pubkey) = start_embedded(dir.path(), site_root).await?;
    let base = format!("http://{}", gateway.local_addr());
    let client = reqwest::Client::new();

    for route in ["/", "/invoices/42"] {
        let response = client.get(format!("{base}{route}")).send().await?;
        assert_eq!(response.status().as_u16(), 200, "GET {route}");
        assert!(response.headers()["content-type"].to_str()?.starts_with("text/html"));
        let html = response.text().await?;
        assert!(html.starts_with("<!DOCTYPE html>"), "GET {route}: {html}");
        assert!(
            html.contains(r#"import init from "/pkg/openfatture.js";"#),
            "GET {route}: {html}"
        );
        assert!(
            html.contains(r#"module_or_path: "/pkg/openfatture.wasm""#),
            "GET {route}: {html}"
        );
    }

    let wasm = client.get(format!("{base}/pkg/openfatture.wasm")).send().await?;
    assert_eq!(wasm.status().as_u16(), 200);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.bytes().await?.as_ref(), b"\0asm\x01\0\0\0");

    let favicon = client.get(format!("{base}/favicon.svg")).send().await?;
    assert_eq!(favicon.status().as_u16(), 200);

    let missing_asset = client.get(format!("{base}/pkg/nope.js")).send().await?;
    assert_eq!(missing_asset.status().as_u16(), 404);

    gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn without_a_built_site_pages_say_how_to_build_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (gateway, _pubkey) = start_embedded(dir.path(), dir.path().join("no-site-here")).await?;
    let response = reqwest::get(format!("http://{}/", gateway.local_addr())).await?;
    assert_eq!(response.status().as_u16(), 500);
    let html = response.text().await?;
    assert!(html.contains("The web UI is not built"), "{html}");
    assert!(html.contains("bash scripts/run.sh"), "{html}");
    // The API still works.
    let (status, body) = call_node_status(gateway.local_addr()).await?;
    assert_eq!(status, 200, "body: {body}");
    gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn configured_lnd_that_is_down_is_reported_through_the_server_function() -> TestResult {
    let (log, _guard) = crate::common::log::CapturedLog::start();
    let dir = tempfile::tempdir()?;
    // Real LND-style credentials from a simnode that is then stopped, so its port is closed.
    let node = simnode::start(sim_config(&dir.path().join("stopped-node"))).await?;
    let host = node.grpc_addr().to_string();
    let cert = node.tls_cert_path();
    let macaroon = node.macaroon_path(simnode::MacaroonKind::Admin);
    node.shutdown().await;

    let home = Home::at(dir.path());
    let cert = cert.to_string_lossy().into_owned();
    let macaroon = macaroon.to_string_lossy().into_owned();
    let settings = settings_with(
        &home,
        &[
            ("LIGHTNING_HOST", host.as_str()),
            ("LIGHTNING_CERT_PATH", cert.as_str()),
            ("LIGHTNING_MACAROON_PATH", macaroon.as_str()),
            ("LIGHTNING_MAX_RETRIES", "0"),
            ("LIGHTNING_TIMEOUT_SECONDS", "5"),
            // A real node needs a rate source; the key-less providers are off in tests.
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
    )?;
    let args = ServeArgs {
        listen: any_port(),
        simnode_data_dir: None,
        first_admin: Some(first_admin()),
    };
    let gateway = gateway::start(&settings, &home, args, dir.path().join("site")).await?;
    assert_eq!(gateway.node_kind(), &NodeKind::Lnd { host: host.clone() });

    let (status, body) = call_node_status(gateway.local_addr()).await?;
    assert_eq!(status, 503, "body: {body}");
    // The page gets a code it words itself; what the node said is in the gateway's log only.
    assert_eq!(body["Lightning"]["code"], "error.node", "not a node error: {body}");
    assert!(!body.to_string().contains(&host), "{body}");
    let logged = log.text();
    assert!(
        logged.contains(&format!("Failed to connect to LND at {host}")),
        "{logged}"
    );
    gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn configured_lnd_without_a_certificate_path_fails_at_start_naming_the_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let home = Home::at(dir.path());
    let settings = settings_with(&home, &[("LIGHTNING_HOST", "127.0.0.1:10009")])?;
    let args = ServeArgs {
        listen: any_port(),
        simnode_data_dir: None,
        first_admin: Some(first_admin()),
    };
    match gateway::start(&settings, &home, args, dir.path().join("site")).await {
        Err(error @ GatewayError::Lnd(_)) => {
            assert!(error.to_string().contains("lightning_cert_path"), "{error}");
            Ok(())
        }
        Err(other) => Err(format!("unexpected error: {other}").into()),
        Ok(gateway) => {
            gateway.shutdown().await?;
            Err("started without lightning_cert_path".into())
        }
    }
}

#[tokio::test]
async fn a_busy_listen_address_is_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let taken = std::net::TcpListener::bind(any_port())?;
    let home = Home::at(dir.path());
    let settings = settings_with(&home, &[])?;
    let args = ServeArgs {
        listen: taken.local_addr()?,
        simnode_data_dir: Some(dir.path().join("simnode")),
        first_admin: Some(first_admin()),
    };
    match gateway::start(&settings, &home, args, dir.path().join("site")).await {
        Err(error @ GatewayError::Bind { .. }) => {
            assert!(error.to_string().contains("--listen"), "{error}");
            Ok(())
        }
        Err(other) => Err(format!("unexpected error: {other}").into()),
        Ok(gateway) => {
            gateway.shutdown().await?;
            Err("bound an address that is in use".into())
        }
    }
}

/// `serve` runs the payment tracker: an invoice paid on the embedded node is recorded as paid
/// in the gateway's database (and the EUR invoice marked paid) without anyone asking.
#[tokio::test]
async fn gateway_tracks_payments_into_its_database() -> TestResult {
    use openfatture::invoices::{CreateRequest, InvoicePolicy, InvoiceService};
    use openfatture::lnd::{LndClient, LndConfig};
    use openfatture::rates::{RateService, RatesConfig};
    use openfatture::store::{FatturaStatus, InvoiceState, NewFattura, Store};

    let dir = tempfile::tempdir()?;
    let home = Home::at(dir.path());
    let settings = settings_with(&home, &[])?;
    let args = ServeArgs {
        listen: any_port(),
        simnode_data_dir: None,
        first_admin: Some(first_admin()),
    };
    let gateway = gateway::start(&settings, &home, args, dir.path().join("site")).await?;
    let NodeKind::Embedded { host, data_dir } = gateway.node_kind().clone() else {
        return Err("expected the embedded simnode".into());
    };
    assert_eq!(
        data_dir,
        dir.path().join("simnode"),
        "the simnode lives in the data dir"
    );

    // A second client (as the CLI would be) creates an invoice on the same node and database.
    let lnd = LndClient::connect(LndConfig {
        host,
        tls_cert_path: data_dir.join("tls.cert"),
        macaroon_path: data_dir.join("data/chain/bitcoin/regtest/invoice.macaroon"),
        timeout: std::time::Duration::from_secs(10),
        max_retries: 0,
        breaker_failures: openfatture::lnd::DEFAULT_BREAKER_FAILURES,
        breaker_open: openfatture::lnd::DEFAULT_BREAKER_OPEN,
    })
    .await?;
    let store = Store::open_in(&home.data_dir).await?;
    let rates = RateService::new(RatesConfig {
        coingecko_enabled: false,
        fallback_rate: Some(rust_decimal::Decimal::from(45_000)),
        ..common::rates::defaults_offline()
    })?;
    let policy = InvoicePolicy {
        default_expiry_hours: 24,
        min_expiry_hours: 1,
        max_expiry_hours: 168,
        block_unreceivable: false,
        pos_max_amount_eur: rust_decimal::Decimal::ONE_THOUSAND,
        identity_threshold_eur: None,
    };
    let service = InvoiceService::new(store.clone(), lnd, std::sync::Arc::new(rates), policy);
    let fattura = NewFattura {
        numero: "POS-1".into(),
        data: chrono::NaiveDate::from_ymd_opt(2025, 1, 15).ok_or("date")?,
        cedente_piva: String::new(),
        client_name: "Banco".into(),
        client_piva: None,
        client_cf: None,
        description: String::new(),
        totale_eur: rust_decimal::Decimal::new(1250, 2),
        ritenuta_eur: rust_decimal::Decimal::ZERO,
        bollo_eur: rust_decimal::Decimal::ZERO,
        due_eur: rust_decimal::Decimal::new(1250, 2),
        source: "manual".into(),
    };
    store.add_fattura(&fattura, 1).await?;
    let created = service
        .create(CreateRequest {
            numero: Some("POS-1".into()),
            ..CreateRequest::default()
        })
        .await?;
    let bolt11 = created.invoice.payment_request.clone().ok_or("payment request")?;
    simnode::pay(&data_dir, &bolt11, simnode::PayOptions::default()).await?;

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stored = store.ln_invoice(&created.invoice.id).await?.ok_or("stored")?;
        if stored.state == InvoiceState::Settled {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("the gateway did not record the payment: {:?}", stored.state).into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let paid = store.fatture_by_numero("POS-1").await?.remove(0);
    assert_eq!(paid.status(), FatturaStatus::Paid);
    let events: Vec<String> = sqlx::query_scalar("SELECT type FROM events WHERE ln_invoice_id = ? ORDER BY 1")
        .bind(&created.invoice.id)
        .fetch_all(store.pool())
        .await?;
    assert_eq!(
        events,
        vec!["invoice_created".to_string(), "payment_received".to_string()]
    );
    store.close().await;
    gateway.shutdown().await?;
    Ok(())
}
