//! One module per routed page.

pub mod closing;
pub mod dashboard;
pub mod invoice_due;
pub mod invoice_lines;
pub mod invoice_share;
pub mod invoice_upload;
pub mod invoices;
pub mod login;
pub mod not_found;
pub mod payments;
pub mod pos;
pub mod refund;
pub mod setting_labels;
pub mod settings;
pub mod staff;
pub mod tills;
pub mod webhooks;
pub mod welcome;
