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
];
