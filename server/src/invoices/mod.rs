//! Lightning invoices for EUR invoices: create (idempotently), refresh, cancel, list.
//!
//! Flow: UI/CLI → this service → ports (`lnd`, `rates`, `store`). The service generates the
//! preimage itself. A create records the invoice PENDING (amount, locked rate, preimage) while
//! the node makes it, both at once, and shows the BOLT11 only when both are done: whatever is
//! shown is then recoverable from our disk and the node. The PENDING record becomes OPEN with
//! its `invoice_created` event in a second commit (the gateway queues it with its next commit
//! instead of waiting: [`InvoiceService::record_open_soon`]); a PENDING record found later is
//! looked up on the node and completed. A clean refusal by the node deletes the record; an
//! ambiguous answer (a timeout) leaves it PENDING to be recovered (looked up, or re-sent with
//! the same preimage, which the node refuses to duplicate) instead of leaving two payable
//! invoices for one debt. A crash after the node's answer but before our record commits leaves
//! a node invoice nobody has seen, which expires unpaid.

pub(crate) mod export;
mod identity;
mod import;
mod links;
mod manual;
mod memo;
mod notices;
mod outbox;
mod share;

pub use export::{
    evidence_text, fees_to_csv, payments_in_period, routing_fees_in_period, to_csv, PaymentRow, RoutingFeeRow,
    NO_SETTLE_RATE,
};
pub use identity::{codice_fiscale, tax_id, TaxIdError};
pub use import::{import_named, refused, DocumentResult, FileResult, ImportNote, ImportOptions};
pub use links::{
    is_token_shaped, new_token, payment_url, token_hash, DerivedLink, LinkError, LinkKey, LinkOutcome, LinkService,
    PayTarget, LINK_KEY_FILE, PAY_PATH, TOKEN_BYTES, TOKEN_CHARS,
};
pub use manual::{add_manual, ManualError, ManualFattura};
pub use notices::{inbound_notice, quote_notices, OwnerNotice};
pub use outbox::{QueuedMail, MAIL_RETRY_DELAYS_SECS};
pub use share::{share_email, LinkState, SharedCopy};

use std::sync::Arc;

use rand::RngCore;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::liquidity::{self, InboundCache, InboundCheck};
use crate::lnd::{LndClient, LndError};
use crate::money::{self, ConversionError};
use crate::rates::{RateError, RateHandle, RateQuote, RateService};
use crate::store::{
    EvidenceVerdict, Fattura, FatturaStatus, InvoiceOrigin, InvoiceState, LnInvoice, NewLnInvoice, NodeOpened,
    RateEvidence, SettleRate, Store, StoreError,
};
use crate::time::now_secs;
use lnd_proto::lnrpc;

/// Seconds in an hour.
const SECS_PER_HOUR: u64 = 3600;
/// An OPEN invoice is reused only if it stays payable at least this long.
const REUSE_MIN_REMAINING_SECS: i64 = 300;
/// The largest EUR amount accepted for one invoice (far above any shop sale; catches typos).
pub const MAX_INVOICE_EUR: i64 = 10_000_000;

/// Errors of invoice operations, worded for the person at the CLI or the till.
#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    /// No EUR invoice has that numero.
    #[error("no invoice with numero {0}: add it with `openfatture invoice add --numero {0} ...` or import its FatturaPA XML with `openfatture invoice import FILE.xml`")]
    UnknownNumero(String),
    /// Another attempt for the same fattura is being made right now (perhaps by another gateway).
    #[error("another Lightning invoice for {0} is being made right now: try again in a moment")]
    QuoteInFlight(String),
    /// The numero exists, but not for the requested year.
    #[error("no invoice {numero} of {anno}: {numero} exists for {years}; pass one of those with --anno")]
    UnknownYear {
        /// The numero.
        numero: String,
        /// The year asked for.
        anno: i32,
        /// The years it exists for.
        years: String,
    },
    /// The description carries a control or text-direction character.
    #[error(transparent)]
    UnsafeText(#[from] app::model::TextError),
    /// The description is longer than a BOLT11 memo can reasonably carry.
    #[error("the description is too long ({chars} characters): at most {max} characters")]
    DescriptionTooLong {
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Several EUR invoices share the numero.
    #[error("numero {numero} matches {count} invoices (years {years}): pass --anno YEAR")]
    AmbiguousNumero {
        /// The numero.
        numero: String,
        /// How many match.
        count: usize,
        /// Their years.
        years: String,
    },
    /// The EUR invoice is fully paid.
    #[error("invoice {0} is already paid: nothing to collect")]
    AlreadyPaid(String),
    /// The amount is zero or negative.
    #[error("amount must be greater than 0 EUR (got {0})")]
    AmountNotPositive(Decimal),
    /// The amount has fractions of a cent.
    #[error("amount {0} EUR has more than 2 decimals: use whole cents, e.g. 12.50")]
    AmountTooPrecise(Decimal),
    /// The amount is larger than anything this product invoices.
    #[error("amount {0} EUR is above the limit of {MAX_INVOICE_EUR} EUR for one invoice")]
    AmountAbsurd(Decimal),
    /// The amount exceeds what is still due on the EUR invoice.
    #[error("amount {amount} EUR is more than the {due} EUR still due on invoice {numero}")]
    AmountAboveDue {
        /// Requested amount.
        amount: Decimal,
        /// Outstanding amount.
        due: Decimal,
        /// The invoice.
        numero: String,
    },
    /// The invoice is at or above `lightning_identity_threshold_eur` and the client's name and
    /// tax id are neither on the fattura nor given.
    #[error("an invoice of {amount} EUR is at or above the identity threshold of {threshold} EUR: give the client's name and codice fiscale or partita IVA (--client-name NAME --client-tax-id ID), or add them to the fattura")]
    IdentityRequired {
        /// The invoice amount.
        amount: Decimal,
        /// `lightning_identity_threshold_eur`.
        threshold: Decimal,
    },
    /// The client tax id given is not valid.
    #[error(transparent)]
    InvalidTaxId(#[from] identity::TaxIdError),
    /// A standalone invoice needs an amount.
    #[error("a standalone Lightning invoice needs --amount EUR (or pass --numero of an existing invoice)")]
    MissingAmount,
    /// A POS expiry outside 1–1440 minutes.
    #[error("POS expiry of {minutes} minutes is outside 1–1440 minutes (lightning_pos_expiry_minutes)")]
    PosExpiryOutOfBounds {
        /// The requested minutes.
        minutes: u64,
    },
    /// The expiry is outside the configured bounds.
    #[error("expiry of {hours} hours is outside the allowed {min}–{max} hours (lightning_min_expiry_hours / lightning_max_expiry_hours)")]
    ExpiryOutOfBounds {
        /// Requested hours.
        hours: u64,
        /// Minimum.
        min: u64,
        /// Maximum.
        max: u64,
    },
    /// No Lightning invoice with that id.
    #[error("no Lightning invoice {0}: see `openfatture lightning invoice list`")]
    UnknownLnInvoice(String),
    /// Cancelling a paid invoice.
    #[error("Lightning invoice {0} is already paid (SETTLED) and cannot be cancelled")]
    CannotCancelSettled(String),
    /// Cancelling an invoice that is already over.
    #[error("Lightning invoice {id} is already {state}")]
    AlreadyFinal {
        /// Our id.
        id: String,
        /// Its state.
        state: &'static str,
    },
    /// The amount is more than the node's channels can receive now.
    #[error("{amount_sat} sats is more than this node can receive now (at most {max_receivable_sat} sats): the customer's payment would fail; open a channel or rebalance — see `openfatture lightning liquidity status` (or set lightning_liquidity_block_unreceivable false to only warn)")]
    Unreceivable {
        /// The invoice amount, sats (rounded up).
        amount_sat: u64,
        /// What the node can receive now, multi-part.
        max_receivable_sat: u64,
    },
    /// The node did not confirm the invoice; it is recorded and will be recovered.
    #[error("the node did not confirm invoice {id} ({source}); run the same command again to recover it — no second invoice will be made")]
    Unconfirmed {
        /// Our id.
        id: String,
        /// What happened.
        source: LndError,
    },
    /// No usable BTC/EUR rate.
    #[error(transparent)]
    Rate(#[from] RateError),
    /// EUR → sats conversion failed.
    #[error(transparent)]
    Conversion(#[from] ConversionError),
    /// The node refused or failed.
    #[error(transparent)]
    Lnd(#[from] LndError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Invoice settings from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct InvoicePolicy {
    /// Default expiry (`lightning_default_expiry_hours`).
    pub default_expiry_hours: u64,
    /// Minimum expiry (`lightning_min_expiry_hours`).
    pub min_expiry_hours: u64,
    /// Maximum expiry (`lightning_max_expiry_hours`).
    pub max_expiry_hours: u64,
    /// Refuse an invoice the node cannot receive now (`lightning_liquidity_block_unreceivable`);
    /// when false it is created with a warning.
    pub block_unreceivable: bool,
    /// Largest POS sale a cashier may charge, EUR (`pos_max_amount_eur`); the gateway applies it.
    pub pos_max_amount_eur: Decimal,
    /// Invoices at or above this need the client's name and tax id
    /// (`lightning_identity_threshold_eur`); `None`: never.
    pub identity_threshold_eur: Option<Decimal>,
}

/// A request to create a Lightning invoice.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// The EUR invoice to collect; `None` for a standalone invoice.
    pub numero: Option<String>,
    /// Year, to pick among invoices sharing a numero.
    pub anno: Option<i32>,
    /// EUR amount; defaults to what is still due.
    pub amount_eur: Option<Decimal>,
    /// Expiry in hours; defaults to the policy's default.
    pub expiry_hours: Option<u64>,
    /// Expiry in minutes for shop-counter (POS) sales, 1–1440; takes precedence over `expiry_hours`
    /// and is not bound by the hour limits, which are meant for invoices sent to clients.
    pub expiry_minutes: Option<u64>,
    /// Free text added to the memo.
    pub description: Option<String>,
    /// Make a new attempt even if a payable one exists (the older one is cancelled).
    pub force_new: bool,
    /// The client's name, entered (used when the fattura has none, or for a standalone invoice).
    pub client_name: Option<String>,
    /// The client's codice fiscale, partita IVA or foreign VAT id, entered.
    pub client_tax_id: Option<String>,
}

/// The result of a create.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Created {
    /// The Lightning invoice.
    pub invoice: LnInvoice,
    /// True when an existing payable invoice was returned instead of a new one.
    pub reused: bool,
    /// Loud warnings to show (fallback rate, rate spread, inbound capacity), in English.
    pub warnings: Vec<String>,
    /// The same, as data the web pages word in the user's language.
    #[serde(skip)]
    pub notices: Vec<OwnerNotice>,
    /// The token of the payment link made with it, shown once (none for POS sales, nor when
    /// its fattura already has a live link); never serialized.
    #[serde(skip)]
    pub payment_token: Option<secrecy::SecretString>,
}

/// What explains an invoice's EUR figures, from our records alone (no network).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RateRecord {
    /// The provider answers its locked rate came from, those dropped and those failed (empty
    /// for invoices made before evidence was kept).
    pub rate_evidence: Vec<RateEvidence>,
    /// Once paid: the rate in force at settlement, `None` when the rate cache held none.
    pub settle_rate: Option<SettleRate>,
}

/// What the reuse check found.
enum Reuse {
    /// A payable invoice for the same debt and amount.
    Existing(Box<LnInvoice>),
    /// None reusable: a new one is made (the insert retires a payable one, see `store::ln_invoices`).
    New,
}

/// The invoice service.
#[derive(Clone)]
pub struct InvoiceService {
    store: Store,
    lnd: LndClient,
    /// The rate service in use; a running gateway swaps it on a settings change.
    rates: RateHandle,
    /// The policy in use; a running gateway swaps it on a settings change.
    live: Arc<std::sync::RwLock<LiveParts>>,
    /// Remembered inbound capacity (the gateway's); `None` checks the node before every invoice.
    inbound_cache: Option<Arc<InboundCache>>,
    /// Queue the OPEN record of a new invoice instead of waiting for it (the gateway's).
    open_soon: bool,
    /// The key payment-link tokens are derived from.
    link_key: LinkKey,
}

/// What an [`InvoiceService`] and its clones use now, swappable while they run.
struct LiveParts {
    policy: InvoicePolicy,
}

/// Longest description accepted for a Lightning invoice (the memo adds the numero and client).
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// Longest POS expiry, minutes (one day).
pub const MAX_POS_EXPIRY_MINUTES: u64 = 24 * 60;

/// A POS expiry in minutes (1–1440) → seconds.
pub fn pos_expiry_secs(minutes: u64) -> Result<u64, InvoiceError> {
    if minutes == 0 || minutes > MAX_POS_EXPIRY_MINUTES {
        return Err(InvoiceError::PosExpiryOutOfBounds { minutes });
    }
    Ok(minutes * 60)
}

/// Checks an EUR amount: positive, whole cents, below the absurdity limit.
pub fn validate_amount(amount: Decimal) -> Result<Decimal, InvoiceError> {
    if amount <= Decimal::ZERO {
        return Err(InvoiceError::AmountNotPositive(amount));
    }
    if amount.normalize().scale() > 2 {
        return Err(InvoiceError::AmountTooPrecise(amount));
    }
    if amount > Decimal::from(MAX_INVOICE_EUR) {
        return Err(InvoiceError::AmountAbsurd(amount));
    }
    Ok(amount.round_dp(2))
}

impl InvoiceService {
    /// Builds the service over its ports.
    pub fn new(store: Store, lnd: LndClient, rates: Arc<RateService>, policy: InvoicePolicy) -> Self {
        InvoiceService {
            store,
            lnd,
            rates: RateHandle::new(rates),
            live: Arc::new(std::sync::RwLock::new(LiveParts { policy })),
            inbound_cache: None,
            open_soon: false,
            link_key: LinkKey::ephemeral(),
        }
    }

    /// Derives payment-link tokens from `key` (the gateway's `payment_link.key`) instead of a key
    /// made for this service alone, so its links can be shown again by every process of the home.
    pub fn with_link_key(mut self, key: LinkKey) -> Self {
        self.link_key = key;
        self
    }

    /// The key payment-link tokens are derived from.
    pub fn link_key(&self) -> &LinkKey {
        &self.link_key
    }

    /// Answers a create as soon as the PENDING record is on disk and the node has made the
    /// invoice, and queues the OPEN record with the store's next commit instead of waiting for
    /// it (for the long-running gateway; a CLI command would exit before it is stored). Its
    /// `invoice_created` event follows within milliseconds; if a crash loses it, the tracker
    /// completes the PENDING record from the node.
    pub fn record_open_soon(mut self) -> Self {
        self.open_soon = true;
        self
    }

    /// Trusts a measured inbound capacity for `ttl` instead of listing the node's channels before
    /// every invoice (for the long-running gateway, where sales come in bursts).
    pub fn with_inbound_cache(mut self, ttl: std::time::Duration) -> Self {
        self.inbound_cache = Some(Arc::new(InboundCache::new(ttl)));
        self
    }

    /// The rate service in use.
    pub fn rates(&self) -> Arc<RateService> {
        self.rates.current()
    }

    /// A handle on the rate service in use that follows [`InvoiceService::set_rates`] (the
    /// tracker reads the rate in force at settlement through it).
    pub fn rate_handle(&self) -> RateHandle {
        self.rates.clone()
    }

    /// The policy in use.
    pub fn policy(&self) -> InvoicePolicy {
        match self.live.read() {
            Ok(live) => live.policy,
            Err(poisoned) => poisoned.into_inner().policy,
        }
    }

    /// Uses `rates` from now on (this service and its clones).
    pub fn set_rates(&self, rates: Arc<RateService>) {
        self.rates.replace(rates);
    }

    /// Uses `policy` from now on (this service and its clones).
    pub fn set_policy(&self, policy: InvoicePolicy) {
        match self.live.write() {
            Ok(mut live) => live.policy = policy,
            Err(poisoned) => poisoned.into_inner().policy = policy,
        }
    }

    /// The largest POS sale a cashier may charge, EUR (`pos_max_amount_eur`).
    pub fn pos_max_amount_eur(&self) -> Decimal {
        self.policy().pos_max_amount_eur
    }

    /// Checks the expiry against the policy and returns it in seconds.
    pub fn expiry_secs(&self, hours: Option<u64>) -> Result<u64, InvoiceError> {
        let policy = self.policy();
        let hours = hours.unwrap_or(policy.default_expiry_hours);
        let (min, max) = (policy.min_expiry_hours, policy.max_expiry_hours);
        if hours < min || hours > max {
            return Err(InvoiceError::ExpiryOutOfBounds { hours, min, max });
        }
        Ok(hours * SECS_PER_HOUR)
    }

    /// Finds the one EUR invoice a numero (and optional year) names.
    pub async fn find_fattura(&self, numero: &str, anno: Option<i32>) -> Result<Fattura, InvoiceError> {
        let mut found = self.store.fatture_by_numero(numero).await?;
        if let Some(anno) = anno {
            let years = found.iter().map(|f| f.anno.to_string()).collect::<Vec<_>>().join(", ");
            found.retain(|f| f.anno == anno);
            if found.is_empty() && !years.is_empty() {
                return Err(InvoiceError::UnknownYear {
                    numero: numero.to_string(),
                    anno,
                    years,
                });
            }
        }
        match found.len() {
            0 => Err(InvoiceError::UnknownNumero(numero.to_string())),
            1 => Ok(found.remove(0)),
            count => Err(InvoiceError::AmbiguousNumero {
                numero: numero.to_string(),
                count,
                years: found.iter().map(|f| f.anno.to_string()).collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// Creates a Lightning invoice (or returns the payable one that already exists for the
    /// same EUR invoice and amount). Every refusal happens before anything is written.
    pub async fn create(&self, req: CreateRequest) -> Result<Created, InvoiceError> {
        self.create_from(req, InvoiceOrigin::Office).await
    }

    /// [`InvoiceService::create`] for an invoice made by `origin` (the POS screen's charge gives
    /// [`InvoiceOrigin::Pos`]), which is stored with the invoice: it decides who may watch and
    /// cancel it.
    pub async fn create_from(&self, req: CreateRequest, origin: InvoiceOrigin) -> Result<Created, InvoiceError> {
        let amount = req.amount_eur.map(validate_amount).transpose()?;
        if let Some(description) = &req.description {
            app::model::check_free_text(app::model::TextField::Description, description)?;
            let chars = description.chars().count();
            if chars > MAX_DESCRIPTION_CHARS {
                return Err(InvoiceError::DescriptionTooLong {
                    chars,
                    max: MAX_DESCRIPTION_CHARS,
                });
            }
        }
        let expiry_secs = match req.expiry_minutes {
            Some(minutes) => pos_expiry_secs(minutes)?,
            None => self.expiry_secs(req.expiry_hours)?,
        };
        let fattura = match &req.numero {
            Some(numero) => Some(self.find_fattura(numero, req.anno).await?),
            None => None,
        };
        let amount_eur = match (&fattura, amount) {
            (Some(f), amount) => {
                if f.status() == FatturaStatus::Paid {
                    return Err(InvoiceError::AlreadyPaid(f.numero.clone()));
                }
                let due = f.outstanding_eur();
                let amount = amount.unwrap_or(due);
                if amount > due {
                    return Err(InvoiceError::AmountAboveDue {
                        amount,
                        due,
                        numero: f.numero.clone(),
                    });
                }
                amount
            }
            (None, Some(amount)) => amount,
            (None, None) => return Err(InvoiceError::MissingAmount),
        };
        let threshold = self.policy().identity_threshold_eur;
        let identity = identity::required_identity(
            threshold,
            amount_eur,
            fattura.as_ref(),
            req.client_name.as_deref(),
            req.client_tax_id.as_deref(),
        )
        .map_err(|e| match e {
            Some(e) => InvoiceError::InvalidTaxId(e),
            None => InvoiceError::IdentityRequired {
                amount: amount_eur,
                threshold: threshold.unwrap_or_default(),
            },
        })?;

        if let Some(f) = &fattura {
            match self.reusable(f, amount_eur, req.force_new).await? {
                Reuse::Existing(invoice) => {
                    let payment_token = links::issue_if_none(&self.store, &self.link_key, &invoice).await?;
                    return Ok(Created {
                        invoice: *invoice,
                        reused: true,
                        warnings: Vec::new(),
                        notices: Vec::new(),
                        payment_token,
                    });
                }
                // A payable attempt is retired by the insert below, in the same transaction that
                // records the new one (see `store::ln_invoices`).
                Reuse::New => {}
            }
        }

        let quote = self.rates().quote().await?;
        let amount_msat = money::eur_to_msat(amount_eur, quote.eur_per_btc)?;
        let mut warnings = Vec::new();
        let mut notices = Vec::new();
        let inbound = match &self.inbound_cache {
            Some(cache) => cache.check(&self.lnd, amount_msat).await,
            None => liquidity::check_inbound(&self.lnd, amount_msat).await,
        };
        if let InboundCheck::Unreceivable { max_receivable_sat } = inbound {
            if self.policy().block_unreceivable {
                return Err(InvoiceError::Unreceivable {
                    amount_sat: amount_msat.div_ceil(1000),
                    max_receivable_sat,
                });
            }
        }
        warnings.extend(inbound.warning());
        notices.extend(inbound_notice(&inbound));
        let memo = match &fattura {
            Some(f) => memo::fattura_memo(
                &f.numero,
                &f.client_name,
                req.description.as_deref().unwrap_or(&f.description),
            ),
            None => memo::fit(req.description.as_deref().unwrap_or("")),
        };
        let mut preimage = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut preimage);
        let payment_hash = Sha256::digest(preimage);
        let new = NewLnInvoice {
            fattura_id: fattura.as_ref().map(|f| f.id),
            numero: fattura.as_ref().map(|f| f.numero.clone()),
            payment_hash: hex::encode(payment_hash),
            preimage: hex::encode(preimage),
            memo,
            amount_eur,
            amount_msat,
            rate_eur_per_btc: quote.eur_per_btc,
            rate_source: quote.source.clone(),
            rate_at: quote.fetched_at.timestamp(),
            rate_is_fallback: quote.is_fallback,
            expiry_secs,
            created_at: now_secs(),
            rate_evidence: rate_evidence(&quote),
            identity,
        };
        // The record and the node's invoice are made at once; the BOLT11 is shown only when both
        // exist (see the module doc).
        let request = node_request(&new.memo, new.amount_msat, new.expiry_secs, &preimage);
        let (added, pending) = tokio::join!(
            self.lnd.add_invoice(request),
            self.store.insert_pending_ln_invoice_retiring(&new, origin)
        );
        let (pending, retired) = match pending {
            Ok(recorded) => recorded,
            Err(e) => {
                // Not recorded (another attempt of the fattura is being made): the node's
                // invoice, which nobody has seen, must not stay payable either.
                if added.is_ok() {
                    if let Err(cancel) = self.lnd.cancel_invoice(payment_hash.to_vec()).await {
                        tracing::warn!(error = %cancel, "could not cancel an unrecorded node invoice");
                    }
                }
                return Err(match e {
                    StoreError::PayableExists(numero) => InvoiceError::QuoteInFlight(numero),
                    e => e.into(),
                });
            }
        };
        for old in retired {
            // Retired in the database already; the node follows after the commit. If it cannot be
            // told now, the old invoice expires by itself, and a payment on it is still credited.
            if let Err(e) = self.lnd.cancel_invoice(payment_hash_bytes(&old)?).await {
                tracing::warn!(id = %old.id, error = %e, "could not cancel a retired invoice on the node");
            }
            warnings.push(format!(
                "Cancelled {} ({} EUR) so that only the new invoice can be paid",
                old.id, old.amount_eur
            ));
            notices.push(OwnerNotice::Cancelled {
                id: old.id.clone(),
                amount_eur: old.amount_eur,
            });
        }
        let invoice = self.record_added(pending, added, self.open_soon).await?;
        warnings.extend(quote_warnings(&quote));
        notices.extend(quote_notices(&quote));
        let payment_token = links::issue_if_none(&self.store, &self.link_key, &invoice).await?;
        Ok(Created {
            invoice,
            reused: false,
            warnings,
            notices,
            payment_token,
        })
    }

    /// Looks at the live invoices of a debt (recovering PENDING ones): returns the payable
    /// one with the same amount, or (none such, or `force_new`) [`Reuse::New`].
    async fn reusable(&self, fattura: &Fattura, amount_eur: Decimal, force_new: bool) -> Result<Reuse, InvoiceError> {
        for live in self.store.live_ln_invoices_for(fattura.id).await? {
            let live = match live.state {
                InvoiceState::Pending => self.recover_pending(live).await?,
                _ => self.refresh(&live.id).await?,
            };
            let payable = live.state == InvoiceState::Open && live.expires_at - now_secs() >= REUSE_MIN_REMAINING_SECS;
            if payable && !force_new && live.amount_eur == amount_eur {
                return Ok(Reuse::Existing(Box::new(live)));
            }
        }
        Ok(Reuse::New)
    }

    /// Asks the node to create a recorded PENDING invoice, recovering from ambiguous failures.
    async fn confirm_with_node(&self, pending: LnInvoice, preimage: &[u8; 32]) -> Result<LnInvoice, InvoiceError> {
        let request = node_request(&pending.memo, pending.amount_msat, pending.expiry_secs, preimage);
        let added = self.lnd.add_invoice(request).await;
        self.record_added(pending, added, false).await
    }

    /// Records the node's answer to the AddInvoice of a recorded PENDING invoice, recovering
    /// from ambiguous failures. When the node made it (the usual case) it is recorded OPEN with
    /// its event, queued with the store's next commit when `open_soon` (see
    /// [`InvoiceService::record_open_soon`]).
    async fn record_added(
        &self,
        pending: LnInvoice,
        added: Result<lnrpc::AddInvoiceResponse, LndError>,
        open_soon: bool,
    ) -> Result<LnInvoice, InvoiceError> {
        match added {
            Ok(added) => {
                if let Some(node) = added_invoice(&added, &pending.payment_hash, pending.amount_msat) {
                    // A new OPEN invoice: record it and answer without reading the row back.
                    if open_soon {
                        self.store.mark_ln_invoice_open_soon(&pending.id, &node).await?;
                    } else {
                        self.store.mark_ln_invoice_open(&pending.id, &node).await?;
                    }
                    return Ok(pending.opened(&node));
                }
            }
            Err(e) if e.is_already_exists() => {}
            Err(e) if e.is_ambiguous() => {
                // The node may or may not have made it: look, and if it did not, the next
                // create re-sends the same preimage (the node refuses a duplicate hash).
                return match self.lookup_node_invoice(&pending.payment_hash).await {
                    Ok(Some(node)) => self.record_node_invoice(&pending, &node).await,
                    _ => Err(InvoiceError::Unconfirmed {
                        id: pending.id.clone(),
                        source: e,
                    }),
                };
            }
            Err(e) => {
                self.store.delete_pending_ln_invoice(&pending.id).await?;
                return Err(e.into());
            }
        }
        match self.lookup_node_invoice(&pending.payment_hash).await? {
            Some(node) => self.record_node_invoice(&pending, &node).await,
            None => Err(InvoiceError::Unconfirmed {
                id: pending.id.clone(),
                source: LndError::not_found(&pending.payment_hash),
            }),
        }
    }

    /// Resolves a PENDING invoice left by an interrupted create.
    async fn recover_pending(&self, pending: LnInvoice) -> Result<LnInvoice, InvoiceError> {
        if let Some(node) = self.lookup_node_invoice(&pending.payment_hash).await? {
            return self.record_node_invoice(&pending, &node).await;
        }
        let Some(preimage_hex) = self.store.ln_preimage(&pending.payment_hash).await? else {
            self.store.delete_pending_ln_invoice(&pending.id).await?;
            return Ok(LnInvoice {
                state: InvoiceState::Canceled,
                ..pending
            });
        };
        let mut preimage = [0u8; 32];
        hex::decode_to_slice(&preimage_hex, &mut preimage)
            .map_err(|e| StoreError::Corrupt(format!("preimage of {}: {e}", pending.id)))?;
        self.confirm_with_node(pending, &preimage).await
    }

    /// Looks an invoice up on the node by hash; `None` when the node does not know it.
    async fn lookup_node_invoice(&self, payment_hash_hex: &str) -> Result<Option<lnrpc::Invoice>, InvoiceError> {
        let hash = hex::decode(payment_hash_hex)
            .map_err(|e| StoreError::Corrupt(format!("payment hash {payment_hash_hex}: {e}")))?;
        match self.lnd.lookup_invoice(hash).await {
            Ok(invoice) => Ok(Some(invoice)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores what the node says about one of our invoices and returns the stored record.
    async fn record_node_invoice(&self, ours: &LnInvoice, node: &lnrpc::Invoice) -> Result<LnInvoice, InvoiceError> {
        apply_node_invoice(&self.store, ours, node, Some(&self.rates())).await?;
        self.store
            .ln_invoice(&ours.id)
            .await?
            .ok_or_else(|| InvoiceError::UnknownLnInvoice(ours.id.clone()))
    }

    /// Our record of invoice `id` as stored (the node is not asked), if there is one.
    pub async fn stored(&self, id: &str) -> Result<Option<LnInvoice>, InvoiceError> {
        Ok(self.store.ln_invoice(id).await?)
    }

    /// The rate evidence and settlement rate of invoice `id`, from the store alone.
    pub async fn rate_record(&self, id: &str) -> Result<RateRecord, InvoiceError> {
        let invoice = self
            .store
            .ln_invoice(id)
            .await?
            .ok_or_else(|| InvoiceError::UnknownLnInvoice(id.to_string()))?;
        let settle_rate = match self.store.payment(&invoice.payment_hash).await? {
            Some(payment) => payment.settle_rate,
            None => None,
        };
        Ok(RateRecord {
            rate_evidence: self.store.rate_evidence(id).await?,
            settle_rate,
        })
    }

    /// Our record of an invoice, refreshed from the node unless it is final.
    pub async fn refresh(&self, id: &str) -> Result<LnInvoice, InvoiceError> {
        let ours = self
            .store
            .ln_invoice(id)
            .await?
            .ok_or_else(|| InvoiceError::UnknownLnInvoice(id.to_string()))?;
        if ours.state.is_final() {
            return Ok(ours);
        }
        if ours.state == InvoiceState::Pending {
            return self.recover_pending(ours).await;
        }
        match self.lookup_node_invoice(&ours.payment_hash).await? {
            Some(node) => self.record_node_invoice(&ours, &node).await,
            None => Ok(ours),
        }
    }

    /// Cancels an unpaid invoice on the node and in our records.
    pub async fn cancel(&self, id: &str) -> Result<LnInvoice, InvoiceError> {
        let ours = self.refresh(id).await?;
        match ours.state {
            InvoiceState::Settled => return Err(InvoiceError::CannotCancelSettled(ours.id)),
            state if state.is_final() => {
                return Err(InvoiceError::AlreadyFinal {
                    id: ours.id,
                    state: state.as_str(),
                })
            }
            _ => {}
        }
        let hash =
            hex::decode(&ours.payment_hash).map_err(|e| StoreError::Corrupt(format!("payment hash of {id}: {e}")))?;
        self.lnd.cancel_invoice(hash).await?;
        self.store.set_ln_state(&ours.id, InvoiceState::Canceled, true).await?;
        self.store
            .ln_invoice(&ours.id)
            .await?
            .ok_or_else(|| InvoiceError::UnknownLnInvoice(ours.id.clone()))
    }
}

/// The payment hash of `invoice` as bytes, for the node.
fn payment_hash_bytes(invoice: &LnInvoice) -> Result<Vec<u8>, InvoiceError> {
    hex::decode(&invoice.payment_hash)
        .map_err(|e| StoreError::Corrupt(format!("payment hash of {}: {e}", invoice.id)).into())
}

/// The AddInvoice request for our invoice: our preimage, amount in msat, expiry in seconds.
fn node_request(memo: &str, amount_msat: u64, expiry_secs: u64, preimage: &[u8; 32]) -> lnrpc::Invoice {
    lnrpc::Invoice {
        memo: memo.to_string(),
        r_preimage: preimage.to_vec(),
        value_msat: i64::try_from(amount_msat).unwrap_or(i64::MAX),
        expiry: i64::try_from(expiry_secs).unwrap_or(i64::MAX),
        ..Default::default()
    }
}

/// The node's answer to our AddInvoice as the OPEN invoice it made, if its BOLT11 is for our
/// payment hash (hex) and amount. The BOLT11 is decoded without checking its signature (an
/// elliptic curve key recovery, the costliest part of decoding): it comes from our own node over
/// its authenticated connection, and a payer's wallet checks the signature anyway. The request
/// carries the creation date (LND stamps both with the same time) and expiry, so no LookupInvoice
/// is needed; `None` (the caller then looks the invoice up) when it does not parse or match.
fn added_invoice(added: &lnrpc::AddInvoiceResponse, payment_hash: &str, amount_msat: u64) -> Option<NodeOpened> {
    let signed: lightning_invoice::SignedRawBolt11Invoice = added.payment_request.parse().ok()?;
    let raw = signed.raw_invoice();
    let hash = &raw.payment_hash()?.0[..];
    let hash_matches = hex::encode(hash) == payment_hash && added.r_hash == hash;
    let invoiced_msat = raw
        .amount_pico_btc()
        .filter(|pico| pico % 10 == 0)
        .map(|pico| pico / 10);
    if !hash_matches || invoiced_msat != Some(amount_msat) {
        return None;
    }
    let expiry_secs = raw
        .expiry_time()
        .map_or(lightning_invoice::DEFAULT_EXPIRY_TIME, |expiry| expiry.as_seconds());
    let created_at = i64::try_from(raw.data.timestamp.as_unix_timestamp()).ok()?;
    Some(NodeOpened {
        payment_request: added.payment_request.clone(),
        add_index: added.add_index,
        created_at,
        expires_at: created_at.saturating_add(i64::try_from(expiry_secs).ok()?),
    })
}

/// What a node invoice says about where it stands once made: request, add index, times.
pub fn node_opened(node: &lnrpc::Invoice) -> NodeOpened {
    NodeOpened {
        payment_request: node.payment_request.clone(),
        add_index: node.add_index,
        created_at: node.creation_date,
        expires_at: node.creation_date.saturating_add(node.expiry),
    }
}

/// Records what the node reports about one of our invoices: confirms a PENDING one, records
/// a settlement (payment + EUR invoice), or marks it ACCEPTED, CANCELED or EXPIRED. Each store
/// change writes its event in the same transaction. A settlement records next to the locked
/// rate the rate in force then, read from `rates`' cache ([`settle_rate`]; no provider is asked).
/// Returns whether anything changed; applying the same node state twice changes nothing the
/// second time.
pub async fn apply_node_invoice(
    store: &Store,
    ours: &LnInvoice,
    node: &lnrpc::Invoice,
    rates: Option<&RateService>,
) -> Result<bool, StoreError> {
    use lnrpc::invoice::InvoiceState as NodeState;
    let expires_at = node.creation_date.saturating_add(node.expiry);
    let mut changed = false;
    if ours.state == InvoiceState::Pending {
        store.mark_ln_invoice_open(&ours.id, &node_opened(node)).await?;
        changed = true;
    }
    match NodeState::try_from(node.state) {
        Ok(NodeState::Settled) => {
            let paid = u64::try_from(node.amt_paid_msat).unwrap_or(0);
            let settle_index = (node.settle_index > 0).then_some(node.settle_index);
            let in_force = if ours.state == InvoiceState::Settled {
                None
            } else {
                settle_rate(rates, &ours.id)
            };
            changed |= store
                .settle_ln_invoice(&ours.id, paid, settle_index, node.settle_date, in_force.as_ref())
                .await?
                .is_some();
        }
        Ok(NodeState::Canceled) => {
            // LND cancels unpaid invoices at expiry; anything else cancelled it on purpose.
            let state = if now_secs() >= expires_at && !ours.cancelled_by_us {
                InvoiceState::Expired
            } else {
                InvoiceState::Canceled
            };
            changed |= store.set_ln_state(&ours.id, state, false).await?;
        }
        Ok(NodeState::Accepted) => {
            changed |= store.set_ln_state(&ours.id, InvoiceState::Accepted, false).await?;
        }
        Ok(NodeState::Open) => {
            if now_secs() >= expires_at {
                changed |= store.set_ln_state(&ours.id, InvoiceState::Expired, false).await?;
            }
        }
        Err(_) => {}
    }
    Ok(changed)
}

/// The rate in force now for the settlement of invoice `id`, from the rate cache alone (see
/// [`RateService::in_force`]); `None`, logged, when the cache holds none (or no rate service).
pub fn settle_rate(rates: Option<&RateService>, id: &str) -> Option<SettleRate> {
    let quote = rates.and_then(RateService::in_force);
    if quote.is_none() {
        tracing::info!(invoice = %id, "no BTC/EUR rate cached at settlement: none recorded next to the locked rate");
    }
    quote.map(|q| SettleRate {
        eur_per_btc: q.eur_per_btc,
        source: q.source,
        at_secs: q.fetched_at.timestamp(),
    })
}

/// The evidence of a quote as stored with an invoice: the answers used, those dropped (with
/// the reason) and the providers that failed (with the reason), in that order.
pub fn rate_evidence(quote: &RateQuote) -> Vec<RateEvidence> {
    let used = quote.providers.iter().map(|answer| RateEvidence {
        provider: answer.provider.clone(),
        verdict: EvidenceVerdict::Used,
        eur_per_btc: Some(answer.eur_per_btc),
        answered_at_ms: Some(answer.fetched_at.timestamp_millis()),
        reason: None,
    });
    let dropped = quote.dropped.iter().map(|dropped| RateEvidence {
        provider: dropped.answer.provider.clone(),
        verdict: EvidenceVerdict::Dropped,
        eur_per_btc: Some(dropped.answer.eur_per_btc),
        answered_at_ms: Some(dropped.answer.fetched_at.timestamp_millis()),
        reason: Some(dropped.reason.clone()),
    });
    let failed = quote.failures.iter().map(|failure| RateEvidence {
        provider: failure.provider.clone(),
        verdict: EvidenceVerdict::Failed,
        eur_per_btc: None,
        answered_at_ms: None,
        reason: Some(failure.reason.clone()),
    });
    used.chain(dropped).chain(failed).collect()
}

/// Loud warnings a quote carries (fallback rate, providers disagreeing, fewer agreeing answers
/// than `lightning_rate_min_sources`).
pub fn quote_warnings(quote: &RateQuote) -> Vec<String> {
    let mut warnings: Vec<String> = quote.warning.iter().cloned().collect();
    if quote.is_fallback && quote.warning.is_none() {
        warnings.push(format!(
            "Using the configured FALLBACK rate {} EUR/BTC: no rate provider answered",
            quote.eur_per_btc
        ));
    }
    warnings.extend(quote.spread_warning.iter().cloned());
    warnings.extend(quote.sources_warning());
    warnings
}
