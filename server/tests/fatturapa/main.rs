//! FatturaPA import: hand-written fixtures (valid and hostile) and property tests.

mod import;
mod proptests;
