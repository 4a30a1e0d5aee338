//! The numbered daily closings of the counter (issue 36): immutable rows (the database refuses
//! updates and deletes), one numbering for the shop, a day closed either for the whole shop
//! (`till_name` empty) or till by till. The `day_closed` event and its webhooks are written in
//! the same transaction as the closing.

use serde::Serialize;
use sqlx::FromRow;

use super::{Store, StoreError};

/// A stored closing.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct ClosingRow {
    /// Its number (1, 2, 3, … for the shop).
    pub number: i64,
    /// The business day closed (`YYYY-MM-DD` on the shop's clock).
    pub business_date: String,
    /// The till closed; empty for the whole shop.
    pub till_name: String,
    /// The shop's time zone at the closing.
    pub timezone: String,
    /// The first second of the sales it covers (unix seconds).
    pub covers_from: i64,
    /// The end (excluded) of the sales it covers (unix seconds).
    pub covers_until: i64,
    /// When it was made (unix seconds).
    pub closed_at: i64,
    /// Who made it (`cli` or a staff user).
    pub closed_by: String,
    /// The day's figures as `pos day --json` printed them at the closing.
    pub figures: String,
}

/// A closing to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClosing {
    /// The business day (`YYYY-MM-DD`).
    pub business_date: String,
    /// The till; empty for the whole shop.
    pub till_name: String,
    /// The shop's time zone.
    pub timezone: String,
    /// The first second covered.
    pub covers_from: i64,
    /// The end (excluded) of what it covers.
    pub covers_until: i64,
    /// When (unix seconds).
    pub closed_at: i64,
    /// Who.
    pub closed_by: String,
    /// The figures, as JSON text.
    pub figures: String,
}

/// Why a closing was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosingRefusal {
    /// That day (and till) is closed already, by this closing.
    AlreadyClosed(i64),
    /// The whole shop's day is closed already (a till cannot be closed apart), by this closing.
    ShopClosed(i64),
    /// Some tills of that day are closed one by one already (the whole shop cannot be), by this.
    TillsClosed(i64),
}

const SELECT_CLOSING: &str = "SELECT number, business_date, till_name, timezone, covers_from, covers_until, \
                              closed_at, closed_by, figures FROM closings";

impl Store {
    /// Records a closing with the next number and its `day_closed` event, in one transaction;
    /// refused (nothing written) when the day (or till) is closed already.
    pub async fn insert_closing(
        &self,
        closing: &NewClosing,
        event_fields: impl FnOnce(i64) -> serde_json::Value,
    ) -> Result<Result<ClosingRow, ClosingRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing =
            sqlx::query_as::<_, ClosingRow>(&format!("{SELECT_CLOSING} WHERE business_date = $1 ORDER BY number"))
                .bind(&closing.business_date)
                .fetch_all(&mut *tx)
                .await?;
        for row in &existing {
            let refusal = if row.till_name == closing.till_name {
                ClosingRefusal::AlreadyClosed(row.number)
            } else if row.till_name.is_empty() {
                ClosingRefusal::ShopClosed(row.number)
            } else if closing.till_name.is_empty() {
                ClosingRefusal::TillsClosed(row.number)
            } else {
                continue;
            };
            return Ok(Err(refusal));
        }
        let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(number) FROM closings")
            .fetch_one(&mut *tx)
            .await?;
        let number = last.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO closings (number, business_date, till_name, timezone, covers_from, covers_until, \
             closed_at, closed_by, figures) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(number)
        .bind(&closing.business_date)
        .bind(&closing.till_name)
        .bind(&closing.timezone)
        .bind(closing.covers_from)
        .bind(closing.covers_until)
        .bind(closing.closed_at)
        .bind(&closing.closed_by)
        .bind(&closing.figures)
        .execute(&mut *tx)
        .await?;
        let kind = app::model::EventKind::DayClosed;
        let (id, payload) = super::events::unattached_payload(kind, event_fields(number), closing.closed_at);
        super::events::insert_event(tx.tx(), &id, kind, "", &payload, closing.closed_at).await?;
        let sql = format!("{SELECT_CLOSING} WHERE number = $1");
        let row = sqlx::query_as::<_, ClosingRow>(&sql)
            .bind(number)
            .fetch_one(&mut *tx)
            .await?;
        self.commit_and_signal(tx).await?;
        Ok(Ok(row))
    }

    /// The closing numbered `number`.
    pub async fn closing(&self, number: i64) -> Result<Option<ClosingRow>, StoreError> {
        let sql = format!("{SELECT_CLOSING} WHERE number = $1");
        Ok(sqlx::query_as::<_, ClosingRow>(&sql)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every closing, the newest first.
    pub async fn closings(&self) -> Result<Vec<ClosingRow>, StoreError> {
        let sql = format!("{SELECT_CLOSING} ORDER BY number DESC");
        Ok(sqlx::query_as::<_, ClosingRow>(&sql).fetch_all(&self.pool).await?)
    }

    /// The closing that bounds `business_date` for `till` (its own, or the whole shop's); for
    /// the whole shop (`till` empty) only the whole shop's.
    pub async fn closing_of_day(&self, business_date: &str, till: &str) -> Result<Option<ClosingRow>, StoreError> {
        let sql = format!(
            "{SELECT_CLOSING} WHERE business_date = $1 AND (till_name = '' OR till_name = $2) ORDER BY number LIMIT 1"
        );
        Ok(sqlx::query_as::<_, ClosingRow>(&sql)
            .bind(business_date)
            .bind(till)
            .fetch_optional(&self.pool)
            .await?)
    }
}
