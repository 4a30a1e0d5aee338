//! How server functions reach the gateway's services (server build only).
//!
//! The gateway implements [`Backend`] and puts a [`BackendHandle`] into the Leptos context of every
//! server-function call; server functions fetch it with [`backend`]. No globals.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::AppError;
use crate::model::{
    InvoiceStatus, NodeStatus, PosChargeRequest, PosSale, RateStatus, ReceiptLink, SessionUser, ShopClock, TillView,
};

/// The future every [`Backend`] method returns (boxed so the trait can be used as `dyn Backend`).
pub type BackendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// The gateway's services as the web app sees them.
pub trait Backend: Send + Sync + 'static {
    /// Status of the connected Lightning node (identity, chain, channels, balances).
    fn node_status(&self) -> BackendFuture<'_, NodeStatus>;
    /// The BTC/EUR rate invoices would use now, its source, and each provider's state.
    fn rate_status(&self) -> BackendFuture<'_, RateStatus>;
    /// The shop's time zone and the gateway's clock, to show times on the shop's wall clock.
    fn shop_clock(&self) -> BackendFuture<'_, ShopClock>;
    /// Creates a POS invoice for a gross EUR amount typed at the counter, with an optional note,
    /// IVA rate, tip and till; refusals are [`crate::error::PosError`] codes.
    fn pos_charge(&self, request: PosChargeRequest) -> BackendFuture<'_, PosSale>;
    /// The shop's tills, the default one first.
    fn pos_tills(&self) -> BackendFuture<'_, Vec<TillView>>;
    /// A new customer link to the receipt of a paid POS sale, and whether its till has a printer.
    fn pos_receipt(&self, invoice_id: String) -> BackendFuture<'_, ReceiptLink>;
    /// Prints the receipt of a paid POS sale on its till's ESC/POS printer.
    fn pos_print_receipt(&self, invoice_id: String) -> BackendFuture<'_, ReceiptLink>;
    /// The state of one of our Lightning invoices, refreshed from the node.
    fn invoice_state(&self, invoice_id: String) -> BackendFuture<'_, InvoiceStatus>;
    /// Cancels one of our unpaid Lightning invoices.
    fn cancel_invoice(&self, invoice_id: String) -> BackendFuture<'_, InvoiceStatus>;
    /// Checks a username and password (or PIN) and starts a session for this request's browser.
    fn login(&self, username: String, password: String) -> BackendFuture<'_, SignedIn>;
    /// Creates the first admin with the one-time setup token printed by `serve`, and signs them in.
    fn setup_admin(&self, token: String, username: String, password: String) -> BackendFuture<'_, SignedIn>;
    /// Ends this request's session; returns the `Set-Cookie` value that clears the cookie.
    fn logout(&self) -> BackendFuture<'_, String>;
    /// Pairs this browser to a till with a one-time code (issue 36); the signed-in staff member
    /// is recorded. Refusals are [`crate::error::PosError`] codes.
    fn pos_pair(&self, code: String) -> BackendFuture<'_, Paired>;
}

/// A tablet just paired. Not a wire type: it carries the device token in its cookie.
#[derive(Debug, Clone)]
pub struct Paired {
    /// The till it is paired to.
    pub till: String,
    /// The `Set-Cookie` header value carrying the device token.
    pub set_cookie: String,
}

/// A successful sign-in. Not a wire type (it stays in the gateway's process): it carries the
/// session token in its cookie, so it does not belong in [`crate::model`].
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who signed in.
    pub user: SessionUser,
    /// The `Set-Cookie` header value carrying the session token.
    pub set_cookie: String,
}

/// Cloneable handle to the gateway's [`Backend`], provided through Leptos context.
#[derive(Clone)]
pub struct BackendHandle(pub Arc<dyn Backend>);

impl BackendHandle {
    /// Wraps a backend implementation.
    pub fn new(backend: impl Backend) -> Self {
        Self(Arc::new(backend))
    }
}

impl std::ops::Deref for BackendHandle {
    type Target = dyn Backend;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

/// The backend provided by the gateway for the current server-function call.
pub fn backend() -> Result<BackendHandle, AppError> {
    leptos::prelude::use_context::<BackendHandle>().ok_or_else(|| {
        leptos::logging::error!("the gateway did not provide its services (serve server functions with handle_server_fns_with_context and provide a BackendHandle) to this request (server wiring bug)");
        AppError::Unavailable(crate::error::Refusal::code("error.unexpected"))
    })
}
