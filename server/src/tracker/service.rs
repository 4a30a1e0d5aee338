//! Tracker + webhook dispatcher started together, as `serve` and `lightning watch` run them.

use crate::lnd::LndClient;
use crate::rates::RateHandle;
use crate::store::Store;
use crate::webhooks::{
    self, DefaultEndpointSettings, Dispatcher, DispatcherConfig, DispatcherHandle, EndpointBreakers, WebhookError,
};

use super::{Tracker, TrackerConfig, TrackerHandle};

/// The running tracker and dispatcher.
pub struct PaymentTracking {
    tracker: TrackerHandle,
    dispatcher: DispatcherHandle,
    webhook_breakers: EndpointBreakers,
}

impl PaymentTracking {
    /// Mirrors the `lightning_webhook_*` settings into the `default` endpoint, then starts the
    /// tracker (recording at each settlement the rate `rates` has cached then) and the dispatcher
    /// on the current runtime.
    pub async fn start(
        store: Store,
        lnd: LndClient,
        default_endpoint: &DefaultEndpointSettings,
        tracker_cfg: TrackerConfig,
        dispatcher_cfg: DispatcherConfig,
        rates: Option<RateHandle>,
    ) -> Result<PaymentTracking, WebhookError> {
        webhooks::sync_default_endpoint(&store, default_endpoint).await?;
        let dispatcher = Dispatcher::new(store.clone(), dispatcher_cfg, default_endpoint.secret.clone())?;
        let webhook_breakers = dispatcher.breakers();
        let dispatcher = dispatcher.spawn();
        let mut tracker = Tracker::new(store, lnd, tracker_cfg);
        if let Some(rates) = rates {
            tracker = tracker.with_rates(rates);
        }
        let tracker = super::leader::spawn_led(tracker);
        Ok(PaymentTracking {
            tracker,
            dispatcher,
            webhook_breakers,
        })
    }

    /// The webhook endpoints' circuit breakers, as the running dispatcher sees them.
    pub fn webhook_breakers(&self) -> EndpointBreakers {
        self.webhook_breakers.clone()
    }

    /// Mirrors a changed `default` endpoint into the store and replaces the dispatcher with one
    /// built from `dispatcher_cfg` (keeping the endpoints' breakers). On an error the running
    /// dispatcher stays.
    pub async fn reconfigure_webhooks(
        &mut self,
        store: Store,
        default_endpoint: &DefaultEndpointSettings,
        dispatcher_cfg: DispatcherConfig,
    ) -> Result<(), WebhookError> {
        webhooks::sync_default_endpoint(&store, default_endpoint).await?;
        let dispatcher = Dispatcher::new(store, dispatcher_cfg, default_endpoint.secret.clone())?
            .with_breakers(self.webhook_breakers.clone())
            .spawn();
        let old = std::mem::replace(&mut self.dispatcher, dispatcher);
        old.stop().await;
        Ok(())
    }

    /// Stops both and waits until they have.
    pub async fn stop(self) {
        self.tracker.stop().await;
        self.dispatcher.stop().await;
    }
}
