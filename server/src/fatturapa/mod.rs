//! Import of Italian FatturaPA electronic invoices (FatturaElettronica 1.2.x,
//! `versione` FPA12 or FPR12, and the fattura semplificata, FSM10) into [`ImportedInvoice`]
//! records, with the amount due by the document's own rules.
//!
//! Entry points: [`parse_fattura_file`] (plain XML or signed `.p7m`), [`parse_fattura`] (XML)
//! and [`unpack_zip`] (archives). Parsing is all-or-nothing per file, refuses DTDs
//! (XXE / entity expansion) and files over [`MAX_FATTURA_BYTES`], and never uses floating
//! point for amounts.

mod archive;
mod ber;
mod document;
mod error;
mod input_checks;
mod p7m;
mod values;
mod xml_tree;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use archive::{
    is_zip, unpack_zip, ArchiveEntry, MAX_ARCHIVE_BYTES, MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_UNPACKED_BYTES,
    MAX_COMPRESSION_RATIO,
};
pub use error::FatturaPaError;
pub use input_checks::MAX_FATTURA_BYTES;
pub use p7m::Signer;

/// One invoice (one `FatturaElettronicaBody`) read from a FatturaPA file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedInvoice {
    /// Invoice number (`DatiGeneraliDocumento/Numero`), trimmed.
    pub numero: String,
    /// Invoice date (`DatiGeneraliDocumento/Data`).
    pub data: NaiveDate,
    /// Year of [`Self::data`]; invoice numbers are unique per seller and year.
    pub anno: i32,
    /// Document type code, e.g. `TD01` (invoice), `TD04` (credit note), `TD06` (parcella).
    pub tipo_documento: String,
    /// Currency code (`Divisa`); always `EUR`, other currencies are rejected.
    pub divisa: String,
    /// Seller VAT id as `IdPaese` + `IdCodice`, e.g. `IT01234567890`.
    pub cedente_piva: String,
    /// Seller name: `Denominazione`, or `Nome Cognome` for a sole trader.
    pub cedente_denominazione: String,
    /// The customer (`CessionarioCommittente`).
    pub cliente: Cliente,
    /// First `Causale`, or else the first `DettaglioLinee/Descrizione`, trimmed.
    pub descrizione: String,
    /// Document total in EUR, see [`Self::totale_source`] for where it came from.
    pub totale_eur: Decimal,
    /// Where [`Self::totale_eur`] came from.
    pub totale_source: TotaleSource,
    /// Sum of every `DatiRitenuta/ImportoRitenuta` (withholding taxes, e.g. RT01 and RT02), 0 if none.
    pub ritenuta_eur: Decimal,
    /// `DatiBollo/ImportoBollo` (stamp duty paid by the seller), 0 if none. Information only: it is
    /// never added to the amount due (a seller who re-charges it does so with a line).
    pub bollo_eur: Decimal,
    /// What `DatiPagamento` asks: the sum of the instalments, alternative TP02 lines counted once;
    /// `None` without `DatiPagamento`.
    pub importo_pagamento_eur: Option<Decimal>,
    /// Sum of the `Imposta` of riepiloghi with `EsigibilitaIVA = S` (split payment), 0 if none.
    pub split_payment_iva_eur: Decimal,
    /// The instalments of `DatiPagamento`, in document order (alternative TP02 lines once).
    pub installments: Vec<Installment>,
    /// The computed amount due, step by step, each with its source element (see [`Self::computed_due_eur`]).
    pub derivation: Vec<DueStep>,
    /// `DatiFattureCollegate/IdDocumento`: the invoice numbers this document refers to (credit notes).
    pub collegate: Vec<String>,
    /// `DatiBeniServizi/DettaglioLinee`, in document order (empty for a fattura semplificata).
    #[serde(default)]
    pub lines: Vec<InvoiceLine>,
    /// `DatiBeniServizi/DatiRiepilogo`, in document order (empty for a fattura semplificata).
    #[serde(default)]
    pub vat_summary: Vec<VatSummaryRow>,
}

/// One `DettaglioLinee` of a fattura. Quantities and prices keep the document's own decimals
/// (up to 8, `Amount8DecimalType`); never floating point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// `NumeroLinea`.
    pub number: u32,
    /// `Descrizione`, trimmed.
    pub description: String,
    /// `Quantita`, if given.
    pub quantity: Option<Decimal>,
    /// `UnitaMisura`, if given.
    pub unit: Option<String>,
    /// `PrezzoUnitario`, EUR.
    pub unit_price_eur: Decimal,
    /// `PrezzoTotale` (before IVA), EUR.
    pub total_eur: Decimal,
    /// `AliquotaIVA`, percent (0 with a `Natura`).
    pub vat_percent: Decimal,
    /// `Natura` (`N1`…`N7`) of a 0 % line, if given.
    pub natura: Option<String>,
}

/// One `DatiRiepilogo` (IVA summary row) of a fattura.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatSummaryRow {
    /// `AliquotaIVA`, percent.
    pub vat_percent: Decimal,
    /// `Natura` of a 0 % row, if given.
    pub natura: Option<String>,
    /// `ImponibileImporto`, EUR (whole cents).
    pub taxable_eur: Decimal,
    /// `Imposta`, EUR (whole cents).
    pub vat_eur: Decimal,
    /// `EsigibilitaIVA` (`I` immediate, `D` deferred, `S` split payment), if given.
    pub esigibilita: Option<String>,
}

/// One step of the computed amount due: a signed amount and the element it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueStep {
    /// What the step is, e.g. `document total` or `− withholding tax (ritenuta RT01)`.
    pub what: String,
    /// Path of the source element, e.g. `FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento`.
    pub element: String,
    /// The amount added (negative when subtracted), EUR.
    pub amount_eur: Decimal,
}

/// One instalment of `DatiPagamento/DettaglioPagamento`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    /// `CondizioniPagamento` of its block: `TP01` instalments, `TP02` full, `TP03` advance.
    pub condizioni: String,
    /// `ModalitaPagamento`, e.g. `MP05` (bank transfer), if given.
    pub modalita: Option<String>,
    /// `DataScadenzaPagamento`, if given.
    pub scadenza: Option<NaiveDate>,
    /// `ImportoPagamento`, EUR.
    pub amount_eur: Decimal,
    /// Path of its `ImportoPagamento`.
    pub element: String,
}

/// How an invoice's amount due was found, kept with the stored invoice for `invoice show`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDetail {
    /// True when the amount due is what `DatiPagamento/ImportoPagamento` asks; false when computed.
    pub from_importo_pagamento: bool,
    /// The computation from the document's figures, step by step.
    pub derivation: Vec<DueStep>,
    /// The computation's result, EUR.
    pub computed_eur: Decimal,
    /// The instalments of `DatiPagamento`.
    pub installments: Vec<Installment>,
    /// `DatiBollo/ImportoBollo`, information only (never added), EUR.
    pub bollo_eur: Decimal,
    /// Set when `DatiPagamento` and the computation disagree.
    pub warning: Option<String>,
    /// Credit notes that reduced the amount due: `numero/anno: amount EUR`.
    pub credit_notes: Vec<String>,
    /// Who signed the `.p7m` file the invoice came from (content digest checked), if signed.
    #[serde(default)]
    pub signed_by: Option<Signer>,
}

impl DueDetail {
    /// What to collect next when the invoice has several installments: the rest of the first
    /// installment not yet covered by `paid_eur` (installments are paid in document order),
    /// never more than `due_eur − paid_eur`. `None` with fewer than two installments or when
    /// nothing is left.
    pub fn next_installment_eur(&self, due_eur: Decimal, paid_eur: Decimal) -> Option<Decimal> {
        if self.installments.len() < 2 {
            return None;
        }
        let outstanding = due_eur - paid_eur;
        if outstanding <= Decimal::ZERO {
            return None;
        }
        let mut through = Decimal::ZERO;
        for installment in &self.installments {
            through += installment.amount_eur;
            if through > paid_eur {
                return Some((through - paid_eur).min(outstanding));
            }
        }
        Some(outstanding)
    }
}

/// What kind of document a `TipoDocumento` is, for collecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentKind {
    /// An invoice to collect from the client (TD01-03, TD05-07, TD09, TD24-26).
    Collectible,
    /// A credit note (TD04, TD08): reduces an invoice, never collected.
    CreditNote,
    /// Reverse-charge integrations and self-invoices (TD16-TD23, TD27, TD28): nothing is collected.
    SelfInvoice,
    /// TD29: the buyer's communication of an omitted or wrong invoice: nothing is collected.
    BuyerCommunication,
    /// A code this importer does not know.
    Unknown,
}

impl DocumentKind {
    /// The kind of a `TipoDocumento` code.
    pub fn of(tipo_documento: &str) -> DocumentKind {
        match tipo_documento {
            "TD01" | "TD02" | "TD03" | "TD05" | "TD06" | "TD07" | "TD09" | "TD24" | "TD25" | "TD26" => {
                DocumentKind::Collectible
            }
            "TD04" | "TD08" => DocumentKind::CreditNote,
            "TD16" | "TD17" | "TD18" | "TD19" | "TD20" | "TD21" | "TD22" | "TD23" | "TD27" | "TD28" => {
                DocumentKind::SelfInvoice
            }
            "TD29" => DocumentKind::BuyerCommunication,
            _ => DocumentKind::Unknown,
        }
    }
}

/// The customer of an invoice (`CessionarioCommittente/DatiAnagrafici`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cliente {
    /// `Denominazione`, or `Nome Cognome` for a private person.
    pub denominazione: String,
    /// VAT id as `IdPaese` + `IdCodice` (e.g. `IT01234567890`), if given.
    pub piva: Option<String>,
    /// Italian tax code (`CodiceFiscale`), upper-cased, if given.
    pub codice_fiscale: Option<String>,
    /// Where to write to the client: `CessionarioCommittente/Contatti/Email` (or `PEC`), else
    /// `DatiTrasmissione/PECDestinatario`, if given and shaped like an address.
    pub email: Option<String>,
}

/// Source of [`ImportedInvoice::totale_eur`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TotaleSource {
    /// Read from `DatiGeneraliDocumento/ImportoTotaleDocumento`.
    ImportoTotaleDocumento,
    /// `ImportoTotaleDocumento` was absent: sum of every `DatiRiepilogo`
    /// `ImponibileImporto` + `Imposta`, plus the document's `Arrotondamento`.
    DatiRiepilogo,
    /// A fattura semplificata (FSM10): the sum of every `DatiBeniServizi/Importo` (IVA included).
    SemplificataImporti,
}

impl ImportedInvoice {
    /// Amount the customer has to pay, in EUR: what `DatiPagamento` asks when present (the
    /// merchant's own statement), else [`Self::computed_due_eur`]. The bollo is never added.
    pub fn amount_due_eur(&self) -> Decimal {
        self.importo_pagamento_eur.unwrap_or_else(|| self.computed_due_eur())
    }

    /// The amount due by the document's figures: total − every ritenuta − split-payment VAT.
    pub fn computed_due_eur(&self) -> Decimal {
        // Each term has at most 15 integer digits, far from Decimal's 28-digit range.
        self.totale_eur - self.ritenuta_eur - self.split_payment_iva_eur
    }

    /// When `DatiPagamento` disagrees with the computation: a warning quoting both figures.
    pub fn due_warning(&self) -> Option<String> {
        let asked = self.importo_pagamento_eur?;
        let computed = self.computed_due_eur();
        (asked != computed).then(|| {
            format!(
                "invoice {}/{}: DatiPagamento asks {asked} EUR but the document's figures give {computed} EUR \
                 (total − ritenute − split-payment VAT); {asked} EUR is used",
                self.numero, self.anno
            )
        })
    }

    /// The derivation of [`Self::amount_due_eur`], to store with the invoice.
    pub fn due_detail(&self) -> DueDetail {
        DueDetail {
            from_importo_pagamento: self.importo_pagamento_eur.is_some(),
            derivation: self.derivation.clone(),
            computed_eur: self.computed_due_eur(),
            installments: self.installments.clone(),
            bollo_eur: self.bollo_eur,
            warning: self.due_warning(),
            credit_notes: Vec::new(),
            signed_by: None,
        }
    }

    /// What kind of document this is (see [`DocumentKind`]).
    pub fn kind(&self) -> DocumentKind {
        DocumentKind::of(&self.tipo_documento)
    }
}

/// A parsed file: its invoices and, for a signed `.p7m`, who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    /// One invoice per `FatturaElettronicaBody`.
    pub invoices: Vec<ImportedInvoice>,
    /// The signer of a `.p7m` file (its content digest checked), `None` for plain XML.
    pub signer: Option<Signer>,
}

/// Parses one FatturaPA file, plain XML or signed `.p7m` (CAdES, DER or base64): the signed
/// content is unwrapped and its digest checked before the XML is read.
pub fn parse_fattura_file(bytes: &[u8], file_name: &str) -> Result<ParsedFile, FatturaPaError> {
    if bytes.len() > MAX_FATTURA_BYTES {
        return Err(FatturaPaError::TooLarge {
            file: file_name.to_owned(),
            size_bytes: bytes.len(),
            max_bytes: MAX_FATTURA_BYTES,
        });
    }
    if p7m::looks_signed(bytes, file_name) {
        let (content, signer) = p7m::unwrap_signed(bytes, file_name)?;
        return Ok(ParsedFile {
            invoices: parse_fattura(&content, file_name)?,
            signer: Some(signer),
        });
    }
    Ok(ParsedFile {
        invoices: parse_fattura(bytes, file_name)?,
        signer: None,
    })
}

/// Parses one FatturaPA XML file into one invoice per `FatturaElettronicaBody`.
///
/// `file_name` is used in error messages. Any problem rejects the whole file; no partial result
/// is returned. Signed files go through [`parse_fattura_file`].
pub fn parse_fattura(bytes: &[u8], file_name: &str) -> Result<Vec<ImportedInvoice>, FatturaPaError> {
    let input = input_checks::check_input(bytes, file_name)?;
    // Positions in errors count in the decoded text when the file was in another encoding.
    let original = if input.transcoded() {
        input.text.as_bytes()
    } else {
        bytes
    };
    let root = xml_tree::parse_tree(&input, original, file_name)?;
    document::extract_invoices(&root, original, file_name)
}
