//! English texts of the app (the reference catalogue: every other language has the same keys).
//! One `(key, text)` pair per text; keys as in `en.rs`. `{name}` marks a value filled in.

/// Every text in this language.
pub(crate) const TEXTS: super::catalogue::Catalogue = &[
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
];
