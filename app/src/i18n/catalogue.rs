//! The texts of every language, one catalogue file each (`en.rs`, `it.rs`): a list of
//! `(key, text)` pairs. Keys are dotted and name where the text shows (`pos.error.busy`); a text
//! may carry named values written `{name}`, filled by [`fill`]. Adding a language is one more
//! catalogue file and one more [`Lang`] variant; the tests below fail when a key is missing from
//! one catalogue, repeated, empty, or carries other values than in English.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{en, it, Lang};

/// One language's texts: `(key, text)` pairs.
pub(crate) type Catalogue = &'static [(&'static str, &'static str)];

/// The catalogue of `lang`.
fn catalogue(lang: Lang) -> Catalogue {
    match lang {
        Lang::En => en::TEXTS,
        Lang::It => it::TEXTS,
    }
}

/// Every language, in the order of [`Lang`]'s variants.
#[cfg(test)]
pub(crate) const LANGS: [Lang; 2] = [Lang::En, Lang::It];

fn index(lang: Lang) -> &'static HashMap<&'static str, &'static str> {
    static INDEXES: [OnceLock<HashMap<&'static str, &'static str>>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = match lang {
        Lang::En => &INDEXES[0],
        Lang::It => &INDEXES[1],
    };
    slot.get_or_init(|| catalogue(lang).iter().copied().collect())
}

/// The text of `key` in `lang`; a key missing from the catalogue (which the tests forbid) shows as
/// the English text, or as the key itself if English lacks it too.
pub fn text_in(lang: Lang, key: &str) -> &'static str {
    if let Some(text) = index(lang).get(key) {
        return text;
    }
    leptos::logging::warn!("text {key:?} is missing from the {} catalogue", lang.tag());
    match index(Lang::En).get_key_value(key) {
        Some((_, text)) => text,
        None => "?",
    }
}

/// `template` with each `{name}` replaced by its value from `values`; unknown names stay as written.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a text, sorted.
#[cfg(test)]
pub(crate) fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names.sort_unstable();
    names
}

/// Every key of the English catalogue (the reference), for tests that check usage.
#[cfg(test)]
pub(crate) fn keys() -> Vec<&'static str> {
    catalogue(Lang::En).iter().map(|(key, _)| *key).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn every_language_has_every_key_once_and_no_other() {
        let reference: BTreeSet<&str> = catalogue(Lang::En).iter().map(|(k, _)| *k).collect();
        for lang in LANGS {
            let texts = catalogue(lang);
            let mut seen = HashSet::new();
            for (key, text) in texts {
                assert!(seen.insert(*key), "{} repeats the key {key:?}", lang.tag());
                assert!(!text.trim().is_empty(), "{} has an empty text for {key:?}", lang.tag());
            }
            let keys: BTreeSet<&str> = seen.into_iter().collect();
            let missing: Vec<_> = reference.difference(&keys).collect();
            let extra: Vec<_> = keys.difference(&reference).collect();
            assert!(missing.is_empty(), "the {} catalogue lacks {missing:?}", lang.tag());
            assert!(
                extra.is_empty(),
                "the {} catalogue has keys English lacks: {extra:?}",
                lang.tag()
            );
        }
    }

    #[test]
    fn every_translation_carries_the_same_values() {
        for lang in LANGS {
            for (key, text) in catalogue(lang) {
                let english = text_in(Lang::En, key);
                assert_eq!(
                    placeholders(text),
                    placeholders(english),
                    "{} {key:?}: {text:?} against {english:?}",
                    lang.tag()
                );
            }
        }
    }

    #[test]
    fn keys_are_dotted_lower_case_names() {
        for key in keys() {
            let ok = key.contains('.')
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
            assert!(ok, "key {key:?} must be dotted lower-case (area.name)");
        }
    }

    #[test]
    fn filling_replaces_named_values_only() {
        assert_eq!(fill("tra {n} min", &[("n", "14")]), "tra 14 min");
        assert_eq!(fill("{a} e {b}", &[("b", "2"), ("a", "1")]), "1 e 2");
        assert_eq!(fill("{x} resta", &[]), "{x} resta");
        assert_eq!(fill("aperta { senza chiusura", &[]), "aperta { senza chiusura");
        assert_eq!(placeholders("{b} {a}"), vec!["a", "b"]);
    }
}
