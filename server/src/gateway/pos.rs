//! The POS part of the gateway's backend: EUR amount → Lightning invoice (the POS screen draws
//! its QR code from the BOLT11 itself).

use std::str::FromStr;

use app::auth::Role;
use app::i18n::amount_refusal;
use app::model::{
    check_free_text, parse_amount_cents, AmountError, InvoiceStatus, PosSale, RateState, TextField, TillView, VatRate,
};
use app::{AppError, PosError, Refusal};
use rust_decimal::Decimal;

use crate::counter::{split_gross, CounterError, CounterService, SaleRecord};
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
    /// The IVA rate as sent (`22`, `0:N2`); the till's default when `None` or empty.
    pub vat_rate: Option<&'a str>,
    /// The tip as typed; none when `None` or empty.
    pub tip_eur: Option<&'a str>,
    /// The till's name; the default till when `None` or empty.
    pub till: Option<&'a str>,
}

/// A tip as typed: empty or zero is no tip; otherwise the one amount parser's rules.
pub fn parse_tip(text: Option<&str>) -> Result<Decimal, PosError> {
    let text = text.unwrap_or("").trim();
    if text.is_empty() {
        return Ok(Decimal::ZERO);
    }
    match parse_amount_cents(text) {
        Ok(_) => parse_counter_amount(text).map_err(|_| PosError::InvalidTip),
        Err(AmountError::Zero) => Ok(Decimal::ZERO),
        Err(error) => {
            tracing::info!(%error, "POS sale refused: tip");
            Err(PosError::InvalidTip)
        }
    }
}

/// The shop's tills as the POS lists them, the default one first; the one this tablet is paired
/// to (its `device` token, when it sent one) is marked.
pub async fn tills(counter: &CounterService, device: Option<&str>) -> Result<Vec<TillView>, AppError> {
    let paired = match device {
        Some(token) => counter.device_till(token).await?.map(|till| till.id),
        None => None,
    };
    let tills = counter.tills().await?;
    Ok(tills
        .into_iter()
        .enumerate()
        .map(|(i, till)| TillView {
            paired: paired == Some(till.id),
            name: till.name,
            vat_rate: till.vat_rate,
            is_default: i == 0,
        })
        .collect())
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
    counter: &CounterService,
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
    let tip_eur = parse_tip(sale.tip_eur).map_err(AppError::Pos)?;
    // A paired tablet's sales go to its till whatever the request names (issue 36): `till` is
    // ignored, not refused, so a POS screen with a till chosen before pairing keeps working.
    let paired = match auth.device.as_deref() {
        Some(token) => {
            let till = counter.device_till(token).await?;
            if till.is_some() {
                if let Err(error) = counter.touch_device(token).await {
                    tracing::warn!(%error, "cannot note the paired tablet's last sale");
                }
            }
            till
        }
        None => None,
    };
    let till = match paired {
        Some(till) => Ok(till),
        None => counter.till_for_sale(sale.till).await,
    };
    let till = till.map_err(|error| match error {
        CounterError::UnknownTill(_) => {
            tracing::info!(%error, "POS sale refused: till");
            AppError::Pos(PosError::UnknownTill)
        }
        other => other.into(),
    })?;
    let vat_rate = match sale.vat_rate.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => VatRate::parse(text).ok_or_else(|| {
            tracing::info!(vat_rate = %text, "POS sale refused: IVA rate");
            AppError::Pos(PosError::InvalidVatRate)
        })?,
        None => VatRate::parse(&till.vat_rate).unwrap_or(VatRate::STANDARD),
    };
    let split = split_gross(amount, vat_rate);
    // The invoice asks for the gross and the tip; limits apply to what the customer pays.
    let total_eur = split.gross_eur + tip_eur;
    if parse_amount_cents(&format!("{total_eur:.2}")).is_err() {
        return Err(AppError::Pos(PosError::AmountTooLarge));
    }
    let is_admin = auth.user.as_ref().is_some_and(|user| user.role == Role::Admin);
    let max_eur = service.pos_max_amount_eur();
    if !is_admin && total_eur > max_eur {
        tracing::info!(%total_eur, %max_eur, "POS sale refused: above pos_max_amount_eur");
        return Err(AppError::Pos(PosError::OverTillMaximum));
    }
    let cashier = auth.user.as_ref().map_or("", |user| user.username.as_str());
    let created = service
        .create_from(
            CreateRequest {
                amount_eur: Some(total_eur),
                description: Some(if note.is_empty() {
                    crate::counter::UNNOTED_SALE_MEMO.to_string()
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
    let record = SaleRecord {
        invoice_id: &invoice.id,
        till: &till,
        cashier,
        vat_rate,
        split,
        tip_eur,
        created_at: invoice.created_at,
    };
    if let Err(error) = counter.record_sale(&record).await {
        // A sale the day's figures would miss must not be paid: cancel its invoice.
        tracing::error!(invoice = %invoice.id, %error, "POS sale not recorded at the counter; cancelling its invoice");
        if let Err(cancel) = service.cancel(&invoice.id).await {
            tracing::error!(invoice = %invoice.id, error = %cancel, "cannot cancel the unrecorded POS sale");
        }
        return Err(AppError::Pos(PosError::Busy));
    }
    let warnings = cashier_warnings(created.warnings);
    Ok(PosSale {
        invoice_id: invoice.id.clone(),
        payment_request,
        amount_eur: format!("{:.2}", invoice.amount_eur),
        gross_eur: format!("{:.2}", split.gross_eur),
        vat_eur: format!("{:.2}", split.vat_eur),
        vat_rate: vat_rate.code(),
        tip_eur: format!("{tip_eur:.2}"),
        till: till.name.clone(),
        cashier: cashier.to_string(),
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

    #[test]
    fn tips_are_optional_amounts() {
        assert_eq!(parse_tip(None), Ok(Decimal::ZERO));
        assert_eq!(parse_tip(Some(" ")), Ok(Decimal::ZERO));
        assert_eq!(parse_tip(Some("0,00")), Ok(Decimal::ZERO));
        assert_eq!(parse_tip(Some("1,50")), Ok(Decimal::new(150, 2)));
        for bad in ["-1", "1,505", "abc", "1e2", "+1"] {
            assert_eq!(parse_tip(Some(bad)), Err(PosError::InvalidTip), "{bad}");
        }
    }
}
