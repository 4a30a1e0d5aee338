//! A daily closing (chiusura / Z-report, issue 36) as a PDF: the closing's number, day, shop,
//! the time it was made, the totals with IVA by rate, tips, refunds and their fees, sats, and
//! the by-till and by-cashier tables. Drawn with the courtesy copy's writer (A4, standard
//! fonts); amounts come as the closing stores them (`12.20`) and are shown the Italian way.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::courtesy::{cell, document, eur, italian_date, Writer, TABLE_COLUMNS};
use super::Party;

/// One line of figures (the totals, a till or a cashier), EUR as decimal text (`12.20`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosingFigures {
    /// The till's or cashier's name (empty for the totals).
    pub name: String,
    /// Paid sales.
    pub sales: u64,
    /// Gross EUR, IVA included, tips not.
    pub gross_eur: String,
    /// IVA EUR by rate label (`22`, `0:N2`).
    pub vat_eur: Vec<(String, String)>,
    /// Net EUR (gross − IVA).
    pub net_eur: String,
    /// Tips EUR.
    pub tips_eur: String,
    /// Gross + tips EUR.
    pub total_eur: String,
    /// Refunds EUR.
    pub refunds_eur: String,
    /// Sats sent for refunds.
    pub refunds_sat: u64,
    /// Routing fees paid for refunds, sats.
    pub refund_fees_sat: u64,
    /// Sats received for the paid sales.
    pub sats_received: u64,
    /// Attempts expired unpaid.
    pub expired: u64,
    /// Attempts cancelled.
    pub cancelled: u64,
}

/// Everything a closing's PDF shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosingDocument {
    /// The closing's number.
    pub number: i64,
    /// The business day, `YYYY-MM-DD`.
    pub date: String,
    /// The till closed; none for the whole shop.
    pub till: Option<String>,
    /// When it was made, on the shop's clock, as people read it.
    pub closed_at: String,
    /// Who made it.
    pub closed_by: String,
    /// The shop (name, P.IVA, address).
    pub shop: Party,
    /// The totals.
    pub total: ClosingFigures,
    /// By till.
    pub by_till: Vec<ClosingFigures>,
    /// By cashier.
    pub by_cashier: Vec<ClosingFigures>,
}

/// `12.20` as `12,20 €` (the text as it is when it is not a number).
fn money(text: &str) -> String {
    Decimal::from_str(text).map(eur).unwrap_or_else(|_| text.to_string())
}

/// A rate label as people read it: `22` → `22%`, `0:N2` → `0% N2`.
fn rate_label(rate: &str) -> String {
    match rate.split_once(':') {
        Some((percent, natura)) => format!("{percent}% {natura}"),
        None => format!("{rate}%"),
    }
}

/// A label and its value on one Courier row, the value right-aligned.
fn row(label: &str, value: &str) -> String {
    format!("{}{}", cell(label, TABLE_COLUMNS - 24, false), cell(value, 24, true))
}

/// The header of the by-till and by-cashier tables.
fn table_header(first: &str) -> String {
    format!(
        "{} {} {} {} {} {} {}",
        cell(first, 18, false),
        cell("Vendite", 7, true),
        cell("Lordo", 14, true),
        cell("IVA", 12, true),
        cell("Mance", 11, true),
        cell("Rimborsi", 11, true),
        cell("Sat", 11, true)
    )
}

/// One row of the by-till and by-cashier tables.
fn table_row(f: &ClosingFigures) -> String {
    let vat: Decimal = f.vat_eur.iter().filter_map(|(_, v)| Decimal::from_str(v).ok()).sum();
    format!(
        "{} {} {} {} {} {} {}",
        cell(&f.name, 18, false),
        cell(&f.sales.to_string(), 7, true),
        cell(&money(&f.gross_eur), 14, true),
        cell(&eur(vat), 12, true),
        cell(&money(&f.tips_eur), 11, true),
        cell(&money(&f.refunds_eur), 11, true),
        cell(&f.sats_received.to_string(), 11, true)
    )
}

/// The closing as PDF bytes.
pub fn closing_pdf(doc: &ClosingDocument) -> Vec<u8> {
    let mut w = Writer::new(format!("Chiusura n. {} (segue / continued)", doc.number));
    w.line(
        b"F2",
        15.0,
        &format!("Chiusura giornaliera n. {} del {}", doc.number, italian_date(&doc.date)),
    );
    w.line(
        b"F1",
        10.0,
        &format!("Daily closing no. {} of {}", doc.number, doc.date),
    );
    let scope = match &doc.till {
        Some(till) => format!("Cassa / Till: {till}"),
        None => "Tutto il negozio / Whole shop".to_string(),
    };
    w.line(b"F1", 10.0, &scope);
    w.line(
        b"F1",
        10.0,
        &format!("Chiusa il / Closed at {} da / by {}", doc.closed_at, doc.closed_by),
    );
    w.gap(8.0);
    w.party("Esercente / Shop", &doc.shop);

    let t = &doc.total;
    w.line(b"F2", 11.0, "Totali / Totals");
    let mut rows = vec![
        row("Vendite pagate / Paid sales", &t.sales.to_string()),
        row("Lordo, IVA inclusa / Gross, IVA included", &money(&t.gross_eur)),
    ];
    for (rate, vat) in &t.vat_eur {
        rows.push(row(&format!("IVA {} / VAT", rate_label(rate)), &money(vat)));
    }
    rows.extend([
        row("Netto / Net", &money(&t.net_eur)),
        row("Mance / Tips", &money(&t.tips_eur)),
        row("Totale incassato / Total taken", &money(&t.total_eur)),
        row("Rimborsi / Refunds", &money(&t.refunds_eur)),
        row("Rimborsi, sat / Refunds, sats", &t.refunds_sat.to_string()),
        row(
            "Commissioni rimborsi, sat / Refund fees, sats",
            &t.refund_fees_sat.to_string(),
        ),
        row("Sat ricevuti / Sats received", &t.sats_received.to_string()),
        row(
            "Tentativi scaduti, annullati / Expired, cancelled",
            &format!("{}, {}", t.expired, t.cancelled),
        ),
    ]);
    for text in rows {
        w.line(b"F3", 9.0, &text);
    }
    for (title, first, lines) in [
        ("Per cassa / By till", "Cassa / Till", &doc.by_till),
        ("Per cassiere / By cashier", "Cassiere/Cashier", &doc.by_cashier),
    ] {
        w.gap(8.0);
        w.line(b"F2", 11.0, title);
        w.line(b"F3", 9.0, &table_header(first));
        for figures in lines.iter() {
            w.line(b"F3", 9.0, &table_row(figures));
        }
    }
    w.gap(8.0);
    w.line(
        b"F1",
        8.0,
        "Riepilogo dei pagamenti Lightning, non un documento fiscale / Lightning payments summary, not a tax document.",
    );
    document(w.finish(), &format!("Chiusura n. {} del {}", doc.number, doc.date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_amounts_read_as_people_write_them() {
        assert_eq!(rate_label("22"), "22%");
        assert_eq!(rate_label("0:N2"), "0% N2");
        assert_eq!(money("1234.50"), "1.234,50 €");
        assert_eq!(money("n/a"), "n/a");
    }
}
