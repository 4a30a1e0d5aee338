//! A refusal as data: what every error and per-item problem the gateway reports carries to the page.

use serde::{Deserialize, Serialize};

/// A refusal as data: the catalogue key of its text (`error.invoice.unknown_numero`) and the
/// text's `{name}` values. The page words it in its language (`Refusal::text` in `i18n`); its
/// `Display` is the English text (for logs and the tests). A value named `…_eur` is an amount in
/// EUR (`12.50`), written as the language writes money; `…_sat` a whole number of sats, grouped;
/// `…_pct` a percentage with the language's decimal mark; a value named `x_text` is the catalogue
/// key of a word filled in for `{x}` in the language. Also used for notices that are not refusals
/// (owner warnings, provider health): any catalogue text with values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The catalogue key of the text.
    pub code: String,
    /// The text's named values, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<(String, String)>,
}

impl Refusal {
    /// The refusal `code` with the named `values`.
    pub fn new(code: &str, values: &[(&str, &str)]) -> Refusal {
        Refusal {
            code: code.to_string(),
            values: values
                .iter()
                .map(|(name, value)| ((*name).to_string(), (*value).to_string()))
                .collect(),
        }
    }

    /// The refusal `code`, which has no values.
    pub fn code(code: &str) -> Refusal {
        Refusal::new(code, &[])
    }

    /// The value named `name`, if any.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}
