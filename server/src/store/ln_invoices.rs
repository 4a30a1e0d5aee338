//! Lightning invoices we created, their locked rate and their lifecycle.
//!
//! Never two payable invoices for one fattura: the database holds it, with a partial unique index
//! (`ln_invoices_one_payable`: one office invoice of a fattura PENDING or OPEN), because a lock in
//! one gateway cannot see another gateway sharing the PostgreSQL database. A guard row claimed in
//! its own transaction would do the same with one more table and a claim to release after every
//! crash; the index needs neither. The insert of a new attempt retires the fattura's OPEN one in
//! the same transaction (CANCELED, cancelled by us, with its `invoice_cancelled` event) and
//! answers it, so the service cancels it on the node after the commit; a payment that still lands
//! on it is credited ([`Store::settle_ln_invoice`] records a settlement whatever the stored
//! state). A PENDING one is another create in flight: the insert is refused with
//! [`StoreError::PayableExists`], never both kept.

use app::model::{EventKind, InvoiceState};
use rust_decimal::Decimal;
use sqlx::FromRow;

use super::events;
use super::{cents_to_eur, eur_to_cents, fatture, parse_decimal, to_i64, to_u64, Store, StoreError};

/// The client's identity recorded with an invoice at or above the identity threshold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClientIdentity {
    /// The client's name.
    pub client_name: String,
    /// Codice fiscale, partita IVA (11 digits) or a foreign VAT id with its country prefix.
    pub client_tax_id: String,
    /// Taken from the fattura (true) or entered when the invoice was created (false).
    pub from_fattura: bool,
}

/// A Lightning invoice about to be requested from the node.
#[derive(Debug, Clone)]
pub struct NewLnInvoice {
    /// The EUR invoice it pays, if any.
    pub fattura_id: Option<i64>,
    /// The numero used to build the id (`INV-001-LN`); `None` for standalone ones.
    pub numero: Option<String>,
    /// Payment hash, hex.
    pub payment_hash: String,
    /// Preimage we generated, hex.
    pub preimage: String,
    /// Memo put in the invoice.
    pub memo: String,
    /// EUR amount.
    pub amount_eur: Decimal,
    /// Amount in msat at the locked rate.
    pub amount_msat: u64,
    /// EUR per BTC used.
    pub rate_eur_per_btc: Decimal,
    /// Where the rate came from.
    pub rate_source: String,
    /// When the rate was fetched (unix seconds).
    pub rate_at: i64,
    /// Whether the rate is the configured fallback.
    pub rate_is_fallback: bool,
    /// Invoice expiry.
    pub expiry_secs: u64,
    /// Creation time (unix seconds).
    pub created_at: i64,
    /// The provider answers the rate came from, those dropped and those failed (stored with it).
    pub rate_evidence: Vec<super::RateEvidence>,
    /// The client's identity, when the invoice is at or above the identity threshold.
    pub identity: Option<ClientIdentity>,
}

/// A stored Lightning invoice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LnInvoice {
    /// Our id: `INV-001-LN`, `INV-001-LN-2`, `LN-000001`.
    pub id: String,
    /// The EUR invoice it pays.
    pub fattura_id: Option<i64>,
    /// Payment hash, hex.
    pub payment_hash: String,
    /// BOLT11 payment request (None while pending).
    pub payment_request: Option<String>,
    /// Memo.
    pub memo: String,
    /// EUR amount.
    pub amount_eur: Decimal,
    /// Amount in msat.
    pub amount_msat: u64,
    /// Locked EUR per BTC.
    pub rate_eur_per_btc: Decimal,
    /// Rate source.
    pub rate_source: String,
    /// Rate time (unix seconds).
    pub rate_at: i64,
    /// Whether the rate was the fallback.
    pub rate_is_fallback: bool,
    /// Expiry in seconds.
    pub expiry_secs: u64,
    /// Creation time (unix seconds).
    pub created_at: i64,
    /// Expiry time (unix seconds).
    pub expires_at: i64,
    /// Current state.
    pub state: InvoiceState,
    /// The node's add index.
    pub add_index: Option<u64>,
    /// The node's settle index.
    pub settle_index: Option<u64>,
    /// What was paid, msat.
    pub amt_paid_msat: u64,
    /// Settle time (unix seconds).
    pub settled_at: Option<i64>,
    /// Whether we cancelled it.
    pub cancelled_by_us: bool,
    /// Who made it: a POS sale, or anything else (see [`InvoiceOrigin`]).
    pub origin: InvoiceOrigin,
}

/// Who made a Lightning invoice, as stored in its `origin` column. Cashiers may watch and cancel
/// only POS sales (once tills exist: only their own till's), and their live event stream carries
/// only POS sales' events.
///
/// Invoices stored before the column existed are [`InvoiceOrigin::Office`]: a cashier cannot see
/// pre-upgrade POS sales (their memo is free text, not a reliable mark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceOrigin {
    /// The CLI, the admin pages, imports: everything but the shop counter.
    #[default]
    Office,
    /// A sale rung up on the POS screen.
    Pos,
}

impl InvoiceOrigin {
    /// The stored name (`office`, `pos`).
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceOrigin::Office => "office",
            InvoiceOrigin::Pos => "pos",
        }
    }

    /// Parses a stored name (exactly).
    pub fn parse(text: &str) -> Option<InvoiceOrigin> {
        [InvoiceOrigin::Office, InvoiceOrigin::Pos]
            .into_iter()
            .find(|origin| origin.as_str() == text)
    }
}

impl LnInvoice {
    /// Amount in whole sats (amounts are always whole sats).
    pub fn amount_sat(&self) -> u64 {
        self.amount_msat / 1000
    }
}

/// Filters for listing Lightning invoices.
#[derive(Debug, Clone, Default)]
pub struct LnInvoiceFilter {
    /// Only this state.
    pub state: Option<InvoiceState>,
    /// Only invoices paying this EUR invoice.
    pub fattura_id: Option<i64>,
    /// Only invoices created at or after this time (unix seconds).
    pub since: Option<i64>,
    /// Only invoices whose id or payment hash starts with this text, or whose EUR invoice's
    /// numero, client name or client P.IVA does (ASCII case-insensitive): prefix ranges over
    /// indexes, answered as one page without a cursor (see [`super::pages`]).
    pub search: Option<String>,
    /// Page size ([`Store::ln_invoice_page`] cuts it to [`super::MAX_PAGE_ROWS`]).
    pub limit: u32,
    /// Newest or oldest first.
    pub order: super::ListOrder,
    /// Only invoices after this cursor, in the list's order.
    pub after: Option<super::PageCursor>,
}

#[derive(FromRow)]
struct LnRow {
    id: String,
    fattura_id: Option<i64>,
    payment_hash: String,
    payment_request: Option<String>,
    memo: String,
    amount_cents: i64,
    amount_msat: i64,
    rate_eur_per_btc: String,
    rate_source: String,
    rate_at: i64,
    rate_is_fallback: i64,
    expiry_secs: i64,
    created_at: i64,
    expires_at: i64,
    state: String,
    add_index: Option<i64>,
    settle_index: Option<i64>,
    amt_paid_msat: i64,
    settled_at: Option<i64>,
    cancelled_by_us: i64,
    origin: String,
}

impl TryFrom<LnRow> for LnInvoice {
    type Error = StoreError;

    fn try_from(row: LnRow) -> Result<Self, Self::Error> {
        Ok(LnInvoice {
            origin: InvoiceOrigin::parse(&row.origin)
                .ok_or_else(|| StoreError::Corrupt(format!("invoice origin '{}'", row.origin)))?,
            state: InvoiceState::parse(&row.state)
                .ok_or_else(|| StoreError::Corrupt(format!("invoice state '{}'", row.state)))?,
            amount_eur: cents_to_eur(row.amount_cents),
            amount_msat: to_u64(row.amount_msat, "amount_msat")?,
            rate_eur_per_btc: parse_decimal(&row.rate_eur_per_btc, "rate")?,
            expiry_secs: to_u64(row.expiry_secs, "expiry_secs")?,
            add_index: row.add_index.map(|v| to_u64(v, "add_index")).transpose()?,
            settle_index: row.settle_index.map(|v| to_u64(v, "settle_index")).transpose()?,
            amt_paid_msat: to_u64(row.amt_paid_msat, "amt_paid_msat")?,
            id: row.id,
            fattura_id: row.fattura_id,
            payment_hash: row.payment_hash,
            payment_request: row.payment_request,
            memo: row.memo,
            rate_source: row.rate_source,
            rate_at: row.rate_at,
            rate_is_fallback: row.rate_is_fallback != 0,
            created_at: row.created_at,
            expires_at: row.expires_at,
            settled_at: row.settled_at,
            cancelled_by_us: row.cancelled_by_us != 0,
        })
    }
}

const SELECT_LN: &str = "SELECT id, fattura_id, payment_hash, payment_request, memo, amount_cents, \
     amount_msat, rate_eur_per_btc, rate_source, rate_at, rate_is_fallback, expiry_secs, created_at, \
     expires_at, state, add_index, settle_index, amt_paid_msat, settled_at, cancelled_by_us, origin FROM ln_invoices";

/// What the node answered about an invoice it made: it is OPEN, payable with this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOpened {
    /// BOLT11 payment request.
    pub payment_request: String,
    /// The node's add index of the invoice.
    pub add_index: u64,
    /// The node's creation time (unix seconds).
    pub created_at: i64,
    /// When it stops being payable (unix seconds).
    pub expires_at: i64,
}

impl LnInvoice {
    /// This invoice once the node has made it: OPEN with the node's request, index and times.
    pub fn opened(self, node: &NodeOpened) -> LnInvoice {
        LnInvoice {
            state: InvoiceState::Open,
            payment_request: Some(node.payment_request.clone()),
            add_index: Some(node.add_index),
            created_at: node.created_at,
            expires_at: node.expires_at,
            ..self
        }
    }
}

/// The change marking PENDING invoice `id` OPEN (see [`Store::mark_ln_invoice_open`]).
fn open_change(id: &str, node: &NodeOpened) -> Result<super::group::Change<()>, StoreError> {
    let (id, node) = (id.to_string(), node.clone());
    let add_index = to_i64(node.add_index, "add_index")?;
    Ok(Box::new(move |tx| {
        let (id, node) = (id.clone(), node.clone());
        Box::pin(async move {
            let opened: Option<events::InvoiceFacts> = sqlx::query_as(&format!(
                "UPDATE ln_invoices SET state = 'OPEN', payment_request = $1, add_index = $2, \
                 created_at = $3, expires_at = $4 WHERE id = $5 AND state = 'PENDING' RETURNING {}",
                events::INVOICE_FACTS_RETURNING
            ))
            .bind(&node.payment_request)
            .bind(add_index)
            .bind(node.created_at)
            .bind(node.expires_at)
            .bind(&id)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(facts) = opened {
                events::record_with_facts(tx, EventKind::InvoiceCreated, &id, node.created_at, None, facts).await?;
            }
            Ok(())
        })
    }))
}

/// The insert of a new PENDING invoice (see [`insert_pending_sql`]), made once: for a debt, or
/// for a standalone invoice.
static INSERT_PENDING: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| [insert_pending_sql(true), insert_pending_sql(false)]);

/// The insert of a new PENDING invoice, which picks its own attempt (one more than the debt's
/// last, or the standalone invoices' last) and makes its id from it: `NUMERO-LN`, `NUMERO-LN-2`…
/// or, standalone, `LN-000001`. Values: `$1` fattura id (or NULL), `$2`…`$13` the row's columns
/// (`$13` its origin), and for a debt `$14` its numero. It answers the id.
fn insert_pending_sql(for_fattura: bool) -> String {
    // Two forms so both engines answer from the (fattura_id, attempt) index.
    let same_debt = if for_fattura {
        "fattura_id = $1"
    } else {
        "fattura_id IS NULL"
    };
    let id = if for_fattura {
        "$14 || CASE WHEN next.n <= 1 THEN '-LN' ELSE '-LN-' || CAST(next.n AS TEXT) END"
    } else {
        // Six digits at least: 1000000 + n drops its leading 1.
        "'LN-' || CASE WHEN next.n >= 1000000 THEN CAST(next.n AS TEXT) \
         ELSE SUBSTR(CAST(1000000 + next.n AS TEXT), 2) END"
    };
    format!(
        "INSERT INTO ln_invoices (id, fattura_id, attempt, payment_hash, memo, amount_cents, amount_msat, \
         rate_eur_per_btc, rate_source, rate_at, rate_is_fallback, expiry_secs, created_at, expires_at, origin, state) \
         SELECT {id}, $1, next.n, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'PENDING' \
         FROM (SELECT COALESCE(MAX(attempt), 0) + 1 AS n FROM ln_invoices WHERE {same_debt}) AS next \
         RETURNING id"
    )
}

/// Marks the OPEN office invoices of fattura `fattura_id` CANCELED (by us, each with its
/// `invoice_cancelled` event) inside `tx`, and answers them as they were, so that a new attempt can
/// be recorded (see the module doc).
async fn retire_open(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    fattura_id: i64,
) -> Result<Vec<LnInvoice>, StoreError> {
    let rows: Vec<LnRow> = sqlx::query_as(&format!(
        "{SELECT_LN} WHERE fattura_id = $1 AND origin = 'office' AND state = 'OPEN'"
    ))
    .bind(fattura_id)
    .fetch_all(&mut **tx)
    .await?;
    let now = crate::time::now_secs();
    let mut retired = Vec::new();
    for row in rows {
        let invoice = LnInvoice::try_from(row)?;
        let done = sqlx::query(
            "UPDATE ln_invoices SET state = 'CANCELED', cancelled_by_us = 1 WHERE id = $1 AND state = 'OPEN'",
        )
        .bind(&invoice.id)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 1 {
            events::record(tx, EventKind::InvoiceCancelled, &invoice.id, now, None).await?;
            retired.push(invoice);
        }
    }
    Ok(retired)
}

impl Store {
    /// The client's identity recorded with invoice `id`, if it needed one.
    pub async fn ln_invoice_identity(&self, id: &str) -> Result<Option<ClientIdentity>, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT client_name, client_tax_id, source FROM ln_invoice_identity WHERE ln_invoice_id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(client_name, client_tax_id, source)| ClientIdentity {
            client_name,
            client_tax_id,
            from_fattura: source == "fattura",
        }))
    }

    /// Records a new invoice as PENDING (the node has not confirmed it yet), with its preimage,
    /// choosing the next id; answers the row as stored without reading it back. Its origin is
    /// [`InvoiceOrigin::Office`] (see [`Store::insert_pending_ln_invoice_from`]).
    pub async fn insert_pending_ln_invoice(&self, new: &NewLnInvoice) -> Result<LnInvoice, StoreError> {
        self.insert_pending_ln_invoice_from(new, InvoiceOrigin::Office).await
    }

    /// [`Store::insert_pending_ln_invoice`] for an invoice made by `origin` (stored in the same
    /// insert, so a POS sale is never, even briefly, recorded as anything else).
    pub async fn insert_pending_ln_invoice_from(
        &self,
        new: &NewLnInvoice,
        origin: InvoiceOrigin,
    ) -> Result<LnInvoice, StoreError> {
        Ok(self.insert_pending_ln_invoice_retiring(new, origin).await?.0)
    }

    /// [`Store::insert_pending_ln_invoice_from`] that also answers the fattura's OPEN office
    /// invoices it retired in the same transaction (see the module doc): the caller cancels them on
    /// the node. Refused with [`StoreError::PayableExists`] while another attempt of the fattura is
    /// PENDING (being made, perhaps by another gateway); nothing is written then.
    pub async fn insert_pending_ln_invoice_retiring(
        &self,
        new: &NewLnInvoice,
        origin: InvoiceOrigin,
    ) -> Result<(LnInvoice, Vec<LnInvoice>), StoreError> {
        let amount_cents = eur_to_cents(new.amount_eur)
            .ok_or_else(|| StoreError::Corrupt(format!("amount {} is not whole cents", new.amount_eur)))?;
        let expiry_secs = to_i64(new.expiry_secs, "expiry_secs")?;
        let amount_msat = to_i64(new.amount_msat, "amount_msat")?;
        let expires_at = new.created_at.saturating_add(expiry_secs);
        let owned = new.clone();
        let (id, retired) = self
            .write_grouped(Box::new(move |tx| {
                let new = owned.clone();
                Box::pin(async move {
                    let retired = match (new.fattura_id, origin) {
                        (Some(fattura_id), InvoiceOrigin::Office) => retire_open(tx, fattura_id).await?,
                        _ => Vec::new(),
                    };
                    // The next attempt and the id made from it are chosen by the insert itself:
                    // one statement, read and write under the transaction's write lock.
                    let [for_debt, standalone] = &*INSERT_PENDING;
                    let (sql, numero) = match (new.fattura_id, &new.numero) {
                        (Some(_), Some(numero)) => (for_debt, Some(numero)),
                        (None, None) => (standalone, None),
                        _ => return Err(StoreError::Corrupt("an invoice for a debt needs its numero".into())),
                    };
                    let query = sqlx::query_scalar(sql)
                        .bind(new.fattura_id)
                        .bind(&new.payment_hash)
                        .bind(&new.memo)
                        .bind(amount_cents)
                        .bind(amount_msat)
                        .bind(new.rate_eur_per_btc.to_string())
                        .bind(&new.rate_source)
                        .bind(new.rate_at)
                        .bind(i64::from(new.rate_is_fallback))
                        .bind(expiry_secs)
                        .bind(new.created_at)
                        .bind(expires_at)
                        .bind(origin.as_str());
                    let query = match numero {
                        Some(numero) => query.bind(numero),
                        None => query,
                    };
                    let id: String = match query.fetch_one(&mut **tx).await {
                        Ok(id) => id,
                        Err(sqlx::Error::Database(e))
                            if e.kind() == sqlx::error::ErrorKind::UniqueViolation && new.fattura_id.is_some() =>
                        {
                            return Err(StoreError::PayableExists(numero.cloned().unwrap_or_default()));
                        }
                        Err(e) => return Err(e.into()),
                    };
                    sqlx::query("INSERT INTO ln_preimages (payment_hash, preimage) VALUES ($1, $2)")
                        .bind(&new.payment_hash)
                        .bind(&new.preimage)
                        .execute(&mut **tx)
                        .await?;
                    super::rate_evidence::insert(tx, &id, &new.rate_evidence).await?;
                    if let Some(identity) = &new.identity {
                        sqlx::query(
                            "INSERT INTO ln_invoice_identity (ln_invoice_id, client_name, client_tax_id, source) \
                             VALUES ($1, $2, $3, $4)",
                        )
                        .bind(&id)
                        .bind(&identity.client_name)
                        .bind(&identity.client_tax_id)
                        .bind(if identity.from_fattura { "fattura" } else { "entered" })
                        .execute(&mut **tx)
                        .await?;
                    }
                    Ok((id, retired))
                })
            }))
            .await?;
        let invoice = LnInvoice {
            id,
            fattura_id: new.fattura_id,
            payment_hash: new.payment_hash.clone(),
            payment_request: None,
            memo: new.memo.clone(),
            amount_eur: super::cents_to_eur(amount_cents),
            amount_msat: new.amount_msat,
            rate_eur_per_btc: new.rate_eur_per_btc,
            rate_source: new.rate_source.clone(),
            rate_at: new.rate_at,
            rate_is_fallback: new.rate_is_fallback,
            expiry_secs: new.expiry_secs,
            created_at: new.created_at,
            expires_at,
            state: InvoiceState::Pending,
            add_index: None,
            settle_index: None,
            amt_paid_msat: 0,
            settled_at: None,
            cancelled_by_us: false,
            origin,
        };
        Ok((invoice, retired))
    }

    /// Marks a PENDING invoice OPEN with what the node answered, with its `invoice_created`
    /// event; does nothing if it is no longer PENDING.
    pub async fn mark_ln_invoice_open(&self, id: &str, node: &NodeOpened) -> Result<(), StoreError> {
        self.write_grouped(open_change(id, node)?).await
    }

    /// [`Store::mark_ln_invoice_open`] without waiting: committed with the next waited-for change
    /// or within a few milliseconds (see [`Store::write_soon`]). If a crash loses it, the invoice
    /// stays PENDING until the tracker or the next look at it finds it on the node.
    pub async fn mark_ln_invoice_open_soon(&self, id: &str, node: &NodeOpened) -> Result<(), StoreError> {
        self.write_soon("recording a new invoice as OPEN", open_change(id, node)?)
            .await
    }

    /// Removes a PENDING invoice the node never created (so nothing payable is left behind).
    pub async fn delete_pending_ln_invoice(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let pending: Option<String> =
            sqlx::query_scalar("SELECT id FROM ln_invoices WHERE id = $1 AND state = 'PENDING'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(pending) = pending {
            super::rate_evidence::delete(tx.tx(), &pending).await?;
        }
        sqlx::query(
            "DELETE FROM ln_preimages WHERE payment_hash = \
             (SELECT payment_hash FROM ln_invoices WHERE id = $1 AND state = 'PENDING')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM ln_invoices WHERE id = $1 AND state = 'PENDING'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_and_signal(tx).await?;
        Ok(())
    }

    /// Sets a non-settled state (OPEN/ACCEPTED/CANCELED/EXPIRED); returns whether it changed.
    pub async fn set_ln_state(&self, id: &str, state: InvoiceState, by_us: bool) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE ln_invoices SET state = $1, cancelled_by_us = CASE WHEN $2 = 1 THEN 1 ELSE cancelled_by_us END \
             WHERE id = $3 AND state NOT IN ('SETTLED', 'CANCELED', 'EXPIRED') AND state <> $4",
        )
        .bind(state.as_str())
        .bind(i64::from(by_us))
        .bind(id)
        .bind(state.as_str())
        .execute(&mut *tx)
        .await?;
        let changed = done.rows_affected() == 1;
        if changed {
            let kind = match state {
                InvoiceState::Canceled if by_us => Some(EventKind::InvoiceCancelled),
                InvoiceState::Canceled | InvoiceState::Expired => Some(EventKind::PaymentFailed),
                _ => None,
            };
            if let Some(kind) = kind {
                events::record(tx.tx(), kind, id, crate::time::now_secs(), None).await?;
            }
        }
        self.commit_and_signal(tx).await?;
        Ok(changed)
    }

    /// Records a settlement: the invoice, the payment (with `settle_rate`, the rate in force
    /// then, if any) and the EUR invoice's paid amount, in one transaction. Returns the payment when this call settled it, `None` if it already was.
    pub async fn settle_ln_invoice(
        &self,
        id: &str,
        amt_paid_msat: u64,
        settle_index: Option<u64>,
        settled_at: i64,
        settle_rate: Option<&super::SettleRate>,
    ) -> Result<Option<super::Payment>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<LnRow> = sqlx::query_as(&format!("{SELECT_LN} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(invoice) = row.map(LnInvoice::try_from).transpose()? else {
            return Err(StoreError::Corrupt(format!("no Lightning invoice {id}")));
        };
        if invoice.state == InvoiceState::Settled {
            return Ok(None);
        }
        sqlx::query(
            "UPDATE ln_invoices SET state = 'SETTLED', amt_paid_msat = $1, settle_index = $2, \
             settled_at = $3 WHERE id = $4",
        )
        .bind(to_i64(amt_paid_msat, "amt_paid_msat")?)
        .bind(settle_index.map(|v| to_i64(v, "settle_index")).transpose()?)
        .bind(settled_at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let payment = super::payments::insert(tx.tx(), &invoice, amt_paid_msat, settled_at, settle_rate).await?;
        if let Some(fattura_id) = invoice.fattura_id {
            let cents = eur_to_cents(payment.amount_eur).unwrap_or(0);
            fatture::add_paid(tx.tx(), fattura_id, cents).await?;
        }
        events::record(
            tx.tx(),
            EventKind::PaymentReceived,
            id,
            settled_at,
            Some((amt_paid_msat, payment.amount_eur)),
        )
        .await?;
        events::advance_indexes(tx.tx(), None, settle_index).await?;
        self.commit_and_signal(tx).await?;
        Ok(Some(payment))
    }

    /// One invoice by our id.
    pub async fn ln_invoice(&self, id: &str) -> Result<Option<LnInvoice>, StoreError> {
        let row: Option<LnRow> = sqlx::query_as(&format!("{SELECT_LN} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(LnInvoice::try_from).transpose()
    }

    /// One invoice by payment hash (hex).
    pub async fn ln_invoice_by_hash(&self, payment_hash: &str) -> Result<Option<LnInvoice>, StoreError> {
        let row: Option<LnRow> = sqlx::query_as(&format!("{SELECT_LN} WHERE payment_hash = $1"))
            .bind(payment_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(LnInvoice::try_from).transpose()
    }

    /// Ours among the invoices with these payment hashes (hex), by hash, in one query. The list
    /// is padded to a power of two so that few statement shapes are prepared.
    pub async fn ln_invoices_by_hashes(
        &self,
        payment_hashes: &[String],
    ) -> Result<std::collections::HashMap<String, LnInvoice>, StoreError> {
        let Some(last) = payment_hashes.last() else {
            return Ok(std::collections::HashMap::new());
        };
        let slots = payment_hashes.len().next_power_of_two();
        let placeholders = (1..=slots).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!("{SELECT_LN} WHERE payment_hash IN ({placeholders})");
        let mut query = sqlx::query_as::<_, LnRow>(&sql);
        for hash in payment_hashes
            .iter()
            .chain(std::iter::repeat_n(last, slots - payment_hashes.len()))
        {
            query = query.bind(hash);
        }
        query
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|row| LnInvoice::try_from(row).map(|invoice| (invoice.payment_hash.clone(), invoice)))
            .collect()
    }

    /// The preimage we generated for an invoice (hex).
    pub async fn ln_preimage(&self, payment_hash: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT preimage FROM ln_preimages WHERE payment_hash = $1")
                .bind(payment_hash)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Invoices of an EUR invoice that may still be paid (PENDING, OPEN or ACCEPTED), newest first.
    pub async fn live_ln_invoices_for(&self, fattura_id: i64) -> Result<Vec<LnInvoice>, StoreError> {
        let rows: Vec<LnRow> = sqlx::query_as(&format!(
            "{SELECT_LN} WHERE fattura_id = $1 AND state IN ('PENDING', 'OPEN', 'ACCEPTED') \
             ORDER BY attempt DESC"
        ))
        .bind(fattura_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(LnInvoice::try_from).collect()
    }

    /// The newest Lightning invoice of an EUR invoice made outside the POS, if any (the one its
    /// payment link shows).
    pub async fn latest_office_ln_invoice_for(&self, fattura_id: i64) -> Result<Option<LnInvoice>, StoreError> {
        let row: Option<LnRow> = sqlx::query_as(&format!(
            "{SELECT_LN} WHERE fattura_id = $1 AND origin = 'office' ORDER BY attempt DESC LIMIT 1"
        ))
        .bind(fattura_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(LnInvoice::try_from).transpose()
    }

    /// Invoices matching a filter, in its order, at most `filter.limit` of them (not cut: the
    /// tracker reads every live one). A search answers its matches without a cursor.
    pub async fn list_ln_invoices(&self, filter: &LnInvoiceFilter) -> Result<Vec<LnInvoice>, StoreError> {
        if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            return self.search_ln_invoices(filter, search).await;
        }
        let query = list_query(self.backend, filter)?;
        let rows: Vec<LnRow> = query_rows(&query).fetch_all(self.pool()).await?;
        rows.into_iter().map(LnInvoice::try_from).collect()
    }

    /// One page of [`Store::list_ln_invoices`] (at most [`super::MAX_PAGE_ROWS`] rows) and the
    /// cursor of the next.
    pub async fn ln_invoice_page(&self, filter: &LnInvoiceFilter) -> Result<super::Page<LnInvoice>, StoreError> {
        let limit = super::page_rows(filter.limit);
        let searching = filter.search.as_deref().is_some_and(|s| !s.trim().is_empty());
        // One row more than shown says whether a next page exists.
        let probe = LnInvoiceFilter {
            limit: limit + 1,
            ..filter.clone()
        };
        let mut rows = self.list_ln_invoices(&probe).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = (more && !searching)
            .then(|| {
                rows.last().map(|r| super::PageCursor {
                    at: r.created_at,
                    key: r.id.clone(),
                })
            })
            .flatten();
        Ok(super::Page { rows, next })
    }

    async fn search_ln_invoices(&self, filter: &LnInvoiceFilter, search: &str) -> Result<Vec<LnInvoice>, StoreError> {
        let mut found: Vec<LnInvoice> = Vec::new();
        let fatture = self.search_fatture(search, filter.limit).await?;
        let fattura_ids: Vec<i64> = fatture.iter().map(|f| f.id).collect();
        for query in search_queries(self.backend, filter, search, &fattura_ids) {
            let rows: Vec<LnRow> = query_rows(&query).fetch_all(self.pool()).await?;
            for row in rows {
                found.push(LnInvoice::try_from(row)?);
            }
        }
        found.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        found.dedup_by(|a, b| a.id == b.id);
        if filter.order == super::ListOrder::OldestFirst {
            found.reverse();
        }
        found.truncate(usize::try_from(filter.limit).unwrap_or(usize::MAX));
        Ok(found)
    }
}

/// The rows of a list query.
fn query_rows(query: &super::ListQuery) -> sqlx::query::QueryAs<'_, sqlx::Any, LnRow, sqlx::any::AnyArguments<'_>> {
    let mut typed = sqlx::query_as::<_, LnRow>(&query.sql);
    for bind in &query.binds {
        typed = match bind {
            super::pages::Bind::Int(v) => typed.bind(*v),
            super::pages::Bind::Text(v) => typed.bind(v.clone()),
        };
    }
    typed
}

/// The list query of `filter` without its search: the conditions it has, the cursor and order.
fn list_query(backend: super::Backend, filter: &LnInvoiceFilter) -> Result<super::ListQuery, StoreError> {
    let c = super::pages::c_collate(backend);
    let mut binds = Vec::new();
    let mut conditions = Vec::new();
    let mut name = String::from("ln_invoices");
    let mut indexes = vec!["ln_invoices_created"];
    if let Some(state) = filter.state {
        binds.push(super::pages::Bind::Text(state.as_str().into()));
        conditions.push(format!("state = ${}", binds.len()));
        name.push_str(&format!(" state={}", state.as_str()));
        indexes = vec!["ln_invoices_state_created"];
    }
    if let Some(fattura_id) = filter.fattura_id {
        binds.push(super::pages::Bind::Int(fattura_id));
        conditions.push(format!("fattura_id = ${}", binds.len()));
        name.push_str(" fattura");
        indexes.push("ln_invoices_fattura_created");
        if filter.state.is_none() {
            indexes = vec!["ln_invoices_fattura_created"];
        }
    }
    if let Some(since) = filter.since {
        binds.push(super::pages::Bind::Int(since));
        conditions.push(format!("created_at >= ${}", binds.len()));
        name.push_str(" since");
    }
    let first = binds.len() + 1;
    let (after, order_by) = super::pages::keyset(
        "created_at",
        "id",
        c,
        filter.order,
        filter.after.as_ref(),
        first,
        &mut binds,
    );
    conditions.extend(after);
    name.push_str(match filter.order {
        super::ListOrder::NewestFirst => " newest",
        super::ListOrder::OldestFirst => " oldest",
    });
    if filter.after.is_some() {
        name.push_str(" after");
    }
    binds.push(super::pages::Bind::Int(i64::from(filter.limit)));
    let limit = binds.len();
    let where_ = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    Ok(super::ListQuery::new(
        name,
        format!("{SELECT_LN}{where_} {order_by} LIMIT ${limit}"),
        binds,
        &indexes,
    ))
}

/// The queries of a search: id prefix, payment hash prefix, and the invoices of the fatture the
/// search found (`fattura_ids`); each with the filter's state, if any.
fn search_queries(
    backend: super::Backend,
    filter: &LnInvoiceFilter,
    search: &str,
    fattura_ids: &[i64],
) -> Vec<super::ListQuery> {
    use super::pages::Bind;
    let c = super::pages::c_collate(backend);
    let (pk_index, hash_index) = match backend {
        super::Backend::Sqlite => ("sqlite_autoindex_ln_invoices_1", "sqlite_autoindex_ln_invoices_2"),
        super::Backend::Postgres => ("ln_invoices_id_c", "ln_invoices_hash_c"),
    };
    let limit = i64::from(filter.limit);
    let state = filter.state.map(|s| s.as_str().to_string());
    // `state || ''` is no index's column: the prefix (or fattura) index answers, the state only
    // filters what it found.
    let state_sql = |n: usize| match state {
        Some(_) => format!(" AND state || '' = ${n}"),
        None => String::new(),
    };
    let mut queries = Vec::new();
    let mut by_prefix = |column: &str, prefix: String, index: &'static str| {
        if let Some((low, high)) = super::pages::prefix_range(&prefix) {
            let mut binds = vec![Bind::Text(low), Bind::Text(high), Bind::Int(limit)];
            binds.extend(state.clone().map(Bind::Text));
            queries.push(super::ListQuery::new(
                format!("ln_invoices search {column}"),
                format!(
                    "{SELECT_LN} WHERE {column}{c} >= $1 AND {column}{c} < $2{} ORDER BY {column}{c} LIMIT $3",
                    state_sql(4)
                ),
                binds,
                &[index],
            ));
        }
    };
    by_prefix("id", search.to_ascii_uppercase(), pk_index);
    if search.len() >= 4 && search.chars().all(|ch| ch.is_ascii_hexdigit()) {
        by_prefix("payment_hash", search.to_ascii_lowercase(), hash_index);
    }
    if !fattura_ids.is_empty() {
        let mut binds: Vec<Bind> = fattura_ids.iter().map(|id| Bind::Int(*id)).collect();
        let placeholders = (1..=binds.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        binds.extend(state.clone().map(Bind::Text));
        queries.push(super::ListQuery::new(
            "ln_invoices search fattura".into(),
            format!(
                "{SELECT_LN} WHERE fattura_id IN ({placeholders}){}",
                state_sql(fattura_ids.len() + 1)
            ),
            binds,
            &["ln_invoices_fattura_created"],
        ));
    }
    queries
}

/// Every list and search query of Lightning invoices, for [`Store::list_queries`].
pub(super) fn list_queries(backend: super::Backend) -> Vec<super::ListQuery> {
    let cursor = super::PageCursor {
        at: 1_700_000_000,
        key: "LN-000500".into(),
    };
    let mut all = Vec::new();
    let states = std::iter::once(None).chain(InvoiceState::ALL.iter().copied().map(Some));
    for state in states {
        for order in [super::ListOrder::NewestFirst, super::ListOrder::OldestFirst] {
            for after in [None, Some(cursor.clone())] {
                for (fattura_id, since) in [(None, None), (None, Some(1_600_000_000)), (Some(7), None)] {
                    let filter = LnInvoiceFilter {
                        state,
                        fattura_id,
                        since,
                        limit: 501,
                        order,
                        after: after.clone(),
                        search: None,
                    };
                    all.extend(list_query(backend, &filter).ok());
                }
            }
        }
        let filter = LnInvoiceFilter {
            state,
            limit: 501,
            ..LnInvoiceFilter::default()
        };
        all.extend(search_queries(backend, &filter, "ab12", &[3, 7]));
    }
    all
}
