//! Every conversion from the flat [`Settings`] to a service's own config type lives here, in the
//! wiring layer, so the services (`lnd`, `rates`, `invoices`, `webhooks`, `liquidity`, `tracker`)
//! never import `crate::config` and `config` imports no service. A setting a service needs:
//! declare its key in `config/settings.rs`, then read it in the one method below that builds that
//! service's config.

use std::path::PathBuf;
use std::time::Duration;

use crate::invoices::InvoicePolicy;
use crate::liquidity::{LiquidityPolicy, ManagerSettings};
use crate::lnd::{LndConfig, LndError};
use crate::mail::{MailConfig, MailError, Mailer, SmtpSecurity};
use crate::rates::RatesConfig;
use crate::webhooks::{DefaultEndpointSettings, DispatcherConfig};

use crate::config::Settings;

impl Settings {
    /// The mailer of the `smtp_*` settings, or why there is none: `smtp_host` and `smtp_from`
    /// are needed; a port above 65535 or a sender that is not an address is refused.
    pub fn mailer(&self) -> Result<Mailer, MailError> {
        let missing = |key: &str| {
            MailError::Compose(format!(
                "email is not set up: set {key} (`openfatture config set {key} …`), with smtp_port, smtp_security and the account if the server asks for one"
            ))
        };
        let host = self.smtp_host.clone().ok_or_else(|| missing("smtp_host"))?;
        let from = self.smtp_from.clone().ok_or_else(|| missing("smtp_from"))?;
        let port = u16::try_from(self.smtp_port)
            .map_err(|_| MailError::Compose(format!("smtp_port {} is not a port: use 1 to 65535", self.smtp_port)))?;
        let security = SmtpSecurity::parse(&self.smtp_security).unwrap_or(SmtpSecurity::StartTls);
        let ca_pem = match &self.smtp_ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|e| {
                MailError::Compose(format!(
                    "smtp_ca_file {}: cannot read it ({e}): give the PEM file of the SMTP server's certificate authority (`openfatture config set smtp_ca_file /path/ca.pem`)",
                    path.display()
                ))
            })?),
            None => None,
        };
        Mailer::new(MailConfig {
            host,
            port,
            security,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from,
            ca_pem,
        })
    }

    /// The shop as POS receipts name it, and where customers open receipt links.
    pub fn receipt_shop(&self) -> crate::counter::ReceiptShop {
        crate::counter::ReceiptShop {
            name: self.shop_name.clone(),
            vat_number: self.shop_vat_number.clone(),
            address: self.shop_address.clone(),
            timezone: self.shop_timezone.clone(),
            public_base_url: self.public_base_url.clone(),
        }
    }

    /// The merchant as the courtesy copy names it (`shop_name`, `shop_vat_number`, `shop_address`).
    pub fn seller(&self) -> crate::render::Party {
        crate::render::Party {
            name: self.shop_name.clone().unwrap_or_default(),
            vat_number: self.shop_vat_number.as_ref().map(|v| format!("IT{v}")),
            tax_code: None,
            address: self.shop_address.clone(),
        }
    }

    /// How to reach the configured LND node, or which key is missing. With no `lightning_host`,
    /// the simulated node embedded by a running `openfatture serve` in the same home is used.
    pub fn lnd_config(&self) -> Result<LndConfig, LndError> {
        if let (None, Some(node)) = (&self.lightning_host, &self.embedded_node) {
            return Ok(self.lnd_config_at(
                node.host.clone(),
                node.tls_cert_path.clone(),
                node.macaroon_path.clone(),
            ));
        }
        let host = self
            .lightning_host
            .clone()
            .ok_or(LndError::NotConfigured { key: "lightning_host" })?;
        let tls_cert_path = self.lightning_cert_path.clone().ok_or(LndError::NotConfigured {
            key: "lightning_cert_path",
        })?;
        let macaroon_path = self.lightning_macaroon_path.clone().ok_or(LndError::NotConfigured {
            key: "lightning_macaroon_path",
        })?;
        Ok(self.lnd_config_at(host, tls_cert_path, macaroon_path))
    }

    /// The connection to the node at `host` with these files, with the configured deadline,
    /// retries and circuit breaker (`lightning_timeout_seconds`, `lightning_max_retries`,
    /// `lightning_circuit_breaker_*`).
    pub fn lnd_config_at(&self, host: String, tls_cert_path: PathBuf, macaroon_path: PathBuf) -> LndConfig {
        LndConfig {
            host,
            tls_cert_path,
            macaroon_path,
            timeout: Duration::from_secs(self.lightning_timeout_seconds),
            max_retries: self.lightning_max_retries,
            breaker_failures: self.lightning_circuit_breaker_failures,
            breaker_open: Duration::from_secs(self.lightning_circuit_breaker_timeout),
        }
    }

    /// The rate service's settings: the `lightning_kraken_*`, `lightning_bitstamp_*`,
    /// `lightning_coinbase_*`, `lightning_coingecko_*`, `lightning_cmc_*`, fallback rate,
    /// `lightning_rate_max_deviation_percent`, `lightning_rate_min_sources`, cache, retries and
    /// circuit breaker keys; the demo rate only for the embedded
    /// simulated node (no `lightning_host`); the rate service's own tuning otherwise.
    pub fn rates_config(&self) -> RatesConfig {
        RatesConfig {
            kraken_enabled: self.lightning_kraken_enabled,
            kraken_base_url: self.lightning_kraken_base_url.clone(),
            bitstamp_enabled: self.lightning_bitstamp_enabled,
            bitstamp_base_url: self.lightning_bitstamp_base_url.clone(),
            coinbase_enabled: self.lightning_coinbase_enabled,
            coinbase_base_url: self.lightning_coinbase_base_url.clone(),
            max_deviation_percent: self.lightning_rate_max_deviation_percent,
            min_sources: self.lightning_rate_min_sources,
            coingecko_enabled: self.lightning_coingecko_enabled,
            coingecko_api_key: self.lightning_coingecko_api_key.clone(),
            coingecko_pro: self.lightning_coingecko_pro,
            coingecko_base_url: self.lightning_coingecko_base_url.clone(),
            cmc_enabled: self.lightning_cmc_enabled,
            cmc_api_key: self.lightning_cmc_api_key.clone(),
            cmc_base_url: self.lightning_cmc_base_url.clone(),
            fallback_rate: self.lightning_fallback_rate,
            // No `lightning_host`: the node is the embedded simulated node (regtest demo), where
            // a labelled demo rate beats refusing every sale when no provider answers.
            demo_rate_allowed: self.lightning_host.is_none(),
            cache_ttl_secs: self.lightning_rate_cache_ttl,
            max_retries: self.lightning_max_retries,
            breaker_failures: self.lightning_circuit_breaker_failures,
            breaker_timeout_secs: self.lightning_circuit_breaker_timeout,
            ..RatesConfig::default()
        }
    }

    /// The merchant's own VAT id as FatturaPA writes it (`IT` + 11 digits), from `shop_vat_number`:
    /// the FatturaPA import skips invoices where it is the buyer (purchase invoices).
    pub fn merchant_vat_id(&self) -> Option<String> {
        let vat = self.shop_vat_number.as_deref()?.trim().to_ascii_uppercase();
        let digits = vat.strip_prefix("IT").unwrap_or(&vat);
        (!digits.is_empty()).then(|| format!("IT{digits}"))
    }

    /// The invoice policy: expiry bounds, the inbound check and a cashier's POS maximum
    /// (`pos_max_amount_eur`).
    pub fn invoice_policy(&self) -> InvoicePolicy {
        InvoicePolicy {
            default_expiry_hours: u64::from(self.lightning_default_expiry_hours),
            min_expiry_hours: u64::from(self.lightning_min_expiry_hours),
            max_expiry_hours: u64::from(self.lightning_max_expiry_hours),
            block_unreceivable: self.lightning_liquidity_block_unreceivable,
            pos_max_amount_eur: self.pos_max_amount_eur,
            identity_threshold_eur: self.lightning_identity_threshold_eur,
        }
    }

    /// Webhook delivery: the defaults, with the delivery timeout from `lightning_webhook_timeout`
    /// and the breaker from `lightning_circuit_breaker_failures` and `_timeout` (the same breaker
    /// settings as LND's and the rate providers'); private destinations only with
    /// `lightning_webhook_allow_private`.
    pub fn dispatcher_config(&self) -> DispatcherConfig {
        DispatcherConfig {
            timeout: Duration::from_secs(self.lightning_webhook_timeout.max(1)),
            breaker_threshold: self.lightning_circuit_breaker_failures.max(1),
            breaker_open: Duration::from_secs(self.lightning_circuit_breaker_timeout.max(1)),
            allow_private: self.lightning_webhook_allow_private,
            ..DispatcherConfig::default()
        }
    }

    /// The `default` webhook endpoint as configured (`lightning_webhook_enabled`, `_url`, `_secret`).
    pub fn default_endpoint(&self) -> DefaultEndpointSettings {
        DefaultEndpointSettings {
            enabled: self.lightning_webhook_enabled,
            url: self.lightning_webhook_url.clone(),
            secret: self.lightning_webhook_secret.clone(),
        }
    }

    /// The ratios channels are judged against (`lightning_liquidity_*_ratio`).
    pub fn liquidity_policy(&self) -> LiquidityPolicy {
        LiquidityPolicy {
            min_ratio: self.lightning_liquidity_min_ratio,
            target_ratio: self.lightning_liquidity_target_ratio,
            max_ratio: self.lightning_liquidity_max_ratio,
        }
    }

    /// What the automatic liquidity manager works with.
    pub fn liquidity_manager(&self) -> ManagerSettings {
        ManagerSettings {
            policy: self.liquidity_policy(),
            check_interval: Duration::from_secs(self.lightning_liquidity_check_interval.max(1)),
            max_daily_fee_msat: self.lightning_liquidity_max_daily_fee_sats.saturating_mul(1000),
            max_fee_ppm: self.lightning_liquidity_max_fee_ppm,
            payment_timeout_secs: u32::try_from(self.lightning_timeout_seconds).unwrap_or(u32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EnvVars, Home};

    fn defaults() -> Settings {
        let dir = tempfile::tempdir().expect("dir");
        Settings::load_with(&Home::at(dir.path()), &EnvVars::default()).expect("defaults")
    }

    #[test]
    fn the_rate_keys_defaults_are_the_rate_services_defaults() {
        let from_keys = defaults().rates_config();
        let service = RatesConfig::default();
        assert_eq!(from_keys.kraken_enabled, service.kraken_enabled);
        assert_eq!(from_keys.kraken_base_url, service.kraken_base_url);
        assert_eq!(from_keys.bitstamp_enabled, service.bitstamp_enabled);
        assert_eq!(from_keys.bitstamp_base_url, service.bitstamp_base_url);
        assert_eq!(from_keys.coinbase_enabled, service.coinbase_enabled);
        assert_eq!(from_keys.coinbase_base_url, service.coinbase_base_url);
        assert_eq!(from_keys.max_deviation_percent, service.max_deviation_percent);
        assert_eq!(from_keys.min_sources, service.min_sources);
        assert_eq!(from_keys.coingecko_enabled, service.coingecko_enabled);
        assert_eq!(from_keys.coingecko_pro, service.coingecko_pro);
        assert_eq!(from_keys.coingecko_base_url, service.coingecko_base_url);
        assert_eq!(from_keys.cmc_enabled, service.cmc_enabled);
        assert_eq!(from_keys.cmc_base_url, service.cmc_base_url);
        assert_eq!(from_keys.fallback_rate, service.fallback_rate);
        assert_eq!(from_keys.cache_ttl_secs, service.cache_ttl_secs);
        assert_eq!(from_keys.max_retries, service.max_retries);
        assert_eq!(from_keys.breaker_failures, service.breaker_failures);
        assert_eq!(from_keys.breaker_timeout_secs, service.breaker_timeout_secs);
        assert!(from_keys.coingecko_api_key.is_none() && from_keys.cmc_api_key.is_none());
    }

    #[test]
    fn only_the_embedded_node_may_use_the_demo_rate() -> Result<(), Box<dyn std::error::Error>> {
        assert!(
            defaults().rates_config().demo_rate_allowed,
            "no lightning_host: embedded simnode"
        );
        let dir = tempfile::tempdir()?;
        let env = EnvVars::from_pairs([("LIGHTNING_HOST", "127.0.0.1:10009")]);
        let real = Settings::load_with(&Home::at(dir.path()), &env)?;
        assert!(!real.rates_config().demo_rate_allowed);
        Ok(())
    }

    #[test]
    fn the_liquidity_keys_defaults_are_the_policys_defaults() {
        assert_eq!(defaults().liquidity_policy(), LiquidityPolicy::default());
    }
}
