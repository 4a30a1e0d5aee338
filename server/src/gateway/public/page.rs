//! The HTML of the client's payment page and its receipt, rendered by the gateway (no wasm): every
//! text from the app's catalogue (`pay.` keys), amounts through `app::format`, the QR code as an
//! inline SVG drawn by `app::qr`.

use app::format;
use app::i18n::{fill, text_in, Lang};

use crate::invoices::PayTarget;
use crate::store::InvoiceState;

/// The shop as the page names it (settings, else the fattura's seller).
#[derive(Debug, Clone, Default)]
pub(crate) struct Merchant {
    /// `shop_name`.
    pub name: Option<String>,
    /// `shop_vat_number`, else the fattura's CedentePrestatore VAT number.
    pub vat_number: Option<String>,
    /// `shop_address`.
    pub address: Option<String>,
}

/// What one rendering needs besides the link's target.
pub(crate) struct PageContext<'a> {
    /// The page's language.
    pub lang: Lang,
    /// The link token (for the page's own URLs).
    pub token: &'a str,
    /// The payee.
    pub merchant: &'a Merchant,
    /// `shop_timezone`.
    pub timezone: &'a str,
    /// Now (unix seconds).
    pub now_secs: i64,
    /// Whether the merchant allows new quotes from the page.
    pub requote_allowed: bool,
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A catalogue text, escaped.
fn t(lang: Lang, key: &str) -> String {
    escape(text_in(lang, key))
}

/// A catalogue text with values filled in, escaped (values included).
fn tf(lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
    escape(&fill(text_in(lang, key), values))
}

/// A rate source as the client reads it.
fn source_label(lang: Lang, source: &str) -> String {
    match source {
        "fallback" => text_in(lang, "rate.state.fallback").to_string(),
        "demo" => text_in(lang, "rate.state.demo").to_string(),
        other => other.to_string(),
    }
}

/// A calendar date: `01/03/2025` in Italian, `Mar 1, 2025` in English.
fn date(lang: Lang, day: chrono::NaiveDate) -> String {
    match lang {
        Lang::It => day.format("%d/%m/%Y").to_string(),
        Lang::En => day.format("%b %-d, %Y").to_string(),
    }
}

/// Time left as the countdown shows it: `h:mm:ss`, or `m:ss` under an hour.
fn remaining(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The other language, for the switch link.
pub(super) fn other(lang: Lang) -> Lang {
    match lang {
        Lang::It => Lang::En,
        Lang::En => Lang::It,
    }
}

/// The payment page of `target`.
pub(crate) fn render(target: &PayTarget, cx: &PageContext<'_>) -> String {
    let lang = cx.lang;
    let invoice = &target.invoice;
    let token = escape(cx.token);
    let merchant_name = cx.merchant.name.clone().unwrap_or_default();
    let mut body = String::with_capacity(24 * 1024);

    // Header: the payee and the language switch.
    let switch = other(lang);
    body.push_str(&format!(
        "<header><nav aria-label=\"{}\"><a href=\"/pay/{token}?lang={}\" hreflang=\"{}\" lang=\"{}\">{}</a></nav>",
        t(lang, "pay.language"),
        switch.tag(),
        switch.tag(),
        switch.tag(),
        if switch == Lang::It { "Italiano" } else { "English" }
    ));
    body.push_str(&format!("<p class=\"label\">{}</p>", t(lang, "pay.merchant")));
    if !merchant_name.is_empty() {
        body.push_str(&format!("<h1 id=\"merchant\">{}</h1>", escape(&merchant_name)));
    }
    if let Some(vat) = &cx.merchant.vat_number {
        body.push_str(&format!("<p>{}</p>", tf(lang, "pay.vat", &[("vat", vat)])));
    }
    if let Some(address) = &cx.merchant.address {
        body.push_str(&format!("<p>{}</p>", escape(address)));
    }
    if let Some(f) = &target.fattura {
        body.push_str(&format!(
            "<p id=\"fattura\">{}</p>",
            tf(
                lang,
                "pay.invoice",
                &[("numero", &f.numero), ("date", &date(lang, f.data))]
            )
        ));
    } else if !invoice.memo.is_empty() {
        body.push_str(&format!("<p id=\"memo\">{}</p>", escape(&invoice.memo)));
    }
    body.push_str("</header><main>");

    // The amount and the locked rate.
    let eur = format::money(lang, &invoice.amount_eur.to_string());
    let sats = format::sats(lang, invoice.amount_sat());
    let rate_time = format::date_time(lang, cx.timezone, invoice.rate_at);
    body.push_str(&format!(
        "<section class=\"amount\"><p class=\"label\">{}</p><p class=\"eur\" id=\"eur\">{}</p><p class=\"sats\" id=\"sats\">{}</p><p class=\"rate\">{}</p></section>",
        t(lang, "pay.amount"),
        escape(&eur),
        escape(&sats),
        tf(
            lang,
            "pay.rate",
            &[
                ("rate", &format::rate(lang, &invoice.rate_eur_per_btc.to_string())),
                ("source", &source_label(lang, &invoice.rate_source)),
                ("time", &rate_time),
            ]
        )
    ));

    let expired = invoice.state == InvoiceState::Expired
        || (invoice.state == InvoiceState::Open && cx.now_secs >= invoice.expires_at);
    match invoice.state {
        InvoiceState::Open if !expired => {
            let bolt11 = invoice.payment_request.clone().unwrap_or_default();
            let qr = app::qr::svg(&bolt11).unwrap_or_default();
            let expires = format::date_time(lang, cx.timezone, invoice.expires_at);
            body.push_str(&format!(
                "<section class=\"pay\" id=\"pay\"><p class=\"countdown\">{} <span id=\"countdown\" data-expires=\"{}\" data-now=\"{}\">{}</span></p><p class=\"help\">{}</p>\
                 <figure class=\"qr\" id=\"qr\" aria-label=\"{}\">{qr}</figure>\
                 <p class=\"actions\"><a class=\"button\" id=\"wallet\" href=\"lightning:{}\">{}</a> \
                 <button type=\"button\" id=\"copy\" data-copy=\"{}\" data-copied=\"{}\">{}</button></p>\
                 <p class=\"bolt11\" id=\"bolt11\">{}</p><p class=\"help\">{}</p></section>",
                t(lang, "pay.expires_in"),
                invoice.expires_at,
                cx.now_secs,
                remaining(invoice.expires_at - cx.now_secs),
                tf(lang, "pay.expires_at", &[("time", &expires)]),
                t(lang, "pay.scan"),
                escape(&bolt11),
                t(lang, "pay.open_wallet"),
                escape(&bolt11),
                t(lang, "pay.copied"),
                t(lang, "pay.copy"),
                escape(&bolt11),
                t(lang, "pay.instructions"),
            ));
        }
        InvoiceState::Settled => body.push_str(&paid_section(target, cx, &token)),
        InvoiceState::Accepted => body.push_str(&format!(
            "<p class=\"state\" id=\"state\">{}</p>",
            t(lang, "pay.state.accepted")
        )),
        InvoiceState::Pending => body.push_str(&format!(
            "<p class=\"state\" id=\"state\">{}</p>",
            t(lang, "pay.state.pending")
        )),
        _ => {
            let key = if expired {
                "pay.state.expired"
            } else {
                "pay.state.cancelled"
            };
            body.push_str(&format!("<p class=\"state over\" id=\"state\">{}</p>", t(lang, key)));
        }
    }
    body.push_str(&requote_section(target, cx, &token));
    body.push_str("</main>");

    let live = matches!(
        invoice.state,
        InvoiceState::Open | InvoiceState::Accepted | InvoiceState::Pending
    ) && !expired;
    let events = if live {
        format!(" data-events=\"/pay/{token}/events\"")
    } else {
        String::new()
    };
    let title = if merchant_name.is_empty() {
        t(lang, "pay.heading")
    } else {
        tf(lang, "pay.title", &[("merchant", &merchant_name)])
    };
    document(lang, &title, &format!("<body{events}>{body}</body>"))
}

/// The paid view: amount, time, payment hash, preimage, print and receipt.
fn paid_section(target: &PayTarget, cx: &PageContext<'_>, token: &str) -> String {
    let lang = cx.lang;
    let invoice = &target.invoice;
    let paid_sat = invoice.amt_paid_msat / 1000;
    let paid_at = invoice
        .settled_at
        .map(|at| format::date_time(lang, cx.timezone, at))
        .unwrap_or_default();
    format!(
        "<section class=\"paid\" id=\"paid\"><p class=\"state ok\" id=\"state\">✓ {}</p>\
         <dl><dt>{}</dt><dd id=\"paid-amount\">{} · {}</dd><dd id=\"paid-at\">{}</dd>\
         <dt>{}</dt><dd class=\"mono\" id=\"payment-hash\">{}</dd><dt>{}</dt><dd class=\"mono\" id=\"preimage\">{}</dd></dl>\
         <p class=\"help\">{}</p><p class=\"actions noprint\"><button type=\"button\" data-print=\"1\">{}</button> \
         <a href=\"/pay/{token}/receipt?lang={}\">{}</a></p></section>",
        t(lang, "pay.state.paid"),
        t(lang, "pay.paid_amount"),
        escape(&format::money(lang, &invoice.amount_eur.to_string())),
        escape(&format::sats(lang, paid_sat)),
        tf(lang, "pay.paid_at", &[("time", &paid_at)]),
        t(lang, "pay.payment_hash"),
        escape(&invoice.payment_hash),
        t(lang, "pay.preimage"),
        escape(target.preimage.as_deref().unwrap_or("")),
        t(lang, "pay.proof_hint"),
        t(lang, "pay.print"),
        lang.tag(),
        t(lang, "pay.receipt"),
    )
}

/// What is still due and, when the merchant allows it, the new-quote button.
fn requote_section(target: &PayTarget, cx: &PageContext<'_>, token: &str) -> String {
    let lang = cx.lang;
    let Some(fattura) = &target.fattura else {
        return String::new();
    };
    if !target.can_requote(cx.now_secs) {
        return String::new();
    }
    let due = format::money(lang, &fattura.outstanding_eur().to_string());
    let mut out = format!(
        "<section class=\"requote\"><p id=\"still-due\">{}</p>",
        tf(lang, "pay.requote_hint", &[("amount", &due)])
    );
    if cx.requote_allowed {
        out.push_str(&format!(
            "<form method=\"post\" action=\"/pay/{token}/quote?lang={}\"><button type=\"submit\" id=\"requote\">{}</button></form>",
            lang.tag(),
            t(lang, "pay.requote")
        ));
    } else {
        out.push_str(&format!("<p>{}</p>", t(lang, "pay.ask_payee")));
    }
    out.push_str("</section>");
    out
}

/// The printable receipt of a paid invoice.
pub(crate) fn receipt(target: &PayTarget, cx: &PageContext<'_>) -> String {
    let lang = cx.lang;
    let mut body = String::new();
    body.push_str(&format!("<main><h1>{}</h1>", t(lang, "pay.receipt")));
    if let Some(name) = &cx.merchant.name {
        body.push_str(&format!("<p id=\"merchant\">{}</p>", escape(name)));
    }
    if let Some(vat) = &cx.merchant.vat_number {
        body.push_str(&format!("<p>{}</p>", tf(lang, "pay.vat", &[("vat", vat)])));
    }
    if let Some(f) = &target.fattura {
        body.push_str(&format!(
            "<p>{}</p>",
            tf(
                lang,
                "pay.invoice",
                &[("numero", &f.numero), ("date", &date(lang, f.data))]
            )
        ));
    }
    body.push_str(&paid_section(target, cx, &escape(cx.token)));
    body.push_str("</main>");
    document(
        lang,
        &t(lang, "pay.receipt"),
        &format!("<body class=\"receipt\">{body}</body>"),
    )
}

/// The HTML document around `body`: the page's one stylesheet and one script, both same-origin.
fn document(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/pay-assets/pay.css\"><script src=\"/pay-assets/pay.js\" defer></script>\
         </head>{body}</html>",
        lang.tag()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(remaining(3 * 3600 + 5 * 60 + 7), "3:05:07");
        assert_eq!(remaining(65), "1:05");
        assert_eq!(remaining(-5), "0:00");
    }
}
