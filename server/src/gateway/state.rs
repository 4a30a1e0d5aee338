//! The state every gateway handler shares: the backend handles server functions use, the
//! services behind the plain routes, the site and the live event feed.

use std::sync::Arc;

use app::backend::BackendHandle;

use super::feed::EventFeed;
use super::site::Site;
use crate::store::Store;

/// Shared by all handlers.
#[derive(Clone)]
pub(crate) struct GatewayState {
    /// What the POS and sign-in server functions call.
    pub backend: BackendHandle,
    /// The node (status and metrics).
    pub lnd: crate::lnd::LndClient,
    /// Lightning invoices; its rate service (BTC/EUR quotes) is the one in use (metrics show
    /// the providers' breakers).
    pub invoices: crate::invoices::InvoiceService,
    /// What the admin server functions call.
    pub admin: app::admin::AdminHandle,
    /// The built web app (static files and the HTML shell).
    pub site: Arc<Site>,
    /// The database (event replay, outbox counts).
    pub store: Store,
    /// New events as they are recorded, for the live streams.
    pub feed: Arc<EventFeed>,
    /// The webhook endpoints' circuit breakers (this process's dispatcher).
    pub webhook_breakers: crate::webhooks::EndpointBreakers,
    /// The settings in force: `lightning_pos_expiry_minutes` (how far back a cashier's event
    /// stream replays) and `gateway_metrics_token` (when set, `/metrics` answers only
    /// `Authorization: Bearer <it>`).
    pub settings: crate::config::SettingsHub,
    /// What the public pages (the payment page) use.
    pub public: super::public::PublicState,
    /// Becomes true when the gateway shuts down: live event streams end then.
    pub closing: tokio::sync::watch::Receiver<bool>,
}
