//! Hostile clients on the shop's network (issue 30): what a stranger on the Wi-Fi can do to the
//! gateway's listener, and what a real browser over HTTPS + HTTP/2 needs from it. All traffic
//! stays on 127.0.0.1 and every wait is bounded.

// The shared harness panics on setup failures (a test-only `expect`).
#[allow(clippy::expect_used, clippy::unwrap_used)]
#[path = "../common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::web::{Res, TestCertificate, Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The gateway's header-read timeout (`HEADER_READ_TIMEOUT` in `gateway/listener.rs`).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A gateway over HTTPS with a certificate for `localhost` signed by a test CA.
struct Https {
    web: Web,
    _certs: TempDir,
    ca_pem: String,
    ca_der: Vec<u8>,
}

impl Https {
    async fn start() -> Res<Https> {
        let certs = tempfile::tempdir()?;
        let certificate = TestCertificate::for_localhost(certs.path())?;
        let (cert_path, key_path) = (&certificate.cert_path, &certificate.key_path);
        let web = Web::start_with(
            true,
            &[
                ("GATEWAY_TLS_CERT_PATH", cert_path.to_str().ok_or("path")?),
                ("GATEWAY_TLS_KEY_PATH", key_path.to_str().ok_or("path")?),
                ("LIGHTNING_COINGECKO_ENABLED", "false"),
                ("LIGHTNING_FALLBACK_RATE", "45000"),
            ],
        )
        .await?;
        assert!(web.gateway.base_url().starts_with("https://"));
        Ok(Https {
            web,
            _certs: certs,
            ca_pem: certificate.ca_pem,
            ca_der: certificate.ca_der,
        })
    }

    fn port(&self) -> u16 {
        self.web.gateway.local_addr().port()
    }

    /// `https://localhost:PORT`, as a browser on the tablet writes the Origin.
    fn origin(&self) -> String {
        format!("https://localhost:{}", self.port())
    }

    /// An HTTP/1.1 client trusting the test CA.
    fn http1(&self) -> Res<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca_pem.as_bytes())?)
            .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], self.port())))
            .build()?)
    }

    /// An HTTP/2 connection as a browser opens it: TLS with ALPN `h2` (checked), requests with
    /// `:authority` and no `Host`.
    async fn http2(&self) -> Res<hyper::client::conn::http2::SendRequest<String>> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(rustls::pki_types::CertificateDer::from(self.ca_der.clone()))?;
        let mut config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let tcp = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], self.port()))).await?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(rustls::pki_types::ServerName::try_from("localhost")?, tcp)
            .await?;
        assert_eq!(
            tls.get_ref().1.alpn_protocol(),
            Some(&b"h2"[..]),
            "the gateway offers h2"
        );
        let (send, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await?;
        tokio::spawn(connection);
        Ok(send)
    }
}

/// A form POST to `/api/login` with `origin`.
fn login_request(url: String, origin: &str, user: &str, password: &str) -> Res<hyper::Request<String>> {
    Ok(hyper::Request::post(url)
        .header("origin", origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={password}"))?)
}

#[tokio::test]
async fn a_browser_signs_in_over_https_and_http2() -> Res<()> {
    let https = Https::start().await?;
    let url = format!("{}/api/login", https.origin());
    let mut h2 = https.http2().await?;

    let response = tokio::time::timeout(
        Duration::from_secs(20),
        h2.send_request(login_request(url.clone(), &https.origin(), ADMIN, ADMIN_PASSWORD)?),
    )
    .await??;
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    assert_eq!(response.status().as_u16(), 200, "same-origin sign-in over h2");
    let cookie = response
        .headers()
        .get("set-cookie")
        .ok_or("no Set-Cookie")?
        .to_str()?
        .to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");

    // A cashier's PIN sign-in from the same page works too; a foreign page is still refused.
    let response = h2
        .send_request(login_request(url.clone(), &https.origin(), CASHIER, CASHIER_PIN)?)
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    for foreign in ["https://evil.example", "http://localhost:1", "null"] {
        let response = h2
            .send_request(login_request(url.clone(), foreign, ADMIN, ADMIN_PASSWORD)?)
            .await?;
        assert_eq!(response.status().as_u16(), 403, "Origin {foreign}");
    }
    https.web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn idle_connections_do_not_hold_up_tls_handshakes() -> Res<()> {
    let https = Https::start().await?;
    let client = https.http1()?;
    // Strangers open TCP connections and never send a ClientHello.
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], https.port()))).await?);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The tablet still gets its answer at once (one at a time, it waited 10 s per idle socket).
    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        client
            .post(format!("{}/api/login", https.origin()))
            .form(&[("username", ADMIN), ("password", ADMIN_PASSWORD)])
            .send(),
    )
    .await
    .map_err(|_| "no answer within 5 s while 3 idle connections wait for their handshake")??;
    assert_eq!(response.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(5));

    // Shutting down does not wait for their handshakes to time out.
    let started = Instant::now();
    https.web.gateway.shutdown().await?;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    drop(idle);
    Ok(())
}

/// Reads from `stream` until the server closes it; `Err` when it is still open after `bound`.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> Res<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(bound, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .map_err(|_| format!("still open after {} s", bound.as_secs()))?;
    Ok(started.elapsed())
}

#[tokio::test]
async fn half_open_requests_are_closed_after_the_header_timeout() -> Res<()> {
    let web = Web::start(true).await?;
    let addr = web.gateway.local_addr();
    let bound = HEADER_READ_TIMEOUT + Duration::from_secs(5);

    // Headers started and never finished (slowloris).
    let mut half_open = TcpStream::connect(addr).await?;
    half_open
        .write_all(format!("POST /api/login HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .await?;
    // A connection that never says anything.
    let mut silent = TcpStream::connect(addr).await?;

    let (half_open, silent) = tokio::join!(closed_within(&mut half_open, bound), closed_within(&mut silent, bound));
    let half_open = half_open.map_err(|e| format!("half-open request: {e}"))?;
    let silent = silent.map_err(|e| format!("silent connection: {e}"))?;
    assert!(
        half_open >= HEADER_READ_TIMEOUT - Duration::from_secs(1),
        "{half_open:?}"
    );
    assert!(silent >= HEADER_READ_TIMEOUT - Duration::from_secs(1), "{silent:?}");

    // The gateway still serves, and shuts down gracefully.
    let (status, _, _) = web
        .call("login", None, &[("username", ADMIN), ("password", ADMIN_PASSWORD)])
        .await?;
    assert_eq!(status, 200);
    // Shutting down closes a connection waiting for its first request at once.
    let silent = TcpStream::connect(addr).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    web.gateway.shutdown().await?;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    drop(silent);
    Ok(())
}

#[tokio::test]
async fn an_event_stream_outlives_the_header_timeout() -> Res<()> {
    let web = Web::start(true).await?;
    let cookie = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let mut events = web
        .http
        .get(web.url("/api/events"))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(events.status().as_u16(), 200);
    // Open (chunks or silence) for longer than the header timeout: it is not an idle connection.
    let outcome = tokio::time::timeout(HEADER_READ_TIMEOUT + Duration::from_secs(3), async {
        loop {
            match events.chunk().await {
                Ok(Some(_)) => continue,
                Ok(None) => return "ended".to_string(),
                Err(e) => return format!("failed: {e}"),
            }
        }
    })
    .await;
    if let Ok(ended) = outcome {
        return Err(format!("the event stream {ended} before the timeout").into());
    }
    drop(events);
    web.gateway.shutdown().await?;
    Ok(())
}

/// Issue 30 item 13: with `gateway_metrics_token` set, `/metrics` answers only the right bearer
/// token, loopback included (behind a reverse proxy every client is loopback), and a signed-in
/// admin without it too gets 401; without the token, loopback still gets 200.
#[tokio::test]
async fn metrics_with_a_token_need_the_bearer_even_from_loopback() -> Res<()> {
    const TOKEN: &str = "metrics-token-7f3a9c";
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("GATEWAY_METRICS_TOKEN", TOKEN),
        ],
    )
    .await?;
    let metrics = |bearer: Option<&str>, cookie: Option<&str>| {
        let mut request = web.http.get(web.url("/metrics"));
        if let Some(bearer) = bearer {
            request = request.header("authorization", format!("Bearer {bearer}"));
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let missing = metrics(None, None).await?;
    assert_eq!(missing.status().as_u16(), 401);
    assert_eq!(
        missing.headers().get("www-authenticate").and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert!(!missing.text().await?.contains(TOKEN));
    for wrong in ["metrics-token-7f3a9", "metrics-token-7f3a9d", "", "Bearer"] {
        assert_eq!(metrics(Some(wrong), None).await?.status().as_u16(), 401, "{wrong:?}");
    }
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    assert_eq!(
        metrics(None, Some(&admin)).await?.status().as_u16(),
        401,
        "a session is not the token"
    );
    let right = metrics(Some(TOKEN), None).await?;
    assert_eq!(right.status().as_u16(), 200);
    assert!(right.text().await?.contains("openfatture_circuit_breaker_state"));
    web.gateway.shutdown().await?;

    // No token: loopback is enough, as before.
    let web = Web::start(true).await?;
    let open = web.http.get(web.url("/metrics")).send().await?;
    assert_eq!(open.status().as_u16(), 200);
    assert!(open.text().await?.contains("openfatture_circuit_breaker_state"));
    web.gateway.shutdown().await?;
    Ok(())
}
