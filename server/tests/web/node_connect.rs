//! The first-run guide's node step (`admin_node_connect`): the shop's own LND, given by its
//! address, tls.cert and a macaroon in hex, is tested with a real call before anything is kept;
//! then its files are kept owner-only in the data directory, the configuration points at them
//! and sales go to it. Bad input and a node that does not answer change nothing.

use serde_json::Value;
use simnode::MacaroonKind;

use crate::common;
use common::lightning::{client, node_invoice_count, start_node};
use common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};
use common::TestResult;

fn node_config(host: &str, cert: &std::path::Path, macaroon: &std::path::Path) -> String {
    format!(
        "lightning_host = \"{host}\"\nlightning_cert_path = \"{}\"\nlightning_macaroon_path = \"{}\"\n",
        cert.display(),
        macaroon.display()
    )
}

#[tokio::test]
async fn an_lnd_given_in_the_guide_is_tested_kept_owner_only_and_takes_the_sales() -> TestResult {
    let nodes = tempfile::tempdir()?;
    let first = start_node(&nodes.path().join("a")).await?;
    let second = start_node(&nodes.path().join("b")).await?;
    let second_lnd = client(&second, MacaroonKind::Admin).await?;
    let config = node_config(
        &first.grpc_addr().to_string(),
        &first.tls_cert_path(),
        &first.macaroon_path(MacaroonKind::Admin),
    );
    let web = Web::start_with_config(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
        Some(&config),
    )
    .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cert_pem = std::fs::read_to_string(second.tls_cert_path())?;
    let hex_of = |kind| -> std::io::Result<String> { Ok(hex::encode(std::fs::read(second.macaroon_path(kind))?)) };
    let host = second.grpc_addr().to_string();
    let config_before = std::fs::read(&web.home.config_file)?;
    let call = |host: String, cert: String, macaroon: String| {
        let web = &web;
        let admin = admin.clone();
        async move {
            web.call(
                "admin_node_connect",
                Some(&admin),
                &[("host", &host), ("cert_pem", &cert), ("macaroon_hex", &macaroon)],
            )
            .await
        }
    };

    // Refusals, each with words saying what to do, and nothing changed.
    let readonly = hex_of(MacaroonKind::Readonly)?;
    let admin_hex = hex_of(MacaroonKind::Admin)?;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.to_string()
    };
    for (what, (host, cert, macaroon), status, words) in [
        (
            "a readonly macaroon",
            (host.clone(), cert_pem.clone(), readonly),
            400,
            "cannot take payments",
        ),
        (
            "not hex",
            (host.clone(), cert_pem.clone(), "zz-not-hex".to_string()),
            400,
            "neither hex",
        ),
        (
            "not a certificate",
            (host.clone(), "hello".to_string(), admin_hex.clone()),
            400,
            "BEGIN CERTIFICATE",
        ),
        (
            "a host with a scheme",
            (format!("https://{host}"), cert_pem.clone(), admin_hex.clone()),
            400,
            "",
        ),
        (
            "nothing listening",
            (closed, cert_pem.clone(), admin_hex.clone()),
            503,
            "Nothing was changed",
        ),
    ] {
        let (got, body, _) = call(host, cert, macaroon).await?;
        assert_eq!(got, status, "{what}: {body}");
        assert!(common::web::error_text(&body).contains(words), "{what}: {body}");
        assert_eq!(
            std::fs::read(&web.home.config_file)?,
            config_before,
            "{what} changed config.toml"
        );
        assert!(
            !web.home.data_dir.join("lnd").join("gateway.macaroon").exists(),
            "{what} kept a macaroon"
        );
    }
    // A cashier may not.
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let (got, _, _) = web
        .call(
            "admin_node_connect",
            Some(&cashier),
            &[("host", &host), ("cert_pem", &cert_pem), ("macaroon_hex", &admin_hex)],
        )
        .await?;
    assert_eq!(got, 403);

    // The admin macaroon: tested, described, kept, configured, and the sales go to the new node.
    let (got, check, _) = call(host.clone(), cert_pem.clone(), admin_hex.clone()).await?;
    assert_eq!(got, 200, "{check}");
    assert_eq!(check["network"], "regtest");
    assert_eq!(check["can_take_payments"], true);
    assert_eq!(check["can_send"], true);
    assert_eq!(check["applied"], true, "{check}");
    let grants: Vec<&str> = check["grants"]
        .as_array()
        .ok_or("grants")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        grants.contains(&"invoices:write") && grants.contains(&"offchain:read"),
        "{grants:?}"
    );
    let kept = web.home.data_dir.join("lnd").join("gateway.macaroon");
    assert_eq!(
        std::fs::read(&kept)?,
        std::fs::read(second.macaroon_path(MacaroonKind::Admin))?
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&kept)?.permissions().mode() & 0o777, 0o600);
    }
    let config = std::fs::read_to_string(&web.home.config_file)?;
    assert!(config.contains(&format!("lightning_host = \"{host}\"")), "{config}");
    assert!(config.contains(&kept.display().to_string()), "{config}");
    let before = node_invoice_count(&second_lnd).await;
    web.ok(&admin, "pos_charge", &[("amount_eur", "1"), ("note", "")])
        .await?;
    assert_eq!(
        node_invoice_count(&second_lnd).await,
        before + 1,
        "the sale went to the new node"
    );
    // The macaroon never comes back in a response.
    assert!(!check.to_string().contains(&admin_hex));
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn from_the_embedded_demo_node_the_guide_switches_to_the_shops_own_without_a_restart() -> TestResult {
    let nodes = tempfile::tempdir()?;
    let own = start_node(&nodes.path().join("own")).await?;
    let own_lnd = client(&own, MacaroonKind::Admin).await?;
    // The default gateway: no lightning_host, so the embedded simulated node and its demo rate.
    let web = Web::start_with(true, &[("LIGHTNING_COINGECKO_ENABLED", "false")]).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let status = web.ok(&admin, "node_status", &[]).await?;
    assert_eq!(status["simulated"], true, "{status}");
    assert_eq!(web.ok(&admin, "rate_status", &[]).await?["state"], "demo");

    let cert_pem = std::fs::read_to_string(own.tls_cert_path())?;
    let macaroon = hex::encode(std::fs::read(own.macaroon_path(MacaroonKind::Admin))?);
    let host = own.grpc_addr().to_string();
    let check = web
        .ok(
            &admin,
            "admin_node_connect",
            &[("host", &host), ("cert_pem", &cert_pem), ("macaroon_hex", &macaroon)],
        )
        .await?;
    assert_eq!(check["applied"], true, "{check}");
    let reload = web.ok(&admin, "admin_settings_status", &[]).await?;
    assert_eq!(reload["restart_needed"], serde_json::json!([]), "{reload}");
    assert_eq!(reload["node_error"], Value::Null, "{reload}");

    // The dashboard says it is a real node now, and the demo rate is gone with the demo node: with
    // no provider and no fallback rate, a sale is refused rather than priced at a made-up rate.
    let status = web.ok(&admin, "node_status", &[]).await?;
    assert_eq!(status["simulated"], false, "{status}");
    assert_eq!(status["host"], host.as_str());
    let (code, body, _) = web
        .call("pos_charge", Some(&admin), &[("amount_eur", "1"), ("note", "")])
        .await?;
    assert_eq!(code, 503, "{body}");
    assert_eq!(node_invoice_count(&own_lnd).await, 0);
    // With a fallback rate set, the sale goes to the shop's node.
    web.ok(
        &admin,
        "admin_setting_set",
        &[("key", "lightning_fallback_rate"), ("value", "45000")],
    )
    .await?;
    web.ok(&admin, "pos_charge", &[("amount_eur", "1"), ("note", "")])
        .await?;
    assert_eq!(node_invoice_count(&own_lnd).await, 1);
    web.gateway.shutdown().await?;
    Ok(())
}
