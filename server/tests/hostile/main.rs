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

/// Sends `request` as raw bytes on a new connection to `addr` and returns the whole answer.
async fn raw(addr: SocketAddr, request: &[u8]) -> Res<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await??;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// The status code of a raw HTTP/1.1 answer.
fn status_of(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

/// A `GET path` with `Host: host`, connection closed after the answer.
fn get_with_host(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes()
}

/// A sign-in POST with `Host: host` and the matching Origin.
fn login_with_host(host: &str) -> Vec<u8> {
    let body = format!("username={ADMIN}&password={ADMIN_PASSWORD}");
    format!(
        "POST /api/login HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Writes a built site (an app script, no wasm needed) into the test gateway's site root.
fn fake_site(web: &Web) -> Res<()> {
    let pkg = web._dir.path().join("site/pkg");
    std::fs::create_dir_all(&pkg)?;
    std::fs::write(pkg.join("openfatture.js"), "export default function init() {}\n")?;
    std::fs::write(pkg.join("openfatture.wasm"), "")?;
    Ok(())
}

/// Asserts the security headers every response carries; `what` names the response.
fn assert_security_headers(headers: &reqwest::header::HeaderMap, what: &str, https: bool) -> Res<()> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let csp = get("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: CSP without {directive}: {csp:?}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(
        headers.contains_key("strict-transport-security"),
        https,
        "{what}: HSTS only under TLS"
    );
    Ok(())
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_the_shell_its_script_hash() -> Res<()> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let web = Web::start(true).await?;
    fake_site(&web)?;
    let cookie = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;

    let shell = web.http.get(web.url("/invoices")).send().await?;
    assert_eq!(shell.status().as_u16(), 200);
    let headers = shell.headers().clone();
    assert_security_headers(&headers, "the HTML shell", false)?;
    // The shell's inline boot script is allowed by its exact hash, and nothing else inline.
    let html = shell.text().await?;
    let script = html
        .split("<script type=\"module\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .ok_or("no inline script in the shell")?;
    assert!(script.contains("import init from"), "{script}");
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
    let csp = headers.get("content-security-policy").ok_or("no CSP")?.to_str()?;
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");

    let asset = web.http.get(web.url("/pkg/openfatture.js")).send().await?;
    assert_eq!(asset.status().as_u16(), 200);
    assert_security_headers(asset.headers(), "a /pkg asset", false)?;
    let missing = web.http.get(web.url("/nope.png")).send().await?;
    assert_eq!(missing.status().as_u16(), 404);
    assert_security_headers(missing.headers(), "a 404", false)?;
    let api = web
        .http
        .post(web.url("/api/node_status"))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_security_headers(api.headers(), "a server function", false)?;
    let refused = web
        .http
        .post(web.url("/api/login"))
        .header("origin", "http://evil.example")
        .send()
        .await?;
    assert_eq!(refused.status().as_u16(), 403);
    assert_security_headers(refused.headers(), "a cross-site refusal", false)?;
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn hsts_is_sent_under_tls() -> Res<()> {
    let https = Https::start().await?;
    let client = https.http1()?;
    for path in ["/", "/api/nope", "/pkg/missing.js"] {
        let response = client.get(format!("{}{path}", https.origin())).send().await?;
        assert_security_headers(response.headers(), path, true)?;
        let hsts = response
            .headers()
            .get("strict-transport-security")
            .ok_or("no HSTS")?
            .to_str()?;
        assert!(hsts.starts_with("max-age="), "{hsts}");
    }
    https.web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_forged_host_is_refused_and_the_gateways_own_names_are_served() -> Res<()> {
    let web = Web::start(true).await?;
    let addr = web.gateway.local_addr();
    let port = addr.port();

    // A DNS-rebinding page: the browser sends its own site's name as Host.
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost:{}", port + 1),
    ] {
        for request in [get_with_host("/", &host), login_with_host(&host)] {
            let answer = raw(addr, &request).await?;
            assert_eq!(status_of(&answer), 421, "Host {host}: {answer}");
            assert!(answer.contains("gateway_public_names"), "{answer}");
            assert!(!answer.to_ascii_lowercase().contains("set-cookie"), "{answer}");
        }
    }
    // No Host at all (HTTP/1.0).
    let answer = raw(addr, b"GET / HTTP/1.0\r\n\r\n").await?;
    assert_eq!(status_of(&answer), 400, "{answer}");

    // Its listen address and the loopback names with its port.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let answer = raw(addr, &login_with_host(&host)).await?;
        assert_eq!(status_of(&answer), 200, "Host {host}: {answer}");
    }
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_name_in_gateway_public_names_is_served() -> Res<()> {
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("GATEWAY_PUBLIC_NAMES", "pos.shop.lan, till.shop.lan:8443"),
        ],
    )
    .await?;
    let addr = web.gateway.local_addr();
    // Behind a proxy (no port, any port) or on the port given.
    for host in ["pos.shop.lan", "POS.shop.lan:8080", "till.shop.lan:8443"] {
        let answer = raw(addr, &login_with_host(host)).await?;
        assert_eq!(status_of(&answer), 200, "Host {host}: {answer}");
        let answer = raw(addr, &get_with_host("/", host)).await?;
        assert_ne!(status_of(&answer), 421, "Host {host}: {answer}");
    }
    for host in ["till.shop.lan", "shop.lan", "evil.example"] {
        let answer = raw(addr, &login_with_host(host)).await?;
        assert_eq!(status_of(&answer), 421, "Host {host}: {answer}");
    }
    web.gateway.shutdown().await?;

    // A malformed name stops the start with the fix.
    let dir = tempfile::tempdir()?;
    let home = openfatture::config::Home::at(dir.path());
    let settings = common::web::settings_with(&home, &[("GATEWAY_PUBLIC_NAMES", "pos shop")])?;
    let args = openfatture::gateway::ServeArgs {
        listen: common::web::any_port(),
        simnode_data_dir: None,
        first_admin: None,
    };
    let error = match openfatture::gateway::start(&settings, &home, args, dir.path().join("site")).await {
        Ok(gateway) => {
            gateway.shutdown().await?;
            return Err("a malformed gateway_public_names was accepted".into());
        }
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("gateway_public_names") && error.contains("pos shop"),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_malformed_input_400() -> Res<()> {
    let web = Web::start(true).await?;
    let addr = web.gateway.local_addr();
    let big = format!("username={ADMIN}&password={}", "x".repeat(3 * 1024 * 1024));

    // Declared by Content-Length.
    let response = web
        .http
        .post(web.url("/api/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big.clone())
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 413);
    assert!(response.text().await?.contains("too large"));

    // Chunked, no length declared: counted as it arrives.
    let mut request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in big.as_bytes().chunks(64 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(addr, &request).await?;
    assert_eq!(status_of(&answer), 413, "{}", answer.lines().next().unwrap_or(""));

    // Malformed: missing arguments.
    let (status, body, _) = web.call("login", None, &[("username", ADMIN)]).await?;
    assert_eq!(status, 400, "{body}");
    // Just under the limit is read (and refused for the wrong password, not for its size).
    let (status, _, _) = web
        .call(
            "login",
            None,
            &[("username", ADMIN), ("password", &"y".repeat(1024 * 1024))],
        )
        .await?;
    assert_eq!(status, 401);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_wrong_setup_token_is_403() -> Res<()> {
    let web = Web::start(false).await?;
    let url = web.gateway.setup_url().ok_or("no setup link without staff accounts")?;
    let token = url.split("token=").nth(1).ok_or("no token in the link")?.to_string();
    let wrong = format!("{}x", &token[..token.len() - 1]);
    for bad in [wrong.as_str(), ""] {
        let (status, body, _) = web
            .call(
                "setup_admin",
                None,
                &[("token", bad), ("username", ADMIN), ("password", ADMIN_PASSWORD)],
            )
            .await?;
        assert_eq!(status, 403, "token {bad:?}: {body}");
    }
    let (status, body, _) = web
        .call(
            "setup_admin",
            None,
            &[("token", &token), ("username", ADMIN), ("password", ADMIN_PASSWORD)],
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    // Used once: now refused too.
    let (status, _, _) = web
        .call(
            "setup_admin",
            None,
            &[("token", &token), ("username", "second"), ("password", ADMIN_PASSWORD)],
        )
        .await?;
    assert_eq!(status, 403);
    web.gateway.shutdown().await?;
    Ok(())
}

/// `openfatture serve` as a process with `RUST_LOG=trace`, stdout and stderr captured to files
/// (not a terminal); killed when dropped.
struct ServeProcess {
    child: std::process::Child,
    stdout: std::path::PathBuf,
    stderr: std::path::PathBuf,
    _home: TempDir,
}

impl ServeProcess {
    fn start() -> Res<ServeProcess> {
        let home = tempfile::tempdir()?;
        let stdout = home.path().join("serve.out");
        let stderr = home.path().join("serve.log");
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("openfatture"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_clear()
            .env("OPENFATTURE_HOME", home.path())
            .env("LIGHTNING_COINGECKO_ENABLED", "false")
            .env("LIGHTNING_FALLBACK_RATE", "45000")
            .env("RUST_LOG", "trace")
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()?;
        Ok(ServeProcess {
            child,
            stdout,
            stderr,
            _home: home,
        })
    }

    /// The one-time setup link `serve` printed, once it has printed it.
    async fn setup_url(&self) -> Res<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
            if let Some(url) = out.lines().map(str::trim).find(|line| line.contains("/setup?token=")) {
                return Ok(url.to_string());
            }
            if Instant::now() > deadline {
                return Err(format!("serve printed no setup link within 60 s:\n{out}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_setup_token_reaches_no_log_line_and_logs_off_a_terminal_have_no_colour_codes() -> Res<()> {
    let serve = ServeProcess::start()?;
    let url = serve.setup_url().await?;
    let token = url.split("token=").nth(1).ok_or("no token in the link")?.to_string();
    assert!(token.len() >= 20, "{token}");
    let base = url.split("/setup").next().ok_or("no base URL")?.to_string();
    let http = reqwest::Client::new();

    // The owner opens the link (the token is in the query string) and creates the admin.
    let page = http.get(&url).send().await?;
    assert_ne!(page.status().as_u16(), 421);
    let setup = |token: String, username: &'static str| {
        http.post(format!("{base}/api/setup_admin"))
            .form(&[
                ("token", token.as_str()),
                ("username", username),
                ("password", ADMIN_PASSWORD),
            ])
            .send()
    };
    assert_eq!(setup("wrong".into(), ADMIN).await?.status().as_u16(), 403);
    assert_eq!(setup(token.clone(), ADMIN).await?.status().as_u16(), 200);
    assert_eq!(setup(token.clone(), "second").await?.status().as_u16(), 403);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = std::fs::read_to_string(&serve.stderr)?;
    // The trace log did record those requests (so the check below looks at something).
    assert!(log.contains("/setup"), "no request to /setup in the trace log");
    assert!(
        log.contains("/api/setup_admin"),
        "no setup_admin request in the trace log"
    );
    if let Some(line) = log.lines().find(|line| line.contains(&token)) {
        return Err(format!("the setup token is in a log line: {line}").into());
    }
    let out = std::fs::read_to_string(&serve.stdout)?;
    for (name, text) in [("log (stderr)", &log), ("stdout", &out)] {
        if let Some(line) = text.lines().find(|line| line.contains("\x1b[")) {
            return Err(format!("ANSI escape codes in the {name}, which is not a terminal: {line:?}").into());
        }
    }
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
