//! The gateway's implementation of [`app::backend::Backend`]: what server functions call.

use app::auth::SessionUser;
use app::backend::{Backend, BackendFuture, BackendHandle, Paired, SignedIn};
use app::AppError;
use secrecy::{ExposeSecret, SecretString};

use app::model::{NodeStatus, ProviderState, RateState, RateStatus, ShopClock};

use crate::auth::{AuthError, AuthService};
use crate::config::SettingsHub;
use crate::invoices::InvoiceService;
use crate::lnd::LndClient;
use app::model::{InvoiceStatus, PosChargeRequest, PosSale, ReceiptLink, TillView};

use crate::counter::CounterService;

use super::guard::RequestAuth;
use super::lightning::NodeConnection;

/// Services backed by one LND connection.
struct GatewayBackend {
    client: LndClient,
    /// The embedded simnode's address when the gateway started one: the node is simulated while
    /// the client still points there.
    embedded_host: Option<String>,
    auth: AuthService,
    /// Lightning invoices; its rate service is the one in use.
    invoices: InvoiceService,
    /// The counter: tills and the sales' IVA, tip, till and cashier.
    counter: CounterService,
    /// The settings in force (`lightning_pos_expiry_minutes`).
    settings: SettingsHub,
    /// The one-time token of the first-admin setup link, until it is used.
    setup_token: tokio::sync::Mutex<Option<SecretString>>,
    /// Pairing-code attempts per client address.
    pairing: super::pairing::PairingThrottle,
}

impl GatewayBackend {
    /// Whether the node in use is the embedded simulated node.
    fn simulated(&self) -> bool {
        self.embedded_host.as_deref() == Some(self.client.host().as_str())
    }
}

/// The handle server functions find in their context.
pub(crate) fn handle(
    node: &NodeConnection,
    auth: AuthService,
    invoices: InvoiceService,
    counter: CounterService,
    settings: SettingsHub,
    setup_token: Option<SecretString>,
) -> BackendHandle {
    BackendHandle::new(GatewayBackend {
        client: node.client().clone(),
        embedded_host: node.simulated().then(|| node.client().host()),
        auth,
        invoices,
        counter,
        settings,
        setup_token: tokio::sync::Mutex::new(setup_token),
        pairing: super::pairing::PairingThrottle::default(),
    })
}

/// Who sent the server-function call being handled.
fn request_auth() -> RequestAuth {
    leptos::prelude::use_context::<RequestAuth>().unwrap_or_default()
}

impl Backend for GatewayBackend {
    fn pos_charge(&self, request: PosChargeRequest) -> BackendFuture<'_, PosSale> {
        Box::pin(async move {
            let sale = super::pos::Sale {
                amount_eur: &request.amount_eur,
                note: &request.note,
                vat_rate: request.vat_rate.as_deref(),
                tip_eur: request.tip_eur.as_deref(),
                till: request.till.as_deref(),
            };
            let pos_expiry_minutes = self.settings.current().lightning_pos_expiry_minutes;
            super::pos::charge(&self.invoices, &self.counter, &request_auth(), sale, pos_expiry_minutes).await
        })
    }

    fn pos_tills(&self) -> BackendFuture<'_, Vec<TillView>> {
        Box::pin(async move {
            let device = request_auth().device;
            super::pos::tills(&self.counter, device.as_deref()).await
        })
    }

    fn pos_receipt(&self, invoice_id: String) -> BackendFuture<'_, ReceiptLink> {
        Box::pin(async move {
            let id = invoice_id.trim();
            super::pos::check_visible(&self.invoices, &request_auth(), id).await?;
            let shop = self.settings.current().receipt_shop();
            let (receipt, url) = self.counter.receipt_link(id, &shop).await?;
            Ok(ReceiptLink {
                invoice_id: receipt.receipt.sale_id,
                url,
                has_printer: receipt.printer_address.is_some(),
            })
        })
    }

    fn pos_print_receipt(&self, invoice_id: String) -> BackendFuture<'_, ReceiptLink> {
        Box::pin(async move {
            let id = invoice_id.trim();
            super::pos::check_visible(&self.invoices, &request_auth(), id).await?;
            let shop = self.settings.current().receipt_shop();
            // Printed receipts are in Italian, the shop's language.
            let printer = self.counter.print_receipt(id, &shop, app::i18n::Lang::It).await?;
            tracing::info!(sale = %id, %printer, "receipt printed");
            Ok(ReceiptLink {
                invoice_id: id.to_string(),
                url: String::new(),
                has_printer: true,
            })
        })
    }

    fn invoice_state(&self, invoice_id: String) -> BackendFuture<'_, InvoiceStatus> {
        Box::pin(async move {
            super::pos::check_visible(&self.invoices, &request_auth(), invoice_id.trim()).await?;
            let invoice = self.invoices.refresh(invoice_id.trim()).await?;
            Ok(super::pos::state_of(&invoice))
        })
    }

    fn cancel_invoice(&self, invoice_id: String) -> BackendFuture<'_, InvoiceStatus> {
        Box::pin(async move {
            super::pos::check_visible(&self.invoices, &request_auth(), invoice_id.trim()).await?;
            let invoice = self.invoices.cancel(invoice_id.trim()).await?;
            Ok(super::pos::state_of(&invoice))
        })
    }

    fn login(&self, username: String, password: String) -> BackendFuture<'_, SignedIn> {
        Box::pin(async move {
            let client = request_auth().client;
            let password = SecretString::from(password);
            let (token, user): (SecretString, SessionUser) =
                self.auth.login(username.trim(), &password, &client).await?;
            Ok(SignedIn {
                user,
                set_cookie: self.auth.session_cookie(&token),
            })
        })
    }

    fn setup_admin(&self, token: String, username: String, password: String) -> BackendFuture<'_, SignedIn> {
        Box::pin(async move {
            let mut slot = self.setup_token.lock().await;
            let valid = match slot.as_ref() {
                Some(expected) => constant_time_eq(expected.expose_secret().as_bytes(), token.as_bytes()),
                None => false,
            };
            if !valid || self.auth.has_users().await? {
                return Err(AuthError::BadSetupToken.into());
            }
            let password = SecretString::from(password);
            let username = username.trim().to_string();
            self.auth.add_user(&username, app::auth::Role::Admin, &password).await?;
            *slot = None;
            drop(slot);
            let client = request_auth().client;
            let (token, user) = self.auth.login(&username, &password, &client).await?;
            Ok(SignedIn {
                user,
                set_cookie: self.auth.session_cookie(&token),
            })
        })
    }

    fn logout(&self) -> BackendFuture<'_, String> {
        Box::pin(async move {
            if let Some(token) = request_auth().token {
                self.auth.logout(&token).await?;
            }
            Ok(self.auth.clearing_cookie())
        })
    }

    fn pos_pair(&self, code: String) -> BackendFuture<'_, Paired> {
        Box::pin(async move {
            let request = request_auth();
            self.pairing.attempt(&request.client, crate::time::now_secs())?;
            let cashier = request.user.as_ref().map_or("", |user| user.username.as_str());
            let (till, token) = self.counter.pair_device(&code, cashier).await.map_err(|error| {
                tracing::info!(client = %request.client, %error, "tablet pairing refused");
                AppError::from(error)
            })?;
            tracing::info!(till = %till.name, by = %cashier, "tablet paired to a till");
            Ok(Paired {
                till: till.name,
                set_cookie: super::pairing::device_cookie(&token, self.auth.secure_cookies()),
            })
        })
    }

    fn node_status(&self) -> BackendFuture<'_, NodeStatus> {
        Box::pin(
            async move { Ok(crate::node::node_status(&self.client, &self.client.host(), self.simulated()).await?) },
        )
    }

    fn shop_clock(&self) -> BackendFuture<'_, ShopClock> {
        Box::pin(async move {
            Ok(ShopClock {
                timezone: self.settings.current().shop_timezone.clone(),
                now_unix_secs: crate::time::now_secs(),
            })
        })
    }

    fn rate_status(&self) -> BackendFuture<'_, RateStatus> {
        Box::pin(async move {
            // Admins see the providers' health and the full reasons; a cashier (the POS rate label)
            // sees only the rate and its kind, and a short code when there is none.
            let admin = request_auth()
                .user
                .is_some_and(|user| user.role == app::auth::Role::Admin);
            let rates = self.invoices.rates();
            let quote = match rates.quote().await {
                Ok(quote) => quote,
                Err(error) if !admin => {
                    tracing::warn!(%error, "no BTC/EUR rate for the POS");
                    return Err(app::AppError::Pos(app::PosError::RateUnavailable));
                }
                Err(error) => return Err(error.into()),
            };
            let (providers, notices) = if admin {
                let status = rates.status();
                let providers = status
                    .providers
                    .into_iter()
                    .map(|p| ProviderState {
                        health: super::notice_words::health_refusal(&p.health),
                        provider: p.provider,
                    })
                    .collect();
                let notices = status
                    .notices
                    .iter()
                    .map(|_| super::notice_words::coingecko_key_notice())
                    .collect();
                (providers, notices)
            } else {
                (Vec::new(), Vec::new())
            };
            let state = if quote.is_demo {
                RateState::Demo
            } else if quote.is_fallback {
                RateState::Fallback
            } else if quote.is_stale {
                RateState::Stale
            } else {
                RateState::Live
            };
            Ok(RateStatus {
                eur_per_btc: quote.eur_per_btc.to_string(),
                source: quote.source.clone(),
                fetched_at: quote.fetched_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                is_fallback: quote.is_fallback,
                state,
                warnings: if admin {
                    crate::invoices::quote_notices(&quote)
                        .iter()
                        .map(super::notice_words::notice_refusal)
                        .collect()
                } else {
                    Vec::new()
                },
                providers,
                sources_mark: super::notice_words::sources_mark(&quote),
                notices,
            })
        })
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
