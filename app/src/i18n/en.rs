//! English texts of the app (the reference catalogue: every other language has the same keys).
//! One `(key, text)` pair per text; keys as in `en.rs`. `{name}` marks a value filled in.

/// Every text in this language.
pub(crate) const TEXTS: &[(&str, &str)] = &[
    (
        "pos.error.rate_unavailable",
        "BTC/EUR rate unavailable: tell the manager",
    ),
    (
        "pos.error.node_unavailable",
        "Lightning payments unavailable now: tell the manager",
    ),
    (
        "pos.error.cannot_receive",
        "This amount cannot be received now: try less or tell the manager",
    ),
    (
        "pos.error.not_confirmed",
        "The sale was not confirmed: press Charge again",
    ),
    ("pos.error.invalid_amount", "Amount not valid: type it like 12,50"),
    ("pos.error.amount_too_small", "Type an amount greater than zero"),
    (
        "pos.error.amount_too_large",
        "Amount too large: check it and type it again",
    ),
    (
        "pos.error.note_too_long",
        "Note too long: shorten it and press Charge again",
    ),
    (
        "pos.error.unsafe_note",
        "The note has an invisible or text-direction character: retype it",
    ),
    (
        "pos.error.over_till_maximum",
        "Amount above the till's maximum: ask the owner",
    ),
    ("pos.error.sale_not_found", "Sale not found: start a new sale"),
    (
        "pos.error.sale_already_paid",
        "This sale is already paid: nothing to do",
    ),
    ("pos.error.sale_ended", "This sale has already ended: start a new one"),
    ("pos.error.signed_out", "Session ended: sign in again"),
    ("pos.error.not_allowed", "Not allowed for your account: ask the manager"),
    (
        "pos.error.too_many_attempts",
        "Too many attempts: wait a minute and try again",
    ),
    ("pos.error.busy", "The till cannot save now: try again in a moment"),
    (
        "pos.error.no_connection",
        "No connection to the till: check the network and try again",
    ),
    (
        "pos.error.unexpected",
        "Something went wrong: try again, then tell the manager",
    ),
    ("rate.state.live", "live rate"),
    ("rate.state.stale", "rate not updated"),
    ("rate.state.fallback", "fallback rate"),
    ("rate.state.demo", "demo rate"),
    ("rate.state.unavailable", "rate unavailable"),
    ("invoice_due.title", "How the amount due was found"),
    ("invoice_due.from_payment", "The amount due is what the invoice's payment data ask (ImportoPagamento); the document's figures give:"),
    ("invoice_due.computed", "Computed from the document's figures:"),
    ("invoice_due.step.total", "Document total"),
    ("invoice_due.step.rounding", "Rounding"),
    ("invoice_due.step.taxable", "+ Taxable amount"),
    ("invoice_due.step.vat", "+ VAT"),
    ("invoice_due.step.withholding", "− Withholding tax {tipo}"),
    ("invoice_due.step.split_vat", "− Split-payment VAT (the client pays it to the Erario)"),
    ("invoice_due.step.gross", "+ Amount including VAT"),
    ("invoice_due.step.other", "Other"),
    ("invoice_due.result", "Amount due"),
    ("invoice_due.installments", "Installments"),
    ("invoice_due.col.due_date", "Due date"),
    ("invoice_due.col.terms", "Terms"),
    ("invoice_due.col.amount", "Amount"),
    ("invoice_due.col.paid", "Paid"),
    ("invoice_due.no_date", "no date"),
    ("invoice_due.terms.tp01", "installment"),
    ("invoice_due.terms.tp02", "full payment"),
    ("invoice_due.terms.tp03", "advance"),
    ("invoice_due.collect_next", "Collect the next installment ({amount})"),
    ("invoice_due.collect_all", "Collect everything still due ({amount})"),
    ("invoice_due.disagree", "The payment data and the document's figures disagree: the payment data's amount is asked. Check the invoice with its issuer."),
    ("invoice_due.bollo", "Stamp duty (bollo) of {amount} paid by the seller: shown for information, never added to the amount due."),
    ("invoice_due.credit_notes", "Credit notes applied:"),
    ("invoice_due.signed", "Signed by {subject}; certificate valid from {from} to {to}; signature verified."),
];
