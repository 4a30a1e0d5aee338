//! Adding an EUR invoice (fattura) by hand: the checks and the record shared by
//! `openfatture invoice add` and the back office's "add invoice" form.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::{validate_amount, InvoiceError};
use crate::fatturapa::InvoiceLine;
use crate::store::{Fattura, FatturaBreakdown, NewFattura, Store, StoreError};
use crate::time::now_secs;

/// An EUR invoice as typed by hand.
#[derive(Debug, Clone)]
pub struct ManualFattura {
    /// Invoice number.
    pub numero: String,
    /// Invoice date.
    pub data: NaiveDate,
    /// Client name.
    pub client: String,
    /// Client VAT number (P.IVA), if given.
    pub client_piva: Option<String>,
    /// Client fiscal code, if given.
    pub client_cf: Option<String>,
    /// What the invoice is for.
    pub description: String,
    /// Document total, EUR.
    pub total_eur: Decimal,
    /// Withholding tax, EUR.
    pub ritenuta_eur: Decimal,
    /// Stamp duty, EUR.
    pub bollo_eur: Decimal,
}

/// Why an invoice typed by hand was refused (nothing is stored). Worded like the command line's
/// options; the back office words each variant in the page's language.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    /// The numero is empty.
    #[error("--numero must not be empty")]
    EmptyNumero,
    /// The client name is empty.
    #[error("--client must not be empty")]
    EmptyClient,
    /// The total is not a valid invoice amount.
    #[error(transparent)]
    Total(InvoiceError),
    /// A withholding or stamp duty is negative.
    #[error("--{what} must not be negative (got {value})")]
    Negative {
        /// `ritenuta` or `bollo`.
        what: &'static str,
        /// The amount given.
        value: Decimal,
    },
    /// A withholding or stamp duty has fractions of a cent.
    #[error("--{what} {value} has more than 2 decimals: use whole cents, e.g. 12.50")]
    TooPrecise {
        /// `ritenuta` or `bollo`.
        what: &'static str,
        /// The amount given.
        value: Decimal,
    },
    /// The withholding is larger than the total.
    #[error("--ritenuta {ritenuta} is larger than the total {total}")]
    RitenutaAboveTotal {
        /// The withholding.
        ritenuta: Decimal,
        /// The total.
        total: Decimal,
    },
    /// An invoice with that numero and year is already stored.
    #[error("invoice {numero} of {anno} already exists: see `openfatture invoice show {numero}`")]
    Exists {
        /// The numero.
        numero: String,
        /// The year.
        anno: i32,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A non-negative EUR amount in whole cents.
fn cents_amount(value: Decimal, what: &'static str) -> Result<Decimal, ManualError> {
    if value < Decimal::ZERO {
        return Err(ManualError::Negative { what, value });
    }
    if value.normalize().scale() > 2 {
        return Err(ManualError::TooPrecise { what, value });
    }
    Ok(value.round_dp(2))
}

/// The one line of an invoice typed by hand: its description for its whole total. Its IVA rate
/// is not known (stored as 0 without a Natura, shown blank) and it has no IVA summary.
fn manual_line(description: &str, total_eur: Decimal) -> InvoiceLine {
    InvoiceLine {
        number: 1,
        description: description.to_string(),
        quantity: Some(Decimal::ONE),
        unit: None,
        unit_price_eur: total_eur,
        total_eur,
        vat_percent: Decimal::ZERO,
        natura: None,
    }
}

/// Checks an invoice typed by hand and stores it with its one line (due = total − ritenuta +
/// bollo); the stored record, or the refusal with nothing stored.
pub async fn add_manual(store: &Store, typed: ManualFattura) -> Result<Fattura, ManualError> {
    let numero = typed.numero.trim().to_string();
    if numero.is_empty() {
        return Err(ManualError::EmptyNumero);
    }
    let client = typed.client.trim().to_string();
    if client.is_empty() {
        return Err(ManualError::EmptyClient);
    }
    let total = validate_amount(typed.total_eur).map_err(ManualError::Total)?;
    let ritenuta = cents_amount(typed.ritenuta_eur, "ritenuta")?;
    let bollo = cents_amount(typed.bollo_eur, "bollo")?;
    if ritenuta > total {
        return Err(ManualError::RitenutaAboveTotal { ritenuta, total });
    }
    let given = |text: Option<String>| text.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let new = NewFattura {
        numero: numero.clone(),
        data: typed.data,
        cedente_piva: String::new(),
        client_name: client,
        client_piva: given(typed.client_piva),
        client_cf: given(typed.client_cf),
        description: typed.description.trim().to_string(),
        totale_eur: total,
        ritenuta_eur: ritenuta,
        bollo_eur: bollo,
        due_eur: total - ritenuta + bollo,
        source: "manual".into(),
    };
    let breakdown = FatturaBreakdown {
        lines: vec![manual_line(&new.description, total)],
        vat_summary: Vec::new(),
    };
    store
        .add_fattura_with(&new, &breakdown, now_secs())
        .await?
        .ok_or(ManualError::Exists {
            numero,
            anno: typed.data.year(),
        })
}
