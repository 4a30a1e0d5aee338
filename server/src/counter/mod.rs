//! The shop counter (issue 36): tills, sales with IVA (gross amounts, IVA inside) and tips, and
//! the day's figures. A POS sale is a Lightning invoice made by the POS ([`crate::invoices`]);
//! this service records, next to it, its till, cashier, IVA split and tip.

mod closing;
mod day;
mod pairing;
mod receipt;
mod refund;
mod vat;

pub use closing::{closing_csv, closing_pdf, ClosingView};
pub use day::{date_at, day_bounds, DayFilter, DayReport, FiguresView};
pub use pairing::{normalise_code, PAIRING_CODE_CHARS, PAIRING_CODE_TTL_SECS};
pub use receipt::{ReceiptShop, SaleReceipt, UNNOTED_SALE_MEMO};
pub use refund::{
    check_cap, check_invoice_amount, fee_limit_msat, lnurl_invoice, refund_left_cents, refund_msat, RefundError,
    RefundRequest, RefundService, RefundTarget, AMOUNT_TOLERANCE_PPM, REFUND_TIMEOUT_SECS,
};
pub use vat::{split_gross, VatSplit};

use app::model::VatRate;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::store::{eur_to_cents, NewPosSale, Store, StoreError, TillChange, TillOutcome, TillRow};

/// Longest till name, characters.
pub const MAX_TILL_NAME_CHARS: usize = 40;

/// Refusals and failures of the counter.
#[derive(Debug, thiserror::Error)]
pub enum CounterError {
    /// A till name that is empty, too long or holds control characters.
    #[error("till name '{0}' is not valid: use 1–40 visible characters, like \"Cassa 1\"")]
    BadTillName(String),
    /// No till has that name.
    #[error("there is no till '{0}': see `openfatture pos till list`")]
    UnknownTill(String),
    /// Another till has that name.
    #[error("a till named '{0}' already exists: pick another name")]
    TillNameTaken(String),
    /// The last till cannot be removed.
    #[error("'{0}' is the last till and cannot be removed: a counter always keeps one (add another first)")]
    LastTill(String),
    /// An IVA rate that is not 22, 10, 5, 4 or 0 with a Natura code.
    #[error("IVA rate '{0}' is not valid: use 22, 10, 5, 4, or 0 with its Natura code (0:N1 … 0:N7)")]
    BadVatRate(String),
    /// A printer address that is not HOST:PORT.
    #[error("printer address '{0}' is not valid: use HOST:PORT, like 192.168.1.50:9100")]
    BadPrinter(String),
    /// A day that is not a date.
    #[error("date '{0}' is not valid: use YYYY-MM-DD, like 2026-03-29")]
    BadDate(String),
    /// The shop's time zone is not an IANA name.
    #[error("shop_timezone '{0}' is not a time zone name (like Europe/Rome)")]
    BadTimeZone(String),
    /// An amount that does not fit in cents.
    #[error("amount {0} EUR is not in whole cents")]
    NotCents(Decimal),
    /// No POS sale has that id.
    #[error("there is no POS sale '{0}': use the sale's id, its Lightning invoice id (like LN-000012)")]
    UnknownSale(String),
    /// The sale is not paid (yet): it has no receipt.
    #[error("sale '{0}' is not paid: only a paid sale has a receipt")]
    NotPaid(String),
    /// The sale's till has no printer.
    #[error("till '{0}' has no receipt printer: set one with `openfatture pos till set NAME --printer HOST:9100`")]
    NoPrinter(String),
    /// The printer did not take the receipt.
    #[error(transparent)]
    Printer(#[from] crate::printer::PrinterError),
    /// The day (or till) is closed already.
    #[error("{what} is closed already (closing no. {number}): see `openfatture pos closing show {number}`")]
    AlreadyClosed {
        /// The day (and till) in words.
        what: String,
        /// The closing that closed it.
        number: i64,
    },
    /// A closing refused (no such closing): what to do.
    #[error("{0}")]
    Closing(String),
    /// A day that has not begun on the shop's clock cannot be closed.
    #[error("the day {date} has not begun on the shop's clock ({timezone}): only today or a past day can be closed")]
    NotBegun {
        /// The day asked (`YYYY-MM-DD`).
        date: String,
        /// `shop_timezone`.
        timezone: String,
    },
    /// A till's day cannot be closed apart: the whole shop's day is closed.
    #[error("the whole shop's day {date} is closed already (closing no. {number}): a till cannot be closed apart")]
    ShopClosed {
        /// The day (`YYYY-MM-DD`).
        date: String,
        /// The whole shop's closing.
        number: i64,
    },
    /// The whole shop's day cannot be closed: it is being closed till by till.
    #[error("the day {date} is being closed till by till (closing no. {number}): close the other tills with --till")]
    TillsClosed {
        /// The day (`YYYY-MM-DD`).
        date: String,
        /// A till's closing of that day.
        number: i64,
    },
    /// A pairing code that is not valid, used already or expired.
    #[error("pairing code not valid, used or expired: ask the manager for a new one")]
    BadPairingCode,
    /// No paired device has that id.
    #[error("there is no paired device {0}: see `openfatture pos till devices`")]
    UnknownDevice(i64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses an IVA rate as typed (`22`, `0:N2`).
pub fn parse_vat_rate(text: &str) -> Result<VatRate, CounterError> {
    VatRate::parse(text).ok_or_else(|| CounterError::BadVatRate(text.to_string()))
}

/// Checks a till name: 1–40 characters, no control or text-direction characters; trimmed.
pub fn check_till_name(name: &str) -> Result<String, CounterError> {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_TILL_NAME_CHARS || trimmed.chars().any(app::model::is_unsafe_text_char) {
        return Err(CounterError::BadTillName(name.to_string()));
    }
    Ok(trimmed.to_string())
}

/// Checks a printer address: `HOST:PORT` with a port from 1 to 65535.
pub fn check_printer(address: &str) -> Result<String, CounterError> {
    let bad = || CounterError::BadPrinter(address.to_string());
    let (host, port) = address.trim().rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if port == 0 || !host_ok {
        return Err(bad());
    }
    Ok(address.trim().to_string())
}

/// Parses the shop's time zone.
pub fn parse_time_zone(name: &str) -> Result<Tz, CounterError> {
    name.parse::<Tz>()
        .map_err(|_| CounterError::BadTimeZone(name.to_string()))
}

/// What a sale records at the counter.
#[derive(Debug, Clone)]
pub struct SaleRecord<'a> {
    /// Our Lightning invoice id.
    pub invoice_id: &'a str,
    /// Its till.
    pub till: &'a TillRow,
    /// Who rang it up.
    pub cashier: &'a str,
    /// Its IVA rate.
    pub vat_rate: VatRate,
    /// Its gross split.
    pub split: VatSplit,
    /// Its tip, EUR.
    pub tip_eur: Decimal,
    /// When (unix seconds).
    pub created_at: i64,
}

/// The counter service.
#[derive(Clone, Debug)]
pub struct CounterService {
    store: Store,
}

impl CounterService {
    /// The counter over `store`.
    pub fn new(store: Store) -> CounterService {
        CounterService { store }
    }

    /// Every till, the default one first.
    pub async fn tills(&self) -> Result<Vec<TillRow>, CounterError> {
        Ok(self.store.tills().await?)
    }

    /// Adds a till (its default IVA 22 % unless given).
    pub async fn add_till(
        &self,
        name: &str,
        printer: Option<&str>,
        vat_rate: Option<&str>,
    ) -> Result<TillRow, CounterError> {
        let name = check_till_name(name)?;
        let printer = printer.map(check_printer).transpose()?;
        let vat_rate = vat_rate.map(parse_vat_rate).transpose()?.unwrap_or(VatRate::STANDARD);
        self.store
            .add_till(&name, printer.as_deref(), &vat_rate.code(), crate::time::now_secs())
            .await?
            .ok_or(CounterError::TillNameTaken(name))
    }

    /// Changes a till: a new name, printer (empty removes it) or default IVA rate.
    pub async fn change_till(
        &self,
        name: &str,
        new_name: Option<&str>,
        printer: Option<&str>,
        vat_rate: Option<&str>,
        auto_print: Option<bool>,
    ) -> Result<TillRow, CounterError> {
        let change = TillChange {
            auto_print,
            name: new_name.map(check_till_name).transpose()?,
            printer_address: printer
                .map(|p| {
                    if p.trim().is_empty() {
                        Ok(None)
                    } else {
                        check_printer(p).map(Some)
                    }
                })
                .transpose()?,
            vat_rate: vat_rate.map(parse_vat_rate).transpose()?.map(VatRate::code),
        };
        let outcome = self.store.change_till(name.trim(), &change).await?;
        self.outcome(name, change.name.as_deref().unwrap_or(name), outcome)
    }

    /// Removes a till, never the last one; its sales keep its name.
    pub async fn remove_till(&self, name: &str) -> Result<TillRow, CounterError> {
        let outcome = self.store.remove_till(name.trim()).await?;
        self.outcome(name, name, outcome)
    }

    fn outcome(&self, name: &str, new_name: &str, outcome: TillOutcome) -> Result<TillRow, CounterError> {
        match outcome {
            TillOutcome::Done(till) => Ok(till),
            TillOutcome::NotFound => Err(CounterError::UnknownTill(name.trim().to_string())),
            TillOutcome::NameTaken => Err(CounterError::TillNameTaken(new_name.trim().to_string())),
            TillOutcome::LastTill => Err(CounterError::LastTill(name.trim().to_string())),
        }
    }

    /// The till a sale goes to: the one named, or the default (first) one when none is.
    pub async fn till_for_sale(&self, name: Option<&str>) -> Result<TillRow, CounterError> {
        let tills = self.store.tills().await?;
        let wanted = name.map(str::trim).filter(|n| !n.is_empty());
        let found = match wanted {
            Some(name) => tills.into_iter().find(|till| till.name == name),
            None => tills.into_iter().next(),
        };
        found.ok_or_else(|| CounterError::UnknownTill(wanted.unwrap_or("(default)").to_string()))
    }

    /// Records a sale's till, cashier, IVA and tip next to its Lightning invoice.
    pub async fn record_sale(&self, sale: &SaleRecord<'_>) -> Result<(), CounterError> {
        let cents = |eur: Decimal| eur_to_cents(eur).ok_or(CounterError::NotCents(eur));
        self.store
            .insert_pos_sale(&NewPosSale {
                invoice_id: sale.invoice_id.to_string(),
                till_id: sale.till.id,
                till_name: sale.till.name.clone(),
                cashier: sale.cashier.to_string(),
                gross_cents: cents(sale.split.gross_eur)?,
                vat_rate: sale.vat_rate.code(),
                vat_cents: cents(sale.split.vat_eur)?,
                net_cents: cents(sale.split.net_eur)?,
                tip_cents: cents(sale.tip_eur)?,
                created_at: sale.created_at,
            })
            .await?;
        Ok(())
    }

    /// The figures of `date` (today when `None`) on the shop's clock in `timezone`: the sales
    /// of its business day (see [`closing`](self) for how closings bound it).
    pub async fn day(&self, date: Option<&str>, timezone: &str, filter: &DayFilter) -> Result<DayReport, CounterError> {
        let tz = parse_time_zone(timezone)?;
        let today = date_at(crate::time::now_secs(), tz).ok_or_else(|| CounterError::BadDate("today".into()))?;
        let date = parse_day(date, today)?;
        let till = filter.till.clone().unwrap_or_default();
        let (start, end) = self.business_span(date, tz, &till).await?;
        let rows = self.store.pos_sales_between(start, end).await?;
        let refunds = self.store.pos_refunds_between(start, end).await?;
        let mut report = day::report(date, tz, filter, &rows, &refunds);
        report.closing = self
            .store
            .closing_of_day(&report.date, &till)
            .await?
            .map(|closing| closing.number);
        Ok(report)
    }
}

/// The day typed (`YYYY-MM-DD`), or `today` when none is.
fn parse_day(text: Option<&str>, today: NaiveDate) -> Result<NaiveDate, CounterError> {
    match text {
        Some(text) => {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| CounterError::BadDate(text.to_string()))
        }
        None => Ok(today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn till_names_and_printers_are_checked() {
        assert_eq!(check_till_name("  Cassa 1 ").ok().as_deref(), Some("Cassa 1"));
        for bad in ["", "   ", "Cassa\u{202E}1", "Cassa\n1", &"x".repeat(41)] {
            assert!(check_till_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_printer("192.168.1.50:9100").is_ok());
        assert!(check_printer("printer.local:9100").is_ok());
        for bad in [
            "192.168.1.50",
            ":9100",
            "host:0",
            "host:99999",
            "ho st:9100",
            "host:abc",
        ] {
            assert!(check_printer(bad).is_err(), "{bad:?}");
        }
    }
}
