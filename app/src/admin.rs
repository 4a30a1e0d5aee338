//! How the admin pages' server functions reach the gateway (server build only): the gateway
//! implements [`AdminBackend`] and provides an [`AdminHandle`] in every server function's context.
//! Kept apart from [`crate::backend::Backend`] (node status, POS, sign-in) so each page area grows
//! in its own module. The data types are in [`crate::model`].

use std::sync::Arc;

use crate::backend::BackendFuture;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::{
    DeliveryView, EndpointView, FatturaDueView, FatturaLinesView, FatturaView, LiquidityView, ListPage, LnInvoiceInfo,
    LnInvoiceView, NewFatturaForm, NodeAlertsView, NodeCheck, PairingCodeView, PaymentLinkView, PaymentView,
    ReloadStatus, SettingView, StaffView, TillAdminView, TillDeviceView, WebhookTestReport,
};

/// Which page of a list a server function asks for (as typed: the gateway checks it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// Prefix to search ('' for the whole list).
    pub search: String,
    /// `newest` (or '') or `oldest`.
    pub order: String,
    /// The cursor of the page before ('' for the first page).
    pub after: String,
    /// Rows per page (0: [`crate::model::LIST_PAGE_ROWS`]).
    pub limit: u32,
}

/// The gateway's admin services as the web app sees them. Every method is called only after the
/// server function has checked the admin role. No method ever returns a secret.
pub trait AdminBackend: Send + Sync + 'static {
    /// A page of EUR invoices by date: `order` `newest` (or '') / `oldest`, after cursor `after`
    /// ('' for the first page), `limit` rows (0: the default); with a `search`, those whose
    /// numero, client or P.IVA starts with it.
    fn list_fatture(&self, page: ListRequest) -> BackendFuture<'_, ListPage<FatturaView>>;
    /// How the EUR invoice with row id `id` is to be paid: its amount-due derivation and
    /// instalments (`None` for an invoice added by hand, which has neither).
    fn fattura_due(&self, id: i64) -> BackendFuture<'_, Option<FatturaDueView>>;
    /// The lines and IVA summary of the EUR invoice with row id `id` (both empty when not known).
    fn fattura_lines(&self, id: i64) -> BackendFuture<'_, FatturaLinesView>;
    /// A page of Lightning invoices in `state` ('' for all), as [`AdminBackend::list_fatture`];
    /// a search matches the id or payment hash prefix, or the fattura's numero, client or P.IVA.
    fn list_ln_invoices(&self, state: String, page: ListRequest) -> BackendFuture<'_, ListPage<LnInvoiceView>>;
    /// Creates (or reuses) a Lightning invoice for an EUR invoice; '' means "default" for
    /// `anno`, `amount_eur` (what is still due) and `expiry_hours`.
    fn create_ln_invoice(
        &self,
        numero: String,
        anno: String,
        amount_eur: String,
        expiry_hours: String,
    ) -> BackendFuture<'_, LnInvoiceInfo>;
    /// One Lightning invoice refreshed from the node, with its BOLT11 and QR code.
    fn ln_invoice_detail(&self, invoice_id: String) -> BackendFuture<'_, LnInvoiceInfo>;
    /// Cancels an unpaid Lightning invoice.
    fn cancel_ln_invoice(&self, invoice_id: String) -> BackendFuture<'_, LnInvoiceInfo>;
    /// Adds an EUR invoice typed by hand, like `openfatture invoice add`; refusals in `lang`.
    fn add_fattura(&self, lang: Lang, form: NewFatturaForm) -> BackendFuture<'_, FatturaView>;
    /// Refunds `amount_eur` of paid POS sale `sale_id` to `to` (BOLT11 or Lightning address) as
    /// admin `by`, like `openfatture pos refund`; a refusal sends and records nothing.
    fn refund_sale(
        &self,
        sale_id: String,
        amount_eur: String,
        to: String,
        by: String,
    ) -> BackendFuture<'_, crate::model::RefundView>;
    /// Today's figures at the counter (on `shop_timezone`) and the closings made, like
    /// `openfatture pos day` and `pos closing list`.
    fn counter_day(&self) -> BackendFuture<'_, crate::model::CounterDayView>;
    /// Closes `date` (`YYYY-MM-DD`; today when empty) for `till` (the whole shop when empty) as
    /// admin `by`, like `openfatture pos close [--till] [--date]`: a numbered, immutable closing
    /// with its `day_closed` webhook; refused when closed already or not begun.
    fn close_day(&self, by: String, till: String, date: String) -> BackendFuture<'_, crate::model::ClosingSummary>;
    /// A new payment link for a Lightning invoice (of its fattura, if any): the link before it
    /// stops working.
    fn new_payment_link(&self, invoice_id: String) -> BackendFuture<'_, PaymentLinkView>;
    /// Emails the courtesy copy with a new payment link to `address` over the `smtp_*` settings;
    /// nothing changes when the address, the settings or the SMTP server refuse.
    fn email_payment_link(&self, invoice_id: String, address: String) -> BackendFuture<'_, PaymentLinkView>;
    /// A page of payments by settle time, as [`AdminBackend::list_fatture`]; a search matches
    /// the payment hash prefix or the fattura's numero, client or P.IVA.
    fn list_payments(&self, page: ListRequest) -> BackendFuture<'_, ListPage<PaymentView>>;
    /// Every payment as the accountant's CSV.
    fn payments_csv(&self) -> BackendFuture<'_, String>;
    /// Channel liquidity of the node.
    fn liquidity(&self) -> BackendFuture<'_, LiquidityView>;
    /// The node's open alerts (force closes, inactive channels, channels no backup covers) and
    /// the last channel backup's time.
    fn node_alerts(&self) -> BackendFuture<'_, NodeAlertsView>;
    /// Webhook endpoints with their delivery health (never their secrets).
    fn webhook_endpoints(&self) -> BackendFuture<'_, Vec<EndpointView>>;
    /// Adds or replaces an endpoint; returns every endpoint.
    fn add_webhook_endpoint(
        &self,
        name: String,
        url: String,
        secret: String,
        events: String,
    ) -> BackendFuture<'_, Vec<EndpointView>>;
    /// Removes an endpoint; returns the remaining ones.
    fn remove_webhook_endpoint(&self, name: String) -> BackendFuture<'_, Vec<EndpointView>>;
    /// The delivery log, newest first.
    fn webhook_deliveries(&self, failed_only: bool) -> BackendFuture<'_, Vec<DeliveryView>>;
    /// Queues an event again; returns how many deliveries were queued.
    fn redeliver_webhook_event(&self, event_id: String) -> BackendFuture<'_, u64>;
    /// Sends a signed test event to an endpoint.
    fn test_webhook_endpoint(&self, endpoint: String) -> BackendFuture<'_, WebhookTestReport>;
    /// Every configuration key (secrets only as set / not set).
    fn settings(&self) -> BackendFuture<'_, Vec<SettingView>>;
    /// Validates and saves one key to config.toml, like `openfatture config set`.
    fn set_setting(&self, key: String, value: String) -> BackendFuture<'_, SettingView>;
    /// Removes one key from config.toml, like `openfatture config unset`.
    fn unset_setting(&self, key: String) -> BackendFuture<'_, SettingView>;
    /// Whether the running gateway has config.toml's settings in force, and what needs a restart.
    fn settings_status(&self) -> BackendFuture<'_, ReloadStatus>;
    /// Tests the shop's own LND at `host` with this certificate (PEM) and macaroon (hex), and on
    /// success keeps them in the data directory and points the configuration at them.
    fn connect_node(&self, host: String, cert_pem: String, macaroon_hex: String) -> BackendFuture<'_, NodeCheck>;
    /// Every staff account with its session count and lock state; `actor` is the calling admin.
    fn staff(&self, actor: String) -> BackendFuture<'_, Vec<StaffView>>;
    /// Adds a staff member (`role` one of [`crate::model::Role::ALL`]; the password twice, under
    /// the CLI's policy); refusals in `lang`. Returns every account.
    fn add_staff(
        &self,
        actor: String,
        lang: Lang,
        username: String,
        role: String,
        password: String,
        confirm: String,
    ) -> BackendFuture<'_, Vec<StaffView>>;
    /// Removes a staff member and ends their sessions; never `actor`, never the only admin.
    fn remove_staff(&self, actor: String, lang: Lang, username: String) -> BackendFuture<'_, Vec<StaffView>>;
    /// Sets a new password or PIN (twice) for a staff member and ends their sessions.
    fn reset_staff_password(
        &self,
        actor: String,
        lang: Lang,
        username: String,
        password: String,
        confirm: String,
    ) -> BackendFuture<'_, Vec<StaffView>>;
    /// Ends every session of a staff member other than `actor`.
    fn end_staff_sessions(&self, actor: String, lang: Lang, username: String) -> BackendFuture<'_, Vec<StaffView>>;
    /// Lifts every sign-in lock on a staff member, like `openfatture user unlock`.
    fn unlock_staff(&self, actor: String, lang: Lang, username: String) -> BackendFuture<'_, Vec<StaffView>>;
    /// Every till, the default one first, with its printer and auto-print (issue 36).
    fn tills_admin(&self) -> BackendFuture<'_, Vec<TillAdminView>>;
    /// Adds a till like `openfatture pos till add` (`printer` and `vat_rate` '' for none / 22 %);
    /// the page words refusals. Returns every till.
    fn add_till(
        &self,
        actor: String,
        name: String,
        printer: String,
        vat_rate: String,
    ) -> BackendFuture<'_, Vec<TillAdminView>>;
    /// Changes till `name` like `openfatture pos till set`: a new name ('' keeps it), printer
    /// ('' removes it), default IVA rate and auto-print. Returns every till.
    fn change_till(&self, actor: String, change: TillEdit) -> BackendFuture<'_, Vec<TillAdminView>>;
    /// Removes till `name` like `openfatture pos till remove` (never the last one); its sales keep
    /// its name. Returns every till.
    fn remove_till(&self, actor: String, name: String) -> BackendFuture<'_, Vec<TillAdminView>>;
    /// A new one-time code that pairs a tablet to till `name`, like `openfatture pos till pair`.
    fn pair_till(&self, actor: String, name: String) -> BackendFuture<'_, PairingCodeView>;
    /// The paired tablets, like `openfatture pos till devices`.
    fn till_devices(&self) -> BackendFuture<'_, Vec<TillDeviceView>>;
    /// Unpairs tablet `id`, like `openfatture pos till unpair`; returns the paired tablets.
    fn unpair_till_device(&self, actor: String, id: i64) -> BackendFuture<'_, Vec<TillDeviceView>>;
}

/// A till's new values as the Tills card sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TillEdit {
    /// The till's name now.
    pub name: String,
    /// Its new name; '' keeps it.
    pub new_name: String,
    /// Its printer `HOST:PORT`; '' removes it.
    pub printer: String,
    /// Its default IVA rate (`22`, `0:N2`).
    pub vat_rate: String,
    /// Whether it prints each paid sale's receipt by itself.
    pub auto_print: bool,
}

/// Cloneable handle to the gateway's [`AdminBackend`], provided through Leptos context.
#[derive(Clone)]
pub struct AdminHandle(pub Arc<dyn AdminBackend>);

impl AdminHandle {
    /// Wraps an implementation.
    pub fn new(backend: impl AdminBackend) -> Self {
        Self(Arc::new(backend))
    }
}

impl std::ops::Deref for AdminHandle {
    type Target = dyn AdminBackend;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

/// The admin backend provided by the gateway for the current server-function call.
pub fn admin_backend() -> Result<AdminHandle, AppError> {
    leptos::prelude::use_context::<AdminHandle>().ok_or_else(|| {
        leptos::logging::error!("the gateway did not provide its admin services to this request (server wiring bug)");
        AppError::Unavailable(crate::error::Refusal::code("error.unexpected"))
    })
}
