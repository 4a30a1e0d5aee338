//! Italian and English. The language starts from the browser's (`navigator.language`, Italian when it
//! starts with "it"), can be switched in the header, and the choice is remembered in the browser.
//!
//! Texts live next to the components that show them, as `tr("English", "Italiano")` pairs: no
//! lookup table to keep in sync, and a missing translation is impossible to write.

use leptos::prelude::*;

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

/// Puts the language into context: the remembered choice, else the browser's language.
pub fn provide_i18n() -> I18n {
    let i18n = I18n(RwSignal::new(initial_lang()));
    provide_context(i18n);
    i18n
}

/// The current language (English if none was provided).
pub fn lang() -> Lang {
    use_context::<I18n>().map(|i| i.0.get()).unwrap_or(Lang::En)
}

/// The text for the current language (tracked: call it inside a reactive closure).
pub fn tr(en: &'static str, it: &'static str) -> &'static str {
    match lang() {
        Lang::En => en,
        Lang::It => it,
    }
}

/// The [`I18n`] in context (fetch it while rendering; event handlers may run without context).
pub fn use_i18n() -> Option<I18n> {
    use_context::<I18n>()
}

/// Switches the language of `i18n` and remembers the choice in the browser.
pub fn set_lang(i18n: Option<I18n>, new: Lang) {
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
}
