//! Property test (issue 33): for generated documents whose `DatiPagamento` is written
//! consistently (the installments add up to total − ritenute − split-payment VAT), the computed
//! amount due equals the sum of `ImportoPagamento`, with or without `ImportoTotaleDocumento`,
//! with alternative TP02 lines and a TP03 advance.

use openfatture::fatturapa::parse_fattura;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A generated riepilogo: taxable cents (may be negative), VAT rate, split payment or not.
type Riepilogo = (i64, u32, bool);

fn cents(value: i64) -> String {
    Decimal::new(value, 2).to_string()
}

/// Writes a FatturaPA document and returns it with the sum of its `ImportoPagamento` in cents.
fn document(
    riepiloghi: &[Riepilogo],
    ritenute: &[i64],
    parts: usize,
    with_total: bool,
    tp02_alternatives: bool,
) -> (String, i64) {
    let mut total = 0i64;
    let mut split = 0i64;
    let mut riepilogo_xml = String::new();
    for (imponibile, rate, split_payment) in riepiloghi {
        // Imposta rounded half away from zero to the cent.
        let magnitude = (imponibile.abs() * i64::from(*rate) * 2 + 100) / 200;
        let imposta = magnitude * imponibile.signum();
        total += imponibile + imposta;
        let esigibilita = if *split_payment {
            split += imposta;
            "S"
        } else {
            "I"
        };
        riepilogo_xml.push_str(&format!(
            "<DatiRiepilogo><AliquotaIVA>{rate}.00</AliquotaIVA><ImponibileImporto>{}</ImponibileImporto><Imposta>{}</Imposta><EsigibilitaIVA>{esigibilita}</EsigibilitaIVA></DatiRiepilogo>",
            cents(*imponibile),
            cents(imposta)
        ));
    }
    let ritenuta_xml: String = ritenute
        .iter()
        .enumerate()
        .map(|(i, r)| format!("<DatiRitenuta><TipoRitenuta>RT0{}</TipoRitenuta><ImportoRitenuta>{}</ImportoRitenuta><AliquotaRitenuta>20.00</AliquotaRitenuta><CausalePagamento>A</CausalePagamento></DatiRitenuta>", i % 6 + 1, cents(*r)))
        .collect();
    let due = total - ritenute.iter().sum::<i64>() - split;
    // TP03 advance of a tenth, then `parts` TP01 installments (the last takes the remainder), or
    // one TP02 payment written twice (two bank accounts).
    let pagamento_xml = if tp02_alternatives {
        let line = format!("<DettaglioPagamento><ModalitaPagamento>MP05</ModalitaPagamento><ImportoPagamento>{}</ImportoPagamento></DettaglioPagamento>", cents(due));
        format!("<DatiPagamento><CondizioniPagamento>TP02</CondizioniPagamento>{line}{line}</DatiPagamento>")
    } else {
        let advance = due / 10;
        let rest = due - advance;
        let each = rest / parts as i64;
        let mut lines = String::new();
        for i in 0..parts {
            let amount = if i + 1 == parts {
                rest - each * (parts as i64 - 1)
            } else {
                each
            };
            lines.push_str(&format!("<DettaglioPagamento><ModalitaPagamento>MP05</ModalitaPagamento><DataScadenzaPagamento>2025-0{}-01</DataScadenzaPagamento><ImportoPagamento>{}</ImportoPagamento></DettaglioPagamento>", i + 1, cents(amount)));
        }
        format!(
            "<DatiPagamento><CondizioniPagamento>TP03</CondizioniPagamento><DettaglioPagamento><ModalitaPagamento>MP01</ModalitaPagamento><ImportoPagamento>{}</ImportoPagamento></DettaglioPagamento></DatiPagamento><DatiPagamento><CondizioniPagamento>TP01</CondizioniPagamento>{lines}</DatiPagamento>",
            cents(advance)
        )
    };
    let total_xml = if with_total {
        format!("<ImportoTotaleDocumento>{}</ImportoTotaleDocumento>", cents(total))
    } else {
        String::new()
    };
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><p:FatturaElettronica versione="FPR12" xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"><FatturaElettronicaHeader><CedentePrestatore><DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>01234567897</IdCodice></IdFiscaleIVA><Anagrafica><Denominazione>Generata S.r.l.</Denominazione></Anagrafica></DatiAnagrafici></CedentePrestatore><CessionarioCommittente><DatiAnagrafici><CodiceFiscale>80012345678</CodiceFiscale><Anagrafica><Denominazione>Cliente</Denominazione></Anagrafica></DatiAnagrafici></CessionarioCommittente></FatturaElettronicaHeader><FatturaElettronicaBody><DatiGenerali><DatiGeneraliDocumento><TipoDocumento>TD01</TipoDocumento><Divisa>EUR</Divisa><Data>2025-01-15</Data><Numero>G-1</Numero>{ritenuta_xml}{total_xml}<Causale>Generata</Causale></DatiGeneraliDocumento></DatiGenerali><DatiBeniServizi>{riepilogo_xml}</DatiBeniServizi>{pagamento_xml}</FatturaElettronicaBody></p:FatturaElettronica>"#
    );
    (xml, due)
}

fn riepilogo() -> impl Strategy<Value = Riepilogo> {
    (
        -50_000i64..5_000_000,
        prop::sample::select(vec![0u32, 4, 5, 10, 22]),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn computed_due_equals_the_sum_of_importo_pagamento(
        riepiloghi in prop::collection::vec(riepilogo(), 1..5),
        ritenute in prop::collection::vec(0i64..50_000, 0..3),
        parts in 1usize..5,
        with_total in any::<bool>(),
        tp02_alternatives in any::<bool>(),
    ) {
        let (xml, due_cents) = document(&riepiloghi, &ritenute, parts, with_total, tp02_alternatives);
        let invoices = parse_fattura(xml.as_bytes(), "generated.xml").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let invoice = &invoices[0];
        prop_assert_eq!(invoice.importo_pagamento_eur, Some(Decimal::new(due_cents, 2)));
        prop_assert_eq!(invoice.computed_due_eur(), Decimal::new(due_cents, 2));
        prop_assert_eq!(invoice.due_warning(), None);
        let steps: Decimal = invoice.derivation.iter().map(|s| s.amount_eur).sum();
        prop_assert_eq!(steps, invoice.computed_due_eur(), "the derivation adds up");
    }
}
