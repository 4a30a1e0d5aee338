//! The texts of every language, one catalogue file each (`en.rs`, `it.rs`): a list of
//! `(key, text)` pairs. Keys are dotted and name where the text shows (`pos.error.busy`); a text
//! may carry named values written `{name}`, filled by [`fill`]. Adding a language is one more
//! catalogue file and one more [`Lang`] variant; the tests below fail when a key is missing from
//! one catalogue, repeated, empty, or carries other values than in English.
//!
//! How code names a key, which the usage tests below read from the sources of `app/src` and
//! `server/src` (so that a key used in code and missing from the catalogues, or a catalogue key no
//! code uses, fails `cargo test -p app`):
//! - a literal key in a call: `t("area.name")`, `text_in(lang, "area.name")`,
//!   `Column::text("area.name")` / `Column::num("area.name")`;
//! - any other string literal shaped like a key of a catalogue area (`"area.name"`, `area` being
//!   the first part of some catalogue key), e.g. a key chosen in a `match` and looked up later
//!   (a file or host name of that shape is listed in the tests' `NOT_KEYS`);
//! - a key built at run time from a literal with `{}` (`format!("pos.error.{}", code)`): only the
//!   families listed in the tests' `FAMILIES`, whose every member the tests build from the enum or
//!   list it comes from (`PosError::ALL`, `Group::ALL`, the labelled settings).
//!
//! Page code holds no user text of its own: no `tr("English", "Italiano")` pair (the helper is
//! gone and `scripts/check_formats.py` refuses a new one) and, checked below, no string literal with
//! Italian accented letters under `app/src/pages`, `components` or `router` outside unit tests.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{en, it, Catalogue, Lang};

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

    // ---- usage: every key the code names exists, and every catalogue key is named by some code.

    /// A key-shaped literal: `area.name` (lower case, digits, `_`, at least one dot).
    fn is_key_shaped(text: &str) -> bool {
        text.contains('.')
            && !text.starts_with('.')
            && !text.ends_with('.')
            && !text.contains("..")
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
    }

    /// The `.rs` files under `dir`, recursively, with their text.
    fn sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.push((path, text));
            }
        }
    }

    /// The source files of `app/src` and `server/src`, without the catalogues themselves.
    fn code_files() -> Vec<(std::path::PathBuf, String)> {
        let app = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&app.join("src"), &mut files);
        sources(&app.join("../server/src"), &mut files);
        files.retain(|(path, _)| {
            !(path.ends_with("i18n/en.rs") || path.ends_with("i18n/it.rs") || path.ends_with("i18n/catalogue.rs"))
        });
        assert!(
            files.iter().any(|(p, _)| p.ends_with("pages/pos.rs")) && files.iter().any(|(p, _)| p.ends_with("main.rs")),
            "the sources of app/src and server/src were not found from {}",
            app.display()
        );
        files
    }

    /// The string literals of a Rust source (plain `"…"` only; raw strings and chars skipped),
    /// outside `//` comments, with the text before each on its line.
    fn literals(source: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for line in source.lines() {
            let bytes: Vec<char> = line.chars().collect();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    '/' if bytes.get(i + 1) == Some(&'/') => break,
                    '\'' => {
                        // a char literal ('"', '\'') or a lifetime: skip the char literal
                        if bytes.get(i + 2) == Some(&'\'') {
                            i += 3;
                        } else if bytes.get(i + 1) == Some(&'\\') && bytes.get(i + 3) == Some(&'\'') {
                            i += 4;
                        } else {
                            i += 1;
                        }
                    }
                    '"' => {
                        let start = i + 1;
                        let mut j = start;
                        while j < bytes.len() && bytes[j] != '"' {
                            j += if bytes[j] == '\\' { 2 } else { 1 };
                        }
                        let before: String = bytes[..i].iter().collect();
                        let text: String = bytes[start..j.min(bytes.len())].iter().collect();
                        found.push((before, text));
                        i = j + 1;
                    }
                    _ => i += 1,
                }
            }
        }
        found
    }

    /// Whether a literal after `before` (its line up to the quote) is the key argument of `t(`,
    /// `text_in(<lang>, `, `Column::text(` or `Column::num(`.
    fn names_a_key(before: &str) -> bool {
        let before = before.trim_end();
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if let Some(head) = before.strip_suffix("t(") {
            if !head.ends_with(ident) {
                return true;
            }
        }
        if before.ends_with("Column::text(") || before.ends_with("Column::num(") {
            return true;
        }
        match before.rfind("text_in(") {
            Some(at) if !before[..at].ends_with(ident) => {
                let args = &before[at + "text_in(".len()..];
                args.trim_end().ends_with(',') && args.matches(',').count() == 1 && !args.contains('"')
            }
            _ => false,
        }
    }

    /// Key families built at run time, and every key each stands for.
    fn families() -> Vec<(&'static str, Vec<String>)> {
        use crate::pages::setting_labels::{labelled_keys, Group};
        vec![
            (
                "pos.error.{}",
                crate::error::PosError::ALL
                    .iter()
                    .map(|e| format!("pos.error.{}", e.code()))
                    .collect(),
            ),
            (
                "setting.group.{}.title",
                Group::ALL
                    .iter()
                    .map(|g| format!("setting.group.{}.title", g.id()))
                    .collect(),
            ),
            (
                "setting.{}.label",
                labelled_keys().map(|k| format!("setting.{k}.label")).collect(),
            ),
            (
                "setting.{}.description",
                labelled_keys().map(|k| format!("setting.{k}.description")).collect(),
            ),
        ]
    }

    /// Key-shaped literals of a catalogue area that are not keys (file and host names).
    const NOT_KEYS: [&str; 5] = ["payments.csv", "pos.shop.lan", "pay.css", "pay.js", "receipt.css"];

    /// Every key the code names: literal keys, and the members of the run-time families.
    fn keys_in_code() -> BTreeSet<String> {
        let areas: HashSet<&str> = keys().iter().filter_map(|k| k.split('.').next()).collect();
        let families = families();
        let mut used = BTreeSet::new();
        for (path, source) in code_files() {
            for (before, text) in literals(&source) {
                let call = names_a_key(&before);
                let area = text.split('.').next().unwrap_or_default();
                if text.contains("{}") && areas.contains(area) && is_key_shaped(&text.replace("{}", "x")) {
                    assert!(
                        families.iter().any(|(pattern, _)| *pattern == text),
                        "{}: the key family {text:?} is built at run time: add it to FAMILIES in catalogue.rs",
                        path.display()
                    );
                    continue;
                }
                assert!(
                    !call || is_key_shaped(&text),
                    "{}: {before}{text:?} names no catalogue key (area.name)",
                    path.display()
                );
                if is_key_shaped(&text) && (call || (areas.contains(area) && !NOT_KEYS.contains(&text.as_str()))) {
                    used.insert(text);
                }
            }
        }
        for (_, members) in families {
            used.extend(members);
        }
        used
    }

    #[test]
    fn every_key_the_code_names_is_in_the_catalogues() {
        let known: HashSet<&str> = keys().into_iter().collect();
        let missing: Vec<_> = keys_in_code()
            .into_iter()
            .filter(|k| !known.contains(k.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "keys used in code but missing from en.rs/it.rs: {missing:?}"
        );
    }

    #[test]
    fn every_catalogue_key_is_used_by_some_code() {
        let used = keys_in_code();
        let unused: Vec<_> = keys().into_iter().filter(|k| !used.contains(*k)).collect();
        assert!(
            unused.is_empty(),
            "catalogue keys no code uses (remove them): {unused:?}"
        );
    }

    #[test]
    fn the_usage_scan_sees_keys_in_their_call_shapes() {
        let found = literals(r#"let a = t("pos.charge"); // t("pos.comment")"#);
        assert_eq!(found, vec![("let a = t(".to_string(), "pos.charge".to_string())]);
        let found = literals(r#"x('"'); text_in(lang, "a.b\"c")"#);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(names_a_key("x = t(") && names_a_key("text_in(langs().0, ") && names_a_key("Column::num("));
        assert!(!names_a_key("transport(") && !names_a_key("text_in(lang, \"a\", ") && !names_a_key("f(x, "));
        assert!(is_key_shaped("setting.shop_name.label") && !is_key_shaped("config.toml ") && !is_key_shaped("a."));
        let used = keys_in_code();
        for key in [
            "pos.charge",
            "dashboard.column.channel",
            "pos.error.busy",
            "setting.shop_name.label",
            "rate.state.demo",
        ] {
            assert!(used.contains(key), "{key} not seen as used");
        }
    }

    #[test]
    fn pages_hold_no_italian_text_of_their_own() {
        const ITALIAN_LETTERS: [char; 7] = ['à', 'è', 'é', 'ì', 'ò', 'ù', 'À'];
        let mut offending = Vec::new();
        for (path, source) in code_files() {
            let shown = path.to_string_lossy().replace('\\', "/");
            if !["/src/pages/", "/src/components/", "/src/router/"]
                .iter()
                .any(|d| shown.contains(d))
                || shown.contains("/server/")
            {
                continue;
            }
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (_, text) in literals(code) {
                if text.chars().any(|c| ITALIAN_LETTERS.contains(&c)) {
                    offending.push(format!("{shown}: {text:?}"));
                }
            }
        }
        assert!(
            offending.is_empty(),
            "Italian text outside the catalogue: {offending:?}"
        );
    }
}
