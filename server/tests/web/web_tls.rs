//! The gateway over HTTPS (`gateway_tls_cert_path` / `gateway_tls_key_path`): a client that trusts
//! the shop's CA gets the app and a `Secure` session cookie (and a `Secure` device cookie when a
//! tablet is paired); incomplete settings are refused.

use crate::common;

use std::net::SocketAddr;

use common::web::{any_port, first_admin, TestCertificate};
use common::TestResult;
use openfatture::config::{EnvVars, Home, Settings};
use openfatture::gateway::{self, GatewayError, ServeArgs};

fn args() -> ServeArgs {
    ServeArgs {
        listen: any_port(),
        simnode_data_dir: None,
        first_admin: Some(first_admin()),
    }
}

#[tokio::test]
async fn https_serves_the_app_with_a_secure_cookie() -> TestResult {
    let dir = tempfile::tempdir()?;
    // A shop CA and a server certificate for localhost signed by it.
    let certificate = TestCertificate::for_localhost(dir.path())?;
    let (cert_path, key_path) = (&certificate.cert_path, &certificate.key_path);

    let home = Home::at(dir.path());
    let settings = Settings::load_with(
        &home,
        &EnvVars::from_pairs([
            ("GATEWAY_TLS_CERT_PATH", cert_path.to_str().ok_or("path")?),
            ("GATEWAY_TLS_KEY_PATH", key_path.to_str().ok_or("path")?),
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_KRAKEN_ENABLED", "false"),
            ("LIGHTNING_BITSTAMP_ENABLED", "false"),
            ("LIGHTNING_COINBASE_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ]),
    )?;
    let gateway = gateway::start(&settings, &home, args(), dir.path().join("site")).await?;
    assert!(gateway.base_url().starts_with("https://"));
    let port = gateway.local_addr().port();

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(certificate.ca_pem.as_bytes())?)
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()?;
    let response = client
        .post(format!("https://localhost:{port}/api/login"))
        .form(&[("username", "admin"), ("password", "admin-password-1")])
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .ok_or("cookie")?
        .to_str()?
        .to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");

    // A tablet paired over HTTPS gets a Secure device cookie too (issue 36).
    let session = cookie.split(';').next().ok_or("cookie")?.to_string();
    let code: serde_json::Value = client
        .post(format!("https://localhost:{port}/api/admin_till_pair"))
        .header("cookie", &session)
        .form(&[("name", "Cassa")])
        .send()
        .await?
        .json()
        .await?;
    let code = code["code"].as_str().ok_or("a pairing code")?;
    let response = client
        .post(format!("https://localhost:{port}/api/pos_pair"))
        .header("cookie", &session)
        .form(&[("code", code)])
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    let device = response.headers().get("set-cookie").ok_or("device cookie")?.to_str()?;
    assert!(device.starts_with("of_till_device="), "{device}");
    assert!(device.contains("; HttpOnly; SameSite=Strict; Secure"), "{device}");

    // Plain HTTP on the same port is not served, and a client not trusting the CA is refused.
    assert!(reqwest::get(format!("http://127.0.0.1:{port}/api/whoami"))
        .await
        .is_err());
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()?;
    assert!(untrusting
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .is_err());
    gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_certificate_without_its_key_is_refused_at_start() -> TestResult {
    let dir = tempfile::tempdir()?;
    let home = Home::at(dir.path());
    let settings = Settings::load_with(
        &home,
        &EnvVars::from_pairs([("GATEWAY_TLS_CERT_PATH", "/nonexistent/gateway.crt")]),
    )?;
    match gateway::start(&settings, &home, args(), dir.path().join("site")).await {
        Err(GatewayError::Tls(message)) => {
            assert!(message.contains("gateway_tls_key_path"), "{message}");
        }
        Err(other) => return Err(format!("unexpected error: {other}").into()),
        Ok(_) => return Err("started without a key".into()),
    }
    let settings = Settings::load_with(
        &home,
        &EnvVars::from_pairs([
            ("GATEWAY_TLS_CERT_PATH", "/nonexistent/gateway.crt"),
            ("GATEWAY_TLS_KEY_PATH", "/nonexistent/gateway.key"),
        ]),
    )?;
    match gateway::start(&settings, &home, args(), dir.path().join("site")).await {
        Err(GatewayError::Tls(message)) => {
            assert!(message.contains("cannot read the certificate"), "{message}")
        }
        Err(other) => return Err(format!("unexpected error: {other}").into()),
        Ok(_) => return Err("started without readable files".into()),
    }
    Ok(())
}
