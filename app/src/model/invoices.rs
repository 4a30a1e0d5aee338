//! EUR invoices ("fatture") and our Lightning invoices as the Invoices page lists and shows them.

use serde::{Deserialize, Serialize};

use super::pos::InvoiceStatus;
use super::state::InvoiceState;

/// An EUR invoice ("fattura") as the Invoices page lists it. Amounts are exact decimal text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FatturaView {
    /// Row id.
    pub id: i64,
    /// Invoice number.
    pub numero: String,
    /// Year of the invoice date.
    pub anno: i32,
    /// Invoice date, `YYYY-MM-DD`.
    pub data: String,
    /// Client name.
    pub client: String,
    /// What the invoice is for.
    pub description: String,
    /// What the client has to pay in all, EUR.
    pub due_eur: String,
    /// Paid so far, EUR.
    pub paid_eur: String,
    /// Still to be paid, EUR.
    pub outstanding_eur: String,
    /// `unpaid`, `partially paid` or `paid`.
    pub status: String,
}

/// One of our Lightning invoices as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LnInvoiceView {
    /// Our id (`INV-001-LN`, `LN-000001`).
    pub id: String,
    /// Numero of the EUR invoice it collects ('' for standalone/POS invoices).
    pub numero: String,
    /// Client of that EUR invoice ('' when none).
    pub client: String,
    /// EUR amount.
    pub amount_eur: String,
    /// Amount in whole sats.
    pub amount_sat: u64,
    /// The locked EUR per BTC.
    pub rate_eur_per_btc: String,
    /// Its state when read.
    pub state: InvoiceState,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
    /// Expiry time, RFC 3339 UTC.
    pub expires_at: String,
}

/// One Lightning invoice with what is needed to get it paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LnInvoiceInfo {
    /// The listed facts.
    pub invoice: LnInvoiceView,
    /// BOLT11 payment request ('' while the node has not confirmed it); the page draws its QR code.
    pub payment_request: String,
    /// What was paid, whole sats.
    pub amount_paid_sat: u64,
    /// The memo in the invoice.
    pub memo: String,
    /// True when creating returned an existing payable invoice for the same amount.
    pub reused: bool,
    /// Loud warnings (fallback rate, low inbound capacity, an older invoice cancelled), as
    /// catalogue texts (`notice.*`) the page words.
    pub warnings: Vec<super::Refusal>,
    /// The provider answers its locked rate came from, those dropped and those failed.
    pub rate_evidence: Vec<RateEvidenceView>,
    /// Once paid: the EUR per BTC in force at settlement ('' when unpaid or none was cached).
    pub settle_rate_eur_per_btc: String,
    /// Where that rate came from ('' when unpaid or none was cached).
    pub settle_rate_source: String,
    /// Its payment link: `live`, `revoked` or `none` (POS sales have none).
    pub link_state: String,
    /// Its live payment link (of its fattura, if it has one), derived again from the gateway's
    /// link key; '' when none is live, for a POS sale, or for a link made before the key (or under
    /// another gateway's key), which cannot be shown again.
    pub payment_url: String,
    /// The client's email or PEC from its FatturaPA file ('' when unknown).
    pub client_email: String,
    /// The emails of its payment link (this invoice's and its fattura's), newest first.
    pub emails: Vec<MailView>,
}

/// One email of the mail outbox, as the share card lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    /// Its number in the outbox.
    pub id: i64,
    /// The recipient.
    pub to: String,
    /// `queued`, `sent` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When it was queued, RFC 3339 UTC.
    pub queued_at: String,
    /// When the SMTP server took it, or when the next attempt is due, RFC 3339 UTC ('' when it
    /// failed).
    pub at: String,
    /// The last failure as a code the page words (`unreachable`, `refused`, `bad_address`,
    /// `setup`, `nothing_due`; '' when none). The server's own words stay in the log and the CLI.
    pub error_code: String,
}

/// One provider's part in a locked rate, as the invoice detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateEvidenceView {
    /// Provider name ("kraken", "bitstamp", …).
    pub provider: String,
    /// `used`, `dropped` or `failed`.
    pub verdict: String,
    /// The price it answered, EUR per BTC, exact decimal text ('' when it failed).
    pub eur_per_btc: String,
    /// When its answer arrived, RFC 3339 UTC with milliseconds ('' when it failed).
    pub answered_at: String,
    /// Why it was dropped or failed (`invoices.evidence.*`), as data the page words; the recorded
    /// English account is in `openfatture lightning invoice status` and the export.
    pub reason: Option<super::Refusal>,
}

impl LnInvoiceInfo {
    /// The invoice's state as the POS and the live event stream carry it.
    pub fn status(&self) -> InvoiceStatus {
        InvoiceStatus {
            invoice_id: self.invoice.id.clone(),
            state: self.invoice.state,
            amount_paid_sat: self.amount_paid_sat,
        }
    }
}

/// How an imported EUR invoice's amount due was found and how it is to be paid, for the
/// Invoices page. Amounts are exact decimal text; dates `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FatturaDueView {
    /// True when the amount due is what the document's `ImportoPagamento` asks.
    pub from_importo_pagamento: bool,
    /// The computation from the document's figures, step by step.
    pub derivation: Vec<DueStepView>,
    /// The computation's result, EUR.
    pub computed_eur: String,
    /// The instalments of `DatiPagamento`, in document order, with how much of each is paid.
    pub installments: Vec<InstallmentView>,
    /// What to collect next when there are several instalments (the rest of the first one not
    /// yet paid), or `None`.
    pub next_installment_eur: Option<String>,
    /// `DatiBollo/ImportoBollo`, information only (never added), EUR ('0.00' when none).
    pub bollo_eur: String,
    /// Set when `ImportoPagamento` and the computation disagree (both figures in it).
    pub warning: Option<String>,
    /// Credit notes that reduced the amount due.
    pub credit_notes: Vec<CreditNoteView>,
    /// Who signed the `.p7m` file it came from (signature verified), if signed.
    pub signer: Option<SignerView>,
}

/// A credit note that reduced an invoice's amount due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteView {
    /// The credit note, `numero/anno`.
    pub note: String,
    /// How much it took off, EUR.
    pub amount_eur: String,
}

/// One step of an amount-due computation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueStepView {
    /// What the step is: `total`, `rounding`, `taxable`, `vat`, `withholding`, `split_vat`,
    /// `gross` (a fattura semplificata's amount including IVA) or `other`.
    pub kind: String,
    /// `TipoRitenuta` for a withholding step (`RT01`…), else ''.
    pub detail: String,
    /// Path of the source element in the document.
    pub element: String,
    /// The amount added (negative when subtracted), EUR.
    pub amount_eur: String,
}

/// One instalment of `DatiPagamento/DettaglioPagamento`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallmentView {
    /// `DataScadenzaPagamento`, `YYYY-MM-DD`, or '' when the document gives none.
    pub due_date: String,
    /// `ImportoPagamento`, EUR.
    pub amount_eur: String,
    /// Paid of it so far (instalments are paid in document order), EUR.
    pub paid_eur: String,
    /// `TP01` instalments, `TP02` full, `TP03` advance.
    pub condizioni: String,
}

/// The signer of a `.p7m` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerView {
    /// The certificate subject (RFC 4514).
    pub subject: String,
    /// Start of the certificate's validity, RFC 3339.
    pub not_before: String,
    /// End of the certificate's validity, RFC 3339.
    pub not_after: String,
}

/// What the back office's upload did with one FatturaPA file (or one file of a `.zip`), as the
/// gateway's upload route `POST /api/admin/fatture/import?name=FILE` answers (a JSON array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFileView {
    /// The file name (`archive.zip/inner.xml` for a file of an archive).
    pub file: String,
    /// `imported` (stored or already present), `skipped` (nothing to collect), `refused`
    /// (nothing of it stored), `ignored` (a receipt or another file of an archive).
    pub status: String,
    /// Why it was refused or ignored (`import.*` catalogue codes), as data the page words.
    pub reason: Option<super::Refusal>,
    /// One entry per document in the file.
    pub documents: Vec<ImportedDocumentView>,
}

/// What the upload did with one document of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedDocumentView {
    /// `numero/anno`.
    pub invoice: String,
    /// `TipoDocumento`.
    pub tipo_documento: String,
    /// `imported`, `already_present`, `already_present_differs`, `skipped`, `credit_applied`.
    pub outcome: String,
    /// The amount due, EUR ('' when none).
    pub due_eur: String,
    /// Why it was skipped, what differs, or a warning (`import.*` catalogue codes), as data.
    pub note: Option<super::Refusal>,
}

/// An EUR invoice typed by hand in the back office (amounts as typed; date `YYYY-MM-DD`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFatturaForm {
    /// Invoice number.
    pub numero: String,
    /// Invoice date, `YYYY-MM-DD` ('' for today).
    pub data: String,
    /// Client name.
    pub client: String,
    /// Client VAT number (P.IVA) or fiscal code (CF) ('' when none).
    pub client_tax_id: String,
    /// Document total, EUR, as typed (`12,50` or `12.50`).
    pub amount_eur: String,
    /// What the invoice is for.
    pub description: String,
}

/// A payment link as the share card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLinkView {
    /// The Lightning invoice it was made for.
    pub invoice_id: String,
    /// The live link, derived again from the gateway's link key ('' when none is live, or when the
    /// live one was made before the key or under another gateway's key and cannot be shown again).
    pub payment_url: String,
    /// `live`, `revoked` or `none`.
    pub link_state: String,
    /// Where it was emailed ('' when it was not).
    pub emailed_to: String,
    /// The email's state when one was queued now: `sent`, `queued` (to be tried again) or
    /// `failed` ('' when no email was asked).
    pub mail_state: String,
    /// Why its last attempt failed, a code like [`MailView::error_code`] ('' when none).
    pub mail_error: String,
}

/// A fattura's lines (`DettaglioLinee`) and IVA summary (`DatiRiepilogo`) as the back office shows
/// them (issue 35); both empty when they are not known (an invoice added by hand, or imported
/// before lines were kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FatturaLinesView {
    /// The lines, in document order.
    pub lines: Vec<FatturaLineView>,
    /// The IVA summary, in document order.
    pub vat_summary: Vec<VatSummaryView>,
}

/// One line of a fattura.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FatturaLineView {
    /// `NumeroLinea`.
    pub number: u32,
    /// `Descrizione`.
    pub description: String,
    /// `Quantita` ('' when the document gives none).
    pub quantity: String,
    /// `UnitaMisura` ('' when none).
    pub unit: String,
    /// `PrezzoUnitario`, EUR (two decimals unless the document has more).
    pub unit_price_eur: String,
    /// `AliquotaIVA`, percent.
    pub vat_percent: String,
    /// `Natura` ('' when the line bears IVA).
    pub natura: String,
    /// `PrezzoTotale`, EUR.
    pub total_eur: String,
}

/// One row of a fattura's IVA summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatSummaryView {
    /// `AliquotaIVA`, percent.
    pub vat_percent: String,
    /// `Natura` ('' when none).
    pub natura: String,
    /// `ImponibileImporto`, EUR.
    pub taxable_eur: String,
    /// `Imposta`, EUR.
    pub vat_eur: String,
    /// `EsigibilitaIVA` (`I`, `D`, `S`; '' when none).
    pub esigibilita: String,
}
