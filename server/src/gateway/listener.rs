//! The gateway's listening socket: plain HTTP, or HTTPS when `gateway_tls_cert_path` and
//! `gateway_tls_key_path` are set (a tablet on a shop LAN needs HTTPS for the service worker and
//! the screen wake lock).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::GatewayError;
use crate::config::Settings;

/// A TLS handshake (waiting for a handshake slot included) that has not finished after this long
/// is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How many TLS handshakes run at the same time; further connections wait for a slot (within
/// their [`HANDSHAKE_TIMEOUT`]). Each handshake runs in its own task, so a client that never
/// sends its ClientHello holds one slot, not the accept loop.
const MAX_CONCURRENT_HANDSHAKES: usize = 64;

/// How long a client has to send a request's headers, counted from the moment the connection can
/// read a request: its first request on a new connection (HTTP/1.1 and HTTP/2, from the end of the
/// TLS handshake), and every further request on an HTTP/1.1 keep-alive connection — so this is
/// also how long an idle HTTP/1.1 connection stays open. A response being sent (an SSE stream of
/// `/api/events`) is not idle and is never cut by it.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Interval of the HTTP/2 keep-alive pings (a live SSE stream over HTTP/2 answers them).
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);

/// An HTTP/2 connection whose peer has not answered a keep-alive ping after this long is closed.
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// At most this many connections (TLS handshakes included) are served at once. The accept loop
/// takes a slot before it accepts: a connection beyond the cap waits in the kernel's listen
/// backlog until one ends, and is then served (none is closed for being over the cap).
const MAX_CONNECTIONS: usize = 4096;

/// File descriptors kept free for everything that is not a web connection (database, node, logs,
/// site files): the connection cap is at most the descriptor limit minus this.
const FD_RESERVE: u64 = 256;

/// How long the accept loop pauses after an accept error such as "too many open files".
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// One accepted connection, plain or TLS.
pub(crate) trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// The client's address, recorded for every request (sign-in throttling).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub SocketAddr);

/// The local address a request's connection arrived on (the Host check, when bound to all
/// interfaces).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerAddr(pub SocketAddr);

/// The gateway's listener.
pub(crate) struct GatewayListener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    max_connections: usize,
}

impl GatewayListener {
    /// Plain HTTP, or HTTPS with `tls`. Raises the process's open-file soft limit to its hard
    /// limit and caps the connections below it.
    pub(crate) fn new(tcp: TcpListener, tls: Option<TlsAcceptor>) -> Self {
        let max_connections = connection_cap(raise_fd_limit());
        GatewayListener {
            tcp,
            tls,
            max_connections,
        }
    }

    /// Serves `router` until `stop` fires (or its sender is dropped), then stops accepting, lets
    /// every open connection finish its requests and returns once all are closed.
    pub(crate) async fn serve(self, router: Router, mut stop: oneshot::Receiver<()>) -> std::io::Result<()> {
        let GatewayListener {
            tcp,
            tls,
            max_connections,
        } = self;
        let connections = Arc::new(Semaphore::new(max_connections));
        let server = Arc::new(Server {
            tls,
            handshakes: Semaphore::new(MAX_CONCURRENT_HANDSHAKES),
            http: http_builder(),
            router,
        });
        let (closing_tx, closing) = watch::channel(false);
        loop {
            let permit = tokio::select! {
                permit = connections.clone().acquire_owned() => permit,
                _ = &mut stop => break,
            };
            // The semaphore is never closed.
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                accepted = tcp.accept() => accepted,
                _ = &mut stop => break,
            };
            match accepted {
                Ok((stream, addr)) => {
                    tokio::spawn(server.clone().connection(stream, addr, closing.clone(), permit));
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    // Out of file descriptors and the like: wait for connections to end.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                        _ = &mut stop => break,
                    }
                }
            }
        }
        drop(tcp);
        let _ = closing_tx.send(true);
        // Every connection holds a slot until it ends: all slots back means all connections closed.
        let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
        let _ = connections.acquire_many(all).await;
        Ok(())
    }

    /// The address the listener is bound to.
    pub(crate) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// What every connection task shares.
struct Server {
    tls: Option<TlsAcceptor>,
    handshakes: Semaphore,
    http: auto::Builder<TokioExecutor>,
    router: Router,
}

impl Server {
    /// One connection, from the TLS handshake (if any) to its end; `_permit` is its slot under
    /// [`MAX_CONNECTIONS`].
    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        addr: SocketAddr,
        mut closing: watch::Receiver<bool>,
        _permit: OwnedSemaphorePermit,
    ) {
        let local = stream.local_addr().ok();
        let io: Box<dyn Connection> = match &self.tls {
            None => Box::new(stream),
            Some(acceptor) => {
                let handshake = async {
                    let _slot = self.handshakes.acquire().await;
                    acceptor.accept(stream).await
                };
                tokio::select! {
                    handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake) => match handshake {
                        Ok(Ok(tls)) => Box::new(tls),
                        Ok(Err(e)) => {
                            tracing::debug!(%addr, "TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%addr, "TLS handshake timed out");
                            return;
                        }
                    },
                    _ = closing.changed() => return,
                }
            }
        };
        self.serve_http(io, addr, local, closing).await;
    }

    /// Serves HTTP/1.1 or HTTP/2 on `io` until the client or the server closes it.
    async fn serve_http(
        &self,
        io: Box<dyn Connection>,
        addr: SocketAddr,
        local: Option<SocketAddr>,
        mut closing: watch::Receiver<bool>,
    ) {
        // Set by the first request: until then the connection has `HEADER_READ_TIMEOUT` to send
        // one (hyper's own header timeout starts only once it knows HTTP/1 from HTTP/2).
        let asked = Arc::new(AtomicBool::new(false));
        let router = self.router.clone();
        let seen = asked.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            seen.store(true, Ordering::Relaxed);
            request.extensions_mut().insert(ConnectInfo(ClientAddr(addr)));
            if let Some(local) = local {
                request.extensions_mut().insert(ServerAddr(local));
            }
            let router = router.clone();
            async move {
                Ok::<_, Infallible>(
                    tower::ServiceExt::oneshot(router, request)
                        .await
                        .unwrap_or_else(|e| match e {}),
                )
            }
        });
        let connection = self.http.serve_connection_with_upgrades(TokioIo::new(io), service);
        tokio::pin!(connection);
        let first_request = tokio::time::sleep(HEADER_READ_TIMEOUT);
        tokio::pin!(first_request);
        let mut waiting_first = true;
        let mut shutting_down = *closing.borrow();
        if shutting_down {
            connection.as_mut().graceful_shutdown();
        }
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%addr, "connection ended: {e}");
                    }
                    return;
                }
                () = &mut first_request, if waiting_first => {
                    if !asked.load(Ordering::Relaxed) {
                        tracing::debug!(%addr, "no request within {} s; closing", HEADER_READ_TIMEOUT.as_secs());
                        return;
                    }
                    waiting_first = false;
                }
                changed = closing.changed(), if !shutting_down => {
                    // A closed channel also means the server is gone.
                    let _ = changed;
                    shutting_down = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// HTTP/1.1 and HTTP/2 with the timeouts above.
fn http_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(H2_KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT);
    builder
}

/// Errors of one incoming connection (the client gave up before it was accepted): accept the next.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Raises the open-file soft limit to the hard limit; returns the soft limit in force (`None`
/// when it cannot be read or changed on this system).
fn raise_fd_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open-file limit");
            Some(limit)
        }
        Err(e) => {
            tracing::warn!("cannot raise the open-file limit: {e}");
            None
        }
    }
}

/// [`MAX_CONNECTIONS`], lowered to leave [`FD_RESERVE`] descriptors free under `fd_limit`.
fn connection_cap(fd_limit: Option<u64>) -> usize {
    let Some(limit) = fd_limit else {
        return MAX_CONNECTIONS;
    };
    let usable = usize::try_from(limit.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
    usable.clamp(1, MAX_CONNECTIONS)
}

/// The TLS acceptor from the settings: `None` when neither path is set; an error when only one
/// is, or the files are unreadable or do not match.
pub(crate) fn tls_from_settings(settings: &Settings) -> Result<Option<TlsAcceptor>, GatewayError> {
    match (&settings.gateway_tls_cert_path, &settings.gateway_tls_key_path) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => tls_acceptor(cert, key).map(Some),
        _ => Err(GatewayError::Tls(
            "set both gateway_tls_cert_path and gateway_tls_key_path (or neither, for plain HTTP)".into(),
        )),
    }
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, GatewayError> {
    std::fs::read(path).map_err(|e| GatewayError::Tls(format!("cannot read the {what} {}: {e}", path.display())))
}

fn tls_acceptor(cert_path: &Path, key_path: &Path) -> Result<TlsAcceptor, GatewayError> {
    let cert_pem = read_pem(cert_path, "certificate (gateway_tls_cert_path)")?;
    let key_pem = read_pem(key_path, "private key (gateway_tls_key_path)")?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| GatewayError::Tls(format!("{} is not a PEM certificate: {e}", cert_path.display())))?;
    if certs.is_empty() {
        return Err(GatewayError::Tls(format!(
            "{} holds no PEM certificate",
            cert_path.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| GatewayError::Tls(format!("{} is not a PEM private key: {e}", key_path.display())))?
        .ok_or_else(|| GatewayError::Tls(format!("{} holds no PEM private key", key_path.display())))?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| GatewayError::Tls(format!("the certificate and key do not fit together: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
