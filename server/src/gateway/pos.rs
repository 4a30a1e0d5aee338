//! The POS part of the gateway's backend: EUR amount → Lightning invoice + QR code.

use std::str::FromStr;

use app::pages::pos::{InvoiceStatus, PosSale};
use app::AppError;
use fast_qr::qr::{QRBuilder, QRCode};
use rust_decimal::Decimal;

use crate::invoices::{CreateRequest, InvoiceError, InvoiceService};
use crate::store::LnInvoice;

/// Longest note accepted with a POS sale, characters.
pub const MAX_NOTE_CHARS: usize = 120;
/// Light modules around the QR code (the quiet zone QR readers need), in modules.
const QR_QUIET_ZONE_MODULES: usize = 4;

/// Parses an amount typed at the counter: `12.50` or `12,50`, at most two decimals.
pub fn parse_counter_amount(text: &str) -> Result<Decimal, AppError> {
    let cleaned = text.trim().replace(',', ".");
    let amount = Decimal::from_str(&cleaned)
        .map_err(|_| invalid(format!("'{}' is not an amount in EUR: type it like 12,50", text.trim())))?;
    Ok(amount)
}

/// The QR code of a BOLT11 invoice as a `LIGHTNING:` URI in upper case, which QR codes store in
/// the denser alphanumeric mode; error correction level M, as wallets' own QR codes use.
pub fn qr_code(payment_request: &str) -> Result<QRCode, AppError> {
    let uri = format!("lightning:{payment_request}").to_ascii_uppercase();
    QRBuilder::new(uri)
        .ecl(fast_qr::ECL::M)
        .build()
        .map_err(|e| AppError::Unavailable(format!("cannot draw the QR code: {e:?}")))
}

/// [`qr_code`] as an SVG image that scales to its container (a viewBox, no fixed size): one
/// path of horizontal runs of dark modules, which is smaller and quicker to write than a shape
/// per module.
pub fn qr_svg(payment_request: &str) -> Result<String, AppError> {
    use std::fmt::Write;
    let code = qr_code(payment_request)?;
    let n = code.size;
    let side = n + 2 * QR_QUIET_ZONE_MODULES;
    let dark = |x: usize, y: usize| code.data[y * n + x].value();
    let mut svg = String::with_capacity(n * n * 3);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if !dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && dark(x, y) {
                x += 1;
            }
            let run = x - start;
            let _ = write!(
                svg,
                "M{},{}h{run}v1h-{run}z",
                start + QR_QUIET_ZONE_MODULES,
                y + QR_QUIET_ZONE_MODULES
            );
        }
    }
    svg.push_str("\"/></svg>");
    Ok(svg)
}

/// A refusal of the request (HTTP 400): the text says which value was wrong.
fn invalid(message: String) -> AppError {
    app::auth::set_status(axum::http::StatusCode::BAD_REQUEST);
    AppError::Invalid(message)
}

/// Maps an invoice failure to what the UI shows.
pub fn invoice_error(error: InvoiceError) -> AppError {
    match error {
        InvoiceError::Lnd(e) => {
            tracing::warn!(error = %e, "Lightning node request failed");
            AppError::Lightning(e.to_string())
        }
        InvoiceError::Store(e) => {
            tracing::error!("database error: {e}");
            AppError::Unavailable("the gateway cannot use its database right now; try again".into())
        }
        InvoiceError::Rate(e) => AppError::Unavailable(e.to_string()),
        other => invalid(other.to_string()),
    }
}

/// The state DTO of a stored invoice.
pub fn state_of(invoice: &LnInvoice) -> InvoiceStatus {
    InvoiceStatus {
        invoice_id: invoice.id.clone(),
        state: invoice.state.as_str().to_string(),
        amount_paid_sat: invoice.amt_paid_msat / 1000,
    }
}

/// Creates the POS invoice and the QR screen's data.
pub async fn charge(
    service: &InvoiceService,
    amount_eur: &str,
    note: &str,
    expiry_minutes: u64,
) -> Result<PosSale, AppError> {
    let amount = parse_counter_amount(amount_eur)?;
    let note = note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(format!(
            "the note is too long: at most {MAX_NOTE_CHARS} characters"
        )));
    }
    let created = service
        .create(CreateRequest {
            amount_eur: Some(amount),
            description: Some(if note.is_empty() {
                "POS sale".to_string()
            } else {
                note.to_string()
            }),
            expiry_minutes: Some(expiry_minutes),
            ..CreateRequest::default()
        })
        .await
        .map_err(invoice_error)?;
    let invoice = created.invoice;
    let payment_request = invoice
        .payment_request
        .clone()
        .ok_or_else(|| AppError::Lightning("the node has not confirmed the invoice yet; try again".into()))?;
    Ok(PosSale {
        invoice_id: invoice.id.clone(),
        qr_svg: qr_svg(&payment_request)?,
        payment_request,
        amount_eur: format!("{:.2}", invoice.amount_eur),
        amount_sat: invoice.amount_sat(),
        eur_per_btc: invoice.rate_eur_per_btc.to_string(),
        rate_source: invoice.rate_source.clone(),
        rate_is_fallback: invoice.rate_is_fallback,
        expires_at: invoice.expires_at,
        server_now: crate::invoices::now_secs(),
        warnings: created.warnings,
    })
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

    /// Pixels per module when the test draws a QR code for the decoder.
    const PX_PER_MODULE: usize = 4;

    /// Draws `code`'s modules (with the quiet zone) as a greyscale image and decodes it.
    fn decode(code: &QRCode) -> String {
        let side = (code.size + 2 * QR_QUIET_ZONE_MODULES) * PX_PER_MODULE;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let module = |p: usize| (p / PX_PER_MODULE).checked_sub(QR_QUIET_ZONE_MODULES);
            match (module(x), module(y)) {
                (Some(mx), Some(my)) if mx < code.size && my < code.size && code.data[my * code.size + mx].value() => 0,
                _ => 255,
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        match grids[0].decode() {
            Ok((_meta, content)) => content,
            Err(e) => panic!("the QR code does not decode: {e}"),
        }
    }

    #[test]
    fn the_qr_decodes_to_the_upper_case_lightning_uri() -> Result<(), AppError> {
        // A real regtest BOLT11 length (about 300 characters) and a short one.
        let long = format!("lnbcrt277780n1p5{}", "q7sqpj".repeat(48));
        for bolt11 in ["lnbcrt1u1pexample", long.as_str()] {
            let code = qr_code(bolt11)?;
            assert_eq!(decode(&code), format!("LIGHTNING:{}", bolt11.to_ascii_uppercase()));
        }
        Ok(())
    }

    /// The dark modules the SVG's path draws, as (x, y) without the quiet zone.
    fn drawn_modules(svg: &str) -> std::collections::BTreeSet<(usize, usize)> {
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        let mut drawn = std::collections::BTreeSet::new();
        for run in d.split('M').filter(|r| !r.is_empty()) {
            let (xy, rest) = run.split_once('h').unwrap_or_default();
            let (x, y) = xy.split_once(',').unwrap_or_default();
            let width = rest.split('v').next().unwrap_or_default();
            let (x, y, width): (usize, usize, usize) = (
                x.parse().unwrap_or(0),
                y.parse().unwrap_or(0),
                width.parse().unwrap_or(0),
            );
            assert!(rest.ends_with(&format!("v1h-{width}z")), "run {run}");
            for dx in 0..width {
                drawn.insert((x + dx - QR_QUIET_ZONE_MODULES, y - QR_QUIET_ZONE_MODULES));
            }
        }
        drawn
    }

    #[test]
    fn the_svg_draws_exactly_the_dark_modules_inside_a_quiet_zone() -> Result<(), AppError> {
        let bolt11 = format!("lnbcrt277780n1p5{}", "q7sqpj".repeat(48));
        let code = qr_code(&bolt11)?;
        let svg = qr_svg(&bolt11)?;
        let side = code.size + 2 * QR_QUIET_ZONE_MODULES;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{}",
            &svg[..120]
        );
        let expected: std::collections::BTreeSet<(usize, usize)> = (0..code.size)
            .flat_map(|y| (0..code.size).map(move |x| (x, y)))
            .filter(|&(x, y)| code.data[y * code.size + x].value())
            .collect();
        assert_eq!(drawn_modules(&svg), expected);
        Ok(())
    }
}
