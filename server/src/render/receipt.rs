//! A POS sale's payment receipt as lines for people (issue 36): the same lines make the CLI's
//! text, the ESC/POS bytes and the receipt page. Texts from the app's catalogue (`receipt.` keys),
//! amounts and times through `app::format`. Until a fiscal printer is connected it says it is a
//! payment receipt, not a documento commerciale.

use app::format;
use app::i18n::{fill, text_in, Lang};
use rust_decimal::Decimal;

/// One IVA rate's share of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatLine {
    /// The rate as a label (`22%`, `0% N2`).
    pub rate_label: String,
    /// Net (taxable) EUR at that rate.
    pub net_eur: Decimal,
    /// IVA EUR at that rate.
    pub vat_eur: Decimal,
}

/// What a receipt shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `shop_name`.
    pub shop_name: Option<String>,
    /// `shop_vat_number` (partita IVA).
    pub shop_vat_number: Option<String>,
    /// `shop_address`.
    pub shop_address: Option<String>,
    /// The sale's id (its Lightning invoice id).
    pub sale_id: String,
    /// The till's name.
    pub till: String,
    /// Who rang it up.
    pub cashier: String,
    /// When it was paid (unix seconds).
    pub paid_at_secs: i64,
    /// `shop_timezone`, for the date and time.
    pub timezone: String,
    /// The sale's note (empty when none).
    pub note: String,
    /// Gross EUR, IVA included.
    pub gross_eur: Decimal,
    /// IVA by rate.
    pub vat: Vec<VatLine>,
    /// Tip EUR (no IVA on it).
    pub tip_eur: Decimal,
    /// Total paid EUR (gross + tip).
    pub total_eur: Decimal,
    /// What the node received, sats.
    pub paid_sat: u64,
    /// The locked rate, EUR per BTC.
    pub rate_eur_per_btc: Decimal,
    /// Where the rate came from (`kraken`, `median`, `demo`…).
    pub rate_source: String,
    /// The Lightning payment hash, hex.
    pub payment_hash: String,
}

/// One line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptLine {
    /// The shop's name: large and bold, centred.
    Title(String),
    /// A centred line (address, P.IVA, the kind of document).
    Centered(String),
    /// A label and its value.
    Field(String, String),
    /// The total: bold.
    Total(String, String),
    /// A long value on its own (the payment hash), wrapped as needed.
    Wrapped(String),
    /// A separator.
    Rule,
}

/// A catalogue text of `lang`.
fn t(lang: Lang, key: &str) -> String {
    text_in(lang, key).to_string()
}

/// EUR as the receipt shows it.
fn eur(lang: Lang, amount: Decimal) -> String {
    format::money(lang, &format!("{amount:.2}"))
}

/// A rate source as a customer reads it.
fn source_label(lang: Lang, source: &str) -> String {
    match source {
        "fallback" => text_in(lang, "rate.state.fallback").to_string(),
        "demo" => text_in(lang, "rate.state.demo").to_string(),
        other => other.to_string(),
    }
}

/// A moment on the wall clock of `timezone` (an IANA name), as the web app writes it:
/// `07/12/2026 11:52` in Italian, `Dec 7, 2026, 11:52 AM` in English; in UTC, marked, when the
/// zone is unknown.
pub fn local_time(lang: Lang, timezone: &str, unix_secs: i64) -> String {
    use chrono::{Datelike, Timelike};
    let Some(utc) = chrono::DateTime::from_timestamp(unix_secs, 0) else {
        return unix_secs.to_string();
    };
    let (local, mark) = match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => (utc.with_timezone(&tz).naive_local(), ""),
        Err(_) => (utc.naive_utc(), " UTC"),
    };
    match lang {
        Lang::It => format!("{}{mark}", local.format("%d/%m/%Y %H:%M")),
        Lang::En => {
            let (pm, hour_12) = local.hour12();
            format!(
                "{} {}, {:04}, {hour_12}:{:02} {}{mark}",
                local.format("%b"),
                local.day(),
                local.year(),
                local.minute(),
                if pm { "PM" } else { "AM" }
            )
        }
    }
}

/// The receipt's lines in `lang`, top to bottom.
pub fn receipt_lines(receipt: &Receipt, lang: Lang) -> Vec<ReceiptLine> {
    let mut lines = Vec::with_capacity(24);
    if let Some(name) = &receipt.shop_name {
        lines.push(ReceiptLine::Title(name.clone()));
    }
    if let Some(address) = &receipt.shop_address {
        lines.push(ReceiptLine::Centered(address.clone()));
    }
    if let Some(vat) = &receipt.shop_vat_number {
        lines.push(ReceiptLine::Centered(fill(
            text_in(lang, "receipt.vat_number"),
            &[("vat", vat)],
        )));
    }
    lines.push(ReceiptLine::Rule);
    lines.push(ReceiptLine::Centered(t(lang, "receipt.title")));
    lines.push(ReceiptLine::Field(
        t(lang, "receipt.date"),
        local_time(lang, &receipt.timezone, receipt.paid_at_secs),
    ));
    lines.push(ReceiptLine::Field(t(lang, "receipt.till"), receipt.till.clone()));
    lines.push(ReceiptLine::Field(t(lang, "receipt.cashier"), receipt.cashier.clone()));
    lines.push(ReceiptLine::Field(t(lang, "receipt.sale"), receipt.sale_id.clone()));
    if !receipt.note.is_empty() {
        lines.push(ReceiptLine::Field(t(lang, "receipt.note"), receipt.note.clone()));
    }
    lines.push(ReceiptLine::Rule);
    lines.push(ReceiptLine::Field(
        t(lang, "receipt.gross"),
        eur(lang, receipt.gross_eur),
    ));
    for vat in &receipt.vat {
        let rate = [("rate", vat.rate_label.as_str())];
        lines.push(ReceiptLine::Field(
            fill(text_in(lang, "receipt.net"), &rate),
            eur(lang, vat.net_eur),
        ));
        lines.push(ReceiptLine::Field(
            fill(text_in(lang, "receipt.vat"), &rate),
            eur(lang, vat.vat_eur),
        ));
    }
    if receipt.tip_eur > Decimal::ZERO {
        lines.push(ReceiptLine::Field(t(lang, "receipt.tip"), eur(lang, receipt.tip_eur)));
    }
    lines.push(ReceiptLine::Total(
        t(lang, "receipt.total"),
        eur(lang, receipt.total_eur),
    ));
    lines.push(ReceiptLine::Field(
        t(lang, "receipt.sats"),
        format::sats(lang, receipt.paid_sat),
    ));
    lines.push(ReceiptLine::Field(
        t(lang, "receipt.rate"),
        fill(
            text_in(lang, "receipt.rate_value"),
            &[
                ("rate", &format::rate(lang, &receipt.rate_eur_per_btc.to_string())),
                ("source", &source_label(lang, &receipt.rate_source)),
            ],
        ),
    ));
    lines.push(ReceiptLine::Field(t(lang, "receipt.payment_hash"), String::new()));
    lines.push(ReceiptLine::Wrapped(receipt.payment_hash.clone()));
    lines.push(ReceiptLine::Rule);
    lines.push(ReceiptLine::Centered(t(lang, "receipt.not_fiscal")));
    lines
}

/// `text` cut into pieces of at most `width` characters, at spaces where it can.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// A label left and its value right in `width` characters (on two lines when they do not fit).
pub fn pair(label: &str, value: &str, width: usize) -> Vec<String> {
    let (l, v) = (label.chars().count(), value.chars().count());
    if value.is_empty() {
        return wrap(label, width);
    }
    if l + 1 + v <= width {
        return vec![format!("{label}{}{value}", " ".repeat(width - l - v))];
    }
    let mut out = wrap(label, width);
    for piece in wrap(value, width) {
        let pad = width.saturating_sub(piece.chars().count());
        out.push(format!("{}{piece}", " ".repeat(pad)));
    }
    out
}

/// `text` centred in `width` characters (wrapped first).
pub fn centered(text: &str, width: usize) -> Vec<String> {
    wrap(text, width)
        .into_iter()
        .map(|piece| {
            let pad = width.saturating_sub(piece.chars().count()) / 2;
            format!("{}{piece}", " ".repeat(pad))
        })
        .collect()
}

/// The receipt as plain text, `width` characters a line (the CLI's view).
pub fn receipt_text(receipt: &Receipt, lang: Lang, width: usize) -> String {
    let mut out = String::new();
    for line in receipt_lines(receipt, lang) {
        let pieces = match &line {
            ReceiptLine::Title(text) | ReceiptLine::Centered(text) => centered(text, width),
            ReceiptLine::Field(label, value) | ReceiptLine::Total(label, value) => pair(label, value, width),
            ReceiptLine::Wrapped(text) => wrap(text, width),
            ReceiptLine::Rule => vec!["-".repeat(width)],
        };
        for piece in pieces {
            out.push_str(piece.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_and_pair_within_the_width() {
        assert_eq!(wrap("abc def ghi", 7), ["abc def", "ghi"]);
        assert_eq!(wrap(&"x".repeat(10), 4), ["xxxx", "xxxx", "xx"]);
        assert_eq!(pair("Totale", "13,31 €", 20), ["Totale       13,31 €"]);
        assert_eq!(pair("Totale pagato", "13,31 €", 10), ["Totale", "pagato", "   13,31 €"]);
        assert_eq!(centered("ab", 6), ["  ab"]);
    }

    #[test]
    fn times_are_on_the_shops_clock_summer_time_included() {
        // 2026-07-01 10:30 UTC is 12:30 in Rome (CEST); 2026-01-15 23:30 UTC is 00:30 the next day.
        assert_eq!(local_time(Lang::It, "Europe/Rome", 1_782_901_800), "01/07/2026 12:30");
        assert_eq!(
            local_time(Lang::En, "Europe/Rome", 1_782_901_800),
            "Jul 1, 2026, 12:30 PM"
        );
        assert_eq!(local_time(Lang::It, "Europe/Rome", 1_768_519_800), "16/01/2026 00:30");
        assert_eq!(
            local_time(Lang::It, "Nowhere/Else", 1_768_519_800),
            "15/01/2026 23:30 UTC"
        );
    }
}
