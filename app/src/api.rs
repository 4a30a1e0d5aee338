//! Server functions: called from the browser over HTTP (`POST /api/<endpoint>`), run in the gateway.
//! Endpoints are named explicitly so their URLs are stable.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{NodeStatus, RateStatus};

/// Status of the connected Lightning node. `POST /api/node_status`, JSON reply.
#[server(prefix = "/api", endpoint = "node_status")]
pub async fn get_node_status() -> Result<NodeStatus, AppError> {
    crate::backend::backend()?.node_status().await
}

/// The BTC/EUR rate in use, its source and the providers' state. `POST /api/rate_status`.
#[server(prefix = "/api", endpoint = "rate_status")]
pub async fn get_rate_status() -> Result<RateStatus, AppError> {
    crate::backend::backend()?.rate_status().await
}
