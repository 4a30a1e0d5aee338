//! The POS part of the gateway's backend: EUR amount → Lightning invoice (the POS screen draws
//! its QR code from the BOLT11 itself).

use std::str::FromStr;

use app::auth::Role;
use app::i18n::{amount_error_text, note_too_long_text, pos_over_max_text, text_error_text, Lang};
use app::model::{check_free_text, parse_amount_cents, AmountError, InvoiceStatus, PosSale, TextField};
use app::AppError;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::invoices::{CreateRequest, InvoiceService};
use crate::store::{InvoiceOrigin, LnInvoice};

use super::guard::RequestAuth;

/// Longest note accepted with a POS sale, characters.
pub const MAX_NOTE_CHARS: usize = 120;

/// Parses an amount typed by staff with the one strict parser of the app and the gateway
/// ([`parse_amount_cents`]): `12,50` or `12.50`, at most two decimals, no sign, spaces, exponent
/// or thousands grouping. Refusals in English.
pub fn parse_counter_amount(text: &str) -> Result<Decimal, AppError> {
    parse_amount_in(text, Lang::En)
}

/// [`parse_counter_amount`] with its refusal worded in `lang`.
fn parse_amount_in(text: &str, lang: Lang) -> Result<Decimal, AppError> {
    let refuse = |error: AmountError| AppError::Invalid(amount_error_text(&error, lang));
    parse_amount_cents(text).map_err(refuse)?;
    // Now plain digits with at most one separator: read with the scale it was typed with (`150`
    // stays `150`, `12,50` is `12.50`), as amounts were stored before.
    Decimal::from_str(&text.replace(',', ".")).map_err(|_| refuse(AmountError::TooLong))
}

/// Whole cents of a EUR amount, rounded down (for messages).
fn whole_cents(amount_eur: Decimal) -> u64 {
    (amount_eur * Decimal::ONE_HUNDRED).trunc().to_u64().unwrap_or(u64::MAX)
}

/// A sale as it arrives from the POS screen.
#[derive(Debug, Clone, Copy)]
pub struct Sale<'a> {
    /// The amount as typed.
    pub amount_eur: &'a str,
    /// The note as typed.
    pub note: &'a str,
    /// The language refusals are worded in.
    pub lang: Lang,
}

/// The state DTO of a stored invoice.
pub fn state_of(invoice: &LnInvoice) -> InvoiceStatus {
    InvoiceStatus {
        invoice_id: invoice.id.clone(),
        state: invoice.state,
        amount_paid_sat: invoice.amt_paid_msat / 1000,
    }
}

/// Refuses, as "not found", an invoice the signed-in user may not watch or cancel. Admins may
/// watch and cancel every invoice; cashiers only POS sales ([`InvoiceOrigin::Pos`]; once tills
/// exist, only their own till's). Every other id, unknown ones included, gets the same
/// [`AppError::NotFound`], so a cashier cannot tell an admin's invoice from no invoice.
pub async fn check_visible(service: &InvoiceService, auth: &RequestAuth, invoice_id: &str) -> Result<(), AppError> {
    if auth.user.as_ref().is_some_and(|user| user.role == Role::Admin) {
        return Ok(());
    }
    match service.stored(invoice_id).await? {
        Some(invoice) if invoice.origin == InvoiceOrigin::Pos => Ok(()),
        _ => Err(AppError::NotFound(format!("there is no POS sale '{invoice_id}'"))),
    }
}

/// Creates the POS invoice (stored as a POS sale, [`InvoiceOrigin::Pos`]) and the QR screen's data.
/// Checks again what the browser checked (never trusting it): the amount with the one parser, the
/// note's length and characters; and a cashier's sale against `pos_max_amount_eur` (admins are
/// not capped by it, only by the parser's 9 999 999,99 EUR). Every refusal comes before anything
/// is written.
pub async fn charge(
    service: &InvoiceService,
    auth: &RequestAuth,
    sale: Sale<'_>,
    expiry_minutes: u64,
) -> Result<PosSale, AppError> {
    let lang = sale.lang;
    let amount = parse_amount_in(sale.amount_eur, lang)?;
    if sale.note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::Invalid(note_too_long_text(MAX_NOTE_CHARS, lang)));
    }
    check_free_text(TextField::Note, sale.note).map_err(|e| AppError::Invalid(text_error_text(&e, lang)))?;
    let note = sale.note.trim();
    let is_admin = auth.user.as_ref().is_some_and(|user| user.role == Role::Admin);
    let max_eur = service.pos_max_amount_eur();
    if !is_admin && amount > max_eur {
        return Err(AppError::Forbidden(pos_over_max_text(whole_cents(max_eur), lang)));
    }
    let created = service
        .create_from(
            CreateRequest {
                amount_eur: Some(amount),
                description: Some(if note.is_empty() {
                    "POS sale".to_string()
                } else {
                    note.to_string()
                }),
                expiry_minutes: Some(expiry_minutes),
                ..CreateRequest::default()
            },
            InvoiceOrigin::Pos,
        )
        .await?;
    let invoice = created.invoice;
    let payment_request = invoice
        .payment_request
        .clone()
        .ok_or_else(|| AppError::Lightning("the node has not confirmed the invoice yet; try again".into()))?;
    Ok(PosSale {
        invoice_id: invoice.id.clone(),
        payment_request,
        amount_eur: format!("{:.2}", invoice.amount_eur),
        amount_sat: invoice.amount_sat(),
        eur_per_btc: invoice.rate_eur_per_btc.to_string(),
        rate_source: invoice.rate_source.clone(),
        rate_is_fallback: invoice.rate_is_fallback,
        expires_at: invoice.expires_at,
        server_now: crate::time::now_secs(),
        warnings: created.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_amounts_use_the_strict_parser() -> Result<(), AppError> {
        assert_eq!(parse_counter_amount("12,50")?, Decimal::new(1250, 2));
        assert_eq!(parse_counter_amount("7")?, Decimal::new(7, 0));
        assert_eq!(parse_counter_amount("9999999.99")?, Decimal::new(999_999_999, 2));
        for bad in ["12,5,0", "NaN", "", " 7", "1e3", "+5", "-5", ".5", "5.", "1.234,56"] {
            assert!(parse_counter_amount(bad).is_err(), "{bad:?}");
        }
        Ok(())
    }

    #[test]
    fn the_maximum_reads_in_whole_cents() {
        assert_eq!(whole_cents(Decimal::new(1000, 0)), 100_000);
        assert_eq!(whole_cents(Decimal::new(12_345, 3)), 1234);
    }
}
