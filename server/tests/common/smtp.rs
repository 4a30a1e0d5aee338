//! A small SMTP server for the tests (a sink): it speaks enough ESMTP for `lettre` (EHLO, AUTH
//! PLAIN, MAIL, RCPT, DATA, RSET, QUIT), keeps every message it accepts, and can turn away the
//! first connections with a temporary `421`, to show retries.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

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
    /// Starts a sink that turns away its first `refuse_first` connections with `421`.
    pub async fn start(refuse_first: u32) -> SmtpSink {
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
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, store, n <= refuse_first).await;
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

async fn serve(socket: tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>, refuse: bool) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    if refuse {
        write.write_all(b"421 sink busy, try again later\r\n").await?;
        return Ok(());
    }
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let (mut from, mut to, mut auth) = (String::new(), Vec::new(), None);
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(b"250-sink.test\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8\r\n")
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
                    return Ok(());
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
            });
            write.write_all(b"250 2.0.0 queued\r\n").await?;
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 2.0.0 ok\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"502 5.5.2 not implemented\r\n").await?;
        }
    }
}
