//! Import of Italian FatturaPA electronic invoices (FatturaElettronica 1.2.x,
//! `versione` FPA12 or FPR12) into [`ImportedInvoice`] records.
//!
//! Entry point: [`parse_fattura`]. Parsing is all-or-nothing per file, refuses DTDs
//! (XXE / entity expansion), signed `.p7m` envelopes and files over
//! [`MAX_FATTURA_BYTES`], and never uses floating point for amounts.

mod document;
mod error;
mod input_checks;
mod values;
mod xml_tree;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use error::FatturaPaError;
pub use input_checks::MAX_FATTURA_BYTES;

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
    /// Sum of `DatiRitenuta/ImportoRitenuta` (withholding tax), 0 if none.
    pub ritenuta_eur: Decimal,
    /// `DatiBollo/ImportoBollo` (stamp duty), 0 if none.
    pub bollo_eur: Decimal,
    /// Sum of every `DatiPagamento/DettaglioPagamento/ImportoPagamento`, if any are present.
    pub importo_pagamento_eur: Option<Decimal>,
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
}

/// Source of [`ImportedInvoice::totale_eur`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TotaleSource {
    /// Read from `DatiGeneraliDocumento/ImportoTotaleDocumento`.
    ImportoTotaleDocumento,
    /// `ImportoTotaleDocumento` was absent: sum of every `DatiRiepilogo`
    /// `ImponibileImporto` + `Imposta`.
    DatiRiepilogo,
}

impl ImportedInvoice {
    /// Amount the customer has to pay, in EUR: the sum of the payment instalments when
    /// `DatiPagamento` is present, else `totale − ritenuta + bollo`.
    pub fn amount_due_eur(&self) -> Decimal {
        match self.importo_pagamento_eur {
            Some(importo) => importo,
            // Each term has at most 15 integer digits, far from Decimal's 28-digit range.
            None => self.totale_eur - self.ritenuta_eur + self.bollo_eur,
        }
    }
}

/// Parses one FatturaPA XML file into one invoice per `FatturaElettronicaBody`.
///
/// `file_name` is used in error messages and to recognise `.p7m` files. Any problem
/// rejects the whole file; no partial result is returned.
pub fn parse_fattura(bytes: &[u8], file_name: &str) -> Result<Vec<ImportedInvoice>, FatturaPaError> {
    let input = input_checks::check_input(bytes, file_name)?;
    let root = xml_tree::parse_tree(input, bytes, file_name)?;
    document::extract_invoices(&root, bytes, file_name)
}
