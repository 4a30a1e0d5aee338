//! The numbered daily closing (chiusura / Z-report, issue 36) and its exports.
//!
//! Rules: one numbering for the shop; a day is closed for the whole shop (`pos close`) or till
//! by till (`pos close --till NAME`), never both. A sale counts on the business day whose span
//! holds its moment (paid: when it was paid; unpaid: when it was rung up). A day's span is its
//! calendar day on `shop_timezone`, except that it starts where the previous day's closing
//! stopped and ends at its own closing: a day closed at 18:00 covers until 18:00, and a sale
//! paid at 19:00 goes to the next day. A past day closed later covers its whole calendar day.
//! A closing covers up to the end of the second it was asked in (it waits for that second to
//! end), so nothing paid or refunded in that second falls between two days.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::{day, parse_time_zone, CounterError, CounterService, DayFilter};
use crate::store::{ClosingRefusal, ClosingRow, NewClosing};

/// A closing as `pos close --json` and `pos closing show --format json` print it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClosingView {
    /// Its number.
    pub number: i64,
    /// The business day (`YYYY-MM-DD`).
    pub date: String,
    /// The till closed; none for the whole shop.
    pub till: Option<String>,
    /// When it was made (RFC 3339, UTC).
    pub closed_at: String,
    /// Who made it.
    pub closed_by: String,
    /// The first second covered (unix seconds).
    pub covers_from: i64,
    /// The end, excluded, of what it covers (unix seconds).
    pub covers_until: i64,
    /// The figures, as `pos day --json` gave them at the closing.
    pub figures: serde_json::Value,
}

impl ClosingView {
    /// The view of a stored closing.
    pub fn of(row: &ClosingRow) -> ClosingView {
        ClosingView {
            number: row.number,
            date: row.business_date.clone(),
            till: (!row.till_name.is_empty()).then(|| row.till_name.clone()),
            closed_at: crate::time::rfc3339(row.closed_at),
            closed_by: row.closed_by.clone(),
            covers_from: row.covers_from,
            covers_until: row.covers_until,
            figures: serde_json::from_str(&row.figures).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The figures' fields in a CSV row, in order.
const CSV_FIELDS: [&str; 11] = [
    "sales",
    "gross_eur",
    "net_eur",
    "tips_eur",
    "total_eur",
    "refunds_eur",
    "refunds_sat",
    "refund_fees_sat",
    "sats_received",
    "expired",
    "cancelled",
];

/// A closing as CSV: one row for the totals, one per till, one per cashier; EUR as text with
/// two decimals; IVA as one column per rate found (`vat_22_eur`, `vat_0:N2_eur`).
pub fn closing_csv(view: &ClosingView) -> String {
    let figures = &view.figures;
    let mut lines: Vec<(&str, String, &serde_json::Value)> = vec![("total", String::new(), figures)];
    for (kind, key) in [("till", "by_till"), ("cashier", "by_cashier")] {
        for line in figures[key].as_array().into_iter().flatten() {
            lines.push((kind, line["name"].as_str().unwrap_or("").to_string(), line));
        }
    }
    let mut rates: Vec<String> = Vec::new();
    for (_, _, line) in &lines {
        for rate in line["vat_eur"].as_object().into_iter().flat_map(|m| m.keys()) {
            if !rates.contains(rate) {
                rates.push(rate.clone());
            }
        }
    }
    rates.sort();
    let mut out = String::from("closing,date,till,line,name");
    for field in CSV_FIELDS {
        out.push(',');
        out.push_str(field);
    }
    for rate in &rates {
        out.push_str(&format!(",vat_{rate}_eur"));
    }
    out.push('\n');
    for (kind, name, line) in lines {
        let mut cells = vec![
            view.number.to_string(),
            view.date.clone(),
            view.till.clone().unwrap_or_default(),
            kind.to_string(),
            name,
        ];
        for field in CSV_FIELDS {
            cells.push(match &line[field] {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            });
        }
        for rate in &rates {
            cells.push(line["vat_eur"][rate].as_str().unwrap_or("0.00").to_string());
        }
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// A CSV cell, quoted when it needs to be; a leading formula character is neutralised.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// One line of a closing's figures for its PDF.
fn pdf_figures(line: &serde_json::Value) -> crate::render::ClosingFigures {
    let text = |key: &str| line[key].as_str().unwrap_or("0.00").to_string();
    let count = |key: &str| line[key].as_u64().unwrap_or(0);
    crate::render::ClosingFigures {
        name: line["name"].as_str().unwrap_or("").to_string(),
        sales: count("sales"),
        gross_eur: text("gross_eur"),
        vat_eur: line["vat_eur"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(rate, eur)| (rate.clone(), eur.as_str().unwrap_or("0.00").to_string()))
            .collect(),
        net_eur: text("net_eur"),
        tips_eur: text("tips_eur"),
        total_eur: text("total_eur"),
        refunds_eur: text("refunds_eur"),
        refunds_sat: count("refunds_sat"),
        refund_fees_sat: count("refund_fees_sat"),
        sats_received: count("sats_received"),
        expired: count("expired"),
        cancelled: count("cancelled"),
    }
}

/// A closing as a PDF (`pos closing show N --format pdf`, the back office's download): its
/// number, day, the shop, when it was made on the shop's clock, the totals and the by-till and
/// by-cashier tables.
pub fn closing_pdf(view: &ClosingView, shop: &super::ReceiptShop) -> Vec<u8> {
    let figures = &view.figures;
    let lines = |key: &str| -> Vec<crate::render::ClosingFigures> {
        figures[key].as_array().into_iter().flatten().map(pdf_figures).collect()
    };
    let closed_at = chrono::DateTime::parse_from_rfc3339(&view.closed_at)
        .map(|t| crate::render::local_time(app::i18n::Lang::It, &shop.timezone, t.timestamp()))
        .unwrap_or_else(|_| view.closed_at.clone());
    let document = crate::render::ClosingDocument {
        number: view.number,
        date: view.date.clone(),
        till: view.till.clone(),
        closed_at,
        closed_by: view.closed_by.clone(),
        shop: crate::render::Party {
            name: shop.name.clone().unwrap_or_default(),
            vat_number: shop.vat_number.as_ref().map(|v| format!("IT{v}")),
            tax_code: None,
            address: shop.address.clone(),
        },
        total: pdf_figures(figures),
        by_till: lines("by_till"),
        by_cashier: lines("by_cashier"),
    };
    crate::render::closing_pdf(&document)
}

/// Refusals of a closing, as messages.
fn refusal_error(date: &str, till: &str, refusal: ClosingRefusal) -> CounterError {
    let what = if till.is_empty() {
        format!("the day {date}")
    } else {
        format!("till '{till}' on {date}")
    };
    let date = date.to_string();
    match refusal {
        ClosingRefusal::AlreadyClosed(number) => CounterError::AlreadyClosed { what, number },
        ClosingRefusal::ShopClosed(number) => CounterError::ShopClosed { date, number },
        ClosingRefusal::TillsClosed(number) => CounterError::TillsClosed { date, number },
    }
}

impl CounterService {
    /// The span `[from, to)` (unix seconds) of business day `date` for `till` (empty: the shop).
    pub(super) async fn business_span(&self, date: NaiveDate, tz: Tz, till: &str) -> Result<(i64, i64), CounterError> {
        let (start, end) = day::day_bounds(date, tz).ok_or_else(|| CounterError::BadDate(date.to_string()))?;
        let before = date - Duration::days(1);
        let from = match self
            .store
            .closing_of_day(&before.format("%Y-%m-%d").to_string(), till)
            .await?
        {
            Some(previous) => previous.covers_until,
            None => start,
        };
        let to = match self
            .store
            .closing_of_day(&date.format("%Y-%m-%d").to_string(), till)
            .await?
        {
            Some(closing) => closing.covers_until,
            None => end,
        };
        Ok((from, to))
    }

    /// Closes `date` (today when `None`) for `till` (the whole shop when `None`): a numbered,
    /// immutable closing with the day's figures and its `day_closed` event.
    pub async fn close_day(
        &self,
        date: Option<&str>,
        timezone: &str,
        till: Option<&str>,
        by: &str,
    ) -> Result<ClosingView, CounterError> {
        let tz = parse_time_zone(timezone)?;
        // The closing covers everything up to the end of the second it was asked in: it waits
        // for that second to pass, so a sale or refund finished in it is in, never lost between
        // the closed day and the next.
        let asked = crate::time::now_secs();
        while crate::time::now_secs() <= asked {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let now = asked + 1;
        let today = day::date_at(asked, tz).ok_or_else(|| CounterError::BadDate("today".into()))?;
        let date = super::parse_day(date, today)?;
        if date > today {
            return Err(CounterError::NotBegun {
                date: date.to_string(),
                timezone: timezone.to_string(),
            });
        }
        let till = match till.map(str::trim).filter(|t| !t.is_empty()) {
            Some(name) => {
                let known = self.store.tills().await?.into_iter().any(|t| t.name == name);
                if !known {
                    return Err(CounterError::UnknownTill(name.to_string()));
                }
                name.to_string()
            }
            None => String::new(),
        };
        let (from, end) = self.business_span(date, tz, &till).await?;
        let until = end.min(now);
        let rows = self.store.pos_sales_between(from, until).await?;
        let refunds = self.store.pos_refunds_between(from, until).await?;
        let filter = DayFilter {
            till: (!till.is_empty()).then(|| till.clone()),
            cashier: None,
        };
        let report = day::report(date, tz, &filter, &rows, &refunds);
        let figures = serde_json::to_value(&report).map_err(|e| CounterError::Closing(e.to_string()))?;
        let business_date = date.format("%Y-%m-%d").to_string();
        let closing = NewClosing {
            business_date: business_date.clone(),
            till_name: till.clone(),
            timezone: tz.name().to_string(),
            covers_from: from,
            covers_until: until,
            closed_at: now,
            closed_by: by.to_string(),
            figures: figures.to_string(),
        };
        let event_figures = figures.clone();
        let event_till = filter.till.clone();
        let event_date = business_date.clone();
        let stored = self
            .store
            .insert_closing(&closing, move |number| {
                serde_json::json!({
                    "closing_number": number,
                    "date": event_date,
                    "till": event_till,
                    "figures": event_figures,
                })
            })
            .await?;
        match stored {
            Ok(row) => Ok(ClosingView::of(&row)),
            Err(refusal) => Err(refusal_error(&business_date, &till, refusal)),
        }
    }

    /// The closing numbered `number`.
    pub async fn closing(&self, number: i64) -> Result<ClosingView, CounterError> {
        match self.store.closing(number).await? {
            Some(row) => Ok(ClosingView::of(&row)),
            None => Err(CounterError::Closing(format!(
                "there is no closing no. {number}: see `openfatture pos closing list`"
            ))),
        }
    }

    /// Every closing, the newest first.
    pub async fn closings(&self) -> Result<Vec<ClosingView>, CounterError> {
        Ok(self.store.closings().await?.iter().map(ClosingView::of).collect())
    }
}
