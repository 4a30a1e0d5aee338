//! The gateway's listening socket: plain HTTP, or HTTPS when `gateway_tls_cert_path` and
//! `gateway_tls_key_path` are set (a tablet on a shop LAN needs HTTPS for the service worker and
//! the screen wake lock).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::GatewayError;
use crate::config::Settings;

/// A TLS handshake that has not finished after this long is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// One accepted connection, plain or TLS.
pub(crate) trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// The client's address, recorded for every request (sign-in throttling).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub SocketAddr);

/// The gateway's listener.
pub(crate) struct GatewayListener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
}

impl GatewayListener {
    /// Plain HTTP, or HTTPS with `tls`.
    pub(crate) fn new(tcp: TcpListener, tls: Option<TlsAcceptor>) -> Self {
        GatewayListener { tcp, tls }
    }
}

impl Listener for GatewayListener {
    type Io = Box<dyn Connection>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = Listener::accept(&mut self.tcp).await;
            let Some(acceptor) = &self.tls else {
                return (Box::new(stream), addr);
            };
            // The handshake runs here, one at a time, bounded by a timeout: enough for a shop's tablets.
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => return (Box::new(tls), addr),
                Ok(Err(e)) => tracing::debug!(%addr, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

impl Connected<IncomingStream<'_, GatewayListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, GatewayListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
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
