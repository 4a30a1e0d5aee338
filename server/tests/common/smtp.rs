//! A small SMTP server for the tests (a sink): it speaks enough ESMTP for `lettre` (EHLO, AUTH
//! PLAIN, MAIL, RCPT, DATA, RSET, QUIT, STARTTLS), keeps every message it accepts, and can turn
//! away the first connections with a temporary `421`, to show retries. It can also speak TLS
//! from the first byte (port 465 style) or require STARTTLS before `MAIL` (port 587 style), with
//! a certificate the test makes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How the sink protects its connections.
#[derive(Clone)]
pub enum SinkTls {
    /// Plain text only.
    None,
    /// Plain greeting; `STARTTLS` offered and required before `MAIL` (`530` otherwise).
    StartTls(TlsAcceptor),
    /// TLS from the first byte.
    Implicit(TlsAcceptor),
}

impl SinkTls {
    /// The acceptor for the certificate and key of `cert` (a `localhost` certificate).
    pub fn acceptor(cert: &super::web::TestCertificate) -> TlsAcceptor {
        let cert_pem = std::fs::read(&cert.cert_path).expect("cert");
        let key_pem = std::fs::read(&cert.key_path).expect("key");
        let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
            .collect::<Result<_, _>>()
            .expect("certs");
        let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
            .expect("key")
            .expect("a key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("config");
        TlsAcceptor::from(Arc::new(config))
    }
}

/// A message the sink accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent (headers and body, dot-unstuffed).
    pub data: String,
    /// The `AUTH PLAIN` credentials, decoded (`\0user\0password`), if any.
    pub auth: Option<String>,
    /// Whether it came over TLS.
    pub over_tls: bool,
}

/// A running sink.
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it accepted.
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Connections made so far.
    pub connections: Arc<Mutex<u32>>,
}

impl SmtpSink {
    /// Starts a plain-text sink that turns away its first `refuse_first` connections with `421`.
    pub async fn start(refuse_first: u32) -> SmtpSink {
        SmtpSink::start_with(refuse_first, SinkTls::None).await
    }

    /// Starts a sink protected as `tls` says.
    pub async fn start_with(refuse_first: u32, tls: SinkTls) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0u32));
        let (store, count) = (received.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let n = {
                    let mut c = count.lock().expect("lock");
                    *c += 1;
                    *c
                };
                let (store, tls) = (store.clone(), tls.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, store, n <= refuse_first, tls).await;
                });
            }
        });
        SmtpSink {
            addr,
            received,
            connections,
        }
    }

    /// The messages accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

async fn serve(
    socket: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Received>>>,
    refuse: bool,
    tls: SinkTls,
) -> std::io::Result<()> {
    match tls {
        SinkTls::None => session(socket, store, refuse, Mode::Plain).await.map(|_| ()),
        SinkTls::Implicit(acceptor) => {
            let stream = acceptor.accept(socket).await?;
            session(stream, store, refuse, Mode::Implicit).await.map(|_| ())
        }
        SinkTls::StartTls(acceptor) => {
            if let Some(socket) = session(socket, store.clone(), refuse, Mode::BeforeStartTls).await? {
                let stream = acceptor.accept(socket).await?;
                session(stream, store, false, Mode::AfterStartTls).await?;
            }
            Ok(())
        }
    }
}

/// Where a conversation stands as to TLS.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Plain text, no STARTTLS offered.
    Plain,
    /// Plain text; STARTTLS offered and required before `MAIL`.
    BeforeStartTls,
    /// Inside TLS after STARTTLS (no second banner, as RFC 3207 says).
    AfterStartTls,
    /// Inside TLS from the first byte.
    Implicit,
}

/// One SMTP conversation over `stream`; before STARTTLS, `MAIL` is refused until the client asks
/// for `STARTTLS`, and the stream is given back to be wrapped in TLS.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    store: Arc<Mutex<Vec<Received>>>,
    refuse: bool,
    mode: Mode,
) -> std::io::Result<Option<S>> {
    let offer_starttls = mode == Mode::BeforeStartTls;
    let over_tls = matches!(mode, Mode::AfterStartTls | Mode::Implicit);
    let mut lines = BufReader::new(stream);
    if refuse {
        lines.get_mut().write_all(b"421 sink busy, try again later\r\n").await?;
        lines.get_mut().flush().await?;
        return Ok(None);
    }
    if mode != Mode::AfterStartTls {
        lines.get_mut().write_all(b"220 sink.test ESMTP\r\n").await?;
    }
    let (mut from, mut to, mut auth) = (String::new(), Vec::new(), None);
    let mut line = String::new();
    loop {
        // Each answer goes out before the next command is read (TLS buffers writes).
        lines.get_mut().flush().await?;
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let write = lines.get_mut();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let starttls = if offer_starttls { "250-STARTTLS\r\n" } else { "" };
            write
                .write_all(
                    format!("250-sink.test\r\n{starttls}250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8\r\n").as_bytes(),
                )
                .await?;
        } else if upper == "STARTTLS" && offer_starttls {
            write.write_all(b"220 2.0.0 ready to start TLS\r\n").await?;
            write.flush().await?;
            return Ok(Some(lines.into_inner()));
        } else if offer_starttls && (upper.starts_with("MAIL FROM:") || upper.starts_with("AUTH")) {
            write
                .write_all(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
                .await?;
        } else if upper.starts_with("AUTH PLAIN") {
            use base64::Engine as _;
            let encoded = command.split_whitespace().nth(2).unwrap_or("");
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_default();
            auth = Some(String::from_utf8_lossy(&decoded).into_owned());
            write.write_all(b"235 2.7.0 accepted\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().trim_matches(|c| c == '<' || c == '>').to_string();
            to.clear();
            write.write_all(b"250 2.1.0 ok\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(|c| c == '<' || c == '>').to_string());
            write.write_all(b"250 2.1.5 ok\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(None);
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            store.lock().expect("lock").push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
                auth: auth.clone(),
                over_tls,
            });
            lines.get_mut().write_all(b"250 2.0.0 queued\r\n").await?;
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 2.0.0 ok\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            write.flush().await?;
            return Ok(None);
        } else {
            write.write_all(b"502 5.5.2 not implemented\r\n").await?;
        }
    }
}
