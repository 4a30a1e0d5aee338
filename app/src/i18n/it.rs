//! Testi italiani dell'app (Italian texts of the app).
//! One `(key, text)` pair per text; keys as in `en.rs`. `{name}` marks a value filled in.

/// Every text in this language.
pub(crate) const TEXTS: super::catalogue::Catalogue = &[
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
    // The client's payment page `/pay/{token}` (issue 35 §1), rendered by the gateway.
    ("pay.title", "Pagamento a {merchant}"),
    ("pay.heading", "Paga con Lightning"),
    ("pay.merchant", "Beneficiario"),
    ("pay.vat", "P. IVA {vat}"),
    ("pay.invoice", "Fattura {numero} del {date}"),
    ("pay.amount", "Importo da pagare"),
    ("pay.still_due", "Ancora da pagare sulla fattura: {amount}"),
    ("pay.rate", "Cambio: {rate} ({source}, {time})"),
    ("pay.expires_in", "Scade tra"),
    ("pay.expires_at", "Pagabile fino al {time}"),
    ("pay.scan", "Inquadra con un wallet Lightning"),
    ("pay.copy", "Copia la fattura Lightning"),
    ("pay.copied", "Copiata"),
    ("pay.open_wallet", "Apri nel wallet"),
    ("pay.instructions", "Inquadra il codice QR con un qualsiasi wallet Lightning, oppure copia la fattura e incollala nel wallet. La pagina si aggiorna da sola quando arriva il pagamento."),
    ("pay.state.paid", "Pagato"),
    ("pay.paid_at", "Pagato il {time}"),
    ("pay.paid_amount", "Importo pagato"),
    ("pay.payment_hash", "Hash del pagamento"),
    ("pay.preimage", "Prova di pagamento (preimage)"),
    ("pay.proof_hint", "Conserva la preimage: dimostra che hai pagato questa fattura Lightning."),
    ("pay.print", "Stampa la ricevuta"),
    ("pay.receipt", "Ricevuta"),
    ("pay.state.expired", "Questa richiesta di pagamento è scaduta."),
    ("pay.state.cancelled", "Questa richiesta di pagamento è stata annullata."),
    ("pay.state.accepted", "Pagamento in corso…"),
    ("pay.state.pending", "La richiesta di pagamento è in preparazione: ricarica la pagina tra un momento."),
    ("pay.requote", "Nuova quotazione al cambio attuale"),
    ("pay.requote_hint", "Restano da pagare {amount}: una nuova quotazione li converte al cambio attuale."),
    ("pay.ask_payee", "Chiedi al beneficiario una nuova richiesta di pagamento."),
    ("pay.error.quote", "Non è stato possibile fare una nuova quotazione: riprova tra qualche minuto."),
    ("pay.error.too_many", "Troppe richieste: attendi un minuto e riprova."),
    ("pay.language", "Lingua"),
];
