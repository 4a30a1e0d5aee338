//! The Settings page's words: which group each configuration key belongs to, its plain label in
//! English and Italian, and a refused change worded in the user's language. The key itself stays
//! visible, small, under its label (it is what `openfatture config set` and the docs use).

use crate::i18n::Lang;
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
        let (en, it) = match self {
            Group::Shop => ("Shop data", "Dati del negozio"),
            Group::Node => ("Lightning node", "Nodo Lightning"),
            Group::Rates => ("BTC/EUR rates", "Cambio BTC/EUR"),
            Group::Invoices => ("Invoices", "Fatture e richieste di pagamento"),
            Group::Pos => ("Shop counter (POS)", "Cassa (POS)"),
            Group::Webhooks => ("Webhooks", "Webhook"),
            Group::Liquidity => ("Liquidity", "Liquidità"),
            Group::Email => ("Email", "Email"),
            Group::Gateway => ("Web server and security", "Server web e sicurezza"),
            Group::Other => ("Other", "Altro"),
        };
        pick(lang, en, it)
    }
}

/// Where a key goes on the page and what it is called there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// Its group.
    pub group: Group,
    /// Plain English.
    pub en: &'static str,
    /// Plain Italian.
    pub it: &'static str,
}

impl Label {
    /// The label in `lang`.
    pub fn text(&self, lang: Lang) -> &'static str {
        pick(lang, self.en, self.it)
    }
}

/// Every labelled key, in page order within its group.
const LABELS: &[(&str, Group, &str, &str)] = &[
    ("shop_name", Group::Shop, "Business name", "Ragione sociale"),
    (
        "shop_vat_number",
        Group::Shop,
        "VAT number (partita IVA)",
        "Partita IVA",
    ),
    ("shop_address", Group::Shop, "Address", "Indirizzo"),
    ("shop_timezone", Group::Shop, "Time zone", "Fuso orario"),
    (
        "public_base_url",
        Group::Invoices,
        "Public address of payment links",
        "Indirizzo pubblico dei link di pagamento",
    ),
    (
        "lightning_pay_page_requote",
        Group::Invoices,
        "Clients may ask for a new quote",
        "Il cliente può chiedere una nuova quotazione",
    ),
    (
        "lightning_enabled",
        Group::Node,
        "Lightning payments on",
        "Pagamenti Lightning attivi",
    ),
    (
        "lightning_host",
        Group::Node,
        "LND address (host:port)",
        "Indirizzo di LND (host:porta)",
    ),
    (
        "lightning_cert_path",
        Group::Node,
        "LND TLS certificate file",
        "File del certificato TLS di LND",
    ),
    (
        "lightning_macaroon_path",
        Group::Node,
        "LND macaroon file",
        "File del macaroon di LND",
    ),
    (
        "lightning_timeout_seconds",
        Group::Node,
        "Deadline of a node call (seconds)",
        "Tempo massimo di una chiamata al nodo (secondi)",
    ),
    (
        "lightning_max_retries",
        Group::Node,
        "Retries of node reads",
        "Tentativi di lettura dal nodo",
    ),
    (
        "lightning_circuit_breaker_failures",
        Group::Node,
        "Failures in a row before pausing calls",
        "Errori di fila prima di sospendere le chiamate",
    ),
    (
        "lightning_circuit_breaker_timeout",
        Group::Node,
        "Pause after repeated failures (seconds)",
        "Pausa dopo errori ripetuti (secondi)",
    ),
    (
        "lightning_kraken_enabled",
        Group::Rates,
        "Ask Kraken",
        "Chiedi a Kraken",
    ),
    (
        "lightning_bitstamp_enabled",
        Group::Rates,
        "Ask Bitstamp",
        "Chiedi a Bitstamp",
    ),
    (
        "lightning_coinbase_enabled",
        Group::Rates,
        "Ask Coinbase",
        "Chiedi a Coinbase",
    ),
    (
        "lightning_coingecko_enabled",
        Group::Rates,
        "Ask CoinGecko (needs an API key)",
        "Chiedi a CoinGecko (serve una chiave API)",
    ),
    (
        "lightning_coingecko_api_key",
        Group::Rates,
        "CoinGecko API key",
        "Chiave API di CoinGecko",
    ),
    (
        "lightning_coingecko_pro",
        Group::Rates,
        "The CoinGecko key is a paid (pro) key",
        "La chiave CoinGecko è a pagamento (pro)",
    ),
    (
        "lightning_cmc_enabled",
        Group::Rates,
        "Ask CoinMarketCap (needs an API key)",
        "Chiedi a CoinMarketCap (serve una chiave API)",
    ),
    (
        "lightning_cmc_api_key",
        Group::Rates,
        "CoinMarketCap API key",
        "Chiave API di CoinMarketCap",
    ),
    (
        "lightning_rate_max_deviation_percent",
        Group::Rates,
        "Drop a source further than this from the others (%)",
        "Scarta una fonte che si discosta più di così dalle altre (%)",
    ),
    (
        "lightning_rate_min_sources",
        Group::Rates,
        "Sources that should agree",
        "Fonti che devono concordare",
    ),
    (
        "lightning_fallback_rate",
        Group::Rates,
        "Fixed rate when no source answers (EUR per BTC)",
        "Cambio fisso se nessuna fonte risponde (EUR per BTC)",
    ),
    (
        "lightning_rate_cache_ttl",
        Group::Rates,
        "Reuse a fetched rate for (seconds)",
        "Riusa un cambio ottenuto per (secondi)",
    ),
    (
        "lightning_kraken_base_url",
        Group::Rates,
        "Kraken address",
        "Indirizzo di Kraken",
    ),
    (
        "lightning_bitstamp_base_url",
        Group::Rates,
        "Bitstamp address",
        "Indirizzo di Bitstamp",
    ),
    (
        "lightning_coinbase_base_url",
        Group::Rates,
        "Coinbase address",
        "Indirizzo di Coinbase",
    ),
    (
        "lightning_coingecko_base_url",
        Group::Rates,
        "CoinGecko address",
        "Indirizzo di CoinGecko",
    ),
    (
        "lightning_cmc_base_url",
        Group::Rates,
        "CoinMarketCap address",
        "Indirizzo di CoinMarketCap",
    ),
    (
        "lightning_default_expiry_hours",
        Group::Invoices,
        "A payment request is valid for (hours)",
        "Una richiesta di pagamento vale per (ore)",
    ),
    (
        "lightning_min_expiry_hours",
        Group::Invoices,
        "Shortest validity (hours)",
        "Validità minima (ore)",
    ),
    (
        "lightning_max_expiry_hours",
        Group::Invoices,
        "Longest validity (hours)",
        "Validità massima (ore)",
    ),
    (
        "lightning_pos_expiry_minutes",
        Group::Pos,
        "Time to pay at the counter (minutes)",
        "Tempo per pagare in cassa (minuti)",
    ),
    (
        "pos_max_amount_eur",
        Group::Pos,
        "Largest sale a cashier may charge (EUR)",
        "Importo massimo di una vendita per un cassiere (EUR)",
    ),
    (
        "lightning_webhook_enabled",
        Group::Webhooks,
        "Send webhooks",
        "Invia webhook",
    ),
    (
        "lightning_webhook_url",
        Group::Webhooks,
        "Webhook address",
        "Indirizzo del webhook",
    ),
    (
        "lightning_webhook_secret",
        Group::Webhooks,
        "Webhook signing secret",
        "Segreto di firma dei webhook",
    ),
    (
        "lightning_webhook_timeout",
        Group::Webhooks,
        "Deadline of one delivery (seconds)",
        "Tempo massimo di una consegna (secondi)",
    ),
    (
        "lightning_webhook_allow_private",
        Group::Webhooks,
        "Allow addresses on the local network",
        "Consenti indirizzi della rete locale",
    ),
    (
        "lightning_liquidity_enabled",
        Group::Liquidity,
        "Manage liquidity automatically",
        "Gestisci la liquidità in automatico",
    ),
    (
        "lightning_liquidity_min_ratio",
        Group::Liquidity,
        "Lowest inbound share of a channel (0–1)",
        "Quota minima in entrata di un canale (0–1)",
    ),
    (
        "lightning_liquidity_target_ratio",
        Group::Liquidity,
        "Inbound share to aim for (0–1)",
        "Quota in entrata da raggiungere (0–1)",
    ),
    (
        "lightning_liquidity_max_ratio",
        Group::Liquidity,
        "Highest inbound share of a channel (0–1)",
        "Quota massima in entrata di un canale (0–1)",
    ),
    (
        "lightning_liquidity_check_interval",
        Group::Liquidity,
        "Check every (seconds)",
        "Controlla ogni (secondi)",
    ),
    (
        "lightning_liquidity_block_unreceivable",
        Group::Liquidity,
        "Refuse requests the node cannot receive now",
        "Rifiuta richieste che il nodo ora non può ricevere",
    ),
    (
        "lightning_liquidity_max_fee_ppm",
        Group::Liquidity,
        "Highest fee of one rebalance (parts per million)",
        "Commissione massima di un ribilanciamento (parti per milione)",
    ),
    (
        "lightning_liquidity_max_daily_fee_sats",
        Group::Liquidity,
        "Rebalancing fees in any 24 hours (sats)",
        "Commissioni di ribilanciamento in 24 ore (sats)",
    ),
    (
        "gateway_public_names",
        Group::Gateway,
        "Other names of this server (e.g. pos.shop.lan)",
        "Altri nomi di questo server (es. pos.negozio.lan)",
    ),
    (
        "gateway_metrics_token",
        Group::Gateway,
        "Access token for /metrics",
        "Token di accesso a /metrics",
    ),
    (
        "gateway_tls_cert_path",
        Group::Gateway,
        "HTTPS certificate file",
        "File del certificato HTTPS",
    ),
    (
        "gateway_tls_key_path",
        Group::Gateway,
        "HTTPS private key file",
        "File della chiave privata HTTPS",
    ),
    (
        "database_url",
        Group::Gateway,
        "Shared PostgreSQL database",
        "Database PostgreSQL condiviso",
    ),
];

/// The group and plain labels of `key`, if it has them.
pub fn label_of(key: &str) -> Option<Label> {
    LABELS
        .iter()
        .find(|(name, ..)| *name == key)
        .map(|&(_, group, en, it)| Label { group, en, it })
}

/// Where `key` sorts on the page: its group, then its place in the group.
pub fn page_order(key: &str) -> (usize, usize) {
    let group = label_of(key).map_or(Group::Other, |l| l.group);
    let group_index = Group::ALL.iter().position(|g| *g == group).unwrap_or(Group::ALL.len());
    let place = LABELS
        .iter()
        .position(|(name, ..)| *name == key)
        .unwrap_or(LABELS.len());
    (group_index, place)
}

/// The label of `key` in `lang`, or the key itself.
pub fn name_in(key: &str, lang: Lang) -> String {
    label_of(key).map_or_else(|| key.to_string(), |l| l.text(lang).to_string())
}

/// What a valid value of `kind` looks like, in `lang`.
pub fn expected_in(kind: SettingKind, lang: Lang) -> String {
    match lang {
        Lang::En => kind.to_string(),
        Lang::It => match kind {
            SettingKind::Bool => "sì o no".to_string(),
            SettingKind::Text => "un testo non vuoto".to_string(),
            SettingKind::Path => "il percorso di un file, es. ~/.lnd/tls.cert".to_string(),
            SettingKind::HostPort => "host:porta senza schema, es. localhost:10009".to_string(),
            SettingKind::Whole { min, .. } if kind.unbounded() => format!("un numero intero non minore di {min}"),
            SettingKind::Whole { min, max } => format!("un numero intero da {min} a {max}"),
            SettingKind::PositiveDecimal => {
                "un numero maggiore di 0, con il punto per i decimali, es. 45000.00".to_string()
            }
            SettingKind::Url => {
                "un indirizzo http:// o https:// senza utente:password@, es. https://esempio.it/hook".to_string()
            }
            SettingKind::Ratio => "un numero da 0 a 1, con il punto per i decimali, es. 0.5".to_string(),
            SettingKind::VatNumber => "una partita IVA italiana: 11 cifre con la cifra di controllo giusta".to_string(),
            SettingKind::TimeZone => "un fuso orario come Europe/Rome".to_string(),
        },
    }
}

/// A refused change in `lang`, naming the setting by its label.
pub fn refusal_text(refusal: &SettingRefusal, lang: Lang) -> String {
    let name = name_in(&refusal.key, lang);
    match (&refusal.problem, lang) {
        (SettingProblem::UnknownKey, Lang::En) => format!("There is no setting called `{}`.", refusal.key),
        (SettingProblem::UnknownKey, Lang::It) => format!("Non esiste un'impostazione `{}`.", refusal.key),
        (SettingProblem::Invalid { kind }, Lang::En) => {
            format!(
                "{name}: not a valid value; expected {}. Nothing was changed.",
                expected_in(*kind, lang)
            )
        }
        (SettingProblem::Invalid { kind }, Lang::It) => {
            format!(
                "{name}: valore non valido; serve {}. Non è cambiato nulla.",
                expected_in(*kind, lang)
            )
        }
        (
            SettingProblem::OutOfOrder {
                lower_key,
                lower_value,
                upper_key,
                upper_value,
            },
            _,
        ) => {
            let (lower, upper) = (name_in(lower_key, lang), name_in(upper_key, lang));
            match lang {
                Lang::En => format!(
                    "{lower} ({lower_value}) must not be greater than {upper} ({upper_value}); change one of them. Nothing was changed."
                ),
                Lang::It => format!(
                    "{lower} ({lower_value}) non può superare {upper} ({upper_value}); cambia uno dei due. Non è cambiato nulla."
                ),
            }
        }
        (SettingProblem::CliOnly, Lang::En) => {
            format!("{name} can be changed only with `openfatture config set` on the gateway's machine.")
        }
        (SettingProblem::CliOnly, Lang::It) => {
            format!("{name} si cambia solo con `openfatture config set` sulla macchina del gateway.")
        }
    }
}

fn pick(lang: Lang, en: &'static str, it: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::It => it,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_both_languages_are_written() {
        for (i, (key, _, en, it)) in LABELS.iter().enumerate() {
            assert!(LABELS[i + 1..].iter().all(|(other, ..)| other != key), "{key} twice");
            assert!(!en.is_empty() && !it.is_empty(), "{key}");
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
