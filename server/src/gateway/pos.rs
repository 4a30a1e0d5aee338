//! The POS part of the gateway's backend: EUR amount → Lightning invoice (the POS screen draws
//! its QR code from the BOLT11 itself).

use std::str::FromStr;

use app::auth::Role;
use app::i18n::amount_refusal;
use app::model::{check_free_text, parse_amount_cents, AmountError, InvoiceStatus, PosSale, RateState, TextField};
use app::{AppError, PosError, Refusal};
use rust_decimal::Decimal;

use crate::invoices::{CreateRequest, InvoiceService};
use crate::store::{InvoiceOrigin, LnInvoice};

use super::guard::RequestAuth;

/// Longest note accepted with a POS sale, characters.
pub const MAX_NOTE_CHARS: usize = 120;

/// Parses an amount typed by staff with the one strict parser of the app and the gateway
/// ([`parse_amount_cents`]): `12,50` or `12.50`, at most two decimals, no sign, spaces, exponent
/// or thousands grouping. A refusal travels as its code, which the page words.
pub fn parse_counter_amount(text: &str) -> Result<Decimal, AppError> {
    let refuse = |error: AmountError| AppError::Invalid(amount_refusal(&error));
    parse_amount_cents(text).map_err(refuse)?;
    // Now plain digits with at most one separator: read with the scale it was typed with (`150`
    // stays `150`, `12,50` is `12.50`), as amounts were stored before.
    Decimal::from_str(&text.replace(',', ".")).map_err(|_| refuse(AmountError::TooLong))
}

/// A sale as it arrives from the POS screen.
#[derive(Debug, Clone, Copy)]
pub struct Sale<'a> {
    /// The amount as typed.
    pub amount_eur: &'a str,
    /// The note as typed.
    pub note: &'a str,
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
        _ => Err(AppError::NotFound(Refusal::new(
            "error.sale.not_found",
            &[("id", invoice_id)],
        ))),
    }
}

/// Creates the POS invoice (stored as a POS sale, [`InvoiceOrigin::Pos`]) and the QR screen's data.
/// Checks again what the browser checked (never trusting it): the amount with the one parser, the
/// note's length and characters; and a cashier's sale against `pos_max_amount_eur` (admins are
/// not capped by it, only by the parser's 9 999 999,99 EUR). Every refusal comes before anything
/// is written, as a [`PosError`] code for the cashier; its detail goes to the log.
pub async fn charge(
    service: &InvoiceService,
    auth: &RequestAuth,
    sale: Sale<'_>,
    expiry_minutes: u64,
) -> Result<PosSale, AppError> {
    parse_amount_cents(sale.amount_eur).map_err(|error| {
        tracing::info!(%error, "POS sale refused: amount");
        AppError::Pos(match error {
            AmountError::Zero | AmountError::Sign => PosError::AmountTooSmall,
            AmountError::TooLong => PosError::AmountTooLarge,
            _ => PosError::InvalidAmount,
        })
    })?;
    // The same text, now known to be plain digits, with the scale it was typed with.
    let amount = parse_counter_amount(sale.amount_eur).map_err(|_| AppError::Pos(PosError::InvalidAmount))?;
    if sale.note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::Pos(PosError::NoteTooLong));
    }
    check_free_text(TextField::Note, sale.note).map_err(|error| {
        tracing::info!(%error, "POS sale refused: note");
        AppError::Pos(PosError::UnsafeNote)
    })?;
    let note = sale.note.trim();
    let is_admin = auth.user.as_ref().is_some_and(|user| user.role == Role::Admin);
    let max_eur = service.pos_max_amount_eur();
    if !is_admin && amount > max_eur {
        tracing::info!(%amount, %max_eur, "POS sale refused: above pos_max_amount_eur");
        return Err(AppError::Pos(PosError::OverTillMaximum));
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
        .await
        .map_err(super::web_error::for_cashier)?;
    let invoice = created.invoice;
    let payment_request = invoice.payment_request.clone().ok_or_else(|| {
        tracing::warn!(invoice = %invoice.id, "POS sale without a payment request from the node");
        AppError::Pos(PosError::NotConfirmed)
    })?;
    let warnings = cashier_warnings(created.warnings);
    Ok(PosSale {
        invoice_id: invoice.id.clone(),
        payment_request,
        amount_eur: format!("{:.2}", invoice.amount_eur),
        amount_sat: invoice.amount_sat(),
        eur_per_btc: invoice.rate_eur_per_btc.to_string(),
        rate_source: invoice.rate_source.clone(),
        rate_is_fallback: invoice.rate_is_fallback,
        rate_state: RateState::of_recorded(&invoice.rate_source, invoice.rate_is_fallback),
        expires_at: invoice.expires_at,
        server_now: crate::time::now_secs(),
        low_inbound: !warnings.is_empty(),
        warnings,
    })
}

/// The sale's warnings a cashier sees: the rate's own (fallback, stale, demo, providers
/// disagreeing; every one names the rate in `EUR/BTC`) are logged instead, since the QR screen
/// labels the rate's kind and their detail (which provider failed, why) is for the manager.
fn cashier_warnings(warnings: Vec<String>) -> Vec<String> {
    warnings
        .into_iter()
        .filter(|warning| {
            let about_the_rate = warning.contains("EUR/BTC");
            if about_the_rate {
                tracing::info!(%warning, "POS sale at a flagged rate");
            }
            !about_the_rate
        })
        .collect()
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
}
