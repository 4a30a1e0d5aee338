//! The shop counter's tables: tills and the POS sales' till, cashier, IVA and tip (the sale's
//! amount, state and sats are its Lightning invoice's). Amounts are integer cents; IVA rates are
//! stored as their text (`22`, `0:N2`), which the counter service parses.

use sqlx::FromRow;

use super::{Store, StoreError};

/// A stored till.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TillRow {
    /// Its id (the first one is the default till).
    pub id: i64,
    /// Its name, unique (`Cassa 1`).
    pub name: String,
    /// `HOST:PORT` of its ESC/POS printer, if any.
    pub printer_address: Option<String>,
    /// Its default IVA rate as stored (`22`, `0:N2`).
    pub vat_rate: String,
    /// When it was added (unix seconds; 0 for the one the migration made).
    pub created_at: i64,
    /// 1 when it prints each paid sale's receipt by itself, 0 when not.
    pub auto_print: i64,
}

impl TillRow {
    /// Whether it prints each paid sale's receipt on its printer by itself.
    pub fn prints_on_settle(&self) -> bool {
        self.auto_print != 0 && self.printer_address.is_some()
    }
}

/// What changes in a till; `None` keeps a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TillChange {
    /// A new name.
    pub name: Option<String>,
    /// A new printer address (`Some(None)` removes it).
    pub printer_address: Option<Option<String>>,
    /// A new default IVA rate, as stored.
    pub vat_rate: Option<String>,
    /// Whether it prints each paid sale's receipt by itself.
    pub auto_print: Option<bool>,
}

/// The outcome of a till change or removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TillOutcome {
    /// Done; the till as it is now (as it was, for a removal).
    Done(TillRow),
    /// No till has that name.
    NotFound,
    /// Another till already has the new name.
    NameTaken,
    /// It is the last till: a counter always keeps one.
    LastTill,
}

/// A POS sale's counter figures, stored next to its Lightning invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPosSale {
    /// Our Lightning invoice id.
    pub invoice_id: String,
    /// The till's id.
    pub till_id: i64,
    /// The till's name (kept if the till is removed).
    pub till_name: String,
    /// The signed-in staff user who rang it up.
    pub cashier: String,
    /// Gross (IVA included), cents.
    pub gross_cents: i64,
    /// IVA rate as stored (`22`, `0:N2`).
    pub vat_rate: String,
    /// IVA, cents.
    pub vat_cents: i64,
    /// Net (gross − IVA), cents.
    pub net_cents: i64,
    /// Tip, cents (no IVA on it).
    pub tip_cents: i64,
    /// When it was rung up (unix seconds).
    pub created_at: i64,
}

/// A POS sale with its invoice's state, for the day's figures.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PosSaleRow {
    /// Our Lightning invoice id.
    pub invoice_id: String,
    /// The till's name.
    pub till_name: String,
    /// Who rang it up.
    pub cashier: String,
    /// Gross, cents.
    pub gross_cents: i64,
    /// IVA rate as stored.
    pub vat_rate: String,
    /// IVA, cents.
    pub vat_cents: i64,
    /// Net, cents.
    pub net_cents: i64,
    /// Tip, cents.
    pub tip_cents: i64,
    /// When it was rung up (unix seconds).
    pub created_at: i64,
    /// The invoice's state (`SETTLED`, `EXPIRED`, …).
    pub state: String,
    /// What the node received, msat.
    pub amt_paid_msat: i64,
    /// Refunded of it (succeeded refunds), cents.
    #[sqlx(default)]
    pub refunded_cents: i64,
    /// Sats sent for those refunds, msat.
    #[sqlx(default)]
    pub refunded_msat: i64,
    /// Routing fees paid for those refunds, msat.
    #[sqlx(default)]
    pub refund_fee_msat: i64,
}

/// A succeeded refund of a POS sale, with the sale's till and cashier, for the day's figures.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PosRefundLine {
    /// The sale's till's name.
    pub till_name: String,
    /// Who rang the sale up.
    pub cashier: String,
    /// Refunded, cents.
    pub amount_cents: i64,
    /// Sats sent, msat.
    pub amount_msat: i64,
    /// Routing fees paid, msat.
    pub fee_msat: i64,
}

const SELECT_TILL: &str = "SELECT id, name, printer_address, vat_rate, created_at, auto_print FROM tills";

impl Store {
    /// Every till, the default (first) one first.
    pub async fn tills(&self) -> Result<Vec<TillRow>, StoreError> {
        let sql = format!("{SELECT_TILL} ORDER BY id");
        Ok(sqlx::query_as::<_, TillRow>(&sql).fetch_all(&self.pool).await?)
    }

    /// Adds a till; `None` when one already has that name (nothing changes).
    pub async fn add_till(
        &self,
        name: &str,
        printer_address: Option<&str>,
        vat_rate: &str,
        now: i64,
    ) -> Result<Option<TillRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        if till_named(&mut tx, name).await?.is_some() {
            return Ok(None);
        }
        sqlx::query("INSERT INTO tills (name, printer_address, vat_rate, created_at) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(printer_address)
            .bind(vat_rate)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let added = till_named(&mut tx, name).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Changes the till named `name`.
    pub async fn change_till(&self, name: &str, change: &TillChange) -> Result<TillOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(till) = till_named(&mut tx, name).await? else {
            return Ok(TillOutcome::NotFound);
        };
        if let Some(new_name) = &change.name {
            if new_name != name && till_named(&mut tx, new_name).await?.is_some() {
                return Ok(TillOutcome::NameTaken);
            }
        }
        let new_name = change.name.clone().unwrap_or(till.name);
        let printer = change.printer_address.clone().unwrap_or(till.printer_address);
        let vat_rate = change.vat_rate.clone().unwrap_or(till.vat_rate);
        let auto_print = change.auto_print.map_or(till.auto_print, i64::from);
        sqlx::query("UPDATE tills SET name = $1, printer_address = $2, vat_rate = $3, auto_print = $4 WHERE id = $5")
            .bind(&new_name)
            .bind(printer)
            .bind(vat_rate)
            .bind(auto_print)
            .bind(till.id)
            .execute(&mut *tx)
            .await?;
        let changed = till_named(&mut tx, &new_name).await?;
        tx.commit().await?;
        Ok(changed.map_or(TillOutcome::NotFound, TillOutcome::Done))
    }

    /// Removes the till named `name`, never the last one; its sales keep its name.
    pub async fn remove_till(&self, name: &str) -> Result<TillOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(till) = till_named(&mut tx, name).await? else {
            return Ok(TillOutcome::NotFound);
        };
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tills").fetch_one(&mut *tx).await?;
        if count <= 1 {
            return Ok(TillOutcome::LastTill);
        }
        sqlx::query("UPDATE pos_sales SET till_id = NULL WHERE till_id = $1")
            .bind(till.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tills WHERE id = $1")
            .bind(till.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(TillOutcome::Done(till))
    }

    /// Records a POS sale's counter figures (its Lightning invoice exists already).
    pub async fn insert_pos_sale(&self, sale: &NewPosSale) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pos_sales (invoice_id, till_id, till_name, cashier, gross_cents, vat_rate, vat_cents, \
             net_cents, tip_cents, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&sale.invoice_id)
        .bind(sale.till_id)
        .bind(&sale.till_name)
        .bind(&sale.cashier)
        .bind(sale.gross_cents)
        .bind(&sale.vat_rate)
        .bind(sale.vat_cents)
        .bind(sale.net_cents)
        .bind(sale.tip_cents)
        .bind(sale.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The POS sales whose moment is in `[from, to)` (unix seconds) with their invoices' state,
    /// oldest first. A sale's moment is when it was paid (`settled_at`), or when it was rung up
    /// when it is not paid: a sale paid after a closing goes to the next business day.
    pub async fn pos_sales_between(&self, from: i64, to: i64) -> Result<Vec<PosSaleRow>, StoreError> {
        Ok(sqlx::query_as::<_, PosSaleRow>(&pos_sales_between_sql())
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The day's figures' queries ([`Store::pos_sales_between`], [`Store::pos_refunds_between`])
    /// as [`Store::explain`] takes them, with the indexes that must answer them: for the test
    /// that proves they find their rows through an index.
    pub fn day_queries(&self) -> Vec<super::ListQuery> {
        use super::pages::Bind;
        let binds = || vec![Bind::Int(1_700_000_000), Bind::Int(1_700_086_400)];
        vec![
            super::ListQuery::new(
                "pos_sales_between".into(),
                pos_sales_between_sql(),
                binds(),
                &["ln_invoices_settled", "pos_sales_created", "refunds_invoice"],
            ),
            super::ListQuery::new(
                "pos_refunds_between".into(),
                POS_REFUNDS_BETWEEN_SQL.into(),
                binds(),
                &["refunds_finished"],
            ),
        ]
    }
}

/// The sales of `[$1, $2)`: the paid ones by `settled_at` (index `ln_invoices_settled`), the
/// unpaid ones by `created_at` (index `pos_sales_created`; `settled_at + 0` keeps the planner
/// from walking every unpaid invoice of `ln_invoices_settled` instead), each with its succeeded refunds
/// (index `refunds_invoice`). The same as `COALESCE(settled_at, created_at)` in the span, which
/// no index can answer.
fn pos_sales_between_sql() -> String {
    let refunded = |column: &str, alias: &str| {
        format!(
            "CAST((SELECT COALESCE(SUM(CASE WHEN r.state = 'succeeded' THEN r.{column} ELSE 0 END), 0) \
             FROM refunds r WHERE r.invoice_id = s.invoice_id) AS BIGINT) AS {alias}"
        )
    };
    let columns = format!(
        "s.invoice_id AS invoice_id, s.till_name, s.cashier, s.gross_cents, s.vat_rate, s.vat_cents, \
         s.net_cents, s.tip_cents, s.created_at AS created_at, i.state, i.amt_paid_msat, {}, {}, {}",
        refunded("amount_cents", "refunded_cents"),
        refunded("amount_msat", "refunded_msat"),
        refunded("fee_msat", "refund_fee_msat")
    );
    format!(
        "SELECT {columns} FROM ln_invoices i JOIN pos_sales s ON s.invoice_id = i.id \
         WHERE i.settled_at >= $1 AND i.settled_at < $2 \
         UNION ALL \
         SELECT {columns} FROM pos_sales s JOIN ln_invoices i ON i.id = s.invoice_id \
         WHERE s.created_at >= $1 AND s.created_at < $2 AND i.settled_at + 0 IS NULL \
         ORDER BY created_at, invoice_id"
    )
}

/// The succeeded refunds that finished in `[$1, $2)` (index `refunds_finished`).
const POS_REFUNDS_BETWEEN_SQL: &str = "SELECT s.till_name, s.cashier, r.amount_cents, r.amount_msat, r.fee_msat \
     FROM refunds r JOIN pos_sales s ON s.invoice_id = r.invoice_id \
     WHERE r.finished_at >= $1 AND r.finished_at < $2 AND r.state = 'succeeded' ORDER BY r.id";

impl Store {
    /// The POS refunds that succeeded in `[from, to)` (unix seconds, when they finished), with
    /// their sale's till and cashier: a refund counts on the day it was made.
    pub async fn pos_refunds_between(&self, from: i64, to: i64) -> Result<Vec<PosRefundLine>, StoreError> {
        Ok(sqlx::query_as::<_, PosRefundLine>(POS_REFUNDS_BETWEEN_SQL)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?)
    }
}

/// The till named exactly `name`, in `tx`.
async fn till_named(tx: &mut super::WriteTx, name: &str) -> Result<Option<TillRow>, StoreError> {
    let sql = format!("{SELECT_TILL} WHERE name = $1");
    Ok(sqlx::query_as::<_, TillRow>(&sql)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?)
}
