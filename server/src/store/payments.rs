//! Received Lightning payments, with EUR at the invoice's locked rate.

use rust_decimal::Decimal;
use sqlx::{Any, FromRow, Transaction};

use super::{cents_to_eur, eur_to_cents, parse_decimal, to_i64, to_u64, LnInvoice, Store, StoreError};

/// A received payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Payment {
    /// Payment hash, hex.
    pub payment_hash: String,
    /// The Lightning invoice it paid.
    pub ln_invoice_id: String,
    /// The EUR invoice it paid, if any.
    pub fattura_id: Option<i64>,
    /// Amount received, msat.
    pub amount_msat: u64,
    /// EUR value at the locked rate.
    pub amount_eur: Decimal,
    /// The locked EUR per BTC.
    pub rate_eur_per_btc: Decimal,
    /// Where the rate came from.
    pub rate_source: String,
    /// Payment method as recorded on the EUR invoice.
    pub method: String,
    /// Settle time (unix seconds).
    pub settled_at: i64,
    /// The rate in force when it settled (the rate cache's then); `None` when none was cached.
    pub settle_rate: Option<SettleRate>,
}

/// The BTC/EUR rate in force at a moment, as the rate cache held it (no provider asked).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SettleRate {
    /// EUR per BTC.
    pub eur_per_btc: Decimal,
    /// Where it came from ("median(kraken,bitstamp)", …).
    pub source: String,
    /// When its provider answers arrived (unix seconds).
    pub at_secs: i64,
}

#[derive(FromRow)]
struct PaymentRow {
    payment_hash: String,
    ln_invoice_id: String,
    fattura_id: Option<i64>,
    amount_msat: i64,
    amount_cents: i64,
    rate_eur_per_btc: String,
    rate_source: String,
    method: String,
    settled_at: i64,
    settle_rate_eur_per_btc: Option<String>,
    settle_rate_source: Option<String>,
    settle_rate_at: Option<i64>,
}

impl TryFrom<PaymentRow> for Payment {
    type Error = StoreError;

    fn try_from(row: PaymentRow) -> Result<Self, Self::Error> {
        let settle_rate = match (row.settle_rate_eur_per_btc, row.settle_rate_source, row.settle_rate_at) {
            (Some(rate), Some(source), Some(at_secs)) => Some(SettleRate {
                eur_per_btc: parse_decimal(&rate, "settle rate")?,
                source,
                at_secs,
            }),
            _ => None,
        };
        Ok(Payment {
            settle_rate,
            amount_msat: to_u64(row.amount_msat, "amount_msat")?,
            amount_eur: cents_to_eur(row.amount_cents),
            rate_eur_per_btc: parse_decimal(&row.rate_eur_per_btc, "rate")?,
            payment_hash: row.payment_hash,
            ln_invoice_id: row.ln_invoice_id,
            fattura_id: row.fattura_id,
            rate_source: row.rate_source,
            method: row.method,
            settled_at: row.settled_at,
        })
    }
}

const SELECT_PAYMENT: &str = "SELECT payment_hash, ln_invoice_id, fattura_id, amount_msat, \
     amount_cents, rate_eur_per_btc, rate_source, method, settled_at, settle_rate_eur_per_btc, \
     settle_rate_source, settle_rate_at FROM payments";

/// EUR value of a paid amount at the invoice's locked rate: the invoice's EUR amount when
/// the whole invoice was paid, otherwise proportional, rounded to the cent.
fn eur_for(invoice: &LnInvoice, amt_paid_msat: u64) -> Decimal {
    if amt_paid_msat >= invoice.amount_msat || invoice.amount_msat == 0 {
        return invoice.amount_eur;
    }
    let share = Decimal::from(amt_paid_msat) / Decimal::from(invoice.amount_msat);
    (invoice.amount_eur * share).round_dp(2)
}

/// Inserts the payment for a settled invoice inside the caller's transaction.
pub(super) async fn insert(
    tx: &mut Transaction<'_, Any>,
    invoice: &LnInvoice,
    amt_paid_msat: u64,
    settled_at: i64,
    settle_rate: Option<&SettleRate>,
) -> Result<Payment, StoreError> {
    let amount_eur = eur_for(invoice, amt_paid_msat);
    let cents = eur_to_cents(amount_eur).ok_or_else(|| StoreError::Corrupt(format!("payment EUR {amount_eur}")))?;
    sqlx::query(
        "INSERT INTO payments (payment_hash, ln_invoice_id, fattura_id, amount_msat, amount_cents, \
         rate_eur_per_btc, rate_source, settled_at, settle_rate_eur_per_btc, settle_rate_source, settle_rate_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&invoice.payment_hash)
    .bind(&invoice.id)
    .bind(invoice.fattura_id)
    .bind(to_i64(amt_paid_msat, "amount_msat")?)
    .bind(cents)
    .bind(invoice.rate_eur_per_btc.to_string())
    .bind(&invoice.rate_source)
    .bind(settled_at)
    .bind(settle_rate.map(|r| r.eur_per_btc.to_string()))
    .bind(settle_rate.map(|r| r.source.clone()))
    .bind(settle_rate.map(|r| r.at_secs))
    .execute(&mut **tx)
    .await?;
    Ok(Payment {
        payment_hash: invoice.payment_hash.clone(),
        ln_invoice_id: invoice.id.clone(),
        fattura_id: invoice.fattura_id,
        amount_msat: amt_paid_msat,
        amount_eur,
        rate_eur_per_btc: invoice.rate_eur_per_btc,
        rate_source: invoice.rate_source.clone(),
        method: "Lightning Network".to_string(),
        settled_at,
        settle_rate: settle_rate.cloned(),
    })
}

impl Store {
    /// Payments settled in `[from, to)` (unix seconds), oldest first; `None` bounds are open.
    pub async fn payments_between(
        &self,
        from: Option<i64>,
        to: Option<i64>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        let rows: Vec<PaymentRow> = sqlx::query_as(&format!(
            "{SELECT_PAYMENT} WHERE ($1 IS NULL OR settled_at >= $1) AND ($2 IS NULL OR settled_at < $2) \
             ORDER BY settled_at, payment_hash LIMIT $3 OFFSET $4"
        ))
        .bind(from)
        .bind(to)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(Payment::try_from).collect()
    }

    /// One page of payments by settle time (newest or oldest first) after `after`, at most
    /// [`super::MAX_PAGE_ROWS`], and the next page's cursor. With a `search`, the payments whose
    /// hash starts with it, or that pay a fattura whose numero, client name or P.IVA does, as one
    /// page without a cursor.
    pub async fn payment_page(
        &self,
        search: Option<&str>,
        order: super::ListOrder,
        after: Option<&super::PageCursor>,
        limit: u32,
    ) -> Result<super::Page<Payment>, StoreError> {
        let limit = super::page_rows(limit);
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let fatture = self.search_fatture(search, limit).await?;
            let ids: Vec<i64> = fatture.iter().map(|f| f.id).collect();
            let mut found = Vec::new();
            for query in search_queries(self.backend, search, &ids, limit) {
                let rows: Vec<PaymentRow> = typed(&query).fetch_all(self.pool()).await?;
                for row in rows {
                    found.push(Payment::try_from(row)?);
                }
            }
            found.sort_by(|a, b| (b.settled_at, &b.payment_hash).cmp(&(a.settled_at, &a.payment_hash)));
            found.dedup_by(|a, b| a.payment_hash == b.payment_hash);
            if order == super::ListOrder::OldestFirst {
                found.reverse();
            }
            found.truncate(limit as usize);
            return Ok(super::Page {
                rows: found,
                next: None,
            });
        }
        let query = page_query(self.backend, order, after, limit + 1)?;
        let rows: Vec<PaymentRow> = typed(&query).fetch_all(self.pool()).await?;
        let mut rows = rows.into_iter().map(Payment::try_from).collect::<Result<Vec<_>, _>>()?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|p| super::PageCursor {
                at: p.settled_at,
                key: p.payment_hash.clone(),
            })
        } else {
            None
        };
        Ok(super::Page { rows, next })
    }

    /// Most recent payments first (the first page of [`Store::payment_page`]).
    pub async fn recent_payments(&self, limit: u32) -> Result<Vec<Payment>, StoreError> {
        Ok(self
            .payment_page(None, super::ListOrder::NewestFirst, None, limit)
            .await?
            .rows)
    }

    /// One payment by hash (hex).
    pub async fn payment(&self, payment_hash: &str) -> Result<Option<Payment>, StoreError> {
        let row: Option<PaymentRow> = sqlx::query_as(&format!("{SELECT_PAYMENT} WHERE payment_hash = $1"))
            .bind(payment_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(Payment::try_from).transpose()
    }
}

/// The rows of a list query.
fn typed(query: &super::ListQuery) -> sqlx::query::QueryAs<'_, sqlx::Any, PaymentRow, sqlx::any::AnyArguments<'_>> {
    let mut typed = sqlx::query_as::<_, PaymentRow>(&query.sql);
    for bind in &query.binds {
        typed = match bind {
            super::pages::Bind::Int(v) => typed.bind(*v),
            super::pages::Bind::Text(v) => typed.bind(v.clone()),
        };
    }
    typed
}

/// A page of payments by (settle time, hash).
fn page_query(
    backend: super::Backend,
    order: super::ListOrder,
    after: Option<&super::PageCursor>,
    limit: u32,
) -> Result<super::ListQuery, StoreError> {
    let mut binds = Vec::new();
    let c = super::pages::c_collate(backend);
    let (condition, order_by) = super::pages::keyset("settled_at", "payment_hash", c, order, after, 1, &mut binds);
    binds.push(super::pages::Bind::Int(i64::from(limit)));
    let where_ = condition.map(|c| format!(" WHERE {c}")).unwrap_or_default();
    Ok(super::ListQuery::new(
        format!(
            "payments {}{}",
            if order == super::ListOrder::NewestFirst {
                "newest"
            } else {
                "oldest"
            },
            if after.is_some() { " after" } else { "" }
        ),
        format!("{SELECT_PAYMENT}{where_} {order_by} LIMIT ${}", binds.len()),
        binds,
        &["payments_settled"],
    ))
}

/// The searches of payments: hash prefix, and the payments of the fatture found (`fattura_ids`).
fn search_queries(backend: super::Backend, search: &str, fattura_ids: &[i64], limit: u32) -> Vec<super::ListQuery> {
    use super::pages::Bind;
    let c = super::pages::c_collate(backend);
    let mut queries = Vec::new();
    let hash_index = match backend {
        super::Backend::Sqlite => "sqlite_autoindex_payments_1",
        super::Backend::Postgres => "payments_hash_c",
    };
    if search.len() >= 4 && search.chars().all(|ch| ch.is_ascii_hexdigit()) {
        if let Some((low, high)) = super::pages::prefix_range(&search.to_ascii_lowercase()) {
            queries.push(super::ListQuery::new(
                "payments search payment_hash".into(),
                format!(
                    "{SELECT_PAYMENT} WHERE payment_hash{c} >= $1 AND payment_hash{c} < $2 \
                     ORDER BY payment_hash{c} LIMIT $3"
                ),
                vec![Bind::Text(low), Bind::Text(high), Bind::Int(i64::from(limit))],
                &[hash_index],
            ));
        }
    }
    if !fattura_ids.is_empty() {
        let binds: Vec<Bind> = fattura_ids.iter().map(|id| Bind::Int(*id)).collect();
        let placeholders = (1..=binds.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        queries.push(super::ListQuery::new(
            "payments search fattura".into(),
            format!("{SELECT_PAYMENT} WHERE fattura_id IN ({placeholders})"),
            binds,
            &["payments_fattura"],
        ));
    }
    queries
}

/// Every list and search query of payments, for [`Store::list_queries`].
pub(super) fn list_queries(backend: super::Backend) -> Vec<super::ListQuery> {
    let cursor = super::PageCursor {
        at: 1_700_000_000,
        key: "ab".repeat(32),
    };
    let mut all = Vec::new();
    for order in [super::ListOrder::NewestFirst, super::ListOrder::OldestFirst] {
        all.extend(page_query(backend, order, None, 501).ok());
        all.extend(page_query(backend, order, Some(&cursor), 501).ok());
    }
    all.extend(search_queries(backend, "ab12", &[3, 7], 501));
    all
}
