//! The courtesy copy PDF (issue 35 §2): read back with an independent PDF reader (`lopdf`), its
//! text carries the numero, the parties, the amounts and the payment link, and the QR code drawn
//! on the page decodes (`rqrr`) to exactly the payment link.

use std::collections::BTreeSet;
use std::str::FromStr;

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
                description: format!("Fornitura caffè, lotto {i}"),
                quantity: Some(d("2")),
                unit_price_eur: Some(d("500.00")),
                vat_percent: d("22.00"),
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

/// The text of every page, as a PDF reader extracts it.
fn text_of(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF the reader opens");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text")
}

/// The filled squares of the last page, in QR-module units, decoded with rqrr.
fn qr_of(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("PDF");
    let last = *doc.get_pages().values().last().expect("a page");
    let content = lopdf::content::Content::decode(&doc.get_page_content(last)).expect("content");
    let mut squares = Vec::new();
    for op in content.operations.iter().filter(|op| op.operator == "re") {
        let v: Vec<f32> = op.operands.iter().map(|o| o.as_float().expect("number")).collect();
        squares.push((v[0], v[1], v[2]));
    }
    assert!(squares.len() > 100, "a QR code is drawn ({} squares)", squares.len());
    let module = squares[0].2;
    let min_x = squares.iter().map(|s| s.0).fold(f32::MAX, f32::min);
    let max_y = squares.iter().map(|s| s.1).fold(f32::MIN, f32::max);
    let cells: BTreeSet<(usize, usize)> = squares
        .iter()
        .map(|(x, y, _)| {
            (
                ((x - min_x) / module).round() as usize,
                ((max_y - y) / module).round() as usize,
            )
        })
        .collect();
    let n = cells.iter().map(|c| c.0.max(c.1)).max().expect("cells") + 1;
    const PX: usize = 4;
    const QUIET: usize = 4;
    let side = (n + 2 * QUIET) * PX;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let m = |p: usize| (p / PX).checked_sub(QUIET);
        match (m(x), m(y)) {
            (Some(mx), Some(my)) if cells.contains(&(mx, my)) => 0,
            _ => 255,
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the QR code decodes").1
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
    assert_eq!(doc.get_pages().len(), 3, "30 lines a page");
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
