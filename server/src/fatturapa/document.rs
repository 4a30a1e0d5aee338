//! Reading the FatturaPA 1.2 structure (header, bodies) out of a parsed XML tree.

use rust_decimal::Decimal;

use super::error::{clip, FatturaPaError};
use super::input_checks::line_col;
use super::values::{parse_amount_eur, parse_date, parse_decimal};
use super::xml_tree::Element;
use super::{Cliente, DueStep, ImportedInvoice, Installment, InvoiceLine, TotaleSource, VatSummaryRow};

const ROOT: &str = "FatturaElettronica";
const SUPPORTED_VERSIONI: [&str; 2] = ["FPA12", "FPR12"];
/// Root of the fattura semplificata (TD07, TD08, TD09), `versione` FSM10.
const ROOT_SEMPLIFICATA: &str = "FatturaElettronicaSemplificata";
const VERSIONE_SEMPLIFICATA: &str = "FSM10";
/// `String20Type`: longest invoice number allowed by the schema.
const MAX_NUMERO_CHARS: usize = 20;
/// `String28Type`: longest `IdCodice` allowed by the schema.
const MAX_ID_CODICE_CHARS: usize = 28;

/// File-wide context for error messages.
struct Ctx<'a> {
    file: &'a str,
    original: &'a [u8],
}

/// An element together with its path from the root, for precise error messages.
struct Node<'a> {
    element: &'a Element,
    path: String,
    ctx: &'a Ctx<'a>,
}

impl<'a> Node<'a> {
    fn line(&self) -> usize {
        line_col(self.ctx.original, self.element.offset).0
    }

    fn child_path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.path)
        }
    }

    fn child(&self, element: &'a Element, path: String) -> Node<'a> {
        Node {
            element,
            path,
            ctx: self.ctx,
        }
    }

    /// Every child with this name, with 1-based indexes in their paths (`Name[i]`).
    fn all(&self, name: &str) -> Vec<Node<'a>> {
        self.element
            .children
            .iter()
            .filter(|c| c.name == name)
            .enumerate()
            .map(|(i, c)| self.child(c, self.child_path(&format!("{name}[{}]", i + 1))))
            .collect()
    }

    /// The child with this name, if present; more than one is an error.
    fn opt(&self, name: &str) -> Result<Option<Node<'a>>, FatturaPaError> {
        let mut matches = self.element.children.iter().filter(|c| c.name == name);
        let Some(first) = matches.next() else {
            return Ok(None);
        };
        if let Some(second) = matches.next() {
            return Err(FatturaPaError::Duplicate {
                file: self.ctx.file.to_owned(),
                path: self.child_path(name),
                count: 2 + matches.count(),
                line: line_col(self.ctx.original, second.offset).0,
            });
        }
        Ok(Some(self.child(first, self.child_path(name))))
    }

    /// The child with this name; absent is a [`FatturaPaError::Missing`].
    fn req(&self, name: &str) -> Result<Node<'a>, FatturaPaError> {
        self.opt(name)?.ok_or_else(|| self.missing(name))
    }

    fn missing(&self, what: &str) -> FatturaPaError {
        FatturaPaError::Missing {
            file: self.ctx.file.to_owned(),
            path: self.child_path(what),
        }
    }

    /// Trimmed text of a leaf element; empty text or child elements are errors.
    fn text(&self) -> Result<String, FatturaPaError> {
        if let Some(first) = self.element.children.first() {
            return Err(self.invalid(
                self.element.text.trim(),
                &format!("expected a text value, found a child element <{}>", clip(&first.name)),
            ));
        }
        let value = self.element.text.trim();
        if value.is_empty() {
            return Err(self.invalid("", "the element is empty; a value is required"));
        }
        Ok(value.to_owned())
    }

    fn req_text(&self, name: &str) -> Result<(String, Node<'a>), FatturaPaError> {
        let node = self.req(name)?;
        Ok((node.text()?, node))
    }

    fn opt_text(&self, name: &str) -> Result<Option<(String, Node<'a>)>, FatturaPaError> {
        match self.opt(name)? {
            Some(node) => Ok(Some((node.text()?, node))),
            None => Ok(None),
        }
    }

    fn invalid(&self, value: &str, reason: &str) -> FatturaPaError {
        FatturaPaError::InvalidValue {
            file: self.ctx.file.to_owned(),
            path: self.path.clone(),
            value: clip(value),
            line: self.line(),
            reason: reason.to_owned(),
        }
    }

    /// Parses this element's text as a euro amount in whole cents.
    fn amount(&self, value: &str) -> Result<Decimal, FatturaPaError> {
        parse_amount_eur(value).map_err(|reason| self.bad_decimal(value, reason))
    }

    fn bad_decimal(&self, value: &str, reason: String) -> FatturaPaError {
        FatturaPaError::InvalidDecimal {
            file: self.ctx.file.to_owned(),
            path: self.path.clone(),
            value: clip(value),
            line: self.line(),
            reason,
        }
    }
}

/// Adds amounts, reporting overflow against `node` (cannot happen within the file size limit).
fn add(sum: Decimal, amount: Decimal, node: &Node<'_>, value: &str) -> Result<Decimal, FatturaPaError> {
    sum.checked_add(amount)
        .ok_or_else(|| node.bad_decimal(value, "the sum of the amounts overflows".into()))
}

/// Turns the parsed tree into one [`ImportedInvoice`] per `FatturaElettronicaBody`.
pub(crate) fn extract_invoices(
    root: &Element,
    original: &[u8],
    file: &str,
) -> Result<Vec<ImportedInvoice>, FatturaPaError> {
    let ctx = Ctx { file, original };
    if root.name == ROOT_SEMPLIFICATA {
        return extract_semplificata(root, &ctx);
    }
    if root.name != ROOT {
        return Err(FatturaPaError::NotFatturaPa {
            file: file.to_owned(),
            root: clip(&root.name),
        });
    }
    let versione = root.attribute("versione").map(str::trim);
    let versione = match versione {
        Some(v) if SUPPORTED_VERSIONI.contains(&v) => v,
        other => {
            return Err(FatturaPaError::UnsupportedVersione {
                file: file.to_owned(),
                found: clip(other.unwrap_or("(missing)")),
            });
        }
    };
    let root = Node {
        element: root,
        path: String::new(),
        ctx: &ctx,
    };
    let header = root.req("FatturaElettronicaHeader")?;
    check_formato(&header, versione)?;

    let cedente = header.req("CedentePrestatore")?.req("DatiAnagrafici")?;
    let cedente_piva = id_fiscale_iva(&cedente.req("IdFiscaleIVA")?)?;
    let cedente_denominazione = anagrafica_name(&cedente.req("Anagrafica")?)?;
    let cessionario = header.req("CessionarioCommittente")?;
    let mut cliente = cliente(&cessionario.req("DatiAnagrafici")?)?;
    cliente.email = client_email(&header, &cessionario)?;

    let bodies = root.all("FatturaElettronicaBody");
    if bodies.is_empty() {
        return Err(root.missing("FatturaElettronicaBody"));
    }
    bodies
        .iter()
        .map(|body| {
            let parts = read_body(body)?;
            Ok(ImportedInvoice {
                numero: parts.numero,
                anno: chrono::Datelike::year(&parts.data),
                data: parts.data,
                tipo_documento: parts.tipo_documento,
                divisa: parts.divisa,
                cedente_piva: cedente_piva.clone(),
                cedente_denominazione: cedente_denominazione.clone(),
                cliente: cliente.clone(),
                descrizione: parts.descrizione,
                totale_eur: parts.totale_eur,
                totale_source: parts.totale_source,
                ritenuta_eur: parts.ritenuta_eur,
                bollo_eur: parts.bollo_eur,
                importo_pagamento_eur: parts.importo_pagamento_eur,
                split_payment_iva_eur: parts.split_payment_iva_eur,
                installments: parts.installments,
                derivation: parts.derivation,
                collegate: parts.collegate,
                lines: parts.lines,
                vat_summary: parts.vat_summary,
            })
        })
        .collect()
}

/// `DatiTrasmissione/FormatoTrasmissione`, when present, must agree with `@versione`.
fn check_formato(header: &Node<'_>, versione: &str) -> Result<(), FatturaPaError> {
    let Some(dati) = header.opt("DatiTrasmissione")? else {
        return Ok(());
    };
    match dati.opt_text("FormatoTrasmissione")? {
        Some((formato, node)) if formato != versione => Err(node.invalid(
            &formato,
            &format!("must equal FatturaElettronica/@versione ({versione})"),
        )),
        _ => Ok(()),
    }
}

/// `IdFiscaleIVA` → `IdPaese` + `IdCodice`.
fn id_fiscale_iva(node: &Node<'_>) -> Result<String, FatturaPaError> {
    let (paese, paese_node) = node.req_text("IdPaese")?;
    if paese.len() != 2 || !paese.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(paese_node.invalid(&paese, "expected a two-letter upper-case country code, e.g. IT"));
    }
    let (codice, codice_node) = node.req_text("IdCodice")?;
    if codice.chars().count() > MAX_ID_CODICE_CHARS || codice.chars().any(char::is_whitespace) {
        return Err(codice_node.invalid(
            &codice,
            &format!("expected at most {MAX_ID_CODICE_CHARS} characters without spaces"),
        ));
    }
    Ok(format!("{paese}{codice}"))
}

/// `Anagrafica` → `Denominazione`, or `Nome Cognome`.
fn anagrafica_name(node: &Node<'_>) -> Result<String, FatturaPaError> {
    if let Some((denominazione, _)) = node.opt_text("Denominazione")? {
        return Ok(denominazione);
    }
    let nome = node.opt_text("Nome")?;
    let cognome = node.opt_text("Cognome")?;
    match (nome, cognome) {
        (Some((nome, _)), Some((cognome, _))) => Ok(format!("{nome} {cognome}")),
        (Some(_), None) => Err(node.missing("Cognome")),
        (None, Some(_)) => Err(node.missing("Nome")),
        (None, None) => Err(node.missing("Denominazione (or Nome and Cognome)")),
    }
}

/// `CessionarioCommittente/DatiAnagrafici` → [`Cliente`]; needs a VAT id or a tax code.
fn cliente(node: &Node<'_>) -> Result<Cliente, FatturaPaError> {
    let piva = match node.opt("IdFiscaleIVA")? {
        Some(id) => Some(id_fiscale_iva(&id)?),
        None => None,
    };
    let codice_fiscale = match node.opt_text("CodiceFiscale")? {
        Some((cf, cf_node)) => {
            let cf = cf.to_ascii_uppercase();
            if !(11..=16).contains(&cf.len()) || !cf.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(cf_node.invalid(&cf, "expected 11 to 16 letters and digits"));
            }
            Some(cf)
        }
        None => None,
    };
    if piva.is_none() && codice_fiscale.is_none() {
        return Err(node.missing("IdFiscaleIVA (or CodiceFiscale)"));
    }
    let denominazione = anagrafica_name(&node.req("Anagrafica")?)?;
    Ok(Cliente {
        denominazione,
        piva,
        codice_fiscale,
        email: None,
    })
}

/// The client's address for email: `CessionarioCommittente/Contatti/Email` or `PEC`, else
/// `DatiTrasmissione/PECDestinatario`; only text shaped like an address (`x@y.z`, no spaces).
fn client_email(header: &Node<'_>, cessionario: &Node<'_>) -> Result<Option<String>, FatturaPaError> {
    let shaped = |text: String| {
        let text = text.trim().to_string();
        let ok = text.len() <= 256
            && !text.chars().any(char::is_whitespace)
            && text
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.contains('@'));
        ok.then_some(text)
    };
    if let Some(contatti) = cessionario.opt("Contatti")? {
        for name in ["Email", "PEC"] {
            if let Some(found) = contatti.opt_text(name)?.and_then(|(text, _)| shaped(text)) {
                return Ok(Some(found));
            }
        }
    }
    if let Some(dati) = header.opt("DatiTrasmissione")? {
        if let Some(found) = dati.opt_text("PECDestinatario")?.and_then(|(text, _)| shaped(text)) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Fields read from one `FatturaElettronicaBody`.
struct BodyParts {
    numero: String,
    data: chrono::NaiveDate,
    tipo_documento: String,
    divisa: String,
    descrizione: String,
    totale_eur: Decimal,
    totale_source: TotaleSource,
    ritenuta_eur: Decimal,
    bollo_eur: Decimal,
    importo_pagamento_eur: Option<Decimal>,
    split_payment_iva_eur: Decimal,
    installments: Vec<Installment>,
    derivation: Vec<DueStep>,
    collegate: Vec<String>,
    lines: Vec<InvoiceLine>,
    vat_summary: Vec<VatSummaryRow>,
}

fn read_body(body: &Node<'_>) -> Result<BodyParts, FatturaPaError> {
    let generali = body.req("DatiGenerali")?.req("DatiGeneraliDocumento")?;

    let (tipo_documento, divisa, data, numero) = identity(&generali)?;

    let mut ritenuta_steps = Vec::new();
    let mut ritenuta_eur = Decimal::ZERO;
    for ritenuta in generali.all("DatiRitenuta") {
        let (text, node) = ritenuta.req_text("ImportoRitenuta")?;
        let amount = node.amount(&text)?;
        ritenuta_eur = add(ritenuta_eur, amount, &node, &text)?;
        let tipo = ritenuta
            .opt_text("TipoRitenuta")?
            .map(|(tipo, _)| format!(" {tipo}"))
            .unwrap_or_default();
        ritenuta_steps.push(DueStep {
            what: format!("− withholding tax (ritenuta{tipo})"),
            element: node.path.clone(),
            amount_eur: -amount,
        });
    }

    let bollo_eur = match generali.opt("DatiBollo")? {
        Some(bollo) => match bollo.opt_text("ImportoBollo")? {
            Some((text, node)) => node.amount(&text)?,
            None => Decimal::ZERO,
        },
        None => Decimal::ZERO,
    };

    let beni_servizi = body.opt("DatiBeniServizi")?;
    let mut derivation = Vec::new();
    let (totale_eur, totale_source) = match generali.opt_text("ImportoTotaleDocumento")? {
        Some((text, node)) => {
            let total = node.amount(&text)?;
            derivation.push(DueStep {
                what: "document total".into(),
                element: node.path.clone(),
                amount_eur: total,
            });
            (total, TotaleSource::ImportoTotaleDocumento)
        }
        None => {
            let mut total = riepilogo_total(body, beni_servizi.as_ref(), &mut derivation)?;
            if let Some((text, node)) = generali.opt_text("Arrotondamento")? {
                let amount = node.amount(&text)?;
                total = add(total, amount, &node, &text)?;
                derivation.push(DueStep {
                    what: "document rounding".into(),
                    element: node.path.clone(),
                    amount_eur: amount,
                });
            }
            (total, TotaleSource::DatiRiepilogo)
        }
    };
    derivation.extend(ritenuta_steps);
    let split_payment_iva_eur = split_payment_iva(beni_servizi.as_ref(), &mut derivation)?;

    let descrizione = descrizione(&generali, body, beni_servizi.as_ref())?;
    let (importo_pagamento_eur, installments) = importo_pagamento(body)?;
    let collegate = collegate(body)?;
    let (lines, vat_summary) = match beni_servizi.as_ref() {
        Some(beni) => (dettaglio_linee(beni)?, riepiloghi(beni)?),
        None => (Vec::new(), Vec::new()),
    };

    Ok(BodyParts {
        numero,
        data,
        tipo_documento,
        divisa,
        descrizione,
        totale_eur,
        totale_source,
        ritenuta_eur,
        bollo_eur,
        importo_pagamento_eur,
        split_payment_iva_eur,
        installments,
        derivation,
        collegate,
        lines,
        vat_summary,
    })
}

impl Node<'_> {
    /// Parses this element's text as a decimal of up to 8 places (`Amount8DecimalType`, `RateType`,
    /// `QuantitaType`).
    fn decimal(&self, value: &str) -> Result<Decimal, FatturaPaError> {
        parse_decimal(value).map_err(|reason| self.bad_decimal(value, reason))
    }

    /// The optional text child `name`, trimmed.
    fn opt_string(&self, name: &str) -> Result<Option<String>, FatturaPaError> {
        Ok(self.opt_text(name)?.map(|(text, _)| text))
    }

    /// `AliquotaIVA` (a percent between 0 and 100) and `Natura` of a line or summary row.
    fn rate(&self) -> Result<(Decimal, Option<String>), FatturaPaError> {
        let (text, node) = self.req_text("AliquotaIVA")?;
        let rate = node.decimal(&text)?;
        if rate < Decimal::ZERO || rate > Decimal::ONE_HUNDRED {
            return Err(node.invalid(&text, "an IVA rate is a percent between 0 and 100, e.g. 22.00"));
        }
        // The SdI already checks that a 0 % rate carries its Natura: not refused twice here.
        let natura = self.opt_string("Natura")?;
        Ok((rate, natura))
    }
}

/// Every `DettaglioLinee` of a `DatiBeniServizi`, in document order.
fn dettaglio_linee(beni: &Node<'_>) -> Result<Vec<InvoiceLine>, FatturaPaError> {
    let mut lines = Vec::new();
    for linea in beni.all("DettaglioLinee") {
        let (numero_text, numero_node) = linea.req_text("NumeroLinea")?;
        let number = numero_text
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| numero_node.invalid(&numero_text, "expected a line number from 1 (e.g. 1)"))?;
        let description = linea.req_text("Descrizione")?.0;
        let quantity = match linea.opt_text("Quantita")? {
            Some((text, node)) => Some(node.decimal(&text)?),
            None => None,
        };
        let (text, node) = linea.req_text("PrezzoUnitario")?;
        let unit_price_eur = node.decimal(&text)?;
        let (text, node) = linea.req_text("PrezzoTotale")?;
        let total_eur = node.decimal(&text)?;
        let (vat_percent, natura) = linea.rate()?;
        lines.push(InvoiceLine {
            number,
            description,
            quantity,
            unit: linea.opt_string("UnitaMisura")?,
            unit_price_eur,
            total_eur,
            vat_percent,
            natura,
        });
    }
    Ok(lines)
}

/// Every `DatiRiepilogo` of a `DatiBeniServizi`, in document order.
fn riepiloghi(beni: &Node<'_>) -> Result<Vec<VatSummaryRow>, FatturaPaError> {
    let mut rows = Vec::new();
    for riepilogo in beni.all("DatiRiepilogo") {
        let (vat_percent, natura) = riepilogo.rate()?;
        let (text, node) = riepilogo.req_text("ImponibileImporto")?;
        let taxable_eur = node.amount(&text)?;
        let (text, node) = riepilogo.req_text("Imposta")?;
        let vat_eur = node.amount(&text)?;
        rows.push(VatSummaryRow {
            vat_percent,
            natura,
            taxable_eur,
            vat_eur,
            esigibilita: riepilogo.opt_string("EsigibilitaIVA")?,
        });
    }
    Ok(rows)
}

/// `TipoDocumento`, `Divisa` (EUR only), `Data` and `Numero` of a `DatiGeneraliDocumento`.
fn identity(generali: &Node<'_>) -> Result<(String, String, chrono::NaiveDate, String), FatturaPaError> {
    let (tipo_documento, tipo_node) = generali.req_text("TipoDocumento")?;
    let tipo_ok = tipo_documento.len() == 4
        && tipo_documento.starts_with("TD")
        && tipo_documento
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !tipo_ok {
        return Err(tipo_node.invalid(&tipo_documento, "expected a document type code such as TD01"));
    }

    let (divisa, divisa_node) = generali.req_text("Divisa")?;
    if divisa != "EUR" {
        return Err(FatturaPaError::UnsupportedCurrency {
            file: divisa_node.ctx.file.to_owned(),
            path: divisa_node.path.clone(),
            divisa: clip(&divisa),
            line: divisa_node.line(),
        });
    }

    let (data_text, data_node) = generali.req_text("Data")?;
    let data = parse_date(&data_text).map_err(|reason| FatturaPaError::InvalidDate {
        file: data_node.ctx.file.to_owned(),
        path: data_node.path.clone(),
        value: clip(&data_text),
        line: data_node.line(),
        reason,
    })?;

    let (numero, numero_node) = generali.req_text("Numero")?;
    if numero.chars().count() > MAX_NUMERO_CHARS {
        return Err(numero_node.invalid(&numero, &format!("longer than {MAX_NUMERO_CHARS} characters")));
    }

    Ok((tipo_documento, divisa, data, numero))
}

/// Sum of `ImponibileImporto + Imposta` over every `DatiRiepilogo`, each term a derivation step.
fn riepilogo_total(
    body: &Node<'_>,
    beni_servizi: Option<&Node<'_>>,
    derivation: &mut Vec<DueStep>,
) -> Result<Decimal, FatturaPaError> {
    let missing =
        || body.missing("DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento (or DatiBeniServizi/DatiRiepilogo)");
    let riepiloghi = beni_servizi.ok_or_else(missing)?.all("DatiRiepilogo");
    if riepiloghi.is_empty() {
        return Err(missing());
    }
    let mut total = Decimal::ZERO;
    for riepilogo in &riepiloghi {
        for (field, what) in [("ImponibileImporto", "taxable amount"), ("Imposta", "VAT")] {
            let (text, node) = riepilogo.req_text(field)?;
            let amount = node.amount(&text)?;
            total = add(total, amount, &node, &text)?;
            derivation.push(DueStep {
                what: format!("+ {what}"),
                element: node.path.clone(),
                amount_eur: amount,
            });
        }
    }
    Ok(total)
}

/// First non-empty `Causale`, else the first `DettaglioLinee/Descrizione`.
fn descrizione(
    generali: &Node<'_>,
    body: &Node<'_>,
    beni_servizi: Option<&Node<'_>>,
) -> Result<String, FatturaPaError> {
    let causale = generali
        .all("Causale")
        .into_iter()
        .map(|node| node.element.text.trim().to_owned())
        .find(|text| !text.is_empty());
    if let Some(causale) = causale {
        return Ok(causale);
    }
    let missing =
        || body.missing("DatiBeniServizi/DettaglioLinee/Descrizione (or DatiGenerali/DatiGeneraliDocumento/Causale)");
    let beni_servizi = beni_servizi.ok_or_else(missing)?;
    let first_line = beni_servizi
        .all("DettaglioLinee")
        .into_iter()
        .next()
        .ok_or_else(missing)?;
    Ok(first_line.req_text("Descrizione")?.0)
}

/// Sum of the `Imposta` of every `DatiRiepilogo` with `EsigibilitaIVA = S` (split payment: the
/// public administration pays that VAT to the Erario, not to the seller), each a derivation step.
fn split_payment_iva(
    beni_servizi: Option<&Node<'_>>,
    derivation: &mut Vec<DueStep>,
) -> Result<Decimal, FatturaPaError> {
    let Some(beni_servizi) = beni_servizi else {
        return Ok(Decimal::ZERO);
    };
    let mut total = Decimal::ZERO;
    for riepilogo in beni_servizi.all("DatiRiepilogo") {
        let split = matches!(riepilogo.opt_text("EsigibilitaIVA")?, Some((esigibilita, _)) if esigibilita == "S");
        if !split {
            continue;
        }
        let (text, node) = riepilogo.req_text("Imposta")?;
        let amount = node.amount(&text)?;
        total = add(total, amount, &node, &text)?;
        derivation.push(DueStep {
            what: "− split-payment VAT (EsigibilitaIVA S, paid by the client to the Erario)".into(),
            element: node.path.clone(),
            amount_eur: -amount,
        });
    }
    Ok(total)
}

/// `DatiFattureCollegate/IdDocumento` of the body: the invoices a credit note refers to.
fn collegate(body: &Node<'_>) -> Result<Vec<String>, FatturaPaError> {
    let generali = body.req("DatiGenerali")?;
    let mut numeri = Vec::new();
    for collegata in generali.all("DatiFattureCollegate") {
        if let Some((numero, _)) = collegata.opt_text("IdDocumento")? {
            numeri.push(numero);
        }
    }
    Ok(numeri)
}

/// What the `DatiPagamento` blocks ask: the sum of their instalments (`None` without any
/// `DatiPagamento`) and the instalments themselves. Under `TP02` (payment in full), several
/// `DettaglioPagamento` lines with one same amount are alternative ways to pay that amount
/// (e.g. two bank accounts), so it is counted once. Several blocks (a TP03 advance and TP01
/// instalments) add up.
fn importo_pagamento(body: &Node<'_>) -> Result<(Option<Decimal>, Vec<Installment>), FatturaPaError> {
    let pagamenti = body.all("DatiPagamento");
    if pagamenti.is_empty() {
        return Ok((None, Vec::new()));
    }
    let mut total = Decimal::ZERO;
    let mut installments = Vec::new();
    for pagamento in &pagamenti {
        let condizioni = pagamento
            .opt_text("CondizioniPagamento")?
            .map(|(c, _)| c)
            .unwrap_or_default();
        let dettagli = pagamento.all("DettaglioPagamento");
        if dettagli.is_empty() {
            return Err(pagamento.missing("DettaglioPagamento"));
        }
        let mut lines = Vec::new();
        for dettaglio in &dettagli {
            let (text, node) = dettaglio.req_text("ImportoPagamento")?;
            let amount = node.amount(&text)?;
            let scadenza = match dettaglio.opt_text("DataScadenzaPagamento")? {
                Some((text, node)) => Some(parse_date(&text).map_err(|reason| FatturaPaError::InvalidDate {
                    file: node.ctx.file.to_owned(),
                    path: node.path.clone(),
                    value: clip(&text),
                    line: node.line(),
                    reason,
                })?),
                None => None,
            };
            let modalita = dettaglio.opt_text("ModalitaPagamento")?.map(|(m, _)| m);
            lines.push((
                Installment {
                    condizioni: condizioni.clone(),
                    modalita,
                    scadenza,
                    amount_eur: amount,
                    element: node.path.clone(),
                },
                node,
                text,
            ));
        }
        let alternatives = condizioni == "TP02"
            && lines.len() > 1
            && lines.iter().all(|(l, _, _)| l.amount_eur == lines[0].0.amount_eur);
        if alternatives {
            lines.truncate(1);
        }
        for (installment, node, text) in lines {
            total = add(total, installment.amount_eur, &node, &text)?;
            installments.push(installment);
        }
    }
    Ok((Some(total), installments))
}

/// The fattura semplificata (`FatturaElettronicaSemplificata`, FSM10): one invoice per body,
/// whose amount is the sum of its `DatiBeniServizi/Importo` (each including IVA).
fn extract_semplificata(root: &Element, ctx: &Ctx<'_>) -> Result<Vec<ImportedInvoice>, FatturaPaError> {
    let file = ctx.file;
    match root.attribute("versione").map(str::trim) {
        Some(VERSIONE_SEMPLIFICATA) => {}
        other => {
            return Err(FatturaPaError::UnsupportedVersione {
                file: file.to_owned(),
                found: clip(other.unwrap_or("(missing)")),
            });
        }
    }
    let root = Node {
        element: root,
        path: String::new(),
        ctx,
    };
    let header = root.req("FatturaElettronicaHeader")?;
    check_formato(&header, VERSIONE_SEMPLIFICATA)?;
    let cedente = header.req("CedentePrestatore")?;
    let cedente_piva = id_fiscale_iva(&cedente.req("IdFiscaleIVA")?)?;
    let cedente_denominazione = anagrafica_name(&cedente)?;
    let cessionario = header.req("CessionarioCommittente")?;
    let identificativi = cessionario.req("IdentificativiFiscali")?;
    let piva = match identificativi.opt("IdFiscaleIVA")? {
        Some(id) => Some(id_fiscale_iva(&id)?),
        None => None,
    };
    let codice_fiscale = identificativi
        .opt_text("CodiceFiscale")?
        .map(|(cf, _)| cf.to_ascii_uppercase());
    if piva.is_none() && codice_fiscale.is_none() {
        return Err(identificativi.missing("IdFiscaleIVA (or CodiceFiscale)"));
    }
    let denominazione = match cessionario.opt("AltriDatiIdentificativi")? {
        Some(altri) => anagrafica_name(&altri)?,
        None => piva.clone().or_else(|| codice_fiscale.clone()).unwrap_or_default(),
    };
    let cliente = Cliente {
        denominazione,
        piva,
        codice_fiscale,
        email: None,
    };
    let bodies = root.all("FatturaElettronicaBody");
    if bodies.is_empty() {
        return Err(root.missing("FatturaElettronicaBody"));
    }
    let mut invoices = Vec::new();
    for body in &bodies {
        let generali_all = body.req("DatiGenerali")?;
        let generali = generali_all.req("DatiGeneraliDocumento")?;
        let (tipo_documento, divisa, data, numero) = identity(&generali)?;
        let mut totale_eur = Decimal::ZERO;
        let mut derivation = Vec::new();
        let mut descrizione = None;
        let beni = body.all("DatiBeniServizi");
        if beni.is_empty() {
            return Err(body.missing("DatiBeniServizi"));
        }
        for bene in &beni {
            if descrizione.is_none() {
                descrizione = Some(bene.req_text("Descrizione")?.0);
            }
            let (text, node) = bene.req_text("Importo")?;
            let amount = node.amount(&text)?;
            totale_eur = add(totale_eur, amount, &node, &text)?;
            derivation.push(DueStep {
                what: "+ amount including IVA".into(),
                element: node.path.clone(),
                amount_eur: amount,
            });
        }
        let mut collegate = Vec::new();
        for rettificata in generali_all.all("DatiFatturaRettificata") {
            collegate.push(rettificata.req_text("NumeroFR")?.0);
        }
        invoices.push(ImportedInvoice {
            numero,
            anno: chrono::Datelike::year(&data),
            data,
            tipo_documento,
            divisa,
            cedente_piva: cedente_piva.clone(),
            cedente_denominazione: cedente_denominazione.clone(),
            cliente: cliente.clone(),
            descrizione: descrizione.unwrap_or_default(),
            totale_eur,
            totale_source: TotaleSource::SemplificataImporti,
            ritenuta_eur: Decimal::ZERO,
            bollo_eur: Decimal::ZERO,
            importo_pagamento_eur: None,
            split_payment_iva_eur: Decimal::ZERO,
            installments: Vec::new(),
            derivation,
            collegate,
            lines: Vec::new(),
            vat_summary: Vec::new(),
        });
    }
    Ok(invoices)
}
