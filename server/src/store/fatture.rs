//! The registry of EUR invoices ("fatture") that Lightning invoices pay.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use sqlx::{Any, FromRow, Transaction};

use super::fattura_lines::{insert_breakdown, FatturaBreakdown};
use super::{cents_to_eur, eur_to_cents, Store, StoreError};
use crate::fatturapa::DueDetail;

/// An EUR invoice to add to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFattura {
    /// Invoice number (numero), e.g. `INV-001`.
    pub numero: String,
    /// Invoice date.
    pub data: NaiveDate,
    /// Seller VAT id (IdPaese + IdCodice); empty for invoices added by hand.
    pub cedente_piva: String,
    /// Client name (denominazione, or nome + cognome).
    pub client_name: String,
    /// Client VAT id, when it has one.
    pub client_piva: Option<String>,
    /// Client fiscal code, when known.
    pub client_cf: Option<String>,
    /// What the invoice is for.
    pub description: String,
    /// Document total (ImportoTotaleDocumento), EUR.
    pub totale_eur: Decimal,
    /// Withholding tax (ritenuta d'acconto), EUR.
    pub ritenuta_eur: Decimal,
    /// Stamp duty (bollo), EUR.
    pub bollo_eur: Decimal,
    /// What the client has to pay, EUR.
    pub due_eur: Decimal,
    /// Where it came from: `manual` or `fatturapa:<file>`.
    pub source: String,
}

/// Payment status of an EUR invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FatturaStatus {
    /// Nothing paid yet.
    Unpaid,
    /// Some, not all, paid.
    PartiallyPaid,
    /// Fully paid.
    Paid,
}

impl FatturaStatus {
    /// The word shown to users and accepted by filters.
    pub fn as_str(self) -> &'static str {
        match self {
            FatturaStatus::Unpaid => "unpaid",
            FatturaStatus::PartiallyPaid => "partially paid",
            FatturaStatus::Paid => "paid",
        }
    }
}

/// An EUR invoice in the registry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fattura {
    /// Row id.
    pub id: i64,
    /// Invoice number.
    pub numero: String,
    /// Year of the invoice date.
    pub anno: i32,
    /// Invoice date.
    pub data: NaiveDate,
    /// Seller VAT id; empty for invoices added by hand.
    pub cedente_piva: String,
    /// Client name.
    pub client_name: String,
    /// Client VAT id.
    pub client_piva: Option<String>,
    /// Client fiscal code.
    pub client_cf: Option<String>,
    /// What the invoice is for.
    pub description: String,
    /// Document total, EUR.
    pub totale_eur: Decimal,
    /// Withholding tax, EUR.
    pub ritenuta_eur: Decimal,
    /// Stamp duty, EUR.
    pub bollo_eur: Decimal,
    /// What the client has to pay in all, EUR.
    pub due_eur: Decimal,
    /// What has been paid so far, EUR.
    pub paid_eur: Decimal,
    /// Where it came from.
    pub source: String,
    /// When it was added (unix seconds).
    pub created_at: i64,
    /// How the amount due was found (imported FatturaPA only).
    pub due_detail: Option<DueDetail>,
    /// The client's email or PEC from the imported FatturaPA, if it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_email: Option<String>,
}

impl Fattura {
    /// What is still to be paid, EUR (never negative).
    pub fn outstanding_eur(&self) -> Decimal {
        (self.due_eur - self.paid_eur).max(Decimal::ZERO)
    }

    /// Unpaid, partially paid or paid.
    pub fn status(&self) -> FatturaStatus {
        if self.paid_eur <= Decimal::ZERO {
            FatturaStatus::Unpaid
        } else if self.paid_eur < self.due_eur {
            FatturaStatus::PartiallyPaid
        } else {
            FatturaStatus::Paid
        }
    }
}

/// What an import did: numeri added, and numeri already present (left as they were).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    /// Newly added invoices (numero/anno).
    pub added: Vec<String>,
    /// Invoices that were already in the registry.
    pub already_present: Vec<String>,
}

#[derive(FromRow)]
struct FatturaRow {
    id: i64,
    numero: String,
    anno: i64,
    data: String,
    cedente_piva: String,
    client_name: String,
    client_piva: Option<String>,
    client_cf: Option<String>,
    description: String,
    totale_cents: i64,
    ritenuta_cents: i64,
    bollo_cents: i64,
    due_cents: i64,
    paid_cents: i64,
    source: String,
    created_at: i64,
    due_detail: String,
    client_email: Option<String>,
}

impl TryFrom<FatturaRow> for Fattura {
    type Error = StoreError;

    fn try_from(row: FatturaRow) -> Result<Self, Self::Error> {
        let due_detail = if row.due_detail.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str(&row.due_detail)
                    .map_err(|e| StoreError::Corrupt(format!("fattura {} due_detail: {e}", row.id)))?,
            )
        };
        let data = NaiveDate::parse_from_str(&row.data, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("fattura date '{}': {e}", row.data)))?;
        Ok(Fattura {
            id: row.id,
            numero: row.numero,
            anno: i32::try_from(row.anno).map_err(|_| StoreError::Corrupt(format!("anno {}", row.anno)))?,
            data,
            cedente_piva: row.cedente_piva,
            client_name: row.client_name,
            client_piva: row.client_piva,
            client_cf: row.client_cf,
            description: row.description,
            totale_eur: cents_to_eur(row.totale_cents),
            ritenuta_eur: cents_to_eur(row.ritenuta_cents),
            bollo_eur: cents_to_eur(row.bollo_cents),
            due_eur: cents_to_eur(row.due_cents),
            paid_eur: cents_to_eur(row.paid_cents),
            source: row.source,
            created_at: row.created_at,
            due_detail,
            client_email: row.client_email,
        })
    }
}

const SELECT_FATTURA: &str = "SELECT id, numero, anno, data, cedente_piva, client_name, client_piva, \
     client_cf, description, totale_cents, ritenuta_cents, bollo_cents, due_cents, paid_cents, \
     source, created_at, due_detail, client_email FROM fatture";

fn cents(eur: Decimal, what: &str) -> Result<i64, StoreError> {
    eur_to_cents(eur).ok_or_else(|| StoreError::Corrupt(format!("{what} {eur} is not whole cents")))
}

/// Inserts one invoice; `Ok(None)` when (numero, anno, cedente) is already there.
async fn insert_one(tx: &mut Transaction<'_, Any>, new: &NewFattura, now: i64) -> Result<Option<i64>, StoreError> {
    use chrono::Datelike;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO fatture (numero, anno, data, cedente_piva, client_name, client_piva, client_cf, \
         description, totale_cents, ritenuta_cents, bollo_cents, due_cents, source, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (numero, anno, cedente_piva) DO NOTHING RETURNING id",
    )
    .bind(&new.numero)
    .bind(new.data.year())
    .bind(new.data.format("%Y-%m-%d").to_string())
    .bind(&new.cedente_piva)
    .bind(&new.client_name)
    .bind(&new.client_piva)
    .bind(&new.client_cf)
    .bind(&new.description)
    .bind(cents(new.totale_eur, "totale")?)
    .bind(cents(new.ritenuta_eur, "ritenuta")?)
    .bind(cents(new.bollo_eur, "bollo")?)
    .bind(cents(new.due_eur, "amount due")?)
    .bind(&new.source)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id)
}

/// A credit note (TD04/TD08) to apply to the invoice it names.
#[derive(Debug, Clone)]
pub struct CreditNote {
    /// `numero/anno` of the credit note, recorded on the invoice it reduces.
    pub label: String,
    /// The seller's VAT id: only the same seller's invoices are reduced.
    pub cedente_piva: String,
    /// The numeri of `DatiFattureCollegate`, tried in order.
    pub collegate: Vec<String>,
    /// How much it takes off.
    pub amount_eur: Decimal,
}

/// What a credit note did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditOutcome {
    /// It lowered this invoice's amount due from `due_before_eur`.
    Applied {
        /// The invoice's numero.
        numero: String,
        /// The invoice's year.
        anno: i32,
        /// The amount due before the note.
        due_before_eur: Decimal,
    },
    /// It had already been applied to this invoice.
    AlreadyApplied {
        /// The invoice's numero.
        numero: String,
        /// The invoice's year.
        anno: i32,
    },
    /// No stored invoice of the same seller matches exactly one of its collegate numeri.
    NoTarget,
}

/// What [`Store::import_file_documents`] did.
#[derive(Debug, Clone)]
pub struct FileImport {
    /// Per invoice of the batch: its new id, or `None` when already present.
    pub ids: Vec<Option<i64>>,
    /// Per credit note, in order.
    pub credits: Vec<CreditOutcome>,
}

/// Lowers the amount due of the invoice `note` names (never below zero) inside `tx`, recording
/// the note in its due detail once.
async fn apply_credit_note(tx: &mut super::WriteTx, note: &CreditNote) -> Result<CreditOutcome, StoreError> {
    for numero in &note.collegate {
        let mut rows: Vec<FatturaRow> =
            sqlx::query_as(&format!("{SELECT_FATTURA} WHERE numero = $1 AND cedente_piva = $2"))
                .bind(numero)
                .bind(&note.cedente_piva)
                .fetch_all(&mut **tx.tx())
                .await?;
        let (Some(row), None) = (rows.pop(), rows.pop()) else {
            continue;
        };
        let fattura = Fattura::try_from(row)?;
        let mut detail = fattura.due_detail.clone().unwrap_or_default();
        let marker = format!("{}:", note.label);
        if detail.credit_notes.iter().any(|c| c.starts_with(&marker)) {
            return Ok(CreditOutcome::AlreadyApplied {
                numero: fattura.numero,
                anno: fattura.anno,
            });
        }
        detail
            .credit_notes
            .push(format!("{}: −{} EUR", note.label, note.amount_eur));
        let due = (fattura.due_eur - note.amount_eur).max(Decimal::ZERO);
        let json = serde_json::to_string(&detail)
            .map_err(|e| StoreError::Corrupt(format!("due_detail of {}: {e}", fattura.numero)))?;
        sqlx::query("UPDATE fatture SET due_cents = $1, due_detail = $2 WHERE id = $3")
            .bind(cents(due, "amount due")?)
            .bind(json)
            .bind(fattura.id)
            .execute(&mut **tx.tx())
            .await?;
        return Ok(CreditOutcome::Applied {
            numero: fattura.numero,
            anno: fattura.anno,
            due_before_eur: fattura.due_eur,
        });
    }
    Ok(CreditOutcome::NoTarget)
}

impl Store {
    /// Adds one invoice; `Ok(None)` when an invoice with the same numero, year and seller exists.
    pub async fn add_fattura(&self, new: &NewFattura, now: i64) -> Result<Option<Fattura>, StoreError> {
        self.add_fattura_with(new, &FatturaBreakdown::default(), now).await
    }

    /// Adds one invoice with its lines and IVA summary in one transaction; `Ok(None)` (nothing
    /// written) when an invoice with the same numero, year and seller exists.
    pub async fn add_fattura_with(
        &self,
        new: &NewFattura,
        breakdown: &FatturaBreakdown,
        now: i64,
    ) -> Result<Option<Fattura>, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = insert_one(tx.tx(), new, now).await?;
        if let Some(id) = id {
            insert_breakdown(tx.tx(), id, breakdown).await?;
        }
        tx.commit().await?;
        match id {
            Some(id) => self.fattura(id).await,
            None => Ok(None),
        }
    }

    /// Adds many invoices in one transaction, skipping those already present.
    pub async fn import_fatture(&self, batch: &[NewFattura], now: i64) -> Result<ImportOutcome, StoreError> {
        use chrono::Datelike;
        let mut tx = self.begin_write().await?;
        let mut outcome = ImportOutcome::default();
        for new in batch {
            let label = format!("{}/{}", new.numero, new.data.year());
            match insert_one(tx.tx(), new, now).await? {
                Some(_) => outcome.added.push(label),
                None => outcome.already_present.push(label),
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Records the client's email or PEC of fattura `id` (from its FatturaPA file).
    pub async fn set_fattura_client_email(&self, id: i64, email: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE fatture SET client_email = $1 WHERE id = $2")
            .bind(email)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Stores the invoices of one file (each with its lines and IVA summary) and applies its
    /// linked credit notes, all in one transaction (rolled back instead with `dry_run`, so a dry run reports exactly what a real
    /// import would do). Invoices already present (numero, anno, seller) are skipped: the id of
    /// each added invoice, or `None`, and what each credit note did.
    pub async fn import_file_documents(
        &self,
        batch: &[(NewFattura, DueDetail, FatturaBreakdown)],
        credit_notes: &[CreditNote],
        now: i64,
        dry_run: bool,
    ) -> Result<FileImport, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::new();
        for (new, detail, breakdown) in batch {
            let id = insert_one(tx.tx(), new, now).await?;
            if let Some(id) = id {
                insert_breakdown(tx.tx(), id, breakdown).await?;
                let json = serde_json::to_string(detail)
                    .map_err(|e| StoreError::Corrupt(format!("due_detail of {}: {e}", new.numero)))?;
                sqlx::query("UPDATE fatture SET due_detail = $1 WHERE id = $2")
                    .bind(json)
                    .bind(id)
                    .execute(&mut **tx.tx())
                    .await?;
            }
            ids.push(id);
        }
        let mut credits = Vec::new();
        for note in credit_notes {
            credits.push(apply_credit_note(&mut tx, note).await?);
        }
        if !dry_run {
            tx.commit().await?;
        }
        Ok(FileImport { ids, credits })
    }

    /// The invoice with this numero, year and seller, if stored.
    pub async fn fattura_by_key(
        &self,
        numero: &str,
        anno: i32,
        cedente_piva: &str,
    ) -> Result<Option<Fattura>, StoreError> {
        let row: Option<FatturaRow> = sqlx::query_as(&format!(
            "{SELECT_FATTURA} WHERE numero = $1 AND anno = $2 AND cedente_piva = $3"
        ))
        .bind(numero)
        .bind(anno)
        .bind(cedente_piva)
        .fetch_optional(self.pool())
        .await?;
        row.map(Fattura::try_from).transpose()
    }

    /// One invoice by row id.
    pub async fn fattura(&self, id: i64) -> Result<Option<Fattura>, StoreError> {
        let row: Option<FatturaRow> = sqlx::query_as(&format!("{SELECT_FATTURA} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(Fattura::try_from).transpose()
    }

    /// Every invoice with this numero (several years or sellers may share one).
    pub async fn fatture_by_numero(&self, numero: &str) -> Result<Vec<Fattura>, StoreError> {
        let rows: Vec<FatturaRow> =
            sqlx::query_as(&format!("{SELECT_FATTURA} WHERE numero = $1 ORDER BY anno DESC, id"))
                .bind(numero)
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(Fattura::try_from).collect()
    }

    /// One page of invoices by date (newest or oldest first) after `after`, at most
    /// [`super::MAX_PAGE_ROWS`], and the next page's cursor. With a `search`, the invoices whose
    /// numero, client name or client P.IVA starts with it (ASCII case-insensitive), as one page
    /// without a cursor.
    pub async fn fattura_page(
        &self,
        search: Option<&str>,
        order: super::ListOrder,
        after: Option<&super::PageCursor>,
        limit: u32,
    ) -> Result<super::Page<Fattura>, StoreError> {
        let limit = super::page_rows(limit);
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let mut rows = self.search_fatture(search, limit).await?;
            if order == super::ListOrder::OldestFirst {
                rows.reverse();
            }
            return Ok(super::Page { rows, next: None });
        }
        let query = page_query(order, after, limit + 1)?;
        let rows: Vec<FatturaRow> = typed(&query).fetch_all(self.pool()).await?;
        let mut rows = rows.into_iter().map(Fattura::try_from).collect::<Result<Vec<_>, _>>()?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|f| super::PageCursor {
                at: i64::from(f.data.num_days_from_ce()),
                key: f.id.to_string(),
            })
        } else {
            None
        };
        Ok(super::Page { rows, next })
    }

    /// Invoices whose numero, client name or client P.IVA starts with `search` (ASCII
    /// case-insensitive), newest first, at most `limit`: one index range per column.
    pub(crate) async fn search_fatture(&self, search: &str, limit: u32) -> Result<Vec<Fattura>, StoreError> {
        let mut found = Vec::new();
        for query in search_queries(self.backend, search, limit) {
            let rows: Vec<FatturaRow> = typed(&query).fetch_all(self.pool()).await?;
            for row in rows {
                found.push(Fattura::try_from(row)?);
            }
        }
        found.sort_by_key(|f| std::cmp::Reverse((f.data, f.id)));
        found.dedup_by_key(|f| f.id);
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }
}

/// The rows of a list query.
fn typed(query: &super::ListQuery) -> sqlx::query::QueryAs<'_, Any, FatturaRow, sqlx::any::AnyArguments<'_>> {
    let mut typed = sqlx::query_as::<_, FatturaRow>(&query.sql);
    for bind in &query.binds {
        typed = match bind {
            super::pages::Bind::Int(v) => typed.bind(*v),
            super::pages::Bind::Text(v) => typed.bind(v.clone()),
        };
    }
    typed
}

/// A page of invoices by (date, id). The cursor's `at` is the date as days from the common era.
fn page_query(
    order: super::ListOrder,
    after: Option<&super::PageCursor>,
    limit: u32,
) -> Result<super::ListQuery, StoreError> {
    use super::pages::Bind;
    let mut binds = Vec::new();
    let condition = match after {
        Some(cursor) => {
            let bad = || super::BadCursor(cursor.encode());
            let day = i32::try_from(cursor.at)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .ok_or_else(bad)?;
            let id = cursor.key.parse::<i64>().map_err(|_| bad())?;
            binds.push(Bind::Text(day.format("%Y-%m-%d").to_string()));
            binds.push(Bind::Int(id));
            let op = match order {
                super::ListOrder::NewestFirst => "<",
                super::ListOrder::OldestFirst => ">",
            };
            format!(" WHERE (data, id) {op} ($1, $2)")
        }
        None => String::new(),
    };
    let dir = match order {
        super::ListOrder::NewestFirst => "DESC",
        super::ListOrder::OldestFirst => "ASC",
    };
    binds.push(Bind::Int(i64::from(limit)));
    Ok(super::ListQuery::new(
        format!("fatture {dir}{}", if after.is_some() { " after" } else { "" }),
        format!(
            "{SELECT_FATTURA}{condition} ORDER BY data {dir}, id {dir} LIMIT ${}",
            binds.len()
        ),
        binds,
        &["fatture_data"],
    ))
}

/// The prefix searches of `search`: numero, client name, client P.IVA.
fn search_queries(backend: super::Backend, search: &str, limit: u32) -> Vec<super::ListQuery> {
    use super::pages::Bind;
    let c = super::pages::c_collate(backend);
    let Some((low, high)) = super::pages::prefix_range(&super::pages::lower_for(backend, search)) else {
        return Vec::new();
    };
    [
        ("numero", "fatture_numero_lower"),
        ("client_name", "fatture_client_lower"),
        ("client_piva", "fatture_piva_lower"),
    ]
    .into_iter()
    .map(|(column, index)| {
        super::ListQuery::new(
            format!("fatture search {column}"),
            format!(
                "{SELECT_FATTURA} WHERE lower({column}){c} >= $1 AND lower({column}){c} < $2 \
                 ORDER BY lower({column}){c}, id LIMIT $3"
            ),
            vec![
                Bind::Text(low.clone()),
                Bind::Text(high.clone()),
                Bind::Int(i64::from(limit)),
            ],
            &[index],
        )
    })
    .collect()
}

/// Every list and search query of fatture, for [`Store::list_queries`].
pub(super) fn list_queries(backend: super::Backend) -> Vec<super::ListQuery> {
    let cursor = super::PageCursor {
        at: 739_000,
        key: "42".into(),
    };
    let mut all = Vec::new();
    for order in [super::ListOrder::NewestFirst, super::ListOrder::OldestFirst] {
        all.extend(page_query(order, None, 501).ok());
        all.extend(page_query(order, Some(&cursor), 501).ok());
    }
    all.extend(search_queries(backend, "Ros", 501));
    all
}

/// Adds a payment to an invoice's paid amount inside the caller's transaction.
pub(super) async fn add_paid(
    tx: &mut Transaction<'_, Any>,
    fattura_id: i64,
    amount_cents: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE fatture SET paid_cents = paid_cents + $1 WHERE id = $2")
        .bind(amount_cents)
        .bind(fattura_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
