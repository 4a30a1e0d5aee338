//! Test helpers: start a node in a temporary directory and connect a real TLS gRPC client that
//! trusts exactly the node's `tls.cert` bytes.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use hyper_util::rt::TokioIo;
use lnd_proto::invoicesrpc::invoices_client::InvoicesClient;
use lnd_proto::lnrpc;
use lnd_proto::lnrpc::lightning_client::LightningClient;
use lnd_proto::routerrpc::{self, router_client::RouterClient};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use simnode::{MacaroonKind, RunningNode, SimNodeConfig};
use tempfile::TempDir;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Request, Status, Streaming};

/// Accepts exactly one certificate (by DER bytes), still checking handshake signatures.
#[derive(Debug)]
struct PinnedCert {
    cert: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("server certificate is not tls.cert".into()))
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

/// A TLS channel to `addr` trusting exactly the certificate in `cert_path`.
pub async fn connect(addr: SocketAddr, cert_path: &Path) -> Channel {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = CertificateDer::from_pem_file(cert_path).expect("tls.cert is a PEM certificate");
    let verifier = PinnedCert {
        cert,
        provider: provider.clone(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect_with_connector(tower::service_fn(move |_uri: Uri| {
            let connector = connector.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                let tls = connector.connect(name, tcp).await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
        .expect("TLS gRPC connection")
}

/// Adds the `macaroon` metadata (hex) to every call, or nothing.
#[derive(Clone)]
pub struct Mac(Option<MetadataValue<Ascii>>);

impl Mac {
    /// The macaroon file's bytes as hex metadata.
    pub fn from_file(path: &Path) -> Mac {
        let bytes = std::fs::read(path).expect("macaroon file");
        Mac(Some(hex::encode(bytes).parse().expect("hex is ASCII")))
    }

    /// No macaroon at all.
    pub fn none() -> Mac {
        Mac(None)
    }
}

impl Interceptor for Mac {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("macaroon", value.clone());
        }
        Ok(request)
    }
}

pub type Ln = LightningClient<InterceptedService<Channel, Mac>>;
pub type Inv = InvoicesClient<InterceptedService<Channel, Mac>>;
pub type Rt = RouterClient<InterceptedService<Channel, Mac>>;

/// A node in a temporary directory plus clients using its admin macaroon.
pub struct TestNode {
    pub dir: TempDir,
    pub node: RunningNode,
    pub ln: Ln,
    pub inv: Inv,
    pub channel: Channel,
}

impl TestNode {
    /// Starts a node with the default topology.
    pub async fn start() -> TestNode {
        Self::start_with(None).await
    }

    /// Starts a node with the given topology TOML (written to the temp dir).
    pub async fn start_with(topology: Option<&str>) -> TestNode {
        let dir = tempfile::tempdir().expect("temp dir");
        let topology = topology.map(|text| {
            let path = dir.path().join("topology.toml");
            std::fs::write(&path, text).expect("write topology");
            path
        });
        let node = simnode::start(SimNodeConfig {
            data_dir: dir.path().join("node"),
            listen: "127.0.0.1:0".parse().expect("addr"),
            topology,
            alias: Some("test-node".to_string()),
        })
        .await
        .expect("node starts");
        let channel = connect(node.grpc_addr(), &node.tls_cert_path()).await;
        let mac = Mac::from_file(&node.macaroon_path(MacaroonKind::Admin));
        TestNode {
            ln: LightningClient::with_interceptor(channel.clone(), mac.clone()),
            inv: InvoicesClient::with_interceptor(channel.clone(), mac),
            channel,
            dir,
            node,
        }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("node")
    }

    /// A Lightning client with the given macaroon kind.
    pub fn ln_with(&self, kind: MacaroonKind) -> Ln {
        LightningClient::with_interceptor(self.channel.clone(), Mac::from_file(&self.node.macaroon_path(kind)))
    }

    /// A Router client with the given macaroon kind.
    pub fn router_with(&self, kind: MacaroonKind) -> Rt {
        RouterClient::with_interceptor(self.channel.clone(), Mac::from_file(&self.node.macaroon_path(kind)))
    }

    /// AddInvoice with a value in sat and a memo.
    pub async fn add_invoice(&mut self, value_sat: i64, memo: &str) -> lnrpc::AddInvoiceResponse {
        self.ln
            .add_invoice(lnrpc::Invoice {
                value: value_sat,
                memo: memo.to_string(),
                ..Default::default()
            })
            .await
            .expect("AddInvoice")
            .into_inner()
    }

    /// LookupInvoice by hash.
    pub async fn lookup(&mut self, r_hash: &[u8]) -> lnrpc::Invoice {
        self.ln
            .lookup_invoice(lnrpc::PaymentHash {
                r_hash: r_hash.to_vec(),
                ..Default::default()
            })
            .await
            .expect("LookupInvoice")
            .into_inner()
    }

    /// Channels by chan id.
    pub async fn channels(&mut self) -> Vec<lnrpc::Channel> {
        self.ln
            .list_channels(lnrpc::ListChannelsRequest::default())
            .await
            .expect("ListChannels")
            .into_inner()
            .channels
    }

    /// Channels with the peers' aliases filled in (ListChannels with `peer_alias_lookup`).
    pub async fn channels_with_aliases(&mut self) -> Vec<lnrpc::Channel> {
        self.ln
            .list_channels(lnrpc::ListChannelsRequest {
                peer_alias_lookup: true,
                ..Default::default()
            })
            .await
            .expect("ListChannels")
            .into_inner()
            .channels
    }
}

/// Starts the node kept in `data_dir` again, with its saved channels and default alias.
pub async fn restart(data_dir: PathBuf) -> RunningNode {
    simnode::start(SimNodeConfig {
        data_dir,
        listen: "127.0.0.1:0".parse().expect("addr"),
        topology: None,
        alias: None,
    })
    .await
    .expect("restart")
}

/// A self-payment of `pay_req` out through channel `out_chan_id` and back in from the peer
/// `last_hop_pubkey_hex`, paying at most `fee_limit_msat` in fees, with a 30 s timeout.
pub fn circular_payment(
    pay_req: &str,
    out_chan_id: u64,
    last_hop_pubkey_hex: &str,
    fee_limit_msat: i64,
) -> routerrpc::SendPaymentRequest {
    routerrpc::SendPaymentRequest {
        payment_request: pay_req.to_string(),
        outgoing_chan_ids: vec![out_chan_id],
        last_hop_pubkey: hex::decode(last_hop_pubkey_hex).expect("hex"),
        allow_self_payment: true,
        fee_limit_msat,
        timeout_seconds: 30,
        ..Default::default()
    }
}

/// Every update SendPaymentV2 streams for `req`, up to the final one.
pub async fn send_payment(rt: &mut Rt, req: routerrpc::SendPaymentRequest) -> Vec<lnrpc::Payment> {
    let mut stream = rt.send_payment_v2(req).await.expect("SendPaymentV2").into_inner();
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        out.push(item.expect("payment update"));
    }
    out
}

/// The final update SendPaymentV2 streams for `req`.
pub async fn send_payment_final(rt: &mut Rt, req: routerrpc::SendPaymentRequest) -> lnrpc::Payment {
    send_payment(rt, req).await.pop().expect("final")
}

/// TrackPaymentV2 for `payment_hash`: the stream of updates, or the refusal.
pub async fn track(
    rt: &mut Rt,
    payment_hash: &[u8],
    no_inflight_updates: bool,
) -> Result<Streaming<lnrpc::Payment>, Status> {
    rt.track_payment_v2(routerrpc::TrackPaymentRequest {
        payment_hash: payment_hash.to_vec(),
        no_inflight_updates,
    })
    .await
    .map(tonic::Response::into_inner)
}

/// The first update TrackPaymentV2 streams for `payment_hash`.
pub async fn track_first(rt: &mut Rt, payment_hash: &[u8], no_inflight_updates: bool) -> lnrpc::Payment {
    track(rt, payment_hash, no_inflight_updates)
        .await
        .expect("TrackPaymentV2")
        .next()
        .await
        .expect("one update")
        .expect("payment update")
}

/// Polls `check` every 50 ms until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Looks the invoice `r_hash` up through `ln` every 50 ms until `check` holds for it or `timeout`
/// passes.
pub async fn eventually_invoice(ln: &Ln, r_hash: &[u8], timeout: Duration, check: fn(&lnrpc::Invoice) -> bool) -> bool {
    eventually(timeout, || {
        let mut ln = ln.clone();
        let hash = r_hash.to_vec();
        async move {
            let inv = ln
                .lookup_invoice(lnrpc::PaymentHash {
                    r_hash: hash,
                    ..Default::default()
                })
                .await
                .expect("lookup")
                .into_inner();
            check(&inv)
        }
    })
    .await
}

/// alice: mostly local, 100 ppm + 1000 msat; bob: mostly remote, 250 ppm + 0 msat.
pub const TWO_PEERS: &str = r#"
[[channel]]
peer_alias = "alice"
capacity_sat = 1000000
local_balance_sat = 900000
fee_base_msat = 1000
fee_rate_ppm = 100

[[channel]]
peer_alias = "bob"
capacity_sat = 1000000
local_balance_sat = 100000
fee_base_msat = 0
fee_rate_ppm = 250
"#;

/// A node over `TWO_PEERS` and its (alice, bob) channels.
pub async fn start_two_peers() -> (TestNode, lnrpc::Channel, lnrpc::Channel) {
    let mut t = TestNode::start_with(Some(TWO_PEERS)).await;
    let (alice, bob) = two_peers(&mut t).await;
    (t, alice, bob)
}

/// (alice, bob) channels.
pub async fn two_peers(t: &mut TestNode) -> (lnrpc::Channel, lnrpc::Channel) {
    let chans = t.channels_with_aliases().await;
    let alice = chans.iter().find(|c| c.peer_alias == "alice").cloned();
    let bob = chans.iter().find(|c| c.peer_alias == "bob").cloned();
    (alice.expect("alice"), bob.expect("bob"))
}
