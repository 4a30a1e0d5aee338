//! The Settings page's words: which group each configuration key belongs to, its plain label (the
//! catalogue's `setting.<key>.label`; groups `setting.group.<id>.title`), and a refused change
//! worded in the user's language (`setting.kind.*`, `setting.refusal.*`). The key itself stays
//! visible, small, under its label (it is what `openfatture config set` and the docs use).

use crate::i18n::{fill, text_in, Lang};
use crate::model::{SettingKind, SettingProblem, SettingRefusal};

/// A part of the Settings page, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// The business: name, partita IVA, address, time zone.
    Shop,
    /// The Lightning node and how it is called.
    Node,
    /// BTC/EUR rate sources.
    Rates,
    /// Lightning invoices from fatture.
    Invoices,
    /// The shop counter.
    Pos,
    /// Signed notifications to the business's systems.
    Webhooks,
    /// Channel liquidity.
    Liquidity,
    /// Outgoing email.
    Email,
    /// The web gateway itself: HTTPS, host names, metrics, database.
    Gateway,
    /// A key without a label yet (shown with its own name).
    Other,
}

impl Group {
    /// Every group, in page order.
    pub const ALL: [Group; 10] = [
        Group::Shop,
        Group::Node,
        Group::Rates,
        Group::Invoices,
        Group::Pos,
        Group::Webhooks,
        Group::Liquidity,
        Group::Email,
        Group::Gateway,
        Group::Other,
    ];

    /// Short stable name (test ids, anchors).
    pub fn id(self) -> &'static str {
        match self {
            Group::Shop => "shop",
            Group::Node => "node",
            Group::Rates => "rates",
            Group::Invoices => "invoices",
            Group::Pos => "pos",
            Group::Webhooks => "webhooks",
            Group::Liquidity => "liquidity",
            Group::Email => "email",
            Group::Gateway => "gateway",
            Group::Other => "other",
        }
    }

    /// The group's heading in `lang`.
    pub fn title(self, lang: Lang) -> &'static str {
        text_in(lang, &format!("setting.group.{}.title", self.id()))
    }
}

/// Where a key goes on the page and what it is called there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// Its group.
    pub group: Group,
    /// The configuration key (its label is the catalogue's `setting.<key>.label`).
    pub key: &'static str,
}

impl Label {
    /// The label in `lang`.
    pub fn text(&self, lang: Lang) -> &'static str {
        text_in(lang, &format!("setting.{}.label", self.key))
    }

    /// What the setting does, in `lang` (the English text is the key's own description, as
    /// `openfatture config list` prints it).
    pub fn description(&self, lang: Lang) -> &'static str {
        text_in(lang, &format!("setting.{}.description", self.key))
    }
}

/// Every labelled key, in page order within its group.
const LABELS: &[(&str, Group)] = &[
    ("shop_name", Group::Shop),
    ("shop_vat_number", Group::Shop),
    ("shop_address", Group::Shop),
    ("shop_timezone", Group::Shop),
    ("lightning_enabled", Group::Node),
    ("lightning_host", Group::Node),
    ("lightning_cert_path", Group::Node),
    ("lightning_macaroon_path", Group::Node),
    ("lightning_timeout_seconds", Group::Node),
    ("lightning_max_retries", Group::Node),
    ("lightning_circuit_breaker_failures", Group::Node),
    ("lightning_circuit_breaker_timeout", Group::Node),
    ("lightning_backup_keep", Group::Node),
    ("lightning_backup_dir", Group::Node),
    ("lightning_alert_inactive_minutes", Group::Node),
    ("lightning_kraken_enabled", Group::Rates),
    ("lightning_bitstamp_enabled", Group::Rates),
    ("lightning_coinbase_enabled", Group::Rates),
    ("lightning_coingecko_enabled", Group::Rates),
    ("lightning_coingecko_api_key", Group::Rates),
    ("lightning_coingecko_pro", Group::Rates),
    ("lightning_cmc_enabled", Group::Rates),
    ("lightning_cmc_api_key", Group::Rates),
    ("lightning_rate_max_deviation_percent", Group::Rates),
    ("lightning_rate_min_sources", Group::Rates),
    ("lightning_fallback_rate", Group::Rates),
    ("lightning_rate_cache_ttl", Group::Rates),
    ("lightning_kraken_base_url", Group::Rates),
    ("lightning_bitstamp_base_url", Group::Rates),
    ("lightning_coinbase_base_url", Group::Rates),
    ("lightning_coingecko_base_url", Group::Rates),
    ("lightning_cmc_base_url", Group::Rates),
    ("lightning_default_expiry_hours", Group::Invoices),
    ("lightning_min_expiry_hours", Group::Invoices),
    ("lightning_max_expiry_hours", Group::Invoices),
    ("public_base_url", Group::Invoices),
    ("lightning_pay_page_requote", Group::Invoices),
    ("lightning_identity_threshold_eur", Group::Invoices),
    ("lightning_pos_expiry_minutes", Group::Pos),
    ("pos_max_amount_eur", Group::Pos),
    ("pos_refund_max_fee_ppm", Group::Pos),
    ("lightning_webhook_enabled", Group::Webhooks),
    ("lightning_webhook_url", Group::Webhooks),
    ("lightning_webhook_secret", Group::Webhooks),
    ("lightning_webhook_timeout", Group::Webhooks),
    ("lightning_webhook_allow_private", Group::Webhooks),
    ("lightning_liquidity_enabled", Group::Liquidity),
    ("lightning_liquidity_min_ratio", Group::Liquidity),
    ("lightning_liquidity_target_ratio", Group::Liquidity),
    ("lightning_liquidity_max_ratio", Group::Liquidity),
    ("lightning_liquidity_check_interval", Group::Liquidity),
    ("lightning_liquidity_block_unreceivable", Group::Liquidity),
    ("lightning_liquidity_max_fee_ppm", Group::Liquidity),
    ("lightning_liquidity_max_daily_fee_sats", Group::Liquidity),
    ("smtp_host", Group::Email),
    ("smtp_port", Group::Email),
    ("smtp_security", Group::Email),
    ("smtp_username", Group::Email),
    ("smtp_password", Group::Email),
    ("smtp_from", Group::Email),
    ("smtp_ca_file", Group::Email),
    ("gateway_public_names", Group::Gateway),
    ("gateway_metrics_token", Group::Gateway),
    ("gateway_tls_cert_path", Group::Gateway),
    ("gateway_tls_key_path", Group::Gateway),
    ("database_url", Group::Gateway),
];

/// Every labelled configuration key, in page order (their labels are `setting.<key>.label`).
pub fn labelled_keys() -> impl Iterator<Item = &'static str> {
    LABELS.iter().map(|(key, _)| *key)
}

/// The group and plain labels of `key`, if it has them.
pub fn label_of(key: &str) -> Option<Label> {
    LABELS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|&(key, group)| Label { group, key })
}

/// Where `key` sorts on the page: its group, then its place in the group.
pub fn page_order(key: &str) -> (usize, usize) {
    let group = label_of(key).map_or(Group::Other, |l| l.group);
    let group_index = Group::ALL.iter().position(|g| *g == group).unwrap_or(Group::ALL.len());
    let place = LABELS.iter().position(|(name, _)| *name == key).unwrap_or(LABELS.len());
    (group_index, place)
}

/// The label of `key` in `lang`, or the key itself.
pub fn name_in(key: &str, lang: Lang) -> String {
    label_of(key).map_or_else(|| key.to_string(), |l| l.text(lang).to_string())
}

/// What a valid value of `kind` looks like, in `lang` (`setting.kind.*`).
pub fn expected_in(kind: SettingKind, lang: Lang) -> String {
    let key = match kind {
        SettingKind::Bool => "setting.kind.bool",
        SettingKind::Text => "setting.kind.text",
        SettingKind::Path => "setting.kind.path",
        SettingKind::HostPort => "setting.kind.host_port",
        SettingKind::Whole { .. } if kind.unbounded() => "setting.kind.whole_at_least",
        SettingKind::Whole { .. } => "setting.kind.whole_range",
        SettingKind::PositiveDecimal => "setting.kind.positive_decimal",
        SettingKind::Url => "setting.kind.url",
        SettingKind::Ratio => "setting.kind.ratio",
        SettingKind::VatNumber => "setting.kind.vat_number",
        SettingKind::TimeZone => "setting.kind.time_zone",
    };
    let (min, max) = match kind {
        SettingKind::Whole { min, max } => (min.to_string(), max.to_string()),
        _ => (String::new(), String::new()),
    };
    fill(text_in(lang, key), &[("min", &min), ("max", &max)])
}

/// A refused change in `lang`, naming the setting by its label (`setting.refusal.*`).
pub fn refusal_text(refusal: &SettingRefusal, lang: Lang) -> String {
    let name = name_in(&refusal.key, lang);
    match &refusal.problem {
        SettingProblem::UnknownKey => fill(text_in(lang, "setting.refusal.unknown_key"), &[("key", &refusal.key)]),
        SettingProblem::Invalid { kind } => fill(
            text_in(lang, "setting.refusal.invalid"),
            &[("name", &name), ("expected", &expected_in(*kind, lang))],
        ),
        SettingProblem::OutOfOrder {
            lower_key,
            lower_value,
            upper_key,
            upper_value,
        } => fill(
            text_in(lang, "setting.refusal.out_of_order"),
            &[
                ("lower", &name_in(lower_key, lang)),
                ("lower_value", lower_value),
                ("upper", &name_in(upper_key, lang)),
                ("upper_value", upper_value),
            ],
        ),
        SettingProblem::CliOnly => fill(text_in(lang, "setting.refusal.cli_only"), &[("name", &name)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_both_languages_are_written() {
        for (i, (key, _)) in LABELS.iter().enumerate() {
            assert!(LABELS[i + 1..].iter().all(|(other, _)| other != key), "{key} twice");
            for lang in [Lang::En, Lang::It] {
                let label = name_in(key, lang);
                assert!(!label.is_empty() && label != *key && label != "?", "{key} {lang:?}");
            }
        }
        for group in Group::ALL {
            assert_ne!(group.title(Lang::En), "?", "{group:?}");
            assert_ne!(group.title(Lang::It), "?", "{group:?}");
        }
    }

    #[test]
    fn english_kinds_read_as_the_cli_words_them() {
        let kinds = [
            SettingKind::Bool,
            SettingKind::Text,
            SettingKind::Path,
            SettingKind::HostPort,
            SettingKind::Whole { min: 1, max: u64::MAX },
            SettingKind::Whole { min: 1, max: 10 },
            SettingKind::PositiveDecimal,
            SettingKind::Url,
            SettingKind::Ratio,
            SettingKind::VatNumber,
            SettingKind::TimeZone,
        ];
        for kind in kinds {
            assert_eq!(expected_in(kind, Lang::En), kind.to_string());
            assert_ne!(expected_in(kind, Lang::It), kind.to_string(), "{kind:?}");
        }
    }

    #[test]
    fn refusals_name_the_setting_in_each_language() {
        let refusal = SettingRefusal {
            key: "lightning_pos_expiry_minutes".into(),
            problem: SettingProblem::Invalid {
                kind: SettingKind::Whole { min: 1, max: 10 },
            },
        };
        assert_eq!(
            refusal_text(&refusal, Lang::It),
            "Tempo per pagare in cassa (minuti): valore non valido; serve un numero intero da 1 a 10. Non è cambiato nulla."
        );
        assert!(refusal_text(&refusal, Lang::En).starts_with("Time to pay at the counter (minutes): not a valid value"));
        let order = SettingRefusal {
            key: "lightning_min_expiry_hours".into(),
            problem: SettingProblem::OutOfOrder {
                lower_key: "lightning_min_expiry_hours".into(),
                lower_value: "500".into(),
                upper_key: "lightning_default_expiry_hours".into(),
                upper_value: "24".into(),
            },
        };
        assert!(refusal_text(&order, Lang::It).contains("Validità minima (ore) (500) non può superare"));
        assert!(page_order("shop_name") < page_order("lightning_host"));
        assert_eq!(page_order("no_such_key").0, Group::ALL.len() - 1);
    }
}
