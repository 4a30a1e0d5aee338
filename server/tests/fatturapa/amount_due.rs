//! The amount due by the document's own rules (issue 33): `ImportoPagamento` first (TP01, TP02
//! with alternative lines counted once, TP03), otherwise total − ritenute − split-payment VAT;
//! the bollo is never added; negative lines and riepiloghi are valid. Each expected amount is
//! computed by hand in a comment (and in the fixture).

use crate::common;

use std::str::FromStr;

use common::read_fixture as fixture;
use openfatture::fatturapa::{parse_fattura, DocumentKind, ImportedInvoice};
use rust_decimal::Decimal;

fn eur(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test literal")
}

fn parse(name: &str) -> Vec<ImportedInvoice> {
    parse_fattura(&fixture(name), name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn due(invoices: &[ImportedInvoice]) -> Vec<Decimal> {
    invoices.iter().map(ImportedInvoice::amount_due_eur).collect()
}

#[test]
fn split_payment_pa_invoice_with_several_bodies_subtracts_the_vat_paid_to_the_erario() {
    let invoices = parse("IT05500550055_SPLIT_PA.xml");
    // Body 1: 1220.00 − 220.00 (EsigibilitaIVA S) = 1000.00.
    // Body 2 (no ImportoTotaleDocumento): 500.00 + 110.00 + 100.00 + 0.00 − 0.40 rounding = 709.60,
    //         − 110.00 split-payment VAT = 599.60.
    assert_eq!(due(&invoices), vec![eur("1000.00"), eur("599.60")]);
    assert_eq!(invoices[1].totale_eur, eur("709.60"));
    let steps: Vec<(String, Decimal)> = invoices[1]
        .derivation
        .iter()
        .map(|s| (s.element.clone(), s.amount_eur))
        .collect();
    let body = "FatturaElettronicaBody[2]";
    assert_eq!(
        steps,
        vec![
            (
                format!("{body}/DatiBeniServizi/DatiRiepilogo[1]/ImponibileImporto"),
                eur("500.00")
            ),
            (
                format!("{body}/DatiBeniServizi/DatiRiepilogo[1]/Imposta"),
                eur("110.00")
            ),
            (
                format!("{body}/DatiBeniServizi/DatiRiepilogo[2]/ImponibileImporto"),
                eur("100.00")
            ),
            (format!("{body}/DatiBeniServizi/DatiRiepilogo[2]/Imposta"), eur("0.00")),
            (
                format!("{body}/DatiGenerali/DatiGeneraliDocumento/Arrotondamento"),
                eur("-0.40")
            ),
            (
                format!("{body}/DatiBeniServizi/DatiRiepilogo[1]/Imposta"),
                eur("-110.00")
            ),
        ]
    );
    let sum: Decimal = invoices[1].derivation.iter().map(|s| s.amount_eur).sum();
    assert_eq!(
        sum,
        invoices[1].amount_due_eur(),
        "the derivation adds up to the amount due"
    );
}

#[test]
fn the_bollo_is_never_added_on_top() {
    let invoices = parse("IT06600660066_BOLLO.xml");
    // B-1: bollo re-charged with a line: 150.00 + 2.00 = 152.00 (not 154.00).
    // B-2: bollo in DatiBollo only, paid by the seller: 200.00 (not 202.00).
    assert_eq!(due(&invoices), vec![eur("152.00"), eur("200.00")]);
    assert!(
        invoices.iter().all(|i| i.bollo_eur == eur("2.00")),
        "the bollo is kept as information"
    );
}

#[test]
fn every_ritenuta_is_subtracted() {
    let invoices = parse("IT07700770077_RITENUTE.xml");
    // 1268.80 − RT01 200.00 − RT02 50.00 = 1018.80.
    assert_eq!(due(&invoices), vec![eur("1018.80")]);
    let whats: Vec<&str> = invoices[0].derivation.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(
        whats,
        vec![
            "document total",
            "− withholding tax (ritenuta RT01)",
            "− withholding tax (ritenuta RT02)"
        ]
    );
}

#[test]
fn importo_pagamento_rules_installments_alternatives_and_negative_lines() {
    let invoices = parse("IT08800880083_PAGAMENTI.xml");
    // F-101: TP01 1220.00 × 3 = 3660.00.
    // F-102: TP02 with two IBANs for the same 610.00: counted once = 610.00 (not 1220.00).
    // F-103: TP03 advance 500.00 + TP01 360.00 + 360.00 = 1220.00.
    // F-104: no DatiPagamento, no total: 98.17 + 21.60 − 5.00 + 0.00 = 114.77 (a −1.83 line is valid).
    // F-105: ImportoPagamento 120.00 against 122.00 computed: 120.00, with a warning.
    assert_eq!(
        due(&invoices),
        vec![
            eur("3660.00"),
            eur("610.00"),
            eur("1220.00"),
            eur("114.77"),
            eur("120.00")
        ]
    );
    let installments: Vec<(String, Option<String>, Decimal)> = invoices[0]
        .installments
        .iter()
        .map(|i| (i.condizioni.clone(), i.scadenza.map(|d| d.to_string()), i.amount_eur))
        .collect();
    assert_eq!(
        installments,
        vec![
            ("TP01".into(), Some("2025-07-01".into()), eur("1220.00")),
            ("TP01".into(), Some("2025-08-01".into()), eur("1220.00")),
            ("TP01".into(), Some("2025-09-01".into()), eur("1220.00")),
        ]
    );
    assert_eq!(
        invoices[1].installments.len(),
        1,
        "alternative TP02 lines are one payment"
    );
    let conditions: Vec<&str> = invoices[2].installments.iter().map(|i| i.condizioni.as_str()).collect();
    assert_eq!(conditions, vec!["TP03", "TP01", "TP01"]);
    assert!(invoices[..4].iter().all(|i| i.due_warning().is_none()));
    let warning = invoices[4].due_warning().expect("disagreement warned");
    assert!(warning.contains("120.00") && warning.contains("122.00"), "{warning}");
}

#[test]
fn fattura_semplificata_fsm10_sums_its_amounts_including_iva() {
    let invoices = parse("IT06363391001_FSM10.xml");
    // S-45: 61.00 + 10.00 = 71.00 (each Importo includes IVA). S-46 is its credit note (TD08).
    assert_eq!(due(&invoices), vec![eur("71.00"), eur("10.00")]);
    assert_eq!(invoices[0].tipo_documento, "TD07");
    assert_eq!(invoices[0].cedente_denominazione, "Bar Tabacchi Centrale di Luca Sala");
    assert_eq!(invoices[0].cliente.denominazione, "Mario Rossi");
    assert_eq!(invoices[0].cliente.codice_fiscale.as_deref(), Some("RSSMRA80A01L219X"));
    assert_eq!(invoices[0].descrizione, "Rinfresco per 10 persone");
    assert_eq!(invoices[0].kind(), DocumentKind::Collectible);
    assert_eq!(invoices[1].kind(), DocumentKind::CreditNote);
    assert_eq!(invoices[1].collegate, vec!["S-45".to_string()]);
}

#[test]
fn document_kinds_follow_the_tipo_documento_table() {
    for tipo in [
        "TD01", "TD02", "TD03", "TD05", "TD06", "TD07", "TD09", "TD24", "TD25", "TD26",
    ] {
        assert_eq!(DocumentKind::of(tipo), DocumentKind::Collectible, "{tipo}");
    }
    for tipo in ["TD04", "TD08"] {
        assert_eq!(DocumentKind::of(tipo), DocumentKind::CreditNote, "{tipo}");
    }
    for tipo in [
        "TD16", "TD17", "TD18", "TD19", "TD20", "TD21", "TD22", "TD23", "TD27", "TD28",
    ] {
        assert_eq!(DocumentKind::of(tipo), DocumentKind::SelfInvoice, "{tipo}");
    }
    assert_eq!(DocumentKind::of("TD29"), DocumentKind::BuyerCommunication);
    assert_eq!(DocumentKind::of("TD99"), DocumentKind::Unknown);
}

#[test]
fn negative_self_invoices_are_valid_files() {
    let invoices = parse("IT04455667701_AUTOFATTURE.xml");
    // AF-2 (TD17) −610.00 and AF-4 (TD19) −244.00 are corrections, not errors of the file.
    let totals: Vec<Decimal> = invoices.iter().map(|i| i.totale_eur).collect();
    assert_eq!(
        totals,
        vec![eur("610.00"), eur("-610.00"), eur("1220.00"), eur("-244.00")]
    );
    assert!(invoices.iter().all(|i| i.kind() == DocumentKind::SelfInvoice));
}

#[test]
fn the_next_installment_is_what_the_payments_so_far_leave_of_the_installments_in_order() {
    let invoices = parse("IT08800880083_PAGAMENTI.xml");
    let next = |index: usize, paid: &str| {
        let invoice = &invoices[index];
        invoice
            .due_detail()
            .next_installment_eur(invoice.amount_due_eur(), eur(paid))
    };
    // F-101: 1220.00 × 3 (3660.00).
    assert_eq!(next(0, "0"), Some(eur("1220.00")));
    assert_eq!(next(0, "1220.00"), Some(eur("1220.00")));
    assert_eq!(next(0, "1500.00"), Some(eur("940.00")), "2440.00 − 1500.00");
    assert_eq!(next(0, "2440.00"), Some(eur("1220.00")));
    assert_eq!(next(0, "3660.00"), None);
    // F-103: TP03 advance 500.00, then 360.00 + 360.00.
    assert_eq!(next(2, "0"), Some(eur("500.00")));
    assert_eq!(next(2, "500.00"), Some(eur("360.00")));
    // F-102: one payment (alternative TP02 lines): no installments to step through.
    assert_eq!(next(1, "0"), None);
}
