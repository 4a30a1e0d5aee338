//! How server functions reach the gateway's services (server build only).
//!
//! The gateway implements [`Backend`] and puts a [`BackendHandle`] into the Leptos context of every
//! server-function call; server functions fetch it with [`backend`]. No globals.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::AppError;
use crate::model::{NodeStatus, RateStatus};

/// The future every [`Backend`] method returns (boxed so the trait can be used as `dyn Backend`).
pub type BackendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// The gateway's services as the web app sees them.
pub trait Backend: Send + Sync + 'static {
    /// Status of the connected Lightning node (identity, chain, channels, balances).
    fn node_status(&self) -> BackendFuture<'_, NodeStatus>;
    /// The BTC/EUR rate invoices would use now, its source, and each provider's state.
    fn rate_status(&self) -> BackendFuture<'_, RateStatus>;
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
        AppError::Unavailable(
            "the gateway did not provide its services to this request (server wiring bug: \
             serve server functions with handle_server_fns_with_context and provide a BackendHandle)"
                .into(),
        )
    })
}
