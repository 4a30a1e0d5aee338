//! TLS to LND: pin exactly the certificate in `tls.cert` (LND's self-signed CA certificate, which
//! rustls refuses as an end-entity trust anchor) while still checking handshake signatures, and
//! the tonic connector that dials TCP, re-reads the files and runs the handshake with ALPN h2.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Once};
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::auth::read_macaroon;
use super::error::ConnectFailure;
use super::Shared;

static INSTALL_PROVIDER: Once = Once::new();

/// Installs rustls' ring crypto provider as the process default (once; later calls do nothing).
pub fn install_crypto_provider() {
    INSTALL_PROVIDER.call_once(|| {
        // Another part of the program may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Accepts exactly one certificate (by DER bytes) and verifies handshake signatures with it.
#[derive(Debug)]
struct PinnedCertVerifier {
    expected_der: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected_der.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Reads the first PEM certificate in `path`.
pub(crate) fn read_cert(path: &Path) -> Result<CertificateDer<'static>, ConnectFailure> {
    let bytes = std::fs::read(path).map_err(|e| ConnectFailure::CertFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut certs = CertificateDer::pem_slice_iter(&bytes);
    match certs.next() {
        Some(Ok(cert)) => Ok(cert),
        Some(Err(e)) => Err(ConnectFailure::CertInvalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
        None => Err(ConnectFailure::CertInvalid {
            path: path.to_path_buf(),
            reason: "no BEGIN CERTIFICATE block found".to_string(),
        }),
    }
}

/// The rustls client configuration pinning `cert`, offering only HTTP/2.
fn client_config(cert: CertificateDer<'static>) -> Result<rustls::ClientConfig, ConnectFailure> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedCertVerifier {
        expected_der: cert,
        provider: provider.clone(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectFailure::Tls { reason: e.to_string() })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// The name sent in SNI: the host part of `host:port` (certificate names are not checked; the
/// certificate itself is pinned).
fn server_name(host_port: &str) -> Result<ServerName<'static>, ConnectFailure> {
    let host = match host_port.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    ServerName::try_from(host.to_string()).map_err(|_| ConnectFailure::Tls {
        reason: format!("`{host}` is neither a DNS name nor an IP address"),
    })
}

/// Dials the node once: re-reads tls.cert and the macaroon, connects TCP and runs the TLS handshake.
async fn connect_once(shared: Arc<Shared>) -> Result<TokioIo<TlsStream<TcpStream>>, ConnectFailure> {
    let cfg = &shared.cfg;
    let cert = read_cert(&cfg.tls_cert_path)?;
    let macaroon = read_macaroon(&cfg.macaroon_path)?;
    shared.set_macaroon(macaroon);
    let tls = TlsConnector::from(Arc::new(client_config(cert)?));
    let name = server_name(&cfg.host)?;
    let tcp = TcpStream::connect(cfg.host.as_str())
        .await
        .map_err(|e| ConnectFailure::Tcp { reason: e.to_string() })?;
    let _ = tcp.set_nodelay(true);
    let stream = tls.connect(name, tcp).await.map_err(|e| {
        let rustls_error = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
        match rustls_error {
            Some(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)) => {
                ConnectFailure::TlsMismatch {
                    path: cfg.tls_cert_path.clone(),
                }
            }
            Some(other) => ConnectFailure::Tls {
                reason: other.to_string(),
            },
            None => ConnectFailure::Tls { reason: e.to_string() },
        }
    })?;
    Ok(TokioIo::new(stream))
}

/// The tower service tonic calls to open each (re)connection; records failures for error mapping.
#[derive(Clone)]
pub(crate) struct LndConnector {
    pub(crate) shared: Arc<Shared>,
}

impl tower::Service<http::Uri> for LndConnector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = ConnectFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: http::Uri) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move {
            let result = connect_once(shared.clone()).await;
            shared.record_connect_result(result.as_ref().err().cloned());
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sni_name_is_the_host_part() {
        assert!(matches!(server_name("localhost:10009"), Ok(ServerName::DnsName(n)) if n.as_ref() == "localhost"));
        assert!(matches!(server_name("127.0.0.1:10009"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(server_name("[::1]:10009"), Ok(ServerName::IpAddress(_))));
        assert!(server_name("bad name:1").is_err());
    }
}
