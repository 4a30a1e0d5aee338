//! One module per routed page.

pub mod dashboard;
pub mod not_found;
