//! Testi italiani dell'app (Italian texts of the app).
//! One `(key, text)` pair per text; keys as in `en.rs`. `{name}` marks a value filled in.

/// Every text in this language.
pub(crate) const TEXTS: &[(&str, &str)] = &[
    (
        "pos.error.rate_unavailable",
        "Cambio BTC/EUR non disponibile: avvisa il responsabile",
    ),
    (
        "pos.error.node_unavailable",
        "Pagamenti Lightning non disponibili ora: avvisa il responsabile",
    ),
    (
        "pos.error.cannot_receive",
        "Importo non ricevibile ora: prova un importo minore o avvisa il responsabile",
    ),
    (
        "pos.error.not_confirmed",
        "Vendita non confermata: premi di nuovo Incassa",
    ),
    ("pos.error.invalid_amount", "Importo non valido: scrivilo come 12,50"),
    ("pos.error.amount_too_small", "Inserisci un importo maggiore di zero"),
    (
        "pos.error.amount_too_large",
        "Importo troppo alto: controllalo e riscrivilo",
    ),
    (
        "pos.error.note_too_long",
        "Nota troppo lunga: accorciala e premi di nuovo Incassa",
    ),
    (
        "pos.error.unsafe_note",
        "La nota ha un carattere invisibile o di direzione: riscrivila",
    ),
    (
        "pos.error.over_till_maximum",
        "Importo oltre il massimo per la cassa: chiedi al titolare",
    ),
    (
        "pos.error.sale_not_found",
        "Vendita non trovata: inizia una nuova vendita",
    ),
    ("pos.error.sale_already_paid", "Vendita già pagata: non serve altro"),
    ("pos.error.sale_ended", "Vendita già chiusa: iniziane una nuova"),
    ("pos.error.signed_out", "Sessione scaduta: accedi di nuovo"),
    (
        "pos.error.not_allowed",
        "Non consentito al tuo profilo: chiedi al responsabile",
    ),
    (
        "pos.error.too_many_attempts",
        "Troppi tentativi: attendi un minuto e riprova",
    ),
    ("pos.error.busy", "La cassa non riesce a salvare ora: riprova tra poco"),
    (
        "pos.error.no_connection",
        "Nessuna connessione alla cassa: controlla la rete e riprova",
    ),
    (
        "pos.error.unexpected",
        "Qualcosa non ha funzionato: riprova, poi avvisa il responsabile",
    ),
    ("rate.state.live", "cambio in tempo reale"),
    ("rate.state.stale", "cambio non aggiornato"),
    ("rate.state.fallback", "cambio di riserva"),
    ("rate.state.demo", "cambio dimostrativo"),
    ("rate.state.unavailable", "cambio non disponibile"),
    ("invoice_due.title", "Come è stato calcolato l'importo dovuto"),
    ("invoice_due.from_payment", "L'importo dovuto è quello chiesto nei dati di pagamento della fattura (ImportoPagamento); le cifre del documento danno:"),
    ("invoice_due.computed", "Calcolato dalle cifre del documento:"),
    ("invoice_due.step.total", "Totale documento"),
    ("invoice_due.step.rounding", "Arrotondamento"),
    ("invoice_due.step.taxable", "+ Imponibile"),
    ("invoice_due.step.vat", "+ IVA"),
    ("invoice_due.step.withholding", "− Ritenuta {tipo}"),
    ("invoice_due.step.split_vat", "− IVA in scissione dei pagamenti (il cliente la versa all'Erario)"),
    ("invoice_due.step.gross", "+ Importo IVA inclusa"),
    ("invoice_due.step.other", "Altro"),
    ("invoice_due.result", "Importo dovuto"),
    ("invoice_due.installments", "Rate"),
    ("invoice_due.col.due_date", "Scadenza"),
    ("invoice_due.col.terms", "Condizioni"),
    ("invoice_due.col.amount", "Importo"),
    ("invoice_due.col.paid", "Pagato"),
    ("invoice_due.no_date", "senza data"),
    ("invoice_due.terms.tp01", "a rate"),
    ("invoice_due.terms.tp02", "pagamento completo"),
    ("invoice_due.terms.tp03", "anticipo"),
    ("invoice_due.collect_next", "Incassa la prossima rata ({amount})"),
    ("invoice_due.collect_all", "Incassa tutto il dovuto ({amount})"),
    ("invoice_due.disagree", "I dati di pagamento e le cifre del documento non coincidono: si chiede l'importo dei dati di pagamento. Verifica la fattura con chi l'ha emessa."),
    ("invoice_due.bollo", "Imposta di bollo di {amount} assolta dal cedente: indicata per informazione, mai aggiunta al dovuto."),
    ("invoice_due.credit_notes", "Note di credito applicate:"),
    ("invoice_due.signed", "Firmata da {subject}; certificato valido dal {from} al {to}; firma verificata."),
];
