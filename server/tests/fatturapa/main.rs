//! FatturaPA import: hand-written fixtures (valid and hostile) and property tests.

#[path = "../common/mod.rs"]
mod common;

mod import;
mod proptests;
