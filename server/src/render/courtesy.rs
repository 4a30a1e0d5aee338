//! The courtesy copy (copia di cortesia) of a fattura as a PDF: what the client reads, with the
//! payment QR pointing at the payment link (so it survives re-quotes) and the link in text, with
//! instructions in Italian and English. The fiscal document stays the FatturaPA file sent
//! through the SDI; the PDF says so.
//!
//! Written with `pdf-writer` (typst's small, dependency-light PDF writer): the standard Helvetica
//! and Courier fonts in WinAnsiEncoding (Italian accents and `€` included, no font file embedded),
//! A4; the lines flow onto further pages as the page fills. The QR code is drawn as filled squares (no image decoder needed to
//! print it). Layout positions are points (`f32`); amounts are `Decimal` text, never floats.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;

/// A4 width, points.
const PAGE_WIDTH_PT: f32 = 595.0;
/// A4 height, points.
const PAGE_HEIGHT_PT: f32 = 842.0;
/// Left and right margin, points.
const MARGIN_PT: f32 = 48.0;
/// Side of one QR module, points (a 33-module code with its quiet zone is about 4 cm).
const QR_MODULE_PT: f32 = 2.8;
/// Modules of white around the QR code.
const QR_QUIET_MODULES: usize = 4;
/// Width of a line's description column, Courier characters (longer descriptions wrap).
const DESCRIPTION_COLUMNS: usize = 36;
/// Characters of Courier 9 pt that fit between the margins.
pub(super) const TABLE_COLUMNS: usize = 92;

/// Who issued or receives the invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// Name or company name (`Denominazione`, or `Nome Cognome`).
    pub name: String,
    /// `IT` + P.IVA, when known.
    pub vat_number: Option<String>,
    /// Codice fiscale, when known.
    pub tax_code: Option<String>,
    /// Address in one line, when known.
    pub address: Option<String>,
}

/// One line of the invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// `NumeroLinea`.
    pub number: u32,
    /// What was sold.
    pub description: String,
    /// Quantity, when the document gives one.
    pub quantity: Option<Decimal>,
    /// Unit of measure (`UnitaMisura`), when given.
    pub unit: Option<String>,
    /// Unit price, EUR, when the document gives one.
    pub unit_price_eur: Option<Decimal>,
    /// IVA rate, percent, when known.
    pub vat_percent: Option<Decimal>,
    /// `Natura` of a 0 % line (`N2.2`…), when given.
    pub natura: Option<String>,
    /// Line total before IVA, EUR.
    pub total_eur: Decimal,
}

/// One row of the IVA summary (`DatiRiepilogo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatSummary {
    /// IVA rate, percent.
    pub vat_percent: Decimal,
    /// `Natura` for 0 % rows (`N2.2`…), when given.
    pub natura: Option<String>,
    /// Taxable amount, EUR.
    pub taxable_eur: Decimal,
    /// IVA, EUR.
    pub vat_eur: Decimal,
}

/// Everything the courtesy copy shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourtesyCopy {
    /// The fattura's numero.
    pub numero: String,
    /// Its date, `YYYY-MM-DD`.
    pub date: String,
    /// The seller (cedente/prestatore).
    pub seller: Party,
    /// The client (cessionario/committente).
    pub client: Party,
    /// What the invoice is for, shown when its lines are not known (an invoice added by hand).
    pub description: String,
    /// The invoice's lines (empty when not known).
    pub lines: Vec<Line>,
    /// The IVA summary (empty when not known).
    pub vat_summary: Vec<VatSummary>,
    /// `ImportoTotaleDocumento`, EUR.
    pub total_eur: Decimal,
    /// Each withholding (`TipoRitenuta`, amount EUR).
    pub withholdings: Vec<(String, Decimal)>,
    /// The stamp duty the seller paid (information only), EUR.
    pub bollo_eur: Decimal,
    /// What the client is asked to pay by Lightning now, EUR.
    pub due_eur: Decimal,
    /// The payment link the QR code opens.
    pub payment_url: String,
}

/// Why a courtesy copy could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CourtesyError {
    /// The payment link is too long for a QR code.
    #[error("the payment link is too long for a QR code ({length} characters)")]
    LinkTooLong {
        /// Its length in characters.
        length: usize,
    },
}

/// An amount in the Italian way with its unit: `1.234,50 €`.
pub(super) fn eur(amount: Decimal) -> String {
    italian_amount(amount, 2)
}

/// A price in the Italian way, keeping up to 8 decimals a unit price may have (`0,12345 €`),
/// at least 2.
fn price(amount: Decimal) -> String {
    italian_amount(amount, amount.normalize().scale().clamp(2, 8))
}

/// `amount` rounded to `places` decimals, thousands grouped with `.`, decimals after `,`, and `€`.
fn italian_amount(amount: Decimal, places: u32) -> String {
    let rounded = amount.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", places as usize, rounded.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{grouped},{cents} €")
}

/// A plain decimal in the Italian way (`22`, `1,5`), for rates and quantities.
fn plain(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

/// `YYYY-MM-DD` as `DD/MM/YYYY`.
pub(super) fn italian_date(ymd: &str) -> String {
    match ymd.splitn(3, '-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => ymd.to_string(),
    }
}

/// Text in WinAnsiEncoding (the standard fonts' encoding): Latin-1 letters as they are, `€` and
/// typographic punctuation at their WinAnsi codes, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            c if (c as u32) < 0x80 && !c.is_control() => c as u8,
            c if (0xA0..=0xFF).contains(&(c as u32)) => c as u8,
            _ => b'?',
        })
        .collect()
}

/// Cuts `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` cut or padded to exactly `width` characters.
pub(super) fn cell(text: &str, width: usize, right: bool) -> String {
    let count = text.chars().count();
    if count > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        return cut;
    }
    let pad = " ".repeat(width - count);
    if right {
        format!("{pad}{text}")
    } else {
        format!("{text}{pad}")
    }
}

/// Writes text on pages, top to bottom, starting a new page (headed by `continued`) when the
/// current one is full.
pub(super) struct Writer {
    content: Content,
    y_pt: f32,
    pages: Vec<Content>,
    continued: String,
}

impl Writer {
    pub(super) fn new(continued: String) -> Self {
        Writer {
            content: Content::new(),
            y_pt: PAGE_HEIGHT_PT - MARGIN_PT,
            pages: Vec::new(),
            continued,
        }
    }

    /// Starts a new page unless `needed_pt` still fit above the bottom margin.
    fn room(&mut self, needed_pt: f32) {
        if self.y_pt - needed_pt >= MARGIN_PT {
            return;
        }
        let full = std::mem::replace(&mut self.content, Content::new());
        self.pages.push(full);
        self.y_pt = PAGE_HEIGHT_PT - MARGIN_PT;
        let heading = self.continued.clone();
        self.line(b"F2", 11.0, &heading);
        self.gap(4.0);
    }

    /// Every page written, the current one last.
    pub(super) fn finish(mut self) -> Vec<Content> {
        self.pages.push(self.content);
        self.pages
    }

    fn text(&mut self, font: &[u8], size_pt: f32, x_pt: f32, text: &str) {
        self.content
            .begin_text()
            .set_font(Name(font), size_pt)
            .next_line(x_pt, self.y_pt)
            .show(Str(&win_ansi(text)))
            .end_text();
    }

    pub(super) fn line(&mut self, font: &[u8], size_pt: f32, text: &str) {
        self.room(size_pt * 1.35);
        self.text(font, size_pt, MARGIN_PT, text);
        self.y_pt -= size_pt * 1.35;
    }

    pub(super) fn gap(&mut self, points: f32) {
        self.y_pt -= points;
    }

    pub(super) fn party(&mut self, title: &str, party: &Party) {
        self.line(b"F2", 10.0, title);
        self.line(b"F1", 10.0, &party.name);
        if let Some(vat) = &party.vat_number {
            self.line(b"F1", 9.0, &format!("P.IVA / VAT {vat}"));
        }
        if let Some(cf) = &party.tax_code {
            self.line(b"F1", 9.0, &format!("Codice fiscale {cf}"));
        }
        if let Some(address) = &party.address {
            self.line(b"F1", 9.0, address);
        }
        self.gap(6.0);
    }

    /// Draws `url` as a QR code with its top-left corner at (`x_pt`, `top_pt`).
    fn qr(&mut self, url: &str, x_pt: f32, top_pt: f32) -> Result<f32, CourtesyError> {
        let code = fast_qr::qr::QRBuilder::new(url)
            .ecl(fast_qr::ECL::M)
            .build()
            .map_err(|_| CourtesyError::LinkTooLong {
                length: url.chars().count(),
            })?;
        let n = code.size;
        let side_pt = (n + 2 * QR_QUIET_MODULES) as f32 * QR_MODULE_PT;
        self.content.set_fill_gray(0.0);
        for y in 0..n {
            for x in 0..n {
                if code.data[y * n + x].value() {
                    let left = x_pt + (x + QR_QUIET_MODULES) as f32 * QR_MODULE_PT;
                    let top = top_pt - (y + QR_QUIET_MODULES) as f32 * QR_MODULE_PT;
                    self.content.rect(left, top - QR_MODULE_PT, QR_MODULE_PT, QR_MODULE_PT);
                }
            }
        }
        self.content.fill_nonzero();
        Ok(side_pt)
    }
}

/// The rate column of a line or summary row: `22%`, `0% N2.2`, or blank when not known.
fn rate_text(vat_percent: Option<Decimal>, natura: Option<&str>) -> String {
    match (vat_percent, natura) {
        (Some(rate), Some(natura)) => format!("{}% {natura}", plain(rate)),
        (Some(rate), None) => format!("{}%", plain(rate)),
        (None, Some(natura)) => natura.to_string(),
        (None, None) => String::new(),
    }
}

/// The table rows of an invoice line, Courier 9 pt: the first with every column, then the rest
/// of a long description, wrapped under its column.
fn line_rows(line: &Line) -> Vec<String> {
    let mut parts = wrap(&line.description, DESCRIPTION_COLUMNS).into_iter();
    let first = parts.next().unwrap_or_default();
    let quantity = match (line.quantity, &line.unit) {
        (Some(q), Some(unit)) => format!("{} {unit}", plain(q)),
        (Some(q), None) => plain(q),
        (None, _) => String::new(),
    };
    let mut rows = vec![format!(
        "{} {} {} {} {} {}",
        cell(&line.number.to_string(), 3, true),
        cell(&first, DESCRIPTION_COLUMNS, false),
        cell(&quantity, 10, true),
        cell(&line.unit_price_eur.map(price).unwrap_or_default(), 14, true),
        cell(&rate_text(line.vat_percent, line.natura.as_deref()), 8, true),
        cell(&eur(line.total_eur), 16, true),
    )];
    rows.extend(parts.map(|more| format!("    {more}")));
    rows
}

/// A label and an amount on one Courier row, the amount right-aligned.
fn total_row(label: &str, amount: Decimal) -> String {
    format!(
        "{}{}",
        cell(label, TABLE_COLUMNS - 18, false),
        cell(&eur(amount), 18, true)
    )
}

/// The courtesy copy as PDF bytes.
pub fn render(copy: &CourtesyCopy) -> Result<Vec<u8>, CourtesyError> {
    let mut w = Writer::new(format!("Fattura n. {} (segue / continued)", copy.numero));
    w.line(
        b"F2",
        15.0,
        &format!("Fattura n. {} del {}", copy.numero, italian_date(&copy.date)),
    );
    w.line(
        b"F1",
        9.0,
        "Copia di cortesia: il documento fiscale è il file FatturaPA trasmesso tramite il Sistema di Interscambio (SdI).",
    );
    w.line(
        b"F1",
        9.0,
        "Courtesy copy: the tax document is the FatturaPA file sent through the SdI.",
    );
    w.gap(8.0);
    w.party("Cedente / prestatore (seller)", &copy.seller);
    w.party("Cessionario / committente (client)", &copy.client);

    if copy.lines.is_empty() {
        w.line(b"F2", 10.0, "Descrizione / Description");
        for part in wrap(&copy.description, TABLE_COLUMNS) {
            w.line(b"F1", 10.0, &part);
        }
    } else {
        let header = format!(
            "{} {} {} {} {} {}",
            cell("n.", 3, true),
            cell("Descrizione / Description", DESCRIPTION_COLUMNS, false),
            cell("Q.tà / Qty", 10, true),
            cell("Prezzo / Price", 14, true),
            cell("IVA/VAT", 8, true),
            cell("Importo / Amount", 16, true)
        );
        w.line(b"F3", 9.0, &header);
        for line in &copy.lines {
            let rows = line_rows(line);
            // A line's rows stay together on one page (up to a page's worth).
            w.room((rows.len() as f32 * 9.0 * 1.35).min(PAGE_HEIGHT_PT / 2.0));
            for row in rows {
                w.line(b"F3", 9.0, &row);
            }
        }
    }
    w.gap(6.0);
    if !copy.vat_summary.is_empty() {
        w.line(b"F2", 10.0, "Riepilogo IVA / VAT summary");
    }
    for row in &copy.vat_summary {
        let rate = rate_text(Some(row.vat_percent), row.natura.as_deref());
        w.line(
            b"F3",
            9.0,
            &format!(
                "{} imponibile {} imposta {}",
                cell(&rate, 12, false),
                cell(&eur(row.taxable_eur), 18, true),
                cell(&eur(row.vat_eur), 16, true)
            ),
        );
    }
    w.gap(6.0);
    w.line(
        b"F3",
        9.0,
        &total_row("Totale documento / Document total", copy.total_eur),
    );
    for (tipo, amount) in &copy.withholdings {
        w.line(
            b"F3",
            9.0,
            &total_row(&format!("Ritenuta {tipo} / Withholding tax"), -*amount),
        );
    }
    if !copy.bollo_eur.is_zero() {
        w.line(
            b"F3",
            9.0,
            &total_row("Bollo assolto dal cedente (non dovuto dal cliente)", copy.bollo_eur),
        );
    }
    w.gap(4.0);
    w.line(
        b"F2",
        12.0,
        &format!("Da pagare con Lightning / To pay with Lightning: {}", eur(copy.due_eur)),
    );
    w.gap(8.0);

    // The QR code on the left, the instructions beside it, and the link under it: on one page.
    w.room(QR_MODULE_PT * (2 * QR_QUIET_MODULES + 57) as f32 + 40.0);
    let top = w.y_pt;
    let side = w.qr(
        &copy.payment_url,
        MARGIN_PT - QR_QUIET_MODULES as f32 * QR_MODULE_PT,
        top,
    )?;
    let text_x = MARGIN_PT + side;
    let mut y = top - 14.0;
    for (font, size, text) in [
        (&b"F2"[..], 10.0, "Come pagare"),
        (
            &b"F1"[..],
            9.0,
            "Inquadra il codice con il wallet Bitcoin Lightning o apri il link:",
        ),
        (
            &b"F1"[..],
            9.0,
            "la pagina mostra l'importo in sat al cambio del momento e conferma il pagamento.",
        ),
        (&b"F2"[..], 10.0, "How to pay"),
        (
            &b"F1"[..],
            9.0,
            "Scan the code with a Bitcoin Lightning wallet or open the link:",
        ),
        (
            &b"F1"[..],
            9.0,
            "the page shows the amount in sats at the current rate and confirms the payment.",
        ),
    ] {
        w.y_pt = y;
        w.text(font, size, text_x, text);
        y -= size * 1.45;
    }
    w.y_pt = top - side - 4.0;
    for part in copy
        .payment_url
        .as_bytes()
        .chunks(TABLE_COLUMNS)
        .map(String::from_utf8_lossy)
    {
        w.line(b"F3", 9.0, &part);
    }
    let pages = w.finish();
    Ok(document(pages, &format!("Fattura {} – copia di cortesia", copy.numero)))
}

/// The PDF of `pages` (A4; fonts F1 Helvetica, F2 Helvetica-Bold, F3 Courier) titled `title`.
pub(super) fn document(pages: Vec<Content>, title: &str) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let (helvetica, bold, courier) = (Ref::new(3), Ref::new(4), Ref::new(5));
    let info_id = Ref::new(6);
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(first_page + 2 * i as i32)).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    for (id, name) in [(helvetica, "Helvetica"), (bold, "Helvetica-Bold"), (courier, "Courier")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info_id)
        .title(pdf_writer::TextStr(title))
        .producer(pdf_writer::TextStr("OpenFatture Lightning"));
    for (page_id, content) in page_ids.iter().zip(pages) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH_PT, PAGE_HEIGHT_PT))
            .parent(tree_id)
            .contents(content_id);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), helvetica)
            .pair(Name(b"F2"), bold)
            .pair(Name(b"F3"), courier);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn amounts_read_the_italian_way() {
        let d = |s: &str| Decimal::from_str(s).expect("literal");
        assert_eq!(eur(d("1234.5")), "1.234,50 €");
        assert_eq!(eur(d("0.005")), "0,01 €");
        assert_eq!(eur(d("-200")), "-200,00 €");
        assert_eq!(eur(d("1000000")), "1.000.000,00 €");
        assert_eq!(plain(d("22.00")), "22");
        assert_eq!(price(d("0.12345000")), "0,12345 €");
        assert_eq!(price(d("1500")), "1.500,00 €");
        assert_eq!(italian_date("2026-02-01"), "01/02/2026");
    }

    #[test]
    fn text_is_written_in_win_ansi() {
        assert_eq!(win_ansi("è €"), vec![0xE8, b' ', 0x80]);
        assert_eq!(win_ansi("Nicolò – ok"), b"Nicol\xF2 \x96 ok".to_vec());
        assert_eq!(win_ansi("日"), b"?".to_vec());
    }

    #[test]
    fn cells_and_wrapping_keep_their_widths() {
        assert_eq!(cell("abc", 5, true), "  abc");
        assert_eq!(cell("abcdef", 4, false), "abc…");
        assert_eq!(wrap("uno due tre quattro", 8), vec!["uno due", "tre", "quattro"]);
    }
}
