//! The `openfatture` command-line tool through its binary: configuration, invoices, users, and the
//! bad-input table (CLI and server functions). One test binary; every module shares `common/`.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod cli;
mod config;
mod file_modes;
mod import_batch;
mod invoice_cli;
mod list_pages;
mod pos_cli;
mod share;
mod user_cli;
