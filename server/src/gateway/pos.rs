//! The POS part of the gateway's backend: EUR amount → Lightning invoice (the POS screen draws
//! its QR code from the BOLT11 itself).

use std::str::FromStr;

use app::model::{InvoiceStatus, PosSale, RateState};
use app::{AppError, PosError};
use rust_decimal::Decimal;

use app::auth::Role;

use crate::invoices::{CreateRequest, InvoiceService};
use crate::store::{InvoiceOrigin, LnInvoice};

use super::guard::RequestAuth;

/// Longest note accepted with a POS sale, characters.
pub const MAX_NOTE_CHARS: usize = 120;

/// Parses an amount typed at the counter: `12.50` or `12,50`, at most two decimals.
pub fn parse_counter_amount(text: &str) -> Result<Decimal, AppError> {
    let cleaned = text.trim().replace(',', ".");
    let amount = Decimal::from_str(&cleaned)
        .map_err(|_| AppError::Invalid(format!("'{}' is not an amount in EUR: type it like 12,50", text.trim())))?;
    Ok(amount)
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
/// Refusals are [`PosError`] codes for the cashier; their detail goes to the log.
pub async fn charge(
    service: &InvoiceService,
    amount_eur: &str,
    note: &str,
    expiry_minutes: u64,
) -> Result<PosSale, AppError> {
    let amount = parse_counter_amount(amount_eur).map_err(|error| {
        tracing::info!(%error, "POS sale refused");
        AppError::Pos(PosError::InvalidAmount)
    })?;
    let note = note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::Pos(PosError::NoteTooLong));
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
        warnings: cashier_warnings(created.warnings),
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
    fn counter_amounts_accept_a_comma() -> Result<(), AppError> {
        assert_eq!(parse_counter_amount("12,50")?, Decimal::new(1250, 2));
        assert_eq!(parse_counter_amount(" 7 ")?, Decimal::new(7, 0));
        assert!(parse_counter_amount("12,5,0").is_err());
        assert!(parse_counter_amount("NaN").is_err());
        assert!(parse_counter_amount("").is_err());
        Ok(())
    }
}
