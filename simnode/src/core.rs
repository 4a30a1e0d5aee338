//! What the gRPC services, the control surface and the background watcher share.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lnd_proto::lnrpc;
use tokio::sync::{broadcast, watch, Notify};

use crate::faults::Faults;
use crate::keys::NodeKeys;
use crate::ledger::Ledger;
use crate::root_keys::RootKeys;

/// The running node's shared state.
pub(crate) struct NodeCore {
    ledger: Mutex<Ledger>,
    /// Node key and macaroon root key.
    pub(crate) keys: Arc<NodeKeys>,
    /// Macaroon root keys by id (BakeMacaroon, DeleteMacaroonID, the gRPC gate).
    pub(crate) root_keys: Arc<RootKeys>,
    /// Alias reported by GetInfo.
    pub(crate) alias: String,
    /// Injected faults.
    pub(crate) faults: Arc<Faults>,
    /// Wakes the expiry watcher when a new deadline may exist.
    pub(crate) watcher: Notify,
    /// Channel events (SubscribeChannelEvents) for every open subscription.
    pub(crate) channel_events: broadcast::Sender<lnrpc::ChannelEventUpdate>,
    /// Channel graph changes (SubscribeChannelGraph) for every open subscription.
    pub(crate) graph_events: broadcast::Sender<lnrpc::GraphTopologyUpdate>,
}

/// Channel events a slow subscriber may fall behind by before it skips some.
const CHANNEL_EVENT_BUFFER: usize = 256;

impl NodeCore {
    /// Shared state around `ledger`.
    pub(crate) fn new(
        ledger: Ledger,
        keys: Arc<NodeKeys>,
        root_keys: Arc<RootKeys>,
        alias: String,
        faults: Arc<Faults>,
    ) -> Self {
        NodeCore {
            ledger: Mutex::new(ledger),
            keys,
            root_keys,
            alias,
            faults,
            watcher: Notify::new(),
            channel_events: broadcast::Sender::new(CHANNEL_EVENT_BUFFER),
            graph_events: broadcast::Sender::new(CHANNEL_EVENT_BUFFER),
        }
    }

    /// Exclusive access to the ledger. A panic while holding the lock leaves the ledger
    /// consistent (every change is committed or rolled back before the lock is released),
    /// so a poisoned lock is simply taken over.
    pub(crate) fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Streams `event` to every SubscribeChannelEvents subscriber (none listening is fine).
    pub(crate) fn emit_channel_event(&self, event: lnrpc::ChannelEventUpdate) {
        let _ = self.channel_events.send(event);
    }

    /// Streams `update` to every SubscribeChannelGraph subscriber (none listening is fine).
    pub(crate) fn emit_graph_update(&self, update: lnrpc::GraphTopologyUpdate) {
        let _ = self.graph_events.send(update);
    }

    /// The node's identity public key, hex.
    pub(crate) fn pubkey_hex(&self) -> String {
        self.keys.node_public().to_string()
    }
}

/// Current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Cancels expired invoices and timed-out MPP parts as their deadlines pass, until `stop`.
pub(crate) async fn run_expiry_watcher(core: Arc<NodeCore>, mut stop: watch::Receiver<bool>) {
    loop {
        let notified = core.watcher.notified();
        let now = now_ms();
        let next = core.ledger().expire_due(now);
        // Wake at the next deadline, and at least once a second.
        let wait_ms = next.map_or(1000, |t| (t - now).clamp(1, 1000));
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1000))) => {}
            _ = notified => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
