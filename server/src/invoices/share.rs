//! Sharing an invoice with the client: the courtesy copy (copia di cortesia) PDF of the fattura,
//! whose QR code and link open the payment page. Every copy carries the live link of the invoice
//! (or of its fattura), derived again from the link key (see `links`), so an earlier copy's QR
//! keeps working; a new link is made only when none is live or the live one cannot be derived
//! again (made before tokens were derived: it is then replaced once).
//! Emailing it goes through the mail outbox (`outbox`).

use rust_decimal::Decimal;

use super::links::{payment_url, target_of, LinkError, LinkService};
use crate::mail::OutgoingMail;
use crate::render::{courtesy_pdf, CourtesyCopy, Line, Party, VatSummary};
use crate::store::{Fattura, FatturaBreakdown, LnInvoice, StoreError};

/// Where the payment link of a Lightning invoice (or of its fattura) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// A link is live.
    Live,
    /// Every link made was revoked.
    Revoked,
    /// No link was ever made (POS sales never get one).
    None,
}

impl LinkState {
    /// `live`, `revoked` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Live => "live",
            LinkState::Revoked => "revoked",
            LinkState::None => "none",
        }
    }
}

/// The email that carries a payment link and its courtesy copy, in Italian and English.
pub fn share_email(to: &str, numero: &str, due_eur: Decimal, url: &str, pdf: Vec<u8>) -> OutgoingMail {
    OutgoingMail {
        to: to.to_string(),
        subject: format!("Fattura {numero}: pagamento con Lightning / payment with Lightning"),
        body: format!(
            "Gentile cliente,\n\nper pagare la fattura {numero} ({due_eur} EUR) con Bitcoin Lightning apra questo link:\n{url}\n\nLa pagina mostra l'importo in sat al cambio del momento, il codice QR per il wallet e conferma il pagamento. In allegato la copia di cortesia della fattura (il documento fiscale è quello trasmesso tramite SdI).\n\n---\n\nDear client,\n\nto pay invoice {numero} ({due_eur} EUR) with Bitcoin Lightning, open this link:\n{url}\n\nThe page shows the amount in sats at the current rate and the QR code for your wallet, and confirms the payment. The courtesy copy of the invoice is attached.\n"
        ),
        pdf: Some((format!("fattura-{}.pdf", numero.replace(['/', '\\', ' '], "-")), pdf)),
    }
}

/// A courtesy copy made for a client.
#[derive(Debug)]
pub struct SharedCopy {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The payment link its QR code opens.
    pub payment_url: String,
    /// The numero shown (the fattura's, or the invoice id).
    pub numero: String,
    /// What the client is asked to pay now, EUR.
    pub due_eur: Decimal,
}

/// The withholdings of a fattura as the importer found them (`TipoRitenuta`, amount), or its
/// total withholding when the types are not known.
fn withholdings(fattura: &Fattura) -> Vec<(String, Decimal)> {
    let typed: Vec<(String, Decimal)> = fattura
        .due_detail
        .iter()
        .flat_map(|d| d.derivation.iter())
        .filter_map(|step| {
            let tipo = step.what.strip_prefix("− withholding tax (ritenuta")?;
            Some((tipo.trim_end_matches(')').trim().to_string(), -step.amount_eur))
        })
        .collect();
    if typed.is_empty() && !fattura.ritenuta_eur.is_zero() {
        return vec![(String::new(), fattura.ritenuta_eur)];
    }
    typed
}

/// The lines of a fattura as the courtesy copy prints them; an invoice added by hand has one
/// line whose IVA rate is not known, printed blank.
fn printed_lines(fattura: &Fattura, breakdown: &FatturaBreakdown) -> Vec<Line> {
    let rate_known = fattura.source != "manual";
    breakdown
        .lines
        .iter()
        .map(|line| Line {
            number: line.number,
            description: line.description.clone(),
            quantity: line.quantity,
            unit: line.unit.clone(),
            unit_price_eur: Some(line.unit_price_eur),
            vat_percent: rate_known.then_some(line.vat_percent),
            natura: line.natura.clone(),
            total_eur: line.total_eur,
        })
        .collect()
}

/// The fattura of `invoice` (if any) with its lines and IVA summary.
pub(super) async fn fattura_of(
    store: &crate::store::Store,
    invoice: &LnInvoice,
) -> Result<(Option<Fattura>, FatturaBreakdown), StoreError> {
    let Some(fid) = invoice.fattura_id else {
        return Ok((None, FatturaBreakdown::default()));
    };
    let fattura = store.fattura(fid).await?;
    let breakdown = match fattura {
        Some(_) => store.fattura_breakdown(fid).await?,
        None => FatturaBreakdown::default(),
    };
    Ok((fattura, breakdown))
}

/// The courtesy copy's content for `invoice` (and its fattura with its lines and IVA summary, if any).
pub(super) fn copy_of(
    invoice: &LnInvoice,
    fattura: Option<&Fattura>,
    breakdown: &FatturaBreakdown,
    seller: Party,
    url: String,
) -> CourtesyCopy {
    match fattura {
        Some(f) => CourtesyCopy {
            numero: f.numero.clone(),
            date: f.data.format("%Y-%m-%d").to_string(),
            seller: Party {
                vat_number: seller
                    .vat_number
                    .clone()
                    .or_else(|| (!f.cedente_piva.is_empty()).then(|| f.cedente_piva.clone())),
                ..seller
            },
            client: Party {
                name: f.client_name.clone(),
                vat_number: f.client_piva.clone(),
                tax_code: f.client_cf.clone(),
                address: None,
            },
            description: f.description.clone(),
            lines: printed_lines(f, breakdown),
            vat_summary: breakdown
                .vat_summary
                .iter()
                .map(|row| VatSummary {
                    vat_percent: row.vat_percent,
                    natura: row.natura.clone(),
                    taxable_eur: row.taxable_eur,
                    vat_eur: row.vat_eur,
                })
                .collect(),
            total_eur: f.totale_eur,
            withholdings: withholdings(f),
            bollo_eur: f.bollo_eur,
            due_eur: f.outstanding_eur(),
            payment_url: url,
        },
        None => CourtesyCopy {
            numero: invoice.id.clone(),
            date: crate::time::rfc3339(invoice.created_at)
                .get(..10)
                .unwrap_or_default()
                .to_string(),
            seller,
            client: Party::default(),
            description: invoice.memo.clone(),
            lines: Vec::new(),
            vat_summary: Vec::new(),
            total_eur: invoice.amount_eur,
            withholdings: Vec::new(),
            bollo_eur: Decimal::ZERO,
            due_eur: invoice.amount_eur,
            payment_url: url,
        },
    }
}

impl LinkService {
    /// The courtesy copy of Lightning invoice `id` carrying `url`, a link made already (the
    /// one an email was just queued with): no new link.
    pub async fn courtesy_copy_with(&self, id: &str, seller: Party, url: String) -> Result<SharedCopy, LinkError> {
        let invoice = self.linkable(id).await?;
        let (fattura, breakdown) = fattura_of(self.store(), &invoice).await?;
        let copy = copy_of(&invoice, fattura.as_ref(), &breakdown, seller, url.clone());
        Ok(SharedCopy {
            pdf: courtesy_pdf(&copy)?,
            payment_url: url,
            numero: copy.numero,
            due_eur: copy.due_eur,
        })
    }

    /// The courtesy copy of Lightning invoice `id` with its live payment link under
    /// `public_base_url` (the same on every copy), or a new one when none is live or the live one
    /// cannot be shown again (it is then replaced).
    pub async fn courtesy_copy(&self, id: &str, seller: Party, public_base_url: &str) -> Result<SharedCopy, LinkError> {
        let invoice = self.linkable(id).await?;
        let (fattura, breakdown) = fattura_of(self.store(), &invoice).await?;
        let target = target_of(&invoice);
        let link = self.current_or_new(&target).await?;
        self.store()
            .ensure_payment_link(&target, link.stored(), crate::time::now_secs())
            .await?;
        let url = payment_url(Some(public_base_url), &link.token);
        let copy = copy_of(&invoice, fattura.as_ref(), &breakdown, seller, url.clone());
        Ok(SharedCopy {
            pdf: courtesy_pdf(&copy)?,
            payment_url: url,
            numero: copy.numero,
            due_eur: copy.due_eur,
        })
    }
}

impl LinkService {
    /// Where the payment link of Lightning invoice `id` (of its fattura, if it has one) stands.
    pub async fn link_state(&self, id: &str) -> Result<LinkState, LinkError> {
        let Some(invoice) = self.store().ln_invoice(id).await? else {
            return Err(LinkError::UnknownLnInvoice(id.to_string()));
        };
        let target = target_of(&invoice);
        if self.store().live_payment_link(&target).await?.is_some() {
            return Ok(LinkState::Live);
        }
        Ok(match self.store().latest_payment_link(&target).await? {
            Some(_) => LinkState::Revoked,
            None => LinkState::None,
        })
    }
}
