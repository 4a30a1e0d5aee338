//! Receipts printed by themselves (issue 36): on every `payment_received` event this gateway
//! sees, a POS sale whose till has `auto_print` on and a printer gets its receipt printed, once
//! across gateways (the counter claims it in the database first), in Italian.

use app::i18n::Lang;
use app::model::EventKind;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::feed::EventFeed;
use crate::config::SettingsHub;
use crate::counter::CounterService;

/// Starts following `feed` until the gateway closes.
pub(crate) fn spawn(
    feed: &EventFeed,
    counter: CounterService,
    settings: SettingsHub,
    mut closing: watch::Receiver<bool>,
) {
    let mut events = feed.subscribe();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                _ = closing.changed() => {
                    if *closing.borrow() {
                        return;
                    }
                    continue;
                }
            };
            let event = match event {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "receipt auto-print missed events");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            if event.kind != EventKind::PaymentReceived.as_str() {
                continue;
            }
            let shop = settings.current().receipt_shop();
            match counter.auto_print_receipt(&event.ln_invoice_id, &shop, Lang::It).await {
                Ok(Some(printer)) => tracing::info!(sale = %event.ln_invoice_id, %printer, "receipt printed on settle"),
                Ok(None) => {}
                Err(error) => tracing::warn!(sale = %event.ln_invoice_id, %error, "receipt not printed on settle"),
            }
        }
    });
}
