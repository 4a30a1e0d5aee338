//! Every type that crosses the wire between the gateway and the browser (server-function replies,
//! the live event stream's bodies) and the closed lists both sides name: invoice states, event
//! kinds, staff roles; and `input`, the one parser of typed amounts and the one check of free text,
//! run by both sides. One concern per file; re-exported here, so users write
//! `crate::model::PosSale` / `app::model::InvoiceState`.
//!
//! The bottom layer of the app: pages → `backend`/`admin`/`api` → `model`. Nothing here imports
//! anything else from the crate, nothing here renders, and no secret ever goes in here. Amounts
//! carry their unit in the field name; decimals travel as their exact text.

mod clock;
mod closing;
mod counter;
mod event;
mod input;
mod invoices;
mod node;
mod pages;
mod payments;
mod pos;
mod rates;
mod refund;
mod refusal;
mod session;
mod settings;
mod setup;
mod staff;
mod state;
mod webhooks;

pub use clock::ShopClock;
pub use closing::{ClosingSummary, CounterDayView};
pub use counter::{
    tip_cents_for_percent, PairingCodeView, ReceiptLink, TillAdminView, TillDeviceView, TillView, VatRate, TIP_PERCENTS,
};
pub use event::{EventBody, EventKind, EventMetadata};
pub use input::{
    check_free_text, code_point, describe_char, is_bidi_control, is_unsafe_text_char, parse_amount_cents, AmountError,
    TextError, TextField, MAX_AMOUNT_CHARS, MAX_AMOUNT_DECIMALS, MAX_AMOUNT_INTEGER_DIGITS,
};
pub use invoices::{
    CreditNoteView, DueStepView, FatturaDueView, FatturaLineView, FatturaLinesView, FatturaView, ImportedDocumentView,
    ImportedFileView, InstallmentView, LnInvoiceInfo, LnInvoiceView, MailView, NewFatturaForm, PaymentLinkView,
    RateEvidenceView, SignerView, VatSummaryView,
};
pub use node::{ChannelLiquidityView, ChannelView, LiquidityView, NodeAlertView, NodeAlertsView, NodeStatus};
pub use pages::{ListPage, LIST_PAGE_ROWS};
pub use payments::PaymentView;
pub use pos::{InvoiceStatus, PosChargeRequest, PosSale};
pub use rates::{ProviderState, RateState, RateStatus};
pub use refund::RefundView;
pub use refusal::Refusal;
pub use session::{Role, SessionUser};
pub use settings::{ReloadProblem, ReloadStatus, SettingKind, SettingProblem, SettingRefusal, SettingView};
pub use setup::NodeCheck;
pub use staff::StaffView;
pub use state::InvoiceState;
pub use webhooks::{DeliveryView, EndpointView, WebhookTestReport};
