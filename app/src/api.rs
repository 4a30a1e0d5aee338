//! Server functions: called from the browser over HTTP (`POST /api/<endpoint>`), run in the gateway.
//! Endpoints are named explicitly so their URLs are stable.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{NodeStatus, RateStatus, ShopClock};

/// Status of the connected Lightning node. `POST /api/node_status`, JSON reply.
#[server(prefix = "/api", endpoint = "node_status")]
pub async fn get_node_status() -> Result<NodeStatus, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::backend::backend()?.node_status().await
}

/// The BTC/EUR rate in use, its source and the providers' state. `POST /api/rate_status`.
#[server(prefix = "/api", endpoint = "rate_status")]
pub async fn get_rate_status() -> Result<RateStatus, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    crate::backend::backend()?.rate_status().await
}

/// The shop's time zone (`shop_timezone`) and the gateway's clock: every page shows times on the
/// shop's wall clock with them. Any signed-in staff member. `POST /api/shop_clock`.
#[server(prefix = "/api", endpoint = "shop_clock")]
pub async fn get_shop_clock() -> Result<ShopClock, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    crate::backend::backend()?.shop_clock().await
}

/// Channel liquidity: inbound ratio, what can be received now, flagged channels. Admin.
/// `POST /api/liquidity_status`.
#[server(prefix = "/api", endpoint = "liquidity_status")]
pub async fn get_liquidity() -> Result<crate::model::LiquidityView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.liquidity().await
}

/// The node's open alerts and the last channel backup's time (issue 38). Admin.
/// `POST /api/node_alerts`.
#[server(prefix = "/api", endpoint = "node_alerts")]
pub async fn get_node_alerts() -> Result<crate::model::NodeAlertsView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.node_alerts().await
}
