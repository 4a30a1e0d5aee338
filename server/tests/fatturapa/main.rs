//! FatturaPA import: hand-written fixtures (valid and hostile) and property tests.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod amount_due;
mod courtesy;
mod due_properties;
mod import;
mod proptests;
mod signed;
mod wild;
