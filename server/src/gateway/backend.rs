//! The gateway's implementation of [`app::backend::Backend`]: what server functions call.

use app::backend::{Backend, BackendFuture, BackendHandle};
use std::sync::Arc;

use app::model::{NodeStatus, ProviderState, RateStatus};
use app::AppError;

use crate::lnd::{LndClient, LndError};
use crate::rates::RateService;
use crate::services;

use super::lightning::NodeConnection;

/// Services backed by one LND connection.
struct GatewayBackend {
    client: LndClient,
    host: String,
    simulated: bool,
    rates: Arc<RateService>,
}

/// The handle server functions find in their context.
pub(crate) fn handle(node: &NodeConnection, rates: Arc<RateService>) -> BackendHandle {
    BackendHandle::new(GatewayBackend {
        client: node.client().clone(),
        host: node.host().to_string(),
        simulated: node.simulated(),
        rates,
    })
}

/// Turns an LND failure into the words the UI shows (LND errors never contain secrets).
fn lightning_error(error: LndError) -> AppError {
    tracing::warn!(%error, "Lightning node request failed");
    AppError::Lightning(error.to_string())
}

impl Backend for GatewayBackend {
    fn node_status(&self) -> BackendFuture<'_, NodeStatus> {
        Box::pin(async move {
            services::node::node_status(&self.client, &self.host, self.simulated)
                .await
                .map_err(lightning_error)
        })
    }

    fn rate_status(&self) -> BackendFuture<'_, RateStatus> {
        Box::pin(async move {
            let quote = self.rates.quote().await.map_err(|e| AppError::Unavailable(e.to_string()))?;
            let providers = self
                .rates
                .status()
                .providers
                .into_iter()
                .map(|p| ProviderState { provider: p.provider, health: p.health.to_string() })
                .collect();
            Ok(RateStatus {
                eur_per_btc: quote.eur_per_btc.to_string(),
                source: quote.source.clone(),
                fetched_at: quote.fetched_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                is_fallback: quote.is_fallback,
                warnings: crate::invoices::quote_warnings(&quote),
                providers,
            })
        })
    }
}
