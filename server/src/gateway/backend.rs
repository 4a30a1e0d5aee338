//! The gateway's implementation of [`app::backend::Backend`]: what server functions call.

use app::backend::{Backend, BackendFuture, BackendHandle};
use app::model::NodeStatus;
use app::AppError;

use crate::lnd::{LndClient, LndError};
use crate::services;

use super::lightning::NodeConnection;

/// Services backed by one LND connection.
struct GatewayBackend {
    client: LndClient,
    host: String,
    simulated: bool,
}

/// The handle server functions find in their context.
pub(crate) fn handle(node: &NodeConnection) -> BackendHandle {
    BackendHandle::new(GatewayBackend {
        client: node.client().clone(),
        host: node.host().to_string(),
        simulated: node.simulated(),
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
}
