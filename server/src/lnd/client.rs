//! [`LndClient`]: typed wrappers over LND's `lnrpc.Lightning` and `invoicesrpc.Invoices` calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::{Stream, StreamExt};
use lnd_proto::invoicesrpc::invoices_client::InvoicesClient;
use lnd_proto::invoicesrpc::{CancelInvoiceMsg, CancelInvoiceResp};
use lnd_proto::lnrpc::lightning_client::LightningClient;
use lnd_proto::lnrpc::{
    AddInvoiceResponse, ChannelBalanceRequest, ChannelBalanceResponse, GetInfoRequest, GetInfoResponse, Invoice,
    InvoiceSubscription, ListChannelsRequest, ListChannelsResponse, ListInvoiceRequest, ListInvoiceResponse,
    PaymentHash,
};
use lnd_proto::routerrpc::router_client::RouterClient;
use tonic::codec::Streaming;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::Status;

use super::auth::{read_macaroon, MacaroonInterceptor};
use super::error::{from_status, LndError};
use super::method::Method;
use super::tls::{install_crypto_provider, read_cert, LndConnector};
use super::{LndConfig, Shared};

type Authed = InterceptedService<Channel, MacaroonInterceptor>;

/// A stream of invoice updates; errors are already mapped to [`LndError`].
pub type InvoiceStream = Pin<Box<dyn Stream<Item = Result<Invoice, LndError>> + Send>>;

/// Largest response we accept (LND itself allows 200 MB; invoice pages can be large).
const MAX_DECODING_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// First retry delay; doubles on every further retry.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Longest delay between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One connection to one LND node: what [`LndClient`] holds and can swap.
#[derive(Clone)]
pub(super) struct Conn {
    shared: Arc<Shared>,
    pub(super) lightning: LightningClient<Authed>,
    invoices: InvoicesClient<Authed>,
    /// `routerrpc.Router` (payments; see `router.rs`).
    pub(super) router: RouterClient<Authed>,
}

/// A connection to an LND node. Cloning is cheap and clones share the connection; after
/// [`LndClient::replace_with`] every clone talks to the new node.
#[derive(Clone)]
pub struct LndClient {
    cell: Arc<Cell>,
}

/// The connection in use and a counter of replacements, for those who follow it.
struct Cell {
    conn: RwLock<Arc<Conn>>,
    generation: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for LndClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LndClient")
            .field("host", &self.host())
            .finish_non_exhaustive()
    }
}

/// Delay before retry number `retry` (1-based).
fn backoff(retry: u32) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1));
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

impl LndClient {
    /// Reads the certificate and macaroon, connects and completes the TLS handshake now.
    /// A node that is down, a wrong certificate or an unreadable file fail here.
    pub async fn connect(cfg: LndConfig) -> Result<LndClient, LndError> {
        let (shared, endpoint) = prepare(cfg)?;
        let connector = LndConnector { shared: shared.clone() };
        match endpoint.connect_with_connector(connector).await {
            Ok(channel) => Ok(LndClient::from_conn(Conn::with_channel(shared, channel))),
            Err(e) => Err(match shared.last_connect_failure() {
                Some(failure) => failure.into_lnd_error(&shared.cfg.host),
                None => LndError::Connect {
                    host: shared.cfg.host.clone(),
                    cause: error_chain(&e),
                },
            }),
        }
    }

    /// Reads the certificate and macaroon now but connects on the first call (and reconnects
    /// after failures), so a program can start before its node. Must run inside a Tokio runtime.
    pub fn connect_lazy(cfg: LndConfig) -> Result<LndClient, LndError> {
        let (shared, endpoint) = prepare(cfg)?;
        let channel = endpoint.connect_with_connector_lazy(LndConnector { shared: shared.clone() });
        Ok(LndClient::from_conn(Conn::with_channel(shared, channel)))
    }

    fn from_conn(conn: Conn) -> LndClient {
        LndClient {
            cell: Arc::new(Cell {
                conn: RwLock::new(Arc::new(conn)),
                generation: tokio::sync::watch::Sender::new(0),
            }),
        }
    }

    /// The connection in use now.
    pub(super) fn conn(&self) -> Arc<Conn> {
        match self.cell.conn.read() {
            Ok(conn) => conn.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes this client and every clone of it use `other`'s connection from now on (calls under
    /// way finish on the old one); those following [`LndClient::changes`] are told.
    pub fn replace_with(&self, other: &LndClient) {
        let conn = other.conn();
        match self.cell.conn.write() {
            Ok(mut slot) => *slot = conn,
            Err(poisoned) => *poisoned.into_inner() = conn,
        }
        self.cell
            .generation
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    /// Changes each time [`LndClient::replace_with`] switches the connection (e.g. for streams to
    /// open again on the new node).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.cell.generation.subscribe()
    }

    /// The `host:port` this client talks to.
    pub fn host(&self) -> String {
        self.conn().shared.cfg.host.clone()
    }

    /// The configuration of the connection in use (host, files, deadlines).
    pub fn config(&self) -> LndConfig {
        self.conn().shared.cfg.clone()
    }

    /// The circuit breaker's state (closed, open with seconds to the next trial, half-open).
    pub fn breaker_state(&self) -> crate::breaker::BreakerState {
        self.conn().shared.breaker.state()
    }

    /// `GetInfo`: identity, alias, chain and channel counts.
    pub async fn get_info(&self) -> Result<GetInfoResponse, LndError> {
        self.conn().get_info().await
    }

    /// `ChannelBalance`: local and remote balance of all open channels.
    pub async fn channel_balance(&self) -> Result<ChannelBalanceResponse, LndError> {
        self.conn().channel_balance().await
    }

    /// `ListChannels`: the open channels.
    pub async fn list_channels(&self, request: ListChannelsRequest) -> Result<ListChannelsResponse, LndError> {
        self.conn().list_channels(request).await
    }

    /// `AddInvoice`: creates an invoice (never retried).
    pub async fn add_invoice(&self, invoice: Invoice) -> Result<AddInvoiceResponse, LndError> {
        self.conn().add_invoice(invoice).await
    }

    /// `LookupInvoice`: one invoice by its payment hash (32 raw bytes).
    pub async fn lookup_invoice(&self, r_hash: Vec<u8>) -> Result<Invoice, LndError> {
        self.conn().lookup_invoice(r_hash).await
    }

    /// `ListInvoices`: a page of invoices by add index.
    pub async fn list_invoices(&self, request: ListInvoiceRequest) -> Result<ListInvoiceResponse, LndError> {
        self.conn().list_invoices(request).await
    }

    /// `SubscribeInvoices`: replays invoices with an add/settle index strictly greater than the
    /// given ones, then streams every add and settle.
    pub async fn subscribe_invoices(&self, request: InvoiceSubscription) -> Result<InvoiceStream, LndError> {
        self.conn().subscribe_invoices(request).await
    }

    /// `invoicesrpc.CancelInvoice`: cancels an open or accepted invoice by its payment hash
    /// (32 raw bytes); never retried.
    pub async fn cancel_invoice(&self, payment_hash: Vec<u8>) -> Result<CancelInvoiceResp, LndError> {
        self.conn().cancel_invoice(payment_hash).await
    }
}

impl Conn {
    fn with_channel(shared: Arc<Shared>, channel: Channel) -> Conn {
        let interceptor = MacaroonInterceptor {
            macaroon: shared.macaroon.clone(),
        };
        let lightning = LightningClient::with_interceptor(channel.clone(), interceptor.clone())
            .max_decoding_message_size(MAX_DECODING_MESSAGE_BYTES);
        let invoices = InvoicesClient::with_interceptor(channel.clone(), interceptor.clone())
            .max_decoding_message_size(MAX_DECODING_MESSAGE_BYTES);
        let router =
            RouterClient::with_interceptor(channel, interceptor).max_decoding_message_size(MAX_DECODING_MESSAGE_BYTES);
        Conn {
            shared,
            lightning,
            invoices,
            router,
        }
    }

    pub(super) fn map_status(&self, method: Method, status: &Status) -> LndError {
        let cfg = &self.shared.cfg;
        from_status(
            method,
            status,
            &cfg.host,
            &cfg.macaroon_path,
            cfg.timeout,
            self.shared.last_connect_failure(),
        )
    }

    /// A permit to call the node, or the fail-fast error while the breaker is open.
    pub(super) fn breaker_permit(&self) -> Result<crate::breaker::Permit, LndError> {
        self.shared.breaker.try_acquire().map_err(|rejection| {
            let retry_in_secs = match rejection {
                crate::breaker::Rejection::Open { retry_in_secs, .. } => retry_in_secs,
                crate::breaker::Rejection::TrialInProgress { .. } => 0,
            };
            LndError::CircuitOpen {
                host: self.shared.cfg.host.clone(),
                failures: self.shared.cfg.breaker_failures,
                retry_in_secs,
            }
        })
    }

    /// Reports a call's outcome to the breaker: only an unreachable or too slow node counts as a
    /// failure; an answer (even a refusal) shows the node is up.
    pub(super) fn breaker_report<T>(permit: crate::breaker::Permit, result: &Result<T, LndError>) {
        match result {
            Err(e) if e.is_transient() || matches!(e, LndError::Timeout { .. }) => permit.failure(),
            _ => permit.success(),
        }
    }

    /// Runs a unary call through the circuit breaker.
    pub(super) async fn unary<Req, Resp, F, Fut>(&self, method: Method, request: Req, call: F) -> Result<Resp, LndError>
    where
        Req: Clone,
        F: Fn(Conn, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Resp>, Status>>,
    {
        let permit = self.breaker_permit()?;
        let result = self.unary_unguarded(method, request, call).await;
        Self::breaker_report(permit, &result);
        result
    }

    /// Runs a unary call with the deadline, retrying idempotent reads while the node is unreachable.
    async fn unary_unguarded<Req, Resp, F, Fut>(&self, method: Method, request: Req, call: F) -> Result<Resp, LndError>
    where
        Req: Clone,
        F: Fn(Conn, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Resp>, Status>>,
    {
        let timeout = self.shared.cfg.timeout;
        let attempts = if method.idempotent() {
            self.shared.cfg.max_retries.saturating_add(1)
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            let mut req = tonic::Request::new(request.clone());
            req.set_timeout(timeout);
            let error = match tokio::time::timeout(timeout, call(self.clone(), req)).await {
                Ok(Ok(response)) => return Ok(response.into_inner()),
                Ok(Err(status)) => self.map_status(method, &status),
                Err(_elapsed) => LndError::Timeout {
                    timeout_secs: timeout.as_secs(),
                },
            };
            attempt += 1;
            if attempt >= attempts || !error.is_transient() {
                return Err(error);
            }
            tracing::debug!(method = method.name(), attempt, %error, "retrying LND read");
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    /// Opens a server stream (the deadline covers opening only) and maps its errors.
    async fn stream<Req, F, Fut>(&self, method: Method, request: Req, call: F) -> Result<InvoiceStream, LndError>
    where
        F: FnOnce(Conn, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Streaming<Invoice>>, Status>>,
    {
        // No deadline on opening: LND (grpc-go) sends a stream's response headers only with
        // its first message, so an idle node would look timed out. A dead connection still
        // fails through the connect timeout and HTTP/2 keep-alive.
        let permit = self.breaker_permit()?;
        let opened = call(self.clone(), tonic::Request::new(request))
            .await
            .map_err(|status| self.map_status(method, &status));
        Self::breaker_report(permit, &opened);
        let streaming = opened?.into_inner();
        let client = self.clone();
        Ok(Box::pin(streaming.map(move |item| {
            item.map_err(|status| client.map_status(method, &status))
        })))
    }

    /// `GetInfo`: identity, alias, chain and channel counts.
    pub(super) async fn get_info(&self) -> Result<GetInfoResponse, LndError> {
        self.unary(Method::GetInfo, GetInfoRequest {}, |mut c, r| async move {
            c.lightning.get_info(r).await
        })
        .await
    }

    /// `ChannelBalance`: local and remote balance of all open channels.
    pub(super) async fn channel_balance(&self) -> Result<ChannelBalanceResponse, LndError> {
        self.unary(
            Method::ChannelBalance,
            ChannelBalanceRequest {},
            |mut c, r| async move { c.lightning.channel_balance(r).await },
        )
        .await
    }

    /// `ListChannels`: the open channels.
    pub(super) async fn list_channels(&self, request: ListChannelsRequest) -> Result<ListChannelsResponse, LndError> {
        self.unary(Method::ListChannels, request, |mut c, r| async move {
            c.lightning.list_channels(r).await
        })
        .await
    }

    /// `AddInvoice`: creates an invoice (never retried).
    pub(super) async fn add_invoice(&self, invoice: Invoice) -> Result<AddInvoiceResponse, LndError> {
        self.unary(Method::AddInvoice, invoice, |mut c, r| async move {
            c.lightning.add_invoice(r).await
        })
        .await
    }

    /// `LookupInvoice`: one invoice by its payment hash (32 raw bytes).
    pub(super) async fn lookup_invoice(&self, r_hash: Vec<u8>) -> Result<Invoice, LndError> {
        let request = PaymentHash {
            r_hash,
            ..PaymentHash::default()
        };
        self.unary(Method::LookupInvoice, request, |mut c, r| async move {
            c.lightning.lookup_invoice(r).await
        })
        .await
    }

    /// `ListInvoices`: a page of invoices by add index.
    pub(super) async fn list_invoices(&self, request: ListInvoiceRequest) -> Result<ListInvoiceResponse, LndError> {
        self.unary(Method::ListInvoices, request, |mut c, r| async move {
            c.lightning.list_invoices(r).await
        })
        .await
    }

    /// `SubscribeInvoices`: replays invoices with an add/settle index strictly greater than the
    /// given ones, then streams every add and settle.
    pub(super) async fn subscribe_invoices(&self, request: InvoiceSubscription) -> Result<InvoiceStream, LndError> {
        self.stream(Method::SubscribeInvoices, request, |mut c, r| async move {
            c.lightning.subscribe_invoices(r).await
        })
        .await
    }

    /// `invoicesrpc.CancelInvoice`: cancels an open or accepted invoice by its payment hash
    /// (32 raw bytes); never retried.
    pub(super) async fn cancel_invoice(&self, payment_hash: Vec<u8>) -> Result<CancelInvoiceResp, LndError> {
        let request = CancelInvoiceMsg { payment_hash };
        self.unary(Method::CancelInvoice, request, |mut c, r| async move {
            c.invoices.cancel_invoice(r).await
        })
        .await
    }
}

/// Validates the files and builds the shared state and the endpoint.
fn prepare(cfg: LndConfig) -> Result<(Arc<Shared>, Endpoint), LndError> {
    install_crypto_provider();
    read_cert(&cfg.tls_cert_path).map_err(|f| f.into_lnd_error(&cfg.host))?;
    let macaroon = read_macaroon(&cfg.macaroon_path).map_err(|f| f.into_lnd_error(&cfg.host))?;
    // The scheme is http because TLS is done by our connector, not by tonic.
    let endpoint = Endpoint::from_shared(format!("http://{}", cfg.host))
        .map_err(|e| LndError::Connect {
            host: cfg.host.clone(),
            cause: format!("not a valid host:port ({e})"),
        })?
        .connect_timeout(cfg.timeout)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true);
    let breaker =
        crate::breaker::CircuitBreaker::new(format!("LND at {}", cfg.host), cfg.breaker_failures, cfg.breaker_open);
    let shared = Arc::new(Shared {
        cfg,
        macaroon: Arc::new(RwLock::new(macaroon)),
        last_connect_failure: Mutex::new(None),
        breaker,
    });
    Ok((shared, endpoint))
}

/// An error and its sources joined with ": ".
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(3), Duration::from_millis(800));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
