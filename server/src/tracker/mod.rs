//! The payment tracker: follows the node's invoice stream from the stored add/settle index and
//! turns every change of one of our invoices into a stored state change (and so an event).
//!
//! LND's `SubscribeInvoices` does not stream cancellations, replays nothing for an index of 0
//! and its settle index can skip, so right after every (re)subscribe and every
//! `sweep_interval` the tracker also reconciles: it pages `ListInvoices` from the stored add
//! index and looks up each of our live invoices.

mod leader;
mod service;

pub use service::PaymentTracking;

use std::collections::HashMap;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use lnd_proto::lnrpc::{self, invoice::InvoiceState as NodeState, InvoiceSubscription, ListInvoiceRequest};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::invoices::apply_node_invoice;
use crate::lnd::{LndClient, LndError};
use crate::rates::RateHandle;
use crate::store::{InvoiceState, LnInvoice, LnInvoiceFilter, Store, StoreError};

/// Invoices fetched per `ListInvoices` page during a sweep.
const SWEEP_PAGE: u64 = 500;
/// Least time between two writes of the resume add index for stream updates that change
/// nothing else (each new invoice's add notification): replaying a second of adds after a
/// crash is harmless, a write transaction per new invoice is not.
const ADD_INDEX_WRITE_INTERVAL: Duration = Duration::from_secs(1);
/// Most stream updates applied together (their new invoices looked up with one query).
const STREAM_BATCH_MAX: usize = 64;

/// Errors of one tracker step (logged by the running tracker, which keeps going).
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// The node failed or could not be reached.
    #[error("tracker: node call failed: {0}")]
    Lnd(#[from] LndError),
    /// The database failed.
    #[error("tracker: database failed: {0}")]
    Store(#[from] StoreError),
}

/// Timing of the tracker.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    /// First wait before resubscribing after the stream was lost; doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest wait between resubscribe attempts.
    pub max_backoff: Duration,
    /// How often the reconciliation sweep runs while the stream is up.
    pub sweep_interval: Duration,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            sweep_interval: Duration::from_secs(60),
        }
    }
}

/// The tracker over a node and a store.
#[derive(Clone)]
pub struct Tracker {
    store: Store,
    lnd: LndClient,
    cfg: TrackerConfig,
    /// Where the rate in force at a settlement is read from (its cache only); `None` records none.
    rates: Option<RateHandle>,
    /// The resume indexes this tracker stored, and the add index it saw but has not stored yet.
    indexes: std::sync::Arc<std::sync::Mutex<ResumeIndexes>>,
}

/// What the tracker knows of its stored resume position.
#[derive(Debug, Default)]
struct ResumeIndexes {
    /// Add index last stored (the stored indexes only ever grow).
    stored_add: u64,
    /// Settle index last stored.
    stored_settle: u64,
    /// Highest add index seen but not stored yet (0: none).
    unstored_add: u64,
    /// When the indexes were last written.
    written_at: Option<std::time::Instant>,
}

/// A running tracker; dropping it does not stop it, call [`TrackerHandle::stop`].
pub struct TrackerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl TrackerHandle {
    /// Asks the tracker to stop and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl Tracker {
    /// A tracker over `lnd` recording into `store`.
    pub fn new(store: Store, lnd: LndClient, cfg: TrackerConfig) -> Self {
        Tracker {
            store,
            lnd,
            cfg,
            rates: None,
            indexes: std::sync::Arc::new(std::sync::Mutex::new(ResumeIndexes::default())),
        }
    }

    /// Records at each settlement the rate `rates` has cached then (no provider is asked).
    pub fn with_rates(mut self, rates: RateHandle) -> Self {
        self.rates = Some(rates);
        self
    }

    /// Runs the tracker on the current runtime until [`TrackerHandle::stop`].
    pub fn spawn(self) -> TrackerHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(async move { self.run(stopped).await });
        TrackerHandle { stop, task }
    }

    /// Runs until `stop` becomes true (or its sender is dropped).
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let mut backoff = self.cfg.initial_backoff;
        loop {
            if *stop.borrow() {
                return;
            }
            // A switch to another node (a live settings change) ends the stream and subscribes
            // again, on the new node.
            let mut node_changes = self.lnd.changes();
            let generation = *node_changes.borrow_and_update();
            // Subscribe first, then sweep: whatever changed before the subscription is found
            // by the sweep, whatever changes after it waits in the stream.
            let subscribed = self.subscribe().await;
            if let Err(e) = self.sweep().await {
                tracing::warn!("{e}");
            }
            match subscribed {
                Ok(stream) => {
                    backoff = self.cfg.initial_backoff;
                    if self.follow(stream, &mut stop, &mut node_changes).await {
                        return;
                    }
                    if *node_changes.borrow() != generation {
                        tracing::info!("tracker: the node changed; subscribing to the new one");
                        backoff = self.cfg.initial_backoff;
                        continue;
                    }
                    tracing::warn!("tracker: invoice stream ended; resubscribing");
                }
                Err(e) => tracing::warn!("tracker: cannot subscribe to invoices: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return,
            }
            backoff = (backoff * 2).min(self.cfg.max_backoff);
        }
    }

    async fn subscribe(&self) -> Result<crate::lnd::InvoiceStream, TrackerError> {
        let (add_index, settle_index) = self.store.tracker_indexes().await?;
        Ok(self
            .lnd
            .subscribe_invoices(InvoiceSubscription {
                add_index,
                settle_index,
            })
            .await?)
    }

    /// Applies stream updates until the stream ends (false) or a stop is asked (true). The
    /// periodic sweep runs alongside, so a long one never holds back the stream's settles.
    async fn follow(
        &self,
        mut stream: crate::lnd::InvoiceStream,
        stop: &mut watch::Receiver<bool>,
        node_changes: &mut watch::Receiver<u64>,
    ) -> bool {
        let mut sweep = tokio::time::interval(self.cfg.sweep_interval);
        sweep.tick().await;
        let mut sweeping: Option<futures::future::BoxFuture<'_, Result<usize, TrackerError>>> = None;
        let mut flush = tokio::time::interval(ADD_INDEX_WRITE_INTERVAL);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stopped = loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(invoice)) => {
                        // Take whatever else the stream already holds, so that a burst of new
                        // invoices is looked up with one query.
                        let mut batch = vec![invoice];
                        let mut ended = None;
                        while batch.len() < STREAM_BATCH_MAX {
                            match stream.next().now_or_never() {
                                Some(Some(Ok(next))) => batch.push(next),
                                Some(other) => {
                                    ended = Some(other);
                                    break;
                                }
                                None => break,
                            }
                        }
                        self.apply_batch(&batch).await;
                        match ended {
                            Some(Some(Err(e))) => {
                                tracing::warn!("tracker: invoice stream failed: {e}");
                                break false;
                            }
                            Some(None) => break false,
                            Some(Some(Ok(_))) | None => {}
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!("tracker: invoice stream failed: {e}");
                        break false;
                    }
                    None => break false,
                },
                _ = flush.tick() => {
                    if let Err(e) = self.flush_add_index().await {
                        tracing::warn!("{e}");
                    }
                }
                _ = sweep.tick(), if sweeping.is_none() => {
                    sweeping = Some(Box::pin(self.sweep()));
                }
                swept = async {
                    match sweeping.as_mut() {
                        Some(running) => Some(running.await),
                        None => None,
                    }
                }, if sweeping.is_some() => {
                    sweeping = None;
                    if let Some(Err(e)) = swept {
                        tracing::warn!("{e}");
                    }
                }
                _ = stop.changed() => break true,
                Ok(()) = node_changes.changed() => break false,
            }
        };
        if let Err(e) = self.flush_add_index().await {
            tracing::warn!("{e}");
        }
        stopped
    }

    /// Reconciles with the node: pages `ListInvoices` from the stored add index, or from the
    /// oldest of our invoices that is not final if that is older, then looks up those of ours the
    /// pages did not show (e.g. created before the node reported an add index). Returns how many
    /// invoices changed state.
    pub async fn sweep(&self) -> Result<usize, TrackerError> {
        let started = std::time::Instant::now();
        let mut changed = 0;
        let mut live: HashMap<String, LnInvoice> = HashMap::new();
        // PENDING ones too: a create whose OPEN record a crash lost, or whose answer never came.
        for state in [InvoiceState::Pending, InvoiceState::Open, InvoiceState::Accepted] {
            let filter = LnInvoiceFilter {
                state: Some(state),
                limit: u32::MAX,
                ..Default::default()
            };
            for ours in self.store.list_ln_invoices(&filter).await? {
                live.insert(ours.payment_hash.clone(), ours);
            }
        }
        let live_count = live.len();
        let (stored_add, _) = self.store.tracker_indexes().await?;
        let oldest_live = live.values().filter_map(|i| i.add_index).min();
        let mut offset = oldest_live.map_or(stored_add, |add| stored_add.min(add.saturating_sub(1)));
        loop {
            let page = self
                .lnd
                .list_invoices(ListInvoiceRequest {
                    index_offset: offset,
                    num_max_invoices: SWEEP_PAGE,
                    ..Default::default()
                })
                .await?;
            let mut last_add = None;
            let mut last_settle = None;
            for invoice in &page.invoices {
                let hash = hex::encode(&invoice.r_hash);
                let ours = match live.remove(&hash) {
                    Some(ours) => Some(ours),
                    // Older invoices that are not live are final here, or not ours.
                    None if invoice.add_index > stored_add => self.store.ln_invoice_by_hash(&hash).await?,
                    None => None,
                };
                if let Some(ours) = ours {
                    changed += usize::from(self.apply_to(&ours, invoice).await?);
                }
                last_add = last_add.max(Some(invoice.add_index));
                if invoice.state == NodeState::Settled as i32 {
                    last_settle = last_settle.max(Some(invoice.settle_index));
                }
            }
            // One index update per page instead of one per invoice.
            self.advance_indexes(last_add, last_settle, true).await?;
            if page.invoices.is_empty() || page.last_index_offset <= offset {
                break;
            }
            offset = page.last_index_offset;
        }
        for ours in live.into_values() {
            let Ok(hash) = hex::decode(&ours.payment_hash) else {
                continue;
            };
            match self.lnd.lookup_invoice(hash).await {
                Ok(node) => changed += usize::from(self.apply_to(&ours, &node).await?),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
        }
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis(),
            live = live_count,
            changed,
            "tracker: sweep done"
        );
        Ok(changed)
    }

    /// Applies a run of stream updates in order, logging failures. The bare adds among them (new
    /// OPEN invoices, most of a busy stream) are looked up with one query.
    pub async fn apply_batch(&self, batch: &[lnrpc::Invoice]) {
        let is_add = |invoice: &lnrpc::Invoice| invoice.state == NodeState::Open as i32;
        let added: Vec<String> = batch
            .iter()
            .filter(|invoice| is_add(invoice))
            .map(|invoice| hex::encode(&invoice.r_hash))
            .collect();
        let mut ours = match added.len() {
            0 | 1 => None,
            _ => match self.store.ln_invoices_by_hashes(&added).await {
                Ok(found) => Some(found),
                Err(e) => {
                    tracing::warn!("tracker: {e}");
                    None
                }
            },
        };
        for invoice in batch {
            let applied = match ours.as_mut() {
                Some(found) if is_add(invoice) => {
                    self.apply_known(found.remove(&hex::encode(&invoice.r_hash)), invoice)
                        .await
                }
                _ => self.apply(invoice).await,
            };
            if let Err(e) = applied {
                tracing::warn!("{e}");
            }
        }
    }

    /// [`Tracker::apply`] with our record of the invoice already read (`None`: not ours).
    async fn apply_known(&self, ours: Option<LnInvoice>, node: &lnrpc::Invoice) -> Result<bool, TrackerError> {
        let changed = match ours {
            // A new invoice whose create is still recording it: its creator (or a later look)
            // completes the record, so this one rides with the store's next commit.
            Some(ours) if ours.state == InvoiceState::Pending && node.state == NodeState::Open as i32 => {
                self.store
                    .mark_ln_invoice_open_soon(&ours.id, &crate::invoices::node_opened(node))
                    .await?;
                true
            }
            Some(ours) => self.apply_to(&ours, node).await?,
            None => false,
        };
        let settle_index = (node.state == NodeState::Settled as i32).then_some(node.settle_index);
        self.advance_indexes(Some(node.add_index), settle_index, changed)
            .await?;
        Ok(changed)
    }

    /// Applies one node invoice to our records; returns whether one of ours changed state.
    pub async fn apply(&self, node: &lnrpc::Invoice) -> Result<bool, TrackerError> {
        let ours = self.store.ln_invoice_by_hash(&hex::encode(&node.r_hash)).await?;
        // A settle (or any change) writes the indexes at once; a bare add notification may wait.
        self.apply_known(ours, node).await
    }

    /// Stores the resume position, unless this tracker stored one at least as far already. An
    /// add index alone (`urgent` false, no settle index ahead) is only remembered when the
    /// indexes were written less than [`ADD_INDEX_WRITE_INTERVAL`] ago; [`Tracker::flush_add_index`]
    /// writes it later.
    async fn advance_indexes(
        &self,
        add_index: Option<u64>,
        settle_index: Option<u64>,
        urgent: bool,
    ) -> Result<(), TrackerError> {
        let (add, settle) = {
            let Ok(mut known) = self.indexes.lock() else {
                return Ok(self.store.advance_tracker_indexes(add_index, settle_index).await?);
            };
            let add_ahead = add_index.is_some_and(|a| a > known.stored_add);
            let settle_ahead = settle_index.is_some_and(|s| s > known.stored_settle);
            if !add_ahead && !settle_ahead {
                return Ok(());
            }
            let recent = known
                .written_at
                .is_some_and(|at| at.elapsed() < ADD_INDEX_WRITE_INTERVAL);
            if !urgent && !settle_ahead && recent {
                known.unstored_add = known.unstored_add.max(add_index.unwrap_or(0));
                return Ok(());
            }
            let add = add_index.unwrap_or(0).max(known.unstored_add);
            (
                (add > known.stored_add).then_some(add),
                settle_index.filter(|_| settle_ahead),
            )
        };
        self.write_indexes(add, settle).await
    }

    /// Writes an add index [`Tracker::advance_indexes`] held back, if any.
    async fn flush_add_index(&self) -> Result<(), TrackerError> {
        let pending = match self.indexes.lock() {
            Ok(known) => (known.unstored_add > known.stored_add).then_some(known.unstored_add),
            Err(_) => None,
        };
        match pending {
            Some(add) => self.write_indexes(Some(add), None).await,
            None => Ok(()),
        }
    }

    async fn write_indexes(&self, add: Option<u64>, settle: Option<u64>) -> Result<(), TrackerError> {
        self.store.advance_tracker_indexes(add, settle).await?;
        if let Ok(mut known) = self.indexes.lock() {
            known.stored_add = known.stored_add.max(add.unwrap_or(0));
            known.stored_settle = known.stored_settle.max(settle.unwrap_or(0));
            if known.unstored_add <= known.stored_add {
                known.unstored_add = 0;
            }
            known.written_at = Some(std::time::Instant::now());
        }
        Ok(())
    }

    async fn apply_to(&self, ours: &LnInvoice, node: &lnrpc::Invoice) -> Result<bool, TrackerError> {
        let rates = self.rates.as_ref().map(RateHandle::current);
        Ok(apply_node_invoice(&self.store, ours, node, rates.as_deref()).await?)
    }
}
