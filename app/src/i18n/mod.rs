//! Italian and English. The language starts from the browser's (`navigator.language`, Italian when it
//! starts with "it"), can be switched in the header, and the choice is remembered in the browser.
//!
//! Every text comes from one catalogue per language (`en.rs`, `it.rs`, see [`catalogue`]), looked
//! up by key: [`t`] in the current language, [`text_in`] in a given one, [`fill`] for texts with
//! values in them. The catalogue tests fail when a key is missing in one language.

mod catalogue;
mod en;
mod it;

pub use catalogue::{fill, text_in};

/// One language's texts: `(key, text)` pairs (the type of `en::TEXTS`, `it::TEXTS`).
pub(crate) type Catalogue = &'static [(&'static str, &'static str)];

use leptos::prelude::*;

use crate::model::{code_point, describe_char, AmountError, TextError, TextField};

/// The app's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Italiano.
    It,
}

impl Lang {
    /// The BCP 47 tag (`en`, `it`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
        }
    }

    /// The language a browser tag asks for: Italian for `it…`, English otherwise.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("it")) {
            Lang::It
        } else {
            Lang::En
        }
    }
}

/// Key under which the chosen language is remembered in `localStorage`.
const STORAGE_KEY: &str = "openfatture.lang";

/// The current language, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

/// The language last chosen, for code that runs outside any component (event handlers, async
/// tasks): 0 English, 1 Italian.
static CURRENT_LANG: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

fn remember_lang(lang: Lang) {
    let n = match lang {
        Lang::En => 0,
        Lang::It => 1,
    };
    CURRENT_LANG.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// The page's language now, untracked, from anywhere (an event handler or an async task, which
/// run without the component's context): the choice last set by [`provide_i18n`] or [`set_lang`].
pub fn current_lang() -> Lang {
    match CURRENT_LANG.load(std::sync::atomic::Ordering::Relaxed) {
        1 => Lang::It,
        _ => Lang::En,
    }
}

/// Puts the language into context: the remembered choice, else the browser's language.
pub fn provide_i18n() -> I18n {
    let initial = initial_lang();
    remember_lang(initial);
    let i18n = I18n(RwSignal::new(initial));
    provide_context(i18n);
    i18n
}

/// The current language (English if none was provided).
pub fn lang() -> Lang {
    use_context::<I18n>().map(|i| i.0.get()).unwrap_or(Lang::En)
}

/// The text of `key` in the current language (tracked: call it inside a reactive closure).
pub fn t(key: &str) -> &'static str {
    text_in(lang(), key)
}

/// The [`I18n`] in context (fetch it while rendering; event handlers may run without context).
pub fn use_i18n() -> Option<I18n> {
    use_context::<I18n>()
}

/// Switches the language of `i18n` and remembers the choice in the browser.
pub fn set_lang(i18n: Option<I18n>, new: Lang) {
    remember_lang(new);
    if let Some(i18n) = i18n {
        i18n.0.set(new);
    }
    #[cfg(feature = "csr")]
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(STORAGE_KEY, new.tag());
    }
    #[cfg(feature = "csr")]
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", new.tag());
    }
}

/// A EUR amount of whole cents as a message in `lang` writes it: `1.000,00 €` in Italian,
/// `1,000.00 €` in English.
pub fn eur_text(cents: u64, lang: Lang) -> String {
    let (group, decimal) = match lang {
        Lang::It => ('.', ','),
        Lang::En => (',', '.'),
    };
    let digits = (cents / 100).to_string();
    let mut euros = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            euros.push(group);
        }
        euros.push(ch);
    }
    format!("{euros}{decimal}{:02} €", cents % 100)
}

/// Why a typed amount was refused, in `lang` (`amount_error.*`; the English texts are the
/// error's own, which a test checks).
pub fn amount_error_text(error: &AmountError, lang: Lang) -> String {
    amount_refusal(error).text(lang)
}

/// Why a typed amount was refused, as a refusal the page words (`amount_error.*`): the gateway
/// sends it when it refuses an amount the browser let through.
pub fn amount_refusal(error: &AmountError) -> crate::error::Refusal {
    use crate::error::Refusal;
    let key = match error {
        AmountError::Empty => "amount_error.empty",
        AmountError::TooLong => "amount_error.too_long",
        AmountError::Sign => "amount_error.sign",
        AmountError::Zero => "amount_error.zero",
        AmountError::NotADigit { .. } => "amount_error.not_a_digit",
        AmountError::Grouping => "amount_error.grouping",
        AmountError::NoLeadingDigit => "amount_error.no_leading_digit",
        AmountError::NoDecimals => "amount_error.no_decimals",
        AmountError::TooManyDecimals => "amount_error.too_many_decimals",
    };
    match error {
        AmountError::NotADigit { found: ' ' } => Refusal::new(key, &[("found_text", "amount_error.a_space")]),
        AmountError::NotADigit { found } => Refusal::new(key, &[("found", &describe_char(found))]),
        _ => Refusal::code(key),
    }
}

/// Why a note or description was refused, in `lang` (`text_error.*`; the English texts are the
/// error's own, which a test checks).
pub fn text_error_text(error: &TextError, lang: Lang) -> String {
    let (key, field, found) = match error {
        TextError::Control { field, found } => ("text_error.control", field, found),
        TextError::Bidi { field, found } => ("text_error.bidi", field, found),
    };
    let field = match field {
        TextField::Note => text_in(lang, "text_error.field.note"),
        TextField::Description => text_in(lang, "text_error.field.description"),
    };
    fill(text_in(lang, key), &[("field", field), ("code", &code_point(found))])
}

fn initial_lang() -> Lang {
    #[cfg(feature = "csr")]
    {
        let stored = window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        let tag = stored.or_else(|| window().navigator().language()).unwrap_or_default();
        let lang = Lang::from_tag(&tag);
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.tag());
        }
        lang
    }
    #[cfg(not(feature = "csr"))]
    {
        let _ = STORAGE_KEY;
        Lang::En
    }
}

// ---- POS errors and rate labels (issue 31 §2): every text a cashier can see for a refusal, and
// the rate state's label. Short, saying what to do; no technical words (those go to the log).

impl crate::error::PosError {
    /// The cashier's text for this error in `lang`: short, and it says what to do.
    pub fn text(self, lang: Lang) -> &'static str {
        text_in(lang, &format!("pos.error.{}", self.code()))
    }
}

impl crate::model::RateState {
    /// The small label of this kind of rate in `lang` ("demo rate" / "cambio dimostrativo").
    pub fn label(self, lang: Lang) -> &'static str {
        use crate::model::RateState as S;
        let key = match self {
            S::Live => "rate.state.live",
            S::Stale => "rate.state.stale",
            S::Fallback => "rate.state.fallback",
            S::Demo => "rate.state.demo",
            S::Unavailable => "rate.state.unavailable",
        };
        text_in(lang, key)
    }
}

#[cfg(test)]
mod pos_texts {
    use super::Lang;
    use crate::error::PosError;
    use crate::model::RateState;

    /// Words a cashier must never read: they belong in the log.
    const TECHNICAL: [&str; 6] = ["http", "dns", "curl", "grpc", "lnd", "error:"];

    #[test]
    fn every_pos_error_has_a_short_plain_italian_and_english_text() {
        for error in PosError::ALL {
            for lang in [Lang::En, Lang::It] {
                let text = error.text(lang);
                assert!(!text.trim().is_empty(), "{error:?} {lang:?}");
                assert!(text.chars().count() <= 90, "{error:?} {lang:?} too long: {text}");
                let lower = text.to_lowercase();
                for word in TECHNICAL {
                    assert!(!lower.contains(word), "{error:?} {lang:?} says {word:?}: {text}");
                }
            }
            assert_ne!(
                error.text(Lang::En),
                error.text(Lang::It),
                "{error:?} is not translated"
            );
        }
        let codes: std::collections::HashSet<_> = PosError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), PosError::ALL.len(), "codes are distinct");
    }

    #[test]
    fn the_rate_unavailable_text_says_what_to_do() {
        assert_eq!(
            PosError::RateUnavailable.text(Lang::It),
            "Cambio BTC/EUR non disponibile: avvisa il responsabile"
        );
        assert_eq!(
            PosError::RateUnavailable.text(Lang::En),
            "BTC/EUR rate unavailable: tell the manager"
        );
    }

    #[test]
    fn every_rate_state_has_both_labels() {
        for state in RateState::ALL {
            assert!(!state.label(Lang::En).is_empty() && !state.label(Lang::It).is_empty());
            assert_ne!(state.label(Lang::En), state.label(Lang::It), "{state:?}");
        }
        assert_eq!(RateState::Demo.label(Lang::En), "demo rate");
        assert_eq!(RateState::Demo.label(Lang::It), "cambio dimostrativo");
    }
}

// ---- end of the POS errors and rate labels block.

// ---- Gateway refusals (issue 34): every `AppError` worded in the page's language from its code
// and values (`error.*`, and the `amount_error.*`, `text_error.*`, `staff.refusal.*` texts the
// gateway names). The English text is also the error's `Display`, for logs and tests.

impl crate::error::Refusal {
    /// This refusal in `lang`: the catalogue text of its code with its values filled in (amounts
    /// in `…_eur` values written as `lang` writes money, `x_text` values worded in `lang`).
    pub fn text(&self, lang: Lang) -> String {
        let worded: Vec<(String, String)> = self
            .values
            .iter()
            .map(|(name, value)| match name.strip_suffix("_text") {
                Some(base) => (base.to_string(), text_in(lang, value).to_string()),
                None if name.ends_with("_eur") => (name.clone(), eur_value_text(value, lang)),
                None if name.ends_with("_sat") => (name.clone(), sat_value_text(value, lang)),
                None if name.ends_with("_pct") => (name.clone(), pct_value_text(value, lang)),
                None => (name.clone(), value.clone()),
            })
            .collect();
        let pairs: Vec<(&str, &str)> = worded.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        fill(text_in(lang, &self.code), &pairs)
    }
}

impl std::fmt::Display for crate::error::Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl crate::error::AppError {
    /// What the page shows for this error in `lang`: short, saying what to do, never a technical
    /// detail (those stay in the gateway's log or the browser's console).
    pub fn text(&self, lang: Lang) -> String {
        use crate::error::AppError as E;
        match self {
            E::Pos(code) => code.text(lang).to_string(),
            E::Transport(detail) => {
                leptos::logging::warn!("could not talk to the gateway: {detail}");
                text_in(lang, "error.transport").to_string()
            }
            E::Setting(refusal) => fill(text_in(lang, "error.setting"), &[("key", &refusal.key)]),
            E::Lightning(r)
            | E::Unavailable(r)
            | E::Invalid(r)
            | E::NotSignedIn(r)
            | E::Forbidden(r)
            | E::NotFound(r)
            | E::Throttled(r) => r.text(lang),
        }
    }
}

/// A decimal EUR amount (`12.5`, `1234.56`) as `lang` writes money; anything else as given.
fn eur_value_text(value: &str, lang: Lang) -> String {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let fraction = fraction.trim_end_matches('0');
    let digits_ok = !whole.is_empty()
        && whole.len() <= 15
        && fraction.len() <= 2
        && whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit());
    if !digits_ok {
        return value.to_string();
    }
    let cents_part = format!("{fraction:0<2}");
    match (whole.parse::<u64>(), cents_part.parse::<u64>()) {
        (Ok(euros), Ok(cents)) => euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .map_or_else(|| value.to_string(), |total| eur_text(total, lang)),
        _ => value.to_string(),
    }
}

/// A whole number of sats (`432956`) grouped as `lang` groups digits, with its unit.
fn sat_value_text(value: &str, lang: Lang) -> String {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return value.to_string();
    }
    let separator = match lang {
        Lang::It => '.',
        Lang::En => ',',
    };
    let mut grouped = String::new();
    for (i, c) in value.chars().enumerate() {
        if i > 0 && (value.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    format!("{grouped} sat")
}

/// A percentage (`2.35`) with `lang`'s decimal mark.
fn pct_value_text(value: &str, lang: Lang) -> String {
    match lang {
        Lang::It => value.replace('.', ","),
        Lang::En => value.to_string(),
    }
}

#[cfg(test)]
mod refusal_texts {
    use super::{text_in, Lang};
    use crate::error::{AppError, Refusal};

    /// Every `error.*` key of the catalogue: the codes the gateway and the browser send.
    fn error_codes() -> Vec<&'static str> {
        super::catalogue::keys()
            .into_iter()
            .filter(|k| k.starts_with("error."))
            .collect()
    }

    #[test]
    fn every_error_code_is_worded_in_both_languages_without_technical_words() {
        let codes = error_codes();
        assert!(codes.len() >= 30, "only {} error codes", codes.len());
        for code in codes {
            let (en, it) = (text_in(Lang::En, code), text_in(Lang::It, code));
            assert_ne!(en, it, "{code} is not translated");
            for text in [en, it] {
                let lower = text.to_lowercase();
                for word in ["grpc", "sqlx", "sqlite", "postgres", "tonic", "status:"] {
                    assert!(!lower.contains(word), "{code} says {word:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn refusals_are_worded_in_the_pages_language_with_money_and_words_of_that_language() {
        let above = Refusal::new(
            "error.invoice.amount_above_due",
            &[("amount_eur", "1500"), ("due_eur", "1220.5"), ("numero", "2025/7")],
        );
        assert_eq!(
            above.text(Lang::En),
            "amount 1,500.00 € is more than the 1,220.50 € still due on invoice 2025/7"
        );
        assert_eq!(
            above.text(Lang::It),
            "l'importo 1.500,00 € supera i 1.220,50 € ancora da pagare sulla fattura 2025/7"
        );
        assert_eq!(above.to_string(), above.text(Lang::En));
        let space = Refusal::new("amount_error.not_a_digit", &[("found_text", "amount_error.a_space")]);
        assert!(space.text(Lang::It).contains("uno spazio"), "{}", space.text(Lang::It));
        let transport = AppError::Transport("connection refused".into());
        assert!(!transport.text(Lang::It).contains("refused"));
        assert_eq!(
            AppError::Throttled(Refusal::new("error.sign_in.throttled", &[("secs", "30")])).text(Lang::It),
            "troppi accessi falliti: riprova tra 30 s"
        );
    }
}

// ---- end of the gateway refusals block.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_browsers_get_italian() {
        assert_eq!(Lang::from_tag("it-IT"), Lang::It);
        assert_eq!(Lang::from_tag("IT"), Lang::It);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
    }

    #[test]
    fn euro_amounts_in_messages_follow_the_language() {
        assert_eq!(eur_text(100_000, Lang::It), "1.000,00 €");
        assert_eq!(eur_text(100_000, Lang::En), "1,000.00 €");
        assert_eq!(eur_text(123_456_789, Lang::It), "1.234.567,89 €");
        assert_eq!(eur_text(5, Lang::It), "0,05 €");
    }

    #[test]
    fn english_refusals_are_the_errors_own_words() {
        let amounts = [
            AmountError::Empty,
            AmountError::TooLong,
            AmountError::Sign,
            AmountError::Zero,
            AmountError::NotADigit { found: ' ' },
            AmountError::NotADigit { found: 'e' },
            AmountError::NotADigit { found: '\u{202E}' },
            AmountError::Grouping,
            AmountError::NoLeadingDigit,
            AmountError::NoDecimals,
            AmountError::TooManyDecimals,
        ];
        for error in amounts {
            assert_eq!(amount_error_text(&error, Lang::En), error.to_string());
            assert_ne!(amount_error_text(&error, Lang::It), error.to_string(), "{error:?}");
        }
        for field in [TextField::Note, TextField::Description] {
            for error in [
                TextError::Control { field, found: '\t' },
                TextError::Bidi {
                    field,
                    found: '\u{202E}',
                },
            ] {
                assert_eq!(text_error_text(&error, Lang::En), error.to_string());
                assert_ne!(text_error_text(&error, Lang::It), error.to_string(), "{error:?}");
            }
        }
    }

    #[test]
    fn refusals_read_in_both_languages() {
        let space = AmountError::NotADigit { found: ' ' };
        assert!(
            amount_error_text(&space, Lang::It).contains("uno spazio"),
            "{}",
            amount_error_text(&space, Lang::It)
        );
        assert_eq!(amount_error_text(&space, Lang::En), space.to_string());
        let bidi = TextError::Bidi {
            field: TextField::Note,
            found: '\u{202E}',
        };
        assert!(text_error_text(&bidi, Lang::It).starts_with("la nota contiene"));
        assert!(text_error_text(&bidi, Lang::It).contains("U+202E"));
    }
}
