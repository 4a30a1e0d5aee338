//! The courtesy copy PDF (issue 35 §2): read back with an independent PDF reader (`lopdf`), its
//! text carries the numero, the parties, the amounts and the payment link, and the QR code drawn
//! on the page decodes (`rqrr`) to exactly the payment link.

use std::str::FromStr;

use crate::common::pdf::{qr_of, text_of};
use openfatture::render::{courtesy_pdf as render, CourtesyCopy, CourtesyError, Line, Party, VatSummary};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("literal")
}

fn sample(lines: usize) -> CourtesyCopy {
    CourtesyCopy {
        numero: "2026/0042".into(),
        date: "2026-11-30".into(),
        seller: Party {
            name: "Caffè Società Cooperativa".into(),
            vat_number: Some("IT04455667704".into()),
            tax_code: None,
            address: Some("Via Roma 1, 00100 Roma RM".into()),
        },
        client: Party {
            name: "Pizzeria Nicolò & Figli".into(),
            vat_number: Some("IT01234567890".into()),
            tax_code: None,
            address: None,
        },
        description: "Fornitura caffè".into(),
        lines: (0..lines)
            .map(|i| Line {
                number: u32::try_from(i + 1).expect("small"),
                description: format!("Fornitura caffè, lotto {i}"),
                quantity: Some(d("2")),
                unit: None,
                unit_price_eur: Some(d("500.00")),
                vat_percent: Some(d("22.00")),
                natura: None,
                total_eur: d("1000.00"),
            })
            .collect(),
        vat_summary: vec![VatSummary {
            vat_percent: d("22.00"),
            natura: None,
            taxable_eur: d("1000.00"),
            vat_eur: d("220.00"),
        }],
        total_eur: d("1220.00"),
        withholdings: vec![("RT01".into(), d("200.00"))],
        bollo_eur: d("2.00"),
        due_eur: d("1020.00"),
        payment_url: "https://shop.example.it/pay/Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MDEy".into(),
    }
}

#[test]
fn the_courtesy_copy_reads_back_with_numero_amounts_and_link() {
    let copy = sample(3);
    let pdf = render(&copy).expect("rendered");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF file");
    let text = text_of(&pdf);
    for expected in [
        "Fattura n. 2026/0042 del 30/11/2026",
        "Caffè Società Cooperativa",
        "Pizzeria Nicolò & Figli",
        "IT04455667704",
        "Fornitura caffè, lotto 2",
        "1.220,00 €",
        "-200,00 €",
        "Da pagare con Lightning / To pay with Lightning: 1.020,00 €",
        "Copia di cortesia",
        "How to pay",
        "https://shop.example.it/pay/Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MDEy",
    ] {
        assert!(text.contains(expected), "{expected:?} is not in the PDF text:\n{text}");
    }
    assert_eq!(qr_of(&pdf), copy.payment_url, "the QR opens the payment link");
}

#[test]
fn many_lines_continue_on_further_pages_and_the_qr_stays_whole() {
    let copy = sample(75);
    let pdf = render(&copy).expect("rendered");
    let doc = lopdf::Document::load_mem(&pdf).expect("PDF");
    let pages = doc.get_pages().len();
    assert!(
        (2..=4).contains(&pages),
        "75 lines flow onto further pages: {pages} pages"
    );
    let text = text_of(&pdf);
    assert!(text.contains("Fornitura caffè, lotto 74"), "the last line is there");
    assert!(text.contains("(segue / continued)"));
    assert_eq!(qr_of(&pdf), copy.payment_url);
}

#[test]
fn an_invoice_added_by_hand_shows_its_description_instead_of_lines() {
    let mut copy = sample(0);
    copy.vat_summary.clear();
    copy.description = "Consulenza informatica, novembre 2026".into();
    let text = text_of(&render(&copy).expect("rendered"));
    assert!(text.contains("Consulenza informatica, novembre 2026"), "{text}");
    assert!(!text.contains("Riepilogo IVA"), "no empty VAT summary: {text}");
    assert_eq!(qr_of(&render(&copy).expect("rendered")), copy.payment_url);
}

#[test]
fn a_link_too_long_for_a_qr_code_is_a_clear_error() {
    let mut copy = sample(1);
    copy.payment_url = format!("https://shop.example.it/pay/{}", "x".repeat(5000));
    assert_eq!(render(&copy), Err(CourtesyError::LinkTooLong { length: 5028 }));
}

#[test]
fn a_long_line_description_wraps_whole_and_zero_rate_lines_show_their_natura() {
    let mut copy = sample(2);
    copy.lines[0].description =
        "Progettazione e sviluppo della piattaforma di prenotazione online con pagamento anticipato, \
         gestione dei turni del personale e reportistica mensile per la direzione"
            .into();
    copy.lines[1].vat_percent = Some(d("0"));
    copy.lines[1].natura = Some("N2.2".into());
    copy.lines[1].unit = Some("ore".into());
    let text = text_of(&render(&copy).expect("rendered"));
    for words in [
        "Progettazione e sviluppo",
        "piattaforma di prenotazione online",
        "reportistica mensile per la",
        "direzione",
        "0% N2.2",
        "2 ore",
    ] {
        assert!(text.contains(words), "{words:?} is not in the PDF text:\n{text}");
    }
    assert!(!text.contains('…'), "nothing cut: {text}");
}
